"""What every network study writes: results, queries, side tables, summary.json and the report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from netal.errors import InvalidInputError
from netal.harness.executors import SerialExecutor
from netal.harness.stats import compare_at_cost, to_markdown
from netal.report import build_report, summary_from_results, write_summary
from netal.schemas import QUERY_COLUMNS

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class NetworkOutcome:
    """What a runner wrote: the summary dict, the results table and the paths."""

    summary: dict[str, Any]
    results: pd.DataFrame
    out_dir: Path
    report: Path


def check_seed_list(seeds: Sequence[int]) -> list[int]:
    seeds = [int(s) for s in seeds]
    if not seeds or any(s < 0 for s in seeds):
        raise InvalidInputError(
            "seeds", f"must be a non-empty list of non-negative integers, got {seeds}"
        )
    return seeds


def map_seeds(
    fn: Callable[[Any], dict[str, Any]],
    items: list[Any],
    executor: Any,
    on_result: Progress | None,
    arms: Sequence[str],
) -> list[dict[str, Any]]:
    """Run ``fn`` per seed item on ``executor`` (this process if None); outputs in seed order.

    A seed's output never depends on where or when it ran, so the tables are
    the same on every backend.  ``on_result(arm, seed)`` is called for each
    arm once its seed is done.
    """
    pool = executor if executor is not None else SerialExecutor()
    done: dict[int, dict[str, Any]] = {}
    for item, output in pool.map_unordered(fn, items):
        done[item[0]] = output
        if on_result is not None:
            for arm in arms:
                on_result(arm, item[0])
    return [done[item[0]] for item in items]


def cost_table(results: pd.DataFrame, levels: list[float], column: str, baseline: str) -> str:
    table = compare_at_cost(results, levels, column, baseline=baseline)
    return markdown_table(table.drop(columns="dataset"))


def markdown_table(frame: pd.DataFrame) -> str:
    return to_markdown(frame)


def write_outputs(
    out_dir: Path,
    results: pd.DataFrame,
    *,
    experiment: str,
    dataset: str,
    protocol: str,
    baseline: str,
    tables: dict[str, str],
    queries: pd.DataFrame | None,
    extra: dict[str, Any],
    side_files: dict[str, pd.DataFrame] | None = None,
) -> NetworkOutcome:
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summary_from_results(
        results, experiment=experiment, dataset=dataset, protocol=protocol, baseline=baseline
    )
    summary["tables"] = {**summary["tables"], **tables}
    summary.update(extra)
    results.to_parquet(out_dir / "results.parquet", index=False)
    for name, frame in (side_files or {}).items():
        frame.to_parquet(out_dir / name, index=False)
    if queries is not None and len(queries):
        queries[list(QUERY_COLUMNS)].to_parquet(out_dir / "queries.parquet", index=False)
    write_summary(out_dir, summary)
    report = build_report(out_dir)
    return NetworkOutcome(summary, results, out_dir, report)
