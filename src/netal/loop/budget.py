"""Labeling budgets: how many labels, and how much cost, a run may spend.

What the loop does with a :class:`Budget` (the exact rules):

* Only labels bought by queries count.  The initial labeled set is free, even
  when the oracle labels it at iteration 0: ``Budget(labels=200)`` with 50
  initial labels ends with up to 250 labeled samples.
* Before each selection the loop computes what is left:
  ``remaining_labels = labels - spent_labels`` and
  ``remaining_cost = cost - spent_cost`` (infinite when unset).
* Pool rows whose own expected cost (:meth:`Oracle.cost`) exceeds
  ``remaining_cost`` are not offered to the strategy.
* The strategy is asked for ``min(batch_size, remaining_labels, n_affordable)``
  rows and receives ``budget=remaining_cost`` (cost-aware strategies use it,
  others ignore it).
* The loop keeps the longest prefix (in pick order) of the returned rows whose
  cumulative expected cost fits ``remaining_cost``; the rest are *not* queried
  and the number is recorded as the metric ``n_unaffordable``.
* Spending is what the oracle reports in :attr:`OracleAnswer.costs`.  With an
  oracle whose reported cost equals its expected cost (e.g.
  :class:`~netal.loop.oracle.ReplayOracle`) a run therefore never exceeds its
  budget.  A noisy oracle that charges more than it announced can overspend by
  the difference; the overspend is recorded, and the run stops next time.
* :class:`~netal.errors.BudgetError` is raised only at the start of a run, when
  not even one query fits (label budget below one, or every pool row costs more
  than the cost budget).  Later, an exhausted budget simply stops the run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from netal.errors import BudgetError


@dataclass(frozen=True, repr=False)
class Budget:
    """A label budget, a cost budget, or both, for the labels bought by queries.

    The initial labeled set does not count: neither its labels nor their
    cost are taken from the budget.  ``Budget(labels=200)`` with 50 initial
    labels lets the loop query 200 more samples, 250 labeled in all.

    Parameters
    ----------
    labels
        Maximum number of labels bought by queries, the initial labeled set
        not included (``None``: unlimited).
    cost
        Maximum total cost of the queried labels, in the oracle's cost unit,
        the initial labeled set not included (``None``: unlimited).

    Raises
    ------
    BudgetError
        If ``labels < 1`` or ``cost`` is not finite and strictly positive.
    """

    labels: int | None = None
    cost: float | None = None

    def __post_init__(self) -> None:
        if self.labels is not None:
            if isinstance(self.labels, bool) or not isinstance(self.labels, int | np.integer):
                raise BudgetError("budget.labels", f"must be an integer, got {self.labels!r}")
            if self.labels < 1:
                raise BudgetError(
                    "budget.labels", f"is {self.labels}; not even one query fits in it"
                )
        if self.cost is not None and (not math.isfinite(self.cost) or self.cost <= 0):
            raise BudgetError("budget.cost", f"must be finite and > 0, got {self.cost!r}")

    def __repr__(self) -> str:
        """E.g. ``Budget(labels=200, cost=None; queried labels only, the initial labeled set is not counted)``."""
        return (
            f"Budget(labels={self.labels!r}, cost={self.cost!r}; "
            "queried labels only, the initial labeled set is not counted)"
        )

    @property
    def unlimited(self) -> bool:
        """Whether neither labels nor cost is bounded."""
        return self.labels is None and self.cost is None

    def remaining_labels(self, spent_labels: int) -> float:
        """Labels still allowed (``inf`` when unbounded, never negative)."""
        if self.labels is None:
            return math.inf
        return max(0, self.labels - spent_labels)

    def remaining_cost(self, spent_cost: float) -> float:
        """Cost still allowed (``inf`` when unbounded, never negative)."""
        if self.cost is None:
            return math.inf
        return max(0.0, self.cost - spent_cost)

    def check_startable(self, pool_costs: np.ndarray) -> None:
        """Raise :class:`BudgetError` unless at least one pool row is affordable.

        Parameters
        ----------
        pool_costs
            Expected cost of every unlabeled row.
        """
        if self.cost is not None and pool_costs.size and float(pool_costs.min()) > self.cost:
            raise BudgetError(
                "budget.cost",
                f"is {self.cost} but the cheapest pool sample costs {float(pool_costs.min())}; "
                "not even one query fits",
            )

    def affordable(self, pool_costs: np.ndarray, spent_cost: float) -> np.ndarray:
        """Boolean mask of pool rows whose own cost fits the remaining cost budget."""
        return pool_costs <= self.remaining_cost(spent_cost)

    def batch_limit(self, batch_size: int, spent_labels: int, n_affordable: int) -> int:
        """How many rows to ask the strategy for this iteration."""
        return int(min(batch_size, self.remaining_labels(spent_labels), n_affordable))

    def fitting_prefix(self, costs: np.ndarray, spent_cost: float) -> int:
        """Length of the longest prefix of ``costs`` that fits the cost budget.

        The running total is accumulated exactly as the loop accumulates
        spending (:func:`accumulate`), so the check and the record agree to the
        last bit.
        """
        if self.cost is None:
            return len(costs)
        totals = accumulate(spent_cost, costs)
        return int(np.searchsorted(totals > self.cost, True))

    def exhausted(self, spent_labels: int, spent_cost: float, min_pool_cost: float) -> bool:
        """Whether no further query fits (``min_pool_cost``: cheapest unlabeled row)."""
        if self.remaining_labels(spent_labels) < 1:
            return True
        return min_pool_cost > self.remaining_cost(spent_cost)

    def to_dict(self) -> dict[str, float | int | None]:
        """JSON-ready description (stored in the run's config)."""
        return {"labels": None if self.labels is None else int(self.labels), "cost": self.cost}


def accumulate(spent: float, costs: np.ndarray) -> np.ndarray:
    """Running totals ``spent + c_1``, ``spent + c_1 + c_2``, ... added left to right."""
    values = np.concatenate([[float(spent)], np.asarray(costs, dtype=np.float64)])
    return np.cumsum(values)[1:]
