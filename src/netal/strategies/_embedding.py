"""Common machinery of the batch strategies that work on distances in the learner's embedding space."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.strategies._common import check_sketch_dim
from netal.strategies._streaming import (
    FeatureMap,
    check_feature_dtype,
    check_sketch,
    embed_pool_and_labeled,
)
from netal.strategies.base import Selection, check_selection_args


class EmbeddingBatchSelection:
    """Base class: subclasses implement :meth:`_pick` on the pool's features.

    :meth:`select` validates the arguments and streams the pool and the
    labeled rows through ``learner.embed`` in chunks
    (:func:`netal.strategies._streaming.embed_pool_and_labeled`), optionally
    projecting each chunk to ``sketch_dim`` columns (``sketch``: one Gaussian
    random matrix, or the principal directions of a sample of the pool) and
    storing it as ``feature_dtype``; then
    :meth:`_pick` returns the chosen pool indices and their scores.  The
    pool's features are held once; without a sketch, and as float32, they are
    exactly ``learner.embed(X_pool)``.

    Parameters
    ----------
    sketch_dim
        Optional number of random-projection columns (``None``: exact features).
    feature_dtype
        ``"float32"`` (default) or ``"float16"``: how the features are stored
        (float16 halves their memory; distances are still computed in float32).
    sketch
        ``"pca"`` (default: the leading principal components of
        :data:`~netal.strategies._streaming.PCA_SAMPLE_ROWS` pool rows) or
        ``"gaussian"`` (a Johnson-Lindenstrauss random projection).  On
        last-layer features PCA keeps the picks much closer to the exact ones
        (``docs/benchmarks.md``: LCMD with a 128-column Gaussian sketch did no
        better than a random batch on its own objective).
    """

    name = "embedding"

    def __init__(
        self,
        sketch_dim: int | None = None,
        feature_dtype: str = "float32",
        sketch: str = "pca",
    ) -> None:
        self.sketch_dim = check_sketch_dim(sketch_dim)
        check_feature_dtype(feature_dtype)
        self.feature_dtype = feature_dtype
        self.sketch = check_sketch(sketch)

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
        feature_map = FeatureMap(
            self.sketch_dim, check_feature_dtype(self.feature_dtype), rng, self.sketch
        )
        features, centers = embed_pool_and_labeled(learner, pool, labeled, self.name, feature_map)
        indices, scores = self._pick(features, centers, batch_size)
        return Selection(indices=indices, scores=scores)
