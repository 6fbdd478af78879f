"""The results store of every study: one directory per finished cell, written atomically.

Layout of ``OUT/cells/``::

    study.json                 the study's fingerprint (configuration guard)
    <key>/cell.json            the cell (canonical JSON: dataset, strategy, seed, params)
    <key>/<table>.parquet      the cell's tables (``records``, ``labeled``, ``queries``, ...)
    .tmp-<hex>/                a write in progress (ignored, removed by :meth:`CellStore.clean`)
    <key>.parquet              a cell of the layout before (read only, see below)

Why one directory per cell rather than one database:

* **crash safety for free** -- a cell's tables are written into a temporary
  directory beside the store, each file flushed to disk, and the directory is
  renamed to its final name (atomic on POSIX); a ``SIGKILL`` at any point
  leaves either no cell or a complete one, never a torn table set;
* **no shared writer** -- nothing to lock, and stores of several machines
  merge by copying directories;
* **columnar and typed** -- :meth:`CellStore.load` reads one table of every
  cell with pyarrow into one pandas DataFrame with the cell fields as columns.

The layout before (``netal`` up to the study driver's generalization) kept one
``<key>.parquet`` per cell: its records with the cell fields as columns, the
cell and the final labeled ids in the schema metadata.  Such files are read
as cells with a ``records`` and a ``labeled`` table, so an old bench directory
still resumes and reports; nothing writes them any more.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from netal.atomic import fsync_directory, write_text
from netal.errors import DataError, InvalidInputError, KnowledgeBaseError
from netal.harness.grid import CELL_FIELDS, Cell
from netal.schemas import RECORD_COLUMNS

RECORDS = "records"
"""Name of the per-iteration records table (one row per iteration of a learning curve)."""

LABELED = "labeled"
"""Name of the table of a learning curve's final labeled pool ids (one column ``sample_id``)."""

CELL_FILE = "cell.json"
FINGERPRINT_FILE = "study.json"
_TMP_PREFIX = ".tmp-"
_OLD_PREFIX = ".old-"
_SUFFIX = ".parquet"
_LEGACY_CELL_META = b"netal.cell"
_LEGACY_IDS_META = b"netal.final_labeled_ids"


