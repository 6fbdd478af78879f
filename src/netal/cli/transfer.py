"""``netal transfer``: transfer + active learning between network domains (issue 15)."""

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


def transfer(
    config: Path = typer.Option(
        None,
        "--config",
        "-c",
        help="TOML file with a \\[transfer] table whose keys are the settings below (flags win).",
    ),
    tasks: str = typer.Option(
        None,
        "--tasks",
        "-t",
        help="Comma-separated transfer tasks: twin-walking-driving, twin-scenario, ucc5g-static-driving, ucc5g-download-netflix, umn-combined-s20. Default: twin-walking-driving.",
    ),
    arms: str = typer.Option(
        None,
        "--arms",
        help="Comma-separated arms: scratch_random (always run), scratch_al, transfer_random, transfer_al, no_adaptation, lightgbm. Default: all.",
    ),
    strategy: str = typer.Option(
        None, "--strategy", help="AL strategy of the *_al arms (any netal strategy). Default: clue."
    ),
    policy: str = typer.Option(
        None,
        "--policy",
        help="Fine-tuning policy of the transfer arms: full, last_layers, l2sp, none. Default: full.",
    ),
    alpha: float = typer.Option(None, "--alpha", min=0.0, help="L2-SP strength. Default: 0.01."),
    rescale_target: bool = typer.Option(
        None,
        "--rescale-target/--source-scale",
        help="Fine-tune on the target labels' standardization (head rescaled) instead of the source's. Default: source scale.",
    ),
    seeds: int = typer.Option(None, "--seeds", "-s", min=1, help="Replication seeds. Default: 3."),
    first_seed: int = typer.Option(None, "--first-seed", min=0, help="First seed. Default: 0."),
    iterations: int = typer.Option(
        None, "--iterations", "-n", min=1, help="Label rounds in the target. Default: 10."
    ),
    batch_size: int = typer.Option(
        None, "--batch-size", "-b", min=1, help="Target labels per round. Default: 10."
    ),
    n_initial: int = typer.Option(
        None,
        "--n-initial",
        min=1,
        help="Free initial target labels, shared by all arms. Default: 10.",
    ),
    epochs: int = typer.Option(None, "--epochs", min=1, help="Training epochs. Default: 200."),
    pretrain_epochs: int = typer.Option(
        None, "--pretrain-epochs", min=1, help="Source pretraining epochs. Default: 40."
    ),
    rows: int = typer.Option(
        None, "--rows", min=100, help="Twin rows per data set. Default: 12000."
    ),
    max_source: int = typer.Option(None, "--max-source", min=1, help="Cap on source rows."),
    max_pool: int = typer.Option(None, "--max-pool", min=1, help="Cap on the target pool."),
    max_test: int = typer.Option(None, "--max-test", min=1, help="Cap on target test rows."),
    data_dir: Path = typer.Option(
        None, "--data-dir", help="Directory of real datasets (default $NETAL_DATA_DIR)."
    ),
    out: Path = typer.Option(Path("transfer-out"), "--out", "-o", help="Output directory."),
    jobs: int = jobs_option(),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Pretrain on a source domain, then label in the target: scratch vs transfer, random vs AL.

    Every (task, seed, arm) cell is one label-budget curve on the target's test rows; all arms of a seed start from the same initial target labels. Cells are stored as they finish (OUT/cells) and each keeps its knowledge base (OUT/kb), so a killed run resumes when you rerun the same command. Writes OUT/<task>/report.html and summary.md (labels needed to reach the from-scratch final error) and OUT/summary.md.
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.experiments.transfer import load_transfer, run_transfer_experiment
    from netal.transfer import check_task_data

    with fail_cleanly(debug):
        flags = given_flags(
            tasks=split_names(tasks),
            arms=split_names(arms),
            strategy=strategy,
            policy=policy,
            alpha=alpha,
            rescale_target=rescale_target,
            seeds=seeds,
            first_seed=first_seed,
            iterations=iterations,
            batch_size=batch_size,
            n_initial=n_initial,
            epochs=epochs,
            pretrain_epochs=pretrain_epochs,
            twin_rows=rows,
            max_source=max_source,
            max_pool=max_pool,
            max_test=max_test,
            data_dir=str(data_dir.resolve()) if data_dir else None,
        )
        settings = load_transfer(config, flags)
        for task in settings.tasks:
            check_task_data(task, settings.data_dir)
        n_cells = len(settings.tasks) * len(settings.seed_list()) * len(settings.run_arms)
        typer.echo(
            f"transfer: {len(settings.tasks)} task(s) x {len(settings.seed_list())} seeds x "
            f"{len(settings.run_arms)} arms = {n_cells} cells -> {out}"
        )
        with (
            open_executor(jobs) as pool,
            grid_progress(n_cells, "transfer", out) as tick,
        ):
            outcome = run_transfer_experiment(settings, out, executor=pool, on_cell=tick)
        typer.echo(outcome.markdown)
        typer.echo(f"cells run: {outcome.ran}, resumed from earlier runs: {outcome.skipped}")
        for task in outcome.summaries:
            typer.echo(f"report:  {outcome.out_dir / task / 'report.html'}")
        typer.echo(f"tables:  {outcome.out_dir / 'summary.md'}")


def register(app: typer.Typer) -> None:
    """Attach ``netal transfer`` to the main app."""
    app.command("transfer")(transfer)
