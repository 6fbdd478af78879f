"""``netal search``: multi-objective architecture search per deployment tier (issue 15)."""

from __future__ import annotations

from pathlib import Path

import typer

from netal.cli._common import (
    fail_cleanly,
    given_flags,
    grid_progress,
    jobs_option,
    open_executor,
    split_names,
)
from netal.cli._data import check_data, data_option, read_data_tables


def search(
    config: Path = typer.Option(
        None,
        "--config",
        "-c",
        help="TOML file with a \\[search] table (settings below), \\[search.space.FAMILY] ranges and \\[search.tiers.NAME] limits; flags win.",
    ),
    datasets: str = typer.Option(
        None,
        "--datasets",
        "-d",
        help="Comma-separated datasets: twin, ucc5g, umn-mmwave, ... Default: twin.",
    ),
    data: str = data_option(),
    transfer_tasks: str = typer.Option(
        None,
        "--transfer-tasks",
        help="Comma-separated transfer tasks (e.g. twin-walking-driving) for the joint search + transfer comparison. Default: none.",
    ),
    trials: int = typer.Option(
        None,
        "--trials",
        "-n",
        min=1,
        help="Trials per dataset and seed, split over the tiers. Default: 60.",
    ),
    sampler: str = typer.Option(
        None, "--sampler", help="nsga2 (default), tpe (multi-objective TPE), random, grid."
    ),
    seeds: int = typer.Option(None, "--seeds", "-s", min=1, help="Replication seeds. Default: 1."),
    first_seed: int = typer.Option(None, "--first-seed", min=0, help="First seed. Default: 0."),
    prune: bool = typer.Option(
        None, "--prune/--no-prune", help="Prune trials dominated at the first stage. Default: on."
    ),
    rows: int = typer.Option(None, "--rows", min=500, help="Twin rows. Default: 20000."),
    data_dir: Path = typer.Option(
        None, "--data-dir", help="Directory of real datasets (default $NETAL_DATA_DIR)."
    ),
    out: Path = typer.Option(Path("search-out"), "--out", "-o", help="Output directory."),
    jobs: int = jobs_option(),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Search MLP and deep-ensemble architectures for error, size and latency, per deployment tier.

    Each tier (device, edge, cloud by default) gets an Optuna search whose constraints are its limits; the front, its hypervolume and the model chosen per tier (lowest validation RMSE within its limits) come from all of them, and each pick is retrained and scored on the test rows beside a tuned LightGBM. Trials are kept in OUT/optuna/*.sqlite, so a killed run resumes when you rerun the same command. Writes OUT/<dataset>/front.png, summary.md and the tables, and OUT/summary.md.
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.errors import InvalidInputError
    from netal.experiments.search import load_search, run_search_experiment
    from netal.transfer import check_task_data

    with fail_cleanly(debug):
        tables = read_data_tables(data)
        if len(tables) > 1:
            raise InvalidInputError("--data", "give one table at a time")
        table_flags = {
            k: v
            for table in tables.values()
            for k, v in (("datasets", (table.name,)), ("dataset_options", table.options()))
        }
        flags = given_flags(
            datasets=split_names(datasets),
            transfer_tasks=split_names(transfer_tasks),
            trials=trials,
            sampler=sampler,
            seeds=seeds,
            first_seed=first_seed,
            prune=prune,
            twin_rows=rows,
            data_dir=str(data_dir.resolve()) if data_dir else None,
        )
        settings = load_search(config, {**flags, **table_flags})
        for name in settings.datasets:
            check_data(name, settings.dataset_options, settings.data_dir)
        for task in settings.transfer_tasks:
            check_task_data(task, settings.data_dir)
        n_cells = (len(settings.datasets) + len(settings.transfer_tasks)) * len(
            settings.seed_list()
        )
        typer.echo(
            f"search: {len(settings.datasets)} dataset(s) x {len(settings.seed_list())} seed(s), "
            f"{settings.trials} trials each over tiers {', '.join(settings.tiers)} "
            f"({settings.sampler}) -> {out}"
        )
        with open_executor(jobs) as pool, grid_progress(n_cells, "search", out) as tick:
            outcome = run_search_experiment(settings, out, executor=pool, on_cell=tick)
        typer.echo(outcome.markdown)
        typer.echo(f"cells run: {outcome.ran}, resumed from earlier runs: {outcome.skipped}")
        for name in settings.datasets:
            typer.echo(f"front:   {outcome.out_dir / name / 'front.png'}")
        typer.echo(f"tables:  {outcome.out_dir / 'summary.md'}")


def register(app: typer.Typer) -> None:
    """Attach ``netal search`` to the main app."""
    app.command("search")(search)
