"""A multi-horizon MC-dropout forecaster that can also score periods nobody measured.

The forecaster maps a context row (the last ``n_lags`` values of a series,
then any covariates: calendar, cell identity) to the next ``h`` values, with
MC-dropout epistemic variance (Gal and Ghahramani, "Dropout as a Bayesian
Approximation", ICML 2016) and a heteroscedastic Gaussian head for aleatoric
variance (Kendall and Gal, NeurIPS 2017), as :class:`~netal.models.MCDropoutMLP`.

What it adds for active measurement (the seed paper's traffic-forecasting use
case, section VI.A: decide which regions and periods to sample): a forecast
needs the recent past as input, and a period nobody measured has no recent
past.  *Lag masking* trains the network on two views of its data: every row
with its lags, and a ``mask_rate`` share of the rows again with the lags
replaced by zeros and a mask flag set (the covariates kept), in the spirit of
input dropout / missing-indicator training (Srivastava et al., JMLR 2014).
``predict_dist(X, mask_lags=True)`` then gives the forecaster's uncertainty
about any (cell, time) from covariates alone, which an acquisition function can
rank before measuring; forecasts with lags are the ordinary use.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import norm

from netal._validation import check_positive_int
from netal.errors import InvalidInputError, ShapeMismatchError
from netal.models._common import check_unit_interval
from netal.models._registry import LEARNERS
from netal.models.base import PredictiveDistribution
from netal.models.mlp import MCDropoutMLP
from netal.models.seeding import derive_seed

_MASK_TAG = 11


@LEARNERS.register("mc_dropout_forecaster")
class MCDropoutForecaster(MCDropoutMLP):
    """MC-dropout multi-horizon forecaster with lag masking and predictive intervals.

    Parameters
    ----------
    n_lags
        The first ``n_lags`` columns of ``X`` are lagged values of the series
        (masked together); the rest are covariates (never masked).
    mask_rate
        Share of the training rows added again with masked lags (0 disables
        lag masking; then ``mask_lags=True`` predictions are meaningless).
    hidden, dropout, n_passes, heteroscedastic, beta, epochs, batch_size, lr, weight_decay,
    patience, val_fraction, random_state, chunk_size, consistent_masks, min_var
        As in :class:`~netal.models.MCDropoutMLP` (heteroscedastic by default
        here, so intervals carry the noise of the series, not only the model's doubt).

    References
    ----------
    Gal and Ghahramani, ICML 2016; Kendall and Gal, NeurIPS 2017; Seitzer et
    al., ICLR 2022 (beta-NLL); Srivastava et al., JMLR 15, 2014 (dropout of inputs).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4)); y = np.c_[X[:, 0], X[:, 0] + X[:, 3]]
    >>> f = MCDropoutForecaster(n_lags=2, epochs=5, random_state=0).fit(X, y)
    >>> mean, low, high = f.predict_interval(X[:3], coverage=0.9)
    >>> mean.shape, bool((low <= mean).all() and (mean <= high).all())
    ((3, 2), True)
    """

    def __init__(
        self,
        n_lags: int = 6,
        mask_rate: float = 0.5,
        hidden: tuple[int, ...] = (64, 64),
        dropout: float = 0.1,
        n_passes: int = 30,
        heteroscedastic: bool = True,
        beta: float = 0.5,
        epochs: int = 150,
        batch_size: int = 128,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        patience: int = 15,
        val_fraction: float = 0.1,
        random_state: int | None = None,
        chunk_size: int = 2048,
        consistent_masks: bool = True,
        min_var: float = 1e-6,
    ) -> None:
        super().__init__(
            hidden=hidden,
            dropout=dropout,
            n_passes=n_passes,
            heteroscedastic=heteroscedastic,
            beta=beta,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            patience=patience,
            val_fraction=val_fraction,
            random_state=random_state,
            chunk_size=chunk_size,
            consistent_masks=consistent_masks,
            min_var=min_var,
        )
        self.n_lags = n_lags
        self.mask_rate = mask_rate

    def _context(self, X: Any, masked: bool) -> np.ndarray:
        """``X`` with the mask flag appended (and its lags zeroed when ``masked``)."""
        arr = np.asarray(X, dtype=np.float64)
        if arr.ndim != 2:
            raise ShapeMismatchError("X", f"must be 2-D (rows, lags + covariates), got {arr.shape}")
        n_lags = check_positive_int(self.n_lags, "n_lags")
        if arr.shape[1] < n_lags:
            raise ShapeMismatchError("X", f"has {arr.shape[1]} columns, fewer than n_lags={n_lags}")
        out = np.concatenate([arr, np.full((len(arr), 1), float(masked))], axis=1)
        if masked:
            out[:, :n_lags] = 0.0
        return out

    def fit(self, X: Any, y: Any, *, validation_data: tuple[Any, Any] | None = None) -> Any:
        """Fit on the rows with lags plus a ``mask_rate`` share of them with masked lags.

        Parameters
        ----------
        X
            ``(n, n_lags + n_covariates)`` context rows.
        y
            ``(n,)`` or ``(n, h)`` targets.
        validation_data
            Optional ``(X_val, y_val)`` for early stopping (used with lags).
        """
        rate = check_unit_interval(self.mask_rate, "mask_rate")
        plain = self._context(X, masked=False)
        target = np.asarray(y, dtype=np.float64)
        if len(target) != len(plain):
            raise ShapeMismatchError("y", f"has {len(target)} rows but X has {len(plain)}")
        rng = np.random.default_rng(derive_seed(self.random_state or 0, _MASK_TAG))
        chosen = np.flatnonzero(rng.random(len(plain)) < rate) if rate > 0 else np.array([], int)
        inputs = np.concatenate([plain, self._context(np.asarray(X)[chosen], masked=True)])
        targets = np.concatenate([target, target[chosen]])
        validation = None
        if validation_data is not None:
            validation = (self._context(validation_data[0], False), validation_data[1])
        super().fit(inputs, targets, validation_data=validation)
        self.n_features_in_ = plain.shape[1] - 1
        return self

    def partial_fit(self, X: Any, y: Any, *, validation_data: tuple[Any, Any] | None = None) -> Any:
        """Not supported: a forecaster here is refitted on what was measured."""
        raise InvalidInputError("partial_fit", "MCDropoutForecaster refits from scratch; call fit")

    def predict_dist(self, X: Any, *, mask_lags: bool = False) -> PredictiveDistribution:
        """Predictive distribution per row and horizon step.

        Parameters
        ----------
        X
            Context rows as in :meth:`fit`.
        mask_lags
            Predict from the covariates alone (the lags are ignored): the
            forecaster's view of a period whose recent past was not measured.
        """
        return super().predict_dist(self._context(X, masked=mask_lags))

    def embed(self, X: Any) -> np.ndarray:
        """Last-hidden-layer features (with lags) of the context rows."""
        return super().embed(self._context(X, masked=False))

    def predict_interval(
        self, X: Any, coverage: float = 0.9, *, mask_lags: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean and the central ``coverage`` Gaussian interval of the total predictive variance.

        Returns
        -------
        mean, low, high
            Arrays of the target's shape.
        """
        level = float(coverage)
        if not 0.0 < level < 1.0:
            raise InvalidInputError("coverage", f"must be in (0, 1), got {coverage!r}")
        dist = self.predict_dist(X, mask_lags=mask_lags)
        half = norm.ppf(0.5 + level / 2.0) * dist.std
        return dist.mean, dist.mean - half, dist.mean + half
