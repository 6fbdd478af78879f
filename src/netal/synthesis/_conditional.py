"""Label-conditional plumbing shared by the generators.

Both generators model the standardized features given an optional label:
they learn the label prior and the standardization the same way, draw
labels by training frequency, and report densities of the original
(unstandardized) features, conditional on given labels or marginal over the
labels.  Only the model of ``p(x | c)`` differs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from netal._validation import as_float_array
from netal.models import Standardizer
from netal.synthesis.base import LabelPrior, check_labels, check_n, draw_labels, require_fitted


class LabelConditionalGenerator:
    """Base of generators of feature vectors conditioned on an optional label.

    Subclasses set ``_fitted_attribute`` (the attribute ``fit`` sets last)
    and implement :meth:`_sample_for`, :meth:`_conditional_log_density` and
    :meth:`_marginal_log_density`; their ``fit`` calls :meth:`_fit_prior_and_scaler`.
    """

    _fitted_attribute: str

    def _sample_for(
        self, labels: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _conditional_log_density(
        self, xs: np.ndarray, labels: np.ndarray
    ) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _marginal_log_density(self, xs: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_prior_and_scaler(self, X_arr: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
        """Learn the label prior and the standardization; return the standardized features."""
        self.prior_ = LabelPrior(labels, len(X_arr))
        self._scaler = Standardizer().fit(X_arr)
        self._log_jacobian = float(np.log(self._scaler.scale_).sum())
        self.n_features_ = X_arr.shape[1]
        return self._scaler.transform(X_arr)

    def sample_labeled(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` vectors with labels drawn by training frequency."""
        require_fitted(self, self._fitted_attribute)
        labels = draw_labels(check_n(n), rng, self.prior_.classes, self.prior_.priors)
        return self._sample_for(labels, rng), labels

    def _sample(self, n: int, rng: np.random.Generator, label: Any) -> np.ndarray:
        require_fitted(self, self._fitted_attribute)
        labels = self.prior_.resolve(label, check_n(n))
        if labels is None:
            return self.sample_labeled(n, rng)[0]
        return self._sample_for(labels, rng)

    def _log_density(self, X: Any, labels: Any) -> np.ndarray:
        require_fitted(self, self._fitted_attribute)
        X_arr = as_float_array(X, "X", ndim=2)
        xs = self._scaler.transform(X_arr)
        if labels is None:
            return self._marginal_log_density(xs)
        label_arr = check_labels(labels, len(X_arr), self.prior_.classes)
        return self._conditional_log_density(xs, label_arr)
