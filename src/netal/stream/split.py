"""Split budget manager: random exploration plus variable uncertainty (Zliobaite et al. 2014)."""

from __future__ import annotations

import numpy as np

from netal.stream.budget import BUDGET_MANAGERS, check_rate, check_uncertainty
from netal.stream.variable_uncertainty import VariableUncertainty


@BUDGET_MANAGERS.register("split")
class Split(VariableUncertainty):
    """Spend a share of decisions on random queries and the rest on variable uncertainty.

    Zliobaite, Bifet, Pfahringer and Holmes, IEEE TNNLS 2014, Algorithm 5
    (*Split*): with probability ``random_share`` (``v``) the sample is handled
    by the random strategy (queried with probability ``budget``), otherwise
    by variable uncertainty.  The random part keeps labeling the whole input
    space, so changes where the model is confidently wrong are still found
    (the "unknown unknowns" of the seed paper, sec. III).

    Parameters
    ----------
    budget
        Label rate ``B`` in ``(0, 1]``.
    random_share
        Share ``v`` of decisions made at random (paper: 0.2).
    step
        Relative threshold step of the variable-uncertainty part.
    threshold
        Initial threshold on the std; ``None``: see :meth:`calibrate`.
    """

    name = "split"

    def __init__(
        self,
        budget: float = 0.1,
        random_share: float = 0.2,
        step: float = 0.01,
        threshold: float | None = None,
    ) -> None:
        super().__init__(budget=budget, step=step, threshold=threshold)
        self.random_share = check_rate(random_share, "random_share", allow_zero=True)

    def decide(self, uncertainty: float, rng: np.random.Generator) -> bool:
        """Random query with probability ``random_share * budget``, else variable uncertainty."""
        uncertainty = check_uncertainty(uncertainty)
        explore, draw = rng.random(2)
        if not self._running.arrive():
            return False
        if explore < self.random_share:
            wanted = bool(draw < self.budget)
        else:
            wanted = self._threshold.exceeded(uncertainty)
        if wanted:
            self._running.spend()
        return wanted
