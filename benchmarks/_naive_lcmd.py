"""A straightforward NumPy reference implementation of LCMD, for checking and benchmarking.

Largest Cluster Maximum Distance (Holzmueller, Zaverkin, Kaestner and Steinwart,
JMLR 2023), written as directly as possible: every step recomputes, in float64,
the distance of every pool point to every center (labeled points and picks so
far), the assignment to the nearest center and the per-cluster sums of squared
distances.  No incremental updates.  Same tie rules as
:func:`netal.strategies._lcmd.largest_cluster_max_distance`: lower cluster index,
lower point index, the point of largest norm first when there are no labeled
points, the lowest unpicked index when every distance is zero.
"""

from __future__ import annotations

import numpy as np


def naive_lcmd(pool_features: np.ndarray, labeled_features: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` pool points LCMD selects, in pick order."""
    pool = np.asarray(pool_features, dtype=np.float64)
    centers = [row for row in np.asarray(labeled_features, dtype=np.float64)]
    picked: list[int] = []
    for _ in range(k):
        if not centers:
            index = int(np.argmax((pool**2).sum(axis=1)))
        else:
            index = _pick(pool, np.stack(centers), picked)
        picked.append(index)
        centers.append(pool[index])
    return np.asarray(picked, dtype=np.int64)


def _pick(pool: np.ndarray, centers: np.ndarray, picked: list[int]) -> int:
    distances = np.stack([((pool - center) ** 2).sum(axis=1) for center in centers], axis=1)
    nearest = distances.argmin(axis=1)
    min_d2 = distances.min(axis=1)
    min_d2[picked] = 0.0
    sums = np.array([min_d2[nearest == c].sum() for c in range(len(centers))])
    cluster = int(np.argmax(sums))
    candidates = np.where(nearest == cluster, min_d2, -1.0)
    candidates[picked] = -1.0
    index = int(np.argmax(candidates))
    if candidates[index] <= 0.0:
        unpicked = np.setdiff1d(np.arange(len(pool)), picked)
        index = int(unpicked[0])
    return index
