"""UCC 5G production dataset (Raca et al., ACM MMSys 2020).

Raca, Leahy, Sreenan, Quinlan, "Beyond throughput, the next generation: a 5G
dataset with channel and context metrics", ACM MMSys 2020.  83 sessions in
Cork, Ireland (5G NSA sub-6 GHz and LTE), driving and static, three apps.  Read
straight from ``5G-production-dataset.zip``; session, mobility and app come from
the member's path ``5G-production-dataset/<app>/<Driving|Static>/[<content>/]<file>.csv``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from netal.data._io import (
    NA_TOKENS,
    mask_sentinel,
    parse_times,
    read_csv_many,
    row_origin,
    zip_csv_members,
)
from netal.data.base import DATASETS, Dataset, DatasetLoader
from netal.errors import DataError

UCC5G_ZIP = "5G-production-dataset.zip"
UCC5G_SENTINEL = 2147483647
UCC5G_COLUMNS: tuple[str, ...] = (
    "Timestamp", "Longitude", "Latitude", "Speed", "Operatorname", "CellID", "NetworkMode", "RSRP", "RSRQ",
    "SNR", "CQI", "RSSI", "DL_bitrate", "UL_bitrate", "State", "PINGAVG", "PINGMIN", "PINGMAX", "PINGSTDEV",
    "PINGLOSS", "CELLHEX", "NODEHEX", "LACHEX", "RAWCELLID", "NRxRSRP", "NRxRSRQ",
)  # fmt: skip
UCC5G_NUMERIC: tuple[str, ...] = (
    "Longitude", "Latitude", "Speed", "CellID", "RSRP", "RSRQ", "SNR", "CQI", "RSSI", "DL_bitrate",
    "UL_bitrate", "PINGAVG", "PINGMIN", "PINGMAX", "PINGSTDEV", "PINGLOSS", "RAWCELLID", "NRxRSRP", "NRxRSRQ",
)  # fmt: skip
UCC5G_STRING: tuple[str, ...] = (
    "Operatorname",
    "NetworkMode",
    "State",
    "CELLHEX",
    "NODEHEX",
    "LACHEX",
)
UCC5G_FEATURES: tuple[str, ...] = (
    "Latitude", "Longitude", "Speed", "RSRP", "RSRQ", "SNR", "CQI", "RSSI", "NRxRSRP", "NRxRSRQ",
)  # fmt: skip
"""Radio and context features (cell ids, the 98 %-missing PING columns and UL_bitrate left out)."""
UCC5G_UNITS: dict[str, str] = {
    "Timestamp": "local time, 1 s resolution (several rows may share a second)",
    "Longitude": "degrees (WGS84)",
    "Latitude": "degrees (WGS84)",
    "Speed": "km/h (GPS)",
    "CellID": "serving cell id",
    "NetworkMode": "radio access technology (LTE, 5G, HSPA+, ...)",
    "RSRP": "dBm",
    "RSRQ": "dB",
    "SNR": "dB",
    "CQI": "channel quality indicator, 0-15",
    "RSSI": "dBm",
    "DL_bitrate": "kbit/s (downlink, current second)",
    "UL_bitrate": "kbit/s (uplink, current second)",
    "State": "D = downloading, I = idle, V/VD = video playback",
    "PINGAVG": "ms",
    "PINGMIN": "ms",
    "PINGMAX": "ms",
    "PINGSTDEV": "ms",
    "PINGLOSS": "%",
    "NRxRSRP": "dBm (neighbouring NR cell)",
    "NRxRSRQ": "dB (neighbouring NR cell)",
    "session": "archive path of the session's CSV, without root folder and extension",
    "app": "Download / Netflix / Amazon_Prime",
    "mobility": "Driving / Static",
    "content": "streamed series, or NaN for Download",
}
_NA = NA_TOKENS | {"-"}
TIMESTAMP_FORMAT = "%Y.%m.%d_%H.%M.%S"


@DATASETS.register("ucc5g")
class UCC5G(DatasetLoader):
    """Loader of the UCC 5G production dataset zip."""

    name = "ucc5g"
    description = (
        "UCC 5G production dataset, Cork (MMSys 2020): 83 sessions, target DL_bitrate (kbit/s)"
    )
    folder = "ucc5g"
    task = "regression"

    def locate(self, data_dir: Path, **_: Any) -> list[Path]:
        """The zip archive in ``data_dir/ucc5g`` (or ``data_dir``)."""
        return self._find(data_dir, [UCC5G_ZIP])

    def load(
        self, data_dir: Path, *, path: str | Path | None = None, mask_sentinels: bool = True
    ) -> Dataset:
        """Read every session CSV of the zip, in archive order of names.

        Parameters
        ----------
        data_dir
            Data directory holding ``ucc5g/5G-production-dataset.zip``.
        path
            Explicit zip path (overrides ``data_dir``).
        mask_sentinels
            Replace the sentinel ``2147483647`` (in ``NRxRSRQ`` and LTE fields) by NaN.
            ``-`` always reads as missing.
        """
        source = Path(path) if path is not None else self.locate(data_dir)[0]
        members = zip_csv_members(source)
        labels = {name: f"{source}:{name}" for name in members}
        contexts = [_path_context(labels[name], name) for name in members]
        frame, sizes = read_csv_many(
            {labels[name]: raw for name, raw in members.items()},
            required=UCC5G_COLUMNS,
            exact=True,
            numeric=UCC5G_NUMERIC,
            infer_numeric=False,
            na_tokens=_NA,
        )
        if (sizes == 0).any():
            raise DataError(
                list(labels.values())[int(np.argmin(sizes))], "has a header but no data rows"
            )
        _parse_timestamps(frame, sizes, list(labels.values()))
        for key in ("session", "app", "mobility", "content"):
            values = pd.Series([c[key] for c in contexts], dtype="str")
            frame[key] = values.iloc[np.repeat(np.arange(len(contexts)), sizes)].to_numpy()
        notes = [f"{len(members)} session CSV(s) read from {source.name}; '-' read as missing"]
        if mask_sentinels:
            masked = mask_sentinel(frame, UCC5G_NUMERIC, UCC5G_SENTINEL)
            notes += [
                f"masked {n} sentinel value(s) {UCC5G_SENTINEL} in {c} as NaN"
                for c, n in masked.items()
            ]
        return Dataset(
            frame=frame,
            name=self.name,
            target="DL_bitrate",
            features=list(UCC5G_FEATURES),
            categorical=["NetworkMode", "State", "mobility", "app"],
            group="session",
            coords=("Latitude", "Longitude"),
            time="Timestamp",
            units=dict(UCC5G_UNITS),
            task="regression",
            source=str(source),
            notes=notes,
        )


def _path_context(label: str, member: str) -> dict[str, str | None]:
    """Session, app, mobility and content from ``<root>/<app>/<mobility>/[<content>/]<file>.csv``."""
    parts = PurePosixPath(member).with_suffix("").parts[1:]  # drop the root folder
    if len(parts) not in (3, 4) or parts[1] not in ("Driving", "Static"):
        raise DataError(
            label,
            "path inside the zip is not <root>/<app>/<Driving|Static>/[<content>/]<session>.csv",
        )
    return {
        "session": "/".join(parts),
        "app": parts[0],
        "mobility": parts[1],
        "content": parts[2] if len(parts) == 4 else None,
    }


def _parse_timestamps(frame: pd.DataFrame, sizes: np.ndarray, labels: list[str]) -> None:
    """Parse ``Timestamp`` of all sessions at once; an error names the session file and its line."""
    raw = frame["Timestamp"]
    parsed = parse_times(raw, "ucc5g", "Timestamp", fmt=TIMESTAMP_FORMAT, raise_errors=False)
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        row = int(bad[0])
        label, line = row_origin(labels, sizes, row)
        raise DataError(
            label, f"cannot parse time {raw.iloc[row]!r}", line=line, column="Timestamp"
        )
    frame["Timestamp"] = parsed
