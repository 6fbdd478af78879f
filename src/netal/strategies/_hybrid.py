"""Uncertainty pre-filter followed by a diverse pick (Zhdanov 2019)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning

from netal.errors import InvalidInputError
from netal.models.base import PredictiveDistribution
from netal.strategies._common import check_reduce, embedding
from netal.strategies._geometry import greedy_k_center
from netal.strategies._streaming import scores_in_chunks
from netal.strategies.base import STRATEGIES, Selection, check_selection_args, reduce_outputs, top_k

DiversityRule = Callable[[np.ndarray, np.ndarray, np.ndarray, int, np.random.Generator], np.ndarray]


def _kcenter(
    features: np.ndarray, labeled: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """Greedy k-center among the candidates, starting from the labeled rows."""
    picks, _ = greedy_k_center(features, labeled, k)
    return picks


def _weighted_kmeans(
    features: np.ndarray, labeled: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """Uncertainty-weighted k-means; the candidate nearest each centroid (Zhdanov 2019).

    Clusters are visited by decreasing total weight.  If k-means leaves a
    cluster empty (fewer distinct candidates than ``k``), the batch is completed
    with the most uncertain candidates not yet picked.
    """
    if weights.sum() <= 0.0:
        weights = np.ones_like(weights)
    model = KMeans(n_clusters=k, n_init=1, random_state=int(rng.integers(2**31 - 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = model.fit_predict(features, sample_weight=weights)
    cluster_weight = np.bincount(labels, weights=weights, minlength=k)
    picks: list[int] = []
    for cluster in np.argsort(-cluster_weight, kind="stable"):
        members = np.flatnonzero(labels == cluster)
        if len(members) == 0:
            continue
        offsets = features[members] - model.cluster_centers_[cluster].astype(np.float32)
        picks.append(int(members[np.argmin(np.einsum("ij,ij->i", offsets, offsets))]))
    if len(picks) < k:
        chosen = np.zeros(len(weights), dtype=bool)
        chosen[picks] = True
        rest = np.flatnonzero(~chosen)
        picks.extend(rest[top_k(weights[rest], k - len(picks))].tolist())
    return np.asarray(picks, dtype=np.int64)


DIVERSITY: dict[str, DiversityRule] = {"kcenter": _kcenter, "kmeans": _weighted_kmeans}
"""Diversity rules applied to the uncertainty-filtered candidates, by name."""


@STRATEGIES.register("hybrid")
class Hybrid:
    """Uncertainty + diversity: pre-filter by epistemic variance, then pick a diverse batch.

    Diverse mini-batch active learning (Zhdanov, 2019, arXiv:1901.05954), the
    combination sketched in the seed paper's Fig. 1:

    1. keep the ``ceil(beta * batch_size)`` rows with the largest epistemic
       variance (reduced over outputs with ``reduce``; all rows if the pool is
       smaller);
    2. among them, pick ``batch_size`` diverse rows in ``learner.embed`` space:

       * ``diversity="kmeans"`` (default, Zhdanov): k-means with
         ``batch_size`` clusters weighted by the variance (scikit-learn,
         ``n_init=1``, seeded from ``rng``), and the candidate closest to each
         centroid;
       * ``diversity="kcenter"``: greedy k-center among the candidates,
         starting from the labeled rows (Sener and Savarese, ICLR 2018).

    ``beta = 1`` is plain top-k variance; large ``beta`` approaches pure
    diversity.  The pool is scored in chunks and only the candidates are
    embedded.  The score of a pick is its
    epistemic variance.

    Parameters
    ----------
    beta
        Pre-filter factor, ``>= 1`` (default 10, as in Zhdanov's experiments).
    diversity
        ``"kmeans"`` or ``"kcenter"``.
    reduce
        ``"mean"`` (default), ``"max"`` or ``"sum"`` over outputs.
    """

    name = "hybrid"

    def __init__(self, beta: float = 10.0, diversity: str = "kmeans", reduce: str = "mean") -> None:
        if not (isinstance(beta, int | float) and np.isfinite(beta) and beta >= 1):
            raise InvalidInputError("beta", f"must be a finite number >= 1, got {beta!r}")
        if diversity not in DIVERSITY:
            raise InvalidInputError(
                "diversity", f"must be one of {sorted(DIVERSITY)}, got {diversity!r}"
            )
        self.beta = float(beta)
        self.diversity = diversity
        self.reduce = check_reduce(reduce)

    def _variance(self, dist: PredictiveDistribution) -> np.ndarray:
        return reduce_outputs(np.asarray(dist.epistemic_var, dtype=np.float64), self.reduce)

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
        """Pre-filter by variance, then pick a diverse batch (see :class:`Strategy`)."""
        pool, labeled, batch_size, _ = check_selection_args(X_pool, X_labeled, batch_size, costs)
        variance = scores_in_chunks(learner, pool, self.name, self._variance)
        n_candidates = min(pool.shape[0], max(batch_size, math.ceil(self.beta * batch_size)))
        candidates = top_k(variance, n_candidates)
        features = embedding(learner, pool[candidates], self.name)
        labeled_features = embedding(learner, labeled, self.name)
        if labeled_features.shape[0] == 0:
            labeled_features = np.zeros((0, features.shape[1]), dtype=np.float32)
        local = DIVERSITY[self.diversity](
            features, labeled_features, variance[candidates], batch_size, rng
        )
        indices = candidates[local].astype(np.int64)
        return Selection(indices=indices, scores=variance[indices])
