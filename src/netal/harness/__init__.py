"""The study-independent harness: cells, the study driver, a crash-safe results store, executors, statistics.

It knows no study: a study supplies its cells, how to run one and what to make of all.

Typical use (what every ``netal`` study does, here with the small synthetic cell)::

    from dataclasses import dataclass
    from netal.harness import CellStore, make_cells, make_executor, run_study, stats
    from netal.experiments.synthetic import synthetic_run_cell

    @dataclass(frozen=True)
    class Demo:
        def fingerprint(self):
            return {"study": "demo"}          # configuration, without the grid axes
        def cells(self, seeds):
            return make_cells(["syn"], ["random", "maxdist"], seeds, n_iterations=3)
        def run_cell(self, cell):
            return synthetic_run_cell(cell)   # a CellOutput: records + labeled ids
        def finish(self, run):
            return run.store.load("records")  # cell fields + records, every stored cell

    with make_executor("local", jobs=2) as executor:  # or "dask", address=...
        df = run_study(Demo(), range(10), "out/demo", executor)  # resumes: skips stored cells
    print(stats.to_markdown(stats.summarize(df)))

Modules
-------
grid
    :class:`Cell` (the unit of work and its key), :func:`make_cells`,
    :func:`initial_indices`.
store
    :class:`CellOutput` (a cell's named tables), :class:`CellStore` (one
    directory per finished cell in ``OUT/cells``, atomic writes, the
    configuration guard, :meth:`CellStore.load`), :func:`cell_frame`,
    :func:`check_records`.
study
    :class:`Study` (``fingerprint``, ``cells``, ``run_cell``, ``finish``),
    :class:`SeedStudy` (one cell per seed: write ``run_seed``),
    :func:`run_study` (cells on any executor, each stored atomically, resume,
    then the study's summaries and report, holding the output folder's lock),
    :class:`StudyRun`, :func:`concat_tables`, :func:`check_out_dir`,
    :func:`cell_knowledge_base`.
executors
    :class:`SerialExecutor`, :class:`LocalExecutor`, :class:`DaskExecutor`,
    :func:`make_executor`.
stats
    Scores, labels-to-reach, paired tests, confidence bands, Markdown tables
    (Holzmueller et al., JMLR 2023).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netal.harness.executors import (
        DaskExecutor,
        Executor,
        LocalExecutor,
        SerialExecutor,
        make_executor,
    )
    from netal.harness.grid import Cell, initial_indices, make_cells
    from netal.harness.store import CellOutput, CellStore, cell_frame, check_records
    from netal.harness.study import (
        ALL_ARMS,
        SeedStudy,
        Study,
        StudyRun,
        cell_knowledge_base,
        check_out_dir,
        check_seeds,
        concat_tables,
        run_study,
    )

# Imported lazily so that worker processes unpickling a light function (e.g. the
# executor's initializer) do not pay for pandas and pyarrow.
_EXPORTS = {
    "DaskExecutor": "executors",
    "Executor": "executors",
    "LocalExecutor": "executors",
    "SerialExecutor": "executors",
    "make_executor": "executors",
    "Cell": "grid",
    "initial_indices": "grid",
    "make_cells": "grid",
    "CellOutput": "store",
    "CellStore": "store",
    "cell_frame": "store",
    "check_records": "store",
    "ALL_ARMS": "study",
    "SeedStudy": "study",
    "Study": "study",
    "StudyRun": "study",
    "cell_knowledge_base": "study",
    "check_out_dir": "study",
    "check_seeds": "study",
    "concat_tables": "study",
    "run_study": "study",
}


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'netal.harness' has no attribute {name!r}") from None
    return getattr(importlib.import_module(f"netal.harness.{module}"), name)


__all__ = [
    "ALL_ARMS",
    "Cell",
    "CellOutput",
    "CellStore",
    "DaskExecutor",
    "Executor",
    "LocalExecutor",
    "SeedStudy",
    "SerialExecutor",
    "Study",
    "StudyRun",
    "cell_frame",
    "cell_knowledge_base",
    "check_out_dir",
    "check_records",
    "check_seeds",
    "concat_tables",
    "initial_indices",
    "make_cells",
    "make_executor",
    "run_study",
]
