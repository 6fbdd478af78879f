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

from netal.report.conclusions import plural
from netal.report.inputs import Arm, Summary
from netal.report.numbers import with_unit

DPI = 100
_MARKERS = ("o", "^", "s", "D", "v", "P", "X")
_MODE_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink")


def _save(figure: Figure, path: Path) -> Path:
    """Save as PNG; ``bbox_inches="tight"`` keeps legends placed outside the axes in the picture."""
    FigureCanvasAgg(figure)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, bbox_inches="tight", pad_inches=0.1)
    return path


def seeds_per_iteration(arm: Arm) -> np.ndarray:
    """How many seeds have a value at each iteration (a seed may stop early)."""
    lengths = np.array([len(curve) for curve in arm.rmse])
    return np.array([(lengths > i).sum() for i in range(len(arm.labels))])


def drawn_band(arm: Arm) -> tuple[np.ndarray, np.ndarray]:
    """The confidence band as drawn: only where at least two seeds ran, lower end clipped at zero.

    An RMSE is never negative, so a t band reaching below zero (two or three
    seeds give wide ones) is cut at zero; where fewer than two seeds ran there
    is no band (``NaN``).
    """
    ok = (seeds_per_iteration(arm) >= 2) & np.isfinite(arm.ci_low) & np.isfinite(arm.ci_high)
    low = np.where(ok, np.maximum(arm.ci_low, 0.0), np.nan)
    high = np.where(ok, arm.ci_high, np.nan)
    return low, high


def lowest_band_value(summary: Summary) -> float | None:
    """The lowest value of any band drawn in the learning curves of ``summary`` (None: no band)."""
    lows = [drawn_band(arm)[0] for arm in summary.arms.values()]
    values = np.concatenate(lows) if lows else np.array([])
    values = values[np.isfinite(values)]
    return float(values.min()) if values.size else None


def _band(ax: Axes, x: np.ndarray, low: np.ndarray, high: np.ndarray, color: str) -> None:
    ok = np.isfinite(low) & np.isfinite(high)
    if ok.any():
        ax.fill_between(x, low, high, where=ok, color=color, alpha=0.2, linewidth=0)


def curve_limits(summary: Summary) -> tuple[float, float]:
    """y-limits that show every seed's curve and the means, never below zero.

    Bands are not taken into account: with few seeds a t band is far wider
    than the curves and would flatten them; it is cut at the plot's edge.
    """
    values = [arm.mean for arm in summary.arms.values()]
    values += [curve for arm in summary.arms.values() for curve in arm.rmse]
    finite = np.concatenate(values)
    finite = finite[np.isfinite(finite)]
    low, high = float(finite.min()), float(finite.max())
    pad = 0.08 * (high - low) if high > low else 0.05 * max(abs(high), 1.0)
    return max(0.0, low - pad), high + pad


def learning_curve_figure(summary: Summary, path: Path) -> Path:
    """RMSE vs labels (and vs cost when every arm has costs): mean per arm and its 95 % CI band.

    Bands are drawn only where they exist (two or more seeds) and clipped at
    zero (:func:`drawn_band`); axes carry the units of ``summary.units``;
    the legend sits outside the axes, right of the plots.
    """
    with_cost = all(len(arm.cost) for arm in summary.arms.values())
    n_axes = 2 if with_cost else 1
    figure = Figure(figsize=(5.2 * n_axes + 1.8, 3.8), layout="constrained")
    axes = figure.subplots(1, n_axes, squeeze=False)[0]
    colors = [f"C{i % 10}" for i in range(len(summary.arms))]
    bottom, top = curve_limits(summary)
    rmse_unit = summary.units.get("rmse")
    for ax, xname in zip(axes, ("labels", "cost"), strict=False):
        for color, (name, arm) in zip(colors, summary.arms.items(), strict=True):
            x = arm.labels if xname == "labels" else arm.cost
            ax.plot(x, arm.mean, marker="o", markersize=3, color=color, label=name)
            _band(ax, x, *drawn_band(arm), color)
        ax.set_xlabel(
            "number of labeled samples"
            if xname == "labels"
            else with_unit("cumulative labeling cost", summary.units.get("cost"))
        )
        ax.set_ylabel(with_unit("test RMSE", rmse_unit))
        ax.set_ylim(bottom, top)
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right upper", fontsize="small")
    figure.suptitle(
        f"{summary.experiment}: {summary.dataset} ({summary.protocol}, "
        f"{plural(len(summary.seeds), 'seed')})",
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
        ax.set_xlabel("longitude (°)")
        _geo_axes(ax, all_lat)
    axes[0].set_ylabel("latitude (°)")
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
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    _geo_axes(ax, y)
    ax.legend(fontsize="small", loc="best")
    ax.set_title(title, fontsize="medium")
    return _save(figure, path)


def uncertainty_figure(points: pd.DataFrame, path: Path, unit: str | None = None) -> Path:
    """Pool points over the route coloured by the learner's epistemic variance (``unit``: the target's)."""
    figure = Figure(figsize=(6.0, 4.6), layout="constrained")
    ax = figure.subplots()
    order = np.argsort(points["epistemic_var"].to_numpy(), kind="stable")
    shown = points.iloc[order]
    mappable = ax.scatter(
        shown["longitude"], shown["latitude"], c=shown["epistemic_var"], s=6, cmap="viridis"
    )
    label = with_unit("epistemic variance", f"({unit})²" if unit else None)
    figure.colorbar(mappable, ax=ax, label=label, shrink=0.75)
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    _geo_axes(ax, points["latitude"].to_numpy())
    ax.set_title("Epistemic uncertainty over the pool", fontsize="medium")
    return _save(figure, path)
