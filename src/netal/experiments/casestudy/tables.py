"""The case study's table next to the paper: first and last test RMSE per arm with t intervals.

:func:`paper_comparison_table` is the Markdown table of ``summary.json``
comparing every arm's RMSE before and after the last iteration (mean and t
confidence interval over seeds) with the seed paper's Fig. 5
(:data:`PAPER_REFERENCE`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

PAPER_REFERENCE: dict[str, tuple[float, float]] = {
    "paper": (389.0, 365.0),
    "paper_notebook": (389.0, 365.0),
    "random": (389.0, 385.0),
}
"""The seed's Fig. 5: test RMSE (Mbit/s) before and after 10 iterations, per arm."""


def paper_comparison_table(
    results: pd.DataFrame, level: float = 0.95, *, with_paper: bool = True
) -> str:
    """First and last test RMSE per arm (mean and t CI over seeds) next to the paper's Fig. 5.

    ``with_paper=False`` leaves the paper's column out (data other than the
    paper's Lumos5G schema: its numbers do not compare).
    """
    header = "| arm | seeds | RMSE at start | RMSE after last iteration | change |"
    lines = [
        header + (" paper start -> end |" if with_paper else ""),
        "| --- | ---: | ---: | ---: | ---: |" + (" ---: |" if with_paper else ""),
    ]
    for strategy, group in results.groupby("strategy", sort=True):
        per_seed = group.sort_values("iteration").groupby("seed")["rmse"]
        first, last = per_seed.first().to_numpy(), per_seed.last().to_numpy()
        change = last - first
        reference = PAPER_REFERENCE.get(str(strategy))
        paper = f"{reference[0]:.0f} -> {reference[1]:.0f}" if reference else "n/a"
        lines.append(
            f"| {strategy} | {len(first)} | {_mean_ci(first, level, sps)} | {_mean_ci(last, level, sps)} "
            f"| {_mean_ci(change, level, sps)} |" + (f" {paper} |" if with_paper else "")
        )
    return "\n".join(lines) + "\n"


def _mean_ci(values: np.ndarray, level: float, sps: Any) -> str:
    mean = float(np.mean(values))
    if len(values) < 2:
        return f"{mean:.1f}"
    half = float(sps.t.ppf(0.5 + level / 2, len(values) - 1) * sps.sem(values))
    return f"{mean:.1f} ± {half:.1f}"
