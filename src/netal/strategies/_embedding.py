"""Common machinery of the batch strategies that work on distances in the learner's embedding space."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.strategies._common import check_sketch_dim
from netal.strategies._posterior import (
    check_posterior_args,
    noise_or_default,
    posterior_features,
)
from netal.strategies._streaming import (
    FeatureMap,
    check_feature_dtype,
    check_sketch,
    embed_pool_and_labeled,
)
from netal.strategies.base import Selection, check_selection_args

KERNELS = ("ll", "grad_rp")
"""Feature spaces of the distance-based strategies (the base kernels of bmdal-reg's names).

``"ll"``: the last hidden layer (``learner.embed``); ``"grad_rp"``: the
network's parameter gradients sketched to ``n_features`` random features
(``learner.gradient_embed``), the kernel Holzmueller et al. (JMLR 2023) found
best for LCMD.
"""


DEFAULT_GRADIENT_FEATURES = 512
"""Columns of the gradient sketch when ``n_features`` is not given (bmdal-reg's choice)."""


def check_kernel(kernel: str | None) -> str | None:
    """Validate a ``kernel`` constructor argument (``None``: the last layer)."""
    if kernel is not None and kernel not in KERNELS:
        raise InvalidInputError("kernel", f"must be one of {list(KERNELS)}, got {kernel!r}")
    return kernel


class GradientView:
    """A learner seen through its sketched gradients: ``embed`` is ``gradient_embed`` with one seed.

    Pool and labeled rows, embedded in separate calls and chunks, go through
    the same sketch because the seed is fixed when the view is made.
    """

    def __init__(self, learner: Any, n_features: int, seed: int, strategy: str) -> None:
        if not callable(getattr(learner, "gradient_embed", None)):
            raise InvalidInputError(
                "learner",
                f"strategy {strategy!r} with kernel='grad_rp' needs a learner with "
                "gradient_embed() (e.g. MCDropoutMLP, DeepEnsemble)",
            )
        self.learner = learner
        self.n_features = n_features
        self.seed = seed

    def embed(self, X: Any) -> np.ndarray:
        """The sketched gradient features of ``X``."""
        return self.learner.gradient_embed(X, n_features=self.n_features, seed=self.seed)


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
    kernel
        ``None`` or ``"ll"`` (default: last-layer features, ``learner.embed``)
        or ``"grad_rp"`` (sketched parameter gradients,
        ``learner.gradient_embed``; see :data:`KERNELS`).  Defaults are
        ``None`` so that runs recorded before these parameters existed resume
        (a knowledge base's fingerprint leaves ``None`` parameters out).
    n_features
        Columns of the gradient sketch for ``kernel="grad_rp"`` (``None``:
        :data:`DEFAULT_GRADIENT_FEATURES`, as bmdal-reg).
    transform
        ``None`` (default: the base kernel, labeled rows are the initial
        centers, bmdal-reg's "TP" mode) or ``"posterior"``: the features are
        scaled so the labeled rows' mean squared norm is 1 and replaced by
        their Gaussian-process posterior features given the labeled rows
        (:func:`netal.strategies._posterior.posterior_features`), and the
        selection starts without centers (bmdal-reg's "P" mode, the
        ``("train", [sigma, None])`` transform of its ``-p`` methods, e.g.
        ``lcmd-p``, ``maxdist-p``).  Applied after ``sketch_dim``, as
        bmdal-reg applies its random projection first.
    noise_variance
        ``sigma^2`` of the posterior transform, relative to the labeled rows'
        mean squared norm (``None``:
        :data:`~netal.strategies._posterior.DEFAULT_NOISE_VARIANCE`, bmdal-reg's
        ``sigma = 0.1``); only with ``transform="posterior"``.
    """

    name = "embedding"

    def __init__(
        self,
        sketch_dim: int | None = None,
        feature_dtype: str = "float32",
        sketch: str = "pca",
        kernel: str | None = None,
        n_features: int | None = None,
        transform: str | None = None,
        noise_variance: float | None = None,
    ) -> None:
        self.sketch_dim = check_sketch_dim(sketch_dim)
        check_feature_dtype(feature_dtype)
        self.feature_dtype = feature_dtype
        self.sketch = check_sketch(sketch)
        self.kernel = check_kernel(kernel)
        self.n_features = (
            None if n_features is None else check_positive_int(n_features, "n_features")
        )
        self.transform, self.noise_variance = check_posterior_args(transform, noise_variance)

    def _transformed(
        self, features: np.ndarray, centers: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Features and centers for :meth:`_pick` under ``transform`` (see the class docstring)."""
        if self.transform is None:
            return features, centers
        features, centers = posterior_features(
            features, centers, noise_or_default(self.noise_variance)
        )
        return features, self._posterior_centers(centers)

    def _posterior_centers(self, centers: np.ndarray) -> np.ndarray:
        """The initial centers after the posterior transform: none (bmdal-reg's P mode)."""
        return centers[:0]

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
        source = learner
        if self.kernel == "grad_rp":
            seed = int(rng.integers(2**31 - 1))
            width = DEFAULT_GRADIENT_FEATURES if self.n_features is None else self.n_features
            source = GradientView(learner, width, seed, self.name)
        features, centers = embed_pool_and_labeled(source, pool, labeled, self.name, feature_map)
        features, centers = self._transformed(features, centers)
        indices, scores = self._pick(features, centers, batch_size)
        return Selection(indices=indices, scores=scores)
