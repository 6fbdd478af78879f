"""The ``--data`` option every data-taking command shares, and the data check before any work."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import typer

DATA_HELP = (
    "Your own table: 'path=FILE|FOLDER|GLOB target=COLUMN [time=COL time_format=FMT group=COL "
    'features=A,B drop=C filters="COL == v; COL2 > 0" sentinels=COL:0 units=COL:Mbit/s ...]\' '
    "or a TOML file of \\[tables.NAME] sections. See README, 'Your own data'."
)


def data_option(*, repeatable: bool = False) -> Any:
    """The ``--data`` option (a list when ``repeatable``)."""
    return typer.Option(
        None, "--data", help=DATA_HELP + (" Repeat for several tables." if repeatable else "")
    )


def read_data_tables(values: list[str] | str | None) -> dict[str, Any]:
    """The user tables of ``--data`` values, by name (a name given twice is an error)."""
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.data.table import read_data_option
    from netal.errors import InvalidInputError

    tables: dict[str, Any] = {}
    for value in [values] if isinstance(values, str) else values or []:
        for table in read_data_option(value):
            if table.name in tables:
                raise InvalidInputError(
                    "--data", f"two tables are named {table.name!r}; give one name=OTHER"
                )
            tables[table.name] = table
    return tables


def check_data(name: str, options: Mapping[str, Any], data_dir: str | None) -> None:
    """Load a user table (or locate a dataset's files) now, printing what the loader warns about.

    Runs before any worker starts, so a bad table fails in seconds with one
    line, and its warnings (likely leaks) are shown once.
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.errors import DataWarning
    from netal.experiments.sources import preflight_source

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        dataset = preflight_source(name, options, data_dir)
    for warning in caught:
        if issubclass(warning.category, DataWarning):
            typer.echo(f"warning: {warning.message}", err=True)
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    if dataset is not None:
        typer.echo(
            f"data: {dataset.name}: {len(dataset):,} rows from {len(dataset.files)} file(s), "
            f"target {dataset.target}, {len(dataset.features)} numeric + "
            f"{len(dataset.categorical)} categorical feature(s)"
        )
