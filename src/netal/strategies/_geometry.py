"""Distance bookkeeping shared by the batch-aware strategies (core-set, k-means++, LCMD, hybrid).

Everything works on float32 (or float16-stored) feature matrices, in row
chunks, and never builds an ``(n_pool, n_pool)`` matrix.  :class:`NearestCenters`
keeps, for every point, its squared distance to the nearest *center* (labeled
points and points picked so far) and which center that is, as ``(n_pool,)``
vectors; adding a center costs one matrix-vector product over the points
(Gonzalez 1985's farthest-first traversal bookkeeping).  Float16 points are
widened to float32 one block at a time (:data:`HALF_BLOCK_BYTES`), so the
extra memory of the greedy methods is a few ``(n_pool,)`` vectors either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext

import numpy as np
from threadpoolctl import threadpool_limits

CHUNK_BYTES = 64 * 2**20
"""Largest temporary distance block, in bytes, built at once."""

PICKED = -1.0
"""Sentinel stored as the nearest-center distance of points already picked.

Because distances only ever decrease when a center is added, and ``-1`` is below
every real squared distance, a picked point is never re-assigned and never wins
an ``argmax`` again.
"""


SINGLE_THREAD_BYTES = 32 * 2**20
"""Feature matrices smaller than this run their per-pick products on one BLAS thread.

