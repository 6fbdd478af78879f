"""Pieces shared by the ``netal`` commands: clean errors, progress bars, executors.

Written by the lead for ``netal casestudy``; ``run``/``bench``/``report`` use
the same helpers (extend here rather than duplicating).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
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
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        if debug:
            raise
        typer.echo("interrupted: rerun the same command to resume", err=True)
        raise typer.Exit(130) from None


@contextlib.contextmanager
def grid_progress(total: int, description: str) -> Iterator[Callable[..., None]]:
    """A rich progress bar over ``total`` cells; yields a callback to call per finished cell."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
        transient=False,
    ) as progress:
        task = progress.add_task(description, total=total, last="")

        def tick(cell: Any = None, _result: Any = None) -> None:
            label = f"{cell.strategy} seed {cell.seed}" if cell is not None else ""
            progress.update(task, advance=1, last=label)

        yield tick


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
    jobs: int, n_seeds: int, n_cells: int, description: str
) -> Iterator[tuple[Any, Callable[..., None]]]:
    """Worker processes for ``n_seeds`` seeds (at most ``jobs``; this process for one) and a progress bar."""
    with (
        open_executor(min(jobs, n_seeds)) as pool,
        grid_progress(n_cells, description) as tick,
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
