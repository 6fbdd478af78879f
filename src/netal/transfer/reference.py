"""The classical reference of the transfer study: gradient-boosted trees on the target labels.

:class:`LightGBMReference` is a plain point predictor (``fit``/``predict``, no
uncertainty, no embedding), so it runs in the engine only with strategies
that need neither (``random``).  Its hyperparameters are picked per fit by
k-fold cross-validation over a small grid on the labels it is given (never on
test rows), so it is tuned for each label budget, as a fair reference must be.

References
----------
Ke et al., "LightGBM: A Highly Efficient Gradient Boosting Decision Tree",
NeurIPS 2017; Grinsztajn, Oyallon and Varoquaux, "Why do tree-based models
still outperform deep learning on typical tabular data?", NeurIPS 2022
(why trees are the reference on tabular data).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from netal._validation import as_float_array, check_positive_int
from netal.errors import InvalidInputError, NotFittedError

GRID: tuple[dict[str, Any], ...] = (
    {"num_leaves": 7, "min_child_samples": 5, "learning_rate": 0.05, "n_estimators": 200},
    {"num_leaves": 15, "min_child_samples": 10, "learning_rate": 0.05, "n_estimators": 300},
    {"num_leaves": 31, "min_child_samples": 20, "learning_rate": 0.1, "n_estimators": 200},
)
"""The configurations cross-validated at every fit (small trees first: few labels)."""


def _lightgbm() -> Any:
    try:  # optional extra (netal[transfer]); imported when a reference is fitted
        import lightgbm
    except ImportError:  # pragma: no cover - the dev extra installs it
        raise InvalidInputError(
            "learner", "lightgbm is not installed; pip install 'netal[transfer]'"
        ) from None
    return lightgbm


class LightGBMReference:
    """LightGBM regressor, its configuration chosen by cross-validation on the training labels.

    Parameters
    ----------
    folds
        Folds of the cross-validation (fewer when there are fewer than
        ``2 * folds`` labels; below 10 labels the first configuration is used).
    random_state
        Seed of the folds and of LightGBM.
    """

    def __init__(self, folds: int = 3, random_state: int | None = None) -> None:
        self.folds = folds
        self.random_state = random_state

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """The constructor's parameters (the engine's fingerprint)."""
        return {"folds": self.folds, "random_state": self.random_state}

    def _model(self, params: dict[str, Any]) -> Any:
        seed = 0 if self.random_state is None else int(self.random_state)
        return _lightgbm().LGBMRegressor(
            **params, subsample_freq=0, random_state=seed, n_jobs=1, verbose=-1
        )

    def _choose(self, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        folds = min(check_positive_int(self.folds, "folds", minimum=2), len(y) // 5)
        if folds < 2:
            return GRID[0]
        rng = np.random.default_rng(0 if self.random_state is None else int(self.random_state))
        fold = rng.permutation(len(y)) % folds
        errors = []
        for params in GRID:
            squared = 0.0
            for k in range(folds):
                model = self._model(params).fit(X[fold != k], y[fold != k])
                squared += float(np.sum((model.predict(X[fold == k]) - y[fold == k]) ** 2))
            errors.append(squared)
        return GRID[int(np.argmin(errors))]

    def fit(self, X: Any, y: Any) -> LightGBMReference:
        """Choose a configuration by cross-validation, then fit it on all of ``(X, y)``."""
        X_arr = as_float_array(X, "X", ndim=2)
        y_arr = as_float_array(y, "y", ndim=1)
        self.params_ = self._choose(X_arr, y_arr)
        self.model_ = self._model(self.params_).fit(X_arr, y_arr)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Point predictions."""
        if getattr(self, "model_", None) is None:
            raise NotFittedError("LightGBMReference is not fitted yet; call fit first")
        return np.asarray(self.model_.predict(as_float_array(X, "X", ndim=2)), dtype=np.float64)
