"""run_stream end to end: prequential metrics, chunking without look-ahead, drift, real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.tree import DecisionTreeRegressor

from netal.data import load_dataset
from netal.errors import InvalidInputError, NonFiniteError
from netal.models import BaggingCommittee
from netal.stream import (
    VariableUncertainty,
    make_budget_manager,
    run_stream,
    stream_from_dataset,
    stream_from_frame,
)
from netal.twin import generate


def _committee(seed: int = 0, estimator=None) -> BaggingCommittee:
    estimator = DecisionTreeRegressor(max_depth=6) if estimator is None else estimator
    return BaggingCommittee(estimator=estimator, n_members=5, random_state=seed)


def _twin_like_frame(n: int, seed: int) -> pd.DataFrame:
    """A small Lumos5G-like table: positions along a street, speed, mode, throughput."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float64)
    walking = (t // 100) % 2 == 0
    speed = np.where(walking, rng.normal(1.4, 0.1, n), rng.normal(8.0, 1.0, n))
    lat = 44.97 + 1e-5 * np.cumsum(speed)
    lon = -93.26 + 1e-3 * np.sin(t / 50.0)
    rsrp = -80.0 - 20.0 * np.sin(t / 70.0) + rng.normal(0, 2, n)
    rsrp[rng.random(n) < 0.05] = np.nan
    tput = 800.0 + 15.0 * (rsrp + 80.0) - 30.0 * speed + rng.normal(0, 50, n)
    tput = np.where(np.isnan(rsrp), 100.0, tput)
    frame = pd.DataFrame(
        {
            "time": t[::-1],  # reversed: arrival order must come from the time column
            "latitude": lat,
            "longitude": lon,
            "movingSpeed": speed,
            "nr_ssRsrp": rsrp,
            "mobility_mode": np.where(walking, "walking", "driving"),
            "Throughput": tput,
        }
    )
    return frame


def _twin_stream(n: int = 900, seed: int = 0):
    frame = _twin_like_frame(n, seed)
    return stream_from_frame(
        frame,
        "Throughput",
        ["latitude", "longitude", "movingSpeed", "nr_ssRsrp"],
        time="time",
        categorical=["mobility_mode"],
        fill_missing=0.0,
    )


def test_stream_from_frame_orders_by_time_and_encodes() -> None:
    data = _twin_stream()
    assert data.X.shape == (900, 4 + 1 + 2)
    assert data.feature_names[-3:] == [
        "nr_ssRsrp_missing",
        "mobility_mode=driving",
        "mobility_mode=walking",
    ]
    assert (np.diff(data.time) >= 0).all()
    assert data.rows[0] == 899
    assert np.isfinite(data.X).all()


def test_missing_features_raise_without_fill() -> None:
    frame = _twin_like_frame(300, 1)
    with pytest.raises(NonFiniteError, match="nr_ssRsrp"):
        stream_from_frame(frame, "Throughput", ["nr_ssRsrp"], time="time")
    with pytest.raises(InvalidInputError, match="nope"):
        stream_from_frame(frame, "Throughput", ["nope"])


@pytest.mark.parametrize("name", ["fixed_rate", "variable_uncertainty", "split"])
def test_run_stream_end_to_end_on_a_twin_like_frame(name: str) -> None:
    data = _twin_stream()
    test = _twin_stream(300, seed=9)
    result = run_stream(
        _committee(),
        data.X,
        data.y,
        make_budget_manager(name, budget=0.1),
        rng=np.random.default_rng(0),
        n_initial=40,
        update="partial",
        update_every=5,
        X_test=test.X,
        y_test=test.y,
        checkpoint_every=200,
    )
    n = len(data) - 40
    assert result.queried.shape == (n,)
    assert (result.labels_used <= 0.1 * np.arange(1, n + 1) + 1e-9).all()
    assert result.labels_used[-1] == result.queried.sum() > 0
    assert result.n_updates == result.queried.sum() // 5
    assert list(result.checkpoints) == [0, 200, 400, 600, 800, n]
    assert np.isfinite(result.test_rmse).all() and np.isfinite(result.sq_error).all()
    assert result.checkpoint_labels[-1] == result.labels_used[-1]
    assert len(result.to_frame()) == n and len(result.checkpoint_frame()) == 6
    # test-then-train: the first prediction comes from the warm-up model only
    warm = _committee().fit(data.X[:40], data.y[:40])
    assert np.isclose(result.prediction[0], warm.predict(data.X[40:41])[0])


def test_run_stream_on_the_twin_output_in_row_order() -> None:
    frame = generate(700, seed=2)
    data = stream_from_frame(
        frame,
        "Throughput",
        ["latitude", "longitude", "movingSpeed", "compassDirection"],
        categorical=["mobility_mode", "trajectory_direction"],
    )
    assert data.time is None and (data.rows == np.arange(700)).all()
    result = run_stream(
        _committee(),
        data.X,
        data.y,
        make_budget_manager("variable_uncertainty", budget=0.05),
        rng=np.random.default_rng(1),
        update="refit",
        update_every=4,
    )
    assert 0 < result.labels_used[-1] <= 0.05 * 650
    assert np.isfinite(result.prediction).all()


def test_chunked_scoring_matches_one_at_a_time() -> None:
    data = _twin_stream(400)
    results = [
        run_stream(
            _committee(),
            data.X,
            data.y,
            make_budget_manager("variable_uncertainty", budget=0.2),
            rng=np.random.default_rng(5),
            n_initial=30,
            update="refit",
            update_every=3,
            chunk_size=chunk,
        )
        for chunk in (1, 97)
    ]
    np.testing.assert_array_equal(results[0].queried, results[1].queried)
    np.testing.assert_allclose(results[0].prediction, results[1].prediction)


def _drifting_stream(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x in [0, 1] for 300 samples; then a new condition appears: 20 % of x in [3, 4]."""
    rng = np.random.default_rng(seed)
    new = np.concatenate([np.zeros(300, dtype=bool), rng.random(300) < 0.2])
    x = np.where(new, rng.uniform(3, 4, 600), rng.uniform(0, 1, 600))
    y = 2.0 * x + np.sin(3.0 * x) + rng.normal(0, 0.1, len(x))
    return x[:, None], y, new


@pytest.mark.parametrize("seed", [0, 1])
def test_variable_uncertainty_queries_where_the_model_is_uncertain(seed: int) -> None:
    """After the drift VU spends its labels on the new, uncertain condition; fixed rate does not."""
    X, y, new = _drifting_stream(seed)
    share_new = {}
    for name in ("fixed_rate", "variable_uncertainty"):
        result = run_stream(
            _committee(seed, LinearRegression()),
            X,
            y,
            make_budget_manager(name, budget=0.1),
            rng=np.random.default_rng(seed),
            n_initial=20,
            update="refit",
            update_every=2,
        )
        assert result.label_rate <= 0.1
        after = result.queried[280:]
        assert after.sum() > 0
        share_new[name] = new[300:][after].mean()
        if name == "variable_uncertainty":
            std = result.uncertainty
            assert std[result.queried].mean() > std.mean()
    assert share_new["variable_uncertainty"] > share_new["fixed_rate"] + 0.1


def test_window_and_bad_arguments() -> None:
    data = _twin_stream(300)
    manager = VariableUncertainty(budget=0.1)
    result = run_stream(
        _committee(), data.X, data.y, manager, rng=np.random.default_rng(0), window=20
    )
    assert result.n_updates == result.queried.sum()
    with pytest.raises(InvalidInputError, match="update"):
        run_stream(_committee(), data.X, data.y, manager, rng=np.random.default_rng(0), update="x")
    with pytest.raises(InvalidInputError, match="n_initial"):
        run_stream(
            _committee(), data.X, data.y, manager, rng=np.random.default_rng(0), n_initial=300
        )
    with pytest.raises(InvalidInputError, match="X_test"):
        run_stream(
            _committee(), data.X, data.y, manager, rng=np.random.default_rng(0), X_test=data.X
        )


@pytest.mark.slow
def test_run_stream_on_ucc5g(data_dir) -> None:
    dataset = load_dataset("ucc5g", data_dir)
    data = stream_from_dataset(dataset, fill_missing=0.0)
    assert (np.diff(data.time.astype("datetime64[s]").astype(np.int64)) >= 0).all()
    X, y = data.X[:3000], data.y[:3000]
    X_test, y_test = data.X[3000:3500], data.y[3000:3500]
    result = run_stream(
        _committee(),
        X,
        y,
        make_budget_manager("split", budget=0.05),
        rng=np.random.default_rng(0),
        n_initial=100,
        update="refit",
        update_every=10,
        X_test=X_test,
        y_test=y_test,
        checkpoint_every=1000,
    )
    assert (result.labels_used <= 0.05 * np.arange(1, 2901) + 1e-9).all()
    assert result.labels_used[-1] >= 0.6 * 0.05 * 2900
    assert np.isfinite(result.test_rmse).all()
    assert result.prequential_rmse() > 0
