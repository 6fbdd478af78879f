"""When a report may draw a conclusion, and how it says so.

The rule (:data:`RULE`): an arm is reported as better or worse than the
baseline only when at least :data:`MIN_PAIRED_SEEDS` seeds ran both, and the
95 % t confidence interval of the paired difference in mean log RMSE (arm
minus baseline, over those seeds) excludes zero.  Otherwise the report says
plainly that the seeds are not enough, or that the interval includes zero.

Why five: with fewer pairs the t interval is very wide (its quantile is
12.7 with two pairs, 4.30 with three, 2.78 with five), a t-test has little
power, and nothing can be said about the normality it assumes.  Five is a
convention chosen here, a floor rather than a guarantee; most comparisons
in ``docs/results.md`` use ten seeds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from netal.harness import stats
from netal.report.numbers import format_interval

MIN_PAIRED_SEEDS = 5
"""Fewest seeds both an arm and the baseline ran before a difference is called."""

SCORE = "mean_log_rmse"
"""The per-seed score the verdict is based on (see :func:`netal.harness.stats.per_seed_scores`)."""

RULE = (
    f"netal's rule: an arm differs from the baseline only with at least {MIN_PAIRED_SEEDS} paired "
    "seeds and a 95 % t confidence interval of the paired difference in mean log RMSE that "
    "excludes zero"
)


def plural(count: int, word: str) -> str:
    """``"1 seed"``, ``"2 seeds"``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def seed_list(seeds: Sequence[int]) -> str:
    """The seeds compactly: ``0–9`` for a run of consecutive seeds, else ``0, 2, 5``."""
    values = sorted(int(s) for s in seeds)
    if len(values) > 2 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}–{values[-1]}"
    return ", ".join(str(v) for v in values)


def describe_seeds(seeds: Sequence[int]) -> str:
    """How many seeds and which: ``"1 seed: 0"``, ``"10 seeds: 0–9"``."""
    return f"{plural(len(seeds), 'seed')}: {seed_list(seeds)}"


def verdict(n_pairs: int, low: float, high: float, baseline: str) -> str:
    """The verdict on one arm against ``baseline`` under :data:`RULE`."""
    if n_pairs < MIN_PAIRED_SEEDS:
        return f"not enough seeds for a conclusion (the rule needs {MIN_PAIRED_SEEDS} paired seeds)"
    if math.isnan(low) or math.isnan(high) or low <= 0 <= high:
        return f"no conclusion: the 95 % CI of the difference to {baseline} includes zero"
    return (
        f"lower mean log RMSE than {baseline}"
        if high < 0
        else f"higher mean log RMSE than {baseline}"
    )


def arm_verdicts(
    df: pd.DataFrame, by: Sequence[str], baseline: str, arm_name: Any
) -> list[dict[str, Any]]:
    """Per arm (baseline excluded): paired seeds, the difference in mean log RMSE, its CI, the verdict.

    Parameters
    ----------
    df
        Results of one dataset (the columns of a results store).
    by
        Columns identifying an arm.
    baseline
        The strategy compared with; no verdicts when it is absent.
    arm_name
        ``arm_name(row, by)`` gives the arm's display name.
    """
    if baseline not in set(df["strategy"]):
        return []
    paired = stats.paired_tests(df, list(by), baseline, SCORE)
    out = []
    for _, row in paired.iterrows():
        low, high = float(row["ci_low"]), float(row["ci_high"])
        n_pairs = int(row["n_pairs"])
        out.append(
            {
                "arm": arm_name(row, by),
                "n_pairs": n_pairs,
                "mean_diff": _json(float(row["mean_diff"])),
                "ci_low": _json(low),
                "ci_high": _json(high),
                "verdict": verdict(n_pairs, low, high, baseline),
            }
        )
    return out


def _json(value: float) -> float | None:
    return None if math.isnan(value) else value


def seeds_note(n_seeds: int, verdicts: Sequence[dict[str, Any]], baseline: str | None) -> str:
    """The headline under a report's title: whether the seeds allow any conclusion, and which."""
    head = plural(n_seeds, "seed")
    if n_seeds < MIN_PAIRED_SEEDS:
        return f"{head}: not enough for a conclusion ({RULE})."
    if not verdicts:
        return f"{head}; no baseline to compare with, so no conclusion about the arms."
    called = [v for v in verdicts if not v["verdict"].startswith(("no conclusion", "not enough"))]
    if not called:
        return (
            f"{head}: no arm differs conclusively from {baseline} "
            f"(each 95 % CI includes zero or too few paired seeds; {RULE})."
        )
    parts = "; ".join(f"{v['arm']}: {v['verdict']}" for v in called)
    return f"{head}: {parts} ({RULE})."


def verdict_rows(verdicts: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(arm, text)`` per verdict, with the difference and its interval."""
    rows = []
    for v in verdicts:
        nan = math.nan
        diff = format_interval(
            nan if v["mean_diff"] is None else v["mean_diff"],
            nan if v["ci_low"] is None else v["ci_low"],
            nan if v["ci_high"] is None else v["ci_high"],
        )
        rows.append(
            (
                str(v["arm"]),
                f"{v['verdict']}: {plural(int(v['n_pairs']), 'paired seed')}, "
                f"difference in mean log RMSE {diff}",
            )
        )
    return rows
