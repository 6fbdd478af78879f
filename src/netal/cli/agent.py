"""``netal agent``: measurement agents answering a project's tasks from the digital twin."""

from __future__ import annotations

from pathlib import Path

import typer

from netal.cli._common import fail_cleanly


def agent(
    server: str = typer.Option("http://127.0.0.1:8000", "--server", help="The service's URL."),
    tokens: list[str] = typer.Option(
        None,
        "--token",
        envvar="NETAL_TOKEN",
        help="An agent's API token; repeat it for several agents ($NETAL_TOKEN: space-separated).",
    ),
    tokens_file: Path = typer.Option(
        None, "--tokens-file", help="A file of agent API tokens, one per line (besides --token)."
    ),
    agents: int = typer.Option(
        None, "--agents", min=1, help="Agents to run at once (default: one per token)."
    ),
    project: int = typer.Option(..., "--project", help="Project id."),
    max_tasks: int = typer.Option(None, "--max-tasks", min=1, help="Stop after this many each."),
    idle_s: float = typer.Option(
        10.0, "--idle", min=0.0, help="Stop when no task comes for this many seconds."
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the twin's measurement noise."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Pull measurement tasks, measure them in the twin, answer with the value and its cost.

    Several agents run at once (one thread each), each logged in with its own
    token and charged its own travel and measurement time in the twin.
    """
    with fail_cleanly(debug):
        # imported when the command runs, not at the top, to keep `netal --help` fast (lower layer)
        from netal.errors import InvalidInputError
        from netal.service.agent import run_agents

        given = list(tokens or [])
        if tokens_file is not None:
            try:
                lines = tokens_file.read_text().splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise InvalidInputError("--tokens-file", f"{tokens_file}: {exc}") from None
            given += [line.strip() for line in lines if line.strip()]
        if not given:
            raise InvalidInputError(
                "--token", "give an agent token (--token, $NETAL_TOKEN or --tokens-file)"
            )
        if agents is not None and agents != len(given):
            raise InvalidInputError(
                "--agents",
                f"is {agents} but {len(given)} token(s) were given: each agent needs its own",
            )
        reports = run_agents(server, given, project, max_tasks=max_tasks, idle_s=idle_s, seed=seed)
        for i, report in enumerate(reports, 1):
            if len(reports) > 1:
                typer.echo(
                    f"agent {i}: answered {report.answered} measurement tasks; "
                    f"twin cost {report.cost_s:.1f} agent-s"
                )
        typer.echo(
            f"answered {sum(r.answered for r in reports)} measurement tasks; "
            f"twin cost {sum(r.cost_s for r in reports):.1f} agent-s"
        )


def register(main: typer.Typer) -> None:
    """Attach ``netal agent`` to the main app."""
    main.command("agent")(agent)
