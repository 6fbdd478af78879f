"""Train the neural forecaster on what was measured, score unmeasured windows, evaluate on the future."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from netal.errors import InvalidInputError
from netal.experiments.forecast.evaluate import forecast_metrics
from netal.experiments.forecast.measure import Windows
from netal.experiments.forecast.series import (
    CellSeries,
    Geometry,
    Scale,
    covariates,
    daily_profile,
    holdout_origins,
    measured_scale,
    origins_in,
    rows_at,
    seasonal_scale,
    time_slots,
)
from netal.models.forecaster import MCDropoutForecaster


@dataclass(frozen=True)
class ModelSettings:
    """The neural forecaster's settings (see :class:`~netal.models.forecaster.MCDropoutForecaster`)."""

    hidden: tuple[int, ...] = (64, 64)
    dropout: float = 0.1
    n_passes: int = 30
    epochs: int = 150
    mask_rate: float = 0.5
    conformal: bool = False
    """Calibrate the intervals by split conformal prediction (:func:`conformal_quantile`)."""
    seasonal: bool = False
    """Forecast the deviation from the cell's measured daily profile (:func:`cell_inputs`)."""


@dataclass(frozen=True)
class Fitted:
    """A forecaster trained on the measured steps and each cell's scale.

    ``interval_q``: half-width of the intervals in predictive standard
    deviations from :func:`conformal_quantile`; None: Gaussian intervals.
    """

    model: MCDropoutForecaster
    scales: tuple[Scale, ...]
    n_rows: int
    interval_q: float | None = None
    profiles: tuple[np.ndarray, ...] | None = None
    """Per cell, the measured daily profile (standardized log load) the model forecasts around."""


