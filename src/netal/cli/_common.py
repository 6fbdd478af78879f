"""Pieces shared by the ``netal`` commands: clean errors, progress bars, executors.

Written by the lead for ``netal casestudy``; ``run``/``bench``/``report`` use
the same helpers (extend here rather than duplicating).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from netal.errors import NetalError
from netal.harness.executors import make_executor


@contextlib.contextmanager
def fail_cleanly(debug: bool = False) -> Iterator[None]:
    """Turn a :class:`~netal.errors.NetalError` into one ``error:`` line and exit code 1.

    With ``debug`` the exception propagates with its traceback.
    """
    try:
        yield
    except NetalError as exc:
        if debug:
            raise
        typer.echo(f"error: {' '.join(str(exc).split())}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        if debug:
            raise
        typer.echo("interrupted: rerun the same command to resume", err=True)
        raise typer.Exit(130) from None


@contextlib.contextmanager
def grid_progress(
    total: int, description: str, out_dir: Path | None = None, per_cell: float = 1.0
) -> Iterator[Callable[..., None]]:
    """A rich progress bar over ``total`` steps; yields a callback to call per finished step.

    With ``out_dir`` (the study's output folder), a bar per running cell shows
    its iterations (or periods, rounds...) as the cell reports them
    (:mod:`netal.harness.progress`), and the main bar advances by the running
    cells' fractions too (``per_cell`` steps per cell), so its ETA moves with
    the work rather than jumping at cell ends.  ``per_cell`` steps are one
    cell (the seed commands tick once per arm of a seed).
    """
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[count]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[last]}"),
        transient=False,
    ) as progress:
        main = progress.add_task(description, total=total, last="", count=f"0/{total}")
        finished = [0]
        lock = threading.Lock()

        def tick(cell: Any = None, _result: Any = None) -> None:
            label = f"{cell.strategy} seed {cell.seed}" if cell is not None else ""
            with lock:
                finished[0] += 1
                progress.update(main, last=label, count=f"{finished[0]}/{total}")
                if out_dir is None:
                    progress.update(main, completed=finished[0])

        if out_dir is None:
            yield tick
            return
        with _CellBars(progress, main, total, out_dir, finished, lock, per_cell):
            yield tick


class _CellBars:
    """A thread polling the running cells' progress files into one bar each (and the main bar)."""

    def __init__(
        self,
        progress: Progress,
        main: Any,
        total: int,
        out_dir: Path,
        finished: list[int],
        lock: threading.Lock,
        per_cell: float,
    ) -> None:
        self.progress, self.main, self.total, self.out_dir = progress, main, total, out_dir
        self.finished, self.lock, self.per_cell = finished, lock, per_cell
        self.bars: dict[str, Any] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, name="netal-progress", daemon=True)

    def __enter__(self) -> _CellBars:
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop.set()
        self.thread.join(timeout=2)
        self._update({})

    def _poll(self) -> None:
        # imported here, not at the top, to keep `netal --help` fast (lower layers)
        from netal.harness.progress import read_progress

        while not self.stop.wait(0.5):
            self._update(read_progress(self.out_dir))

    def _update(self, running: dict[str, dict[str, Any]]) -> None:
        with self.lock:
            for key in [k for k in self.bars if k not in running]:
                self.progress.remove_task(self.bars.pop(key))
            fraction = 0.0
            for key, state in sorted(running.items()):
                total, done = state.get("total"), state.get("done", 0)
                text = f"  {state.get('label') or key}: {state.get('what', 'steps')}"
                inner = state.get("inner")
                if inner:
                    text += f" ({inner.get('what')} {inner.get('done')}/{inner.get('total')})"
                if key not in self.bars:
                    self.bars[key] = self.progress.add_task(text, total=total, last="", count="")
                self.progress.update(
                    self.bars[key],
                    description=text,
                    total=total,
                    completed=done,
                    count=f"{done}/{total if total is not None else '?'}",
                )
                if total:
                    fraction += min(done / total, 1.0)
            completed = min(self.finished[0] + fraction * self.per_cell, self.total)
            self.progress.update(self.main, completed=completed)


def jobs_option() -> Any:
    """The ``--jobs`` option of commands that run seeds in parallel (default: up to 2 processes)."""
    return typer.Option(
        min(2, os.cpu_count() or 1),
        "--jobs",
        "-j",
        min=1,
        help="Worker processes running seeds in parallel (1: in this process).",
    )


@contextlib.contextmanager
def seed_runner(
    jobs: int, n_seeds: int, n_cells: int, description: str, out_dir: Path | None = None
) -> Iterator[tuple[Any, Callable[..., None]]]:
    """Worker processes for ``n_seeds`` seeds (at most ``jobs``; this process for one) and a progress bar.

    ``n_cells`` counts (arm, seed) pairs; with ``out_dir`` the running seeds show their own bars.
    """
    with (
        open_executor(min(jobs, n_seeds)) as pool,
        grid_progress(n_cells, description, out_dir, per_cell=n_cells / max(n_seeds, 1)) as tick,
    ):
        yield pool, tick


def open_executor(
    jobs: int, executor: str = "", scheduler: str = ""
) -> contextlib.AbstractContextManager[Any]:
    """The executor asked for on the command line.

    ``--scheduler ADDRESS`` means Dask on that cluster; ``--executor dask``
    without an address starts a local Dask cluster with ``jobs`` workers;
    otherwise local worker processes, or this process when ``jobs == 1``.
    """
    name = executor or ("dask" if scheduler else ("local" if jobs > 1 else "serial"))
    if scheduler and name != "dask":
        raise NetalError(f"--scheduler needs --executor dask, got --executor {name}")
    return make_executor(name, jobs=jobs, address=scheduler or None)


def given_flags(**values: Any) -> dict[str, Any]:
    """The flags that were given (typer passes None for the others), as setting -> value."""
    return {name: value for name, value in values.items() if value is not None}


def split_names(text: str | None) -> tuple[str, ...] | None:
    """``"a, b,,c"`` -> ``("a", "b", "c")``; None stays None (the flag was not given)."""
    if text is None:
        return None
    return tuple(part.strip() for part in text.split(",") if part.strip())
