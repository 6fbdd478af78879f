"""MCDropoutForecaster: lag masking, intervals, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from netal.errors import InvalidInputError, ShapeMismatchError
from netal.models import LEARNERS, MCDropoutForecaster


def _series_rows(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Rows of an AR(1)-like series: 3 lags, 1 covariate; the target follows the last lag."""
    rng = np.random.default_rng(seed)
    lags = rng.normal(size=(n, 3))
    covariate = rng.uniform(-1, 1, size=(n, 1))
    y = np.c_[0.9 * lags[:, -1] + 0.3 * covariate[:, 0], 0.8 * lags[:, -1]]
    return np.c_[lags, covariate], y + 0.05 * rng.normal(size=y.shape)


def _model(**kw: object) -> MCDropoutForecaster:
    params = {"n_lags": 3, "hidden": (32,), "epochs": 40, "n_passes": 8, "lr": 1e-2}
    return MCDropoutForecaster(**{**params, **kw}, random_state=0)


def test_registered_and_intervals_hold_the_mean() -> None:
    assert LEARNERS["mc_dropout_forecaster"] is MCDropoutForecaster
    X, y = _series_rows()
    model = _model().fit(X, y)
    mean, low, high = model.predict_interval(X[:50], coverage=0.8)
    assert mean.shape == low.shape == high.shape == (50, 2)
    assert np.all(low < mean) and np.all(mean < high)
    _, low95, high95 = model.predict_interval(X[:50], coverage=0.95)
    assert np.all(high95 - low95 > high - low)
    assert model.n_features_in_ == 4


def test_masked_lags_are_ignored_and_lags_help_when_given() -> None:
    X, y = _series_rows()
    model = _model().fit(X[:300], y[:300])
    other = X[300:].copy()
    other[:, :3] = 5.0  # different lags, same covariates
    masked = model.predict_dist(X[300:], mask_lags=True).mean
    np.testing.assert_allclose(masked, model.predict_dist(other, mask_lags=True).mean)
    with_lags = model.predict(X[300:])
    assert np.mean((with_lags - y[300:]) ** 2) < 0.5 * np.mean((masked - y[300:]) ** 2)


def test_without_lag_masking_no_row_is_added() -> None:
    X, y = _series_rows(n=100)
    a = _model(mask_rate=0.0, epochs=3).fit(X, y)
    assert a.predict(X).shape == (100, 2)
    with pytest.raises(InvalidInputError, match="partial_fit"):
        a.partial_fit(X, y)


def test_bad_inputs_name_the_parameter() -> None:
    X, y = _series_rows(n=50)
    with pytest.raises(ShapeMismatchError, match="n_lags=6"):
        _model(n_lags=6).fit(X, y)
    with pytest.raises(InvalidInputError, match="mask_rate"):
        _model(mask_rate=1.5).fit(X, y)
    model = _model(epochs=2).fit(X, y)
    with pytest.raises(InvalidInputError, match="coverage"):
        model.predict_interval(X, coverage=1.0)
