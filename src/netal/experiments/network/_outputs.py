"""What every network study writes: results, queries, side tables, summary.json and the report.

The seeds' own tables are in the results store (``OUT/cells/<key>/``, one cell
per seed, see :class:`netal.harness.study.SeedStudy`); the files here are what
a study's ``finish`` makes of all seeds together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from netal.atomic import write_parquet
from netal.harness.grid import Cell
from netal.harness.stats import compare_at_cost, to_markdown
from netal.harness.store import CellOutput
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


def arm_ticker(on_result: Progress | None, arms: Sequence[str]) -> Callable[..., None] | None:
    """A callback for :func:`~netal.harness.study.run_study` (``on_cell`` and ``on_skipped``).

    Called with a seed's cell (and its output), it calls ``on_result(arm, seed)``
    for every arm.
    """
    if on_result is None:
        return None

    def on_seed(cell: Cell, output: CellOutput | None = None) -> None:
        for arm in arms:
            on_result(arm, cell.seed)

    return on_seed


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
    write_parquet(results, out_dir / "results.parquet")
    for name, frame in (side_files or {}).items():
        write_parquet(frame, out_dir / name)
    if queries is not None and len(queries):
        write_parquet(queries[list(QUERY_COLUMNS)], out_dir / "queries.parquet")
    write_summary(out_dir, summary)
    report = build_report(out_dir)
    return NetworkOutcome(summary, results, out_dir, report)
