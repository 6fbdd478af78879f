"""The closed loop's figure: error over time per policy, with change points, alarms and promotions.

Reads what ``netal mapek run`` wrote: ``periods.parquet`` (one row per policy,
seed and period: ``time_s``, ``rmse``...), ``changes.parquet`` (the known
change points) and ``events.parquet`` (alarms, promotions...).  One panel per
policy, sharing the time axis: the deployed model's RMSE per period (mean over
seeds, 95 % t band), dashed lines at the change points, and the alarms,
label purchases (acquisitions) and promotions of every seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import stats

from netal.errors import DataError
from netal.report.inputs import _check_numeric, _read_parquet, _text_columns
from netal.report.numbers import with_unit

PERIODS_FILE = "periods.parquet"
CHANGES_FILE = "changes.parquet"
EVENTS_FILE = "events.parquet"
PERIOD_COLUMNS = ("policy", "seed", "period", "time_s", "rmse")
EVENT_COLUMNS = ("policy", "seed", "time_s", "kind")
DPI = 100


def load_timeline(out_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None:
    """``(periods, changes, events)`` of a closed-loop study, or None when ``out_dir`` has none."""
    path = out_dir / PERIODS_FILE
    if not path.exists():
        return None
    periods = _read_parquet(path, PERIOD_COLUMNS)
    for column in ("seed", "period"):
        _check_numeric(periods, path, column, integer=True)
    _check_numeric(periods, path, "time_s")
    _check_numeric(periods, path, "rmse", finite=False)
    periods = _text_columns(periods, path, ("policy",))
    changes = pd.DataFrame({"time_s": []})
    if (out_dir / CHANGES_FILE).exists():
        changes = pd.read_parquet(out_dir / CHANGES_FILE)
        if "time_s" not in changes.columns:
            raise DataError(str(out_dir / CHANGES_FILE), "missing column(s) ['time_s']")
    events = pd.DataFrame({c: [] for c in EVENT_COLUMNS})
    if (out_dir / EVENTS_FILE).exists():
        events = pd.read_parquet(out_dir / EVENTS_FILE)
        missing = [c for c in EVENT_COLUMNS if c not in events.columns]
        if missing:
            raise DataError(str(out_dir / EVENTS_FILE), f"missing column(s) {missing}")
    return periods, changes, events


def _mean_band(part: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    grouped = part.groupby("time_s")["rmse"]
    mean, count, sem = grouped.mean(), grouped.count(), grouped.sem()
    half = stats.t.ppf(0.975, np.maximum(count - 1, 1)) * sem
    half = np.where(count > 1, half, np.nan)
    x = mean.index.to_numpy(dtype=np.float64) / 3600.0
    low = np.maximum(mean.to_numpy() - half, 0.0)  # an RMSE is never negative; NaN stays NaN
    return x, mean.to_numpy(), low, mean.to_numpy() + half


def lowest_band_value(periods: pd.DataFrame) -> float | None:
    """The lowest value of any band drawn by :func:`timeline_figure` (None: no band, one seed)."""
    lows = [_mean_band(part)[2] for _, part in periods.groupby("policy", sort=False)]
    values = np.concatenate(lows) if lows else np.array([])
    values = values[np.isfinite(values)]
    return float(values.min()) if values.size else None


def timeline_figure(
    periods: pd.DataFrame,
    changes: pd.DataFrame,
    events: pd.DataFrame,
    path: Path,
    unit: str | None = None,
) -> Path:
    """Draw the error-over-time panels (one per policy) and save them as PNG.

    The band (95 % t interval over seeds) is drawn only where two or more
    seeds have a value and is clipped at zero; ``unit`` is the RMSE's.
    """
    policies = list(dict.fromkeys(periods["policy"]))
    figure = Figure(figsize=(10, 1.9 * len(policies) + 0.8), layout="constrained")
    axes = figure.subplots(len(policies), 1, sharex=True, squeeze=False)[:, 0]
    change_hours = np.unique(changes["time_s"].to_numpy(dtype=np.float64)) / 3600.0
    top = float(np.nanquantile(periods["rmse"], 0.99)) if len(periods) else 1.0
    for index, (ax, policy) in enumerate(zip(axes, policies, strict=True)):
        color = f"C{index % 10}"
        x, mean, low, high = _mean_band(periods[periods["policy"] == policy])
        ax.plot(x, mean, color=color, linewidth=1.2, label=f"{policy}: RMSE (mean over seeds)")
        ok = np.isfinite(low) & np.isfinite(high)
        if ok.any():
            ax.fill_between(x, low, high, where=ok, color=color, alpha=0.2, linewidth=0)
        for hour in change_hours:
            ax.axvline(hour, color="0.3", linestyle="--", linewidth=0.8)
        own = events[events["policy"] == policy]
        alarms = own.loc[own["kind"] == "alarm", "time_s"].to_numpy(dtype=np.float64) / 3600.0
        promotions = own.loc[own["kind"] == "promote", "time_s"].to_numpy(dtype=np.float64) / 3600.0
        ax.plot(alarms, np.full(len(alarms), top * 1.02), "v", color="tab:red", markersize=4,
                alpha=0.5, linestyle="none", label="alarm (any seed)")  # fmt: skip
        ax.plot(promotions, np.full(len(promotions), top * 0.96), "o", color="tab:green",
                markersize=3, alpha=0.5, linestyle="none", label="promotion (any seed)")  # fmt: skip
        bought = own[(own["kind"] == "decision") & (own.get("value", 0) > 0)]
        hours = bought["time_s"].to_numpy(dtype=np.float64) / 3600.0
        ax.plot(hours, np.full(len(hours), top * 0.90), "|", color="tab:blue", markersize=6,
                alpha=0.5, linestyle="none", label="labels bought (any seed)")  # fmt: skip
        ax.set_ylabel(with_unit("RMSE", unit))
        ax.set_ylim(bottom=0, top=top * 1.08)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[-1].set_xlabel("stream time (hours); dashed: known change points")
    FigureCanvasAgg(figure)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, bbox_inches="tight", pad_inches=0.1)
    return path
