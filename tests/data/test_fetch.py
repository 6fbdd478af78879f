"""fetch(): download over HTTP/file URLs, SHA-256 verification, one-line offline errors.

There is no internet here: a local HTTP server on 127.0.0.1 serves copies of the
real files (laid out like the data directory) and ``mirror=`` points at it.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import socket
import threading

import pytest

from netal.data import fetch, load_dataset
from netal.data.fetch import NO_DOWNLOAD, SOURCES, checksum_status
from netal.errors import DataError, UnknownNameError


@pytest.fixture
def served(tmp_path, data_dir):
    """A local HTTP server serving a copy of the real sutd5g files; yields (base_url, root)."""
    root = tmp_path / "mirror"
    shutil.copytree(data_dir / "sutd5g", root / "sutd5g")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sources_pin_commits_and_checksums():
    for name, files in SOURCES.items():
        for remote in files:
            assert remote.url.startswith("https://raw.githubusercontent.com/"), name
            commit = remote.url.split("/")[5]
            assert len(commit) == 40 and int(commit, 16) >= 0
            assert len(remote.sha256) == 64


def test_fetch_over_http_verifies_and_caches(served, tmp_path):
    base, _ = served
    target = tmp_path / "cache"
    paths = fetch("sutd5g", target, mirror=base)
    assert [p.name for p in paths] == [r.relpath.split("/")[1] for r in SOURCES["sutd5g"]]
    assert set(checksum_status("sutd5g", target).values()) == {"ok"}
    assert len(load_dataset("sutd5g", target)) == 2_327 + 2_031 + 2_156 + 2_222
    # cached: a second call needs no server at all
    again = fetch("sutd5g", target, mirror=f"http://127.0.0.1:{_closed_port()}")
    assert again == paths


def test_checksum_mismatch_discards_the_download(served, tmp_path):
    base, root = served
    victim = root / "sutd5g" / "Lvl5_AllRRUOn_Anomaly_label.csv"
    victim.write_bytes(victim.read_bytes().replace(b"628416", b"628417", 1))
    target = tmp_path / "cache"
    with pytest.raises(DataError, match="SHA-256 mismatch") as err:
        fetch("sutd5g", target, mirror=base)
    assert "Lvl5_AllRRUOn" in err.value.path
    assert not (target / "sutd5g" / "Lvl5_AllRRUOn_Anomaly_label.csv").exists()
    assert not list((target / "sutd5g").glob("*.part"))


def test_fetch_from_file_url(data_dir, tmp_path):
    paths = fetch("umn-mmwave", tmp_path, mirror=data_dir.resolve().as_uri())
    assert {p.name for p in paths} == {"s20_verizon_nsahigh_all.csv", "mn-vz-hb_combined.csv"}
    assert len(load_dataset("umn-mmwave", tmp_path, file="combined")) == 17_060


def test_offline_is_one_clear_line(tmp_path):
    with pytest.raises(DataError) as err:
        fetch("ucc5g", tmp_path, mirror=f"http://127.0.0.1:{_closed_port()}", timeout=5)
    message = str(err.value)
    assert "\n" not in message
    assert "download failed" in message and "offline" in message
    assert not (tmp_path / "ucc5g" / "5G-production-dataset.zip").exists()


def test_http_404(served, tmp_path):
    base, _ = served
    with pytest.raises(DataError, match="HTTP 404"):
        fetch("ucc5g", tmp_path, mirror=base)


def test_no_public_download_and_unknown_name(tmp_path):
    for name in NO_DOWNLOAD:
        with pytest.raises(DataError, match=r"no public mirror|nothing to download"):
            fetch(name, tmp_path)
    with pytest.raises(UnknownNameError):
        fetch("nope", tmp_path)
