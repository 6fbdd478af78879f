"""``netal casestudy``: the seed paper's mmWave case study, reproduced and done properly."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from netal.cli._common import fail_cleanly, grid_progress, open_executor
from netal.errors import InvalidInputError

DEFAULT_STRATEGIES = {"rigorous": ("random", "paper"), "paper": ("random", "paper_notebook")}
"""Arms per protocol: the paper protocol runs the rule exactly as the notebook did."""


def casestudy(
    dataset: str = typer.Option(
        "twin",
        "--dataset",
        "-d",
        help="'twin' (embedded digital twin) or a dataset name (lumos5g, ucc5g, umn-mmwave).",
    ),
    protocol: str = typer.Option(
        "rigorous",
        "--protocol",
        "-p",
        help="'rigorous' (split by run, no leakage, paired seeds) or 'paper' (the seed's exact, leaky procedure).",
    ),
    seeds: int = typer.Option(
        10, "--seeds", "-s", min=1, help="Number of replication seeds (paired across arms)."
    ),
    first_seed: int = typer.Option(0, "--first-seed", min=0, help="First seed."),
    strategies: str = typer.Option(
        "",
        "--strategies",
        help="Comma-separated extra strategies, added to 'random' and the paper's rule (e.g. lcmd,coreset).",
    ),
    out: Path = typer.Option(
        Path("casestudy-out"), "--out", "-o", help="Output directory (rerun to resume)."
    ),
    rows: int = typer.Option(
        8_000, "--rows", min=100, help="Twin rows to generate (Lumos5G has 68,118)."
    ),
    iterations: int = typer.Option(10, "--iterations", min=1, help="Query rounds (paper: 10)."),
    batch_size: int = typer.Option(4, "--batch-size", min=1, help="Labels per round (paper: 4)."),
    max_epochs: int = typer.Option(
        100, "--max-epochs", min=1, help="Epoch cap per training (paper: 100)."
    ),
    hidden: int = typer.Option(256, "--hidden", min=1, help="LSTM units (paper: 256)."),
    n_passes: int = typer.Option(35, "--passes", min=2, help="MC-dropout passes (paper: 35)."),
    max_pool: int = typer.Option(
        0, "--max-pool", min=0, help="Cap on the unlabeled pool per seed (0: no cap)."
    ),
    labeled_fraction: float = typer.Option(
        0.2,
        "--labeled-fraction",
        min=0.0001,
        max=0.99,
        help="Initial labeled share of the training windows (paper: 0.2; use less on large data such as ucc5g).",
    ),
    max_test: int = typer.Option(
        0, "--max-test", min=0, help="Cap on test and validation windows per seed (0: no cap)."
    ),
    retrain: str = typer.Option(
        "warm",
        "--retrain",
        help="'warm' (the paper: keep training the same model) or 'scratch' (re-initialize every iteration).",
    ),
    target_scaling: str = typer.Option(
        "auto",
        "--target-scaling",
        help="'auto' (raw Mbit/s for the paper protocol as the notebook, standardized for rigorous), 'raw' or 'standardized': fix it to compare the two splits with the same model.",
    ),
    paper_scale: bool = typer.Option(
        False, "--paper-scale", help="Use the paper's data size (68,118 twin rows)."
    ),
    data_dir: Path = typer.Option(
        None, "--data-dir", help="Directory of real datasets (default $NETAL_DATA_DIR)."
    ),
    jobs: int = typer.Option(
        min(2, os.cpu_count() or 1),
        "--jobs",
        "-j",
        min=1,
        help="Worker processes running (arm, seed) cells in parallel (1: in this process).",
    ),
    executor: str = typer.Option(
        "", "--executor", help="'local' or 'dask' (default: local, serial if --jobs 1)."
    ),
    scheduler: str = typer.Option(
        "", "--scheduler", help="Dask scheduler address (implies --executor dask)."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Run the seed paper's case study: active (MC-dropout variance) vs passive labeling of throughput windows.

    Writes OUT/summary.json, OUT/report.html and a Markdown table next to the paper's numbers. Every (arm, seed) has its own knowledge base in OUT/kb, so an interrupted run resumes where it stopped.
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.experiments.casestudy import CaseStudyConfig, run_casestudy
    from netal.strategies import STRATEGIES

    with fail_cleanly(debug):
        scaling = {"auto": None, "raw": False, "standardized": True}
        if target_scaling not in scaling:
            raise InvalidInputError(
                "--target-scaling",
                f"must be 'auto', 'raw' or 'standardized', got {target_scaling!r}",
            )
        extra = [s.strip() for s in strategies.split(",") if s.strip()]
        arms = list(dict.fromkeys([*DEFAULT_STRATEGIES.get(protocol, ()), *extra]))
        config = CaseStudyConfig(
            dataset=dataset,
            protocol=protocol,
            rows=68_118 if paper_scale else rows,
            iterations=iterations,
            batch_size=batch_size,
            max_epochs=max_epochs,
            hidden=hidden,
            n_passes=n_passes,
            max_pool=max_pool or None,
            max_test=max_test or None,
            labeled_fraction=labeled_fraction,
            retrain=retrain,
            standardize_target=scaling[target_scaling],
            data_dir=str(data_dir) if data_dir else None,
        )
        for name in arms:
            STRATEGIES.get(name)  # an unknown name fails before any progress bar or work
        seed_list = list(range(first_seed, first_seed + seeds))
        n_cells = len(seed_list) * len(arms)
        with (
            open_executor(jobs, executor, scheduler) as pool,
            grid_progress(n_cells, "case study") as tick,
        ):
            outcome = run_casestudy(
                config, strategies=arms, seeds=seed_list, out_dir=out, executor=pool, on_result=tick
            )
        typer.echo(outcome.table)
        leak = outcome.summary["leakage"]["leaky_test_window_share"]
        typer.echo(f"test windows sharing rows with training windows: {100 * leak:.1f} %")
        typer.echo(f"cells run: {outcome.ran}, resumed from earlier runs: {outcome.skipped}")
        typer.echo(f"summary: {outcome.out_dir / 'summary.json'}")
        typer.echo(f"report:  {outcome.out_dir / 'report.html'}")


def register(app: typer.Typer) -> None:
    """Attach ``netal casestudy`` to the main app."""
    app.command("casestudy")(casestudy)
