"""Membership query synthesis: generate candidates, keep the realistic ones, pick the informative ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from netal._validation import as_float_array, check_positive_int
from netal.errors import InvalidInputError
from netal.metrics import per_sample_epistemic_var
from netal.synthesis.base import Generator
from netal.synthesis.guard import DensityGuard

Featurize = Callable[[np.ndarray, np.ndarray], np.ndarray]
Constraint = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class SynthesisResult:
    """Chosen synthetic queries and what it took to find them.

    Attributes
    ----------
    X
        Chosen candidates in the generator's feature space, ``(k, d)``, best first.
    labels
        The generator label (e.g. mobility mode) of each chosen candidate.
    scores
        Epistemic variance of each chosen candidate under the learner.
    log_density
        Log density of each chosen candidate under the guard's model.
    n_proposed, n_rejected, n_infeasible
        Candidates generated, rejected by the density guard, and (of the
        accepted) rejected by the feasibility constraint.
    """

    X: np.ndarray
    labels: np.ndarray
    scores: np.ndarray
    log_density: np.ndarray
    n_proposed: int
    n_rejected: int
    n_infeasible: int

    @property
    def rejection_rate(self) -> float:
        """Share of proposed candidates the density guard rejected."""
        return self.n_rejected / self.n_proposed if self.n_proposed else 0.0

    def stats(self) -> dict[str, float]:
        """The counts as a JSON-friendly dict."""
        return {
            "proposed": self.n_proposed,
            "rejected": self.n_rejected,
            "infeasible": self.n_infeasible,
            "chosen": len(self.X),
            "rejection_rate": self.rejection_rate,
        }


def _identity(X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return X


def _epistemic_var(learner: Any, X: np.ndarray) -> np.ndarray:
    if not hasattr(learner, "predict_dist"):
        raise InvalidInputError(
            "learner", f"needs predict_dist (epistemic variance); {type(learner).__name__} has none"
        )
    return per_sample_epistemic_var(learner.predict_dist(X).epistemic_var, clip_negative=True)


def _greedy_diverse(
    scores: np.ndarray, Z: np.ndarray, anchors: np.ndarray, k: int, weight: float
) -> np.ndarray:
    """Greedy max of ``score / max(score) + weight * d / max(d)``, ``d`` = distance to picked rows."""
    spread = Z.std(axis=0)
    spread[spread == 0] = 1.0
    Zs = Z / spread
    nearest = np.full(len(Z), np.inf)
    if len(anchors):
        A = anchors / spread
        nearest = np.sqrt(((Zs[:, None, :] - A[None]) ** 2).sum(axis=2)).min(axis=1)
    utility = scores / scores.max() if scores.max() > 0 else np.zeros_like(scores)
    chosen: list[int] = []
    for _ in range(k):
        finite = np.isfinite(nearest)
        d = np.where(finite, nearest, 0.0)
        scale = d.max() if finite.any() and d.max() > 0 else 1.0
        total = utility + weight * np.where(finite, d / scale, 1.0)
        total[chosen] = -np.inf
        pick = int(np.argmax(total))
        chosen.append(pick)
        nearest = np.minimum(nearest, np.sqrt(((Zs - Zs[pick]) ** 2).sum(axis=1)))
    return np.asarray(chosen, dtype=np.int64)


@dataclass(frozen=True)
class Proposal:
    """Synthetic candidates that passed the density guard and the feasibility constraint.

    Attributes
    ----------
    X, labels
        The candidates in the generator's space and their generator labels.
    features
        Their learner inputs (``featurize(X, labels)``).
    log_density
        Their log density under the guard's model (NaN without a guard).
    n_proposed, n_rejected, n_infeasible
        Generated, rejected by the guard, and (of the accepted) infeasible.
    """

    X: np.ndarray
    labels: np.ndarray
    features: np.ndarray
    log_density: np.ndarray
    n_proposed: int
    n_rejected: int
    n_infeasible: int


def propose_candidates(
    generator: Generator,
    n_candidates: int,
    guard: DensityGuard | None,
    rng: np.random.Generator,
    *,
    featurize: Featurize | None = None,
    constraint: Constraint | None = None,
) -> Proposal:
    """Generate ``n_candidates`` inputs and keep those the guard and the constraint accept.

    The candidates a query-synthesis round offers an acquisition function
    (:func:`synthesize_queries` scores them itself; the network study adds
    them to the engine's pool and lets its strategy choose).
    """
    n_candidates = check_positive_int(n_candidates, "n_candidates")
    featurize = _identity if featurize is None else featurize
    X_c, labels = generator.sample_labeled(n_candidates, rng)
    density = np.full(n_candidates, np.nan)
    keep = np.ones(n_candidates, dtype=bool)
    n_rejected = 0
    if guard is not None:
        verdict = guard.check(X_c, labels)
        keep, density = verdict.accepted, verdict.log_density
        n_rejected = int((~keep).sum())
    n_infeasible = 0
    if constraint is not None and keep.any():
        feasible = np.asarray(constraint(X_c[keep], labels[keep]), dtype=bool)
        n_infeasible = int((~feasible).sum())
        keep[np.flatnonzero(keep)[~feasible]] = False
    pool = np.flatnonzero(keep)
    features = (
        as_float_array(featurize(X_c[pool], labels[pool]), "featurize(X)", ndim=2)
        if len(pool)
        else np.zeros((0, 0))
    )
    return Proposal(
        X=X_c[pool],
        labels=labels[pool],
        features=features,
        log_density=density[pool],
        n_proposed=n_candidates,
        n_rejected=n_rejected,
        n_infeasible=n_infeasible,
    )


def synthesize_queries(
    generator: Generator,
    learner: Any,
    n_candidates: int,
    batch_size: int,
    guard: DensityGuard | None,
    rng: np.random.Generator,
    *,
    diversity: float = 0.0,
    featurize: Featurize | None = None,
    constraint: Constraint | None = None,
    X_labeled: Any = None,
) -> SynthesisResult:
    """Propose ``n_candidates`` synthetic inputs and return the ``batch_size`` most informative.

    Parameters
    ----------
    generator
        A fitted generator (:class:`GaussianMixtureGenerator`, :class:`ConditionalVAE`).
    learner
        A fitted learner with ``predict_dist``; candidates are scored by its
        epistemic variance (mean over outputs).
    n_candidates
        Candidates to generate.
    batch_size
        Queries to return; fewer when fewer candidates pass the guard and the
        constraint (the counts in the result say why).
    guard
        A fitted :class:`DensityGuard`, or ``None`` to accept every candidate.
    rng
        Source of randomness of the generator.
    diversity
        Weight of the distance-to-chosen term (0: pure top-k by variance);
        distances are in the learner's input space, standardized.
    featurize
        Maps ``(X, labels)`` in the generator's space to the learner's inputs
        (e.g. appends a one-hot of the mobility mode); default: ``X`` itself.
    constraint
        Optional feasibility mask ``(X, labels) -> bool (n,)``, e.g.
        :func:`netal.synthesis.twin_feasible` bound to a scenario.
    X_labeled
        Learner inputs already labeled; with ``diversity`` candidates near
        them are discounted.

    References
    ----------
    Angluin, Machine Learning 1988 (membership queries); Settles 2009,
    sec. 2.1 and 3.1; Cohn, Ghahramani and Jordan, "Active learning with
    statistical models", JAIR 1996 (variance reduction); the seed paper,
    sec. IV and Fig. 3.
    """
    n_candidates = check_positive_int(n_candidates, "n_candidates")
    batch_size = check_positive_int(batch_size, "batch_size")
    if batch_size > n_candidates:
        raise InvalidInputError(
            "batch_size", f"is {batch_size} but only {n_candidates} candidates are proposed"
        )
    diversity = float(diversity)
    if not np.isfinite(diversity) or diversity < 0:
        raise InvalidInputError("diversity", f"must be finite and >= 0, got {diversity}")
    proposal = propose_candidates(
        generator, n_candidates, guard, rng, featurize=featurize, constraint=constraint
    )
    X_c, labels, density = proposal.X, proposal.labels, proposal.log_density
    n_rejected, n_infeasible = proposal.n_rejected, proposal.n_infeasible
    pool = np.arange(len(X_c))
    if len(pool) == 0:
        empty = np.zeros((0, X_c.shape[1]))
        return SynthesisResult(
            empty, labels[:0], np.zeros(0), np.zeros(0), n_candidates, n_rejected, n_infeasible
        )
    Z = proposal.features
    scores = _epistemic_var(learner, Z)
    k = min(batch_size, len(pool))
    if diversity > 0:
        anchors = (
            np.zeros((0, Z.shape[1]))
            if X_labeled is None
            else as_float_array(X_labeled, "X_labeled", ndim=2)
        )
        order = _greedy_diverse(scores, Z, anchors, k, diversity)
    else:
        order = np.argsort(-scores, kind="stable")[:k]
    chosen = pool[order]
    return SynthesisResult(
        X=X_c[chosen],
        labels=labels[chosen],
        scores=scores[order],
        log_density=density[chosen],
        n_proposed=n_candidates,
        n_rejected=n_rejected,
        n_infeasible=n_infeasible,
    )
