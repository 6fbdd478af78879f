"""``netal forecast``: per-cell load forecasting on barcelona-lte with costly, chosen measurements.

Cells of the study (:func:`netal.harness.run_study`): one per (measurement
plan, seed), plus one for the statsforecast baselines.  A plan's cell measures
more and more of the training period (the budgets, as shares of the cost of
measuring everything), trains the neural forecaster on what was measured at
each budget and scores it on the held-out future: one record per budget.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal.errors import InvalidInputError
from netal.experiments.forecast.baselines import BASELINES, baseline_forecasts
from netal.experiments.forecast.learn import (
    ModelSettings,
    conformal_quantile,
    evaluate,
    fit_forecaster,
    forecast_frame,
    score_cell,
    window_scores,
)
from netal.experiments.forecast.measure import (
    ADAPTIVE,
    PLANS,
    affordable_prefix,
    make_windows,
    pick_batch,
    start_windows,
)
from netal.experiments.forecast.series import CellSeries, Geometry, load_cells, validation_cells
from netal.harness.grid import Cell
from netal.harness.progress import report
from netal.harness.store import CellOutput
from netal.harness.study import StudyRun, check_seeds, run_study

DATASET = "barcelona-lte"
BASELINE_CELL = "baselines"
FULL = "full"


@dataclass(frozen=True)
class ForecastStudy:
    """The ``netal forecast`` study (fields: see :class:`ForecastSettings`)."""

    stations: tuple[str, ...] = ()
    step_minutes: int = 30
    n_lags: int = 4
    horizon: int = 4
    window_hours: float = 6.0
    budgets: tuple[float, ...] = (0.1, 0.2, 0.3, 0.5)
    arms: tuple[str, ...] = ("random", "round_robin", ADAPTIVE)
    baselines: tuple[str, ...] = ("seasonal_naive", "auto_ets", "mstl")
    cell_costs: tuple[float, ...] = ()
    batch: int = 4
    coverage: float = 0.9
    conformal_windows: int = 5
    model: ModelSettings = field(default_factory=ModelSettings)
    figure_budget: float = 0.2
    validation: bool = False
    """Hold out the last 20 % of each training period instead of the test files (choosing variants)."""
    data_dir: str | None = None

    def fingerprint(self) -> dict[str, Any]:
        """Every setting but ``data_dir`` (where the data is, not what it is)."""
        kept = dataclasses.asdict(self)
        del kept["data_dir"]
        for option in ("conformal", "seasonal"):
            if not kept["model"][option]:
                del kept["model"][option]  # fingerprints written before the option still match
        if not kept["validation"]:
            del kept["validation"]
        return {"study": "forecast", **kept}

    def cells(self, seeds: Sequence[int]) -> list[Cell]:
        """The baselines (when any), then every plan and ``full`` per seed."""
        out = [Cell(DATASET, BASELINE_CELL, 0)] if self.baselines else []
        return out + [Cell(DATASET, arm, int(seed)) for seed in seeds for arm in (*self.arms, FULL)]

    # -- shared pieces ---------------------------------------------------------------------------
    def geometry(self) -> Geometry:
        """Steps of the lags, horizon, measurement window and one day."""
        window = round(self.window_hours * 60 / self.step_minutes)
        return Geometry(self.n_lags, self.horizon, window, 24 * 60 // self.step_minutes)

    def load(self) -> list[CellSeries]:
        """The cells' series (with :attr:`validation`, the training periods split in time)."""
        cells = load_cells(self.data_dir, self.stations or None, self.step_minutes)
        return validation_cells(cells) if self.validation else cells

    def run_cell(self, cell: Cell) -> CellOutput:
        """The baselines' forecasts, or one plan's curve over the budgets."""
        cells = self.load()
        if cell.strategy == BASELINE_CELL:
            return CellOutput(cell, self._baselines(cells))
        return CellOutput(cell, self._plan(cells, cell.strategy, cell.seed))

    def _baselines(self, cells: list[CellSeries]) -> dict[str, pd.DataFrame]:
        geometry, metrics, forecasts = self.geometry(), [], []
        steps = len(self.baselines) * len(cells)
        for done, (name, cell) in enumerate((n, c) for n in self.baselines for c in cells):
            report(done, steps, "baseline fits")
            start = time.perf_counter()
            origins, mean, low, high = baseline_forecasts(
                cell, name, geometry, self.coverage, self.conformal_windows
            )
            scores = score_cell(cell, geometry, origins, mean, low, high)
            metrics.append(
                {
                    "model": name,
                    "cell": cell.name,
                    **scores,
                    "wall_time_s": time.perf_counter() - start,
                }
            )
            frame = forecast_frame(cell, origins, geometry, mean, low, high)
            forecasts.append(frame.assign(model=name))
        return {"baselines": pd.DataFrame(metrics), "forecasts": pd.concat(forecasts)}

    def _plan(self, cells: list[CellSeries], arm: str, seed: int) -> dict[str, pd.DataFrame]:
        geometry = self.geometry()
        lengths = [len(c.train) for c in cells]
        costs = self.cell_costs or (1.0,) * len(cells)
        windows = make_windows(lengths, geometry.window, self.step_minutes, costs)
        total = float(windows.cost.sum())
        start = start_windows(windows, np.random.default_rng([seed, 0]))
        levels = [1.0] if arm == FULL else sorted(self.budgets)
        floor = float(windows.cost[start].sum()) / total
        if levels[0] < floor:
            raise InvalidInputError(
                "budgets",
                f"{levels[0]:g} is below {floor:.4f}, the cost of one window per cell "
                "(every plan starts there)",
            )
        fixed = (
            None
            if arm == ADAPTIVE
            else PLANS.get(arm)(windows, start, np.random.default_rng([seed, 1]))
        )
        chosen = start
        records, per_cell, measured, forecasts = [], [], [], []
        began = time.perf_counter()
        for iteration, level in enumerate(levels):
            report(iteration, len(levels), "budgets")
            if fixed is not None:
                chosen = affordable_prefix(fixed, windows.cost, level * total)
                fitted = self._fit(cells, windows, chosen, lengths, geometry, seed)
            else:
                fitted, chosen = self._adaptive(
                    cells, windows, chosen, level * total, geometry, seed
                )
            if self.model.conformal:
                masks = windows.mask(chosen, lengths)
                q = conformal_quantile(cells, masks, geometry, self.model, seed, self.coverage)
                fitted = dataclasses.replace(fitted, interval_q=q)
            cell_metrics, frame = evaluate(fitted, cells, geometry, self.coverage)
            spent = float(windows.cost[chosen].sum())
            pooled = frame.assign(err=(frame["actual"] - frame["mean"]).abs())
            records.append(
                {
                    "dataset": DATASET,
                    "strategy": arm,
                    "seed": seed,
                    "iteration": iteration,
                    "n_labels": len(chosen),
                    "cost": spent,
                    "budget": level,
                    "rmse": float(np.sqrt((pooled["err"] ** 2).mean())) / 1e6,
                    "mae": float(pooled["err"].mean()) / 1e6,
                    "q95": float(pooled["err"].quantile(0.95)) / 1e6,
                    "mase": float(cell_metrics["mase"].mean()),
                    "smape": float(cell_metrics["smape"].mean()),
                    "coverage": float(
                        (
                            (frame["actual"] >= frame["low"]) & (frame["actual"] <= frame["high"])
                        ).mean()
                    ),
                    "width": float(cell_metrics["width"].mean()),
                    "train_rows": fitted.n_rows,
                    "interval_q": np.nan if fitted.interval_q is None else fitted.interval_q,
                    "wall_time_s": time.perf_counter() - began,
                }
            )
            per_cell.append(cell_metrics.assign(strategy=arm, seed=seed, budget=level))
            measured.append(
                pd.DataFrame(
                    {
                        "strategy": arm,
                        "seed": seed,
                        "budget": level,
                        "order": np.arange(len(chosen)),
                        "cell": [cells[c].name for c in windows.cell[chosen]],
                        "start": windows.start[chosen],
                        "stop": windows.stop[chosen],
                        "cost": windows.cost[chosen],
                    }
                )
            )
            if arm == FULL or np.isclose(level, self.figure_budget):
                forecasts.append(frame.assign(strategy=arm, seed=seed, budget=level))
        return {
            "records": pd.DataFrame(records),
            "cell_metrics": pd.concat(per_cell, ignore_index=True),
            "measured": pd.concat(measured, ignore_index=True),
            "forecasts": pd.concat(forecasts, ignore_index=True) if forecasts else pd.DataFrame(),
        }

    def _fit(self, cells, windows, chosen, lengths, geometry, seed):  # type: ignore[no-untyped-def]
        return fit_forecaster(cells, windows.mask(chosen, lengths), geometry, self.model, seed)

    def _adaptive(self, cells, windows, chosen, budget, geometry, seed):  # type: ignore[no-untyped-def]
        """Measure batches of the most uncertain windows per unit cost until ``budget`` is spent."""
        lengths = [len(c.train) for c in cells]
        while True:
            fitted = self._fit(cells, windows, chosen, lengths, geometry, seed)
            left = budget - float(windows.cost[chosen].sum())
            candidates = np.setdiff1d(np.arange(len(windows)), chosen)
            candidates = candidates[windows.cost[candidates] <= left * (1 + 1e-12)]
            if not len(candidates):
                return fitted, chosen
            scores = window_scores(fitted, cells, windows, candidates, geometry)
            picked = pick_batch(scores, windows.cost, candidates, left, self.batch)
            chosen = np.concatenate([chosen, picked])

    def finish(self, run: StudyRun) -> Any:
        """Tables, figures, ``summary.json`` and the report (:mod:`netal.experiments.forecast.outputs`)."""
        from netal.experiments.forecast.outputs import write_forecast_outputs  # same package

        return write_forecast_outputs(self, run)


def run_forecast_experiment(
    out_dir: str | Path,
    study: ForecastStudy,
    seeds: Sequence[int] = (0, 1, 2),
    *,
    executor: Any = None,
    on_cell: Callable[..., None] | None = None,
) -> Any:
    """Run (or resume) the study into ``out_dir``; returns what :meth:`ForecastStudy.finish` wrote."""
    seeds = check_seeds(seeds)
    for arm in study.arms:
        if arm != ADAPTIVE:
            PLANS.get(arm)
    for name in study.baselines:
        BASELINES.get(name)
    return run_study(study, seeds, out_dir, executor, on_cell=on_cell, on_skipped=on_cell)
