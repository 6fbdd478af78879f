"""Forecast errors and interval coverage on the held-out future, and t intervals over seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

from netal.errors import ShapeMismatchError


def forecast_metrics(
    y: np.ndarray, mean: np.ndarray, low: np.ndarray, high: np.ndarray, scale: float
) -> dict[str, float]:
    """Errors of point forecasts ``mean`` and intervals ``[low, high]`` against actuals ``y``.

    Parameters
    ----------
    y, mean, low, high
        Arrays of one shape (origins x horizon steps), in load units (bytes).
    scale
        MASE denominator (:func:`netal.experiments.forecast.series.seasonal_scale`).

    Returns
    -------
    dict
        ``mase`` (MAE / scale; Hyndman and Koehler, IJF 2006), ``smape`` (in %,
        ``200 |y - f| / (|y| + |f|)``, 0 where both are 0; Makridakis, IJF 1993),
        ``coverage`` (share of ``y`` inside ``[low, high]``, ends included),
        ``width`` (mean interval width over mean ``|y|``), ``mae``, ``rmse``,
        ``q95`` (95th percentile of the absolute error), all in bytes but the ratios.
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in (y, mean, low, high)]
    if len({a.shape for a in arrays}) != 1:
        raise ShapeMismatchError("forecasts", f"shapes differ: {[a.shape for a in arrays]}")
    y, mean, low, high = arrays
    error = np.abs(y - mean)
    denominator = np.abs(y) + np.abs(mean)
    smape = np.where(denominator > 0, 200.0 * error / np.where(denominator > 0, denominator, 1), 0)
    return {
        "mase": float(error.mean() / scale),
        "smape": float(smape.mean()),
        "coverage": float(((y >= low) & (y <= high)).mean()),
        "width": float((high - low).mean() / max(np.abs(y).mean(), 1e-12)),
        "mae": float(error.mean()),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "q95": float(np.quantile(error, 0.95)),
    }


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t interval of ``values`` (NaN ends with fewer than 2)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    mean = float(values.mean()) if len(values) else float("nan")
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = (
        student_t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    )
    return mean, mean - half, mean + half


def band_table(frame: pd.DataFrame, by: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean and 95 % t interval over the rows of each group (seeds, or seeds x cells)."""
    rows = []
    for key, group in frame.groupby(by, sort=True):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        row["n"] = len(group)
        for metric in metrics:
            mean, low, high = t_interval(group[metric].to_numpy())
            row[metric], row[f"{metric}_low"], row[f"{metric}_high"] = mean, low, high
        rows.append(row)
    return pd.DataFrame(rows)
