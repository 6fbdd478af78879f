"""Splits, sliding windows and the leakage report.

The paper's random split of overlapping windows must leak; group, spatial and
temporal splits with windows made inside each part must not.
"""

from __future__ import annotations

import numpy as np
import pytest
from data_helpers import runs_table

from netal.data import (
    group_split,
    leakage_report,
    make_windows,
    paper_split,
    paper_windows,
    random_split,
    spatial_block_split,
    split_labels,
    temporal_split,
)
from netal.data.splits import EARTH_RADIUS_M, spatial_blocks
from netal.errors import InvalidInputError, ShapeMismatchError

LUMOS_ROWS = 68_118


@pytest.fixture(scope="module")
def table():
    return runs_table(6_000, run_length=300)


def _assert_partition(split, n):
    parts = [split.train, split.test, split.validation]
    joined = np.concatenate(parts)
    assert len(joined) == n and len(np.unique(joined)) == n
    for part in parts:
        assert np.all(np.diff(part) > 0)


def _windows_in_parts(table, split, **kwargs):
    labels = split_labels(len(table), split)
    windows = make_windows(
        table, "y", features=["f0", "f1"], group="run", split_labels=labels, **kwargs
    )
    return windows, windows.select("train"), windows.select("test")


def test_random_split_sizes_and_reproducibility():
    split = random_split(1_000, test_size=0.2, val_size=0.1, random_state=3)
    _assert_partition(split, 1_000)
    assert len(split.test) == 200 and len(split.validation) == 80
    again = random_split(1_000, test_size=0.2, val_size=0.1, random_state=3)
    np.testing.assert_array_equal(split.test, again.test)
    train, test = split
    assert len(train) == 720 and test is split.test


def test_group_split_keeps_groups_whole(table):
    split = group_split(table["run"], test_size=0.25, val_size=0.2, random_state=0)
    _assert_partition(split, len(table))
    runs = table["run"].to_numpy()
    parts = [set(runs[p]) for p in (split.train, split.test, split.validation)]
    assert (
        all(parts)
        and not (parts[0] & parts[1])
        and not (parts[0] & parts[2])
        and not (parts[1] & parts[2])
    )
    assert abs(len(split.test) / len(table) - 0.25) < 0.1


def test_group_split_with_windows_has_no_leakage(table):
    windows, train, test = _windows_in_parts(table, group_split(table["run"], random_state=1))
    assert len(train) and len(test)
    report = leakage_report(train, test)
    assert not report.leaks and report.n_leaky_test_windows == 0 and report.shared_row_share == 0.0
    runs = table["run"].to_numpy()[windows.rows]
    assert (runs == runs[:, :1]).all()  # no window straddles a run boundary


def test_spatial_blocks_have_the_requested_size():
    lat = np.array([45.0, 45.0, 45.0 + 250 / EARTH_RADIUS_M * 180 / np.pi * 1.01])
    lon = np.zeros(3)
    blocks = spatial_blocks(lat, lon, block_size_m=250.0)
    assert blocks[0] == blocks[1] != blocks[2]
    assert len(np.unique(spatial_blocks(lat, lon, block_size_m=1_000.0))) == 1


def test_spatial_split_keeps_blocks_whole_and_does_not_leak(table):
    split = spatial_block_split(
        table["lat"], table["lon"], block_size_m=300.0, test_size=0.3, random_state=2
    )
    _assert_partition(split, len(table))
    blocks = spatial_blocks(table["lat"], table["lon"], 300.0)
    assert not set(blocks[split.train]) & set(blocks[split.test])
    _, train, test = _windows_in_parts(table, split)
    assert len(train) and len(test)
    assert not leakage_report(train, test).leaks


def test_temporal_split_global_and_per_group(table):
    times = table["time"].to_numpy()
    split = temporal_split(times, test_size=0.2, val_size=0.1)
    _assert_partition(split, len(table))
    assert times[split.train].max() < times[split.validation].min()
    assert times[split.validation].max() < times[split.test].min()
    per_run = temporal_split(times, test_size=0.2, groups=table["run"])
    runs = table["run"].to_numpy()
    for run in np.unique(runs):
        in_run = runs == run
        train_t = times[np.intersect1d(per_run.train, np.flatnonzero(in_run))]
        test_t = times[np.intersect1d(per_run.test, np.flatnonzero(in_run))]
        assert len(test_t) == 60 and train_t.max() < test_t.min()
    _, train, test = _windows_in_parts(table, per_run)
    assert len(train) and len(test)
    assert not leakage_report(train, test).leaks


def test_temporal_split_on_row_order_and_datetimes():
    import pandas as pd

    split = temporal_split(n_samples=10, test_size=0.3)
    np.testing.assert_array_equal(split.test, [7, 8, 9])
    stamps = pd.Series(pd.date_range("2024-01-01", periods=10, freq="s")[::-1])
    np.testing.assert_array_equal(temporal_split(stamps, test_size=0.3).test, [0, 1, 2])


