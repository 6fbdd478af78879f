"""Figures of a forecasting study: metrics against measurement budget, forecasts with intervals.

Both are drawn from tables a study wrote (no study is imported), with the
Agg canvas like :mod:`netal.report.figures`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from netal.report.figures import _save

_LABELS = {
    "mase": "MASE",
    "smape": "sMAPE (%)",
    "coverage": "interval coverage",
    "rmse": "RMSE (MB per step)",
}


def budget_curves_figure(
    bands: pd.DataFrame,
    metrics: list[str],
    path: Path,
    *,
    references: dict[str, dict[str, float]] | None = None,
    nominal_coverage: float | None = None,
    title: str = "",
) -> Path:
    """One panel per metric: mean per arm against budget with its 95 % band.

    Parameters
    ----------
    bands
        Columns ``strategy``, ``budget`` and, per metric, ``<m>``, ``<m>_low``,
        ``<m>_high`` (NaN ends: no band drawn there).
    references
        Per metric, horizontal lines by name (full measurement, baselines).
    nominal_coverage
        Drawn as a dotted line on the coverage panel.
    """
    figure = Figure(figsize=(4.6 * len(metrics) + 1.8, 3.6), layout="constrained")
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    arms = sorted(bands["strategy"].unique())
    for ax, metric in zip(axes, metrics, strict=True):
        for i, arm in enumerate(arms):
            rows = bands[bands["strategy"] == arm].sort_values("budget")
            x = 100 * rows["budget"].to_numpy()
            ax.plot(x, rows[metric], marker="o", markersize=3, color=f"C{i}", label=arm)
            low, high = rows[f"{metric}_low"].to_numpy(), rows[f"{metric}_high"].to_numpy()
            ok = np.isfinite(low) & np.isfinite(high)
            if ok.any():
                ax.fill_between(x, low, high, where=ok, color=f"C{i}", alpha=0.2, linewidth=0)
        for j, (name, value) in enumerate(((references or {}).get(metric) or {}).items()):
            ax.axhline(
                value,
                color="0.3",
                linestyle=("--", ":", "-.", (0, (1, 3)))[j % 4],
                linewidth=1,
                label=name,
            )
        if metric == "coverage" and nominal_coverage is not None:
            ax.axhline(nominal_coverage, color="k", linestyle=":", linewidth=1, label="nominal")
        ax.set_xlabel("measurement budget (% of full cost)")
        ax.set_ylabel(_LABELS.get(metric, metric))
        ax.grid(alpha=0.3)
    handles, labels = [], []
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    figure.legend(handles, labels, loc="outside right upper", fontsize="small")
    if title:
        figure.suptitle(title, fontsize="medium")
    return _save(figure, path)


def forecast_figure(
    history: pd.DataFrame,
    measured: pd.DataFrame,
    forecasts: pd.DataFrame,
    path: Path,
    *,
    title: str = "",
    coverage: float = 0.9,
) -> Path:
    """Training load with the measured windows shaded (top), test forecasts with intervals (bottom).

    Parameters
    ----------
    history
        ``time``, ``load`` of the training period (bytes).
    measured
        ``start_time``, ``stop_time`` of the measured windows.
    forecasts
        ``time``, ``actual``, ``mean``, ``low``, ``high`` over the test period (bytes).
    """
    figure = Figure(figsize=(10, 5.6), layout="constrained")
    top, bottom = figure.subplots(2, 1)
    top.plot(history["time"], history["load"] / 1e6, color="0.4", linewidth=0.7, label="load")
    for i, (_, row) in enumerate(measured.iterrows()):
        top.axvspan(
            row["start_time"],
            row["stop_time"],
            color="C2",
            alpha=0.3,
            linewidth=0,
            label="measured window" if i == 0 else None,
        )
    top.set_ylabel("MB per step")
    top.set_title("training period: what was measured", fontsize="small")
    top.legend(fontsize="small", loc="upper right")
    rows = forecasts.sort_values("time")
    bottom.plot(rows["time"], rows["actual"] / 1e6, color="k", linewidth=0.8, label="actual")
    bottom.plot(rows["time"], rows["mean"] / 1e6, color="C0", linewidth=0.8, label="forecast")
    bottom.fill_between(
        rows["time"],
        rows["low"] / 1e6,
        rows["high"] / 1e6,
        color="C0",
        alpha=0.25,
        linewidth=0,
        label=f"{coverage:.0%} interval",
    )
    bottom.set_ylabel("MB per step")
    bottom.set_title("held-out future: rolling forecasts", fontsize="small")
    bottom.legend(fontsize="small", loc="upper right")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    if title:
        figure.suptitle(title, fontsize="medium")
    return _save(figure, path)
