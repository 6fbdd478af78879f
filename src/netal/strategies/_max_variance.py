"""Uncertainty sampling: the rows with the largest epistemic variance."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.models.base import PredictiveDistribution
from netal.strategies._common import check_reduce
from netal.strategies._scoring import TopKScoring
from netal.strategies._streaming import scores_in_chunks
from netal.strategies.base import STRATEGIES, reduce_outputs


@STRATEGIES.register("max_variance")
class MaxVariance(TopKScoring):
    """Top-k epistemic variance (uncertainty sampling for regression).

    The score of a pool row is its epistemic variance from
    ``learner.predict_dist`` (variance across MC-dropout passes, Gal et al.,
    ICML 2017; or across ensemble members, Lakshminarayanan et al., NeurIPS
    2017), reduced over outputs with ``reduce``.  It ignores redundancy inside
    the batch: near-copies of the most uncertain row are all picked.

    Parameters
    ----------
    reduce
        How to reduce ``(n, h)`` multi-output variances to one score:
        ``"mean"`` (default), ``"max"`` or ``"sum"``.
    """

    name = "max_variance"

    def __init__(self, reduce: str = "mean") -> None:
        self.reduce = check_reduce(reduce)

    def _scores(self, learner: Any, pool: np.ndarray, labeled: np.ndarray) -> np.ndarray:
        return scores_in_chunks(learner, pool, self.name, self._score)

    def _score(self, dist: PredictiveDistribution) -> np.ndarray:
        return reduce_outputs(np.asarray(dist.epistemic_var, dtype=np.float64), self.reduce)
