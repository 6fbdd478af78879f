"""One driver for every study: cells on any executor, stored atomically, resumed, then finished.

A *study* is a frozen, picklable configuration that declares its cells for
the seeds asked (:meth:`Study.cells`), runs one (:meth:`Study.run_cell`,
returning a :class:`~netal.harness.store.CellOutput`: named tables, the
per-iteration ``records`` being one of them) and turns the outputs of all its
cells into summaries, tables and a report (:meth:`Study.finish`).
:func:`run_study` does the rest, the same way for every study:

1. checks the seeds, takes the folder's lock (:func:`netal.locks.hold_folder`:
   a second process on the same ``out_dir`` gets one line), refuses an
   ``out_dir`` that is a file, was written with another configuration
   (:meth:`Study.fingerprint`, kept in ``OUT/cells/study.json``) or in a
   layout it cannot read, and checks the knowledge base of every cell still
   to run (``OUT/kb/<key>.sqlite``, :func:`cell_knowledge_base`), all in one
   line and before any work;
2. runs the cells not yet in the :class:`~netal.harness.store.CellStore`
   ``OUT/cells/`` on an :mod:`~netal.harness.executors` backend, and stores
   each one atomically the moment it finishes (so a process killed at any
   moment leaves complete cells or none, and a rerun does only the rest);
3. reads every cell's output back from the store (a resumed run and an
   uninterrupted one finish from the same tables) and calls
   ``study.finish(run)`` with a :class:`StudyRun`, returning what it returns.

A study whose grid grows (``netal bench``: datasets x strategies x seeds) keeps
its grid axes out of the fingerprint, so a rerun into the same directory with
more seeds or strategies runs only the new cells; each cell's key already
encodes its own parameters.  A study that runs every arm of a seed together
(``netal acquire``, ``stream``, ``synth``) subclasses :class:`SeedStudy` and
writes only ``run_seed(seed)``: it has one cell per seed, whose strategy is
:data:`ALL_ARMS`.
"""

from __future__ import annotations

import logging
import numbers
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from netal.errors import DataError, InvalidInputError
from netal.harness.executors import Executor, SerialExecutor
from netal.harness.grid import Cell
from netal.harness.progress import cell_progress, clear_progress, report_inner
from netal.harness.store import CellOutput, CellStore
from netal.hooks import epoch_hook
from netal.locks import hold_folder

_LOG = logging.getLogger("netal.study")

CELLS_DIR = "cells"
"""The store's directory inside a study's output directory."""

KB_DIR = "kb"
"""Where a study's cells keep their knowledge bases inside its output directory."""

ALL_ARMS = "all"
"""The ``strategy`` of a :class:`SeedStudy` cell: it runs every arm of its seed (its tables
carry their own per-arm column)."""

_SEED_LAYOUT_DIR = "seeds"
"""Where the network studies stored their seeds before the driver ran cells (refused)."""


@dataclass(frozen=True)
class StudyRun:
    """What :func:`run_study` hands to :meth:`Study.finish`.

    Attributes
    ----------
    out_dir
        The study's output directory.
    store
        The results store (``out_dir/cells``); it may hold cells of earlier
        runs with other grid axes (more seeds or strategies).
    outputs
        The output of every cell of this run, in the order of
        :meth:`Study.cells`, read back from the store.
    ran, skipped
        Keys of the cells run now (in completion order) and of those found
        stored by an earlier invocation.
    """

    out_dir: Path
    store: CellStore
    outputs: tuple[CellOutput, ...]
    ran: tuple[str, ...]
    skipped: tuple[str, ...]

    @property
    def cells(self) -> list[Cell]:
        """The cells of this run, in order."""
        return [output.cell for output in self.outputs]


@runtime_checkable
class Study(Protocol):
    """A frozen study configuration: its cells, how to run one, and what to make of all.

    A study may also set a class attribute ``reads_legacy_cells = True`` when
    cells stored by the results store of the layout before (``<key>.parquet``
    files holding only records and final labeled ids) are complete outputs
    for it, as they are for a bench; otherwise such a directory is refused.
    """

    def fingerprint(self) -> dict[str, Any]:
        """JSON-ready configuration, without grid axes; equal fingerprints give equal cells."""
        ...

    def cells(self, seeds: Sequence[int]) -> list[Cell]:
        """The cells to run for ``seeds`` (distinct keys), in the order to run them."""
        ...

    def run_cell(self, cell: Cell) -> CellOutput:
        """Everything the study computes for ``cell`` (module-level picklable code)."""
        ...

    def finish(self, run: StudyRun) -> Any:
        """Summaries, tables and the report from every cell's output; returned by :func:`run_study`."""
        ...


