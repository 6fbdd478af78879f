"""Traffic forecasting on barcelona-lte with active measurement (``netal forecast``, issue 16).

The seed paper's section VI.A use case: a per-cell load forecaster with
uncertainty, trained only on what was measured, and measurement plans that
choose which cell and which time window to measure under a budget.

Modules: :mod:`~netal.experiments.forecast.series` (cells, rows, no leakage),
:mod:`~netal.experiments.forecast.measure` (windows, plans, cost-aware batches),
:mod:`~netal.experiments.forecast.learn` (fit, score, evaluate),
:mod:`~netal.experiments.forecast.baselines` (statsforecast with conformal intervals),
:mod:`~netal.experiments.forecast.study` (the study) and
:mod:`~netal.experiments.forecast.settings` (``[forecast]`` of a TOML file).
"""

from netal.experiments.forecast.learn import ModelSettings
from netal.experiments.forecast.measure import PLANS
from netal.experiments.forecast.study import ForecastStudy, run_forecast_experiment

__all__ = ["PLANS", "ForecastStudy", "ModelSettings", "run_forecast_experiment"]
