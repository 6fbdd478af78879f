"""The whole case study: its cells on an executor, resumed, then its summary and report.

:class:`CaseStudy` is the study of :func:`~netal.harness.study.run_study`:
the grid of :func:`~netal.experiments.casestudy.cells.casestudy_cells`, one
cell run by :func:`~netal.experiments.casestudy.cells.run_casestudy_cell`, and
a finish that writes ``summary.json`` (with the paper-comparison table and the
leakage of the test windows), gathers the side tables and builds
``report.html``.  :func:`run_casestudy` checks the arms and runs it.
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
from netal.experiments.sources import data_provenance
from netal.harness.grid import Cell
from netal.harness.store import RECORDS, CellOutput, cell_frame
from netal.harness.study import StudyRun, check_out_dir, run_study
from netal.report import build_report
from netal.report.summary import summary_from_results, write_summary
from netal.strategies import STRATEGIES


@dataclass(frozen=True)
class CaseStudyOutcome:
    """What :func:`run_casestudy` produced.

    Attributes
    ----------
    out_dir
        The output directory (``summary.json``, ``report.html``,
        ``queries.parquet``, ``uncertainty.parquet``, ``cells/``, ``kb/``).
    results
        Per-iteration results of every cell, with the cell fields as columns
        (:func:`~netal.harness.store.cell_frame`).
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


PAPER_SCHEMA_DATASETS = ("twin", "lumos5g")
"""Datasets whose case-study numbers compare with the paper's (its Lumos5G schema, Mbit/s)."""


@dataclass(frozen=True)
class CaseStudy:
    """The case study as a study of :func:`~netal.harness.study.run_study`.

    Its fingerprint is the configuration without ``data_dir`` (where the data
    is, not what it is); arms and seeds are grid axes, so a rerun into the
    same directory with more of them runs only the new cells, and one with
    another configuration is refused.

    Parameters
    ----------
    config
        Protocol, data and model settings.
    strategies
        The arms, in order.
    workdir
        Output directory (absolute); each cell keeps its knowledge base in
        ``workdir/kb``.  A cell parameter, as it always was, so cell keys and
        knowledge-base names stay those of earlier versions.
    report
        Also draw the figures and write ``report.html`` when finishing.
    """

    config: CaseStudyConfig
    strategies: tuple[str, ...]
    workdir: str | None = None
    report: bool = True

    def fingerprint(self) -> dict[str, Any]:
        """The configuration (dataset and every field but ``data_dir``)."""
        settings = {"dataset": self.config.dataset, **self.config.cell_params()}
        settings.pop("data_dir", None)
        return {"study": "casestudy", **settings}

    def cells(self, seeds: Sequence[int]) -> list[Cell]:
        """One cell per (seed, arm), seeds outermost."""
        return casestudy_cells(self.config, self.strategies, seeds, workdir=self.workdir)

    def run_cell(self, cell: Cell) -> CellOutput:
        """:func:`~netal.experiments.casestudy.cells.run_casestudy_cell`."""
        return run_casestudy_cell(cell)

    def finish(self, run: StudyRun) -> CaseStudyOutcome:
        """``summary.json``, ``queries.parquet``, ``uncertainty.parquet`` and the report."""
        config, out = self.config, run.out_dir
        results = cell_frame(run.outputs, RECORDS)
        summary = summary_from_results(
            results, experiment="casestudy", dataset=config.dataset, protocol=config.protocol
        )
        paper_schema = config.dataset in PAPER_SCHEMA_DATASETS
        table = paper_comparison_table(results, with_paper=paper_schema)
        title = (
            "RMSE before and after, next to the paper (Mbit/s)"
            if paper_schema
            else "RMSE before and after"
        )
        summary["tables"] = {title: table, **summary["tables"]}
        summary["config"] = {"dataset": config.dataset, **config.cell_params()}
        summary["data"] = data_provenance(config.dataset, config.dataset_options, config.data_dir)
        summary["leakage"] = _leakage_of(results)
        summary["wall_time_s"] = {
            name: float(group.groupby("seed")["wall_time_s"].first().sum())
            for name, group in results.groupby("strategy")
        }
        write_summary(out, summary)
        gather_side_outputs(out, run.outputs, self.strategies)
        if self.report:
            build_report(out)
        return CaseStudyOutcome(out, results, summary, table, len(run.ran), len(run.skipped))


def run_casestudy(
    config: CaseStudyConfig,
    *,
    strategies: Sequence[str] = ("random", "paper"),
    seeds: Sequence[int] = tuple(range(10)),
    out_dir: str | Path = "casestudy",
    executor: Any | None = None,
    on_result: Callable[[Cell, CellOutput], None] | None = None,
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
        Output directory; rerunning with the same directory resumes (finished
        cells are skipped, a running cell continues from its knowledge base).
    executor
        From :func:`netal.harness.make_executor`; default in-process.
    on_result
        Progress callback, called with each cell and its output once stored.
    report
        Also draw the figures and write ``report.html``.
    """
    strategies = list(dict.fromkeys(strategies))
    if not strategies:
        raise InvalidInputError("strategies", "give at least one strategy")
    for name in strategies:
        STRATEGIES.get(name)  # unknown names fail before any work
    out = check_out_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    study = CaseStudy(config, tuple(strategies), str(out.resolve()), report)
    return run_study(study, seeds, out, executor, on_cell=on_result)


def _leakage_of(results: pd.DataFrame) -> dict[str, float]:
    share = results["leak_share_test_windows"].dropna()
    return {"leaky_test_window_share": float(share.max()) if len(share) else float("nan")}
