"""The study-independent harness: grids of cells, a crash-safe results store, executors, statistics.

It knows no study: a study supplies the function that runs one cell.

Typical use (what ``netal bench`` does)::

    from netal.harness import ResultStore, make_cells, make_executor, run_grid
    from netal.harness import stats

    cells = make_cells(["twin"], ["random", "lcmd"], range(10), batch_size=16)
    store = ResultStore("out/bench/cells")
    with make_executor("local", jobs=2) as executor:  # or "dask", address=...
        run_grid(cells, run_cell, store, executor)  # resumes: skips stored cells
    df = store.load()
    print(stats.to_markdown(stats.summarize(df)))

``run_cell(cell) -> CellResult`` is a module-level function supplied by the
caller (a study); :func:`netal.experiments.synthetic.synthetic_run_cell` is a
small self-contained example.

Modules
-------
grid
    :class:`Cell`, :class:`CellResult`, :func:`make_cells`, :func:`run_grid`,
    :func:`initial_indices`.
store
    :class:`ResultStore` (one Parquet file per finished cell, atomic writes).
executors
    :class:`SerialExecutor`, :class:`LocalExecutor`, :class:`DaskExecutor`,
    :func:`make_executor`.
study
    :class:`Study` (a frozen config with ``fingerprint()`` and
    ``run_seed(seed)``), :class:`SeedOutput`, :func:`run_study` (seeds on any
    executor, each finished seed stored atomically, resume), :func:`concat_tables`.
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
    from netal.harness.grid import (
        Cell,
        CellResult,
        GridReport,
        initial_indices,
        make_cells,
        run_grid,
    )
    from netal.harness.store import ResultStore
    from netal.harness.study import SeedOutput, Study, concat_tables, run_study

# Imported lazily so that worker processes unpickling a light function (e.g. the
# executor's initializer) do not pay for pandas and pyarrow.
_EXPORTS = {
    "DaskExecutor": "executors",
    "Executor": "executors",
    "LocalExecutor": "executors",
    "SerialExecutor": "executors",
    "make_executor": "executors",
    "Cell": "grid",
    "CellResult": "grid",
    "GridReport": "grid",
    "initial_indices": "grid",
    "make_cells": "grid",
    "run_grid": "grid",
    "ResultStore": "store",
    "SeedOutput": "study",
    "Study": "study",
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
    "Cell",
    "CellResult",
    "DaskExecutor",
    "Executor",
    "GridReport",
    "LocalExecutor",
    "ResultStore",
    "SeedOutput",
    "SerialExecutor",
    "Study",
    "concat_tables",
    "initial_indices",
    "make_cells",
    "make_executor",
    "run_grid",
    "run_study",
]
