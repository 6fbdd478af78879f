"""The Lumos5G loader on small files with the exact schema (CSV, zip, Parquet)."""

from __future__ import annotations

import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
from data_helpers import lumos5g_like

from netal.data import load_dataset
from netal.data import lumos5g as lumos_module
from netal.data._io import git_blob_id
from netal.data.lumos5g import Lumos5GMismatchWarning
from netal.errors import DataError
from netal.schemas import LUMOS5G_COLUMNS, LUMOS5G_FEATURES, LUMOS5G_SENTINEL


@pytest.fixture
def lumos_csv(tmp_path):
    frame = lumos5g_like()
    folder = tmp_path / "lumos5g"
    folder.mkdir()
    path = folder / "Lumos5G-v1.0.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_git_blob_id_matches_git_hash_object():
    # values printed by `git hash-object` for an empty file and for "hello\n"
    assert git_blob_id(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    assert git_blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_csv_in_data_dir_loads_with_sentinel_masked_and_warns(lumos_csv):
    path, frame = lumos_csv
    with pytest.warns(Lumos5GMismatchWarning, match="55aa243f"):
        ds = load_dataset("lumos5g", path.parent.parent)
    assert list(ds.frame.columns) == list(LUMOS5G_COLUMNS)
    assert len(ds) == len(frame)
    n_sentinel = int((frame["lte_rssnr"] == LUMOS5G_SENTINEL).sum())
    assert n_sentinel > 0
    assert not (ds.frame["lte_rssnr"] == LUMOS5G_SENTINEL).any()
    assert ds.frame["lte_rssnr"].isna().sum() == n_sentinel
    assert ds.group == "run_num" and ds.coords == ("latitude", "longitude")
    assert {"run_num", "seq_num", "tower_id"}.isdisjoint(ds.features)
    np.testing.assert_allclose(ds.y, frame["Throughput"].to_numpy())


def test_no_warning_when_blob_id_is_the_official_one(lumos_csv, monkeypatch):
    path, _ = lumos_csv
    monkeypatch.setattr(lumos_module, "LUMOS5G_GIT_BLOB_ID", git_blob_id(path.read_bytes()))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = load_dataset("lumos5g", path=path)
    assert not ds.notes or "blob" not in " ".join(ds.notes)


def test_verify_false_skips_the_blob_check(lumos_csv):
    path, _ = lumos_csv
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_dataset("lumos5g", path=path, verify=False)


def test_zip_is_read_like_the_csv(lumos_csv, tmp_path):
    path, _ = lumos_csv
    archive = tmp_path / "Lumos5G-v1.0.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(path, "Lumos5G-v1.0/Lumos5G-v1.0.csv")
        zf.writestr("__MACOSX/Lumos5G-v1.0/._Lumos5G-v1.0.csv", b"\x00\x05junk")
    from_zip = load_dataset("lumos5g", path=archive, verify=False)
    from_csv = load_dataset("lumos5g", path=path, verify=False)
    pd.testing.assert_frame_equal(from_zip.frame, from_csv.frame)


def test_zip_found_in_data_dir(lumos_csv, tmp_path):
    path, _ = lumos_csv
    data_dir = tmp_path / "dd"
    (data_dir / "lumos5g").mkdir(parents=True)
    with zipfile.ZipFile(data_dir / "lumos5g" / "Lumos5G-v1.0.zip", "w") as zf:
        zf.write(path, "Lumos5G-v1.0.csv")
    with pytest.warns(Lumos5GMismatchWarning):
        ds = load_dataset("lumos5g", data_dir)
    assert ds.source.endswith(".zip")


def test_paper_preprocessing_is_faithful(lumos_csv):
    path, frame = lumos_csv
    ds = load_dataset("lumos5g", path=path, verify=False, preprocessing="paper")
    features = ds.frame[ds.features]
    # 12 standardized numeric columns + one-hot of nrStatus (3), mobility_mode (2), trajectory_direction (2)
    assert len(ds.features) == 19
    assert (
        "x_run_num" not in ds.features
        and "x_seq_num" not in ds.features
        and "x_tower_id" not in ds.features
    )
    numeric = features[[f"x_{c}" for c in LUMOS5G_FEATURES]]
    np.testing.assert_allclose(numeric.mean(), 0.0, atol=1e-9)
    np.testing.assert_allclose(numeric.std(ddof=0), 1.0, atol=1e-9)
    # the sentinel is NOT masked: it is standardized like a value (the paper's flaw)
    rssnr = frame["lte_rssnr"].to_numpy()
    expected = (rssnr - rssnr.mean()) / rssnr.std()
    np.testing.assert_allclose(features["x_lte_rssnr"], expected, rtol=1e-9)
    # NaN NR fields imputed with 0 before standardization
    nr = frame["nr_ssRsrp"].fillna(0).to_numpy()
    np.testing.assert_allclose(features["x_nr_ssRsrp"], (nr - nr.mean()) / nr.std(), rtol=1e-9)
    onehot = features[[c for c in ds.features if c.startswith("x_nrStatus_")]]
    np.testing.assert_array_equal(onehot.sum(axis=1), 1.0)
    assert not features.isna().any().any()
    with_run = load_dataset(
        "lumos5g", path=path, verify=False, preprocessing="paper", run_num_feature=True
    )
    assert len(with_run.features) == 20 and "x_run_num" in with_run.features


def test_twin_style_parquet_is_accepted(tmp_path):
    frame = lumos5g_like(seed=3)
    path = tmp_path / "twin.parquet"
    frame.to_parquet(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = load_dataset("lumos5g", path=path)
    assert len(ds) == len(frame)
    assert ds.frame["lte_rssnr"].isna().sum() == int((frame["lte_rssnr"] == LUMOS5G_SENTINEL).sum())


def test_wrong_schema_is_rejected(tmp_path):
    frame = lumos5g_like().drop(columns=["tower_id"]).assign(extra=1)
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(
        DataError, match=r"missing column\(s\): tower_id; unexpected column\(s\): extra"
    ) as err:
        load_dataset("lumos5g", path=path)
    assert err.value.line == 1
    parquet = tmp_path / "bad.parquet"
    frame.to_parquet(parquet)
    with pytest.raises(DataError, match="tower_id"):
        load_dataset("lumos5g", path=parquet)


def test_missing_file_says_where_to_get_it(tmp_path):
    with pytest.raises(DataError, match="ieee-dataport"):
        load_dataset("lumos5g", tmp_path)


def test_bad_preprocessing_name(lumos_csv):
    from netal.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="preprocessing"):
        load_dataset("lumos5g", path=lumos_csv[0], preprocessing="fancy")
