"""Common machinery of the batch strategies that work on distances in the learner's embedding space."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.strategies._common import check_sketch_dim, pool_and_labeled_embeddings
from netal.strategies._geometry import gaussian_sketch
from netal.strategies.base import Selection, check_selection_args


class EmbeddingBatchSelection:
    """Base class: subclasses implement :meth:`_pick` on float32 embeddings.

    :meth:`select` validates the arguments, embeds the pool and the labeled
    rows with ``learner.embed``, optionally projects both with one Gaussian
    random projection to ``sketch_dim`` columns, and hands them to
    :meth:`_pick`, which returns the chosen pool indices and their scores.
    """

    name = "embedding"

    def __init__(self, sketch_dim: int | None = None) -> None:
        self.sketch_dim = check_sketch_dim(sketch_dim)

    def _pick(
        self, features: np.ndarray, centers: np.ndarray, batch_size: int
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

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
        """Pick ``batch_size`` pool rows from their embeddings (see :class:`Strategy`)."""
        pool, labeled, batch_size, _ = check_selection_args(X_pool, X_labeled, batch_size, costs)
        features, centers = pool_and_labeled_embeddings(learner, pool, labeled, self.name)
        if self.sketch_dim is not None:
            features, centers = gaussian_sketch([features, centers], self.sketch_dim, rng)
        indices, scores = self._pick(features, centers, batch_size)
        return Selection(indices=indices, scores=scores)
