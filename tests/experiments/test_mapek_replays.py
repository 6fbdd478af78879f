"""Real logs replayed as closed-loop streams: order, clock, features, change points, no look-ahead.

Every test that reads a dataset uses the ``data_dir`` fixture: it FAILS when the
real data is missing (``NETAL_DATA_DIR``, see tests/conftest.py), it never skips.
The expected change points are recomputed here from the loaders' own frames,
independently of :mod:`netal.experiments.mapek.replays`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from netal.data import Dataset, load_dataset
from netal.errors import DataError, InvalidInputError, UnknownNameError
from netal.experiments.mapek import replays
from netal.experiments.mapek.replays import (
    REPLAYS,
    context_changes,
    replay_clock,
    replay_stream,
)
from netal.mapek import MapekConfig, NetworkStream, run_closed_loop

NAMES = ("ucc5g", "barcelona-lte", "umn-mmwave")
CAP = 4000
"""Rows of the capped replays (the closed-loop runs and the look-ahead check)."""
PERIOD_S = {"ucc5g": 100.0, "barcelona-lte": 12_000.0, "umn-mmwave": 100.0}
"""About 100 rows per period: 1-s replay clock (ucc5g, umn-mmwave), 2-min steps (barcelona-lte)."""


@pytest.fixture(scope="module")
def streams(data_dir) -> dict[str, NetworkStream]:
    """The full replay of each dataset (loaded once per module)."""
    return {name: replay_stream(name, data_dir) for name in NAMES}


def _boundary_times(sizes: list[int], step_s: float, gap_s: float) -> np.ndarray:
    """Replay time of each session's first row: earlier rows times ``step_s``, plus the gaps."""
    first_rows = np.cumsum([0, *sizes[:-1]])
    return first_rows * step_s + np.arange(len(sizes)) * gap_s


# ------------------------------------------------------------------ every replay


def test_registry_names_the_three_replays():
    assert REPLAYS.names() == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_stream_is_time_ordered_finite_and_named(streams, name):
    stream = streams[name]
    assert stream.name == name
    assert stream.times[0] == 0.0
    assert np.all(np.diff(stream.times) > 0)  # one step per row, never two rows at once
    assert np.isfinite(stream.X).all() and not np.isnan(stream.X).any()
    assert np.isfinite(stream.y).all()
    assert len(stream.feature_names) == stream.X.shape[1] == len(set(stream.feature_names))
    changes = stream.changes
    assert len(changes) > 0
    assert changes["time_s"].between(stream.times[0], stream.times[-1]).all()
    # each change lands on the first row under the new condition
    assert np.isin(changes["time_s"], stream.times).all()
    assert changes["time_s"].is_monotonic_increasing and changes["time_s"].is_unique


@pytest.mark.parametrize("name", NAMES)
def test_max_rows_keeps_the_first_rows_in_replay_order(streams, data_dir, name):
    full = streams[name]
    capped = replay_stream(name, data_dir, max_rows=CAP)
    assert len(capped) == CAP
    np.testing.assert_array_equal(capped.times, full.times[:CAP])
    np.testing.assert_array_equal(capped.y, full.y[:CAP])
    inside = full.changes[full.changes["time_s"] <= capped.times[-1]].reset_index(drop=True)
    pd.testing.assert_frame_equal(capped.changes, inside)
    assert len(replay_stream(name, data_dir, max_rows=10**9)) == len(full)


# ------------------------------------------------------------- change points


