"""Entry point of the ``netal`` command.

Sub-command groups live in their own modules and are attached here; the core
packages never import from :mod:`netal.cli`.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="netal",
    help="netal: network-centric active machine learning for AI-native 6G networks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_SUBCOMMANDS = {
    "data": ("netal.cli.data", "Real network datasets: list, describe, fetch."),
    "twin": ("netal.cli.twin", "The mmWave digital twin: generate data from a scenario."),
}



@app.callback()
def main() -> None:
    """netal: network-centric active machine learning for AI-native 6G networks."""


@app.command()
def version() -> None:
    """Print the installed netal version."""
    from netal import __version__

    typer.echo(__version__)


for _name, (_module, _help) in _SUBCOMMANDS.items():
    try:
        _sub = importlib.import_module(_module).app
    except ModuleNotFoundError as exc:  # sub-command not built yet
        if exc.name != _module:
            raise
        continue
    app.add_typer(_sub, name=_name, help=_help)


if __name__ == "__main__":
    app()
