"""Query by committee: disagreement between committee members."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.errors import InvalidInputError
from netal.models.base import PredictiveDistribution
from netal.strategies._common import check_reduce
from netal.strategies._scoring import TopKScoring
from netal.strategies._streaming import scores_in_chunks
from netal.strategies.base import STRATEGIES, reduce_outputs


@STRATEGIES.register("qbc")
class QueryByCommittee(TopKScoring):
    """Top-k committee disagreement (query by committee).

    Query by committee (Seung, Opper and Sompolinsky, COLT 1992) asks for the
    labels the committee disagrees on most; for regression the disagreement is
    the variance of the members' predictions (RayChaudhuri and Hamey, 1995;
    Burbidge, Rowland and King, IDEAL 2007).  The members are the ``samples``
    of ``learner.predict_dist`` (ensemble members, bagged models or MC-dropout
    passes); the variance is the population variance over the ``S`` members
    (``ddof=0``), reduced over outputs with ``reduce``.

    Parameters
    ----------
    reduce
        ``"mean"`` (default), ``"max"`` or ``"sum"`` over outputs.

    Raises
    ------
    InvalidInputError
        If the learner's ``predict_dist`` returns no ``samples`` or fewer than two.
    """

    name = "qbc"

    def __init__(self, reduce: str = "mean") -> None:
        self.reduce = check_reduce(reduce)

    def _scores(self, learner: Any, pool: np.ndarray, labeled: np.ndarray) -> np.ndarray:
        return scores_in_chunks(learner, pool, self.name, self._score)

    def _score(self, dist: PredictiveDistribution) -> np.ndarray:
        if dist.samples is None or np.asarray(dist.samples).shape[0] < 2:
            raise InvalidInputError(
                "learner",
                "strategy 'qbc' needs a learner whose predict_dist() returns at least two "
                "committee samples (e.g. DeepEnsemble, BaggingCommittee, MCDropoutMLP)",
            )
        members = np.asarray(dist.samples, dtype=np.float64)
        return reduce_outputs(members.var(axis=0), self.reduce)
