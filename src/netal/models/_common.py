"""Input checks, target-shape handling and prediction helpers shared by the learners."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

from netal._validation import as_float_array, check_same_length
from netal.errors import InvalidInputError, NotFittedError, ShapeMismatchError
from netal.models.base import PredictiveDistribution


class LearnerNotFittedError(NotFittedError, SklearnNotFittedError):
    """A learner asked to predict before ``fit``: netal's and scikit-learn's ``NotFittedError``."""


def check_inputs_array(X: Any, parameter: str, ndim: int) -> np.ndarray:
    """``X`` as a finite float array with ``ndim`` dimensions and at least one feature.

    The messages follow scikit-learn's where a caller may look for them: a
    one-dimensional ``X`` says how to reshape it, zero features say so.
    """
    X_arr = as_float_array(X, parameter)
    if X_arr.ndim != ndim:
        hint = ""
        if X_arr.ndim == ndim - 1:
            hint = (
                "; Reshape your data: X.reshape(-1, 1) if it holds a single feature, "
                "X.reshape(1, -1) if it holds a single sample"
            )
        raise ShapeMismatchError(
            parameter, f"must have {ndim} dimensions, got shape {X_arr.shape}{hint}"
        )
    if X_arr.shape[-1] == 0:
        raise InvalidInputError(
            parameter,
            f"has 0 feature(s) (shape={X_arr.shape}) while a minimum of 1 is required.",
        )
    return X_arr


def check_training_data(X: Any, y: Any, *, x_ndim: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate a training set: finite, ``X`` with ``x_ndim`` dimensions, ``y`` 1-D or 2-D."""
    if y is None:
        raise InvalidInputError(
            "y", "is None: this learner requires y to be passed, but the target y is None"
        )
    X_arr = check_inputs_array(X, "X", x_ndim)
    y_arr = as_float_array(y, "y", ndim=(1, 2))
    check_same_length(X_arr, y_arr, "X", "y")
    return X_arr, y_arr


def check_inputs(
    X: Any, *, sample_shape: tuple[int, ...], parameter: str = "X", learner: str = "the learner"
) -> np.ndarray:
    """Validate inputs for prediction against the sample shape seen in ``fit``."""
    X_arr = check_inputs_array(X, parameter, len(sample_shape) + 1)
    if X_arr.shape[-1] != sample_shape[-1]:
        raise ShapeMismatchError(
            parameter,
            f"X has {X_arr.shape[-1]} features, but {learner} is expecting "
            f"{sample_shape[-1]} features as input",
        )
    if X_arr.shape[1:] != tuple(sample_shape):
        raise ShapeMismatchError(
            parameter,
            f"has sample shape {X_arr.shape[1:]} but the learner was fitted on {tuple(sample_shape)}",
        )
    return X_arr


def check_fitted(learner: Any, attribute: str) -> None:
    """Raise :class:`NotFittedError` (also scikit-learn's) unless ``learner`` has ``attribute`` set."""
    if getattr(learner, attribute, None) is None:
        raise LearnerNotFittedError(
            f"this {type(learner).__name__} is not fitted yet; call fit(X, y) first"
        )


def as_2d_target(y: np.ndarray) -> np.ndarray:
    """View a ``(n,)`` target as ``(n, 1)``; ``(n, h)`` targets are returned unchanged."""
    return y.reshape(-1, 1) if y.ndim == 1 else y


def restore_target_shape(values: np.ndarray, target_ndim: int) -> np.ndarray:
    """Drop the trailing output axis again when the target was one-dimensional."""
    return values[..., 0] if target_ndim == 1 else values


def check_unit_interval(value: float, parameter: str, *, allow_zero: bool = True) -> float:
    """Return ``value`` as float if it lies in ``[0, 1)`` (or ``(0, 1)``), else raise."""
    low_ok = value >= 0 if allow_zero else value > 0
    if isinstance(value, bool) or not isinstance(value, int | float) or not (low_ok and value < 1):
        bound = "[0, 1)" if allow_zero else "(0, 1)"
        raise InvalidInputError(parameter, f"must be in {bound}, got {value!r}")
    return float(value)


def check_positive_float(value: float, parameter: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float if it is positive (or non-negative), else raise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise InvalidInputError(parameter, f"must be a finite number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidInputError(
            parameter, f"must be {'>= 0' if allow_zero else '> 0'}, got {value}"
        )
    return float(value)


def check_hidden(hidden: Any) -> tuple[int, ...]:
    """Validate a tuple of hidden-layer widths (at least one layer, each >= 1)."""
    try:
        widths = tuple(int(h) for h in hidden)
    except (TypeError, ValueError):
        raise InvalidInputError(
            "hidden", f"must be a sequence of layer widths, got {hidden!r}"
        ) from None
    if not widths or any(w < 1 for w in widths):
        raise InvalidInputError("hidden", f"needs at least one layer of width >= 1, got {hidden!r}")
    return widths


def distribution_from_samples(
    samples: np.ndarray, aleatoric: np.ndarray | None, target_ndim: int
) -> PredictiveDistribution:
    """Build a :class:`PredictiveDistribution` from per-model means ``(S, n, h)``.

    Epistemic variance is the (population) variance of the per-model means,
    aleatoric variance the mean of the per-model noise variances (law of total
    variance, as in Lakshminarayanan et al., NeurIPS 2017).
    """
    mean = samples.mean(axis=0)
    epistemic = samples.var(axis=0)
    noise = np.zeros_like(mean) if aleatoric is None else aleatoric
    return PredictiveDistribution(
        mean=restore_target_shape(mean, target_ndim),
        epistemic_var=restore_target_shape(epistemic, target_ndim),
        aleatoric_var=restore_target_shape(noise, target_ndim),
        samples=restore_target_shape(samples, target_ndim),
    )


class PredictMixin(RegressorMixin, BaseEstimator):
    """``predict(X, return_std=False)`` on top of ``predict_dist``.

    Derives from scikit-learn's ``RegressorMixin`` and ``BaseEstimator`` (in
    that order, as scikit-learn requires), so every learner is a regressor to
    scikit-learn (``sklearn.base.is_regressor``, ``score`` = R^2 of the mean,
    ``cross_val_score`` without a scorer), has ``get_params``/``set_params``
    and works with ``sklearn.base.clone``.
    """

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags: a regressor that also takes ``(n, h)`` targets (multi-output)."""
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict_dist(self, X: Any) -> PredictiveDistribution:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict(self, X: Any, return_std: bool = False) -> Any:
        """Predictive mean, or ``(mean, std)`` with std = sqrt(epistemic + aleatoric variance).

        Parameters
        ----------
        X
            Inputs with the sample shape seen in ``fit``.
        return_std
            Also return the total predictive standard deviation.
        """
        dist = self.predict_dist(X)
        if return_std:
            return dist.mean, dist.std
        return dist.mean
