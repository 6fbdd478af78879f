"""Loaders reading one CSV per station/scenario (barcelona-lte, sutd5g) on small synthetic files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from netal.data import load_dataset
from netal.data.barcelona_lte import BARCELONA_NUMERIC
from netal.data.sutd5g import SUTD_NUMERIC
from netal.errors import DataError, InvalidInputError


def _barcelona_file(root: Path, name: str, times: list[str]) -> Path:
    folder = root / "barcelona-lte"
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"time": times, **{c: range(len(times)) for c in BARCELONA_NUMERIC}})
    path = folder / name
    frame.to_csv(path, index=False)
    return path


def _sutd_file(root: Path, scenario: str, labels: list[int], times: list[str]) -> Path:
    folder = root / "sutd5g"
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"Time": times, **{c: 0 for c in SUTD_NUMERIC}})
    frame["lab_anom"] = labels
    path = folder / f"{scenario}_Anomaly_label.csv"
    frame.to_csv(path, index=False)
    return path


def test_barcelona_tags_station_and_split_in_file_order(tmp_path: Path) -> None:
    _barcelona_file(tmp_path, "PobleSec.csv", ["2018-03-28 15:56:00", "2018-03-28 15:58:00"])
    _barcelona_file(tmp_path, "PobleSec_test.csv", ["2018-04-28 15:56:00"])
    _barcelona_file(tmp_path, "ElBorn.csv", ["2018-03-28 16:00:00"])
    _barcelona_file(tmp_path, "ElBorn_test.csv", ["2018-04-28 16:00:00"])
    ds = load_dataset("barcelona-lte", tmp_path, split="all", stations=["PobleSec", "ElBorn"])
    frame = ds.frame
    assert list(frame.columns) == ["time", *BARCELONA_NUMERIC, "station", "split"]
    assert frame["station"].tolist() == ["PobleSec"] * 3 + ["ElBorn"] * 2
    assert frame["split"].tolist() == ["train", "train", "test", "train", "test"]
    assert pd.api.types.is_datetime64_any_dtype(frame["time"])
    assert frame.index.tolist() == [0, 1, 2, 3, 4]
    test_only = load_dataset("barcelona-lte", tmp_path, split="test", stations="ElBorn").frame
    assert test_only["time"].tolist() == [pd.Timestamp("2018-04-28 16:00:00")]


def test_barcelona_header_only_file_is_named(tmp_path: Path) -> None:
    path = _barcelona_file(tmp_path, "LesCorts.csv", [])
    with pytest.raises(DataError, match="has a header but no data rows") as info:
        load_dataset("barcelona-lte", tmp_path, stations="LesCorts")
    assert info.value.path == str(path)


def test_barcelona_bad_time_names_line(tmp_path: Path) -> None:
    _barcelona_file(tmp_path, "ElBorn.csv", ["2018-03-28 15:56:00", "soon"])
    with pytest.raises(DataError, match="cannot parse time 'soon'") as info:
        load_dataset("barcelona-lte", tmp_path, stations="ElBorn")
    assert (info.value.line, info.value.column) == (3, "time")


def test_unknown_station_or_scenario(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"stations: must be one of .* got 'Gracia'"):
        load_dataset("barcelona-lte", tmp_path, stations=["ElBorn", "Gracia"])
    with pytest.raises(InvalidInputError, match=r"scenarios: must be one of .* got 'Lvl9'"):
        load_dataset("sutd5g", tmp_path, scenarios="Lvl9")


def test_sutd_label_checked_before_time(tmp_path: Path) -> None:
    path = _sutd_file(tmp_path, "Lvl6_1RRUOn", [0, 2], ["2022-10-04 15:52:22.917", "later"])
    with pytest.raises(DataError, match="label must be 0 or 1") as info:
        load_dataset("sutd5g", tmp_path, scenarios="Lvl6_1RRUOn")
    assert (info.value.path, info.value.line, info.value.column) == (str(path), 3, "lab_anom")


def test_sutd_scenario_column_and_missing_file(tmp_path: Path) -> None:
    _sutd_file(tmp_path, "Lvl5_AllRRUOn", [0, 1], ["2022-10-04 15:52:22.917"] * 2)
    _sutd_file(tmp_path, "Lvl4_AllRRUOn", [1], ["2022-10-04 15:52:23.417"])
    ds = load_dataset("sutd5g", tmp_path, scenarios=["Lvl5_AllRRUOn", "Lvl4_AllRRUOn"])
    assert ds.frame["scenario"].tolist() == ["Lvl5_AllRRUOn"] * 2 + ["Lvl4_AllRRUOn"]
    assert ds.frame["lab_anom"].tolist() == [0, 1, 1]
    with pytest.raises(DataError, match="not found") as info:
        load_dataset("sutd5g", tmp_path)
    assert info.value.path == str(tmp_path / "sutd5g" / "Lvl6_1RRUOn_Anomaly_label.csv")