class SeedStudy:
    """Base of studies that run every arm of a seed together: one cell per seed.

    Subclasses (frozen dataclasses) write :meth:`fingerprint`, :meth:`run_seed`
    and :meth:`finish`.  Their cells are ``Cell(self.cell_dataset(), ALL_ARMS,
    seed)`` without parameters: the configuration is the whole directory's
    (the fingerprint), so the key only has to tell seeds apart.
    """

    def fingerprint(self) -> dict[str, Any]:
        """JSON-ready configuration (every setting: a seeded study has no grid axis but seeds)."""
        raise NotImplementedError

    def cell_dataset(self) -> str:
        """The ``dataset`` of the study's cells (``"twin"`` unless overridden)."""
        return "twin"

    def cells(self, seeds: Sequence[int]) -> list[Cell]:
        """One cell per seed, in the order given."""
        return [Cell(self.cell_dataset(), ALL_ARMS, int(seed)) for seed in seeds]

    def run_seed(self, seed: int) -> Mapping[str, pd.DataFrame]:
        """Every arm on ``seed``: table name -> frame."""
        raise NotImplementedError

    def run_cell(self, cell: Cell) -> CellOutput:
        """:meth:`run_seed` of the cell's seed, as the cell's output."""
        return CellOutput(cell, self.run_seed(cell.seed))

    def finish(self, run: StudyRun) -> Any:
        """The :class:`StudyRun` itself (override to write summaries and a report)."""
        return run