def test_windows_content_and_geometry(table):
    windows = make_windows(table, "y", features=["f0", "f1"], input_len=5, horizon=3, group="run")
    assert windows.X.shape[1:] == (5, 2) and windows.y.shape[1] == 3
    # 20 runs of 300 rows: 300 - 8 + 1 windows each
    assert len(windows) == 20 * (300 - 8 + 1)
    i = 1234
    rows = windows.rows[i]
    np.testing.assert_array_equal(rows, np.arange(rows[0], rows[0] + 8))
    np.testing.assert_allclose(windows.X[i], table[["f0", "f1"]].to_numpy()[rows[:5]], rtol=1e-6)
    np.testing.assert_allclose(windows.y[i], table["y"].to_numpy()[rows[5:]], rtol=1e-6)
    strided = make_windows(
        table, "y", features=["f0", "f1"], input_len=5, horizon=3, group="run", stride=10
    )
    assert len(strided) == 20 * 30
    assert set(((strided.start % 300) % 10).tolist()) == {0}


def test_windows_from_arrays_and_short_input():
    X = np.arange(12.0).reshape(6, 2)
    windows = make_windows(X, np.arange(6.0), input_len=2, horizon=2)
    assert len(windows) == 3 and windows.label is None
    assert len(make_windows(X, np.arange(6.0), input_len=4, horizon=4)) == 0
    with pytest.raises(ShapeMismatchError):
        make_windows(X, np.arange(5.0))
    with pytest.raises(InvalidInputError, match="group"):
        make_windows(X, np.arange(6.0), input_len=2, horizon=2, group=[1, 1, None, 2, 2, 2])


def test_paper_windowing_count_on_lumos_size():
    X = np.zeros((LUMOS_ROWS, 1))
    windows = paper_windows(X, np.arange(LUMOS_ROWS, dtype=float))
    assert len(windows) == 68_079
    assert windows.X.shape == (68_079, 20, 1) and windows.y.shape == (68_079, 20)
    np.testing.assert_array_equal(windows.y[0], np.arange(20, 40))


def test_paper_split_counts_reproduce_the_case_study():
    split = paper_split(68_079)
    # CASE-STUDY.md: 9,803 initial labeled windows; the notebook's splits give the rest
    assert split.counts() == {"labeled": 9_803, "pool": 39_214, "validation": 5_446, "test": 13_616}
    everything = np.concatenate([split.labeled, split.pool, split.validation, split.test])
    assert len(np.unique(everything)) == 68_079
    again = paper_split(68_079)
    np.testing.assert_array_equal(split.test, again.test)


def test_paper_split_leaks_massively_on_a_table_with_runs():
    """A synthetic 68,118-row table of 227-row runs, windowed and split as in the paper."""
    table = runs_table(LUMOS_ROWS, run_length=227, n_features=1)
    windows = paper_windows(table[["f0"]], table["y"])
    runs = table["run"].to_numpy()[windows.rows]
    assert (runs != runs[:, :1]).any(axis=1).sum() > 0  # the paper's windows straddle runs
    split = paper_split(len(windows))
    train = windows.rows[np.concatenate([split.labeled, split.pool, split.validation])]
    report = leakage_report(train, windows.rows[split.test])
    assert report.leaky_window_share > 0.99
    assert report.shared_row_share > 0.99
    # even the 9,803 initial labeled windows alone cover most test rows
    assert (
        leakage_report(windows.rows[split.labeled], windows.rows[split.test]).leaky_window_share
        > 0.9
    )
    # the same rows windowed inside a run-wise split do not leak at all
    rigorous = group_split(table["run"], test_size=0.2, random_state=42)
    labels = split_labels(len(table), rigorous)
    clean = make_windows(table, "y", features=["f0"], group="run", split_labels=labels)
    assert leakage_report(clean.select("train"), clean.select("test")).n_shared_rows == 0


def test_leakage_report_counts_by_hand():
    train = np.array([[0, 1, 2], [3, 4, 5]])
    test = np.array([[2, 6, 7], [8, 9, 10], [5, 11, 12]])
    report = leakage_report(train, test)
    assert (report.n_leaky_test_windows, report.n_test_windows) == (2, 3)
    assert (report.n_shared_rows, report.n_test_rows) == (2, 9)
    assert report.leaks and "2/3 test windows" in str(report)
    row_split = leakage_report(np.array([0, 1, 2]), np.array([3, 4]))
    assert not row_split.leaks
    assert report.as_dict()["n_shared_rows"] == 2


def test_split_argument_errors(table):
    with pytest.raises(InvalidInputError, match="test_size"):
        random_split(10, test_size=1.5)
    with pytest.raises(InvalidInputError, match="at least 3 distinct groups"):
        group_split(np.array([0, 0, 1, 1]), val_size=0.1)
    with pytest.raises(InvalidInputError, match="latitude"):
        spatial_block_split(np.array([45.0, np.nan]), np.array([0.0, 0.0]))
    with pytest.raises(InvalidInputError, match="times"):
        temporal_split()
    with pytest.raises(InvalidInputError, match="missing"):
        group_split(np.array([1.0, np.nan, 2.0]))
