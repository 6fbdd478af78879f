"""``netal stream``: stream-based active learning, budget managers vs random at equal label rates."""

from __future__ import annotations

from pathlib import Path

import typer

from netal.cli._common import fail_cleanly, jobs_option, seed_runner
from netal.cli.acquire import _names, _print_outcome, _ticker


def stream(
    dataset: str = typer.Option(
        "twin", "--dataset", "-d", help="'twin' or a dataset name (ucc5g, lumos5g, ...)."
    ),
    budget_rate: float = typer.Option(
        0.05, "--budget-rate", "-b", help="Label rate B of every manager (0 < B <= 1)."
    ),
    managers: str = typer.Option(
        "variable_uncertainty,split",
        "--managers",
        help="Comma-separated budget managers compared with 'random' (fixed rate).",
    ),
    seeds: int = typer.Option(3, "--seeds", "-s", min=1, help="Replication seeds."),
    first_seed: int = typer.Option(0, "--first-seed", min=0, help="First seed."),
    rows: int = typer.Option(3000, "--rows", min=2, help="Stream length."),
    n_test: int = typer.Option(500, "--n-test", min=1, help="Held-out rows."),
    n_initial: int = typer.Option(30, "--n-initial", min=1, help="Warm-up labels."),
    checkpoints: int = typer.Option(10, "--checkpoints", min=1, help="Held-out evaluations."),
    data_dir: Path = typer.Option(
        None, "--data-dir", help="Directory of real datasets (default $NETAL_DATA_DIR)."
    ),
    out: Path = typer.Option(Path("stream-out"), "--out", "-o", help="Output directory."),
    jobs: int = jobs_option(),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Run stream budget managers against random sampling at the same label rate.

    Writes OUT/summary.json (held-out RMSE against labels bought) and OUT/report.html.
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.experiments.network import run_stream_experiment
    from netal.stream.budget import check_rate

    with fail_cleanly(debug):
        check_rate(budget_rate, "--budget-rate")
        names = _names(managers, "--managers")
        seed_list = list(range(first_seed, first_seed + seeds))
        arms = 1 + len([m for m in names if m != "fixed_rate"])
        with seed_runner(jobs, len(seed_list), arms * len(seed_list), f"stream on {dataset}") as (
            pool,
            tick,
        ):
            outcome = run_stream_experiment(
                out,
                dataset=dataset,
                data_dir=data_dir,
                budget_rate=budget_rate,
                managers=names,
                seeds=seed_list,
                rows=rows,
                n_test=n_test,
                n_initial=n_initial,
                checkpoints=checkpoints,
                on_result=_ticker(tick),
                executor=pool,
            )
        _print_outcome(outcome)


def register(app: typer.Typer) -> None:
    """Attach ``netal stream`` to the main app."""
    app.command("stream")(stream)
