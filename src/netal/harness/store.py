"""The results store of a benchmark: one Parquet file per finished cell.

Layout: ``<directory>/<cell key>.parquet``, holding the cell's per-iteration
records with the cell fields (``key``, ``dataset``, ``strategy``, ``seed`` and
every parameter) as extra columns; the cell (as JSON) and its final labeled ids
are in the file's schema metadata.

Why one file per cell rather than one SQLite table:

* **crash safety for free** -- a result is written to a temporary file in the
  same directory, flushed to disk and renamed over its final name with
  :func:`os.replace`, which is atomic on POSIX and Windows; a ``SIGKILL`` at
  any point leaves either no file or a complete one, never a torn row set;
* **no shared writer** -- nothing to lock, and stores of several machines
  (e.g. Dask workers writing to their own disks) merge by copying files;
* **columnar and typed** -- ``load`` reads every file with pyarrow into one
  pandas DataFrame; a bench has at most a few thousand cells, so a directory
  listing is cheap.

Stray temporary files (``.*.tmp``) of a killed writer are ignored by
:meth:`ResultStore.done_keys` and :meth:`ResultStore.load`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from netal.atomic import atomic_path
from netal.errors import DataError
from netal.harness.grid import CELL_FIELDS, Cell, CellResult

_CELL_META = b"netal.cell"
_IDS_META = b"netal.final_labeled_ids"
_SUFFIX = ".parquet"


class ResultStore:
    """A directory of per-cell Parquet files (see the module docstring).

    Parameters
    ----------
    directory
        Created if missing.

    Examples
    --------
    >>> store = ResultStore(tmp_path / "cells")  # doctest: +SKIP
    >>> store.append(cell, result)  # doctest: +SKIP
    >>> store.load().groupby("strategy").rmse.mean()  # doctest: +SKIP
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise DataError(str(self.directory), "results store path exists and is not a directory")
        self.directory.mkdir(parents=True, exist_ok=True)

    def path_of(self, key: str) -> Path:
        """The file that holds (or will hold) the result of cell ``key``."""
        return self.directory / f"{key}{_SUFFIX}"

    def done_keys(self) -> set[str]:
        """Keys of the cells whose result is stored."""
        return {path.stem for path in self._files()}

    def __contains__(self, cell: object) -> bool:
        return isinstance(cell, Cell) and self.path_of(cell.key).is_file()

    def __len__(self) -> int:
        return len(self._files())

    def append(self, cell: Cell, result: CellResult) -> Path:
        """Write the result of ``cell`` atomically (temp file + fsync + ``os.replace``).

        Writing a cell that is already stored replaces it.
        """
        table = pa.Table.from_pandas(_rows_of(cell, result), preserve_index=False)
        metadata = dict(table.schema.metadata or {})
        metadata[_CELL_META] = cell.canonical_json().encode()
        metadata[_IDS_META] = json.dumps(result.final_labeled_ids.tolist()).encode()
        table = table.replace_schema_metadata(metadata)
        target = self.path_of(cell.key)
        with atomic_path(target) as tmp, open(tmp, "xb") as handle:
            pq.write_table(table, handle)
        return target

    def get(self, key: str) -> tuple[Cell, CellResult]:
        """The stored cell and result of ``key``; :class:`DataError` if absent or unreadable."""
        path = self.path_of(key)
        if not path.is_file():
            raise DataError(str(path), f"no stored result for cell {key}")
        table = _read(path)
        cell = _cell_of(path, table)
        metadata = table.schema.metadata or {}
        try:
            ids = np.asarray(json.loads(metadata[_IDS_META]), dtype=np.int64)
        except (KeyError, ValueError, TypeError) as exc:
            raise DataError(str(path), f"bad final labeled ids metadata ({exc})") from None
        columns = [*CELL_FIELDS, "key", *(name for name, _ in cell.params)]
        records = table.to_pandas().drop(columns=columns)
        return cell, CellResult(records=records, final_labeled_ids=ids)

    def load(self) -> pd.DataFrame:
        """All per-iteration rows of all stored cells, with the cell fields as columns.

        Columns: ``key``, ``dataset``, ``strategy``, ``seed``, one per cell
        parameter (missing where a cell lacks it), then the record columns.
        Rows are sorted by ``key`` and ``iteration``; an empty store gives an
        empty DataFrame with the fixed columns.  ``frame.attrs["params"]`` lists
        the parameter columns (to tell them from extra metric columns).
        """
        frames = []
        params: set[str] = set()
        for path in sorted(self._files()):
            table = _read(path)
            params.update(name for name, _ in _cell_of(path, table).params)
            frames.append(table.to_pandas())
        if not frames:
            frame = pd.DataFrame(columns=["key", *CELL_FIELDS])
        else:
            frame = pd.concat(frames, ignore_index=True, sort=False)
            frame = frame.sort_values(["key", "iteration"], kind="stable").reset_index(drop=True)
        frame.attrs["params"] = sorted(params)
        return frame

    def _files(self) -> list[Path]:
        return [p for p in self.directory.glob(f"*{_SUFFIX}") if not p.name.startswith(".")]


def _rows_of(cell: Cell, result: CellResult) -> pd.DataFrame:
    fields = {"key": cell.key, **cell.to_dict(), **dict(cell.params)}
    del fields["params"]
    head = pd.DataFrame({name: [value] * len(result.records) for name, value in fields.items()})
    return pd.concat([head, result.records], axis=1)


def _read(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(str(path), f"unreadable results file ({exc})") from None


def _cell_of(path: Path, table: pa.Table) -> Cell:
    metadata = table.schema.metadata or {}
    try:
        cell = Cell.from_dict(json.loads(metadata[_CELL_META]))
    except (KeyError, ValueError, TypeError) as exc:
        raise DataError(str(path), f"missing or bad cell metadata ({exc!r})") from None
    if cell.key != path.stem:
        raise DataError(str(path), f"holds cell {cell.key}, not the one its name says")
    return cell
