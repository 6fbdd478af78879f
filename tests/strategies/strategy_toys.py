"""Small deterministic learners implementing the netal learner protocols, for strategy tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from netal.models.base import PredictiveDistribution

SIGNS = np.array([1.0, -1.0, 1.0, -1.0])
"""Four committee members at mean +- sqrt(v): their population variance is exactly v."""


def flat(X: np.ndarray) -> np.ndarray:
    return np.asarray(X, dtype=np.float64).reshape(len(X), -1)


def distance_to_anchors(anchors: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Epistemic variance = squared distance to the nearest anchor (e.g. the labeled rows)."""
    anchors = flat(anchors)

    def variance(X: np.ndarray) -> np.ndarray:
        F = flat(X)
        d2 = ((F[:, None, :] - anchors[None, :, :]) ** 2).sum(axis=2)
        return d2.min(axis=1)

    return variance


class ToyLearner:
    """Epistemic variance from ``variance(X)``; embedding = the flattened input.

    ``horizon`` > 0 gives ``(n, horizon)`` outputs whose per-step variance is the
    base variance times ``1, 2, ..., horizon`` divided by ``horizon``.
    """

    def __init__(
        self,
        variance: Callable[[np.ndarray], np.ndarray],
        aleatoric: float | Callable[[np.ndarray], np.ndarray] = 0.0,
        horizon: int = 0,
        with_samples: bool = True,
    ) -> None:
        self.variance = variance
        self.aleatoric = aleatoric
        self.horizon = horizon
        self.with_samples = with_samples
        self.embed_calls = 0

    def fit(self, X: np.ndarray, y: np.ndarray) -> ToyLearner:
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.predict_dist(X).mean

    def predict_dist(self, X: np.ndarray) -> PredictiveDistribution:
        var = np.asarray(self.variance(X), dtype=np.float64)
        if self.horizon:
            var = var[:, None] * (np.arange(1, self.horizon + 1) / self.horizon)[None, :]
        noise = self.aleatoric(X) if callable(self.aleatoric) else self.aleatoric
        aleatoric = np.broadcast_to(np.asarray(noise, dtype=np.float64), var.shape).copy()
        mean = np.zeros_like(var)
        samples = None
        if self.with_samples:
            shape = (len(SIGNS),) + (1,) * var.ndim
            samples = mean[None] + SIGNS.reshape(shape) * np.sqrt(var)[None]
        return PredictiveDistribution(
            mean=mean, epistemic_var=var, aleatoric_var=aleatoric, samples=samples
        )

    def embed(self, X: np.ndarray) -> np.ndarray:
        self.embed_calls += 1
        return flat(X)


class NoEmbedLearner:
    """A learner with predict_dist but no embed."""

    def __init__(self, variance: Callable[[np.ndarray], np.ndarray]) -> None:
        self._inner = ToyLearner(variance)

    def fit(self, X: np.ndarray, y: np.ndarray) -> NoEmbedLearner:
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self._inner.predict(X)

    def predict_dist(self, X: np.ndarray) -> PredictiveDistribution:
        return self._inner.predict_dist(X)


class PredictOnlyLearner:
    """A learner with neither predict_dist nor embed."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> PredictOnlyLearner:
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.zeros(len(X))


def duplicate_cluster_problem(
    rng: np.random.Generator, n_spread: int = 40, n_copies: int = 15, dim: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spread pool + a tight cluster of near-copies of the most uncertain point.

    Returns ``(pool, labeled, copies)`` where ``copies`` are the pool indices of
    the cluster; the variance (distance to the labeled anchors) is largest there.
    """
    labeled = rng.uniform(0.0, 10.0, size=(6, dim))
    spread = rng.uniform(0.0, 10.0, size=(n_spread, dim))
    center = np.full(dim, 25.0)
    copies = center + rng.normal(scale=1e-3, size=(n_copies, dim))
    pool = np.concatenate([spread, copies])
    order = rng.permutation(len(pool))
    pool = pool[order]
    copy_index = np.flatnonzero(order >= n_spread)
    return pool, labeled, copy_index


class EmbedOnlyLearner(PredictOnlyLearner):
    """A learner with embed but no predict_dist."""

    def embed(self, X: np.ndarray) -> np.ndarray:
        return flat(X)
