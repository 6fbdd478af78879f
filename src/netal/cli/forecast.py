"""``netal forecast``: traffic forecasting on barcelona-lte with measurement plans under a budget."""

from __future__ import annotations

from pathlib import Path

import typer

from netal.cli._common import fail_cleanly, given_flags, jobs_option, seed_runner, split_names


def _floats(text: str | None, flag: str) -> tuple[float, ...] | None:
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layer)
    from netal.errors import InvalidInputError

    names = split_names(text)
    if names is None:
        return None
    try:
        return tuple(float(n) for n in names)
    except ValueError:
        raise InvalidInputError(flag, f"must be comma-separated numbers, got {text!r}") from None


def forecast(
    config: Path = typer.Option(
        None,
        "--config",
        "-c",
        help="TOML file with a \\[forecast] table whose keys are the settings below (flags win).",
    ),
    stations: str = typer.Option(
        None, "--stations", help="Comma-separated cells (ElBorn, LesCorts, PobleSec). Default: all."
    ),
    budgets: str = typer.Option(
        None,
        "--budgets",
        "-b",
        help="Comma-separated measurement budgets, shares of full cost. Default: 0.1,0.2,0.3,0.5.",
    ),
    arms: str = typer.Option(
        None,
        "--arms",
        help="Comma-separated plans: random, round_robin, phase_cover, uncertainty (full always runs). Default: random,round_robin,uncertainty.",
    ),
    baselines: str = typer.Option(
        None,
        "--baselines",
        help="Comma-separated statsforecast baselines (seasonal_naive, mstl, auto_ets); '' for none. Default: seasonal_naive,mstl.",
    ),
    step_minutes: int = typer.Option(
        None, "--step-minutes", min=2, help="Forecast step. Default: 30."
    ),
    horizon: int = typer.Option(
        None, "--horizon", min=1, help="Steps forecast per origin. Default: 4."
    ),
    n_lags: int = typer.Option(None, "--n-lags", min=1, help="Input steps. Default: 4."),
    window_hours: float = typer.Option(
        None, "--window-hours", help="Length of a measurement window. Default: 6."
    ),
    epochs: int = typer.Option(None, "--epochs", min=1, help="Training epochs. Default: 150."),
    batch: int = typer.Option(
        None, "--batch", min=1, help="Windows per uncertainty round. Default: 4."
    ),
    conformal: bool = typer.Option(
        None,
        "--conformal/--no-conformal",
        help="Calibrate the neural intervals by split conformal prediction on the latest measured rows. Default: off.",
    ),
    seasonal: bool = typer.Option(
        None,
        "--seasonal/--no-seasonal",
        help="Forecast deviations from each cell's measured daily profile. Default: off.",
    ),
    validation: bool = typer.Option(
        None,
        "--validation/--no-validation",
        help="Score on the last 20 % of each training period instead of the test files (to choose variants). Default: off.",
    ),
    seeds: int = typer.Option(None, "--seeds", "-s", min=1, help="Replication seeds. Default: 3."),
    first_seed: int = typer.Option(None, "--first-seed", min=0, help="First seed. Default: 0."),
    data_dir: Path = typer.Option(
        None, "--data-dir", help="Directory of real datasets (default $NETAL_DATA_DIR)."
    ),
    out: Path = typer.Option(Path("forecast-out"), "--out", "-o", help="Output directory."),
    jobs: int = jobs_option(),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Forecast per-cell load on barcelona-lte from chosen measurements, against full measurement.

    Writes OUT/results.parquet (MASE, sMAPE, interval coverage per plan, budget and seed), OUT/summary.json, OUT/figures/ and OUT/report.html. Rerun the same command to resume.
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.experiments.forecast import run_forecast_experiment
    from netal.experiments.forecast.baselines import check_statsforecast
    from netal.experiments.forecast.settings import load_forecast

    with fail_cleanly(debug):
        flags = given_flags(
            stations=split_names(stations),
            budgets=_floats(budgets, "--budgets"),
            arms=split_names(arms),
            baselines=split_names(baselines),
            step_minutes=step_minutes,
            horizon=horizon,
            n_lags=n_lags,
            window_hours=window_hours,
            epochs=epochs,
            batch=batch,
            conformal=conformal,
            seasonal=seasonal,
            validation=validation,
            seeds=seeds,
            first_seed=first_seed,
            data_dir=str(data_dir.resolve()) if data_dir else None,
        )
        settings = load_forecast(config, flags)
        if settings.baselines:
            check_statsforecast()
        study = settings.study()
        study.load()  # files present and regular, before any work
        seed_list = settings.seed_list()
        n_cells = len(study.cells(seed_list))
        with seed_runner(jobs, n_cells, n_cells, "forecast on barcelona-lte", out) as (pool, tick):
            outcome = run_forecast_experiment(out, study, seed_list, executor=pool, on_cell=tick)
        _print(outcome)


def _print(outcome: object) -> None:
    bands = outcome.bands  # type: ignore[attr-defined]
    for _, row in bands.sort_values(["strategy", "budget"]).iterrows():
        typer.echo(
            f"{row['strategy']:>12} budget {row['budget']:.0%}: MASE {row['mase']:.3f} "
            f"[{row['mase_low']:.3f}, {row['mase_high']:.3f}], sMAPE {row['smape']:.1f} %, "
            f"coverage {row['coverage']:.2f} (n={int(row['n'])})"
        )
    baselines = outcome.baselines  # type: ignore[attr-defined]
    if len(baselines):
        for model, rows in baselines.groupby("model"):
            typer.echo(
                f"{model:>12} (full): MASE {rows['mase'].mean():.3f}, "
                f"sMAPE {rows['smape'].mean():.1f} %, coverage {rows['coverage'].mean():.2f}"
            )
    typer.echo(f"report: {outcome.report}")  # type: ignore[attr-defined]


def register(app: typer.Typer) -> None:
    """Attach ``netal forecast`` to the main app."""
    app.command("forecast")(forecast)