def test_ucc5g_changes_are_session_boundaries_where_mobility_or_app_flips(streams, data_dir):
    stream = streams["ucc5g"]
    frame = load_dataset("ucc5g", data_dir).frame
    sessions = (
        frame.groupby("session")
        .agg(start=("Timestamp", "min"), rows=("Timestamp", "size"),
             mobility=("mobility", "first"), app=("app", "first"))
        .sort_values("start")
    )  # fmt: skip
    assert sessions["start"].is_unique  # recording order is unambiguous
    starts = _boundary_times(sessions["rows"].tolist(), step_s=1.0, gap_s=10.0)
    context = sessions[["mobility", "app"]].to_numpy()
    flips = np.flatnonzero((context[1:] != context[:-1]).any(axis=1)) + 1
    np.testing.assert_array_equal(stream.changes["time_s"], starts[flips])
    assert len(stream) == len(frame) == 188_711 and len(flips) == 29
    first = stream.changes.iloc[0]
    assert first["kind"] == "mobility"
    assert first["description"].startswith("mobility: Driving -> Static")
    assert "Netflix/Static/animated-RickandMorty/B_2019.11.23_14.30.10" in first["description"]
    session_index = np.repeat(np.arange(len(sessions)), sessions["rows"].to_numpy())
    # 1 s per row, 10 s more per new session
    expected = np.arange(len(frame)) * 1.0 + 10.0 * session_index
    np.testing.assert_array_equal(stream.times, expected)
    names = set(stream.feature_names)
    assert {"mobility_Driving", "mobility_Static", "Speed", "RSRP"} <= names
    assert not any(n.startswith(("State", "app", "DL_bitrate", "UL_bitrate")) for n in names)


def test_ucc5g_change_on_and_app_feature_options(data_dir):
    stream = replay_stream("ucc5g", data_dir, change_on=("mobility",), app_feature=True, gap_s=0.0)
    assert set(stream.changes["kind"]) == {"mobility"} and len(stream.changes) == 26
    assert {"app_Download", "app_Netflix", "app_Amazon_Prime"} <= set(stream.feature_names)
    np.testing.assert_array_equal(stream.times, np.arange(len(stream), dtype=float))


def test_barcelona_changes_are_station_switches_and_rest_days(streams, data_dir):
    stream = streams["barcelona-lte"]
    frame = load_dataset("barcelona-lte", data_dir, split="all").frame
    order = frame.groupby("station")["time"].min().sort_values().index.tolist()
    assert order == ["PobleSec", "ElBorn", "LesCorts"]
    frame = pd.concat([frame[frame["station"] == s].sort_values("time") for s in order])
    assert (frame.groupby("station")["time"].diff().dropna() == pd.Timedelta(minutes=2)).all()
    station_rows = frame["station"].value_counts()[order].tolist()
    times = np.arange(len(frame)) * 120.0 + np.repeat(np.arange(3) * 120.0, station_rows)
    np.testing.assert_array_equal(stream.times, times)
    stamps = frame["time"].reset_index(drop=True)
    holidays = stamps.dt.strftime("%Y-%m-%d").isin(["2018-03-30", "2018-04-02"])
    rest = (stamps.dt.dayofweek >= 5) | holidays
    station = frame["station"].reset_index(drop=True)
    flipped = (rest != rest.shift()) | (station != station.shift())
    flips = np.flatnonzero(flipped.to_numpy()[1:]) + 1
    np.testing.assert_array_equal(stream.changes["time_s"], times[flips])
    recorded = stamps.iloc[flips].dt.strftime("%Y-%m-%d %H:%M").tolist()
    assert "2018-03-30 00:00" in recorded and "2018-04-03 00:00" in recorded  # Easter holidays
    assert "2018-03-31 00:00" not in recorded  # Saturday after Good Friday: still rest
    assert stream.changes["kind"].tolist().count("station") == 1  # PobleSec -> ElBorn
    assert "station+day" in set(stream.changes["kind"])  # ElBorn (Wednesday) -> LesCorts (Saturday)


def test_barcelona_features_are_the_previous_step(streams):
    stream = streams["barcelona-lte"]
    names = list(stream.feature_names)
    assert "down_lag1" in names and "hour_sin" in names
    assert not {"down", "rb_down", "mcs_down", "up"} & set(names)  # same-step KPIs would leak
    assert not any(n.startswith(("station", "day")) for n in names)
    lag = stream.X[:, names.index("down_lag1")]
    same_station = np.diff(stream.times) == 120.0  # rows of one station
    np.testing.assert_array_equal(lag[1:][same_station], stream.y[:-1][same_station])
    assert stream.X[0, names.index("down_lag1__missing")] == 1.0


