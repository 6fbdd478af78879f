"""BALD for Gaussian regression: mutual information between the label and the parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.errors import InvalidInputError
from netal.models.base import PredictiveDistribution
from netal.strategies._common import check_reduce
from netal.strategies._scoring import TopKScoring
from netal.strategies._streaming import scores_in_chunks
from netal.strategies.base import STRATEGIES, reduce_outputs


@STRATEGIES.register("bald")
class BALD(TopKScoring):
    """Top-k BALD score under a Gaussian approximation.

    BALD (Houlsby, Huszar, Ghahramani and Lengyel, 2011) picks the rows whose
    label is most informative about the model parameters,
    ``I[y; theta | x] = H[y | x] - E_theta H[y | x, theta]``.  With a Gaussian
    predictive distribution whose variance splits into epistemic ``s2_e`` and
    aleatoric ``s2_a`` parts (Kendall and Gal, NeurIPS 2017) this is, per output,
    ``0.5 * log(1 + s2_e / s2_a)``.  Outputs are treated as independent, so the
    per-output informations are reduced with ``reduce`` (``"sum"`` is the joint
    information; ``"mean"`` ranks identically).

    Aleatoric floor: learners without a heteroscedastic head report
    ``s2_a = 0`` and the information would be infinite.  The aleatoric variance
    is therefore floored at ``noise_floor`` (in squared target units).  With a
    constant floor the score is a strictly increasing function of ``s2_e``, so
    for such learners BALD ranks exactly like ``max_variance``; with a learned
    noise head it prefers rows whose uncertainty is reducible rather than noise.

    Parameters
    ----------
    reduce
        ``"sum"`` (default), ``"mean"`` or ``"max"`` over outputs.
    noise_floor
        Lower bound of the aleatoric variance, ``> 0`` (default ``1e-6``).
    """

    name = "bald"

    def __init__(self, reduce: str = "sum", noise_floor: float = 1e-6) -> None:
        self.reduce = check_reduce(reduce)
        if not (
            isinstance(noise_floor, int | float) and np.isfinite(noise_floor) and noise_floor > 0
        ):
            raise InvalidInputError(
                "noise_floor", f"must be a finite number > 0, got {noise_floor!r}"
            )
        self.noise_floor = float(noise_floor)

    def _scores(self, learner: Any, pool: np.ndarray, labeled: np.ndarray) -> np.ndarray:
        return scores_in_chunks(learner, pool, self.name, self._score)

    def _score(self, dist: PredictiveDistribution) -> np.ndarray:
        epistemic = np.maximum(np.asarray(dist.epistemic_var, dtype=np.float64), 0.0)
        aleatoric = np.maximum(np.asarray(dist.aleatoric_var, dtype=np.float64), self.noise_floor)
        return reduce_outputs(0.5 * np.log1p(epistemic / aleatoric), self.reduce)
