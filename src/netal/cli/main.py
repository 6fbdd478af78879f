"""Entry point of the ``netal`` command.

Sub-command groups (``netal data ...``, ``netal twin ...``) are typer apps in
their own modules; top-level commands (``casestudy``, ``run``, ``bench``,
``report``) live in modules exposing ``register(app)``.  The core packages
never import from :mod:`netal.cli`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import typer

from netal import __version__

app = typer.Typer(
    name="netal",
    help="netal: network-centric active machine learning for AI-native 6G networks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_GROUPS = {
    "data": ("netal.cli.data", "Real network datasets: list, describe, fetch."),
    "twin": ("netal.cli.twin", "The mmWave digital twin: generate data from a scenario."),
    "loop": (
        "netal.cli.loop",
        "Drive a run by hand: ask for queries, tell answers, refuse, status.",
    ),
    "mapek": (
        "netal.cli.mapek",
        "The closed MAPE-K loop: watch a network stream, detect drift, label, retrain, promote.",
    ),
}
_COMMAND_MODULES = (
    "netal.cli.casestudy",
    "netal.cli.run",
    "netal.cli.bench",
    "netal.cli.report",
    "netal.cli.acquire",
    "netal.cli.stream",
    "netal.cli.synth",
)


@app.callback()
def main() -> None:
    """netal: network-centric active machine learning for AI-native 6G networks."""


@app.command()
def version() -> None:
    """Print the installed netal version."""
    typer.echo(__version__)


def _optional_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:  # command not built yet
        if exc.name != name:
            raise
        return None


for _name, (_module, _help) in _GROUPS.items():
    _sub = _optional_module(_module)
    if _sub is not None:
        app.add_typer(_sub.app, name=_name, help=_help)

for _module in _COMMAND_MODULES:
    _mod = _optional_module(_module)
    if _mod is not None:
        _mod.register(app)


if __name__ == "__main__":
    app()