def cell_inputs(
    z: np.ndarray,
    times: np.ndarray,
    cell: int,
    n_cells: int,
    geometry: Geometry,
    profile: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The series the rows are cut from, per-step covariates, and the seasonal base per step.

    Without a profile: ``z``, the calendar covariates, zeros.  With the cell's
    measured daily ``profile`` (:func:`~netal.experiments.forecast.series.daily_profile`):
    ``z`` minus the profile at each step (lags and targets become deviations
    from the usual load at that time of day) and, as extra covariates of an
    origin, the profile at its ``horizon`` target steps; adding the base back
    to a forecast gives the load.  A seasonal profile as the level a few
    windows can anchor is the idea of seasonal decomposition (Cleveland et al.,
    "STL", J. Official Statistics 6(1), 1990), learned here from measured steps only.
    """
    cov = covariates(times, cell, n_cells)
    if profile is None:
        return z, cov, np.zeros(len(z))
    base = profile[time_slots(times, geometry.season)]
    ahead = np.arange(len(z))[:, None] + np.arange(geometry.horizon)[None, :]
    padded = np.concatenate([base, np.full(geometry.horizon, base[-1])])
    return z - base, np.concatenate([cov, padded[ahead]], axis=1), base


def cell_profiles(
    cells: list[CellSeries], masks: list[np.ndarray], geometry: Geometry
) -> tuple[np.ndarray, ...]:
    """Each cell's daily profile of standardized log load, from its measured steps only."""
    profiles = []
    for cell, mask in zip(cells, masks, strict=True):
        z = measured_scale(cell.train, mask).forward(cell.train)
        slots = time_slots(cell.train_time, geometry.season)
        profiles.append(daily_profile(z, mask, slots, geometry.season))
    return tuple(profiles)


def training_rows(
    cells: list[CellSeries],
    masks: list[np.ndarray],
    geometry: Geometry,
    profiles: tuple[np.ndarray, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray, tuple[Scale, ...], np.ndarray]:
    """Rows of the training period whose every step was measured: ``X, y, scales, cell_rows``.

    ``cell_rows`` holds, per row, the cell and the training-period step of
    every input and target (``(n, 1 + n_lags + horizon)``), so a test can
    check that only measured training steps were used.  With ``profiles``
    (:func:`cell_profiles`) the rows are deviations from them (:func:`cell_inputs`).
    """
    xs, ys, used, scales = [], [], [], []
    for c, (cell, mask) in enumerate(zip(cells, masks, strict=True)):
        scale = measured_scale(cell.train, mask)
        scales.append(scale)
        origins = origins_in(mask, geometry)
        if not len(origins):
            continue
        profile = None if profiles is None else profiles[c]
        z, cov, _ = cell_inputs(
            scale.forward(cell.train), cell.train_time, c, len(cells), geometry, profile
        )
        X, y = rows_at(z, cov, origins, geometry)
        xs.append(X)
        ys.append(y)
        steps = origins[:, None] + np.arange(-geometry.n_lags, geometry.horizon)[None, :]
        used.append(np.column_stack([np.full(len(origins), c), steps]))
    if not xs:
        raise InvalidInputError(
            "window_hours", "no measured stretch is long enough for the lags and the horizon"
        )
    return np.concatenate(xs), np.concatenate(ys), tuple(scales), np.concatenate(used)


def fit_forecaster(
    cells: list[CellSeries],
    masks: list[np.ndarray],
    geometry: Geometry,
    settings: ModelSettings,
    seed: int,
) -> Fitted:
    """An :class:`MCDropoutForecaster` trained on the measured rows of every cell (one global model)."""
    profiles = cell_profiles(cells, masks, geometry) if settings.seasonal else None
    X, y, scales, _ = training_rows(cells, masks, geometry, profiles)
    model = _forecaster(geometry, settings, seed).fit(X, y)
    return Fitted(model, scales, len(X), profiles=profiles)


def _forecaster(geometry: Geometry, settings: ModelSettings, seed: int) -> MCDropoutForecaster:
    return MCDropoutForecaster(
        n_lags=geometry.n_lags,
        mask_rate=settings.mask_rate,
        hidden=settings.hidden,
        dropout=settings.dropout,
        n_passes=settings.n_passes,
        epochs=settings.epochs,
        random_state=seed,
    )


def conformal_quantile(
    cells: list[CellSeries],
    masks: list[np.ndarray],
    geometry: Geometry,
    settings: ModelSettings,
    seed: int,
    coverage: float,
    *,
    held_back: float = 0.2,
    min_rows: int = 10,
) -> float | None:
    """Split-conformal half-width of the intervals, in predictive standard deviations.

    Per cell, the rows whose origin is among the latest ``held_back`` share of
    its measured origins calibrate a forecaster trained on the rows whose
    every target step comes before them (a time split of what was measured,
    nothing of the test period).  The score is ``|y - mean| / std`` per
    forecast step; the result is its ``ceil((n + 1) coverage) / n`` quantile
    over the ``n`` calibration rows (Vovk et al., "Algorithmic Learning in a
    Random World", 2005; Stankeviciute et al., NeurIPS 2021, for
    multi-horizon forecasts).  None when either part has fewer than
    ``min_rows`` rows.
    """
    profiles = cell_profiles(cells, masks, geometry) if settings.seasonal else None
    X, y, _, used = training_rows(cells, masks, geometry, profiles)
    origin = used[:, 1 + geometry.n_lags]
    fit_part = np.zeros(len(X), dtype=bool)
    calibrate = np.zeros(len(X), dtype=bool)
    for c in np.unique(used[:, 0]):
        own = used[:, 0] == c
        cutoff = np.quantile(origin[own], 1 - held_back)
        calibrate |= own & (origin >= cutoff)
        fit_part |= own & (used[:, -1] < cutoff)
    n = int(calibrate.sum())
    if n < min_rows or fit_part.sum() < min_rows:
        return None
    model = _forecaster(geometry, settings, seed).fit(X[fit_part], y[fit_part])
    dist = model.predict_dist(X[calibrate])
    scores = np.abs(y[calibrate] - dist.mean) / np.maximum(dist.std, 1e-12)
    level = min(1.0, np.ceil((n + 1) * coverage) / n)
    return float(np.quantile(scores, level, method="higher"))


def window_scores(
    fitted: Fitted,
    cells: list[CellSeries],
    windows: Windows,
    candidates: np.ndarray,
    geometry: Geometry,
) -> np.ndarray:
    """Mean epistemic variance (standardized log load) of the forecasts inside each candidate window.

    Origins every ``horizon`` steps from the window's start; lags masked (the
    window is not measured, so neither is its recent past, in general).
    """
    rows, owner = [], []
    for position, index in enumerate(candidates):
        c = int(windows.cell[index])
        last = max(int(windows.start[index]), int(windows.stop[index]) - geometry.horizon)
        origins = np.arange(int(windows.start[index]), last + 1, geometry.horizon)
        profile = None if fitted.profiles is None else fitted.profiles[c]
        train = cells[c].train
        _, cov_all, _ = cell_inputs(train, cells[c].train_time, c, len(cells), geometry, profile)
        cov = cov_all[origins]
        rows.append(np.concatenate([np.zeros((len(origins), geometry.n_lags)), cov], axis=1))
        owner.append(np.full(len(origins), position))
    if not rows:
        return np.empty(0)
    dist = fitted.model.predict_dist(np.concatenate(rows), mask_lags=True)
    per_row = np.asarray(dist.epistemic_var).reshape(len(dist.epistemic_var), -1).mean(axis=1)
    owners = np.concatenate(owner)
    return np.bincount(owners, weights=per_row, minlength=len(candidates)) / np.bincount(
        owners, minlength=len(candidates)
    )


def evaluate(
    fitted: Fitted, cells: list[CellSeries], geometry: Geometry, coverage: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-cell metrics on the test period, and the forecasts (for the figures).

    Rolling origins every ``horizon`` steps (:func:`holdout_origins`); the lags
    are the observed test steps before each origin.
    """
    metrics, forecasts = [], []
    for c, cell in enumerate(cells):
        scale = fitted.scales[c]
        origins = holdout_origins(len(cell.test), geometry)
        profile = None if fitted.profiles is None else fitted.profiles[c]
        z, cov, base = cell_inputs(
            scale.forward(cell.test), cell.test_time, c, len(cells), geometry, profile
        )
        X, _ = rows_at(z, cov, origins, geometry)
        if fitted.interval_q is None:
            mean, low, high = fitted.model.predict_interval(X, coverage)
        else:
            dist = fitted.model.predict_dist(X)
            mean = dist.mean
            low, high = mean - fitted.interval_q * dist.std, mean + fitted.interval_q * dist.std
        shift = base[origins[:, None] + np.arange(geometry.horizon)[None, :]]
        mean, low, high = mean + shift, low + shift, high + shift
        metrics.append(
            {
                "cell": cell.name,
                **score_cell(
                    cell,
                    geometry,
                    origins,
                    scale.inverse(mean),
                    scale.inverse(low),
                    scale.inverse(high),
                ),
            }
        )
        forecasts.append(
            forecast_frame(
                cell,
                origins,
                geometry,
                scale.inverse(mean),
                scale.inverse(low),
                scale.inverse(high),
            )
        )
    return pd.DataFrame(metrics), pd.concat(forecasts, ignore_index=True)


def actuals(cell: CellSeries, origins: np.ndarray, geometry: Geometry) -> np.ndarray:
    """The test load at every origin's horizon steps, ``(k, horizon)``."""
    return cell.test[origins[:, None] + np.arange(geometry.horizon)[None, :]]


def score_cell(
    cell: CellSeries,
    geometry: Geometry,
    origins: np.ndarray,
    mean: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> dict[str, float]:
    """:func:`forecast_metrics` of one cell's test forecasts (MASE scaled by its training period)."""
    return forecast_metrics(
        actuals(cell, origins, geometry),
        mean,
        low,
        high,
        seasonal_scale(cell.train, geometry.season),
    )


def forecast_frame(
    cell: CellSeries,
    origins: np.ndarray,
    geometry: Geometry,
    mean: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> pd.DataFrame:
    """One row per forecast step: cell, time, actual, mean, low, high (bytes)."""
    steps = (origins[:, None] + np.arange(geometry.horizon)[None, :]).ravel()
    return pd.DataFrame(
        {
            "cell": cell.name,
            "time": cell.test_time[steps],
            "step_ahead": np.tile(np.arange(1, geometry.horizon + 1), len(origins)),
            "actual": cell.test[steps],
            "mean": np.ravel(mean),
            "low": np.ravel(low),
            "high": np.ravel(high),
        }
    )
