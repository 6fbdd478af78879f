"""The pool through the learner in row chunks: scores and (optionally sketched) embeddings.

A pool of a million rows embedded by a 512-wide network is a 2 GB float32
matrix.  The strategies therefore never ask the learner for the whole pool at
once: they call ``learner.predict_dist`` and ``learner.embed`` on chunks of
:data:`POOL_CHUNK_ROWS` rows and keep only what they need, written into one
preallocated array:

* scoring strategies keep one float per row (:func:`scores_in_chunks`);
* embedding strategies keep the features they run on
  (:func:`embed_pool_and_labeled`), optionally scaled per row, projected to
  ``sketch_dim`` columns (a Gaussian random matrix, or the principal
  components of a sample of the pool) and stored as float16.

A pool of at most :data:`POOL_CHUNK_ROWS` rows is passed in one call, exactly as
before chunking existed; for larger pools the torch learners give the same
rows bit for bit, because the chunk is a multiple of their own ``chunk_size``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from netal.errors import InvalidInputError, ShapeMismatchError
from netal.models.base import PredictiveDistribution
from netal.strategies._common import embedding, predictive

POOL_CHUNK_ROWS = 32_768
"""Rows passed to the learner at once (a multiple of the torch learners' ``chunk_size``).

At 512 features a chunk's float32 embedding is 64 MB, the largest temporary
the streamed path makes besides the stored features.
"""

FEATURE_DTYPES = ("float32", "float16")
"""Storage types of the features the distance-based strategies work on."""

SKETCHES = ("gaussian", "pca")
"""Kinds of ``sketch_dim`` projection: Gaussian random, or the principal components of a sample."""

PCA_SAMPLE_ROWS = 8192
"""Pool rows embedded (once more) to estimate the principal components of ``sketch="pca"``."""


def check_feature_dtype(feature_dtype: str) -> np.dtype:
    """Validate a ``feature_dtype`` constructor argument; return the NumPy dtype."""
    if feature_dtype not in FEATURE_DTYPES:
        raise InvalidInputError(
            "feature_dtype", f"must be one of {list(FEATURE_DTYPES)}, got {feature_dtype!r}"
        )
    return np.dtype(feature_dtype)


def check_sketch(sketch: str) -> str:
    """Validate a ``sketch`` constructor argument."""
    if sketch not in SKETCHES:
        raise InvalidInputError("sketch", f"must be one of {list(SKETCHES)}, got {sketch!r}")
    return sketch


def row_slices(n: int, rows: int | None = None) -> list[slice]:
    """Consecutive slices of at most ``rows`` (default :data:`POOL_CHUNK_ROWS`) covering ``n`` rows."""
    step = POOL_CHUNK_ROWS if rows is None else rows
    return [slice(start, min(n, start + step)) for start in range(0, n, step)]


def _where(part: slice, n: int) -> str:
    """Suffix of error messages naming the rows of a chunked call (empty for one call)."""
    if part.start == 0 and part.stop == n:
        return ""
    return f" (rows {part.start}:{part.stop})"


def scores_in_chunks(
    learner: Any,
    pool: np.ndarray,
    strategy: str,
    per_row: Callable[[PredictiveDistribution], np.ndarray],
) -> np.ndarray:
    """One float64 score per pool row from ``learner.predict_dist``, chunk by chunk.

    ``per_row`` maps the predictive distribution of a chunk to its ``(c,)``
    scores; it must be row-wise (a row's score depends on that row only), as
    every variance-based score is.  Only the ``(n,)`` result outlives a chunk.
    """
    n = pool.shape[0]
    parts = row_slices(n)
    if len(parts) == 1:
        return np.asarray(per_row(predictive(learner, pool, strategy)), dtype=np.float64)
    scores = np.empty(n, dtype=np.float64)
    for part in parts:
        dist = predictive(learner, pool[part], strategy, where=_where(part, n))
        scores[part] = per_row(dist)
    return scores


def gaussian_projection(d: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """A ``(d, dim)`` float32 Gaussian matrix scaled by ``1 / sqrt(dim)``.

    Distances after the projection are preserved up to ``1 +- eps`` with high
    probability (Johnson and Lindenstrauss, 1984); bmdal_reg sketches its
    kernels with random features the same way (Holzmueller, Zaverkin,
    Kaestner and Steinwart, JMLR 2023).
    """
    projection = rng.standard_normal((d, dim), dtype=np.float32)
    projection /= np.float32(np.sqrt(dim))
    return projection


def principal_projection(sample: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``dim`` leading principal directions of ``sample`` and the projected mean.

    Returns ``(projection, offset)``: ``(d, dim)`` float32 orthonormal columns
    (eigenvectors of the sample covariance, largest eigenvalues first) and the
    ``(dim,)`` float32 image of the sample mean, so that ``x @ projection -
    offset`` is the centred projection.  Distances shrink only by the energy
    outside the leading directions (Eckart and Young, 1936), which for
    last-layer features is far less than a random projection's error.
    """
    mean = sample.mean(axis=0, dtype=np.float64)
    centred = sample - mean.astype(np.float32)
    covariance = (centred.T @ centred).astype(np.float64)
    with threadpool_limits(limits=1, user_api="blas"):  # 6x faster on the shared 2 cores
        _, vectors = np.linalg.eigh(covariance)
    leading = vectors[:, ::-1][:, :dim]
    return np.ascontiguousarray(leading, dtype=np.float32), (mean @ leading).astype(np.float32)


class FeatureMap:
    """What happens to an embedded chunk before it is stored: scale, sketch, cast.

    One instance serves the pool and the labeled rows, so both go through the
    same projection.  With ``sketch="gaussian"`` the projection is drawn from
    ``rng`` when the first chunk arrives (its width is the embedding's); with
    ``sketch="pca"`` it is fitted first on a sample of the pool (:meth:`fit`).
    Either is used only if ``sketch_dim`` is below the embedding's width.

    Parameters
    ----------
    sketch_dim
        Columns of the projection, or ``None`` for none.
    dtype
        Storage type of the result (float32 or float16).
    rng
        Source of the Gaussian projection and of the PCA sample.
    sketch
        ``"gaussian"`` or ``"pca"``.
    """

    def __init__(
        self,
        sketch_dim: int | None,
        dtype: np.dtype,
        rng: np.random.Generator,
        sketch: str = "gaussian",
    ) -> None:
        self.sketch_dim = sketch_dim
        self.dtype = np.dtype(dtype)
        self.rng = rng
        self.sketch = check_sketch(sketch)
        self.width: int | None = None
        self.projection: np.ndarray | None = None
        self.offset: np.ndarray | None = None

    @property
    def needs_sample(self) -> bool:
        """Whether :meth:`fit` must see a sample of the pool before any chunk is mapped."""
        return self.sketch == "pca" and self.sketch_dim is not None and self.width is None

    def fit(self, sample: np.ndarray) -> None:
        """Fix the width and, for ``sketch="pca"``, the principal projection of ``sample``."""
        self.width = sample.shape[1]
        if self.sketch_dim is not None and self.sketch_dim < self.width:
            self.projection, self.offset = principal_projection(sample, self.sketch_dim)

    def __call__(self, block: np.ndarray, scale: np.ndarray | None, name: str) -> np.ndarray:
        """Map one float32 ``(c, d)`` embedded chunk; ``scale`` is its ``(c,)`` row factors."""
        if self.width is None:
            self.width = block.shape[1]
            if self.sketch_dim is not None and self.sketch_dim < self.width:
                self.projection = gaussian_projection(self.width, self.sketch_dim, self.rng)
        elif block.shape[1] != self.width:
            raise ShapeMismatchError(
                "learner.embed()",
                f"gave {block.shape[1]} features for {name} but {self.width} for X_pool",
            )
        if scale is not None:
            block = block * scale.astype(np.float32)[:, None]
        if self.projection is not None:
            block = np.ascontiguousarray(block @ self.projection)
        if self.offset is not None:
            block -= self.offset
        return block

    def out_width(self) -> int:
        """Columns of the mapped features (0 before any chunk)."""
        if self.projection is not None:
            return self.projection.shape[1]
        return 0 if self.width is None else self.width


def embed_rows(
    learner: Any,
    X: np.ndarray,
    strategy: str,
    feature_map: FeatureMap,
    scale: np.ndarray | None = None,
    name: str = "X_pool",
) -> np.ndarray | None:
    """Embed ``X`` chunk by chunk through ``feature_map`` into one preallocated array.

    Returns ``None`` for an empty ``X`` (the learner is not called).  A single
    chunk is returned as mapped, without a copy when it is float32.
    """
    n = X.shape[0]
    parts = row_slices(n)
    out: np.ndarray | None = None
    for part in parts:
        raw = embedding(learner, X[part], strategy, where=_where(part, n))
        block = feature_map(raw, None if scale is None else scale[part], name)
        if len(parts) == 1:
            return block.astype(feature_map.dtype, copy=False)
        if out is None:
            out = np.empty((n, block.shape[1]), dtype=feature_map.dtype)
        out[part] = block
    return out


def _pool_sample(
    learner: Any,
    pool: np.ndarray,
    strategy: str,
    rng: np.random.Generator,
    scale: np.ndarray | None,
) -> np.ndarray:
    """Embedding of :data:`PCA_SAMPLE_ROWS` pool rows drawn by ``rng`` (all rows if fewer)."""
    rows = np.sort(rng.choice(pool.shape[0], min(pool.shape[0], PCA_SAMPLE_ROWS), replace=False))
    sample = embedding(learner, pool[rows], strategy, where=" (PCA sample)")
    if scale is not None:
        sample = sample * scale[rows].astype(np.float32)[:, None]
    return sample


def embed_pool_and_labeled(
    learner: Any,
    pool: np.ndarray,
    labeled: np.ndarray,
    strategy: str,
    feature_map: FeatureMap,
    pool_scale: np.ndarray | None = None,
    labeled_scale: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pool features (storage dtype) and labeled centers (float32), streamed.

    The pool is embedded, mapped and stored chunk by chunk, so its full
    float32 embedding never exists unless it is what is stored; the labeled
    rows go through the same map.  Centers are rounded through the storage
    dtype and returned as float32, so that a labeled row equal to a pool row
    stays at distance zero.  An empty labeled set gives ``(0, width)``.
    """
    if feature_map.needs_sample:
        feature_map.fit(_pool_sample(learner, pool, strategy, feature_map.rng, pool_scale))
    features = embed_rows(learner, pool, strategy, feature_map, pool_scale, "X_pool")
    if features is None:
        raise ShapeMismatchError("X_pool", "has no rows to embed")
    centers = embed_rows(learner, labeled, strategy, feature_map, labeled_scale, "X_labeled")
    if centers is None:
        return features, np.zeros((0, feature_map.out_width()), dtype=np.float32)
    return features, centers.astype(np.float32, copy=False)
