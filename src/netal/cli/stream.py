"""``netal stream``: stream-based active learning, budget managers vs random at equal label rates."""

from __future__ import annotations

from pathlib import Path

import typer

from netal.cli._common import fail_cleanly, given_flags, jobs_option, seed_runner, split_names
from netal.cli._data import check_data, data_option, read_data_tables
from netal.cli.acquire import _print_outcome, _ticker


def stream(
    config: Path = typer.Option(
        None,
        "--config",
        "-c",
        help="TOML file with a \\[stream] table whose keys are the settings below (flags win); see examples/stream.toml.",
    ),
    dataset: str = typer.Option(
        None,
        "--dataset",
        "-d",
        help="'twin', a dataset name (ucc5g, lumos5g, ...) or the name of a table of your own (--data, \\[tables.NAME]). Default: twin.",
    ),
    data: str = data_option(),
    budget_rate: float = typer.Option(
        None,
        "--budget-rate",
        "-b",
        help="Label rate B of every manager (0 < B <= 1). Default: 0.05.",
    ),
    managers: str = typer.Option(
        None,
        "--managers",
        help="Comma-separated budget managers compared with 'random' (fixed rate). Default: variable_uncertainty,split.",
    ),
    seeds: int = typer.Option(None, "--seeds", "-s", min=1, help="Replication seeds. Default: 3."),
    first_seed: int = typer.Option(None, "--first-seed", min=0, help="First seed. Default: 0."),
    rows: int = typer.Option(None, "--rows", min=2, help="Stream length. Default: 3000."),
    n_test: int = typer.Option(None, "--n-test", min=1, help="Held-out rows. Default: 500."),
    n_initial: int = typer.Option(None, "--n-initial", min=1, help="Warm-up labels. Default: 30."),
    checkpoints: int = typer.Option(
        None, "--checkpoints", min=1, help="Held-out evaluations. Default: 10."
    ),
    data_dir: Path = typer.Option(
        None, "--data-dir", help="Directory of real datasets (default $NETAL_DATA_DIR)."
    ),
    out: Path = typer.Option(Path("stream-out"), "--out", "-o", help="Output directory."),
    jobs: int = jobs_option(),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Run stream budget managers against random sampling at the same label rate.

    Writes OUT/summary.json (held-out RMSE against labels bought) and OUT/report.html. Settings come from --config (a \\[stream] table) and the flags (which win).
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.experiments.network import run_stream_experiment
    from netal.experiments.settings import load_stream

    with fail_cleanly(debug):
        flags = given_flags(
            dataset=dataset,
            budget_rate=budget_rate,
            managers=split_names(managers),
            seeds=seeds,
            first_seed=first_seed,
            rows=rows,
            n_test=n_test,
            n_initial=n_initial,
            checkpoints=checkpoints,
            data_dir=str(data_dir.resolve()) if data_dir else None,
        )
        settings = load_stream(config, flags, read_data_tables(data))
        check_data(settings.dataset, settings.dataset_options, settings.data_dir)
        seed_list = settings.seed_list()
        arms = 1 + len([m for m in settings.managers if m != "fixed_rate"])
        with seed_runner(
            jobs,
            len(seed_list),
            arms * len(seed_list),
            f"stream on {settings.dataset}",
            out,
        ) as (pool, tick):
            outcome = run_stream_experiment(
                out, **settings.study_kwargs(), on_result=_ticker(tick), executor=pool
            )
        _print_outcome(outcome)


def register(app: typer.Typer) -> None:
    """Attach ``netal stream`` to the main app."""
    app.command("stream")(stream)
