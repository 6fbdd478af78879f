"""LCMD: largest-cluster maximum-distance batch selection."""

from __future__ import annotations

import numpy as np

from netal.strategies._embedding import EmbeddingBatchSelection
from netal.strategies._geometry import NearestCenters, blas_threads_for
from netal.strategies.base import STRATEGIES


def largest_cluster_max_distance(
    points: np.ndarray, centers: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Run LCMD on float32 ``points`` with the initial ``centers``; return picks and scores.

    Every point belongs to the cluster of its nearest center; the size of a
    cluster is the sum of its members' squared distances to the center.  Each
    step takes the largest cluster and, inside it, the member farthest from the
    center, which then becomes a center itself.  Ties go to the lower cluster
    index (labeled centers first, then picks in order) and the lower point
    index.  Without initial centers the first pick is the point of largest norm
    (the largest kernel diagonal, as bmdal_reg does).  When every remaining
    point coincides with a center, the lowest unpicked index is taken.

    Distances are updated incrementally (one matrix-vector product per pick);
    per-cluster sums are updated with :func:`numpy.bincount` over the points
    whose nearest center changed, in float64.
    """
    with blas_threads_for(points):
        return _lcmd(NearestCenters(points, centers), k)


def _lcmd(state: NearestCenters, k: int) -> tuple[np.ndarray, np.ndarray]:
    n_initial = state.n_centers
    n_total = n_initial + k
    sums = np.zeros(n_total, dtype=np.float64)
    if n_initial:
        sums[:n_initial] = np.bincount(state.assign, weights=state.min_d2, minlength=n_initial)
    picks = np.empty(k, dtype=np.int64)
    scores = np.empty(k, dtype=np.float64)
    for step in range(k):
        index, distance2 = _next_pick(state, sums)
        if state.assign[index] >= 0:
            sums[state.assign[index]] -= distance2
        picks[step] = index
        scores[step] = np.sqrt(distance2)
        updated, old_assign, old_d2 = state.pick(index)
        known = old_assign >= 0
        sums -= np.bincount(old_assign[known], weights=old_d2[known], minlength=n_total)
        sums[state.n_centers - 1] = float(state.min_d2[updated].sum(dtype=np.float64))
    return picks, scores


def _next_pick(state: NearestCenters, sums: np.ndarray) -> tuple[int, float]:
    if state.n_centers == 0:
        index = int(np.argmax(state.norms))
        return index, float(state.norms[index])
    cluster = int(np.argmax(sums[: state.n_centers]))
    members = np.flatnonzero(state.assign == cluster)
    distances = state.min_d2[members]
    best = int(np.argmax(distances)) if len(members) else -1
    if best < 0 or distances[best] <= 0.0:
        return state.first_unpicked(), 0.0
    return int(members[best]), float(distances[best])


@STRATEGIES.register("lcmd")
class LCMD(EmbeddingBatchSelection):
    """Largest Cluster Maximum Distance (Holzmueller, Zaverkin, Kaestner and Steinwart, JMLR 2023).

    From "A Framework and Benchmark for Deep Batch Active Learning for
    Regression": in a feature space of the network, the labeled points and the
    points selected so far are cluster centers and each pool point belongs to
    its nearest center.  LCMD picks the cluster with the largest sum of squared
    distances of its members to its center and, within it, the member farthest
    from the center; it repeats until the batch is full.  It combines the
    coverage of core-set with a preference for dense, poorly covered regions.

    The feature space is ``learner.embed`` (last-layer features, the "ll"
    kernel of the paper), optionally followed by a Gaussian random projection
    to ``sketch_dim`` columns (bmdal_reg sketches its kernels the same way)
    and stored as float16.  The pool is embedded chunk by chunk into one
    preallocated array, so its features exist once; the selection is
    incremental, keeps per-point state as ``(n_pool,)`` vectors and never
    builds an ``(n, n)`` matrix: one matrix-vector product over the pool per
    pick.  The score of a pick is its distance to its center when it was
    chosen.

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
    Holzmueller, Zaverkin, Kaestner and Steinwart, "A Framework and Benchmark
    for Deep Batch Active Learning for Regression", JMLR 24(164), 2023.
    """

    name = "lcmd"

    def _pick(
        self, features: np.ndarray, centers: np.ndarray, batch_size: int
    ) -> tuple[np.ndarray, np.ndarray]:
        return largest_cluster_max_distance(features, centers, batch_size)
