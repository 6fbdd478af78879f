"""Matplotlib figures of a report, drawn with the Agg canvas and saved as PNG.

The figures mirror the seed paper (Sababha et al., "Active ML for 6G", Figs. 5
and 6): learning curves with confidence bands, and maps of the queried samples
per iteration over the measurement route, new vs already labeled, by mobility
mode.  No global pyplot state is touched (``Figure`` + ``FigureCanvasAgg``),
so figures can be drawn from worker processes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from netal.report.inputs import Summary

DPI = 100
_MARKERS = ("o", "^", "s", "D", "v", "P", "X")
_MODE_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink")


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI)
    return path


def _band(ax: Axes, x: np.ndarray, low: np.ndarray, high: np.ndarray, color: str) -> None:
    ok = np.isfinite(low) & np.isfinite(high)
    if ok.any():
        ax.fill_between(x, low, high, where=ok, color=color, alpha=0.2, linewidth=0)


def learning_curve_figure(summary: Summary, path: Path) -> Path:
    """RMSE vs labels (and vs cost when every arm has costs): mean and 95 % CI band per arm."""
    with_cost = all(len(arm.cost) for arm in summary.arms.values())
    n_axes = 2 if with_cost else 1
    figure = Figure(figsize=(5.2 * n_axes, 3.8), layout="constrained")
    axes = figure.subplots(1, n_axes, squeeze=False)[0]
    colors = [f"C{i % 10}" for i in range(len(summary.arms))]
    for ax, xname in zip(axes, ("labels", "cost"), strict=False):
        for color, (name, arm) in zip(colors, summary.arms.items(), strict=True):
            x = arm.labels if xname == "labels" else arm.cost
            ax.plot(x, arm.mean, marker="o", markersize=3, color=color, label=name)
            _band(ax, x, arm.ci_low, arm.ci_high, color)
        ax.set_xlabel("number of labels" if xname == "labels" else "cumulative labeling cost")
        ax.set_ylabel("test RMSE")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small")
    figure.suptitle(
        f"{summary.experiment}: {summary.dataset} ({summary.protocol}, {len(summary.seeds)} seeds)",
        fontsize="medium",
    )
    return _save(figure, path)


def pick_iterations(iterations: np.ndarray, max_panels: int = 4) -> list[int]:
    """Up to ``max_panels`` iterations spread evenly, always including the first and last."""
    unique = np.unique(iterations)
    if len(unique) <= max_panels:
        return [int(i) for i in unique]
    positions = np.linspace(0, len(unique) - 1, max_panels).round().astype(int)
    return [int(unique[p]) for p in np.unique(positions)]


def _geo_axes(ax: Axes, latitude: np.ndarray) -> None:
    """Equal ground distances on both axes, plain degree tick labels."""
    ax.set_aspect(1.0 / max(math.cos(math.radians(float(np.mean(latitude)))), 1e-3))
    ax.ticklabel_format(useOffset=False, style="plain")
    ax.xaxis.set_major_locator(MaxNLocator(3))
    ax.yaxis.set_major_locator(MaxNLocator(4))
    ax.tick_params(labelsize="x-small")


def query_map_figure(
    queries: pd.DataFrame,
    title: str,
    path: Path,
    *,
    background: pd.DataFrame | None = None,
    max_panels: int = 4,
) -> Path:
    """Small multiples of the samples queried per iteration over the route (one arm, one seed).

    In the panel of iteration ``k`` the samples queried at ``k`` are drawn in
    colour with one marker per mobility mode; those queried before ``k`` in
    grey; ``background`` points (e.g. the pool) faintly, for the route.
    """
    shown = pick_iterations(queries["iteration"].to_numpy(), max_panels)
    modes = sorted(queries["mobility_mode"].unique())
    style = {
        mode: (_MODE_COLORS[i % len(_MODE_COLORS)], _MARKERS[i % len(_MARKERS)])
        for i, mode in enumerate(modes)
    }
    figure = Figure(figsize=(3.4 * len(shown), 3.2), layout="constrained")
    axes = figure.subplots(1, len(shown), squeeze=False, sharex=True, sharey=True)[0]
    all_lat = queries["latitude"].to_numpy()
    for ax, iteration in zip(axes, shown, strict=True):
        if background is not None:
            ax.scatter(background["longitude"], background["latitude"], s=1, c="0.9", zorder=0)
        old = queries[queries["iteration"] < iteration]
        new = queries[queries["iteration"] == iteration]
        ax.scatter(old["longitude"], old["latitude"], s=8, c="0.6", label="labeled earlier")
        for mode, (color, marker) in style.items():
            part = new[new["mobility_mode"] == mode]
            ax.scatter(
                part["longitude"],
                part["latitude"],
                s=28,
                c=color,
                marker=marker,
                edgecolors="black",
                linewidths=0.4,
                label=f"new: {mode}",
                zorder=3,
            )
        ax.set_title(f"iteration {iteration}: {len(new)} new, {len(old)} earlier", fontsize="small")
        ax.set_xlabel("longitude")
        _geo_axes(ax, all_lat)
    axes[0].set_ylabel("latitude")
    handles, labels = axes[-1].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize="small")
    figure.suptitle(title, fontsize="medium")
    return _save(figure, path)


def agent_route_figure(
    stops: pd.DataFrame,
    title: str,
    path: Path,
    *,
    background: pd.DataFrame | None = None,
) -> Path:
    """The route of one measurement agent (one policy, one seed) over the map.

    ``stops`` holds the places the agent stopped at, in the order it went
    (column ``stop``), with the ``iteration`` and the ``kind`` of work done
    there (``acquire``: unlabeled observations, ``annotate``: a throughput
    measurement).  Consecutive stops are joined by straight segments coloured
    by iteration (the agent itself travels along the streets between them).
    """
    stops = stops.sort_values("stop")
    x = stops["longitude"].to_numpy(dtype=float)
    y = stops["latitude"].to_numpy(dtype=float)
    iteration = stops["iteration"].to_numpy()
    figure = Figure(figsize=(5.6, 4.6), layout="constrained")
    ax = figure.subplots()
    if background is not None:
        ax.scatter(background["longitude"], background["latitude"], s=1, c="0.9", zorder=0)
    norm = Normalize(
        vmin=float(iteration.min()), vmax=float(max(iteration.max(), iteration.min() + 1))
    )
    if len(stops) > 1:
        segments = np.stack([np.column_stack([x[:-1], y[:-1]]), np.column_stack([x[1:], y[1:]])], 1)
        lines = LineCollection(segments, cmap="viridis", norm=norm, linewidths=1.0, alpha=0.8)
        lines.set_array(iteration[1:].astype(float))
        ax.add_collection(lines)
        figure.colorbar(lines, ax=ax, label="iteration", shrink=0.8)
    kinds = stops["kind"].to_numpy()
    styles = {
        "acquire": {"marker": "o", "facecolors": "none", "edgecolors": _MODE_COLORS[0]},
        "annotate": {"marker": "x", "c": _MODE_COLORS[1]},
    }
    for kind, style in styles.items():
        part = kinds == kind
        if part.any():
            ax.scatter(
                x[part], y[part], s=22, linewidths=0.8, zorder=3,
                label=f"{kind} ({int(part.sum())})", **style,
            )  # fmt: skip
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    _geo_axes(ax, y)
    ax.legend(fontsize="small", loc="best")
    ax.set_title(title, fontsize="medium")
    return _save(figure, path)


def uncertainty_figure(points: pd.DataFrame, path: Path) -> Path:
    """Pool points over the route coloured by the learner's epistemic variance."""
    figure = Figure(figsize=(6.0, 4.6), layout="constrained")
    ax = figure.subplots()
    order = np.argsort(points["epistemic_var"].to_numpy(), kind="stable")
    shown = points.iloc[order]
    mappable = ax.scatter(
        shown["longitude"], shown["latitude"], c=shown["epistemic_var"], s=6, cmap="viridis"
    )
    figure.colorbar(mappable, ax=ax, label="epistemic variance", shrink=0.75)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    _geo_axes(ax, points["latitude"].to_numpy())
    ax.set_title("Epistemic uncertainty over the pool", fontsize="medium")
    return _save(figure, path)
