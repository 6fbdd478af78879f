"""CLUE: clustering uncertainty-weighted embeddings, a target-aware batch selector."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.cluster import KMeans

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.strategies._common import check_reduce, check_sketch_dim, per_sample_std
from netal.strategies._streaming import (
    FeatureMap,
    check_feature_dtype,
    check_sketch,
    embed_pool_and_labeled,
    scores_in_chunks,
)
from netal.strategies.base import STRATEGIES, Selection, check_selection_args

UNCERTAINTIES = ("total", "epistemic")


@STRATEGIES.register("clue")
class CLUE:
    """Weighted k-means in the learner's embedding of the pool, one pick per cluster.

    CLUE (Prabhu, Chandrasekaran, Saenko and Hoffman, "Active Domain
    Adaptation via Clustering Uncertainty-weighted Embeddings", ICCV 2021)
    selects a batch of ``b`` target rows that are both uncertain and
    representative: it runs k-means with ``k = b`` on the embeddings of the
    (target) pool, each row weighted by its uncertainty, and picks the pool row
    nearest each centroid.  In a transfer setting the learner is the model
    adapted so far, so the clusters live in its embedding of the *target*.
    The paper weights rows by the entropy of a classifier's prediction; for a
    Gaussian regression prediction the entropy ``0.5 log(2 pi e var)`` can be
    negative, so the weight here is the predictive variance itself
    (``uncertainty="total"``, epistemic plus aleatoric, or ``"epistemic"``),
    which orders rows the same way.

    The score of a pick is its weight (variance).  Ties between centroids that
    share a nearest row go to the next nearest row not picked yet.

    Parameters
    ----------
    uncertainty
        ``"total"`` (default) or ``"epistemic"`` variance as the weight.
    reduce
        ``"mean"``, ``"max"`` or ``"sum"`` over outputs of multi-output targets.
    n_init, max_iter
        k-means restarts and iterations (scikit-learn's ``KMeans``, Lloyd).
    sketch_dim, feature_dtype, sketch
        Optional projection and storage of the features, as in the other
        embedding strategies (:class:`~netal.strategies.KMeansPP`).

    References
    ----------
    Prabhu et al., ICCV 2021; Lloyd, "Least squares quantization in PCM",
    IEEE Trans. Inf. Theory 1982.
    """

    name = "clue"

    def __init__(
        self,
        uncertainty: str = "total",
        reduce: str = "mean",
        n_init: int = 1,
        max_iter: int = 100,
        sketch_dim: int | None = None,
        feature_dtype: str = "float32",
        sketch: str = "pca",
    ) -> None:
        if uncertainty not in UNCERTAINTIES:
            raise InvalidInputError(
                "uncertainty", f"must be one of {list(UNCERTAINTIES)}, got {uncertainty!r}"
            )
        self.uncertainty = uncertainty
        self.reduce = check_reduce(reduce)
        self.n_init = check_positive_int(n_init, "n_init")
        self.max_iter = check_positive_int(max_iter, "max_iter")
        self.sketch_dim = check_sketch_dim(sketch_dim)
        check_feature_dtype(feature_dtype)
        self.feature_dtype = feature_dtype
        self.sketch = check_sketch(sketch)

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
        """Pick ``batch_size`` pool rows, one per uncertainty-weighted k-means cluster."""
        pool, labeled, batch_size, _ = check_selection_args(X_pool, X_labeled, batch_size, costs)
        feature_map = FeatureMap(
            self.sketch_dim, check_feature_dtype(self.feature_dtype), rng, self.sketch
        )
        features, _ = embed_pool_and_labeled(learner, pool, labeled[:0], self.name, feature_map)
        weights = (
            scores_in_chunks(
                learner,
                pool,
                self.name,
                lambda dist: per_sample_std(dist, self.uncertainty, self.reduce),
            )
            ** 2
        )
        if not np.any(weights > 0):
            weights = np.ones(len(pool))
        points = np.asarray(features, dtype=np.float64)
        if batch_size >= len(points):
            indices = np.arange(len(points))
            return Selection(indices=indices, scores=weights[indices])
        kmeans = KMeans(
            n_clusters=batch_size,
            n_init=self.n_init,
            max_iter=self.max_iter,
            random_state=int(rng.integers(2**31 - 1)),
        ).fit(points, sample_weight=weights)
        indices = _nearest_distinct(points, kmeans.cluster_centers_)
        return Selection(indices=indices, scores=weights[indices])


def _nearest_distinct(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """For each center in turn, the nearest row of ``points`` not taken by an earlier center."""
    taken = np.zeros(len(points), dtype=bool)
    picks = np.empty(len(centers), dtype=np.int64)
    squared = np.einsum("ij,ij->i", points, points)
    for c, center in enumerate(centers):
        distance = squared - 2.0 * points @ center
        distance[taken] = np.inf
        picks[c] = int(np.argmin(distance))
        taken[picks[c]] = True
    return picks
