"""Every dataset of the real data directory loads with the row counts of its MANIFEST.

These tests use the ``data_dir`` fixture: they FAIL when the data is missing.
"""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest

from netal.data import DATASETS, Dataset, load_dataset
from netal.data._io import zip_csv_members
from netal.data.fetch import SOURCES, checksum_status


def _check_declared(ds: Dataset) -> None:
    for column in ds.features:
        assert pd.api.types.is_numeric_dtype(ds.frame[column]), column
    assert pd.api.types.is_numeric_dtype(ds.frame[ds.target])
    assert ds.target not in ds.features
    json_ready = ds.describe()
    assert json_ready["rows"] == len(ds.frame)
    assert set(json_ready["missing"]) == set(map(str, ds.frame.columns))


def test_real_files_match_published_checksums(data_dir):
    for name in SOURCES:
        status = checksum_status(name, data_dir)
        assert set(status.values()) == {"ok"}, (name, status)


def test_ucc5g_rows_sessions_context_missing_markers_and_sentinel(data_dir):
    ucc = load_dataset("ucc5g", data_dir)  # one load: the zip is the largest file
    assert len(ucc) == 188_711
    frame = ucc.frame
    assert frame["session"].nunique() == 83
    assert set(frame["mobility"]) == {"Driving", "Static"}
    assert set(frame["app"]) == {"Download", "Netflix", "Amazon_Prime"}
    assert not frame["session"].str.contains("__MACOSX").any()
    assert ucc.group == "session" and ucc.coords == ("Latitude", "Longitude")
    assert ucc.units["DL_bitrate"].startswith("kbit/s")
    _check_declared(ucc)
    numeric = frame.select_dtypes("number")
    assert not (numeric == 2147483647).any().any()
    assert frame["NRxRSRQ"].isna().sum() > 0
    ping_missing = frame["PINGAVG"].isna().mean()
    assert 0.95 < ping_missing < 1.0  # '-' read as missing (98 % per MANIFEST)
    assert pd.api.types.is_datetime64_any_dtype(frame["Timestamp"])
    assert frame["DL_bitrate"].median() == pytest.approx(2.0)  # MANIFEST: median 2 kbit/s


def test_ucc5g_keeps_sentinel_when_asked(data_dir, tmp_path):
    members = zip_csv_members(data_dir / "ucc5g" / "5G-production-dataset.zip")
    name, raw = next((n, r) for n, r in members.items() if b",2147483647" in r)
    archive = tmp_path / "one-session.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(name, raw)
    kept = load_dataset("ucc5g", path=archive, mask_sentinels=False).frame["NRxRSRQ"]
    masked = load_dataset("ucc5g", path=archive).frame["NRxRSRQ"]
    n_sentinel = int((kept == 2147483647).sum())
    assert n_sentinel > 0
    assert masked.isna().sum() == kept.isna().sum() + n_sentinel


def test_umn_s20_downlink_by_default(data_dir):
    down = load_dataset("umn-mmwave", data_dir)
    assert len(down) == 2_636
    assert set(down.frame["direction"]) == {"downlink"}
    assert down.frame["Throughput"].max() == pytest.approx(2810.0)
    every = load_dataset("umn-mmwave", data_dir, direction="all")
    assert len(every) == 8_056
    up = load_dataset("umn-mmwave", data_dir, direction="uplink")
    assert len(up) + len(down) == len(every)
    _check_declared(down)


def test_umn_combined_file(data_dir):
    combined = load_dataset("umn-mmwave", data_dir, file="combined")
    assert len(combined) == 17_060
    assert combined.target == "downlink_Mbps"
    same = load_dataset("umn-mmwave", data_dir, file="mn-vz-hb_combined.csv")
    assert len(same) == len(combined)
    _check_declared(combined)


@pytest.mark.parametrize(
    ("split", "counts"),
    [
        ("train", {"ElBorn": 4_192, "LesCorts": 6_892, "PobleSec": 15_927}),
        ("test", {"ElBorn": 1_049, "LesCorts": 1_723, "PobleSec": 3_982}),
    ],
)
def test_barcelona_counts_per_station(data_dir, split, counts):
    ds = load_dataset("barcelona-lte", data_dir, split=split)
    assert ds.frame.groupby("station").size().to_dict() == counts
    assert ds.task == "forecasting" and ds.target == "down" and ds.group == "station"
    steps = ds.frame.groupby("station")["time"].diff().dropna()
    assert (steps == pd.Timedelta(minutes=2)).all()
    _check_declared(ds)


def test_barcelona_test_part_follows_train_part(data_dir):
    ds = load_dataset("barcelona-lte", data_dir, split="all")
    frame = ds.frame
    for _, station in frame.groupby("station"):
        assert (
            station.loc[station["split"] == "train", "time"].max()
            < station.loc[station["split"] == "test", "time"].min()
        )


def test_sutd5g_counts_per_scenario(data_dir):
    ds = load_dataset("sutd5g", data_dir)
    counts = ds.frame.groupby("scenario").size().to_dict()
    assert counts == {
        "Lvl4_AllRRUOn": 2_327,
        "Lvl5_AllRRUOn": 2_031,
        "Lvl6_1RRUOn": 2_156,
        "Lvl6_AllRRUOn": 2_222,
    }
    assert ds.task == "classification"
    assert set(np.unique(ds.y)) == {0.0, 1.0}
    assert not {"Label", "lab_bs", "lab_inf", "lab_1rr"} & set(ds.features)
    _check_declared(ds)


def test_data_dir_from_environment(data_dir, monkeypatch):
    monkeypatch.setenv("NETAL_DATA_DIR", str(data_dir))
    assert len(load_dataset("sutd5g", scenarios="Lvl5_AllRRUOn")) == 2_031


def test_registry_names():
    assert DATASETS.names() == ["barcelona-lte", "csv", "lumos5g", "sutd5g", "ucc5g", "umn-mmwave"]
