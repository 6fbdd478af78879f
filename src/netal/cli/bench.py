"""``netal bench``: strategies x datasets x seeds, resumable, with paired statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from netal.cli._common import fail_cleanly, grid_progress, open_executor
from netal.cli._data import check_data, data_option, read_data_tables

DATA_TABLES = data_option(repeatable=True)
"""``--data``, repeatable: several tables of one's own."""


def _names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def bench(
    datasets: str = typer.Option(
        None,
        "--datasets",
        "-d",
        help="Comma-separated data sources: 'twin', dataset names (ucc5g, umn-mmwave, ...) and names of your own tables (--data, \\[tables.NAME]). Default: the --data tables, else twin.",
    ),
    data: list[str] = DATA_TABLES,
    strategies: str = typer.Option(
        None,
        "--strategies",
        "-s",
        help="Comma-separated strategies (default: every registered one; 'random' is the baseline).",
    ),
    seeds: int = typer.Option(
        None, "--seeds", "-n", min=1, help="Replication seeds 0..N-1 (default 10)."
    ),
    config: Path = typer.Option(
        None,
        "--config",
        "-c",
        help="Bench TOML: a \\[bench] table (datasets, strategies, seeds) plus the sections of a run config; see examples/bench.toml.",
    ),
    out: Path = typer.Option(
        Path("bench-out"), "--out", "-o", help="Output directory (rerun to resume)."
    ),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Parallel workers (1: this process)."),
    executor: str = typer.Option(
        "", "--executor", help="'local' (worker processes) or 'dask' (default: local)."
    ),
    scheduler: str = typer.Option(
        "", "--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 (implies dask)."
    ),
    data_dir: Path = typer.Option(
        None, "--data-dir", help="Directory of real datasets (default $NETAL_DATA_DIR)."
    ),
    iterations: int = typer.Option(None, "--iterations", min=1, help="Query rounds per cell."),
    batch_size: int = typer.Option(None, "--batch-size", min=1, help="Labels per round."),
    n_initial: int = typer.Option(None, "--n-initial", min=1, help="Initial labeled set size."),
    max_pool: int = typer.Option(None, "--max-pool", min=1, help="Cap on the pool per seed."),
    max_test: int = typer.Option(None, "--max-test", min=1, help="Cap on the test set per seed."),
    rows: int = typer.Option(None, "--rows", min=100, help="Twin rows to generate."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Benchmark active-learning strategies over datasets and seeds.

    Every (dataset, seed, strategy) cell is one learning curve; all strategies of a seed start from the same initial labeled set. Each finished cell is written at once to OUT/cells, so an interrupted bench (Ctrl-C, crash, kill) resumes without redoing finished cells when you rerun the same command. Prints per dataset: mean log RMSE with standard errors, labels to reach random's final RMSE, AUC and paired tests vs random (Markdown, also in OUT/summary.md), and writes OUT/report.html.
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.experiments.tabular import BenchPlan, run_bench
    from netal.experiments.tabular.preflight import check_plan_params

    with fail_cleanly(debug):
        overrides = {
            "iterations": iterations,
            "batch_size": batch_size,
            "n_initial": n_initial,
            "max_pool": max_pool,
            "max_test": max_test,
            "twin_rows": rows,
            "data_dir": str(data_dir.resolve()) if data_dir else None,
        }
        plan = BenchPlan.build(
            config=config,
            datasets=_names(datasets) or None,
            strategies=_names(strategies) or None,
            seeds=seeds,
            overrides={k: v for k, v in overrides.items() if v is not None},
            tables=read_data_tables(data),
        )
        for name in plan.datasets:
            check_data(name, plan.dataset_options(name), plan.base.data_dir)
        check_plan_params(plan, config)
        typer.echo(
            f"bench: {len(plan.datasets)} dataset(s) x {len(plan.strategies)} strategies x "
            f"{len(plan.seeds)} seeds = {plan.n_cells} cells -> {out}"
        )
        with (
            open_executor(jobs, executor, scheduler) as pool,
            grid_progress(plan.n_cells, "bench", out) as tick,
        ):
            outcome = run_bench(plan, out, executor=pool, on_result=tick, on_skipped=tick)
        _print_outcome(outcome)


def _print_outcome(outcome: Any) -> None:
    typer.echo(outcome.markdown)
    typer.echo(f"cells run: {outcome.ran}, resumed from earlier runs: {outcome.skipped}")
    typer.echo(f"results: {outcome.out_dir / 'cells'}")
    typer.echo(f"tables:  {outcome.out_dir / 'summary.md'}")
    typer.echo(f"report:  {outcome.out_dir / 'report.html'}")


def register(app: typer.Typer) -> None:
    """Attach ``netal bench`` to the main app."""
    app.command("bench")(bench)