def check_records(records: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The per-iteration records of a learning curve, checked; a list of dicts is accepted.

    One row per iteration (iteration 0 = the initial labeled set) with at least
    the columns of :data:`netal.schemas.RECORD_COLUMNS`: ``iteration``,
    ``n_labels``, ``cost`` (cumulative labeling cost), ``rmse``, ``mae``,
    ``q95`` (95th percentile of the absolute error), ``wall_time_s``; any extra
    numeric column (e.g. ``nll``) is kept.

    Raises
    ------
    InvalidInputError
        A missing column, no rows, a non-numeric column, a column named like a
        cell field, or iterations that do not strictly increase.
    """
    frame = pd.DataFrame(records).reset_index(drop=True)
    missing = [c for c in RECORD_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInputError("records", f"missing column(s) {missing}")
    if frame.empty:
        raise InvalidInputError("records", "has no rows")
    clash = sorted(set(frame.columns) & {*CELL_FIELDS, "key"})
    if clash:
        raise InvalidInputError("records", f"column(s) {clash} are reserved for cell fields")
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise InvalidInputError(
                "records", f"column {column!r} must be numeric, got {frame[column].dtype}"
            )
    if not (np.diff(frame["iteration"].to_numpy()) > 0).all():
        raise InvalidInputError("records", "column 'iteration' must be strictly increasing")
    return frame


@dataclass(frozen=True)
class CellOutput:
    """The tables one cell of a study produced.

    Parameters
    ----------
    cell
        The cell.
    tables
        Table name -> frame, stored as ``<name>.parquet``.  Names are plain
        identifiers; frames must be Parquet-serializable.  A learning curve
        has a ``records`` table (see :meth:`curve`); studies add side tables
        (queries, uncertainty, routes...).

    Examples
    --------
    >>> out = CellOutput(Cell("twin", "all", 0), {"records": pd.DataFrame({"x": [1]})})
    >>> out.table("records")["x"].tolist(), out.table("queries").empty
    ([1], True)
    """

    cell: Cell
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.cell, Cell):
            raise InvalidInputError("cell", f"must be a Cell, got {type(self.cell).__name__}")
        tables = dict(self.tables)
        for name, frame in tables.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise InvalidInputError("tables", f"table name {name!r} is not an identifier")
            if not isinstance(frame, pd.DataFrame):
                raise InvalidInputError(
                    f"tables[{name!r}]", f"must be a DataFrame, got {type(frame).__name__}"
                )
        object.__setattr__(self, "tables", tables)

    def table(self, name: str) -> pd.DataFrame:
        """One table (an empty frame if the cell produced none of that name)."""
        return self.tables.get(name, pd.DataFrame())

    @classmethod
    def curve(
        cls,
        cell: Cell,
        records: pd.DataFrame | Iterable[Mapping[str, Any]],
        labeled_ids: Any,
        **tables: pd.DataFrame,
    ) -> CellOutput:
        """A learning curve: checked ``records``, the final ``labeled`` ids and side tables.

        Parameters
        ----------
        cell
            The cell.
        records
            Per-iteration records (:func:`check_records`).
        labeled_ids
            Pool ids labeled at the end of the run (1-D integers), stored as
            the ``labeled`` table's ``sample_id`` column.
        **tables
            Side tables by name.
        """
        ids = np.asarray(labeled_ids)
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise InvalidInputError(
                "labeled_ids", f"must be a 1-D integer array, got {ids.dtype} {ids.shape}"
            )
        reserved = sorted({RECORDS, LABELED} & set(tables))
        if reserved:
            raise InvalidInputError("tables", f"{reserved} are the curve's own tables")
        labeled = pd.DataFrame({"sample_id": ids.astype(np.int64)})
        return cls(cell, {RECORDS: check_records(records), LABELED: labeled, **tables})


def cell_frame(outputs: Iterable[CellOutput], table: str = RECORDS) -> pd.DataFrame:
    """Table ``table`` of every output, with the cell fields as leading columns.

    Columns: ``key``, ``dataset``, ``strategy``, ``seed``, one per cell
    parameter (missing where a cell lacks it), then the table's columns.  Rows
    are sorted by ``key`` (and ``iteration`` when the table has it); cells
    without the table add no rows; no rows at all give an empty frame with the
    fixed columns.  ``frame.attrs["params"]`` lists the parameter columns (to
    tell them from extra metric columns).

    Raises
    ------
    InvalidInputError
        A table has a column named like a cell field or parameter (tables of
        studies whose cells run every arm of a seed carry their own ``strategy``
        column: concatenate those with :func:`netal.harness.study.concat_tables`).
    """
    frames = []
    params: set[str] = set()
    for output in sorted(outputs, key=lambda out: out.cell.key):
        params.update(name for name, _ in output.cell.params)
        frame = output.table(table)
        if not len(frame.columns):
            continue
        clash = _clashes(output.cell, frame)
        if clash:
            raise InvalidInputError(
                f"tables[{table!r}]",
                f"column(s) {clash} clash with the fields of cell {output.cell.canonical_json()}",
            )
        frames.append(_with_cell_columns(output.cell, frame))
    return _stack(frames, params)


def _clashes(cell: Cell, frame: pd.DataFrame) -> list[str]:
    return sorted(set(frame.columns) & {"key", *CELL_FIELDS, *(name for name, _ in cell.params)})


def _with_cell_columns(cell: Cell, frame: pd.DataFrame) -> pd.DataFrame:
    fields = {"key": cell.key, **cell.to_dict(), **dict(cell.params)}
    del fields["params"]
    head = pd.DataFrame({name: [value] * len(frame) for name, value in fields.items()})
    return pd.concat([head, frame.reset_index(drop=True)], axis=1)


def _stack(frames: list[pd.DataFrame], params: set[str]) -> pd.DataFrame:
    if not frames:
        frame = pd.DataFrame(columns=["key", *CELL_FIELDS])
    else:
        frame = pd.concat(frames, ignore_index=True, sort=False)
        order = ["key", "iteration"] if "iteration" in frame.columns else ["key"]
        frame = frame.sort_values(order, kind="stable").reset_index(drop=True)
    frame.attrs["params"] = sorted(params)
    return frame


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class CellStore:
    """A directory of per-cell directories (see the module docstring).

    Parameters
    ----------
    directory
        Created if missing.
    fingerprint
        The configuration of the study writing here.  The first store opened
        on a directory records it in ``study.json``; a later one with another
        fingerprint is refused (:meth:`check_fingerprint`).  None (reading
        only, or checked later): not checked.

    Examples
    --------
    >>> store = CellStore(tmp_path / "cells")  # doctest: +SKIP
    >>> store.write(CellOutput.curve(cell, records, labeled_ids))  # doctest: +SKIP
    >>> store.load("records").groupby("strategy").rmse.mean()  # doctest: +SKIP
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        fingerprint: Mapping[str, Any] | None = None,
    ) -> None:
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise DataError(str(self.directory), "results store path exists and is not a directory")
        self.directory.mkdir(parents=True, exist_ok=True)
        if fingerprint is not None:
            self.check_fingerprint(fingerprint)

    def check_fingerprint(self, fingerprint: Mapping[str, Any]) -> None:
        """Record ``fingerprint`` in ``study.json``, or refuse it if another one is there.

        Raises
        ------
        KnowledgeBaseError
            The directory holds results of another configuration; the one-line
            message names the keys that changed.
        """
        path = self.directory / FINGERPRINT_FILE
        text = _canonical(dict(fingerprint))
        if not path.exists():
            write_text(path, text)
            return
        stored = path.read_text(encoding="utf-8")
        if stored == text:
            return
        try:
            old = json.loads(stored)
        except ValueError:
            old = {}
        new = json.loads(text)
        if not isinstance(old, dict):
            old = {}
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        raise KnowledgeBaseError(
            f"{self.directory.parent}: holds results of a different configuration "
            f"(changed: {', '.join(changed) or 'format'}); use another --out or remove it"
        )

    # ------------------------------------------------------------------ listing

    def path_of(self, key: str) -> Path:
        """The directory that holds (or will hold) the tables of cell ``key``."""
        return self.directory / key

    def done_keys(self) -> set[str]:
        """Keys of the cells whose outputs are stored (either layout)."""
        return {path.name for path in self._cell_dirs()} | self.legacy_keys()

    def legacy_keys(self) -> set[str]:
        """Keys of the cells stored in the layout before (``<key>.parquet`` files)."""
        return {path.stem for path in self._legacy_files()}

    def __contains__(self, cell: object) -> bool:
        return isinstance(cell, Cell) and cell.key in self.done_keys()

    def __len__(self) -> int:
        return len(self.done_keys())

    def _cell_dirs(self) -> list[Path]:
        return [p for p in self.directory.iterdir() if p.is_dir() and not p.name.startswith(".")]

    def _legacy_files(self) -> list[Path]:
        return [
            p
            for p in self.directory.glob(f"*{_SUFFIX}")
            if p.is_file() and not p.name.startswith(".")
        ]

    # ------------------------------------------------------------ read / write

    def write(self, output: CellOutput) -> Path:
        """Store one cell's tables atomically; the cell's directory.

        The tables and ``cell.json`` go to a temporary directory (each file
        fsynced), which is then renamed to ``<key>``.  Writing a cell that is
        already stored replaces it (the old directory is renamed away first:
        a crash in between leaves the cell missing, never torn).
        """
        if not isinstance(output, CellOutput):
            raise InvalidInputError("output", f"must be a CellOutput, got {type(output).__name__}")
        target = self.path_of(output.cell.key)
        tmp = self.directory / f"{_TMP_PREFIX}{uuid.uuid4().hex}"
        tmp.mkdir()
        try:
            for name, frame in output.tables.items():
                table = pa.Table.from_pandas(frame, preserve_index=False)
                with open(tmp / f"{name}{_SUFFIX}", "xb") as handle:
                    pq.write_table(table, handle)
                    handle.flush()
                    os.fsync(handle.fileno())
            with open(tmp / CELL_FILE, "x", encoding="utf-8") as handle:
                handle.write(output.cell.canonical_json())
                handle.flush()
                os.fsync(handle.fileno())
            fsync_directory(tmp)
            if target.exists():
                old = self.directory / f"{_OLD_PREFIX}{uuid.uuid4().hex}"
                os.replace(target, old)
                os.replace(tmp, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, target)
            fsync_directory(self.directory)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        legacy = self.directory / f"{output.cell.key}{_SUFFIX}"
        legacy.unlink(missing_ok=True)  # superseded by the directory
        return target

    def read(self, key: str, tables: Iterable[str] | None = None) -> CellOutput:
        """The stored output of cell ``key`` (only the named ``tables`` if given).

        Raises
        ------
        DataError
            No such cell, or a file of it is unreadable or belongs to another
            cell (the message names the file).
        """
        folder = self.path_of(key)
        wanted = None if tables is None else set(tables)
        if folder.is_dir():
            cell = _cell_of_dir(folder)
            frames = {
                path.stem: _read_frame(path)
                for path in sorted(folder.glob(f"*{_SUFFIX}"))
                if not path.name.startswith(".") and (wanted is None or path.stem in wanted)
            }
            return CellOutput(cell, frames)
        legacy = self.directory / f"{key}{_SUFFIX}"
        if legacy.is_file():
            output = _read_legacy(legacy)
            if wanted is not None:
                output = CellOutput(
                    output.cell, {k: v for k, v in output.tables.items() if k in wanted}
                )
            return output
        raise DataError(str(folder), f"no stored result for cell {key}")

    def load(self, table: str = RECORDS) -> pd.DataFrame:
        """Table ``table`` of every stored cell, with the cell fields as columns (:func:`cell_frame`).

        Raises
        ------
        DataError
            A file is unreadable, belongs to another cell, or the table has a
            column named like a cell field (the message names the file).
        """
        outputs = []
        for key in sorted(self.done_keys()):
            output = self.read(key, [table])
            clash = _clashes(output.cell, output.table(table))
            if clash:
                raise DataError(
                    str(self.path_of(key) / f"{table}{_SUFFIX}"),
                    f"column(s) {clash} clash with the cell fields; read it with "
                    "netal.harness.study.concat_tables",
                )
            outputs.append(output)
        return cell_frame(outputs, table)

    def clean(self) -> None:
        """Remove what a killed writer left: temporary directories and files."""
        for entry in self.directory.iterdir():
            if not entry.name.startswith((_TMP_PREFIX, _OLD_PREFIX)) and not (
                entry.name.startswith(".") and entry.name.endswith(".tmp")
            ):
                continue
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _read_frame(path: Path) -> pd.DataFrame:
    try:
        return pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        raise DataError(str(path), f"unreadable results file ({exc})") from None


