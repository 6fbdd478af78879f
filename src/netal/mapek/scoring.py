"""Scoring a closed loop: how well it detected known changes, and how its error evolved.

Detection (against the known change points of a stream):

* an alarm is a **true alarm** when it is the first alarm in ``[c, c + tolerance]``
  after a change point ``c`` (later alarms in the same window are neither hits nor
  false alarms: they are the same detection repeating);
* the **detection delay** of a change is the time from ``c`` to its true alarm;
  a change without one is **missed**;
* any other alarm is a **false alarm**; false alarms are counted per hour of
  *stable* stream time (outside every ``[c, c + tolerance]`` window);
* precision = true alarms / (true + false alarms), recall = detected / changes,
  F1 their harmonic mean (as in the drift-detection benchmarks of Tziouvaras et
  al. 2025 and Lukats et al. 2025).

Error: the area under the deployed model's per-period RMSE curve (mean RMSE
over periods, i.e. time-normalized) and the mean RMSE in the ``after`` seconds
that follow each change.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from netal.errors import InvalidInputError


@dataclass(frozen=True)
class DetectionScore:
    """Detection quality of one run against known change points."""

    changes: int
    detected: int
    missed: int
    true_alarms: int
    false_alarms: int
    precision: float
    recall: float
    f1: float
    mean_delay_s: float
    false_alarms_per_stable_hour: float

    def to_dict(self) -> dict[str, float]:
        """The fields as a plain dict."""
        return {k: float(v) for k, v in asdict(self).items()}


def detection_score(
    alarm_times: np.ndarray,
    change_times: np.ndarray,
    *,
    tolerance_s: float,
    start_s: float,
    end_s: float,
) -> DetectionScore:
    """Score alarms against change points (see the module docstring).

    Parameters
    ----------
    alarm_times
        Stream times of the alarms (one per alarming period).
    change_times
        Known change points inside ``[start_s, end_s]``.
    tolerance_s
        How long after a change an alarm still counts as detecting it.
    start_s, end_s
        The watched part of the stream (after the warm-up).
    """
    if not (math.isfinite(tolerance_s) and tolerance_s > 0):
        raise InvalidInputError("tolerance_s", f"must be > 0, got {tolerance_s!r}")
    alarms = np.sort(np.asarray(alarm_times, dtype=np.float64))
    changes = np.sort(np.asarray(change_times, dtype=np.float64))
    changes = changes[(changes >= start_s) & (changes <= end_s)]
    used = np.zeros(len(alarms), dtype=bool)
    delays = []
    in_window = np.zeros(len(alarms), dtype=bool)
    for index, change in enumerate(changes):
        stop = change + tolerance_s
        if index + 1 < len(changes):
            stop = min(stop, changes[index + 1])
        window = (alarms >= change) & (alarms < stop)
        in_window |= window
        hits = np.flatnonzero(window & ~used)
        if len(hits):
            used[hits[0]] = True
            delays.append(alarms[hits[0]] - change)
    true_alarms = int(used.sum())
    false_alarms = int((~in_window).sum())
    stable_s = max(0.0, (end_s - start_s) - _covered(changes, tolerance_s, end_s))
    precision = (
        true_alarms / (true_alarms + false_alarms) if true_alarms + false_alarms else math.nan
    )
    recall = len(delays) / len(changes) if len(changes) else math.nan
    f1 = (
        2 * precision * recall / (precision + recall)
        if np.isfinite(precision) and np.isfinite(recall) and precision + recall > 0
        else (0.0 if len(changes) else math.nan)
    )
    return DetectionScore(
        changes=len(changes),
        detected=len(delays),
        missed=len(changes) - len(delays),
        true_alarms=true_alarms,
        false_alarms=false_alarms,
        precision=precision,
        recall=recall,
        f1=f1,
        mean_delay_s=float(np.mean(delays)) if delays else math.nan,
        false_alarms_per_stable_hour=false_alarms / (stable_s / 3600.0)
        if stable_s > 0
        else math.nan,
    )


def _covered(changes: np.ndarray, tolerance_s: float, end_s: float) -> float:
    """Seconds inside the union of the ``[c, c + tolerance]`` windows (clipped at ``end_s``)."""
    total, reach = 0.0, -math.inf
    for change in changes:
        stop = min(change + tolerance_s, end_s)
        start = max(change, reach)
        if stop > start:
            total += stop - start
        reach = max(reach, stop)
    return total


def error_summary(
    periods: pd.DataFrame, change_times: np.ndarray, after_s: float
) -> dict[str, float]:
    """Mean per-period RMSE overall and in the ``after_s`` seconds after the changes."""
    rmse = periods["rmse"].to_numpy(dtype=np.float64)
    times = periods["time_s"].to_numpy(dtype=np.float64)
    after = np.zeros(len(times), dtype=bool)
    for change in np.asarray(change_times, dtype=np.float64):
        after |= (times >= change) & (times < change + after_s)
    return {
        "mean_rmse": float(np.nanmean(rmse)) if len(rmse) else math.nan,
        "rmse_after_changes": float(np.nanmean(rmse[after])) if after.any() else math.nan,
        "labels": float(periods["labels"].iloc[-1]) if len(periods) else 0.0,
        "retrains": float(periods["retrains"].iloc[-1]) if len(periods) else 0.0,
        "promotions": float(periods["promotions"].iloc[-1]) if len(periods) else 0.0,
    }
