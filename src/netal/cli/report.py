"""``netal report DIR``: (re)build the HTML report of an output directory."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from netal.cli._common import fail_cleanly


def report(
    directory: Path = typer.Argument(
        ...,
        help="Output directory of 'netal run', 'netal bench' or 'netal casestudy'.",
        show_default=False,
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """(Re)build DIRECTORY/report.html from what the directory holds.

    Uses DIRECTORY/summary.json (a run or a case study, plus queries.parquet and uncertainty.parquet when present) or, for a bench, the results store DIRECTORY/cells. The page is self-contained (figures embedded): open it in any browser or mail it.
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.report import build_report

    with fail_cleanly(debug):
        with Console(stderr=True).status("drawing figures"):
            path = build_report(directory)
        typer.echo(f"report: {path}")


def register(app: typer.Typer) -> None:
    """Attach ``netal report`` to the main app."""
    app.command("report")(report)