def _cell_of_dir(folder: Path) -> Cell:
    path = folder / CELL_FILE
    try:
        cell = Cell.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise DataError(str(path), f"missing or bad cell file ({exc!r})") from None
    if cell.key != folder.name:
        raise DataError(str(path), f"holds cell {cell.key}, not the one its folder says")
    return cell


def _read_legacy(path: Path) -> CellOutput:
    """A ``<key>.parquet`` file of the layout before, as a ``records`` and a ``labeled`` table."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(str(path), f"unreadable results file ({exc})") from None
    metadata = table.schema.metadata or {}
    try:
        cell = Cell.from_dict(json.loads(metadata[_LEGACY_CELL_META]))
    except (KeyError, ValueError, TypeError) as exc:
        raise DataError(str(path), f"missing or bad cell metadata ({exc!r})") from None
    if cell.key != path.stem:
        raise DataError(str(path), f"holds cell {cell.key}, not the one its name says")
    try:
        ids = np.asarray(json.loads(metadata[_LEGACY_IDS_META]), dtype=np.int64)
    except (KeyError, ValueError, TypeError) as exc:
        raise DataError(str(path), f"bad final labeled ids metadata ({exc})") from None
    columns = [*CELL_FIELDS, "key", *(name for name, _ in cell.params)]
    records = table.to_pandas().drop(columns=columns)
    return CellOutput(cell, {RECORDS: records, LABELED: pd.DataFrame({"sample_id": ids})})
