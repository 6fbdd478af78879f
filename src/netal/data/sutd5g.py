"""Private 5G walk test with manual anomaly labels, SUTD campus (2022).

FCCLab, "SUTD 5G dataset 2023": a 5G standalone testbed measured at 2 Hz while
walking, four scenarios (floor level and number of active radio units); every
sample is labeled as anomalous or not (``lab_anom``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from netal.data._multi import choose_names, read_csv_files
from netal.data.base import DATASETS, Dataset, DatasetLoader
from netal.errors import DataError

SUTD_SCENARIOS: tuple[str, ...] = ("Lvl4_AllRRUOn", "Lvl5_AllRRUOn", "Lvl6_1RRUOn", "Lvl6_AllRRUOn")
SUTD_NUMERIC: tuple[str, ...] = (
    "NR-ARFCN", "PCI", "_oid", "RSRP", "RSRQ", "SINR", "PDSCH_MCS", "PUSCH_MCS", "PDSCH PRBs", "PUSCH PRBs",
    "throughput_DL", "C-RNTI", "Corridor_tag", "lab_anom", "lab_bs", "lab_inf", "lab_1rr", "Label",
)  # fmt: skip
SUTD_FEATURES: tuple[str, ...] = (
    "RSRP", "RSRQ", "SINR", "PDSCH_MCS", "PUSCH_MCS", "PDSCH PRBs", "PUSCH PRBs", "throughput_DL",
)  # fmt: skip
"""Radio features; cell/UE ids and the other label columns (lab_bs, lab_inf, lab_1rr, Label) are left out."""
SUTD_UNITS: dict[str, str] = {
    "Time": "local time, ~2 Hz",
    "NR-ARFCN": "NR absolute radio frequency channel number",
    "PCI": "physical cell id",
    "RSRP": "dBm",
    "RSRQ": "dB",
    "SINR": "dB",
    "PDSCH_MCS": "downlink MCS index",
    "PUSCH_MCS": "uplink MCS index",
    "PDSCH PRBs": "downlink physical resource blocks",
    "PUSCH PRBs": "uplink physical resource blocks",
    "throughput_DL": "bit/s (downlink)",
    "Corridor_tag": "0/1 location tag",
    "lab_anom": "1 = anomalous sample",
    "scenario": "file: floor level and active radio units",
}


@DATASETS.register("sutd5g")
class SUTD5G(DatasetLoader):
    """Loader of the four SUTD private-5G scenario files."""

    name = "sutd5g"
    description = (
        "Private 5G walk test, SUTD (2 Hz, 4 scenarios); anomaly classification target lab_anom"
    )
    folder = "sutd5g"
    task = "classification"

    def locate(self, data_dir: Path, scenarios: Any = None, **_: Any) -> list[Path]:
        """The scenario CSV files."""
        names = choose_names(scenarios, "scenarios", SUTD_SCENARIOS)
        return self._find(data_dir, [f"{s}_Anomaly_label.csv" for s in names])

    def load(self, data_dir: Path, *, scenarios: Any = None) -> Dataset:
        """Read the chosen scenarios (default: all four), scenario as group column."""
        paths = self.locate(data_dir, scenarios=scenarios)
        frame = read_csv_files(
            paths,
            required=("Time", *SUTD_NUMERIC),
            numeric=SUTD_NUMERIC,
            time="Time",
            prepare=_check_and_tag,
        )
        return Dataset(
            frame=frame,
            name=self.name,
            target="lab_anom",
            features=list(SUTD_FEATURES),
            categorical=["Corridor_tag"],
            group="scenario",
            coords=None,
            time="Time",
            units=dict(SUTD_UNITS),
            task="classification",
            source=", ".join(map(str, paths)),
        )


def _check_and_tag(frame: pd.DataFrame, path: Path) -> None:
    """Reject labels other than 0/1 (naming the line), then tag the rows with the scenario."""
    labels = frame["lab_anom"]
    bad = ~labels.isin([0, 1])
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise DataError(
            str(path),
            f"label must be 0 or 1, got {labels.iloc[row]!r}",
            line=row + 2,
            column="lab_anom",
        )
    frame["scenario"] = path.stem.removesuffix("_Anomaly_label")
