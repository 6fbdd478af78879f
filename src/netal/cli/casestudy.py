"""``netal casestudy``: the seed paper's mmWave case study, reproduced and done properly."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from netal.cli._common import fail_cleanly, given_flags, grid_progress, open_executor, split_names
from netal.cli._data import check_data, data_option, read_data_tables
from netal.errors import InvalidInputError

CONFIG_HELP = "TOML file with a \\[casestudy] table whose keys are the settings below (flags win); see examples/casestudy.toml."

FLAGS = {
    "n_passes": "--passes",
    "strategies": "--strategies",
    "standardize_target": "--target-scaling",
}
"""Settings whose flag is not the field name with dashes."""


def casestudy(
    config: Path = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
    dataset: str = typer.Option(
        None,
        "--dataset",
        "-d",
        help="'twin' (embedded digital twin), a dataset name (lumos5g, ucc5g, umn-mmwave) or the name of a table of your own (--data, \\[tables.NAME]). Default: twin.",
    ),
    data: str = data_option(),
    protocol: str = typer.Option(
        None,
        "--protocol",
        "-p",
        help="'rigorous' (split by run, no leakage, paired seeds) or 'paper' (the seed's exact, leaky procedure). Default: rigorous.",
    ),
    seeds: int = typer.Option(
        None,
        "--seeds",
        "-s",
        min=1,
        help="Number of replication seeds (paired across arms). Default: 10.",
    ),
    first_seed: int = typer.Option(None, "--first-seed", min=0, help="First seed. Default: 0."),
    strategies: str = typer.Option(
        None,
        "--strategies",
        help="Comma-separated extra strategies, added to 'random' and the paper's rule (e.g. lcmd,coreset).",
    ),
    out: Path = typer.Option(
        Path("casestudy-out"), "--out", "-o", help="Output directory (rerun to resume)."
    ),
    rows: int = typer.Option(
        None, "--rows", min=100, help="Twin rows to generate (Lumos5G has 68,118). Default: 8000."
    ),
    iterations: int = typer.Option(
        None, "--iterations", min=1, help="Query rounds (paper: 10). Default: 10."
    ),
    batch_size: int = typer.Option(
        None, "--batch-size", min=1, help="Labels per round (paper: 4). Default: 4."
    ),
    max_epochs: int = typer.Option(
        None, "--max-epochs", min=1, help="Epoch cap per training (paper: 100). Default: 100."
    ),
    hidden: int = typer.Option(
        None, "--hidden", min=1, help="LSTM units (paper: 256). Default: 256."
    ),
    n_passes: int = typer.Option(
        None, "--passes", min=2, help="MC-dropout passes (paper: 35). Default: 35."
    ),
    max_pool: int = typer.Option(
        None,
        "--max-pool",
        min=0,
        help="Cap on the unlabeled pool per seed (0: no cap). Default: no cap.",
    ),
    labeled_fraction: float = typer.Option(
        None,
        "--labeled-fraction",
        min=0.0001,
        max=0.99,
        help="Initial labeled share of the training windows (paper: 0.2; use less on large data such as ucc5g). Default: 0.2.",
    ),
    max_test: int = typer.Option(
        None,
        "--max-test",
        min=0,
        help="Cap on test and validation windows per seed (0: no cap). Default: no cap.",
    ),
    retrain: str = typer.Option(
        None,
        "--retrain",
        help="'warm' (the paper: keep training the same model) or 'scratch' (re-initialize every iteration). Default: warm.",
    ),
    target_scaling: str = typer.Option(
        None,
        "--target-scaling",
        help="'auto' (raw Mbit/s for the paper protocol as the notebook, standardized for rigorous), 'raw' or 'standardized': fix it to compare the two splits with the same model. Default: auto.",
    ),
    paper_scale: bool = typer.Option(
        False,
        "--paper-scale",
        help="Use the paper's data size (68,118 twin rows) unless --rows is given.",
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

    Writes OUT/summary.json, OUT/report.html and a Markdown table next to the paper's numbers. Every (arm, seed) has its own knowledge base in OUT/kb, so an interrupted run resumes where it stopped. Settings come from --config (a \\[casestudy] table) and the flags (which win).
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.experiments.casestudy import run_casestudy
    from netal.experiments.settings import load_casestudy

    with fail_cleanly(debug):
        flags = given_flags(
            dataset=dataset,
            protocol=protocol,
            seeds=seeds,
            first_seed=first_seed,
            strategies=split_names(strategies),
            rows=68_118 if paper_scale and rows is None else rows,
            iterations=iterations,
            batch_size=batch_size,
            max_epochs=max_epochs,
            hidden=hidden,
            n_passes=n_passes,
            max_pool=max_pool,
            max_test=max_test,
            labeled_fraction=labeled_fraction,
            retrain=retrain,
            standardize_target=target_scaling,
            data_dir=str(data_dir.resolve()) if data_dir else None,
        )
        for cap in ("max_pool", "max_test"):
            if flags.get(cap) == 0:
                flags[cap] = None
        if "standardize_target" in flags:
            flags["standardize_target"] = _target_scaling(flags["standardize_target"])
        study, arms = load_casestudy(config, flags, read_data_tables(data), flags=FLAGS)
        check_data(study.dataset, study.dataset_options, study.data_dir)
        names = arms.arms(study.protocol)
        seed_list = arms.seed_list()
        n_cells = len(seed_list) * len(names)
        with (
            open_executor(jobs, executor, scheduler) as pool,
            grid_progress(n_cells, "case study", out) as tick,
        ):
            outcome = run_casestudy(
                study, strategies=names, seeds=seed_list, out_dir=out, executor=pool, on_result=tick
            )
        typer.echo(outcome.table)
        leak = outcome.summary["leakage"]["leaky_test_window_share"]
        typer.echo(f"test windows sharing rows with training windows: {100 * leak:.1f} %")
        typer.echo(f"cells run: {outcome.ran}, resumed from earlier runs: {outcome.skipped}")
        typer.echo(f"summary: {outcome.out_dir / 'summary.json'}")
        typer.echo(f"report:  {outcome.out_dir / 'report.html'}")


def _target_scaling(text: str) -> bool | None:
    scaling = {"auto": None, "raw": False, "standardized": True}
    if text not in scaling:
        raise InvalidInputError(
            "--target-scaling", f"must be 'auto', 'raw' or 'standardized', got {text!r}"
        )
    return scaling[text]


def register(app: typer.Typer) -> None:
    """Attach ``netal casestudy`` to the main app."""
    app.command("casestudy")(casestudy)