def test_umn_changes_are_direction_switches(streams, data_dir):
    stream = streams["umn-mmwave"]
    frame = load_dataset("umn-mmwave", data_dir, direction="all").frame
    frame = frame.sort_values("timestamp", kind="stable").reset_index(drop=True)
    direction = frame["direction"]
    flips = np.flatnonzero((direction != direction.shift()).to_numpy()[1:]) + 1
    assert len(stream) == 8056 and len(flips) == 5
    assert set(stream.changes["kind"]) == {"direction"}
    assert stream.changes["description"].str.contains("recorded").all()
    flip_times = stream.times[flips]
    np.testing.assert_array_equal(stream.changes["time_s"], flip_times)
    np.testing.assert_array_equal(stream.y, frame["Throughput"].to_numpy(dtype=float))
    names = set(stream.feature_names)
    assert "nr_ssSinr" in names and not any("mbps" in n or "power" in n for n in names)
    assert not any(n.startswith("direction") for n in names)


def test_umn_one_direction_has_no_documented_changes(data_dir):
    stream = replay_stream("umn-mmwave", data_dir, direction="downlink")
    assert len(stream) == 2636
    assert stream.changes.empty
    assert list(stream.changes.columns) == ["time_s", "kind", "description"]


# -------------------------------------------------------------- no look-ahead

_RECORDED_TIME = {"ucc5g": "Timestamp", "barcelona-lte": "time", "umn-mmwave": "timestamp"}


