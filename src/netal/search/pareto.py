"""The Pareto front of a search, its hypervolume at a fixed reference point, and the pick per tier.

Every objective is minimized.  The hypervolume is computed on normalized
objectives, so that it does not depend on the target's unit or on whether
latency is counted in ms or s:

==============  ==========================================================  ==========
objective       normalized as                                               reference
==============  ==========================================================  ==========
``rmse``        validation RMSE / RMSE of the training mean on the same     1.0
                validation rows (1.0: no better than predicting the mean)
``params``      log10(parameter count)                                      7.0 (10 M)
``latency_ms``  log10(p99 latency per row at batch 1 in microseconds)       5.0 (100 ms)
==============  ==========================================================  ==========

Points beyond the reference point add nothing.  The volume is computed with
Optuna's WFG implementation (While, Bradstreet and Barone, "A Fast Way of
Calculating Exact Hypervolumes", IEEE TEC 2012); Zitzler and Thiele, PPSN
1998, introduced the measure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from netal.errors import InvalidInputError
from netal.search.tiers import Tier

OBJECTIVES: tuple[str, ...] = ("rmse", "params", "latency_ms")
"""The objectives of a search, all minimized (a search may use the first two only)."""

REFERENCE_POINT: dict[str, float] = {"rmse": 1.0, "params": 7.0, "latency_ms": 5.0}
"""The hypervolume's reference point in normalized units (see the module docstring)."""


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Mask of the rows of ``points`` (``(n, m)``, minimized) that no other row dominates.

    A row dominates another when it is no worse in every objective and better
    in at least one; equal rows do not dominate each other (both are kept).
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2:
        raise InvalidInputError("points", f"must be 2-D, got shape {points.shape}")
    no_worse = np.all(points[:, None, :] <= points[None, :, :], axis=2)  # [i, j]: i <= j
    better = np.any(points[:, None, :] < points[None, :, :], axis=2)
    dominated_by = no_worse & better  # [i, j]: i dominates j
    return ~dominated_by.any(axis=0)


def normalize(frame: pd.DataFrame, objectives: Sequence[str], baseline_rmse: float) -> np.ndarray:
    """The objectives of ``frame``'s rows in the hypervolume's normalized units."""
    if not np.isfinite(baseline_rmse) or baseline_rmse <= 0:
        raise InvalidInputError("baseline_rmse", f"must be > 0, got {baseline_rmse!r}")
    scale = {
        "rmse": lambda v: v / baseline_rmse,
        "params": np.log10,
        "latency_ms": lambda v: np.log10(v * 1000.0),
    }
    return np.column_stack(
        [scale[name](frame[name].to_numpy(dtype=np.float64)) for name in objectives]
    )


def hypervolume(normalized: np.ndarray, objectives: Sequence[str]) -> float:
    """Hypervolume dominated by ``normalized`` points up to :data:`REFERENCE_POINT`."""
    # optuna's WFG hypervolume; a private module of an installed, pinned library (netal[search])
    from optuna._hypervolume import compute_hypervolume

    reference = np.array([REFERENCE_POINT[name] for name in objectives])
    points = np.asarray(normalized, dtype=np.float64).reshape(-1, len(objectives))
    inside = points[np.all(points < reference, axis=1)]
    if len(inside) == 0:
        return 0.0
    front = inside[non_dominated(inside)]
    return float(compute_hypervolume(front, reference, assume_pareto=False))


def pareto_front(trials: pd.DataFrame, objectives: Sequence[str] = OBJECTIVES) -> pd.DataFrame:
    """The rows of ``trials`` on the Pareto front of ``objectives``, ordered by ``rmse``."""
    if trials.empty:
        return trials.copy()
    mask = non_dominated(trials[list(objectives)].to_numpy(dtype=np.float64))
    return trials[mask].sort_values(["rmse", *objectives[1:]]).reset_index(drop=True)


def choose_per_tier(trials: pd.DataFrame, tiers: Mapping[str, Tier]) -> pd.DataFrame:
    """Per tier, the trial with the lowest validation RMSE among those that meet its limits.

    Ties go to fewer parameters, then to the earlier trial.  A tier no trial
    meets gets a row with ``trial`` missing.
    """
    rows = []
    for name, tier in tiers.items():
        if trials.empty:
            feasible = trials
        else:
            met = [tier.admits(row) for row in trials.to_dict("records")]
            feasible = trials[np.asarray(met, dtype=bool)]
        if feasible.empty:
            rows.append({"tier": name, "limits": tier.describe(), "trial": None})
            continue
        best = feasible.sort_values(["rmse", "params", "trial"]).iloc[0]
        rows.append({"tier": name, "limits": tier.describe(), **best.to_dict()})
    return pd.DataFrame(rows)
