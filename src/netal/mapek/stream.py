"""What the closed loop watches: a time-ordered stream of network samples, cut into periods.

Features arrive for free (the network logs them); labels cost (a throughput
test, a measurement agent, an annotator).  A :class:`NetworkStream` holds the
whole stream for replay and evaluation; the loop only ever reads the labels it
paid for (:mod:`netal.mapek.loop`), except to score the deployed model for the
report (the evaluator's view, never used by a decision).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from netal._validation import as_float_array
from netal.errors import InvalidInputError, ShapeMismatchError

CHANGE_COLUMNS = ("time_s", "kind", "description")
"""Columns of a stream's known change points (ground truth for detection metrics)."""


def _no_changes() -> pd.DataFrame:
    return pd.DataFrame({"time_s": pd.Series(dtype=float), "kind": [], "description": []})


@dataclass(frozen=True)
class NetworkStream:
    """Time-ordered samples with their (costly) labels and known change points.

    Parameters
    ----------
    name
        What the stream is (``"twin timeline"``, ``"ucc5g"``...).
    times
        Seconds since the stream's start, non-decreasing, ``(n,)``.
    X
        Numeric features, ``(n, d)``, finite.
    y
        Targets, ``(n,)``, finite (the loop pays for each one it reads).
    feature_names
        ``d`` names.
    changes
        Known change points (:data:`CHANGE_COLUMNS`); empty when unknown.
    """

    name: str
    times: np.ndarray
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    changes: pd.DataFrame = field(default_factory=_no_changes)

    def __post_init__(self) -> None:
        times = as_float_array(self.times, "times", ndim=1)
        X = as_float_array(self.X, "X", ndim=2)
        y = as_float_array(self.y, "y", ndim=1)
        if not (len(times) == len(X) == len(y)):
            raise ShapeMismatchError(
                "X", f"times, X and y have {len(times)}, {len(X)} and {len(y)} rows"
            )
        if np.any(np.diff(times) < 0):
            first = int(np.argmax(np.diff(times) < 0)) + 1
            raise InvalidInputError("times", f"must not decrease (row {first} goes back in time)")
        if len(self.feature_names) != X.shape[1]:
            raise ShapeMismatchError(
                "feature_names", f"has {len(self.feature_names)} names for {X.shape[1]} columns"
            )
        changes = pd.DataFrame(self.changes)
        missing = [c for c in CHANGE_COLUMNS if c not in changes.columns]
        if missing:
            raise InvalidInputError("changes", f"missing column(s) {missing}")
        changes = changes[list(CHANGE_COLUMNS)].sort_values("time_s", kind="stable")
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "feature_names", tuple(str(n) for n in self.feature_names))
        object.__setattr__(self, "changes", changes.reset_index(drop=True))

    def __len__(self) -> int:
        return len(self.times)

    @property
    def duration_s(self) -> float:
        """Seconds from the first to the last sample."""
        return float(self.times[-1] - self.times[0]) if len(self) else 0.0

    def periods(self, period_s: float) -> list[np.ndarray]:
        """Row indices of each period of ``period_s`` seconds (empty periods kept, in order)."""
        if not (np.isfinite(period_s) and period_s > 0):
            raise InvalidInputError("period_s", f"must be a positive number, got {period_s!r}")
        index = np.floor((self.times - self.times[0]) / period_s).astype(np.int64)
        n_periods = int(index[-1]) + 1 if len(index) else 0
        bounds = np.searchsorted(index, np.arange(n_periods + 1))
        return [np.arange(bounds[p], bounds[p + 1]) for p in range(n_periods)]
