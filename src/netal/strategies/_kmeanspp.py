"""BADGE-style k-means++ seeding in a scaled embedding space."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.errors import InvalidInputError
from netal.strategies._common import check_reduce, check_sketch_dim, per_sample_std
from netal.strategies._geometry import d2_seeding
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
    scores_in_chunks,
)
from netal.strategies.base import STRATEGIES, Selection, check_selection_args

SCALES = ("total", "epistemic", "none")


@STRATEGIES.register("kmeanspp")
class KMeansPP:
    """k-means++ seeding on regression "gradient embeddings" (BADGE for regression).

    BADGE (Ash, Zhang, Krishnamurthy, Langford and Agarwal, ICLR 2020) runs
    k-means++ seeding (Arthur and Vassilvitskii, SODA 2007) on the gradient of
    the loss with respect to the last layer's weights, so that the batch is
    both uncertain (long gradients) and diverse (different directions).  For a
    squared loss the gradient for one output is ``(f(x) - y) * z(x)``, where
    ``z(x)`` is the last-layer feature vector (``learner.embed``).  The
    residual is unknown before labeling; its expected magnitude under the
    predictive distribution is the predictive standard deviation, so the
    embedding used here is ``g(x) = s(x) * z(x)`` with

    * ``scale="total"`` (default): ``s = sqrt(epistemic + aleatoric variance)``,
      the root expected squared residual;
    * ``scale="epistemic"``: ``s = sqrt(epistemic variance)``;
    * ``scale="none"``: ``s = 1`` (plain k-means++ on features; no
      ``predict_dist`` needed).

    Multi-output variances are reduced with ``reduce`` before the square root
    (a scalar magnitude per row instead of BADGE's outer product).  Seeding
    starts from the labeled rows' embeddings when ``use_labeled`` (so points
    near labeled data are unlikely); otherwise, as in BADGE, from the row with
    the largest embedding norm.  Each further pick is drawn with probability
    proportional to the squared distance to the nearest center (D^2 sampling)
    from ``rng``.  The score of a pick is that squared distance.

    Parameters
    ----------
    scale
        ``"total"``, ``"epistemic"`` or ``"none"``.
    reduce
        ``"mean"`` (default), ``"max"`` or ``"sum"`` over outputs.
    use_labeled
        Start from the labeled rows (default ``True``).
    sketch_dim
        Optional number of random-projection columns.
    feature_dtype
        ``"float32"`` (default) or ``"float16"`` storage of the features.
    sketch
        Projection for ``sketch_dim``: ``"pca"`` (default; principal
        components of a sample of the pool) or ``"gaussian"`` (random).
    transform
        ``None`` (default) or ``"posterior"``: seed on the Gaussian-process
        posterior features given the labeled rows, without initial centers
        (bmdal-reg's ``kmeanspp-p``; ``use_labeled`` is then moot), as for
        :class:`~netal.strategies.LCMD`.
    noise_variance
        ``sigma^2`` of the posterior transform (``None``: bmdal-reg's 0.01);
        only with ``transform="posterior"``.

    Notes
    -----
    The pool is scored and embedded in chunks; each embedded chunk is scaled
    and (optionally) projected before it is stored, so only the features the
    seeding runs on are held, once.
    """

    name = "kmeanspp"

    def __init__(
        self,
        scale: str = "total",
        reduce: str = "mean",
        use_labeled: bool = True,
        sketch_dim: int | None = None,
        feature_dtype: str = "float32",
        sketch: str = "pca",
        transform: str | None = None,
        noise_variance: float | None = None,
    ) -> None:
        if scale not in SCALES:
            raise InvalidInputError("scale", f"must be one of {list(SCALES)}, got {scale!r}")
        self.scale = scale
        self.reduce = check_reduce(reduce)
        self.use_labeled = bool(use_labeled)
        self.sketch_dim = check_sketch_dim(sketch_dim)
        check_feature_dtype(feature_dtype)
        self.feature_dtype = feature_dtype
        self.sketch = check_sketch(sketch)
        self.transform, self.noise_variance = check_posterior_args(transform, noise_variance)

    def _row_scale(self, learner: Any, X: np.ndarray) -> np.ndarray | None:
        """Per-row magnitude ``s(x)`` (chunked ``predict_dist``), or ``None`` for no scaling."""
        if self.scale == "none" or X.shape[0] == 0:
            return None
        return scores_in_chunks(
            learner, X, self.name, lambda dist: per_sample_std(dist, self.scale, self.reduce)
        )

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
        """Pick ``batch_size`` pool rows by D^2 sampling (see :class:`Strategy`)."""
        pool, labeled, batch_size, _ = check_selection_args(X_pool, X_labeled, batch_size, costs)
        if not self.use_labeled and self.transform is None:
            labeled = labeled[:0]
        feature_map = FeatureMap(
            self.sketch_dim, check_feature_dtype(self.feature_dtype), rng, self.sketch
        )
        features, centers = embed_pool_and_labeled(
            learner,
            pool,
            labeled,
            self.name,
            feature_map,
            pool_scale=self._row_scale(learner, pool),
            labeled_scale=self._row_scale(learner, labeled),
        )
        if self.transform is not None:
            features, centers = posterior_features(
                features, centers, noise_or_default(self.noise_variance)
            )
            centers = centers[:0]
        indices, scores = d2_seeding(features, centers, batch_size, rng)
        return Selection(indices=indices, scores=scores)
