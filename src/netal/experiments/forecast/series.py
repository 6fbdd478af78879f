"""Per-cell load series of barcelona-lte, and the forecaster's rows built only from measured steps.

Each base station is a *cell*: its downlink load (bytes per step) over the
training period (the ``<station>.csv`` file) and the held-out future (the
``<station>_test.csv`` file, which continues the series in time).  Raw 2-minute
steps are summed into ``step_minutes`` steps.  Every row of the forecaster is
an origin ``t``: the inputs are the ``n_lags`` steps before ``t`` (standardized
log load of the cell) and covariates (time of day, day of week, cell identity),
the target the ``horizon`` steps from ``t``.  Training rows come only from the
training period and only where every input and target step was measured;
test rows only from the test period (their lags too), so no future value and
no unmeasured value reaches training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal.data import load_dataset
from netal.errors import DataError, InvalidInputError

RAW_STEP_MINUTES = 2
"""The step of the barcelona-lte files."""


@dataclass(frozen=True)
class CellSeries:
    """One cell's load: training period, then the held-out future right after it.

    Attributes
    ----------
    name
        Station name.
    train, test
        Load per step (bytes), float arrays.
    train_time, test_time
        Start time of every step.
    """

    name: str
    train: np.ndarray
    test: np.ndarray
    train_time: np.ndarray
    test_time: np.ndarray


def _check_steps(frame: pd.DataFrame, where: str) -> None:
    steps = frame["time"].diff().dropna()
    bad = steps != pd.Timedelta(minutes=RAW_STEP_MINUTES)
    if bad.any():
        at = frame["time"].iloc[int(np.flatnonzero(bad.to_numpy())[0]) + 1]
        raise DataError(
            where,
            f"time index has a gap or repeat at {at} (step {steps[bad].iloc[0]}, "
            f"expected {RAW_STEP_MINUTES} min); forecasting needs a regular series",
        )


def _sum_steps(values: np.ndarray, times: np.ndarray, agg: int, *, from_end: bool) -> tuple:
    extra = len(values) % agg
    if from_end and extra:  # drop the oldest rows, so the last step ends where the test begins
        values, times = values[extra:], times[extra:]
    elif extra:
        values, times = values[: len(values) - extra], times[: len(times) - extra]
    return values.reshape(-1, agg).sum(axis=1), times[::agg]


def load_cells(
    data_dir: str | Path | None, stations: tuple[str, ...] | None, step_minutes: int
) -> list[CellSeries]:
    """The cells of barcelona-lte, summed into ``step_minutes`` steps.

    Raises
    ------
    DataError
        A file is missing, or a station's time index has a gap or a repeat
        (within a file or between its training and test files).
    InvalidInputError
        ``step_minutes`` is not a positive multiple of 2.
    """
    if step_minutes <= 0 or step_minutes % RAW_STEP_MINUTES:
        raise InvalidInputError(
            "step_minutes", f"must be a positive multiple of {RAW_STEP_MINUTES}, got {step_minutes}"
        )
    agg = step_minutes // RAW_STEP_MINUTES
    options: dict[str, Any] = {"split": "all"}
    if stations:
        options["stations"] = list(stations)
    dataset = load_dataset("barcelona-lte", data_dir, **options)
    frame = dataset.frame
    cells = []
    for name, station in frame.groupby("station", sort=False):
        where = f"barcelona-lte/{name}.csv + {name}_test.csv"
        _check_steps(station, where)
        parts = {}
        for split in ("train", "test"):
            part = station[station["split"] == split]
            values = part["down"].to_numpy(dtype=np.float64)
            if np.isnan(values).any() or (values < 0).any():
                raise DataError(
                    where, f"column 'down' of the {split} file has NaN or negative load"
                )
            parts[split] = _sum_steps(
                values, part["time"].to_numpy(), agg, from_end=split == "train"
            )
        cells.append(
            CellSeries(
                str(name), parts["train"][0], parts["test"][0], parts["train"][1], parts["test"][1]
            )
        )
    return cells


@dataclass(frozen=True)
class Geometry:
    """Window geometry in steps: lags, horizon, measurement window, season (one day)."""

    n_lags: int
    horizon: int
    window: int
    season: int


def covariates(times: np.ndarray, cell: int, n_cells: int) -> np.ndarray:
    """Time of day and day of week (sine, cosine), weekend flag, one-hot cell: ``(n, 5 + n_cells)``."""
    stamp = pd.DatetimeIndex(times)
    day = (stamp.hour * 60 + stamp.minute).to_numpy() / 1440.0
    week = (stamp.dayofweek.to_numpy() + day) / 7.0
    onehot = np.zeros((len(stamp), n_cells))
    onehot[:, cell] = 1.0
    return np.column_stack(
        [
            np.sin(2 * np.pi * day),
            np.cos(2 * np.pi * day),
            np.sin(2 * np.pi * week),
            np.cos(2 * np.pi * week),
            (stamp.dayofweek >= 5).astype(float),
            onehot,
        ]
    )


@dataclass(frozen=True)
class Scale:
    """A cell's robust standardization of log load, from its measured steps only.

    ``z = (log(load + offset) - center) / spread`` with ``offset`` 1 % of the
    measured median load (outages report zero load; a plain ``log1p`` would
    put them twenty standard deviations away), ``center`` the median and
    ``spread`` the scaled median absolute deviation of the measured log load.
    """

    offset: float
    center: float
    spread: float

    def forward(self, load: np.ndarray) -> np.ndarray:
        """Load (bytes) -> standardized log load."""
        return (np.log(np.maximum(load, 0.0) + self.offset) - self.center) / self.spread

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """Standardized log load -> load (bytes, >= 0); monotone, so quantiles map to quantiles."""
        return np.maximum(np.exp(np.asarray(z) * self.spread + self.center) - self.offset, 0.0)


def measured_scale(load: np.ndarray, measured: np.ndarray) -> Scale:
    """The standardization of a cell's measured steps (at least one step must be measured)."""
    values = np.maximum(load[measured], 0.0)
    if not len(values):
        raise InvalidInputError("measured", "a cell has no measured step")
    offset = max(0.01 * float(np.median(values)), 1.0)
    logs = np.log(values + offset)
    center = float(np.median(logs))
    spread = 1.4826 * float(np.median(np.abs(logs - center)))
    return Scale(offset, center, spread if spread > 1e-3 else max(float(logs.std()), 1e-3))


