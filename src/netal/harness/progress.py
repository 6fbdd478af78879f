"""Progress inside a running cell, visible from the process that runs the study.

A cell runs in this process, a worker process or on a Dask worker; its
learning loop reports each finished step with :func:`report` and the study's
process reads every running cell's latest report with :func:`read_progress`
(the CLI draws one bar per running cell under the bar of cells).  The channel
is a small JSON file per running cell, ``OUT/progress/<key>.json``, replaced
atomically at each report and removed when the cell ends: it works across
processes and hosts that share the output folder, needs no server, and a
killed run leaves nothing that a rerun misreads (the files are cleared when a
study starts).

Outside a study (no cell running), :func:`report` only logs.

Examples
--------
>>> from netal.harness.progress import report
>>> report(3, 10, "iterations")  # in a cell: 3 of 10 iterations done
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PROGRESS_DIR = "progress"
"""Folder of the running cells' progress files in a study's output directory."""

_LOG = logging.getLogger("netal.progress")
_state = (
    threading.local()
)  # the running cell's progress file, per thread (Dask runs cells on threads)


def _current() -> Path | None:
    return getattr(_state, "path", None)


def _label() -> str:
    return getattr(_state, "label", "")


def report(done: int, total: int | None = None, what: str = "iterations") -> None:
    """Record that the running cell finished ``done`` of ``total`` steps (``what`` names them).

    Cheap (one small file replaced), never raises: progress must not break a run.
    """
    _LOG.debug("%s %s/%s", what, done, total if total is not None else "?")
    path = _current()
    if path is None:
        return
    record = {"done": int(done), "total": None if total is None else int(total), "what": what,
              "label": _label(), "time": time.time()}  # fmt: skip
    _state.outer = record
    _write(path, record)


def _write(path: Path, record: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(record))
        os.replace(temporary, path)
    except OSError:  # a full or read-only disk: the run goes on without a bar
        _LOG.debug("cannot write progress file %s", path, exc_info=True)


def report_inner(done: int, total: int | None, what: str = "epochs") -> None:
    """Record progress one level down (e.g. the epochs of the current training), at most every 0.5 s.

    Kept beside the last :func:`report` of the cell, which it does not replace.
    """
    path = _current()
    if path is None:
        return
    now = time.monotonic()
    if total is not None and done < total and now - getattr(_state, "inner_at", 0.0) < 0.5:
        return
    _state.inner_at = now
    outer = getattr(_state, "outer", None) or {"done": 0, "total": None, "what": "steps"}
    _write(path, {**outer, "inner": {"done": int(done), "total": total, "what": what}})


@contextlib.contextmanager
def cell_progress(out_dir: str | os.PathLike[str], key: str, label: str = "") -> Iterator[None]:
    """Route :func:`report` to the progress file of cell ``key`` (shown as ``label``) while the block runs."""
    folder = Path(out_dir) / PROGRESS_DIR
    previous, previous_label = _current(), _label()
    _state.label, _state.outer = label, {"done": 0, "total": None, "what": "steps", "label": label}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _state.path = folder / f"{key}.json"
    except OSError:
        _state.path = None
    try:
        yield
    finally:
        path = _current()
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        _state.path, _state.label = previous, previous_label


def clear_progress(out_dir: str | os.PathLike[str]) -> None:
    """Remove progress files a killed run left behind (called when a study starts)."""
    folder = Path(out_dir) / PROGRESS_DIR
    if folder.is_dir():
        for path in folder.iterdir():
            with contextlib.suppress(OSError):
                path.unlink()


def read_progress(out_dir: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The latest report of every running cell of the study in ``out_dir``, by cell key."""
    folder = Path(out_dir) / PROGRESS_DIR
    found: dict[str, dict[str, Any]] = {}
    if not folder.is_dir():
        return found
    for path in folder.glob("*.json"):
        try:
            found[path.stem] = json.loads(path.read_text())
        except (OSError, ValueError):  # replaced or removed while reading: next poll
            continue
    return found
