"""What ``netal forecast`` writes: results, per-cell metrics, baselines, summary, figures, report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal.atomic import write_parquet, write_text
from netal.experiments.forecast.evaluate import band_table
from netal.harness.study import StudyRun, concat_tables
from netal.report import build_report, summary_from_results, write_summary
from netal.report.forecast import budget_curves_figure, forecast_figure
from netal.report.numbers import markdown_table

METRICS = ["mase", "smape", "coverage"]


@dataclass(frozen=True)
class ForecastOutcome:
    """What the study wrote."""

    summary: dict[str, Any]
    results: pd.DataFrame
    bands: pd.DataFrame
    baselines: pd.DataFrame
    out_dir: Path
    report: Path


def _paired(results: pd.DataFrame, arm: str, other: str, metric: str) -> dict[str, Any]:
    from netal.experiments.forecast.evaluate import t_interval

    a = results[results["strategy"] == arm].set_index(["seed", "budget"])[metric]
    b = results[results["strategy"] == other].set_index(["seed", "budget"])[metric]
    rows = []
    for budget in sorted(set(a.index.get_level_values(1)) & set(b.index.get_level_values(1))):
        diff = (a.xs(budget, level=1) - b.xs(budget, level=1)).dropna()
        mean, low, high = t_interval(diff.to_numpy())
        rows.append(
            {
                "budget": budget,
                "arm": arm,
                "vs": other,
                "seeds": len(diff),
                f"{metric} diff": mean,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return rows  # type: ignore[return-value]


def _figures(study: Any, out: Path, bands: pd.DataFrame, refs: dict, run: StudyRun) -> list[str]:
    fig_dir = out / "figures"
    paths = [
        budget_curves_figure(
            bands,
            METRICS,
            fig_dir / "forecast-vs-budget.png",
            references=refs,
            nominal_coverage=study.coverage,
            title="barcelona-lte: neural forecaster vs measurement budget",
        )
    ]
    forecasts = concat_tables(run.outputs, "forecasts")
    measured = concat_tables(run.outputs, "measured")
    if forecasts.empty or "strategy" not in forecasts.columns:
        return [str(p) for p in paths]
    seed = int(min(forecasts["seed"].dropna()))
    cells = study.load()
    cell = cells[-1]  # the longest station by default order (PobleSec)
    history = pd.DataFrame({"time": cell.train_time, "load": cell.train})
    for arm in sorted(forecasts["strategy"].dropna().unique()):
        rows = forecasts[(forecasts["strategy"] == arm) & (forecasts["seed"] == seed)]
        rows = rows[rows["cell"] == cell.name]
        budget = float(rows["budget"].iloc[0])
        marks = measured[
            (measured["strategy"] == arm)
            & (measured["seed"] == seed)
            & np.isclose(measured["budget"], budget)
            & (measured["cell"] == cell.name)
        ]
        marks = pd.DataFrame(
            {
                "start_time": cell.train_time[marks["start"].to_numpy()],
                "stop_time": cell.train_time[marks["stop"].to_numpy() - 1],
            }
        )
        paths.append(
            forecast_figure(
                history,
                marks,
                rows,
                fig_dir / f"forecast-{arm}.png",
                title=f"{cell.name}, {arm}, budget {budget:.0%}, seed {seed}",
                coverage=study.coverage,
            )
        )
    return [str(p) for p in paths]


def _caption(path: str) -> str:
    if Path(path).stem == "forecast-vs-budget":
        return (
            "MASE, sMAPE and interval coverage of the neural forecaster on the held-out future "
            "against measurement budget: mean over seeds with its 95 % t band; horizontal lines: "
            "full measurement and the statsforecast baselines (fitted on everything)."
        )
    return (
        "Top: the training load of one cell with the windows this plan measured shaded. "
        "Bottom: rolling forecasts of the held-out future with their intervals."
    )


def write_forecast_outputs(study: Any, run: StudyRun) -> ForecastOutcome:
    """Write ``results.parquet``, ``cell_metrics.parquet``, ``baselines.parquet``, figures, summary, report."""
    out = run.out_dir
    results = concat_tables(run.outputs, "records")
    cell_metrics = concat_tables(run.outputs, "cell_metrics")
    baselines = concat_tables(run.outputs, "baselines")
    bands = band_table(results, ["strategy", "budget"], [*METRICS, "rmse"])
    full = results[results["strategy"] == "full"]
    refs: dict[str, dict[str, float]] = {
        m: {"full measurement": float(full[m].mean())} for m in METRICS
    }
    base_means = pd.DataFrame()
    if not baselines.empty:
        base_means = (
            baselines.groupby("model", sort=True)[[*METRICS, "wall_time_s"]].mean().reset_index()
        )
        for _, row in base_means.iterrows():
            for m in METRICS:
                refs[m][row["model"]] = float(row[m])
    curves = results[results["strategy"] != "full"]
    summary = summary_from_results(
        curves,
        experiment="forecast",
        dataset="barcelona-lte",
        protocol=f"rolling {study.horizon}-step forecasts of held-out future, {study.step_minutes}-min steps",
        baseline="random",
        units={"rmse": "MB per step", "cost": "cell-hours measured"},
    )
    shown = bands[
        ["strategy", "budget", "n", *[c for m in METRICS for c in (m, f"{m}_low", f"{m}_high")]]
    ]
    tables = {
        "MASE, sMAPE (%) and interval coverage vs budget (mean over seeds, 95 % t CI)": markdown_table(
            shown.round(4)
        ),
        "Per cell at each budget (mean over seeds)": markdown_table(
            cell_metrics.groupby(["strategy", "budget", "cell"])[METRICS]
            .mean()
            .reset_index()
            .round(4)
        ),
    }
    paired = []
    for arm in [a for a in study.arms if a != "random"]:
        paired += _paired(results, arm, "random", "mase")
    for arm in [a for a in study.arms if a not in ("round_robin", "random")]:
        paired += _paired(results, arm, "round_robin", "mase")
    if paired:
        tables["Paired MASE difference per seed (negative: arm better), 95 % t CI"] = (
            markdown_table(pd.DataFrame(paired).round(4))
        )
    if not base_means.empty:
        tables["statsforecast baselines, full measurement (mean over cells; load: wall s)"] = (
            markdown_table(base_means.round(4))
        )
    summary["tables"] = {**summary["tables"], **tables}
    summary["coverage_nominal"] = study.coverage
    summary["figures"] = _figures(study, out, bands, refs, run)
    entries = [
        {"id": f"fig-{Path(p).stem}", "png": str(Path(p).relative_to(out)), "caption": _caption(p)}
        for p in summary["figures"]
    ]
    write_text(out / "study_figures.json", json.dumps(entries, indent=1))
    write_parquet(results, out / "results.parquet")
    write_parquet(cell_metrics, out / "cell_metrics.parquet")
    if not baselines.empty:
        write_parquet(baselines, out / "baselines.parquet")
    write_summary(out, summary)
    report = build_report(out)
    return ForecastOutcome(summary, results, bands, baselines, out, report)
