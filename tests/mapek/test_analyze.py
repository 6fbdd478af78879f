"""Detectors fire on a step change and stay quiet, at their configured rate, on stationary data."""

from __future__ import annotations

import numpy as np
import pytest

from netal.errors import InvalidInputError, UnknownNameError
from netal.mapek import ERROR_DETECTORS, FEATURE_DETECTORS, AnalyzeConfig


def _first_alarm(name: str, values: np.ndarray, chunk: int = 10) -> int | None:
    detector = ERROR_DETECTORS.create(name, seed=0)
    for start in range(0, len(values), chunk):
        if detector.update(values[start : start + chunk]):
            return start
    return None


@pytest.mark.parametrize("name", ERROR_DETECTORS.names())
def test_error_detectors_catch_a_step_and_ignore_stationary_errors(name):
    delays, false_alarms = [], 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        quiet = np.abs(rng.normal(0.0, 1.0, 1500)) / 0.8  # scaled to mean 1, as the analyzer does
        false_alarms += _first_alarm(name, quiet) is not None
        step = (
            np.concatenate([np.abs(rng.normal(0.0, 1.0, 500)), np.abs(rng.normal(0.0, 2.0, 500))])
            / 0.8
        )
        first = _first_alarm(name, step)
        delays.append(np.inf if first is None or first < 500 else first - 500)
    assert false_alarms <= 2, f"{name}: {false_alarms} of 20 stationary streams raised an alarm"
    caught = np.isfinite(delays)
    assert caught.sum() >= 18, f"{name}: caught {caught.sum()} of 20 steps"
    assert np.median(np.asarray(delays)[caught]) <= 100


@pytest.mark.parametrize("name", FEATURE_DETECTORS.names())
def test_feature_detectors_hold_their_false_alarm_rate_and_see_a_shift(name):
    alpha, trials = 0.05, 60
    rng = np.random.default_rng(1)
    quiet = shifted = 0
    for trial in range(trials):
        detector = FEATURE_DETECTORS.create(name, seed=trial)
        detector.fit(rng.normal(size=(300, 3)))
        quiet += detector.p_value(rng.normal(size=(100, 3))) < alpha
        moved = rng.normal(size=(100, 3))
        moved[:, 1] += 0.8
        shifted += detector.p_value(moved) < alpha
    # binomial(60, 0.05): more than 9 alarms has probability < 0.2 %
    assert quiet <= 9, f"{name}: {quiet} of {trials} stationary periods below alpha {alpha}"
    assert shifted >= 57


def test_analyze_config_names_bad_settings():
    with pytest.raises(UnknownNameError):
        AnalyzeConfig(error_detectors=("cusum?",))
    with pytest.raises(InvalidInputError, match="feature_alpha"):
        AnalyzeConfig(feature_alpha=1.5)
    with pytest.raises(InvalidInputError, match="uncertainty_ratio"):
        AnalyzeConfig(uncertainty_ratio=0.5)
