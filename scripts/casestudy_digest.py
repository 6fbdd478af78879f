"""Put several ``netal casestudy`` output directories side by side in one Markdown table.

Usage: ``python scripts/casestudy_digest.py OUT_DIR [OUT_DIR ...]`` (each holding ``summary.json``).

One row per directory and arm: dataset, protocol, target scaling, seeds, RMSE at the start and after the
last iteration (mean and 95 % t interval over seeds), the change, the paired difference in final RMSE
against random (95 % t interval, paired t-test p), and the share of test windows that share rows with
training windows (the paper protocol's leak).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
from scipy import stats as sps


def _mean_ci(values: np.ndarray) -> tuple[float, float]:
    """Mean and half-width of its 95 % t interval (nan for fewer than two values)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float(values.mean()), math.nan
    half = sps.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return float(values.mean()), float(half)


def _fmt(mean: float, half: float) -> str:
    return f"{mean:.4g}" if math.isnan(half) else f"{mean:.4g} ± {half:.2g}"


def _scaling(config: dict) -> str:
    value = config.get("standardize_target")
    if value is None:
        value = config.get("protocol") == "rigorous"
    return "standardized" if value else "raw"


def rows_of(out_dir: Path) -> list[str]:
    summary = json.loads((out_dir / "summary.json").read_text())
    config = summary["config"]
    finals = {arm: np.array([c[-1] for c in a["rmse"]]) for arm, a in summary["arms"].items()}
    leak = 100 * summary["leakage"]["leaky_test_window_share"]
    rows = []
    for arm, data in summary["arms"].items():
        starts = np.array([c[0] for c in data["rmse"]])
        end = finals[arm]
        diff = "(baseline)"
        if arm != "random" and "random" in finals and len(finals["random"]) == len(end):
            d = end - finals["random"]
            mean, half = _mean_ci(d)
            p = sps.ttest_rel(end, finals["random"]).pvalue if np.ptp(d) > 0 else math.nan
            diff = f"{mean:+.3g} [{mean - half:+.3g}, {mean + half:+.3g}], p = {p:.2g}"
        rows.append(
            "| "
            + " | ".join(
                [
                    summary["dataset"],
                    config["protocol"],
                    _scaling(config),
                    arm,
                    str(len(end)),
                    _fmt(*_mean_ci(starts)),
                    _fmt(*_mean_ci(end)),
                    _fmt(*_mean_ci(end - starts)),
                    diff,
                    f"{leak:.0f} %",
                ]
            )
            + " |"
        )
    return rows


def digest(out_dirs: list[Path]) -> str:
    header = [
        "| dataset | protocol | targets | arm | seeds | RMSE at start | after last iteration | change "
        "| final RMSE minus random [95 % CI] | test windows sharing rows with training |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    return "\n".join(header + [row for d in out_dirs for row in rows_of(d)])


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python scripts/casestudy_digest.py OUT_DIR [OUT_DIR ...]")
    print(digest([Path(a) for a in sys.argv[1:]]))
