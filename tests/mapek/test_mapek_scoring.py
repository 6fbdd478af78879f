"""Detection scoring: hits, delays, misses, false alarms per stable hour, F1."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from netal.errors import InvalidInputError
from netal.mapek.scoring import detection_score, error_summary


def test_hits_misses_repeats_and_false_alarms():
    changes = np.array([1000.0, 5000.0, 9000.0])
    alarms = np.array([300.0, 1200.0, 1500.0, 5400.0, 7000.0])
    score = detection_score(alarms, changes, tolerance_s=1000, start_s=0, end_s=10_000)
    assert (score.changes, score.detected, score.missed) == (3, 2, 1)
    assert score.true_alarms == 2
    assert score.false_alarms == 2  # 300 and 7000; 1500 repeats the detection of 1000
    assert score.mean_delay_s == pytest.approx((200 + 400) / 2)
    stable_hours = (10_000 - 3 * 1000) / 3600
    assert score.false_alarms_per_stable_hour == pytest.approx(2 / stable_hours)
    assert score.precision == pytest.approx(0.5)
    assert score.recall == pytest.approx(2 / 3)
    assert score.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_a_window_ends_at_the_next_change_and_outside_changes_are_ignored():
    score = detection_score(
        np.array([1100.0, 1600.0]), np.array([-50.0, 1000.0, 1500.0]),
        tolerance_s=1000, start_s=0, end_s=4000,
    )  # fmt: skip
    assert score.changes == 2 and score.detected == 2 and score.false_alarms == 0
    assert score.f1 == pytest.approx(1.0)


def test_no_changes_no_alarms():
    score = detection_score(np.array([]), np.array([]), tolerance_s=100, start_s=0, end_s=3600)
    assert score.changes == 0 and math.isnan(score.f1) and score.false_alarms_per_stable_hour == 0
    with pytest.raises(InvalidInputError, match="tolerance_s"):
        detection_score(np.array([]), np.array([]), tolerance_s=0, start_s=0, end_s=1)


def test_error_summary_after_changes():
    periods = pd.DataFrame(
        {"time_s": [100.0, 200.0, 300.0, 400.0], "rmse": [1.0, 5.0, 3.0, 1.0],
         "labels": [1, 2, 3, 4], "retrains": [0, 1, 1, 2], "promotions": [0, 0, 1, 1]}
    )  # fmt: skip
    summary = error_summary(periods, np.array([150.0]), after_s=200)
    assert summary["mean_rmse"] == pytest.approx(2.5)
    assert summary["rmse_after_changes"] == pytest.approx(4.0)
    assert summary["labels"] == 4 and summary["retrains"] == 2 and summary["promotions"] == 1