A matrix-vector product over a few megabytes takes well under a millisecond;
multi-threaded OpenBLAS then spends more time waking and synchronizing its
threads than computing (40x slower on a busy 2-core machine).  Larger
matrices are memory-bound either way and keep the default thread count.
"""


def blas_threads_for(points: np.ndarray) -> AbstractContextManager[object]:
    """One BLAS thread for small feature matrices (see :data:`SINGLE_THREAD_BYTES`)."""
    if points.nbytes < SINGLE_THREAD_BYTES:
        return threadpool_limits(limits=1, user_api="blas")
    return nullcontext()


HALF_BLOCK_BYTES = 4 * 2**20
"""Float32 bytes of one widened block of float16 points (fits a core's cache)."""


def float32_blocks(points: np.ndarray, rows: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(start, stop, block)`` over row blocks of ``points``, each block as float32.

    Float32 points give views; float16 points are widened block by block.
    """
    for start in range(0, points.shape[0], rows):
        stop = min(points.shape[0], start + rows)
        yield start, stop, np.asarray(points[start:stop], dtype=np.float32)


def _half_rows(points: np.ndarray) -> int:
    return max(1, HALF_BLOCK_BYTES // (4 * max(1, points.shape[1])))


def squared_norms(points: np.ndarray) -> np.ndarray:
    """Row-wise squared Euclidean norms, float32 (float16 points are widened per block)."""
    if points.dtype == np.float32:
        return np.einsum("ij,ij->i", points, points)
    norms = np.empty(points.shape[0], dtype=np.float32)
    for start, stop, block in float32_blocks(points, _half_rows(points)):
        norms[start:stop] = np.einsum("ij,ij->i", block, block)
    return norms


def matvec(points: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``points @ vector`` as float32 ``(n,)``.

    Float32 points: one BLAS product (the exact path).  Float16 points: torch
    widens one block at a time into a reused float32 buffer and multiplies it,
    on one thread (NumPy's float16 conversion is about 5x slower than torch's;
    two torch threads on blocks this small were 2-3x slower than one on the
    shared 2-core machine).
    """
    if points.dtype == np.float32:
        return points @ vector
    import torch

    n, d = points.shape
    rows = _half_rows(points)
    out = np.empty(n, dtype=np.float32)
    source, target = torch.from_numpy(points), torch.from_numpy(out)
    weights = torch.from_numpy(np.ascontiguousarray(vector, dtype=np.float32))
    buffer = torch.empty((min(rows, n), d), dtype=torch.float32)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for start in range(0, n, rows):
            stop = min(n, start + rows)
            block = buffer[: stop - start]
            block.copy_(source[start:stop])
            torch.mv(block, weights, out=target[start:stop])
    finally:
        torch.set_num_threads(threads)
    return out


def min_squared_distances(
    points: np.ndarray, point_norms: np.ndarray, centers: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Squared distance of every point to its nearest center, and that center's index.

    Uses ``|x|^2 + |c|^2 - 2 x.c`` on row chunks of at most :data:`CHUNK_BYTES`
    (float16 points are widened per chunk); results are clamped at zero.  With
    no centers, distances are ``inf`` and indices ``-1``.
    """
    n = points.shape[0]
    if centers.shape[0] == 0:
        return np.full(n, np.inf, dtype=np.float32), np.full(n, -1, dtype=np.int64)
    centers = np.asarray(centers, dtype=np.float32)
    center_norms = squared_norms(centers)
    min_d2 = np.empty(n, dtype=np.float32)
    nearest = np.empty(n, dtype=np.int64)
    rows = max(1, CHUNK_BYTES // (4 * centers.shape[0]))
    for start, stop, chunk in float32_blocks(points, rows):
        block = chunk @ centers.T
        block *= -2.0
        block += center_norms[None, :]
        best = np.argmin(block, axis=1)
        nearest[start:stop] = best
        min_d2[start:stop] = block[np.arange(stop - start), best] + point_norms[start:stop]
    np.maximum(min_d2, 0.0, out=min_d2)
    return min_d2, nearest


class NearestCenters:
    """Incremental nearest-center distances of a fixed point set.

    Adding a center costs one float32 matrix-vector product over the points
    plus a few passes over ``(n,)`` vectors.  (Triangle-inequality pruning, as
    in Elkan, ICML 2003, was tried: on last-layer features of a 512-wide MLP
    the points it cannot rule out are scattered over the whole pool, and
    gathering them cost more than the full product.)

    Parameters
    ----------
    points
        ``(n, d)`` float32 or float16 features of the candidates (not copied).
    centers
        ``(m, d)`` float32 features of the initial centers (may be empty).

    Attributes
    ----------
    min_d2
        ``(n,)`` squared distance to the nearest center (:data:`PICKED` for
        points picked as centers; ``inf`` while there is no center).
    assign
        ``(n,)`` index of the nearest center (``-1`` while there is none);
        initial centers are ``0..m-1``, the ``t``-th added one is ``m + t``.
    n_centers
        Number of centers so far.
    """

    def __init__(self, points: np.ndarray, centers: np.ndarray) -> None:
        self.points = points
        self.norms = squared_norms(points)
        self.min_d2, self.assign = min_squared_distances(points, self.norms, centers)
        self.n_centers = int(centers.shape[0])

    def pick(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Make point ``index`` a center and update every point's nearest center.

        Returns the indices whose nearest center changed, with their previous
        center indices and previous squared distances (for incremental
        per-cluster statistics).  The picked point itself is marked
        :data:`PICKED` and is not among the returned indices.
        """
        d2 = matvec(self.points, np.asarray(self.points[index], dtype=np.float32))
        d2 *= -2.0
        d2 += self.norms
        d2 += self.norms[index]
        np.maximum(d2, 0.0, out=d2)
        self.min_d2[index] = PICKED
        self.assign[index] = self.n_centers
        updated = np.flatnonzero(d2 < self.min_d2)
        old_assign = self.assign[updated]
        old_d2 = self.min_d2[updated]
        self.min_d2[updated] = d2[updated]
        self.assign[updated] = self.n_centers
        self.n_centers += 1
        return updated, old_assign, old_d2

    def first_unpicked(self) -> int:
        """Lowest index not yet picked (used when every distance is zero)."""
        return int(np.flatnonzero(self.min_d2 != PICKED)[0])


def greedy_k_center(
    points: np.ndarray, centers: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Farthest-first traversal (greedy k-center) of ``points`` starting from ``centers``.

    Each step picks the point farthest from its nearest center (Gonzalez 1985;
    the core-set rule of Sener and Savarese, ICLR 2018).  Ties go to the lowest
    index.  Without initial centers the first pick is the point of largest norm.

    Returns the picked indices and their distance to the nearest center at the
    moment they were picked.
    """
    with blas_threads_for(points):
        return _greedy_k_center(NearestCenters(points, centers), k)


def _greedy_k_center(state: NearestCenters, k: int) -> tuple[np.ndarray, np.ndarray]:
    picks = np.empty(k, dtype=np.int64)
    scores = np.empty(k, dtype=np.float64)
    for step in range(k):
        if state.n_centers == 0:
            index = int(np.argmax(state.norms))
            distance2 = float(state.norms[index])
        else:
            index = int(np.argmax(state.min_d2))
            distance2 = float(state.min_d2[index])
            if distance2 <= 0.0:
                index = state.first_unpicked()
                distance2 = 0.0
        picks[step] = index
        scores[step] = np.sqrt(distance2)
        state.pick(index)
    return picks, scores


def d2_seeding(
    points: np.ndarray, centers: np.ndarray, k: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """k-means++ seeding (Arthur and Vassilvitskii, SODA 2007) starting from ``centers``.

    Each new center is drawn with probability proportional to its squared
    distance to the nearest existing center (D^2 sampling) using one
    ``rng.random()`` draw per pick.  Without initial centers the first pick is
    the point of largest norm, as in BADGE (Ash et al., ICLR 2020).  When every
    remaining point coincides with a center, the lowest unpicked index is taken.

    Returns the picked indices and their squared distance to the nearest center
    at the moment they were picked.
    """
    with blas_threads_for(points):
        return _d2_seeding(NearestCenters(points, centers), k, rng)


def _d2_seeding(
    state: NearestCenters, k: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    picks = np.empty(k, dtype=np.int64)
    scores = np.empty(k, dtype=np.float64)
    for step in range(k):
        if state.n_centers == 0:
            index = int(np.argmax(state.norms))
            weight = float(state.norms[index])
        else:
            weights = np.maximum(state.min_d2, 0.0, dtype=np.float64)
            cumulative = np.cumsum(weights)
            total = float(cumulative[-1])
            if total > 0.0:
                draw = rng.random() * total
                index = int(np.searchsorted(cumulative, draw, side="right"))
                if index >= len(weights) or weights[index] <= 0.0:
                    index = int(np.flatnonzero(weights > 0.0)[-1])
                weight = float(weights[index])
            else:
                index = state.first_unpicked()
                weight = 0.0
        picks[step] = index
        scores[step] = weight
        state.pick(index)
    return picks, scores