def concat_tables(outputs: Iterable[CellOutput], name: str) -> pd.DataFrame:
    """Table ``name`` of every output, stacked in the given order, as stored (no cell columns)."""
    frames = [out.table(name) for out in outputs]
    frames = [frame for frame in frames if len(frame.columns)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def check_seeds(seeds: Sequence[int]) -> list[int]:
    """Distinct non-negative integer seeds, in the given order."""
    values = []
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise InvalidInputError("seeds", f"must be non-negative integers, got {list(seeds)!r}")
        values.append(int(seed))
    if not values:
        raise InvalidInputError("seeds", "is empty; give at least one seed")
    if len(set(values)) != len(values):
        raise InvalidInputError("seeds", f"contains duplicates: {values}")
    return values


@dataclass(frozen=True)
class _CellTask:
    """One cell with its study, as an executor item (its notes name the cell)."""

    study: Any
    cell: Cell
    out: str = ""

    def canonical_json(self) -> str:
        return self.cell.canonical_json()


def _run_task(task: _CellTask) -> CellOutput:
    if not task.out:
        return task.study.run_cell(task.cell)
    with (
        cell_progress(task.out, task.cell.key, _label(task.cell)),
        epoch_hook(lambda epoch, epochs: report_inner(epoch, epochs, "epochs")),
    ):
        return task.study.run_cell(task.cell)


def _label(cell: Cell) -> str:
    return f"{cell.dataset} / {cell.strategy} / seed {cell.seed}"


def _check_cells(cells: Sequence[Cell]) -> None:
    for cell in cells:
        if not isinstance(cell, Cell):
            raise InvalidInputError("cells", f"must be Cell objects, got {type(cell).__name__}")
    keys = [cell.key for cell in cells]
    if len(set(keys)) != len(keys):
        dupes = sorted({cell.canonical_json() for cell in cells if keys.count(cell.key) > 1})
        raise InvalidInputError("cells", f"duplicate cells: {dupes}")


def cell_knowledge_base(out_dir: str | os.PathLike[str], cell: Cell) -> Path:
    """The knowledge base of ``cell`` in a study's output directory: ``OUT/kb/<key>.sqlite``."""
    return Path(out_dir) / KB_DIR / f"{cell.key}.sqlite"


def check_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    """``out_dir`` as a path, refused in one line if it names an existing file (before any work).

    Raises
    ------
    InvalidInputError
        ``out_dir`` is a file (or something else that is not a folder).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidInputError("out", f"{out} is a file; give a directory for the outputs")
    return out


def _check_knowledge_bases(out: Path, cells: Sequence[Cell]) -> None:
    """Check the knowledge base each unfinished cell will resume from (damage found now)."""
    paths = [cell_knowledge_base(out, cell) for cell in cells]
    paths = [path for path in paths if path.exists()]
    if not paths:
        return
    # imported only when there is a file to check: netal.loop brings torch (seconds)
    from netal.loop.knowledge import check_knowledge_base

    for path in paths:
        check_knowledge_base(path)


def _refuse_seed_layout(out: Path) -> None:
    seeds = out / _SEED_LAYOUT_DIR
    if (seeds / "study.json").is_file():
        raise DataError(
            str(seeds),
            "holds seeds of the results layout before OUT/cells/, which this version does not "
            "resume; use another --out, or remove that folder to recompute them",
        )


def _refuse_legacy_cells(store: CellStore, study: Study) -> None:
    legacy = store.legacy_keys()
    if legacy and not getattr(study, "reads_legacy_cells", False):
        raise DataError(
            str(store.directory),
            f"holds {len(legacy)} cell(s) of the results layout before (<key>.parquet files), "
            "which this study does not resume; use another --out, or remove that folder to "
            "recompute them",
        )


def run_study(
    study: Study,
    seeds: Sequence[int],
    out_dir: str | os.PathLike[str],
    executor: Executor | None = None,
    *,
    on_cell: Callable[[Cell, CellOutput], None] | None = None,
    on_skipped: Callable[[Cell], None] | None = None,
) -> Any:
    """Run (or resume) ``study`` over ``seeds``; what ``study.finish`` returns.

    Parameters
    ----------
    study
        The study (picklable: it travels to worker processes or Dask workers
        with each cell).
    seeds
        Distinct non-negative seeds.
    out_dir
        Output directory; cell outputs go to ``out_dir/cells`` (see
        :mod:`netal.harness.store`), the study's own files wherever its
        ``finish`` writes them.
    executor
        Backend running the cells (default: this process).
    on_cell
        Called with each cell and its output once stored (e.g. a progress bar).
    on_skipped
        Called with each cell found stored by an earlier invocation, before
        any cell runs.

    Raises
    ------
    InvalidInputError
        Bad seeds, ``out_dir`` is a file, duplicate cells, or ``run_cell``
        returned something else than a :class:`CellOutput` of its cell.
    BusyError
        Another process runs a study in ``out_dir``.
    KnowledgeBaseError
        ``out_dir`` holds results of another configuration (the message names
        what changed), or the knowledge base of a cell to run is damaged.
    DataError
        ``out_dir`` holds results of a layout this study cannot read, or a
        stored file is damaged (the message names it).
    Exception
        Whatever ``run_cell`` raised, with a note naming the cell; cells stored
        before it stay stored.
    """
    seeds = check_seeds(seeds)
    out = check_out_dir(out_dir)
    cells = list(study.cells(seeds))
    _check_cells(cells)
    with hold_folder(out):
        return _run_locked(study, cells, out, executor, on_cell, on_skipped)


def _run_locked(
    study: Study,
    cells: list[Cell],
    out: Path,
    executor: Executor | None,
    on_cell: Callable[[Cell, CellOutput], None] | None,
    on_skipped: Callable[[Cell], None] | None,
) -> Any:
    """:func:`run_study` once it holds ``out``'s lock."""
    _refuse_seed_layout(out)
    store = CellStore(out / CELLS_DIR)
    _refuse_legacy_cells(store, study)
    store.check_fingerprint(study.fingerprint())
    store.clean()
    done = store.done_keys()
    skipped = tuple(cell.key for cell in cells if cell.key in done)
    if on_skipped is not None:
        for cell in cells:
            if cell.key in done:
                on_skipped(cell)
    todo = [_CellTask(study, cell, str(out.resolve())) for cell in cells if cell.key not in done]
    _check_knowledge_bases(out, [task.cell for task in todo])
    clear_progress(out)
    _LOG.info("%s: %d cell(s) to run, %d done before", out, len(todo), len(skipped))
    ran: list[str] = []
    if todo:
        pool = executor if executor is not None else SerialExecutor()
        for task, output in pool.map_unordered(_run_task, todo):
            if not isinstance(output, CellOutput) or output.cell != task.cell:
                got = (
                    type(output).__name__ if not isinstance(output, CellOutput) else "another cell"
                )
                raise InvalidInputError(
                    "run_cell", f"returned {got} for cell {task.cell.canonical_json()}"
                )
            store.write(output)
            ran.append(task.cell.key)
            _LOG.info("cell %s done (%d/%d)", _label(task.cell), len(ran), len(todo))
            if on_cell is not None:
                on_cell(task.cell, output)
    outputs = tuple(store.read(cell.key) for cell in cells)
    return study.finish(StudyRun(out, store, outputs, tuple(ran), tuple(skipped)))
