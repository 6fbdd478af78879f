"""Accuracy, interval coverage, robustness and drift of real learners on synthetic data with known noise."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from netal.errors import InvalidInputError, ShapeMismatchError
from netal.models import MCDropoutMLP
from netal.qoais import (
    INDICATORS,
    accuracy,
    calibration,
    has_intervals,
    interval_coverage,
    robustness,
    scorecard,
)
from netal.transfer.reference import LightGBMReference


def _linear(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, X @ np.array([2.0, -1.0, 0.5]) + noise * rng.normal(size=n)


def test_accuracy_on_known_errors() -> None:
    out = accuracy([0.0, 0.0, 0.0, 0.0], [1.0, -1.0, 3.0, -3.0])
    assert out["rmse"] == pytest.approx(math.sqrt(5.0))
    assert out["mae"] == pytest.approx(2.0)
    assert math.isnan(out["nrmse"])  # constant targets have no spread
    assert accuracy([1.0, 3.0], [1.0, 3.0])["nrmse"] == 0.0


def test_coverage_of_exact_gaussian_intervals_is_the_nominal_level() -> None:
    rng = np.random.default_rng(0)
    n, sigma = 200_000, rng.uniform(0.5, 3.0, size=200_000)
    mean = rng.normal(size=n)
    y = mean + sigma * rng.normal(size=n)
    coverage = interval_coverage(y, mean, sigma, (0.8, 0.9, 0.95))
    for level, value in coverage.items():
        assert value == pytest.approx(level, abs=0.005)
    # intervals half as wide as they should be cover P(|Z| <= z/2)
    narrow = interval_coverage(y, mean, sigma / 2, (0.9,))[0.9]
    expected = 2 * NormalDist().cdf(NormalDist().inv_cdf(0.95) / 2) - 1
    assert narrow == pytest.approx(expected, abs=0.005)


def test_coverage_refuses_bad_levels_and_shapes() -> None:
    with pytest.raises(InvalidInputError, match="levels"):
        interval_coverage([1.0], [1.0], [1.0], (1.5,))
    with pytest.raises(ShapeMismatchError, match="std"):
        interval_coverage([1.0, 2.0], [1.0, 2.0], [1.0], (0.9,))


@pytest.mark.slow
def test_a_heteroscedastic_mlp_is_calibrated_on_known_noise() -> None:
    X, y = _linear(3000, noise=1.0, seed=1)
    learner = MCDropoutMLP(
        hidden=(32,), heteroscedastic=True, epochs=60, n_passes=10, random_state=0
    ).fit(X[:2000], y[:2000])
    out = calibration(learner, X[2000:], y[2000:])
    for level in (80, 90, 95):
        assert out[f"coverage_{level}"] == pytest.approx(level / 100, abs=0.06)
    assert out["calibration_error"] < 0.06


def test_a_model_without_intervals_has_no_coverage() -> None:
    X, y = _linear(200, noise=0.1, seed=2)
    model = LightGBMReference(random_state=0).fit(X, y)
    assert not has_intervals(model)
    out = calibration(model, X, y)
    assert all(math.isnan(v) for v in out.values())


def test_error_grows_with_feature_noise_and_missing_features() -> None:
    X, y = _linear(1500, noise=0.05, seed=3)
    learner = MCDropoutMLP(hidden=(32,), epochs=60, n_passes=5, random_state=0)
    learner.fit(X[:1000], y[:1000])
    out = robustness(learner, X[:1000], X[1000:], y[1000:], seed=0, noise_levels=(0.1, 0.5, 1.0))
    clean = accuracy(y[1000:], learner.predict(X[1000:]))["rmse"]
    assert clean < out["rmse_noise_10"] < out["rmse_noise_50"] < out["rmse_noise_100"]
    assert out["noise_100_rmse_ratio"] == pytest.approx(out["rmse_noise_100"] / clean)
    assert out["missing_20_rmse_ratio"] > 1.5
    # the first feature has the largest weight: losing it is the worst case, worse than 20 % missing
    assert out["rmse_missing_worst_feature"] > out["rmse_missing_20"]


def test_scorecard_measures_every_indicator_and_drift_on_a_shift() -> None:
    X, y = _linear(700, noise=0.1, seed=4)
    learner = MCDropoutMLP(hidden=(16,), epochs=20, n_passes=4, random_state=0)
    shifted_y = y[500:] + 3.0  # the same inputs, a changed mapping
    card = scorecard(
        learner, X[:400], y[:400], X[400:500], y[400:500],
        X_shift=X[500:], y_shift=shifted_y, latency_repeats=10,
    )  # fmt: skip
    assert list(card) == list(INDICATORS)
    assert card["labels_used"] == 400
    assert card["train_time_s"] > 0
    assert card["drift_rmse"] > 2.5 and card["drift_rmse_ratio"] > 1
    assert all(not math.isnan(v) for v in card.values())
    again = scorecard(learner, X[:400], y[:400], X[400:500], y[400:500], fit=False)
    assert math.isnan(again["train_time_s"]) and math.isnan(again["drift_rmse"])
    assert again["rmse"] == pytest.approx(card["rmse"])


def test_scorecard_refuses_mismatched_inputs() -> None:
    X, y = _linear(50, noise=0.1, seed=5)
    learner = MCDropoutMLP(epochs=2)
    with pytest.raises(InvalidInputError, match="X_test"):
        scorecard(learner, X, y, X[:, :2], y)
    with pytest.raises(InvalidInputError, match="y_shift"):
        scorecard(learner, X, y, X, y, X_shift=X)
