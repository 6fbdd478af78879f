"""The Lumos5G-v1.0 column schema (Narayanan et al., IMC 2020).

The digital twin writes exactly these columns, in this order, with these units,
so that anything that runs on the twin runs unchanged on a user's
``Lumos5G-v1.0.csv``.
"""

from __future__ import annotations

LUMOS5G_COLUMNS: tuple[str, ...] = (
    "run_num",
    "seq_num",
    "abstractSignalStr",
    "latitude",
    "longitude",
    "movingSpeed",
    "compassDirection",
    "nrStatus",
    "lte_rssi",
    "lte_rsrp",
    "lte_rsrq",
    "lte_rssnr",
    "nr_ssRsrp",
    "nr_ssRsrq",
    "nr_ssSinr",
    "Throughput",
    "mobility_mode",
    "trajectory_direction",
    "tower_id",
)
"""The 19 columns of Lumos5G-v1.0.csv, left to right (18 features + ``Throughput``)."""

LUMOS5G_UNITS: dict[str, str] = {
    "run_num": "run id",
    "seq_num": "second within run",
    "abstractSignalStr": "Android signal level 0-4",
    "latitude": "degrees (WGS84)",
    "longitude": "degrees (WGS84)",
    "movingSpeed": "m/s",
    "compassDirection": "degrees from north, 0-360",
    "nrStatus": "CONNECTED / NOT_RESTRICTED / NONE",
    "lte_rssi": "dBm",
    "lte_rsrp": "dBm",
    "lte_rsrq": "dB",
    "lte_rssnr": "dB (2147483647 = unavailable)",
    "nr_ssRsrp": "dBm (NaN when not NR-connected)",
    "nr_ssRsrq": "dB",
    "nr_ssSinr": "dB",
    "Throughput": "Mbit/s (downlink)",
    "mobility_mode": "walking / driving",
    "trajectory_direction": "CW / ACW",
    "tower_id": "serving mmWave tower id",
}

LUMOS5G_TARGET = "Throughput"
LUMOS5G_CATEGORICAL: tuple[str, ...] = ("nrStatus", "mobility_mode", "trajectory_direction")
LUMOS5G_SENTINEL = 2147483647
LUMOS5G_GIT_BLOB_ID = "55aa243f1476e3c3bc97ffee8ca88b4e725f0686"
