"""Download public datasets into the data directory, verifying their SHA-256.

The expected checksums are those of ``SHA256SUMS`` of the project's reference
data, copied here so the package works on its own.  Downloads use
``raw.githubusercontent.com`` at pinned commits; a ``mirror`` base URL (HTTP or
``file://``) laid out like the data directory can replace it.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from netal.data._io import sha256_file
from netal.data.base import DATASETS, resolve_data_dir
from netal.errors import DataError

_RAW = "https://raw.githubusercontent.com"


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file: where it goes in the data directory, its URL and checksum."""

    relpath: str
    url: str
    sha256: str


SOURCES: dict[str, tuple[RemoteFile, ...]] = {
    "ucc5g": (
        RemoteFile(
            "ucc5g/5G-production-dataset.zip",
            f"{_RAW}/uccmisl/5Gdataset/306d92eba81cb4f1195d8b8eba625666a02a10ec/5G-production-dataset.zip",
            "abc729d696b5e0ba34a9c6ed35a851f2868d2b5071be5efb8a49691c23bb1a9b",
        ),
    ),
    "umn-mmwave": (
        RemoteFile(
            "umn-mmwave/s20_verizon_nsahigh_all.csv",
            f"{_RAW}/SIGCOMM21-5G/artifact/7e3434f0eb13c26eb3088efda893465896b8dc50/"
            "MN-Power-Wild/data-processed/cleaned-logs/s20_verizon_nsahigh_all.csv",
            "a86c4ccedaa5f93de7d7c361e084e8e7464495a0fee274ea2671f1e8f2f532bc",
        ),
        RemoteFile(
            "umn-mmwave/mn-vz-hb_combined.csv",
            f"{_RAW}/SIGCOMM21-5G/artifact/f178bc68ed40ba703221db2c55e65b8a9d3b8cd5/"
            "MI-Walking-Power-Iperf/data/MN-VZ-HB_combined.csv",
            "933fa89aa0c3581b982cbd1ce39e25f27b7e9f86373709ec9adc0c6b3abbc084",
        ),
    ),
    "barcelona-lte": tuple(
        RemoteFile(
            f"barcelona-lte/{name}",
            f"{_RAW}/vperifan/Federated-Time-Series-Forecasting/8242ff18d2df05a852b47ce7585aa1dfdd4b171f/dataset/{name}",
            sha,
        )
        for name, sha in (
            ("ElBorn.csv", "61e719089cec7c841170e8f69badd8cbeecd6d5d2a3dcab1eabdab5086a0c1f1"),
            ("ElBorn_test.csv", "f68095f7dd872577ea0ce34edc423241542229662c39e93ba91a1e5340b37569"),
            ("LesCorts.csv", "6eb46787d26dd1d8e41d83275bc2ae9a55abf307ed931b7189f3f154a8c24ee6"),
            (
                "LesCorts_test.csv",
                "3d96f7780312ef18415e590f791ef3281ba380aafa46c477b86b0de52cc6d4ee",
            ),
            ("PobleSec.csv", "03c0663fb0f5f20a9c3370ff58094baf50a34ced4782e67569f4c0f85a3e4f30"),
            (
                "PobleSec_test.csv",
                "80504ad53c0bef083fe049065f5f37af5d9492f77ec242fd2da938eb12157393",
            ),
        )
    ),
    "sutd5g": tuple(
        RemoteFile(
            f"sutd5g/{name}",
            f"{_RAW}/FCCLab/sutd_5g_dataset_2023/eae04cafeb7b150af071a3a5ce9ed6c439295053/{name}",
            sha,
        )
        for name, sha in (
            (
                "Lvl4_AllRRUOn_Anomaly_label.csv",
                "08221fb9ecc2dd7b21eb577b0ff9b91f2ce60c2bd2ce15a0d19ef6407d15dc98",
            ),
            (
                "Lvl5_AllRRUOn_Anomaly_label.csv",
                "6d0219d8c6c32165a4bd3ac7ea07173dca727442bd032034f86325c3038b736f",
            ),
            (
                "Lvl6_1RRUOn_Anomaly_label.csv",
                "30ef16f44275cbc866a5e2b7e147f4be4115eb43fd052c6beb360055d5db47ca",
            ),
            (
                "Lvl6_AllRRUOn_Anomaly_label.csv",
                "0bbcf8b52d2bc8f9894dd87849c9cc1862957d17e4779dd5eccc67e54cd196ff",
            ),
        )
    ),
}
"""Downloadable files per dataset (Lumos5G and user CSVs have no public download)."""

