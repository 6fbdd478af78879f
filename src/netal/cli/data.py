"""``netal data``: list, describe and fetch the network datasets."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from netal.cli._data import data_option, read_data_tables
from netal.errors import InvalidInputError, NetalError

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", "-d", help="Data directory (default: $NETAL_DATA_DIR or ~/.cache/netal)."
    ),
]


def _fail(exc: Exception) -> typer.Exit:
    """Print one line on stderr and return the exit to raise."""
    typer.echo(f"error: {' '.join(str(exc).split())}", err=True)
    return typer.Exit(code=1)


_BOOLEANS = {"true": True, "yes": True, "false": False, "no": False}


def _options(pairs: list[str] | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--option")
        options[key.strip()] = _BOOLEANS.get(value.strip().lower(), value.strip())
    return options


@app.command("list")
def list_datasets(data_dir: DataDirOption = None) -> None:
    """List the datasets, where each was found, or why not."""
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.data import DATASETS, resolve_data_dir
    from netal.data.fetch import SOURCES, checksum_status

    directory = resolve_data_dir(data_dir)
    typer.echo(f"data directory: {directory}")
    for name in DATASETS.names():
        loader = DATASETS.create(name)
        if name == "csv":
            status = "your own file: netal data describe csv -o path=FILE -o target=COLUMN"
        else:
            try:
                paths = loader.locate(directory)
                status = "found: " + ", ".join(str(p) for p in paths)
                bad = [
                    f
                    for f, state in checksum_status(name, directory).items()
                    if state == "checksum mismatch"
                ]
                if bad:
                    status += f" (SHA-256 differs from the published file: {', '.join(bad)})"
            except NetalError as exc:
                status = f"missing: {exc}"
        fetchable = "fetchable" if name in SOURCES else "no public download"
        typer.echo(f"{name:14s} {loader.task:14s} {fetchable:18s} {status}")


@app.command()
def describe(
    name: Annotated[
        str | None,
        typer.Argument(
            help="Dataset name (see `netal data list`); omit with --data.", show_default=False
        ),
    ] = None,
    data: str | None = data_option(),
    data_dir: DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option", "-o", help="Loader option KEY=VALUE, e.g. -o file=combined (repeatable)."
        ),
    ] = None,
) -> None:
    """Rows, columns, target, features, groups, notes and missing values per column of a dataset or your own table."""
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.data import load_dataset
    from netal.errors import DataWarning

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            summary = _load(name, data, data_dir, _options(option), load_dataset).describe()
    except NetalError as exc:
        raise _fail(exc) from None
    except TypeError as exc:  # unknown loader option
        raise _fail(f"{name}: bad option ({exc})") from None
    for warning in caught:
        if issubclass(warning.category, DataWarning):
            typer.echo(f"warning: {warning.message}", err=True)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
        return
    _print_summary(summary)


def _load(
    name: str | None, data: str | None, data_dir: Path | None, options: dict[str, Any], load: Any
) -> Any:
    """The dataset ``name`` (with ``-o`` options), or the one table of ``--data``."""
    if data is None:
        if name is None:
            raise InvalidInputError("NAME", "give a dataset name or --data")
        return load(name, data_dir, **options)
    if name is not None or options:
        raise InvalidInputError("--data", "replaces NAME and -o; give one or the other")
    tables = read_data_tables(data)
    if len(tables) != 1:
        raise InvalidInputError("--data", f"names {len(tables)} tables; describe one at a time")
    table = next(iter(tables.values()))
    return load("csv", data_dir, **table.options())


def _print_summary(summary: dict[str, Any]) -> None:
    typer.echo(f"{summary['name']}  ({summary['task']})  {summary['source']}")
    typer.echo(f"rows: {summary['rows']:,}   columns: {summary['n_columns']}")
    stats = summary["target_summary"]
    unit = summary["units"].get(summary["target"])
    typer.echo(
        f"target: {summary['target']}{f' [{unit}]' if unit else ''}  "
        f"min {stats['min']}  median {stats['median']}  mean {stats['mean']}  max {stats['max']}"
    )
    typer.echo(f"features: {', '.join(summary['features'])}")
    if summary["categorical"]:
        typer.echo(f"categorical: {', '.join(summary['categorical'])}")
    if summary["group"]:
        typer.echo(f"group: {summary['group']} ({summary['n_groups']} groups)")
    if summary["coords"]:
        typer.echo(f"coords: {', '.join(summary['coords'])}")
    if summary["time"]:
        typer.echo(f"time: {summary['time']}  {' .. '.join(summary['time_range'] or [])}")
    typer.echo("missing values per column:")
    for column, count in summary["missing"].items():
        share = 100 * count / summary["rows"] if summary["rows"] else 0.0
        typer.echo(f"  {column:24s} {count:>9,}  ({share:5.1f} %)")
    if summary.get("files") and len(summary["files"]) > 1:
        typer.echo(f"files: {len(summary['files'])} ({summary['files'][0]} ...)")
    for note in summary["notes"]:
        typer.echo(f"note: {note}")


@app.command()
def fetch(
    name: Annotated[str, typer.Argument(help="Dataset name (see `netal data list`).")],
    data_dir: DataDirOption = None,
    mirror: Annotated[
        str | None,
        typer.Option(
            "--mirror", help="Base URL laid out like the data directory (http:// or file://)."
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds before giving up on a connection.")
    ] = 30.0,
) -> None:
    """Download a public dataset into the data directory and verify its SHA-256."""
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.data import fetch as fetch_dataset

    try:
        paths = fetch_dataset(name, data_dir, mirror=mirror, timeout=timeout)
    except NetalError as exc:
        raise _fail(exc) from None
    for path in paths:
        typer.echo(f"ok  {path}")