def origins_in(measured: np.ndarray, geometry: Geometry) -> np.ndarray:
    """Origins ``t`` whose lags ``t-n_lags..t-1`` and targets ``t..t+horizon-1`` are all measured."""
    span = geometry.n_lags + geometry.horizon
    if len(measured) < span:
        return np.empty(0, dtype=np.int64)
    ok = np.lib.stride_tricks.sliding_window_view(measured, span).all(axis=1)
    return np.flatnonzero(ok) + geometry.n_lags


def rows_at(
    z: np.ndarray, cov: np.ndarray, origins: np.ndarray, geometry: Geometry
) -> tuple[np.ndarray, np.ndarray]:
    """Context rows (lags then covariates of the origin) and targets at ``origins`` of series ``z``."""
    lag_index = origins[:, None] + np.arange(-geometry.n_lags, 0)[None, :]
    target_index = origins[:, None] + np.arange(geometry.horizon)[None, :]
    X = np.concatenate([z[lag_index], cov[origins]], axis=1)
    return X, z[target_index]


def holdout_origins(n_test: int, geometry: Geometry) -> np.ndarray:
    """Rolling origins in the test period, every ``horizon`` steps, aligned to its end.

    The last origin forecasts the last ``horizon`` steps; the first one has
    ``n_lags`` test steps before it (the lags never reach into training).
    """
    last = n_test - geometry.horizon
    origins = np.arange(last, geometry.n_lags - 1, -geometry.horizon)[::-1]
    if not len(origins):
        raise InvalidInputError(
            "horizon", f"a test period of {n_test} steps has no room for lags and a horizon"
        )
    return origins


def seasonal_scale(train: np.ndarray, season: int) -> float:
    """MASE denominator: in-sample MAE of the seasonal naive forecast on the whole training period.

    Hyndman and Koehler, "Another look at measures of forecast accuracy",
    IJF 22(4), 2006.  A fixed normalizer per cell (the same for every arm),
    computed from the training period only.
    """
    if len(train) <= season:
        raise InvalidInputError("season", f"training period of {len(train)} steps <= one season")
    return float(np.mean(np.abs(train[season:] - train[:-season])))


def time_slots(times: np.ndarray, season: int) -> np.ndarray:
    """The step of the day (``0 .. season-1``) every time falls in."""
    stamp = pd.DatetimeIndex(times)
    minutes = (stamp.hour * 60 + stamp.minute).to_numpy()
    return (minutes * season // 1440).astype(np.int64)


def daily_profile(
    z: np.ndarray, measured: np.ndarray, slots: np.ndarray, season: int
) -> np.ndarray:
    """Mean of the measured steps of ``z`` per step of the day, ``(season,)``.

    Steps of the day nobody measured are interpolated linearly (around the
    clock) from the nearest measured ones, so a profile exists from the
    first measured window on.  Only measured training steps enter it.
    """
    counts = np.bincount(slots[measured], minlength=season).astype(np.float64)
    sums = np.bincount(slots[measured], weights=z[measured], minlength=season)
    known = np.flatnonzero(counts > 0)
    if not len(known):
        raise InvalidInputError("measured", "a cell has no measured step")
    values = sums[known] / counts[known]
    xp = np.concatenate([known - season, known, known + season])
    return np.interp(np.arange(season), xp, np.tile(values, 3))


def validation_cells(cells: list[CellSeries], share: float = 0.2) -> list[CellSeries]:
    """Each cell's training period split in time: the last ``share`` becomes the held-out future.

    For choosing between variants without touching the test files: the
    validation period lies before the test period and is never measured.
    """
    if not 0.0 < share < 1.0:
        raise InvalidInputError("validation", f"share must be in (0, 1), got {share!r}")
    out = []
    for cell in cells:
        cut = len(cell.train) - max(1, round(share * len(cell.train)))
        out.append(
            CellSeries(
                cell.name,
                cell.train[:cut],
                cell.train[cut:],
                cell.train_time[:cut],
                cell.train_time[cut:],
            )
        )
    return out
