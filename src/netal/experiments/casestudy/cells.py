"""The cells of a case study: one (arm, seed) through the active-learning loop.

:func:`casestudy_cells` lays out the grid (seeds outermost) and
:func:`run_casestudy_cell` runs one cell: the paper's seq2seq learner
(:func:`make_learner_factory`) on the prepared windows, with its own
knowledge base, returning its per-iteration records and its side tables.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from netal.experiments.casestudy.config import CaseStudyConfig
from netal.experiments.casestudy.outputs import side_tables
from netal.experiments.casestudy.prepare import Prepared, prepare
from netal.experiments.tabular.run import hooked_test_metrics, records_of
from netal.harness.grid import Cell
from netal.harness.progress import report
from netal.harness.store import CellOutput
from netal.harness.study import cell_knowledge_base
from netal.loop import ActiveLearningLoop, Budget, ReplayOracle
from netal.models import FixedValidation, Seq2SeqMCDropout

LEARNER_NAME = "netal.experiments.casestudy.make_learner_factory.<locals>.make_learner"
"""The learner's name in each cell's knowledge base (part of its resume fingerprint).

It is the learner factory's qualified name from when the case study was one
module; named here so that knowledge bases written then still resume.
"""


def make_learner_factory(config: CaseStudyConfig, prepared: Prepared) -> Callable[[int], Any]:
    """``make_learner(seed)``: the paper's seq2seq model with the config's settings."""

    def make_learner(seed: int) -> FixedValidation:
        model = Seq2SeqMCDropout(
            hidden=config.hidden,
            dropout=config.dropout,
            horizon=config.window,
            lr=config.lr,
            batch_size=config.train_batch_size,
            max_epochs=config.max_epochs,
            patience=config.patience,
            min_delta=config.min_delta,
            n_passes=config.n_passes,
            standardize_target=config.target_standardized,
            random_state=seed,
        )
        return FixedValidation(model, prepared.X_val, prepared.y_val)

    make_learner.__name__ = "seq2seq_mc_dropout"
    return make_learner


def run_casestudy_cell(cell: Cell) -> CellOutput:
    """One arm of one seed through the active-learning loop (module-level: picklable).

    The cell's ``workdir`` parameter, when given, holds the knowledge base
    (``kb/<key>.sqlite``), so an interrupted cell continues where it stopped.

    Returns
    -------
    CellOutput
        ``records`` (one row per iteration), ``labeled`` (the final labeled
        window positions) and, when the data has positions, the side tables
        ``queries`` and ``uncertainty`` the report draws
        (:func:`~netal.experiments.casestudy.outputs.side_tables`).
    """
    workdir = cell.param("workdir")
    config = CaseStudyConfig.from_params(cell.dataset, cell.params)
    prepared = prepare(config, cell.seed)
    kb_path = None
    if workdir is not None:
        kb_path = cell_knowledge_base(workdir, cell)
        kb_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    loop = ActiveLearningLoop(
        prepared.X,
        ReplayOracle(prepared.y),
        make_learner_factory(config, prepared),
        cell.strategy,
        initial_ids=prepared.initial_ids,
        initial_labels=prepared.y[prepared.initial_ids],
        batch_size=config.batch_size,
        budget=Budget(labels=config.iterations * config.batch_size),
        max_iterations=config.iterations,
        retrain=config.retrain,
        reinit_every=config.reinit_every if config.retrain == "warm" else None,
        callbacks=[
            hooked_test_metrics(
                prepared.X_test,
                prepared.y_test,
                lambda i: report(i, config.iterations, "iterations"),
            )
        ],
        seed=cell.seed,
        knowledge_base=kb_path,
        run_name=cell.key,
        learner_name=LEARNER_NAME,
    )
    result = loop.run()
    elapsed = time.perf_counter() - started
    return CellOutput.curve(
        cell,
        _records(result, elapsed, prepared),
        result.labeled_ids,
        **side_tables(cell, result, prepared),
    )


def _records(result: Any, elapsed: float, prepared: Prepared) -> pd.DataFrame:
    """The loop's learning curve plus the case study's epistemic variance and leak share."""
    records = records_of(result, elapsed)
    metrics = result.metrics
    epistemic = metrics.get("test_mean_epistemic_var", pd.Series(np.nan, index=metrics.index))
    records["test_mean_epistemic_var"] = epistemic.to_numpy(dtype=np.float64)
    records["leak_share_test_windows"] = prepared.leakage.get("leaky_window_share", np.nan)
    return records


def casestudy_cells(
    config: CaseStudyConfig,
    strategies: Sequence[str],
    seeds: Sequence[int],
    workdir: str | None = None,
) -> list[Cell]:
    """One cell per (seed, strategy), seeds outermost so an interruption leaves whole seeds."""
    params = config.cell_params()
    if workdir is not None:
        params["workdir"] = str(workdir)
    return [
        Cell(config.dataset, strategy, int(seed), params)
        for seed in seeds
        for strategy in strategies
    ]
