"""Core-set selection: greedy k-center in the learner's embedding space."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.strategies._common import check_sketch_dim, pool_and_labeled_embeddings
from netal.strategies._geometry import gaussian_sketch, greedy_k_center
from netal.strategies.base import STRATEGIES, Selection, check_selection_args


@STRATEGIES.register("coreset")
class CoreSet:
    """Greedy k-center (farthest-first) selection in embedding space.

    The core-set approach (Sener and Savarese, ICLR 2018) chooses the batch
    that minimizes the largest distance of any pool point to its nearest
    labeled-or-chosen point; the greedy 2-approximation repeatedly takes the
    pool point farthest from all current centers, starting from the labeled
    set.  Distances are Euclidean in ``learner.embed`` space (the last hidden
    layer), optionally after a Gaussian random projection to ``sketch_dim``
    columns.  Ties go to the lower index; with no labeled data the first pick
    is the point of largest norm.  The score of a pick is its distance to the
    nearest center when it was chosen.

    Parameters
    ----------
    sketch_dim
        Optional number of random-projection columns (``None``: exact features).
    """

    name = "coreset"

    def __init__(self, sketch_dim: int | None = None) -> None:
        self.sketch_dim = check_sketch_dim(sketch_dim)

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
        """Pick ``batch_size`` pool rows by farthest-first traversal (see :class:`Strategy`)."""
        pool, labeled, batch_size, _ = check_selection_args(X_pool, X_labeled, batch_size, costs)
        features, centers = pool_and_labeled_embeddings(learner, pool, labeled, self.name)
        if self.sketch_dim is not None:
            features, centers = gaussian_sketch([features, centers], self.sketch_dim, rng)
        indices, scores = greedy_k_center(features, centers, batch_size)
        return Selection(indices=indices, scores=scores)
