"""The forecasting study's pieces: no leakage, right metrics, budgets kept, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netal.errors import DataError, InvalidInputError
from netal.experiments.forecast import ForecastStudy, ModelSettings
from netal.experiments.forecast.evaluate import forecast_metrics, t_interval
from netal.experiments.forecast.learn import (
    cell_profiles,
    conformal_quantile,
    evaluate,
    fit_forecaster,
    training_rows,
    window_scores,
)
from netal.experiments.forecast.measure import (
    PLANS,
    affordable_prefix,
    bit_reversed,
    make_windows,
    pick_batch,
    start_windows,
)
from netal.experiments.forecast.series import (
    CellSeries,
    Geometry,
    holdout_origins,
    load_cells,
    measured_scale,
    rows_at,
    time_slots,
    validation_cells,
)
from netal.experiments.forecast.settings import load_forecast

GEOMETRY = Geometry(n_lags=4, horizon=4, window=12, season=48)


def _cell(name: str, n_train: int, n_test: int, seed: int) -> CellSeries:
    rng = np.random.default_rng(seed)
    t = np.arange(n_train + n_test)
    load = 1e8 * (2 + np.sin(2 * np.pi * t / 48)) * rng.lognormal(0, 0.1, size=len(t))
    times = pd.date_range("2018-03-01", periods=len(t), freq="30min").to_numpy()
    return CellSeries(name, load[:n_train], load[n_train:], times[:n_train], times[n_train:])


CELLS = [_cell("a", 240, 60, 0), _cell("b", 180, 60, 1)]


def test_training_rows_use_only_measured_training_steps() -> None:
    windows = make_windows([240, 180], GEOMETRY.window, 30, (1.0, 1.0))
    chosen = np.array([0, 1, 5, 9, 16, 25])  # some adjacent, some isolated, both cells
    masks = windows.mask(chosen, [240, 180])
    X, y, scales, used = training_rows(CELLS, masks, GEOMETRY)
    assert len(X) == len(y) == len(used) > 0
    for c, mask in enumerate(masks):
        steps = used[used[:, 0] == c, 1:]
        assert steps.max() < len(CELLS[c].train)  # never the future
        assert mask[steps].all()  # never an unmeasured step
    # the first row's target is the measured load right after its lags
    first = used[0]
    np.testing.assert_allclose(
        y[0], scales[int(first[0])].forward(CELLS[int(first[0])].train[first[1 + 4 :]])
    )


def test_seasonal_profile_comes_from_measured_training_steps_only() -> None:
    windows = make_windows([240, 180], GEOMETRY.window, 30, (1.0, 1.0))
    chosen = np.array([0, 5, 22])  # a 6-hour window of cell a (twice) and of cell b
    masks = windows.mask(chosen, [240, 180])
    base = cell_profiles(CELLS, masks, GEOMETRY)
    # changing every unmeasured training step and the whole test period changes nothing
    noisy = [
        CellSeries(c.name, np.where(m, c.train, 7e9), c.test * 3, c.train_time, c.test_time)
        for c, m in zip(CELLS, masks, strict=True)
    ]
    for before, after in zip(base, cell_profiles(noisy, masks, GEOMETRY), strict=True):
        np.testing.assert_allclose(before, after)
    # a measured step of the day holds the mean of its measured steps; the rest is interpolated
    z = measured_scale(CELLS[1].train, masks[1]).forward(CELLS[1].train)
    slots = time_slots(CELLS[1].train_time, GEOMETRY.season)
    slot = slots[masks[1]][0]
    assert base[1][slot] == pytest.approx(z[masks[1] & (slots == slot)].mean())
    assert np.isfinite(base[1]).all() and base[1].shape == (GEOMETRY.season,)


@pytest.mark.slow
def test_seasonal_forecaster_trains_on_measured_rows_and_adds_its_profile_back() -> None:
    windows = make_windows([240, 180], GEOMETRY.window, 30, (1.0, 1.0))
    masks = windows.mask(np.arange(0, len(windows), 2), [240, 180])
    mase = {}
    for seasonal in (False, True):
        settings = ModelSettings((16,), 0.1, 5, 30, 0.5, seasonal=seasonal)
        fitted = fit_forecaster(CELLS, masks, GEOMETRY, settings, 0)
        assert (fitted.profiles is not None) == seasonal
        metrics, frame = evaluate(fitted, CELLS, GEOMETRY, 0.9)
        assert (frame["low"] <= frame["mean"]).all() and (frame["mean"] <= frame["high"]).all()
        mase[seasonal] = metrics["mase"].to_numpy()
    # the series is a daily sine: with the profile as its base the short training does far
    # better than the same network learning the season from calendar features (1.0 vs 3.0)
    assert (mase[True] < 0.6 * mase[False]).all()


def test_validation_period_is_the_end_of_training_and_never_the_test_files() -> None:
    held = validation_cells(CELLS, 0.2)
    for before, after in zip(CELLS, held, strict=True):
        assert len(after.train) + len(after.test) == len(before.train)
        np.testing.assert_array_equal(np.r_[after.train, after.test], before.train)
        assert after.test_time.max() < before.test_time.min()
    with pytest.raises(InvalidInputError, match="validation"):
        validation_cells(CELLS, 1.5)


def test_phase_cover_measures_every_phase_of_the_day_before_repeating_one() -> None:
    windows = make_windows([240, 180], 12, 30, (1.0, 1.0))
    assert set(windows.phase) == {0, 1, 2, 3}  # four 6-hour windows a day
    start = start_windows(windows, np.random.default_rng(0))
    order = PLANS.get("phase_cover")(windows, start, np.random.default_rng(3))
    assert set(order[:2]) == set(start)  # every plan starts at the start windows
    for c in (0, 1):
        own = [i for i in order if windows.cell[i] == c]
        assert sorted(windows.phase[own[:4]]) == [0, 1, 2, 3]
        assert sorted(windows.phase[own[4:8]]) == [0, 1, 2, 3]


def test_test_rows_stay_in_the_test_period_and_end_at_its_end() -> None:
    origins = holdout_origins(60, GEOMETRY)
    assert origins.min() >= GEOMETRY.n_lags and origins.max() == 60 - GEOMETRY.horizon
    assert np.all(np.diff(origins) == GEOMETRY.horizon)
    z = np.arange(60.0)
    X, y = rows_at(z, np.zeros((60, 1)), origins, GEOMETRY)
    np.testing.assert_array_equal(X[:, GEOMETRY.n_lags - 1] + 1, y[:, 0])  # lags right before


def test_metrics_on_a_known_case() -> None:
    y = np.array([[10.0, 20.0], [0.0, 40.0]])
    mean = np.array([[12.0, 20.0], [0.0, 30.0]])
    low = np.array([[9.0, 20.0], [1.0, 35.0]])  # 10 in, 20 on the edge (in), 0 below, 40 in
    high = np.array([[11.0, 21.0], [2.0, 40.0]])
    m = forecast_metrics(y, mean, low, high, scale=2.0)
    assert m["coverage"] == pytest.approx(0.75)
    assert m["mae"] == pytest.approx(3.0) and m["mase"] == pytest.approx(1.5)
    assert m["smape"] == pytest.approx((200 * 2 / 22 + 0 + 0 + 200 * 10 / 70) / 4)
    mean_, low_, _ = t_interval(np.array([1.0, 2.0, 3.0]))
    assert mean_ == 2.0 and low_ == pytest.approx(2 - 4.302653 / np.sqrt(3), rel=1e-5)


def test_scale_is_robust_to_outages() -> None:
    load = np.r_[np.full(50, 1e9), np.zeros(5)]
    scale = measured_scale(load, np.ones(55, dtype=bool))
    assert abs(scale.forward(np.array([0.0]))[0]) < 1e4
    np.testing.assert_allclose(scale.inverse(scale.forward(load)), load, rtol=1e-9, atol=1e-3)


def test_plans_and_batches_respect_the_budget() -> None:
    windows = make_windows([240, 180], 12, 30, (1.0, 2.0))
    assert windows.cost[0] == 6.0 and windows.cost[-1] == 12.0
    start = start_windows(windows, np.random.default_rng(0))
    total = windows.cost.sum()
    for name in PLANS.names():
        order = PLANS.get(name)(windows, start, np.random.default_rng(1))
        assert sorted(order) == list(range(len(windows)))
        for budget in (0.1, 0.37, 1.0):
            assert windows.cost[affordable_prefix(order, windows.cost, budget * total)].sum() <= (
                budget * total + 1e-9
            )
    rr = PLANS.get("round_robin")(windows, start, np.random.default_rng(1))
    assert len(set(windows.cell[rr[:2]])) == 2  # cells in turn
    picked = pick_batch(np.array([5.0, 4.0, 1.0]), windows.cost, np.array([0, 25, 1]), 10.0, 3)
    assert list(picked) == [0] and windows.cost[picked].sum() <= 10.0  # 25 costs 12: skipped
    assert list(bit_reversed(8)) == [0, 4, 2, 6, 1, 5, 3, 7]


def test_adaptive_plan_keeps_the_budget_and_learns_from_measured_windows() -> None:
    study = ForecastStudy(
        budgets=(0.2, 0.4), batch=3, baselines=(), model=ModelSettings((16,), 0.1, 5, 5, 0.5)
    )
    out = study._plan(CELLS, "uncertainty", seed=3)
    records, measured = out["records"], out["measured"]
    windows = make_windows([240, 180], 12, 30, (1.0, 1.0))
    total = windows.cost.sum()
    for budget, rows in measured.groupby("budget"):
        assert rows["cost"].sum() <= budget * total + 1e-9
        assert not rows.duplicated(["cell", "start"]).any()
    assert list(records["budget"]) == [0.2, 0.4]
    assert (records["cost"] <= records["budget"] * total + 1e-9).all()
    assert records["n_labels"].is_monotonic_increasing
    assert np.isfinite(records[["mase", "smape", "coverage"]].to_numpy()).all()
    with pytest.raises(InvalidInputError, match="budgets"):
        ForecastStudy(budgets=(0.01,), baselines=())._plan(CELLS, "random", seed=0)


def _write_station(folder, name: str, times: pd.DatetimeIndex, n_train: int) -> None:
    frame = pd.DataFrame({"time": times.strftime("%Y-%m-%d %H:%M:%S")})
    for column in (
        "down",
        "up",
        "rnti_count",
        "mcs_down",
        "mcs_down_var",
        "mcs_up",
        "mcs_up_var",
        "rb_down",
        "rb_down_var",
        "rb_up",
        "rb_up_var",
    ):
        frame[column] = 1.0
    frame.iloc[:n_train].to_csv(folder / f"{name}.csv", index=False)
    frame.iloc[n_train:].to_csv(folder / f"{name}_test.csv", index=False)


def test_a_gap_in_the_time_index_is_one_clear_error(tmp_path) -> None:
    folder = tmp_path / "barcelona-lte"
    folder.mkdir()
    times = pd.date_range("2018-01-01", periods=100, freq="2min")
    _write_station(folder, "ElBorn", times.delete(40), 60)
    with pytest.raises(DataError, match=r"ElBorn.*gap or repeat at 2018-01-01 01:22"):
        load_cells(tmp_path, ("ElBorn",), 10)
    _write_station(folder, "ElBorn", times, 60)
    (cell,) = load_cells(tmp_path, ("ElBorn",), 10)
    assert len(cell.train) == 12 and len(cell.test) == 8  # 60 -> 12 steps, 40 -> 8


def test_settings_refuse_bad_values_in_one_line() -> None:
    with pytest.raises(InvalidInputError, match="budgets"):
        load_forecast(None, {"budgets": (0.2, 1.5)})
    with pytest.raises(InvalidInputError, match=r"window.hours"):
        load_forecast(None, {"window_hours": 1.0})
    with pytest.raises(InvalidInputError, match=r"cell.costs"):
        load_forecast(None, {"cell_costs": (1.0, 2.0)})
    study = load_forecast(None, {"budgets": (0.15, 0.3)}).study()
    assert study.figure_budget == 0.15 and study.geometry().window == 12


def test_uncertainty_is_higher_where_little_was_measured() -> None:
    windows = make_windows([240, 180], GEOMETRY.window, 30, (1.0, 1.0))
    own, other = np.flatnonzero(windows.cell == 0), np.flatnonzero(windows.cell == 1)
    chosen = np.r_[own[:-1], other[:1]]  # cell a: all but one window; cell b: one window
    fitted = fit_forecaster(
        CELLS, windows.mask(chosen, [240, 180]), GEOMETRY, ModelSettings((32,), 0.2, 20, 40), 0
    )
    scores = window_scores(fitted, CELLS, windows, np.r_[own[-1:], other[1:]], GEOMETRY)
    assert scores[0] < scores[1:].min()  # the well-measured cell's gap is the least uncertain


def test_the_example_config_holds_the_defaults() -> None:
    example = Path(__file__).resolve().parents[3] / "examples" / "forecast.toml"
    assert load_forecast(example) == load_forecast(None)


def test_conformal_quantile_grows_with_coverage_and_needs_rows() -> None:
    windows = make_windows([240, 180], GEOMETRY.window, 30, (1.0, 1.0))
    masks = windows.mask(np.arange(len(windows)), [240, 180])
    settings = ModelSettings((16,), 0.1, 10, 10)
    q80 = conformal_quantile(CELLS, masks, GEOMETRY, settings, 0, 0.8)
    q95 = conformal_quantile(CELLS, masks, GEOMETRY, settings, 0, 0.95)
    assert q80 is not None and q95 is not None and 0 < q80 < q95
    assert conformal_quantile(CELLS, masks, GEOMETRY, settings, 0, 0.9, min_rows=10_000) is None
