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
by capability so that classification learners (anomaly detection) implement
:class:`ProbabilisticClassifier` (``predict_proba``) and
:class:`UncertaintyClassifier` (``predict_proba_dist``: a
:class:`ClassDistribution` whose entropy splits into aleatoric and epistemic
parts) without pretending to be regressors; strategies check the capability
they need.

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


@dataclass(frozen=True)
class ClassDistribution:
    """Class probabilities per sample, averaged over models or passes, with their spread.

    The classification counterpart of :class:`PredictiveDistribution`.  The
    entropy of the mean probabilities (total uncertainty) splits into the
    expected entropy of the members (aleatoric) and the mutual information
    between the label and the model (epistemic; the BALD score of Houlsby,
    Huszar, Ghahramani and Lengyel, "Bayesian Active Learning for
    Classification and Preference Learning", 2011; Gal, Islam and Ghahramani,
    ICML 2017).

    Attributes
    ----------
    proba
        Mean class probabilities, ``(n, K)``, rows summing to one.
    classes
        The class labels of the columns, ``(K,)``.
    samples
        Per-model (or per-pass) probabilities, ``(S, n, K)``; ``None`` for a
        learner without a model distribution (epistemic part zero).
    """

    proba: np.ndarray
    classes: np.ndarray
    samples: np.ndarray | None = None

    @property
    def entropy(self) -> np.ndarray:
        """Entropy of the mean probabilities (total uncertainty), nats, ``(n,)``."""
        return _entropy(self.proba)

    @property
    def expected_entropy(self) -> np.ndarray:
        """Mean entropy of the members' probabilities (aleatoric), nats, ``(n,)``."""
        if self.samples is None:
            return self.entropy
        return _entropy(self.samples).mean(axis=0)

    @property
    def mutual_information(self) -> np.ndarray:
        """Entropy minus expected entropy (epistemic, BALD), clipped at zero, ``(n,)``."""
        return np.maximum(self.entropy - self.expected_entropy, 0.0)


def _entropy(proba: np.ndarray) -> np.ndarray:
    """Shannon entropy over the last axis, nats (``0 log 0 = 0``)."""
    p = np.asarray(proba, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return terms.sum(axis=-1)


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
class ProbabilisticClassifier(Learner, Protocol):
    """A classifier with class probabilities (scikit-learn's ``predict_proba``, ``classes_``).

    Labels arrive as the engine stores them (floats such as ``0.0``/``1.0``);
    ``predict`` returns labels from ``classes_``.
    """

    def predict_proba(self, X: Any) -> np.ndarray: ...


@runtime_checkable
class UncertaintyClassifier(ProbabilisticClassifier, Protocol):
    """A classifier that also reports the spread of its probabilities over models or passes."""

    def predict_proba_dist(self, X: Any) -> ClassDistribution: ...


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
