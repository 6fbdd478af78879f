"""Stopping criteria, one small class each (in the spirit of small-text).

A criterion looks at a :class:`LoopState`, which is rebuilt from the knowledge
base on resume, so a stopping decision replays exactly.  The loop checks the
criteria after every completed iteration (train + evaluate), in order, and
stops at the first that fires; its :attr:`StoppingCriterion.name` becomes the
run's ``stop_reason``.  :class:`BudgetExhausted` and :class:`PoolExhausted` are
always active.

References
----------
Schröder, Niekler and Potthast, "Revisiting Uncertainty-based Query Strategies
for Active Learning with Transformers", Findings of ACL 2022 (small-text).
Vlachos, "A stopping criterion for active learning", Computer Speech and
Language 22(3), 2008 (stop when the model's uncertainty stops changing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Protocol, runtime_checkable

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.loop.budget import Budget

POOL_UNCERTAINTY = "pool_epistemic_var"
"""Name of the metric holding the mean epistemic variance over the unlabeled pool."""


@dataclass(frozen=True)
class LoopState:
    """What a stopping criterion may look at after iteration :attr:`iteration`.

    Attributes
    ----------
    iteration
        The iteration just completed (0 = trained on the initial set only).
    spent_labels, spent_cost
        Labels and cost bought by queries so far (the initial set is free).
    budget
        The run's budget.
    n_unlabeled
        Rows left in the pool.
    min_pool_cost
        Expected cost of the cheapest unlabeled row (``inf`` if none).
    history
        Metric name -> values, one per completed iteration, in order.
    """

    iteration: int
    spent_labels: int
    spent_cost: float
    budget: Budget
    n_unlabeled: int
    min_pool_cost: float
    history: dict[str, list[float]] = field(default_factory=dict)


@runtime_checkable
class StoppingCriterion(Protocol):
    """Decides whether the loop should stop."""

    name: str
    requires_pool_uncertainty: bool

    def should_stop(self, state: LoopState) -> bool: ...

    def to_dict(self) -> dict[str, object]: ...


class BudgetExhausted:
    """Stop when no further query fits the label or cost budget."""

    name = "budget_exhausted"
    requires_pool_uncertainty = False

    def should_stop(self, state: LoopState) -> bool:
        return state.budget.exhausted(state.spent_labels, state.spent_cost, state.min_pool_cost)

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name}


class PoolExhausted:
    """Stop when every pool row is labeled."""

    name = "pool_exhausted"
    requires_pool_uncertainty = False

    def should_stop(self, state: LoopState) -> bool:
        return state.n_unlabeled == 0

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name}


class MaxIterations:
    """Stop after ``max_iterations`` query rounds (iteration 0 does not count).

    Parameters
    ----------
    max_iterations
        Number of query-label-retrain rounds, >= 1.
    """

    name = "max_iterations"
    requires_pool_uncertainty = False

    def __init__(self, max_iterations: int) -> None:
        self.max_iterations = check_positive_int(max_iterations, "max_iterations")

    def should_stop(self, state: LoopState) -> bool:
        return state.iteration >= self.max_iterations

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "max_iterations": self.max_iterations}


class UncertaintyPlateau:
    """Stop when the mean epistemic variance over the pool stops changing.

    After each iteration the loop records the mean (over pool rows and outputs)
    epistemic variance of the current learner on the unlabeled pool.  The run
    stops once the relative change ``|v_t - v_{t-1}| / |v_{t-1}|`` stayed below
    ``threshold`` for ``patience`` consecutive iterations (Vlachos, 2008).

    Parameters
    ----------
    threshold
        Relative-change threshold, > 0.
    patience
        Consecutive iterations below the threshold needed to stop, >= 1.
    """

    name = "uncertainty_plateau"
    requires_pool_uncertainty = True

    def __init__(self, threshold: float = 0.01, patience: int = 3) -> None:
        if not (math.isfinite(threshold) and threshold > 0):
            raise InvalidInputError("threshold", f"must be finite and > 0, got {threshold!r}")
        self.threshold = float(threshold)
        self.patience = check_positive_int(patience, "patience")

    def should_stop(self, state: LoopState) -> bool:
        values = state.history.get(POOL_UNCERTAINTY, [])
        if len(values) < self.patience + 1:
            return False
        recent = values[-(self.patience + 1) :]
        for previous, current in pairwise(recent):
            scale = abs(previous)
            change = abs(current - previous) / scale if scale > 0 else abs(current - previous)
            if change >= self.threshold:
                return False
        return True

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "threshold": self.threshold, "patience": self.patience}


def with_defaults(criteria: list[StoppingCriterion]) -> list[StoppingCriterion]:
    """``criteria`` preceded by the always-active budget and pool criteria."""
    names = {criterion.name for criterion in criteria}
    defaults: list[StoppingCriterion] = [
        criterion
        for criterion in (PoolExhausted(), BudgetExhausted())
        if criterion.name not in names
    ]
    return [*defaults, *criteria]
