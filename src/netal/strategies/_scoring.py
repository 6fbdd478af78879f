"""Common machinery of the strategies that score every pool row and take the top k."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.strategies._common import check_scores
from netal.strategies.base import Selection, check_selection_args, top_k


class TopKScoring:
    """Base class: subclasses implement :meth:`_scores` on validated float arrays.

    :meth:`select` returns the ``batch_size`` highest-scoring rows, largest
    first, ties broken by the lower index (:func:`netal.strategies.base.top_k`);
    :meth:`score` exposes the per-row utility (see
    :class:`netal.strategies.base.SupportsScores`).
    """

    name = "top_k"

    def _scores(self, learner: Any, pool: np.ndarray, labeled: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def score(self, learner: Any, X_pool: np.ndarray, X_labeled: np.ndarray) -> np.ndarray:
        """Per-row utility of the pool, ``(n_pool,)``."""
        pool, labeled, _, _ = check_selection_args(X_pool, X_labeled, 1)
        return check_scores(self._scores(learner, pool, labeled), pool.shape[0], self.name)

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
        """Pick the ``batch_size`` highest-scoring pool rows (see :class:`Strategy`)."""
        pool, labeled, batch_size, _ = check_selection_args(X_pool, X_labeled, batch_size, costs)
        scores = check_scores(self._scores(learner, pool, labeled), pool.shape[0], self.name)
        indices = top_k(scores, batch_size).astype(np.int64)
        return Selection(indices=indices, scores=scores[indices])
