"""Error-based QoAIS indicators: accuracy, interval calibration, robustness and drift.

Pure functions over a fitted learner and arrays.  Errors come from
:func:`netal.metrics.regression_errors` (the one RMSE/MAE/q95 of netal).
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import numpy as np

from netal._validation import as_float_array
from netal.errors import InvalidInputError, ShapeMismatchError
from netal.metrics import regression_errors
from netal.models.base import UncertaintyRegressor
from netal.qoais.indicators import MISSING_SHARE, NOISE_LEVELS, NOMINAL_LEVELS, percent_tag


def accuracy(y_true: Any, y_pred: Any) -> dict[str, float]:
    """``rmse``, ``mae``, ``q95_abs_error`` and ``nrmse`` (RMSE over the std of ``y_true``).

    ``nrmse`` is NaN when the targets are constant.
    """
    errors = regression_errors(y_true, y_pred)
    spread = float(np.std(np.asarray(y_true, dtype=np.float64)))
    errors["nrmse"] = errors["rmse"] / spread if spread > 0 else float("nan")
    return errors


def has_intervals(learner: Any) -> bool:
    """Whether ``learner`` gives a predictive distribution (``predict_dist``), hence intervals."""
    return isinstance(learner, UncertaintyRegressor)


def interval_coverage(
    y_true: Any, mean: Any, std: Any, levels: Sequence[float] = NOMINAL_LEVELS
) -> dict[float, float]:
    """Empirical coverage of central Gaussian intervals ``mean ± z * std`` per nominal level.

    Parameters
    ----------
    y_true, mean, std
        Targets, predictive means and predictive standard deviations (same shape).
    levels
        Nominal levels in (0, 1); ``z`` is the standard normal quantile of
        ``(1 + level) / 2``.

    Returns
    -------
    dict
        level -> share of targets inside the interval (boundaries count as inside).

    References
    ----------
    Gneiting and Raftery, "Strictly Proper Scoring Rules, Prediction, and
    Estimation", JASA 2007 (calibration of central prediction intervals);
    Kuleshov, Fenner and Ermon, "Accurate Uncertainties for Deep Learning
    Using Calibrated Regression", ICML 2018.
    """
    y = np.asarray(y_true, dtype=np.float64)
    mu = np.asarray(mean, dtype=np.float64)
    sd = np.asarray(std, dtype=np.float64)
    if y.shape != mu.shape or y.shape != sd.shape:
        raise ShapeMismatchError(
            "std", f"targets {y.shape}, means {mu.shape} and stds {sd.shape} differ in shape"
        )
    out = {}
    for level in levels:
        if not 0 < level < 1:
            raise InvalidInputError("levels", f"must lie in (0, 1), got {level}")
        z = NormalDist().inv_cdf((1 + level) / 2)
        out[float(level)] = float(np.mean(np.abs(y - mu) <= z * sd))
    return out


def calibration(learner: Any, X_test: np.ndarray, y_test: np.ndarray) -> dict[str, float]:
    """``coverage_<level>`` per nominal level and ``calibration_error``; NaN without intervals.

    The interval is Gaussian with the learner's total predictive standard
    deviation (epistemic plus aleatoric, ``predict_dist(X).std``).
    """
    names = [f"coverage_{percent_tag(level)}" for level in NOMINAL_LEVELS]
    if not has_intervals(learner):
        return {**dict.fromkeys(names, float("nan")), "calibration_error": float("nan")}
    dist = learner.predict_dist(X_test)
    coverage = interval_coverage(y_test, dist.mean, dist.std, NOMINAL_LEVELS)
    out = {name: coverage[level] for name, level in zip(names, NOMINAL_LEVELS, strict=True)}
    out["calibration_error"] = max(abs(coverage[level] - level) for level in NOMINAL_LEVELS)
    return out


def _rmse(learner: Any, X: np.ndarray, y: np.ndarray) -> float:
    return regression_errors(y, np.asarray(learner.predict(X)))["rmse"]


def robustness(
    learner: Any,
    X_train: Any,
    X_test: Any,
    y_test: Any,
    *,
    clean_rmse: float | None = None,
    seed: int = 0,
    noise_levels: Sequence[float] = NOISE_LEVELS,
    missing_share: float = MISSING_SHARE,
) -> dict[str, float]:
    """Test RMSE under feature noise and with features missing, and their ratios to the clean RMSE.

    * ``rmse_noise_<pct>``: every test feature plus Gaussian noise of
      ``level`` times its training standard deviation;
    * ``rmse_missing_<pct>``: a random ``missing_share`` of the test feature
      values set to their training mean (mean imputation of values missing at
      random);
    * ``rmse_missing_worst_feature``: the largest RMSE over features when one
      whole column is set to its training mean (a sensor down);
    * ``noise_<pct>_rmse_ratio`` (the largest level) and
      ``missing_<pct>_rmse_ratio``: those RMSEs over ``clean_rmse``.

    Parameters
    ----------
    learner
        A fitted learner (``predict``).
    X_train
        The training features (their means and standard deviations).
    X_test, y_test
        The test rows.
    clean_rmse
        RMSE without perturbation (computed when None).
    seed
        Seed of the noise and of the missing mask.
    noise_levels, missing_share
        The perturbations (defaults: :data:`NOISE_LEVELS`, :data:`MISSING_SHARE`).

    References
    ----------
    Hendrycks and Dietterich, "Benchmarking Neural Network Robustness to
    Common Corruptions and Perturbations", ICLR 2019 (error under graded
    input corruption).
    """
    train = as_float_array(X_train, "X_train", ndim=2)
    X = as_float_array(X_test, "X_test", ndim=2)
    y = np.asarray(y_test, dtype=np.float64)
    if train.shape[1] != X.shape[1]:
        raise ShapeMismatchError(
            "X_test", f"has {X.shape[1]} features, the training rows {train.shape[1]}"
        )
    means, stds = train.mean(axis=0), train.std(axis=0)
    clean = _rmse(learner, X, y) if clean_rmse is None else float(clean_rmse)
    rng = np.random.default_rng([int(seed), 0x0A15])
    out: dict[str, float] = {}
    for level in noise_levels:
        noisy = X + rng.standard_normal(X.shape) * (float(level) * stds)
        out[f"rmse_noise_{percent_tag(level)}"] = _rmse(learner, noisy, y)
    missing = rng.random(X.shape) < missing_share
    out[f"rmse_missing_{percent_tag(missing_share)}"] = _rmse(
        learner, np.where(missing, means, X), y
    )
    worst = 0.0
    for column in range(X.shape[1]):
        held = X.copy()
        held[:, column] = means[column]
        worst = max(worst, _rmse(learner, held, y))
    out["rmse_missing_worst_feature"] = worst
    if noise_levels:
        top = max(noise_levels)
        out[f"noise_{percent_tag(top)}_rmse_ratio"] = _ratio(
            out[f"rmse_noise_{percent_tag(top)}"], clean
        )
    out[f"missing_{percent_tag(missing_share)}_rmse_ratio"] = _ratio(
        out[f"rmse_missing_{percent_tag(missing_share)}"], clean
    )
    return out


def drift(learner: Any, X_shift: Any, y_shift: Any, clean_rmse: float) -> dict[str, float]:
    """``drift_rmse`` on the shifted domain's rows and ``drift_rmse_ratio`` (over ``clean_rmse``)."""
    shifted = _rmse(learner, as_float_array(X_shift, "X_shift", ndim=2), np.asarray(y_shift))
    return {"drift_rmse": shifted, "drift_rmse_ratio": _ratio(shifted, clean_rmse)}


def _ratio(value: float, reference: float) -> float:
    return value / reference if reference > 0 else float("nan")