def _altered_loader(change_future: bool):
    """``load_dataset`` whose early rows miss a feature and, if asked, whose later rows are changed.

    The three replays are in recorded-time order (sessions and stations do not
    overlap), so "recorded later" is "later in the replay".
    """
    original = load_dataset

    def load(name: str, data_dir: object = None, **options: object) -> Dataset:
        dataset = original(name, data_dir, **options)
        frame = dataset.frame.copy()
        when = frame[_RECORDED_TIME[name]]
        early = when <= when.sort_values().iloc[50]
        frame.loc[early, dataset.features[0]] = np.nan  # imputed from the first part's median
        if change_future:
            future = when > when.sort_values().iloc[2 * CAP // 3]
            columns = [*dataset.features, dataset.target]
            frame.loc[future, columns] = frame.loc[future, columns] * 3.0 + 7.0
        dataset.frame = frame
        return dataset

    return load


@pytest.mark.parametrize("name", NAMES)
def test_imputation_uses_only_the_first_part_of_the_stream(monkeypatch, data_dir, name):
    monkeypatch.setattr(replays, "load_dataset", _altered_loader(change_future=False))
    before = replay_stream(name, data_dir, max_rows=CAP)
    monkeypatch.setattr(replays, "load_dataset", _altered_loader(change_future=True))
    after = replay_stream(name, data_dir, max_rows=CAP)
    assert before.feature_names == after.feature_names
    imputed = [i for i, n in enumerate(before.feature_names) if n.endswith("__missing")]
    assert before.X[:40, imputed].sum() > 0  # the early rows were imputed
    first = int(replays.REFERENCE_SHARE * CAP)
    np.testing.assert_array_equal(after.X[:first], before.X[:first])
    assert not np.array_equal(after.X, before.X)  # the later rows did change


# ------------------------------------------------------------------ closed loop


@pytest.mark.parametrize("name", NAMES)
def test_closed_loop_runs_on_the_replay(data_dir, name):
    stream = replay_stream(name, data_dir, max_rows=CAP)
    config = MapekConfig(period_s=PERIOD_S[name], label_budget=300, n_members=5)
    result = run_closed_loop(stream, "netal", config)
    periods = result.periods
    assert len(periods) > 30
    assert 50 <= periods["n_rows"].median() <= 200
    warm_rows = int(sum(len(r) for r in stream.periods(config.period_s)[: config.warmup_periods]))
    assert periods["n_rows"].sum() + warm_rows == len(stream)
    assert periods["labels"].iloc[-1] <= 300
    assert np.isfinite(periods["mae"]).all()


# ----------------------------------------------------------------------- errors


def test_unknown_replay_lists_the_known_ones():
    with pytest.raises(UnknownNameError) as error:
        replay_stream("lumos5g")
    for name in NAMES:
        assert name in str(error.value)


@pytest.mark.parametrize(
    ("name", "missing"),
    [
        ("ucc5g", "5G-production-dataset.zip"),
        ("barcelona-lte", "ElBorn.csv"),
        ("umn-mmwave", "s20_verizon_nsahigh_all.csv"),
    ],
)
def test_missing_file_is_named(tmp_path, name, missing):
    with pytest.raises(DataError, match=missing):
        replay_stream(name, tmp_path)


@pytest.mark.parametrize(
    ("name", "options", "parameter"),
    [
        ("ucc5g", {"max_rows": 0}, "max_rows"),
        ("ucc5g", {"change_on": ("speed",)}, "change_on"),
        ("ucc5g", {"gap_s": -1.0}, "gap_s"),
        ("barcelona-lte", {"lags": (0,)}, "lags"),
        ("barcelona-lte", {"reference_share": 0.0}, "reference_share"),
        ("umn-mmwave", {"step_s": 0.0}, "step_s"),
        ("umn-mmwave", {"run_gap_s": float("nan")}, "run_gap_s"),
    ],
)
def test_bad_options_are_named_before_any_file_is_read(tmp_path, name, options, parameter):
    # tmp_path holds no data: the option is checked before any file is looked for
    with pytest.raises(InvalidInputError) as error:
        replay_stream(name, tmp_path, **options)
    assert error.value.parameter == parameter


# ------------------------------------------------------------------ the helpers


def test_replay_clock_steps_rows_and_adds_a_gap_per_new_session():
    times = replay_clock(["a", "a", "b", "b", "b", "a"], step_s=2.0, gap_s=5.0)
    np.testing.assert_array_equal(times, [0.0, 2.0, 9.0, 11.0, 13.0, 20.0])
    assert replay_clock([], step_s=1.0, gap_s=1.0).size == 0


def test_context_changes_name_every_column_that_changed():
    context = pd.DataFrame({"mobility": ["D", "D", "S", "S"], "app": ["N", "N", "A", "N"]})
    recorded = pd.Series(pd.date_range("2020-01-01", periods=4, freq="h"))
    changes = context_changes(np.arange(4.0) * 10, context, recorded, pd.Series(list("xxyz")))
    assert changes["time_s"].tolist() == [20.0, 30.0]
    assert changes["kind"].tolist() == ["mobility+app", "app"]
    assert changes["description"].iloc[0].startswith("mobility: D -> S; app: N -> A (session y")


def test_a_user_table_replays_by_session_then_time(tmp_path):
    from netal.data import load_dataset
    from netal.experiments.mapek.table_replay import table_replay

    (tmp_path / "b.csv").write_text(
        "t,x,mode,y\n2021-01-02 00:00:02,1,walk,1\n2021-01-02 00:00:01,2,walk,2\n"
        "2021-01-02 00:00:03,3,car,3\n"
    )
    (tmp_path / "a.csv").write_text(
        "t,x,mode,y\n2021-01-01 00:00:01,4,car,4\n2021-01-01 00:00:02,5,car,5\n"
    )
    table = load_dataset("csv", path=str(tmp_path), target="y", time="t", leak_threshold=1.0)
    stream = table_replay(table, change_on=("mode",), step_s=1.0, gap_s=10.0)
    # a.csv starts first; inside b.csv rows go by time
    assert stream.y.tolist() == [4.0, 5.0, 2.0, 1.0, 3.0]
    assert stream.times.tolist() == [0.0, 1.0, 12.0, 13.0, 14.0]
    assert stream.changes["time_s"].tolist() == [12.0, 14.0]
    assert set(stream.changes["kind"]) == {"mode"}
    with pytest.raises(InvalidInputError, match="change_on"):
        table_replay(table, change_on=("colour",))
