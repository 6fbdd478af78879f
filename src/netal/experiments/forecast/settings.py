"""``[forecast]`` settings of ``netal forecast`` (a TOML section; flags win)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netal._validation import check_positive_int
from netal.configfile import read_section
from netal.errors import InvalidInputError
from netal.experiments.forecast.baselines import BASELINES
from netal.experiments.forecast.learn import ModelSettings
from netal.experiments.forecast.measure import ADAPTIVE, PLANS
from netal.experiments.forecast.study import ForecastStudy
from netal.experiments.settings import Replication

STATIONS = ("ElBorn", "LesCorts", "PobleSec")


@dataclass(frozen=True)
class ForecastSettings(Replication):
    """Everything ``netal forecast`` runs (see :class:`~netal.experiments.forecast.ForecastStudy`).

    Parameters
    ----------
    stations
        barcelona-lte stations (cells) to forecast; empty: all three.
    step_minutes
        Forecast step (a multiple of the files' 2 minutes; loads are summed).
    n_lags, horizon
        Steps of input and of forecast per origin.
    window_hours
        Length of one measurement window (must hold ``n_lags + horizon`` steps).
    budgets
        Measurement budgets, shares of the cost of measuring every window, in (0, 1].
    arms
        Measurement plans (``random``, ``round_robin``, ``uncertainty``);
        ``full`` measurement always runs as the reference.
    baselines
        statsforecast models fitted on the fully measured period
        (``seasonal_naive``, ``mstl``, ``auto_ets``); empty: none.
    cell_costs
        Cost factor per cell (cost of a window = hours x factor); empty: all 1.
    batch
        Windows the ``uncertainty`` plan measures per round.
    coverage
        Nominal coverage of the prediction intervals, in (0, 1).
    conformal_windows
        Calibration windows of the baselines' conformal intervals.
    epochs, hidden, dropout, n_passes, mask_rate
        The neural forecaster (:class:`~netal.models.forecaster.MCDropoutForecaster`).
    conformal
        Calibrate the neural forecaster's intervals by split conformal prediction on the
        latest 20 % of what was measured (default: Gaussian MC-dropout intervals).
    seasonal
        Forecast deviations from each cell's daily profile learned from the measured steps
        (``cell_inputs`` of :mod:`netal.experiments.forecast.learn`).
    validation
        Score on the last 20 % of each training period (never measured) instead of the
        test files: for choosing between variants before looking at the test period.
    data_dir
        Directory of real datasets (default ``$NETAL_DATA_DIR``).
    seeds, first_seed
        Replication seeds.
    """

    stations: tuple[str, ...] = ()
    step_minutes: int = 30
    n_lags: int = 4
    horizon: int = 4
    window_hours: float = 6.0
    budgets: tuple[float, ...] = (0.1, 0.2, 0.3, 0.5)
    arms: tuple[str, ...] = ("random", "round_robin", ADAPTIVE)
    baselines: tuple[str, ...] = ("seasonal_naive", "mstl")
    cell_costs: tuple[float, ...] = ()
    batch: int = 4
    coverage: float = 0.9
    conformal_windows: int = 5
    epochs: int = 150
    hidden: tuple[int, ...] = (64, 64)
    dropout: float = 0.1
    n_passes: int = 30
    mask_rate: float = 0.5
    conformal: bool = False
    seasonal: bool = False
    validation: bool = False
    data_dir: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in (
            "step_minutes",
            "n_lags",
            "horizon",
            "batch",
            "conformal_windows",
            "epochs",
            "n_passes",
        ):
            check_positive_int(getattr(self, name), name)
        if self.step_minutes % 2:
            raise InvalidInputError(
                "step_minutes", f"must be a multiple of 2, got {self.step_minutes}"
            )
        for station in self.stations:
            if station not in STATIONS:
                raise InvalidInputError(
                    "stations", f"unknown {station!r}; known: {', '.join(STATIONS)}"
                )
        window = self.window_hours * 60 / self.step_minutes
        if window < self.n_lags + self.horizon:
            raise InvalidInputError(
                "window_hours",
                f"{self.window_hours:g} h is {window:g} steps, fewer than n_lags + horizon = "
                f"{self.n_lags + self.horizon}",
            )
        if not self.budgets or any(not 0 < b <= 1 for b in self.budgets):
            raise InvalidInputError(
                "budgets", f"must be shares in (0, 1], got {list(self.budgets)}"
            )
        if len(set(self.budgets)) != len(self.budgets):
            raise InvalidInputError("budgets", f"names a budget twice: {list(self.budgets)}")
        if not self.arms or len(set(self.arms)) != len(self.arms):
            raise InvalidInputError("arms", f"must name distinct plans, got {list(self.arms)}")
        for arm in self.arms:
            if arm != ADAPTIVE:
                PLANS.get(arm)
        for name in self.baselines:
            BASELINES.get(name)
        if any(c <= 0 for c in self.cell_costs):
            raise InvalidInputError("cell_costs", f"must be positive, got {list(self.cell_costs)}")
        n_cells = len(self.stations) or len(STATIONS)
        if self.cell_costs and len(self.cell_costs) != n_cells:
            raise InvalidInputError(
                "cell_costs", f"has {len(self.cell_costs)} entries for {n_cells} cells"
            )
        if not 0 < self.coverage < 1:
            raise InvalidInputError("coverage", f"must be in (0, 1), got {self.coverage}")
        if not 0 <= self.dropout < 1 or not 0 <= self.mask_rate < 1:
            raise InvalidInputError("dropout", "dropout and mask_rate must be in [0, 1)")

    def study(self) -> ForecastStudy:
        """The study these settings describe."""
        return ForecastStudy(
            stations=tuple(self.stations),
            step_minutes=self.step_minutes,
            n_lags=self.n_lags,
            horizon=self.horizon,
            window_hours=float(self.window_hours),
            budgets=tuple(float(b) for b in self.budgets),
            arms=tuple(self.arms),
            baselines=tuple(self.baselines),
            cell_costs=tuple(float(c) for c in self.cell_costs),
            batch=self.batch,
            coverage=float(self.coverage),
            conformal_windows=self.conformal_windows,
            model=ModelSettings(
                tuple(self.hidden),
                float(self.dropout),
                self.n_passes,
                self.epochs,
                float(self.mask_rate),
                bool(self.conformal),
                bool(self.seasonal),
            ),
            figure_budget=min(self.budgets, key=lambda b: abs(b - 0.2)),
            validation=bool(self.validation),
            data_dir=self.data_dir,
        )


def load_forecast(path: Any = None, overrides: dict[str, Any] | None = None) -> ForecastSettings:
    """``[forecast]`` of ``path`` (optional) with ``overrides`` (flags) on top."""
    (settings,) = read_section(
        path, "forecast", (ForecastSettings,), overrides, path_fields=("data_dir",)
    )
    return settings
