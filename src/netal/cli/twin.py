"""``netal twin``: generate Lumos5G-schema data from the digital twin."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from netal.errors import InvalidInputError, NetalError

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


def _fail(message: str) -> None:
    _err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
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
        writer = _WRITERS.get(out.suffix.lower())
        if writer is None:
            raise InvalidInputError(
                "--out", f"unknown file type {out.suffix!r}; use one of {', '.join(_WRITERS)}"
            )
        if not out.parent.exists():
            raise InvalidInputError("--out", f"directory {out.parent} does not exist")
        # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
        from netal.twin import generate as twin_generate

        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=_err,
            transient=True,
        ) as progress:
            task = progress.add_task(
                f"simulating {rows:,} seconds of walking and driving runs", total=None
            )
            frame = twin_generate(rows=rows, seed=seed, scenario=scenario)
            progress.update(task, description=f"writing {out}")
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
