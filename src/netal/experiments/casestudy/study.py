"""The whole case study: its cells on an executor, resumed, then its summary and report.

:func:`run_casestudy` runs (or resumes) the grid of
:func:`~netal.experiments.casestudy.cells.casestudy_cells` in a results store,
writes ``summary.json`` (with the paper-comparison table and the leakage of
the test windows), gathers the side outputs and builds ``report.html``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from netal.errors import InvalidInputError
from netal.experiments.casestudy.cells import casestudy_cells, run_casestudy_cell
from netal.experiments.casestudy.config import CaseStudyConfig
from netal.experiments.casestudy.outputs import gather_side_outputs
from netal.experiments.casestudy.tables import paper_comparison_table
from netal.harness.grid import Cell, CellResult, run_grid
from netal.harness.store import ResultStore
from netal.report import build_report
from netal.report.summary import summary_from_results, write_summary
from netal.strategies import STRATEGIES


@dataclass(frozen=True)
class CaseStudyOutcome:
    """What :func:`run_casestudy` produced.

    Attributes
    ----------
    out_dir
        The output directory (``summary.json``, ``report.html``, ``cells/``, ``kb/``).
    results
        Per-iteration results of every cell (the results store's table).
    summary
        The ``summary.json`` content.
    table
        Markdown table of the first and last RMSE per arm next to the paper's numbers.
    ran, skipped
        Cells run now and cells found finished from an earlier invocation.
    """

    out_dir: Path
    results: pd.DataFrame
    summary: dict[str, Any]
    table: str
    ran: int
    skipped: int


def run_casestudy(
    config: CaseStudyConfig,
    *,
    strategies: Sequence[str] = ("random", "paper"),
    seeds: Sequence[int] = tuple(range(10)),
    out_dir: str | Path = "casestudy",
    executor: Any | None = None,
    on_result: Callable[[Cell, CellResult], None] | None = None,
    report: bool = True,
) -> CaseStudyOutcome:
    """Run (or resume) the case study and write its summary and report.

    Parameters
    ----------
    config
        Protocol, data and model settings.
    strategies
        Arms; ``"random"`` is the passive baseline every arm is paired with.
    seeds
        Replication seeds (paired across arms: same split, initial set and
        initialization per seed).
    out_dir
        Output directory; rerunning with the same directory resumes.
    executor
        From :func:`netal.harness.make_executor`; default in-process.
    on_result
        Progress callback, called after each finished cell.
    report
        Also draw the figures and write ``report.html``.
    """
    strategies = list(dict.fromkeys(strategies))
    if not strategies:
        raise InvalidInputError("strategies", "give at least one strategy")
    for name in strategies:
        STRATEGIES.get(name)  # unknown names fail before any work
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cells = casestudy_cells(config, strategies, seeds, workdir=str(out.resolve()))
    store = ResultStore(out / "cells")
    grid = run_grid(cells, run_casestudy_cell, store, executor, on_result=on_result)
    keys = {cell.key for cell in cells}
    results = store.load()
    results = results[results["key"].isin(keys)].reset_index(drop=True)
    summary = summary_from_results(
        results, experiment="casestudy", dataset=config.dataset, protocol=config.protocol
    )
    table = paper_comparison_table(results)
    summary["tables"] = {
        "RMSE before and after, next to the paper (Mbit/s)": table,
        **summary["tables"],
    }
    summary["config"] = {"dataset": config.dataset, **config.cell_params()}
    summary["leakage"] = _leakage_of(results)
    summary["wall_time_s"] = {
        name: float(group.groupby("seed")["wall_time_s"].first().sum())
        for name, group in results.groupby("strategy")
    }
    write_summary(out, summary)
    gather_side_outputs(out, cells, strategies)
    if report:
        build_report(out)
    return CaseStudyOutcome(out, results, summary, table, len(grid.ran), len(grid.skipped))


def _leakage_of(results: pd.DataFrame) -> dict[str, float]:
    share = results["leak_share_test_windows"].dropna()
    return {"leaky_test_window_share": float(share.max()) if len(share) else float("nan")}
