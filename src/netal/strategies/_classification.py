"""What the classification strategies share: the capability check and class probabilities in chunks.

Classification strategies know learners through
:class:`~netal.models.base.ProbabilisticClassifier` (``predict_proba``, any
scikit-learn classifier) and :class:`~netal.models.base.UncertaintyClassifier`
(``predict_proba_dist``: the probabilities of every pass or member).  They
carry ``task = "classification"`` so that lists of regression strategies
(:func:`netal.strategies.base.strategy_names`) leave them out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from netal._validation import check_finite
from netal.errors import InvalidInputError, ShapeMismatchError
from netal.models.base import ClassDistribution
from netal.strategies._scoring import TopKScoring
from netal.strategies._streaming import row_slices
from netal.strategies.base import Selection, check_selection_args, top_k

CLASSIFICATION = "classification"
"""The ``task`` of the classification strategies."""


def class_distribution(
    learner: Any, X: np.ndarray, strategy: str, *, samples: bool = False, where: str = ""
) -> ClassDistribution:
    """The learner's class probabilities of ``X``, checked (rows, finite, in ``[0, 1]``).

    ``predict_proba_dist`` is used when the learner has it; otherwise
    ``predict_proba`` (no per-model samples).  ``samples=True`` requires the
    per-model probabilities (BALD).
    """
    if callable(getattr(learner, "predict_proba_dist", None)):
        dist = learner.predict_proba_dist(X)
    elif callable(getattr(learner, "predict_proba", None)) and not samples:
        proba = np.asarray(learner.predict_proba(X), dtype=np.float64)
        dist = ClassDistribution(proba=proba, classes=np.arange(proba.shape[-1]))
    else:
        needed = "predict_proba_dist()" if samples else "predict_proba()"
        raise InvalidInputError(
            "learner",
            f"strategy {strategy!r} needs a classifier with {needed} "
            "(e.g. mc_dropout_classifier, deep_ensemble_classifier, bagged_trees)",
        )
    n = X.shape[0]
    proba = np.asarray(dist.proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[0] != n:
        raise ShapeMismatchError(
            f"learner.predict_proba(){where}", f"must have shape ({n}, K), got {proba.shape}"
        )
    check_finite(proba, f"learner.predict_proba(){where}")
    if samples:
        if dist.samples is None:
            raise InvalidInputError(
                "learner", f"strategy {strategy!r} needs per-model probabilities (samples)"
            )
        check_finite(np.asarray(dist.samples), f"learner.predict_proba_dist().samples{where}")
    return dist


def class_scores_in_chunks(
    learner: Any,
    pool: np.ndarray,
    strategy: str,
    per_row: Callable[[ClassDistribution], np.ndarray],
    *,
    samples: bool = False,
) -> np.ndarray:
    """One float64 score per pool row from the class probabilities, chunk by chunk."""
    n = pool.shape[0]
    scores = np.empty(n, dtype=np.float64)
    for part in row_slices(n):
        where = "" if (part.start == 0 and part.stop == n) else f" (rows {part.start}:{part.stop})"
        dist = class_distribution(learner, pool[part], strategy, samples=samples, where=where)
        scores[part] = per_row(dist)
    return scores


class ClassificationTopK(TopKScoring):
    """Top-k scoring of the classification strategies, random when the scores carry no information.

    A classifier that has seen one class only (the first labels of an anomaly hunt are often all
    normal) gives every row probability 1 for that class, so entropy, margin and mutual
    information are equal everywhere; taking the lowest row indices would then pick by the
    pool's order.  When every score is equal the batch is drawn uniformly from ``rng`` instead
    (scores 0), as the passive baseline would.
    """

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
        """The ``batch_size`` highest scores, or a uniform batch when all scores are equal."""
        pool, _, batch, _ = check_selection_args(X_pool, X_labeled, batch_size, costs)
        scores = self.score(learner, pool, X_labeled)
        if np.ptp(scores) > 0:
            indices = top_k(scores, batch).astype(np.int64)
            return Selection(indices=indices, scores=scores[indices])
        indices = rng.choice(pool.shape[0], size=batch, replace=False).astype(np.int64)
        return Selection(indices=indices, scores=np.zeros(batch))
