"""Gaussian-mixture generator with the number of components chosen by BIC."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.mixture import GaussianMixture

from netal._validation import check_positive_int
from netal.synthesis._conditional import LabelConditionalGenerator
from netal.synthesis.base import GENERATORS, check_fit_inputs, require_fitted


def _fit_bic(
    X: np.ndarray, max_components: int, covariance_type: str, seed: int
) -> GaussianMixture:
    best, best_bic = None, np.inf
    for k in range(1, min(max_components, len(X)) + 1):
        model = GaussianMixture(
            n_components=k, covariance_type=covariance_type, reg_covar=1e-4, random_state=seed
        ).fit(X)
        bic = model.bic(X)
        if bic < best_bic:
            best, best_bic = model, bic
    assert best is not None
    return best


def _sample_mixture(model: GaussianMixture, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw from a fitted mixture with ``rng`` (not the mixture's own random_state)."""
    d = model.means_.shape[1]
    component = rng.choice(len(model.weights_), size=n, p=model.weights_ / model.weights_.sum())
    z = rng.standard_normal((n, d))
    cov = model.covariances_
    chol = {
        "full": lambda: np.linalg.cholesky(cov),
        "tied": lambda: np.broadcast_to(np.linalg.cholesky(cov), (len(model.weights_), d, d)),
        "diag": lambda: np.sqrt(cov)[:, :, None] * np.eye(d)[None],
        "spherical": lambda: np.sqrt(cov)[:, None, None] * np.eye(d)[None],
    }[model.covariance_type]()
    return model.means_[component] + np.einsum("nij,nj->ni", chol[component], z)


@GENERATORS.register("gmm")
class GaussianMixtureGenerator(LabelConditionalGenerator):
    """Gaussian mixture of the (standardized) features, one mixture per label, BIC-selected.

    Parameters
    ----------
    max_components
        Largest number of components tried; the one with the lowest BIC
        (Schwarz, Annals of Statistics 1978) is kept, per label.
    covariance_type
        ``"full"``, ``"tied"``, ``"diag"`` or ``"spherical"`` (scikit-learn).
    random_state
        Seed of the EM initializations.

    Notes
    -----
    ``log_density`` is the density of the original (unstandardized) features:
    the log-Jacobian of the standardization is subtracted.
    """

    _fitted_attribute = "mixtures_"

    def __init__(
        self, max_components: int = 8, covariance_type: str = "full", random_state: int = 0
    ) -> None:
        self.max_components = max_components
        self.covariance_type = covariance_type
        self.random_state = random_state

    def fit(self, X: Any, labels: Any = None) -> GaussianMixtureGenerator:
        """Fit one BIC-selected mixture per label (one overall without labels)."""
        X_arr, label_arr = check_fit_inputs(X, labels)
        k = check_positive_int(self.max_components, "max_components")
        xs = self._fit_prior_and_scaler(X_arr, label_arr)
        self.mixtures_ = {
            c: _fit_bic(xs[mask], k, self.covariance_type, self.random_state)
            for c, mask in self.prior_.masks(label_arr, len(X_arr)).items()
        }
        return self

    @property
    def n_components_(self) -> dict[str, int]:
        """Components selected by BIC, per label."""
        require_fitted(self, "mixtures_")
        return {c: int(m.n_components) for c, m in self.mixtures_.items()}

    def sample(self, n: int, rng: np.random.Generator, label: Any = None) -> np.ndarray:
        """``n`` synthetic vectors ``(n, d)``, all of ``label`` when given."""
        return self._sample(n, rng, label)

    def _sample_for(self, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.empty((len(labels), self.n_features_))
        for c in self.prior_.classes:
            mask = labels == c
            out[mask] = _sample_mixture(self.mixtures_[c], int(mask.sum()), rng)
        return self._scaler.inverse_transform(out)

    def log_density(self, X: Any, labels: Any = None) -> np.ndarray:
        """``log p(x | label)`` with labels, else ``log sum_c p(c) p(x | c)``."""
        return self._log_density(X, labels)

    def _per_class_log_density(self, xs: np.ndarray) -> np.ndarray:
        per_class = np.stack(
            [self.mixtures_[c].score_samples(xs) for c in self.prior_.classes], axis=1
        )
        per_class -= self._log_jacobian
        return per_class

    def _conditional_log_density(self, xs: np.ndarray, labels: np.ndarray) -> np.ndarray:
        column = np.searchsorted(self.prior_.classes, labels)
        return self._per_class_log_density(xs)[np.arange(len(xs)), column]

    def _marginal_log_density(self, xs: np.ndarray) -> np.ndarray:
        return self.prior_.log_marginal(self._per_class_log_density(xs))
