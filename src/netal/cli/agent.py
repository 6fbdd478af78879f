"""``netal agent``: a measurement agent answering a project's tasks from the digital twin."""

from __future__ import annotations

import typer

from netal.cli._common import fail_cleanly


def agent(
    server: str = typer.Option("http://127.0.0.1:8000", "--server", help="The service's URL."),
    token: str = typer.Option(
        ..., "--token", envvar="NETAL_TOKEN", help="The agent's API token ($NETAL_TOKEN)."
    ),
    project: int = typer.Option(..., "--project", help="Project id."),
    max_tasks: int = typer.Option(None, "--max-tasks", min=1, help="Stop after this many."),
    idle_s: float = typer.Option(
        10.0, "--idle", min=0.0, help="Stop when no task comes for this many seconds."
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the twin's measurement noise."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Pull measurement tasks, measure them in the twin, answer with the value and its cost."""
    with fail_cleanly(debug):
        # imported when the command runs, not at the top, to keep `netal --help` fast (lower layer)
        from netal.service.agent import run_agent

        report = run_agent(server, token, project, max_tasks=max_tasks, idle_s=idle_s, seed=seed)
        typer.echo(
            f"answered {report.answered} measurement tasks; twin cost {report.cost_s:.1f} agent-s"
        )


def register(main: typer.Typer) -> None:
    """Attach ``netal agent`` to the main app."""
    main.command("agent")(agent)
