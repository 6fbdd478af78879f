"""The learner protocol shared by every model in netal.

A *learner* is a scikit-learn style estimator (``fit``, ``predict``) that also
knows what it does not know.  Regression learners expose
:meth:`UncertaintyRegressor.predict_dist`, which separates

* **epistemic** variance: disagreement between plausible models (MC-dropout
  passes, ensemble members, committee members); reducible with more data
  (Gal and Ghahramani, ICML 2016; Lakshminarayanan et al., NeurIPS 2017);
* **aleatoric** variance: the noise the model expects in the label itself,
  learned by a heteroscedastic Gaussian head (Kendall and Gal, NeurIPS 2017);
  irreducible.

Batch-aware strategies additionally need a feature map of the inputs
(:class:`SupportsEmbedding`).  The protocols are deliberately small and split
by capability so that classification learners (anomaly detection) can
implement :class:`Learner` and their own ``predict_proba`` without pretending
to be regressors; strategies check the capability they need.

Targets may be ``(n,)`` (one output) or ``(n, h)`` (e.g. an ``h``-step
forecasting horizon); predictions keep the target's trailing shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class PredictiveDistribution:
    """A Gaussian predictive distribution per sample (and per output).

    Attributes
    ----------
    mean
        Predictive mean, shape ``(n,)`` or ``(n, h)``.
    epistemic_var
        Variance of the mean across models/passes, same shape as ``mean``.
    aleatoric_var
        Expected observation-noise variance, same shape as ``mean``; zeros for
        learners without a heteroscedastic head.
    samples
        Per-model (or per-pass) means, shape ``(S, n, ...)``, when the learner
        keeps them (needed by query-by-committee); ``None`` otherwise.
    """

    mean: np.ndarray
    epistemic_var: np.ndarray
    aleatoric_var: np.ndarray
    samples: np.ndarray | None = None

    @property
    def total_var(self) -> np.ndarray:
        """Total predictive variance (law of total variance)."""
        return self.epistemic_var + self.aleatoric_var

    @property
    def std(self) -> np.ndarray:
        """Total predictive standard deviation."""
        return np.sqrt(self.total_var)


@runtime_checkable
class Learner(Protocol):
    """Anything that can be fitted on labeled rows and predict new ones."""

    def fit(self, X: Any, y: Any) -> Learner: ...

    def predict(self, X: Any) -> np.ndarray: ...


@runtime_checkable
class UncertaintyRegressor(Learner, Protocol):
    """A regressor that separates epistemic and aleatoric variance."""

    def predict_dist(self, X: Any) -> PredictiveDistribution: ...


@runtime_checkable
class SupportsEmbedding(Protocol):
    """A learner that maps inputs to a feature space (e.g. its last hidden layer).

    ``embed`` returns a ``(n, d)`` float array.  For neural networks this is the
    input of the last linear layer with dropout switched off, the feature map
    that core-set, BADGE-style k-means++ and LCMD work in.
    """

    def embed(self, X: Any) -> np.ndarray: ...


@runtime_checkable
class SupportsWarmStart(Protocol):
    """A learner that can continue training from its current weights."""

    def partial_fit(self, X: Any, y: Any) -> Any: ...


@runtime_checkable
class SupportsState(Protocol):
    """A learner whose weights can be saved to and restored from bytes (checkpoints)."""

    def get_state(self) -> bytes: ...

    def set_state(self, state: bytes) -> None: ...
