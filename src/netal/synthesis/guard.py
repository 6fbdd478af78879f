"""The density guard: reject synthesized queries that are unrealistic under the real data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from netal._validation import as_float_array
from netal.errors import InvalidInputError, NotFittedError
from netal.synthesis.base import DensityModel


@dataclass(frozen=True)
class GuardResult:
    """The verdict on one batch of candidates.

    Attributes
    ----------
    accepted
        Boolean mask, ``(n,)``: realistic candidates.
    log_density
        Log density of each candidate under the model of the real data.
    threshold
        The rejection threshold used.
    """

    accepted: np.ndarray
    log_density: np.ndarray
    threshold: float

    @property
    def rejection_rate(self) -> float:
        """Share of this batch rejected."""
        return float(1.0 - self.accepted.mean()) if len(self.accepted) else 0.0


class DensityGuard:
    """Reject candidates whose log density under a model of the real data is too low.

    Synthesized queries are only useful if the network can produce them
    (the "realistic query instances" problem of membership query synthesis,
    Baum and Lang, "Query learning can work poorly when a human oracle is
    used", IJCNN 1992; the seed paper, sec. II.C).  The guard's threshold is
    the ``quantile`` of the log densities of the real training rows, so about
    that share of real, in-distribution data would be rejected too.

    Parameters
    ----------
    model
        A fitted density model of the real data (any object with
        ``log_density(X, labels=None)``, e.g. a fitted
        :class:`~netal.synthesis.GaussianMixtureGenerator`).
    quantile
        Rejection quantile in ``[0, 1)`` (default 0.01: the 1st percentile).

    Notes
    -----
    Fitting the threshold on the rows the model was fitted on gives an
    in-sample threshold: on autocorrelated measurement runs a flexible model
    (many mixture components) rejects far more than ``quantile`` of *new*
    real rows.  For an honest rejection rate pass held-out real rows to
    :meth:`fit`.

    Attributes
    ----------
    threshold_
        The log-density threshold, set by :meth:`fit`.
    n_checked, n_rejected
        Candidates checked and rejected over the guard's lifetime.
    """

    def __init__(self, model: DensityModel, quantile: float = 0.01) -> None:
        if not hasattr(model, "log_density"):
            raise InvalidInputError("model", f"{type(model).__name__} has no log_density")
        quantile = float(quantile)
        if not 0.0 <= quantile < 1.0:
            raise InvalidInputError("quantile", f"must lie in [0, 1), got {quantile}")
        self.model = model
        self.quantile = quantile
        self.threshold_: float | None = None
        self.conditional = False
        self.n_checked = 0
        self.n_rejected = 0

    def fit(self, X: Any, labels: Any = None) -> DensityGuard:
        """Set the threshold from the real rows ``X`` (the ones the model was fitted on)."""
        X_arr = as_float_array(X, "X", ndim=2)
        self.conditional = labels is not None
        scores = self.model.log_density(X_arr, labels)
        self.threshold_ = float(np.quantile(scores, self.quantile))
        return self

    def check(self, X: Any, labels: Any = None) -> GuardResult:
        """Score candidates ``X``; ``labels`` are used only if :meth:`fit` was given labels."""
        if self.threshold_ is None:
            raise NotFittedError("DensityGuard is not fitted; call fit(X_real) first")
        X_arr = as_float_array(X, "X", ndim=2, allow_empty=True)
        if len(X_arr) == 0:
            return GuardResult(np.zeros(0, dtype=bool), np.zeros(0), self.threshold_)
        if self.conditional and labels is None:
            raise InvalidInputError(
                "labels", "the guard was fitted with labels; pass the candidates' labels too"
            )
        used = labels if self.conditional else None
        scores = np.asarray(self.model.log_density(X_arr, used), dtype=np.float64)
        accepted = np.isfinite(scores) & (scores >= self.threshold_)
        self.n_checked += len(accepted)
        self.n_rejected += int((~accepted).sum())
        return GuardResult(accepted, scores, self.threshold_)

    @property
    def rejection_rate(self) -> float:
        """Share of all candidates checked so far that were rejected."""
        return self.n_rejected / self.n_checked if self.n_checked else 0.0
