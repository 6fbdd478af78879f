"""``netal acquire``: joint data acquisition and annotation on the twin, against total cost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import typer

from netal.cli._common import fail_cleanly, given_flags, jobs_option, seed_runner, split_names

CONFIG_HELP = "TOML file with an \\[acquire] table whose keys are the settings below (flags win); see examples/acquire.toml."

FLAGS = {"n_initial_pool": "--initial-pool", "n_initial_labels": "--initial-labels"}
"""Settings whose flag is not the field name with dashes."""


def acquire(
    config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
    budget: float = typer.Option(
        None,
        "--budget",
        "-b",
        help="Total agent time per run (s), initial data included. Default: 6000.",
    ),
    seeds: int = typer.Option(
        None, "--seeds", "-s", min=1, help="Replication seeds (paired arms). Default: 3."
    ),
    first_seed: int = typer.Option(None, "--first-seed", min=0, help="First seed. Default: 0."),
    iterations: int = typer.Option(
        None, "--iterations", min=1, help="Planning rounds. Default: 10."
    ),
    max_actions: int = typer.Option(
        None, "--max-actions", min=1, help="Most actions per round. Default: 20."
    ),
    acquire_size: int = typer.Option(
        None, "--acquire-size", min=1, help="Observations per acquisition action. Default: 4."
    ),
    initial_pool: int = typer.Option(
        None, "--initial-pool", min=1, help="Initial observed samples. Default: 40."
    ),
    initial_labels: int = typer.Option(
        None,
        "--initial-labels",
        min=1,
        help="Initial labels (random, from the initial pool). Default: 10.",
    ),
    n_test: int = typer.Option(
        None, "--n-test", min=1, help="Size of the fixed test set. Default: 400."
    ),
    policies: str = typer.Option(
        None,
        "--policies",
        help="Comma-separated policies (joint, annotate_only, random). Default: all three.",
    ),
    fleet: str = typer.Option(
        None,
        "--fleet",
        help="Measurement agents per mode (e.g. walking:2,driving:1): each round's stops are re-planned for them (networkx TSP along the loop) and their makespan is reported next to the single agent's time. Default: walking:1,driving:1.",
    ),
    out: Path = typer.Option(Path("acquire-out"), "--out", "-o", help="Output directory."),
    jobs: int = jobs_option(),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Grow the pool while labeling it: joint acquisition vs annotation-only vs random, on the twin.

    Writes OUT/summary.json (curves against labels and cost in agent seconds), OUT/queries.parquet and OUT/report.html. Settings come from --config (an \\[acquire] table) and the flags (which win).
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.acquisition.agents import parse_fleet
    from netal.experiments.network import run_joint
    from netal.experiments.settings import load_acquire

    with fail_cleanly(debug):
        flags = given_flags(
            budget=budget,
            seeds=seeds,
            first_seed=first_seed,
            iterations=iterations,
            max_actions=max_actions,
            acquire_size=acquire_size,
            n_initial_pool=initial_pool,
            n_initial_labels=initial_labels,
            n_test=n_test,
            policies=split_names(policies),
            fleet=parse_fleet(fleet, "--fleet") if fleet is not None else None,
        )
        joint, arms = load_acquire(config, flags, flags=FLAGS)
        seed_list = arms.seed_list()
        with seed_runner(
            jobs, len(seed_list), len(arms.policies) * len(seed_list), "joint acquisition", out
        ) as (pool, tick):
            outcome = run_joint(
                out,
                seeds=seed_list,
                policies=list(arms.policies),
                config=joint,
                fleet=dict(arms.fleet),
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
