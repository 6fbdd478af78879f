"""``netal twin``: generate Lumos5G-schema data from the digital twin, or a timeline of it."""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from netal.cli._common import fail_cleanly
from netal.errors import InvalidInputError, NetalError

if TYPE_CHECKING:
    import pandas as pd

    from netal.twin.timeline import Timeline, TimelineData

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
_err = Console(stderr=True)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV via pyarrow (about 10x faster than pandas for the twin's 68k x 19 table)."""
    # imported when writing, not at the top, to keep `netal --help` fast (third-party)
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    table = pa.Table.from_pandas(frame, preserve_index=False)
    pa_csv.write_csv(
        table, path, write_options=pa_csv.WriteOptions(quoting_style="none", quoting_header="none")
    )


_WRITERS: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    ".csv": _write_csv,
    ".parquet": lambda df, path: df.to_parquet(path, index=False),
    ".pq": lambda df, path: df.to_parquet(path, index=False),
}


@contextlib.contextmanager
def _spinner(description: str) -> Iterator[Callable[[str], None]]:
    """A transient spinner with the elapsed time on stderr; yields a function that changes its text."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=_err,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)
        yield lambda text: progress.update(task, description=text)


def _fail(message: str) -> None:
    _err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


@app.callback()
def main() -> None:
    """The mmWave digital twin: generate data from a scenario."""


@app.command()
def generate(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output file: .csv or .parquet (by suffix).")
    ],
    rows: Annotated[
        int, typer.Option("--rows", "-n", help="Number of rows (one per second).")
    ] = 68118,
    seed: Annotated[
        int, typer.Option("--seed", "-s", help="Random seed (same seed, same data).")
    ] = 0,
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="Scenario TOML (default: the packaged downtown loop)."),
    ] = None,
) -> None:
    """Generate ROWS samples in the Lumos5G-v1.0 schema and write them to OUT."""
    try:
        writer = _writer_for(out)
        # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
        from netal.twin import generate as twin_generate

        with _spinner(f"simulating {rows:,} seconds of walking and driving runs") as say:
            frame = twin_generate(rows=rows, seed=seed, scenario=scenario)
            say(f"writing {out}")
            writer(frame, out)
    except NetalError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{out}: cannot write ({exc.strerror or exc})")
    _err.print(f"wrote {len(frame):,} rows to {out}", highlight=False)


@app.command("scenario")
def scenario_cmd(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Copy the default scenario here (to edit it)."),
    ] = None,
) -> None:
    """Print the packaged default scenario TOML, or copy it to OUT as a starting point."""
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.twin.scenario import default_scenario_path

    source = default_scenario_path()
    if out is None:
        sys.stdout.write(source.read_text(encoding="utf-8"))
        return
    try:
        shutil.copyfile(source, out)
    except OSError as exc:
        _fail(f"{out}: cannot write ({exc.strerror or exc})")
    _err.print(f"wrote {out}", highlight=False)


SHOWN_CHANGES = 20


@app.command("timeline")
def timeline_cmd(
    file: Annotated[
        Path | None,
        typer.Argument(help="Timeline TOML (default: the packaged 10-hour timeline)."),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Stream file: .parquet or .csv (by suffix); the change points go next to it "
            "as NAME.changes.SUFFIX.",
        ),
    ] = Path("stream.parquet"),
    seed: Annotated[
        int, typer.Option("--seed", "-s", min=0, help="Random seed (same seed, same stream).")
    ] = 0,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")] = False,
) -> None:
    """Simulate a twin whose conditions change at known times; write the stream and its change points.

    The stream has the Lumos5G-v1.0 columns plus time_s, sorted by time; the
    change points (time_s, kind, description, event, edge) are the ground truth
    for scoring drift detectors. See docs/twin.md, "Timelines".
    """
    with fail_cleanly(debug):
        changes_path = out.with_name(f"{out.stem}.changes{out.suffix}")
        writer = _writer_for(out, changes_path)
        # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
        from netal.twin.timeline import load_timeline

        timeline = load_timeline(file)
        with _spinner(
            f"simulating {timeline.duration_s / 3600:g} h of the twin, {timeline.n_rows:,} rows"
        ):
            data = timeline.simulate(seed)
        # the change descriptions hold commas: pandas quotes them where pyarrow's fast CSV would not
        changes_writer = _write_quoted_csv if out.suffix.lower() == ".csv" else writer
        for write, frame, path in (
            (writer, data.frame, out),
            (changes_writer, data.changes, changes_path),
        ):
            try:
                write(frame, path)
            except OSError as exc:
                raise InvalidInputError(
                    "--out", f"cannot write {path} ({exc.strerror or exc})"
                ) from None
        typer.echo(_timeline_summary(timeline, data, seed, out, changes_path))


def _write_quoted_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False)


def _writer_for(out: Path, *also: Path) -> Callable[[pd.DataFrame, Path], None]:
    """The writer of ``out``'s suffix, checked before any work.

    Refuses an unknown suffix, a missing folder, and ``out`` (or a file in
    ``also``, written next to it) being a folder.  An existing file is
    replaced: the twin writes the same rows again for the same seed.
    """
    writer = _WRITERS.get(out.suffix.lower())
    if writer is None:
        raise InvalidInputError(
            "--out", f"unknown file type {out.suffix!r}; use one of {', '.join(_WRITERS)}"
        )
    if not out.parent.is_dir():
        problem = "is a file" if out.parent.exists() else "does not exist"
        raise InvalidInputError("--out", f"directory {out.parent} {problem}")
    for path in (out, *also):
        if path.exists() and not path.is_file():
            raise InvalidInputError("--out", f"{path} is a folder; give a file name")
    return writer


def _timeline_summary(
    timeline: Timeline, data: TimelineData, seed: int, out: Path, changes_path: Path
) -> str:
    """One screen: the source, rows and time span, the change points, the files written."""
    frame, changes = data.frame, data.changes
    span = f"{frame['time_s'].min():,.0f}-{frame['time_s'].max():,.0f} s" if len(frame) else "-"
    lines = [
        f"timeline  {timeline.path}"
        + (f"  ({timeline.description})" if timeline.description else ""),
        f"scenario  {timeline.scenario.name}",
        f"rows      {len(frame):,} (seed {seed}), time {span} of {timeline.duration_s:,.0f} s, "
        f"{timeline.samples_per_period} rows every {timeline.period_s:g} s",
        f"changes   {len(changes)} change point{'s' if len(changes) != 1 else ''}",
    ]
    if len(changes):
        lines.append(f"  {'time_s':>9}  {'kind':<14}  {'edge':<4}  description")
        lines += [
            f"  {row.time_s:>9,.0f}  {row.kind:<14}  {row.edge:<4}  {row.description}"
            for row in changes.head(SHOWN_CHANGES).itertuples()
        ]
        if len(changes) > SHOWN_CHANGES:
            lines.append(f"  ... {len(changes) - SHOWN_CHANGES} more in {changes_path}")
    lines.append(f"wrote     {out} and {changes_path}")
    return "\n".join(lines)
