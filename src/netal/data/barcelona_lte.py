"""LTE traffic of three base stations in Barcelona, 2-minute steps.

Perifanis et al., "Federated learning for 5G base station traffic forecasting",
Computer Networks 2023 (dataset of the Federated-Time-Series-Forecasting
repository): PDCCH-derived downlink/uplink traffic of El Born, Les Corts and
Poble Sec.  The ``_test`` files continue each series in time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from netal.data._multi import choose_names, read_csv_files
from netal.data.base import DATASETS, Dataset, DatasetLoader, check_choice

BARCELONA_STATIONS: tuple[str, ...] = ("ElBorn", "LesCorts", "PobleSec")
BARCELONA_NUMERIC: tuple[str, ...] = (
    "down", "up", "rnti_count", "mcs_down", "mcs_down_var", "mcs_up", "mcs_up_var",
    "rb_down", "rb_down_var", "rb_up", "rb_up_var",
)  # fmt: skip
BARCELONA_UNITS: dict[str, str] = {
    "time": "local time, 2-minute steps",
    "down": "bytes per 2-minute step (downlink)",
    "up": "bytes per 2-minute step (uplink)",
    "rnti_count": "distinct users (RNTIs) per step",
    "mcs_down": "mean downlink MCS index",
    "mcs_down_var": "variance of downlink MCS index",
    "mcs_up": "mean uplink MCS index",
    "mcs_up_var": "variance of uplink MCS index",
    "rb_down": "mean fraction of downlink resource blocks",
    "rb_down_var": "variance of rb_down",
    "rb_up": "mean fraction of uplink resource blocks",
    "rb_up_var": "variance of rb_up",
    "station": "base station",
    "split": "train (earlier) / test (later part of the series)",
}
_SPLITS: dict[str, tuple[str, ...]] = {
    "train": ("train",),
    "test": ("test",),
    "all": ("train", "test"),
}
_SUFFIX = {"train": "", "test": "_test"}


@DATASETS.register("barcelona-lte")
class BarcelonaLTE(DatasetLoader):
    """Loader of the Barcelona LTE traffic series."""

    name = "barcelona-lte"
    description = (
        "LTE traffic of 3 Barcelona base stations, 2-min steps; forecasting target 'down' (bytes)"
    )
    folder = "barcelona-lte"
    task = "forecasting"

    def locate(
        self, data_dir: Path, split: str = "all", stations: Any = None, **_: Any
    ) -> list[Path]:
        """The CSV files of the chosen stations and split (default: all files)."""
        check_choice(split, "split", _SPLITS)
        names = choose_names(stations, "stations", BARCELONA_STATIONS)
        return self._find(data_dir, [f"{s}{_SUFFIX[p]}.csv" for s in names for p in _SPLITS[split]])

    def load(self, data_dir: Path, *, split: str = "train", stations: Any = None) -> Dataset:
        """Read the series of the chosen stations.

        Parameters
        ----------
        data_dir
            Data directory holding ``barcelona-lte/``.
        split
            ``"train"`` (the ``<station>.csv`` files), ``"test"`` (``<station>_test.csv``)
            or ``"all"`` (both, train first, per station; column ``split`` tells them apart).
        stations
            A station name or list of names (default: all three).
        """
        paths = self.locate(data_dir, split=split, stations=stations)
        frame = read_csv_files(
            paths,
            required=("time", *BARCELONA_NUMERIC),
            numeric=BARCELONA_NUMERIC,
            time="time",
            prepare=_tag_station,
        )
        return Dataset(
            frame=frame,
            name=self.name,
            target="down",
            features=[c for c in BARCELONA_NUMERIC if c != "down"],
            categorical=[],
            group="station",
            coords=None,
            time="time",
            units=dict(BARCELONA_UNITS),
            task="forecasting",
            source=", ".join(map(str, paths)),
        )


def _tag_station(frame: pd.DataFrame, path: Path) -> None:
    stem = path.stem
    frame["station"] = stem.removesuffix("_test")
    frame["split"] = "test" if stem.endswith("_test") else "train"
