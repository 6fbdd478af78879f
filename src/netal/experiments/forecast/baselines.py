"""statsforecast baselines with conformal intervals, on the fully measured training period.

SeasonalNaive, AutoETS (Hyndman et al., "A state space framework for automatic
forecasting using exponential smoothing methods", IJF 18(3), 2002) and MSTL
(Bandara et al., "MSTL: A Seasonal-Trend Decomposition Algorithm for Time
Series with Multiple Seasonal Patterns", 2021), each with split-conformal
intervals (statsforecast's ``ConformalIntervals``; Stankeviciute et al.,
"Conformal time-series forecasting", NeurIPS 2021), fitted on a cell's log load
(the neural forecaster's outage-safe transform, :class:`~netal.experiments.forecast.series.Scale`)
over the whole training period and rolled over the test period at the same
origins as the neural forecaster (fitted once, ``refit=False``: later origins
only see the observed history up to them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from netal.errors import InvalidInputError
from netal.experiments.forecast.series import (
    CellSeries,
    Geometry,
    holdout_origins,
    measured_scale,
)
from netal.registry import Registry

BASELINES: Registry[Callable[..., Any]] = Registry("forecast baseline")
"""statsforecast model factories by name: ``(season, intervals) -> model``."""


@BASELINES.register("seasonal_naive")
def _seasonal_naive(season: int, intervals: Any) -> Any:
    from statsforecast.models import SeasonalNaive  # optional extra, loaded on use

    return SeasonalNaive(season_length=season, prediction_intervals=intervals)


@BASELINES.register("auto_ets")
def _auto_ets(season: int, intervals: Any) -> Any:
    from statsforecast.models import AutoETS  # optional extra, loaded on use

    return AutoETS(season_length=season, prediction_intervals=intervals)


@BASELINES.register("mstl")
def _mstl(season: int, intervals: Any) -> Any:
    from statsforecast.models import MSTL  # optional extra, loaded on use

    return MSTL(season_length=[season], prediction_intervals=intervals)


def check_statsforecast() -> None:
    """Raise one line when the ``forecast`` extra is not installed."""
    try:
        import statsforecast  # noqa: F401  (optional extra, checked before any work)
    except ImportError:
        raise InvalidInputError(
            "baselines", "need statsforecast: pip install 'netal[forecast]' (or --baselines '')"
        ) from None


def baseline_forecasts(
    cell: CellSeries, name: str, geometry: Geometry, coverage: float, conformal_windows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rolling forecasts of baseline ``name`` over the test period of ``cell``.

    Returns
    -------
    origins, mean, low, high
        Test origins ``(k,)`` and load forecasts ``(k, horizon)`` (bytes),
        the central ``coverage`` conformal interval.
    """
    from statsforecast import StatsForecast  # optional extra, loaded on use
    from statsforecast.utils import ConformalIntervals

    factory = BASELINES.get(name)
    origins = holdout_origins(len(cell.test), geometry)
    # the neural forecaster's transform (log with an outage-safe offset), from the training period
    scale = measured_scale(cell.train, np.ones(len(cell.train), dtype=bool))
    series = scale.forward(np.concatenate([cell.train, cell.test]))
    frame = pd.DataFrame({"unique_id": cell.name, "ds": np.arange(len(series)), "y": series})
    intervals = ConformalIntervals(h=geometry.horizon, n_windows=conformal_windows)
    model = factory(geometry.season, intervals)
    level = round(100 * coverage, 6)
    out = StatsForecast(models=[model], freq=1, n_jobs=1).cross_validation(
        df=frame,
        h=geometry.horizon,
        step_size=geometry.horizon,
        n_windows=len(origins),
        refit=False,
        level=[level],
    )
    column = str(model)
    shape = (len(origins), geometry.horizon)
    (lo,) = [c for c in out.columns if c.startswith(f"{column}-lo-")]
    (hi,) = [c for c in out.columns if c.startswith(f"{column}-hi-")]
    mean = out[column].to_numpy().reshape(shape)
    low, high = out[lo].to_numpy().reshape(shape), out[hi].to_numpy().reshape(shape)
    return origins, scale.inverse(mean), scale.inverse(low), scale.inverse(high)
