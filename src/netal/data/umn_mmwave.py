"""Verizon mmWave (NSA high-band) measurements in Minneapolis (SIGCOMM 2021 artifact).

Narayanan et al., "A variegated look at 5G in the wild: performance, power, and
QoE implications", ACM SIGCOMM 2021 (same group and city as Lumos5G).  Two files:

* ``s20_verizon_nsahigh_all.csv`` (``file="s20"``): walking tests, uplink and
  downlink rows; filter on ``direction`` (downlink by default), target ``Throughput``.
* ``mn-vz-hb_combined.csv`` (``file="combined"``): throughput with NR/LTE signal
  and power, target ``downlink_Mbps``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netal.data._io import parse_times, read_bytes, read_csv_strict
from netal.data.base import DATASETS, Dataset, DatasetLoader, check_choice
from netal.errors import DataError


@dataclass(frozen=True)
class _UMNFile:
    filename: str
    target: str
    features: tuple[str, ...]
    numeric: tuple[str, ...]
    time: str
    time_is_datetime: bool
    units: dict[str, str]


_SIGNAL_UNITS = {
    "nr_ssRsrp": "dBm",
    "nr_ssSinr": "dB",
    "nrStatus": "CONNECTED / NOT_RESTRICTED / NONE",
}

UMN_FILES: dict[str, _UMNFile] = {
    "s20": _UMNFile(
        filename="s20_verizon_nsahigh_all.csv",
        target="Throughput",
        features=("rsrp", "rsrp_avg", "nr_ssRsrp", "nr_ssRsrp_avg", "nr_ssSinr", "nr_ssSinr_avg"),
        numeric=(
            "Throughput",
            "downlink_mbps",
            "uplink_mbps",
            "rsrp",
            "rsrp_avg",
            "nr_ssRsrp",
            "nr_ssRsrp_avg",
            "nr_ssSinr",
            "nr_ssSinr_avg",
            "sw_power",
            "avg_power",
        ),
        time="timestamp",
        time_is_datetime=True,
        units={
            **_SIGNAL_UNITS,
            "Throughput": "Mbit/s (of the test's direction)",
            "downlink_mbps": "Mbit/s",
            "uplink_mbps": "Mbit/s",
            "rsrp": "dBm (LTE)",
            "rsrp_avg": "dBm (LTE, averaged)",
            "nr_ssRsrp_avg": "dBm (averaged)",
            "nr_ssSinr_avg": "dB (averaged)",
            "sw_power": "mW (software-measured)",
            "avg_power": "mW",
            "timestamp": "local time",
        },
    ),
    "combined": _UMNFile(
        filename="mn-vz-hb_combined.csv",
        target="downlink_Mbps",
        features=("LTE_RSRP", "nr_ssRsrp", "nr_ssSinr"),
        numeric=(
            "Timestamp",
            "LTE_RSRP",
            "nr_ssRsrp",
            "nr_ssSinr",
            "downlink_Mbps",
            "uplink_Mbps",
            "software_power",
            "hardware_power",
            "hardware_power_full",
        ),
        time="Timestamp",
        time_is_datetime=False,
        units={
            **_SIGNAL_UNITS,
            "Timestamp": "s since the start of the test",
            "LTE_RSRP": "dBm",
            "downlink_Mbps": "Mbit/s",
            "uplink_Mbps": "Mbit/s",
            "software_power": "mW",
            "hardware_power": "mW",
            "hardware_power_full": "mW",
        },
    ),
}
UMN_FILE_ALIASES: dict[str, str] = {
    **{key: key for key in UMN_FILES},
    **{spec.filename: key for key, spec in UMN_FILES.items()},
}
_DIRECTIONS = ("downlink", "uplink", "all")


@DATASETS.register("umn-mmwave")
class UMNmmWave(DatasetLoader):
    """Loader of the two Minneapolis Verizon mmWave files."""

    name = "umn-mmwave"
    description = (
        "Verizon mmWave walking tests, Minneapolis (SIGCOMM 2021): file=s20 (default) or combined"
    )
    folder = "umn-mmwave"
    task = "regression"

    def locate(self, data_dir: Path, file: str | None = None, **_: Any) -> list[Path]:
        """The chosen file (default: both) in ``data_dir/umn-mmwave`` (or ``data_dir``)."""
        if file is None:
            return self._find(data_dir, [spec.filename for spec in UMN_FILES.values()])
        check_choice(file, "file", list(UMN_FILE_ALIASES))
        return self._find(data_dir, [UMN_FILES[UMN_FILE_ALIASES[file]].filename])

    def load(self, data_dir: Path, *, file: str = "s20", direction: str = "downlink") -> Dataset:
        """Read one of the two files.

        Parameters
        ----------
        data_dir
            Data directory holding ``umn-mmwave/``.
        file
            ``"s20"`` (``s20_verizon_nsahigh_all.csv``) or ``"combined"``
            (``mn-vz-hb_combined.csv``); the file names are accepted too.
        direction
            For ``s20`` only: keep ``"downlink"`` rows (default, 2,636), ``"uplink"``
            rows, or ``"all"`` (8,056).  The target ``Throughput`` is the
            throughput of the row's own direction.
        """
        check_choice(direction, "direction", _DIRECTIONS)
        source = self.locate(data_dir, file=file)[0]
        spec = UMN_FILES[UMN_FILE_ALIASES[file]]
        label = str(source)
        required = (*spec.numeric, spec.time, "nrStatus") + (
            ("direction",) if spec.time_is_datetime else ()
        )
        frame = read_csv_strict(read_bytes(source), label, required=required, numeric=spec.numeric)
        if frame.empty:
            raise DataError(label, "has a header but no data rows")
        notes: list[str] = []
        if spec.time_is_datetime:
            frame[spec.time] = parse_times(frame[spec.time], label, spec.time)
            if direction != "all":
                unknown = sorted(set(frame["direction"].dropna()) - {"downlink", "uplink"})
                if unknown:
                    raise DataError(
                        label, f"unknown direction value(s): {', '.join(map(str, unknown))}"
                    )
                keep = (frame["direction"] == direction).to_numpy()
                notes.append(
                    f"kept {int(keep.sum())} {direction} row(s) of {len(frame)} (filter on 'direction')"
                )
                frame = frame.loc[keep].reset_index(drop=True)
        return Dataset(
            frame=frame,
            name=self.name,
            target=spec.target,
            features=list(spec.features),
            categorical=["nrStatus"],
            group=None,
            coords=None,
            time=spec.time,
            units=dict(spec.units),
            task="regression",
            source=label,
            notes=notes,
        )
