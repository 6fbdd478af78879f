"""Entry point of the ``netal`` command.

Sub-command groups (``netal data ...``, ``netal twin ...``) are typer apps in
their own modules; top-level commands (``casestudy``, ``run``, ``bench``,
``report``) live in modules exposing ``register(app)``.  The core packages
never import from :mod:`netal.cli`.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

import typer
from typer.core import TyperGroup

try:  # typer vendors click since 0.2x: its own exception classes
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # pragma: no cover - typer with click as a dependency
    from click.exceptions import ClickException, UsageError

from netal import __version__


class OneLineErrors(TyperGroup):
    """The ``netal`` group: a usage error (bad flag, bad value) is one ``error:`` line, exit 2.

    Click would print a usage block and a boxed message; every other netal
    error is one line on stderr, so these are too (``--help`` shows usage).
    """

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except UsageError as exc:
            if not exc.format_message().strip():  # no arguments: the help was shown
                sys.exit(exc.exit_code)
            where = exc.ctx.command_path if exc.ctx is not None else "netal"
            _fail(f"{where}: {exc.format_message()} (see {where} --help)", exc.exit_code)
        except ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except typer.Abort:
            _fail("aborted", 1)
        sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    sys.exit(code)


app = typer.Typer(
    name="netal",
    cls=OneLineErrors,
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
    "service": (
        "netal.cli.serve",
        "The annotation service: users, Label Studio export/import (the server: netal serve).",
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
    "netal.cli.serve",
    "netal.cli.agent",
    "netal.cli.federated",
    "netal.cli.transfer",
    "netal.cli.search",
    "netal.cli.anomaly",
    "netal.cli.forecast",
    "netal.cli.qoais",
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
