"""Variable-uncertainty budget manager (Zliobaite et al., IEEE TNNLS 2014), for regression."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.errors import InvalidInputError
from netal.stream.budget import BUDGET_MANAGERS, RunningBudget, check_rate, check_uncertainty


class AdaptiveThreshold:
    """A threshold on the epistemic std that moves by a relative step after each decision.

    Zliobaite et al. (2014), Algorithm 3 (*VarUncertainty*), with the test
    flipped for regression (high std = uncertain): when a sample's std exceeds
    ``theta`` it is queried and ``theta`` rises to ``theta * (1 + step)``
    (ask for harder samples next); otherwise ``theta`` falls to
    ``theta * (1 - step)`` (the threshold was too strict).  The threshold thus
    settles where the queried share matches what the budget lets through,
    and it follows drifts in the scale of the uncertainty.

    Parameters
    ----------
    step
        Relative adjustment ``s`` in ``(0, 1)``; the paper uses 0.01.
    threshold
        Initial threshold; ``None`` starts at the first uncertainty seen
        (or at the value set by :meth:`calibrate`).
    """

    def __init__(self, step: float = 0.01, threshold: float | None = None) -> None:
        step = check_rate(step, "step")
        if step >= 1.0:
            raise InvalidInputError("step", f"must be < 1, got {step}")
        self.step = step
        if threshold is not None:
            threshold = check_uncertainty(threshold)
        self.initial = threshold
        self.value = threshold

    def exceeded(self, uncertainty: float) -> bool:
        """Whether ``uncertainty`` is above the threshold; moves the threshold accordingly."""
        if self.value is None or self.value <= 0.0:
            self.value = max(uncertainty, np.finfo(np.float64).tiny)
        above = uncertainty > self.value
        self.value *= (1.0 + self.step) if above else (1.0 - self.step)
        return bool(above)

    def calibrate(self, uncertainties: np.ndarray, budget: float) -> None:
        """Start at the ``1 - budget`` quantile of ``uncertainties`` (e.g. of a warm-up window)."""
        values = np.asarray(uncertainties, dtype=np.float64)
        if values.size and np.isfinite(values).all():
            self.value = float(np.quantile(values, 1.0 - budget))

    def reset(self) -> None:
        """Return to the initial threshold."""
        self.value = self.initial


@BUDGET_MANAGERS.register("variable_uncertainty")
class VariableUncertainty:
    """Query samples whose epistemic std exceeds an adaptive threshold, within a label budget.

    Zliobaite, Bifet, Pfahringer and Holmes, "Active learning with drifting
    streaming data", IEEE TNNLS 25(1):27-39, 2014, Algorithm 3: the threshold
    adapts only while the running budget allows a query (see
    :class:`AdaptiveThreshold`), so the realized label rate tracks the budget
    and never exceeds it.

    Parameters
    ----------
    budget
        Label rate ``B`` in ``(0, 1]``.
    step
        Relative threshold step ``s`` (paper: 0.01).
    threshold
        Initial threshold on the std; ``None``: see :meth:`calibrate`.
    """

    name = "variable_uncertainty"

    def __init__(
        self, budget: float = 0.1, step: float = 0.01, threshold: float | None = None
    ) -> None:
        self._running = RunningBudget(budget)
        self.budget = self._running.budget
        self._threshold = AdaptiveThreshold(step, threshold)

    @property
    def threshold(self) -> float:
        """Current threshold on the epistemic std (NaN before it is set)."""
        value = self._threshold.value
        return float("nan") if value is None else float(value)

    @property
    def label_rate(self) -> float:
        """Realized label rate so far."""
        return self._running.rate

    def calibrate(self, uncertainties: Any) -> None:
        """Set the threshold to the ``1 - budget`` quantile of warm-up uncertainties."""
        self._threshold.calibrate(np.asarray(uncertainties, dtype=np.float64), self.budget)

    def decide(self, uncertainty: float, rng: np.random.Generator) -> bool:
        """Query when the budget allows it and the std exceeds the threshold."""
        uncertainty = check_uncertainty(uncertainty)
        if not self._running.arrive():
            return False
        if self._threshold.exceeded(uncertainty):
            self._running.spend()
            return True
        return False

    def reset(self) -> None:
        """Zero the counters and restore the initial threshold."""
        self._running.reset()
        self._threshold.reset()
