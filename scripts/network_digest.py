"""Compare the arms of a ``netal acquire`` / ``synth`` / ``stream`` output directory at equal spending.

Usage: ``python scripts/network_digest.py [--labels] OUT_DIR COLUMN BASELINE [LEVEL ...]``

Reads ``OUT_DIR/results.parquet`` and prints one Markdown row per arm and cost level: ``COLUMN`` (e.g. ``rmse``,
``n_turning``) of the last iteration each run had reached within that cost, mean and 95 % t interval over seeds,
and the paired difference against ``BASELINE`` (an arm name) with its 95 % t interval, paired t-test and Wilcoxon
p-values (:func:`netal.harness.stats.compare_at_cost`). Without levels: the smallest final cost of any run, so
every arm is compared at a cost all of them reached. With ``--labels`` the axis is the number of labels instead of
the cost (equal label counts rather than equal spending).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd

from netal.harness import stats


def _p(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2g}"


def digest(
    out_dir: Path, column: str, baseline: str, levels: list[float], by_labels: bool = False
) -> str:
    results = pd.read_parquet(out_dir / "results.parquet")
    if by_labels:
        results = results.assign(cost=results["n_labels"].astype(float))
    if not levels:
        levels = [float(results.groupby(["strategy", "seed"])["cost"].max().min())]
    table = stats.compare_at_cost(results, levels, column, baseline=baseline)
    lines = [
        f"| arm | {'labels' if by_labels else 'cost'} | seeds | {column} (mean [95 % CI]) | minus {baseline} [95 % CI] | t p | Wilcoxon p |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in table.sort_values(["cost_level", "strategy"]).itertuples(index=False):
        interval = f"{row.mean:.4g} [{row.ci_low:.4g}, {row.ci_high:.4g}]"
        if row.strategy == baseline:
            diff, tp, wp = "(baseline)", "", ""
        else:
            diff = f"{row.mean_diff:+.3g} [{row.diff_ci_low:+.3g}, {row.diff_ci_high:+.3g}]"
            tp, wp = _p(row.t_pvalue), _p(row.wilcoxon_pvalue)
        lines.append(
            f"| {row.strategy} | {row.cost_level:.0f} | {row.n_seeds} | {interval} | {diff} | {tp} | {wp} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    args = sys.argv[1:]
    labels = "--labels" in args
    args = [a for a in args if a != "--labels"]
    if len(args) < 3:
        sys.exit(
            "usage: python scripts/network_digest.py [--labels] OUT_DIR COLUMN BASELINE [LEVEL ...]"
        )
    print(digest(Path(args[0]), args[1], args[2], [float(v) for v in args[3:]], labels))