NO_DOWNLOAD: dict[str, str] = {
    "lumos5g": "Lumos5G has no public mirror: download Lumos5G-v1.0 (CC BY 4.0) from "
    "https://ieee-dataport.org/open-access/lumos5g-dataset and put Lumos5G-v1.0.csv or the zip in "
    "<data dir>/lumos5g/",
    "csv": "the csv dataset is your own file: nothing to download",
}


def checksum_status(name: str, data_dir: Path) -> dict[str, str]:
    """For each downloadable file of ``name``: ``"ok"``, ``"missing"`` or ``"checksum mismatch"``."""
    status: dict[str, str] = {}
    for remote in SOURCES.get(name, ()):
        path = data_dir / remote.relpath
        if not path.is_file():
            status[remote.relpath] = "missing"
        else:
            status[remote.relpath] = (
                "ok" if sha256_file(path) == remote.sha256 else "checksum mismatch"
            )
    return status


def fetch(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    mirror: str | None = None,
    timeout: float = 30.0,
    force: bool = False,
) -> list[Path]:
    """Download the files of dataset ``name`` into ``data_dir`` and verify their SHA-256.

    Files already present with the right checksum are not downloaded again.

    Parameters
    ----------
    name
        A registered dataset with a public download (``ucc5g``, ``umn-mmwave``,
        ``barcelona-lte``, ``sutd5g``).
    data_dir
        Destination (default ``$NETAL_DATA_DIR`` or ``~/.cache/netal``).
    mirror
        Base URL replacing the GitHub URLs: ``<mirror>/<folder>/<file>``
        (``http://...`` or ``file:///...``).
    timeout
        Seconds before a stalled connection is abandoned.
    force
        Download even when a verified copy exists.

    Returns
    -------
    list of Path
        The verified local files.

    Raises
    ------
    DataError
        One line: no public download, offline/unreachable server, HTTP error or
        checksum mismatch (the partial download is removed).
    """
    DATASETS.get(name)  # UnknownNameError for unknown names
    if name in NO_DOWNLOAD:
        raise DataError(name, NO_DOWNLOAD[name])
    directory = resolve_data_dir(data_dir)
    paths = []
    for remote in SOURCES[name]:
        destination = directory / remote.relpath
        if force or not destination.is_file() or sha256_file(destination) != remote.sha256:
            url = f"{mirror.rstrip('/')}/{remote.relpath}" if mirror else remote.url
            _download(url, destination, remote.sha256, timeout)
        paths.append(destination)
    return paths


def _download(url: str, destination: Path, sha256: str, timeout: float) -> None:
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            str(destination.parent), f"cannot create the data directory ({exc.strerror})"
        ) from None
    partial = destination.with_name(destination.name + ".part")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, partial.open("wb") as out:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        partial.unlink(missing_ok=True)
        raise DataError(url, f"download failed: HTTP {exc.code} {exc.reason}") from None
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        partial.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise DataError(
            url,
            f"download failed ({reason}); offline or server unreachable: put the file at {destination} by hand",
        ) from None
    got = digest.hexdigest()
    if got != sha256:
        partial.unlink(missing_ok=True)
        raise DataError(url, f"SHA-256 mismatch: expected {sha256}, got {got}; download discarded")
    os.replace(partial, destination)
