"""Condense a ``netal bench`` output directory into one Markdown table per dataset.

Usage: ``python scripts/bench_digest.py BENCH_DIR`` (the directory holding ``cells/``).
Columns: mean log RMSE over the learning curve (± standard error over seeds), final RMSE, and the
paired difference in mean log RMSE against random with its 95 % t interval and p-values.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from netal.harness import CellStore, stats


def digest(bench_dir: Path) -> str:
    df = CellStore(bench_dir / "cells").load("records")
    by = ["dataset", "strategy"]
    out = []
    for dataset, part in df.groupby("dataset", sort=True):
        summary = stats.summarize(part, by).set_index("strategy")
        paired = stats.paired_tests(part, by, "random", "mean_log_rmse").set_index("strategy")
        lines = [
            f"### {dataset} ({int(summary['n_seeds'].max())} seeds)",
            "",
            "| strategy | mean log RMSE | final RMSE | diff vs random (mean log RMSE) | 95 % CI | t p | Wilcoxon p |",
            "| --- | ---: | ---: | ---: | --- | ---: | ---: |",
        ]
        order = summary["mean_log_rmse"].sort_values().index
        for strategy in order:
            row = summary.loc[strategy]
            cells = [
                strategy,
                f"{row['mean_log_rmse']:.3f} ± {row['mean_log_rmse_sem']:.3f}",
                f"{row['final_rmse']:.4g} ± {row['final_rmse_sem']:.2g}",
            ]
            if strategy in paired.index:
                p = paired.loc[strategy]
                cells += [
                    f"{p['mean_diff']:+.3f}",
                    f"[{p['ci_low']:+.3f}, {p['ci_high']:+.3f}]",
                    f"{p['t_pvalue']:.3g}",
                    f"{p['wilcoxon_pvalue']:.3g}",
                ]
            else:
                cells += ["(baseline)", "", "", ""]
            lines.append("| " + " | ".join(cells) + " |")
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    sys.stdout.write(digest(Path(sys.argv[1])))
