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
from netal.harness.stats import compare_at_cost
from netal.harness.store import CellOutput
from netal.report import build_report, summary_from_results, write_summary
from netal.report.numbers import markdown_table as report_table
from netal.report.numbers import with_unit
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


AGENT_SECONDS = "agent s"
"""The cost unit of the network studies on the twin: seconds of a measurement agent's time."""

TWIN_UNITS: dict[str, str] = {"rmse": "Mbit/s", "cost": AGENT_SECONDS}
"""Units of the twin studies' curves: throughput RMSE in Mbit/s, cost in agent seconds."""


def cost_table(
    results: pd.DataFrame, levels: list[float], column: str, baseline: str, unit: str | None = None
) -> str:
    """``column`` of every arm at equal agent time (:func:`compare_at_cost`), with units in the headers."""
    table = compare_at_cost(results, levels, column, baseline=baseline)
    headers = {
        "cost_level": with_unit("cost level", AGENT_SECONDS),
        **{name: with_unit(name, unit) for name in ("mean", "ci_low", "ci_high", "mean_diff")},
        **{name: with_unit(name, unit) for name in ("diff_ci_low", "diff_ci_high")},
    }
    return markdown_table(table.drop(columns="dataset"), headers)


def markdown_table(frame: pd.DataFrame, headers: dict[str, str] | None = None) -> str:
    """``frame`` in the report's number format (:func:`netal.report.numbers.markdown_table`)."""
    return report_table(frame, headers)


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
    units: dict[str, str] | None = None,
) -> NetworkOutcome:
    """Write the study's files, ``summary.json`` (with ``units`` where known) and the report."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summary_from_results(
        results,
        experiment=experiment,
        dataset=dataset,
        protocol=protocol,
        baseline=baseline,
        units=units,
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
