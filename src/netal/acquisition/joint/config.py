"""What a joint run is given and what it returns: :class:`JointConfig` and :class:`JointResult`.

:class:`JointConfig` holds the knobs (budget, rounds, batch, initial data,
region grid, utility parameters, test-set size) and checks them when built;
:class:`JointResult` holds the per-iteration history, the queries and the
labeled rows of one run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from netal._validation import check_positive_int
from netal.errors import InvalidInputError


@dataclass(frozen=True)
class JointConfig:
    """Knobs of a joint acquisition run.

    Attributes
    ----------
    budget
        Total agent time (s) for the run, initial data included.
    iterations
        Planning rounds; round ``i`` may spend ``remaining / rounds_left``.
    max_actions
        Most annotations per round (the label batch size); acquisition
        actions per round are bounded by the budget slice and the number of
        regions.
    acquire_size
        Observations per acquisition action.
    n_initial_pool, n_initial_labels
        Observed samples to start from and how many of them are annotated
        at random (same for every policy of a seed).
    initial_region_share
        Share of regions the initial pool covers (historical logs see only
        part of the input space).
    n_position_bins, n_speed_bins
        The :class:`RegionGrid`.
    explore_bonus, acquire_weight
        Utility parameters (module docs).
    n_test
        Size of the fixed test set (uniform over regions, measured by a
        separate twin oracle, not charged).
    """

    budget: float = 6000.0
    iterations: int = 10
    max_actions: int = 20
    acquire_size: int = 4
    n_initial_pool: int = 40
    n_initial_labels: int = 10
    initial_region_share: float = 0.25
    n_position_bins: int = 13
    n_speed_bins: int = 1
    explore_bonus: float = 1.0
    acquire_weight: float = 1.0
    n_test: int = 400

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> JointConfig:
        """Validate every field (done on construction); raise :class:`InvalidInputError` naming the bad one."""
        for name in ("budget", "initial_region_share", "explore_bonus", "acquire_weight"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInputError(name, f"must be a number, got {value!r}")
        if not np.isfinite(self.budget) or self.budget <= 0:
            raise InvalidInputError(
                "budget", f"must be a positive finite number, got {self.budget}"
            )
        for name in (
            "iterations",
            "max_actions",
            "acquire_size",
            "n_initial_pool",
            "n_initial_labels",
            "n_position_bins",
            "n_speed_bins",
            "n_test",
        ):
            check_positive_int(getattr(self, name), name)
        if self.n_initial_labels > self.n_initial_pool:
            raise InvalidInputError(
                "n_initial_labels",
                f"is {self.n_initial_labels} > n_initial_pool {self.n_initial_pool}",
            )
        if not 0.0 < self.initial_region_share <= 1.0:
            raise InvalidInputError(
                "initial_region_share", f"must lie in (0, 1], got {self.initial_region_share}"
            )
        for name in ("explore_bonus", "acquire_weight"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise InvalidInputError(name, f"must be finite and >= 0, got {value}")
        return self


@dataclass(frozen=True)
class JointResult:
    """History and queries of one run.

    Attributes
    ----------
    history
        One row per iteration (0 = initial data): ``iteration``, ``cost``
        (cumulative, s), ``n_labels``, ``pool_size`` (unlabeled observed),
        ``n_observed``, ``n_annotate``, ``n_acquire`` (actions that round),
        ``rmse``, ``mae``, ``q95`` (95th percentile absolute error) on the
        fixed test set, ``wall_time_s``.
    queries
        One row per observed or annotated sample: ``kind`` (annotate/acquire),
        ``iteration``, ``sample_id``, ``latitude``, ``longitude``,
        ``mobility_mode``, ``trajectory_direction``, ``movingSpeed``,
        ``route_pos_m``, ``region``, ``score``, ``cost``.
    labeled
        The labeled rows (Lumos5G schema) with their conditions.
    budget
        The total budget.
    """

    history: pd.DataFrame
    queries: pd.DataFrame
    labeled: pd.DataFrame
    budget: float

    @property
    def total_cost(self) -> float:
        """Total agent time spent."""
        return float(self.history["cost"].iloc[-1])
