"""Budget managers: decide at once, for each arriving sample, whether to buy its label.

In stream-based active learning (Settles 2009, sec. 2.2; the seed paper,
sec. II.C) samples arrive one at a time and the learner must decide before
the next one arrives.  A *budget manager* makes that decision from the
learner's epistemic standard deviation of the sample and its own state, and
guarantees that the realized label rate never exceeds the budget rate ``B``:
after ``t`` samples it has queried ``u_t <= B * t`` labels (the running-budget
check of Zliobaite et al., "Active learning with drifting streaming data",
IEEE TNNLS 25(1), 2014, tightened from ``u_t / t < B`` before a query to
``(u_t + 1) / t <= B`` so it holds after the query too).

Managers are registered by name in :data:`BUDGET_MANAGERS`; create one with
:func:`make_budget_manager`.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from netal.errors import InvalidInputError
from netal.registry import Registry

_TOLERANCE = 1e-12


@runtime_checkable
class BudgetManager(Protocol):
    """Decides, sample by sample and without look-ahead, whether to query a label."""

    name: str
    budget: float

    def decide(self, uncertainty: float, rng: np.random.Generator) -> bool:
        """Whether to query the label of the sample that just arrived.

        Parameters
        ----------
        uncertainty
            The learner's epistemic standard deviation of the sample (>= 0).
        rng
            The only source of randomness the manager may use.
        """
        ...

    def reset(self) -> None:
        """Forget all state (counters, adapted threshold)."""
        ...


BUDGET_MANAGERS: Registry[BudgetManager] = Registry("budget manager")
"""Registry of budget managers by name: ``fixed_rate``, ``variable_uncertainty``, ``split``."""


def make_budget_manager(name: str, /, **params: Any) -> BudgetManager:
    """Create a registered budget manager, e.g. ``make_budget_manager("split", budget=0.1)``."""
    return BUDGET_MANAGERS.create(name, **params)


def check_rate(value: Any, parameter: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float in ``(0, 1]`` (``[0, 1]`` with ``allow_zero``) or raise."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InvalidInputError(parameter, f"must be a number, got {value!r}")
    value = float(value)
    low_ok = value >= 0.0 if allow_zero else value > 0.0
    if not (np.isfinite(value) and low_ok and value <= 1.0):
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        raise InvalidInputError(parameter, f"must lie in {interval}, got {value!r}")
    return value


def check_uncertainty(value: Any) -> float:
    """Return ``value`` as a finite non-negative float or raise :class:`InvalidInputError`."""
    value = float(value)
    if not np.isfinite(value) or value < 0.0:
        raise InvalidInputError("uncertainty", f"must be finite and >= 0, got {value!r}")
    return value


class RunningBudget:
    """Counts seen samples and queries and enforces ``queries <= budget * seen``.

    Parameters
    ----------
    budget
        Label rate ``B`` in ``(0, 1]``: the largest share of the stream that
        may be labeled, at every prefix of the stream.

    Attributes
    ----------
    n_seen, n_queried
        Samples seen and labels queried so far.
    """

    def __init__(self, budget: float) -> None:
        self.budget = check_rate(budget, "budget")
        self.n_seen = 0
        self.n_queried = 0

    def arrive(self) -> bool:
        """Count one arriving sample; return whether one more query stays within budget."""
        self.n_seen += 1
        return self.n_queried + 1 <= self.budget * self.n_seen + _TOLERANCE

    def spend(self) -> None:
        """Count one query (call only after :meth:`arrive` returned ``True``)."""
        self.n_queried += 1

    @property
    def rate(self) -> float:
        """Realized label rate ``n_queried / n_seen`` (0 before any sample)."""
        return self.n_queried / self.n_seen if self.n_seen else 0.0

    def reset(self) -> None:
        """Zero the counters."""
        self.n_seen = 0
        self.n_queried = 0
