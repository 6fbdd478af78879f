"""``netal acquire``: joint data acquisition and annotation on the twin, against total cost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import typer

from netal.cli._common import fail_cleanly, jobs_option, seed_runner
from netal.errors import InvalidInputError

DEFAULT_POLICIES = "joint,annotate_only,random"


def _names(text: str, option: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise InvalidInputError(option, "names no entry")
    return list(dict.fromkeys(names))


def acquire(
    budget: float = typer.Option(
        6000.0, "--budget", "-b", help="Total agent time per run (s), initial data included."
    ),
    seeds: int = typer.Option(3, "--seeds", "-s", min=1, help="Replication seeds (paired arms)."),
    first_seed: int = typer.Option(0, "--first-seed", min=0, help="First seed."),
    iterations: int = typer.Option(10, "--iterations", min=1, help="Planning rounds."),
    max_actions: int = typer.Option(20, "--max-actions", min=1, help="Most actions per round."),
    acquire_size: int = typer.Option(
        4, "--acquire-size", min=1, help="Observations per acquisition action."
    ),
    initial_pool: int = typer.Option(40, "--initial-pool", min=1, help="Initial observed samples."),
    initial_labels: int = typer.Option(
        10, "--initial-labels", min=1, help="Initial labels (random, from the initial pool)."
    ),
    n_test: int = typer.Option(400, "--n-test", min=1, help="Size of the fixed test set."),
    policies: str = typer.Option(
        DEFAULT_POLICIES,
        "--policies",
        help="Comma-separated policies (joint, annotate_only, random).",
    ),
    fleet: str = typer.Option(
        "walking:1,driving:1",
        "--fleet",
        help="Measurement agents per mode (e.g. walking:2,driving:1): each round's stops are re-planned for them (networkx TSP along the loop) and their makespan is reported next to the single agent's time.",
    ),
    out: Path = typer.Option(Path("acquire-out"), "--out", "-o", help="Output directory."),
    jobs: int = jobs_option(),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Grow the pool while labeling it: joint acquisition vs annotation-only vs random, on the twin.

    Writes OUT/summary.json (curves against labels and cost in agent seconds), OUT/queries.parquet and OUT/report.html.
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.acquisition.agents import parse_fleet
    from netal.acquisition.joint import JointConfig
    from netal.experiments.network import run_joint

    with fail_cleanly(debug):
        config = JointConfig(
            budget=budget,
            iterations=iterations,
            max_actions=max_actions,
            acquire_size=acquire_size,
            n_initial_pool=initial_pool,
            n_initial_labels=initial_labels,
            n_test=n_test,
        ).check()
        names = _names(policies, "--policies")
        agents = parse_fleet(fleet, "--fleet")
        seed_list = list(range(first_seed, first_seed + seeds))
        with seed_runner(
            jobs, len(seed_list), len(names) * len(seed_list), "joint acquisition"
        ) as (pool, tick):
            outcome = run_joint(
                out,
                seeds=seed_list,
                policies=names,
                config=config,
                fleet=agents,
                on_result=_ticker(tick),
                executor=pool,
            )
        _print_outcome(outcome)


def _ticker(tick: Callable[..., None]) -> Callable[[str, int], None]:
    """Adapt ``(arm, seed)`` callbacks to :func:`netal.cli._common.grid_progress`'s ``tick``."""
    return lambda arm, seed: tick(SimpleNamespace(strategy=arm, seed=seed))


def _print_outcome(outcome: Any) -> None:
    """Print the outcome's tables (not the long score tables) and where the files are."""
    for title, table in outcome.summary["tables"].items():
        if not title.startswith(("Paired", "Scores")):
            typer.echo(f"\n{title}\n{table}")
    typer.echo(f"summary: {outcome.out_dir / 'summary.json'}")
    typer.echo(f"report:  {outcome.report}")


def register(app: typer.Typer) -> None:
    """Attach ``netal acquire`` to the main app."""
    app.command("acquire")(acquire)
