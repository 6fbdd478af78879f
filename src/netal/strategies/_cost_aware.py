"""Cost-aware selection: utility per unit cost under a budget."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from netal.errors import BudgetError, InvalidInputError
from netal.strategies.base import (
    STRATEGIES,
    Selection,
    Strategy,
    SupportsScores,
    check_selection_args,
    make_strategy,
)


@STRATEGIES.register("cost_aware")
class CostAware:
    """Wrap any registered strategy to maximize utility per unit labeling cost under a budget.

    Budgeted (knapsack) greedy selection: rank pool rows by ``utility / cost``
    and add them in that order while the total cost stays within ``budget``
    (Settles, Craven and Friedland, NIPS Workshop on Cost-Sensitive Learning
    2008; the cost-effective greedy of Khuller, Moss and Naor, 1999).  Ties in
    the ratio go to the cheaper row, then the lower index.  The batch never
    exceeds ``budget`` (checked with exactly rounded sums) and has fewer than
    ``batch_size`` rows when the budget binds.

    Utility:

    * for a scoring base (one with ``score()``: ``max_variance``, ``bald``,
      ``qbc``, ``paper``) it is the base's per-row score over the whole pool;
    * for a greedy batch base (``coreset``, ``kmeanspp``, ``lcmd``, ``hybrid``,
      ``random``) the base first selects ``ceil(oversample * batch_size)``
      candidates (capped at the pool size); a candidate's utility is its
      marginal score when the base picked it (distance to the nearest center,
      D^2 weight, variance; zero for ``random``), negative scores count as
      zero, and rows the base did not pick have utility zero: they rank after
      every candidate with positive utility (cheapest first) and are only taken
      when the budget cannot be spent on candidates.

    Without ``costs`` every row costs 1; without ``budget`` the batch is the
    ``batch_size`` best ratios.

    Parameters
    ----------
    base
        Registered name of the wrapped strategy (default ``"max_variance"``).
    oversample
        Candidate factor for greedy batch bases, ``>= 1`` (default 4).
    **base_params
        Constructor parameters of the base strategy.

    Raises
    ------
    BudgetError
        At selection, if ``budget`` is smaller than the cheapest row's cost.
    """

    name = "cost_aware"

    def __init__(
        self, base: str = "max_variance", oversample: float = 4.0, **base_params: Any
    ) -> None:
        if base == self.name:
            raise InvalidInputError("base", "cost_aware cannot wrap itself")
        if not (
            isinstance(oversample, int | float) and np.isfinite(oversample) and oversample >= 1
        ):
            raise InvalidInputError(
                "oversample", f"must be a finite number >= 1, got {oversample!r}"
            )
        self.base: Strategy = make_strategy(base, **base_params)
        self.oversample = float(oversample)

    def _utilities(
        self,
        learner: Any,
        pool: np.ndarray,
        labeled: np.ndarray,
        batch_size: int,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(self.base, SupportsScores):
            return np.arange(pool.shape[0]), self.base.score(learner, pool, labeled)
        n_candidates = min(pool.shape[0], math.ceil(self.oversample * batch_size))
        selection = self.base.select(learner, pool, labeled, n_candidates, rng=rng)
        utility = np.zeros(pool.shape[0])
        utility[selection.indices] = np.maximum(selection.scores, 0.0)
        rest = np.setdiff1d(np.arange(pool.shape[0]), selection.indices)
        return np.concatenate([selection.indices, rest]), np.concatenate(
            [utility[selection.indices], utility[rest]]
        )

    def select(
        self,
        learner: Any,
        X_pool: np.ndarray,
        X_labeled: np.ndarray,
        batch_size: int,
        *,
        costs: np.ndarray | None = None,
        budget: float | None = None,
        rng: np.random.Generator,
    ) -> Selection:
        """Knapsack-greedy on utility / cost within ``budget`` (see :class:`Strategy`)."""
        pool, labeled, batch_size, cost = check_selection_args(X_pool, X_labeled, batch_size, costs)
        if cost is None:
            cost = np.ones(pool.shape[0])
        budget = _check_budget(budget, float(cost.min()))
        candidates, utility = self._utilities(learner, pool, labeled, batch_size, rng)
        candidate_cost = cost[candidates]
        order = np.lexsort((candidates, candidate_cost, -(utility / candidate_cost)))
        chosen = _knapsack_greedy(candidate_cost[order], batch_size, budget, float(cost.min()))
        picked = order[chosen]
        return Selection(indices=candidates[picked].astype(np.int64), scores=utility[picked])


def _check_budget(budget: float | None, cheapest: float) -> float | None:
    if budget is None:
        return None
    if isinstance(budget, bool) or not isinstance(budget, int | float | np.floating | np.integer):
        raise InvalidInputError("budget", f"must be a number, got {budget!r}")
    if not np.isfinite(budget) or budget <= 0:
        raise InvalidInputError("budget", f"must be a finite number > 0, got {budget!r}")
    if budget < cheapest:
        raise BudgetError(
            "budget",
            f"is {budget} but the cheapest pool sample costs {cheapest}; nothing can be labeled",
        )
    return float(budget)


def _knapsack_greedy(
    ordered_cost: np.ndarray, batch_size: int, budget: float | None, cheapest: float
) -> np.ndarray:
    """Positions (in the given order) taken while the exact total stays within ``budget``."""
    if budget is None:
        return np.arange(min(batch_size, len(ordered_cost)))
    taken: list[int] = []
    taken_cost: list[float] = []
    spent = 0.0
    for position, value in enumerate(ordered_cost.tolist()):
        if spent + value > budget * (1 + 1e-9) or math.fsum([*taken_cost, value]) > budget:
            if budget - spent < cheapest:
                break
            continue
        taken.append(position)
        taken_cost.append(value)
        spent = math.fsum(taken_cost)
        if len(taken) == batch_size:
            break
    return np.asarray(taken, dtype=np.int64)
