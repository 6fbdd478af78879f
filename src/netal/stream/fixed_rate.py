"""Fixed-rate (random) budget manager: query each sample with probability equal to the budget."""

from __future__ import annotations

import numpy as np

from netal.stream.budget import BUDGET_MANAGERS, RunningBudget, check_uncertainty


@BUDGET_MANAGERS.register("fixed_rate")
class FixedRate:
    """Query each arriving sample with probability ``budget``, ignoring the learner.

    The "Random" strategy of Zliobaite et al. (IEEE TNNLS 2014, Algorithm 1):
    the baseline every uncertainty-driven manager must beat.  A running budget
    keeps the realized rate at or below ``budget`` at every stream position.

    Parameters
    ----------
    budget
        Label rate ``B`` in ``(0, 1]``.
    """

    name = "fixed_rate"

    def __init__(self, budget: float = 0.1) -> None:
        self._running = RunningBudget(budget)
        self.budget = self._running.budget

    def decide(self, uncertainty: float, rng: np.random.Generator) -> bool:
        """Query with probability ``budget`` when the running budget allows it."""
        check_uncertainty(uncertainty)
        allowed = self._running.arrive()
        draw = rng.random()
        if allowed and draw < self.budget:
            self._running.spend()
            return True
        return False

    @property
    def label_rate(self) -> float:
        """Realized label rate so far."""
        return self._running.rate

    def reset(self) -> None:
        """Zero the counters."""
        self._running.reset()
