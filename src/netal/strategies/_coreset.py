"""Core-set selection: greedy k-center in the learner's embedding space."""

from __future__ import annotations

import numpy as np

from netal.strategies._embedding import EmbeddingBatchSelection
from netal.strategies._geometry import greedy_k_center
from netal.strategies.base import STRATEGIES


@STRATEGIES.register("coreset")
class CoreSet(EmbeddingBatchSelection):
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

    The pool is embedded chunk by chunk into one preallocated array (optionally
    sketched and stored as float16, see ``feature_dtype``); the farthest-first
    state is two ``(n_pool,)`` vectors.

    Parameters
    ----------
    sketch_dim
        Optional number of random-projection columns (``None``: exact features).
    feature_dtype
        ``"float32"`` (default) or ``"float16"`` storage of the features.
    sketch
        Projection for ``sketch_dim``: ``"pca"`` (default; principal
        components of a sample of the pool) or ``"gaussian"`` (random).

    References
    ----------
    Sener and Savarese, "Active Learning for Convolutional Neural Networks: A
    Core-Set Approach", ICLR 2018.
    """

    name = "coreset"

    def _pick(
        self, features: np.ndarray, centers: np.ndarray, batch_size: int
    ) -> tuple[np.ndarray, np.ndarray]:
        return greedy_k_center(features, centers, batch_size)
