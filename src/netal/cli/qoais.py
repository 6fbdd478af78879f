"""``netal qoais``: the quality-of-AI-service scorecard of models, checked against per-tier SLAs (issue 15)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from netal.cli._common import (
    fail_cleanly,
    given_flags,
    grid_progress,
    jobs_option,
    open_executor,
    split_names,
)
from netal.cli._data import check_data, data_option, read_data_tables

EXAMPLE_SLA = "examples/qoais/sla.toml"

SHOWN_INDICATORS: tuple[str, ...] = (
    "rmse",
    "nrmse",
    "coverage_90",
    "calibration_error",
    "train_time_s",
    "train_cpu_s",
    "latency_p99_row_ms",
    "cpu_p50_row_ms",
    "latency_p99_batch_ms",
    "n_params",
    "flops_per_row",
    "noise_50_rmse_ratio",
    "missing_20_rmse_ratio",
    "drift_rmse_ratio",
)
"""The indicators of the terminal table (every one is in OUT/scorecard.csv and the report)."""


def qoais(
    config: Path = typer.Option(
        None,
        "--config",
        "-c",
        help="TOML file with a \\[qoais] table whose keys are the settings below (and learner_params).",
    ),
    dataset: str = typer.Option(
        None, "--dataset", "-d", help="twin, ucc5g, umn-mmwave or another dataset. Default: twin."
    ),
    data: str = data_option(),
    learners: str = typer.Option(
        None,
        "--learners",
        "-l",
        help="Comma-separated models: netal learners (mc_dropout_mlp, deep_ensemble, ...) and lightgbm. Default: mc_dropout_mlp,deep_ensemble,lightgbm.",
    ),
    sla: Path = typer.Option(
        None,
        "--sla",
        help=f"SLA file: a table of thresholds per tier (device, edge, cloud); see {EXAMPLE_SLA}.",
    ),
    drift: str = typer.Option(
        None,
        "--drift",
        help="Shifted domain for drift resilience: auto (twin -> twin-scenario, ucc5g -> ucc5g-static-driving, umn-mmwave -> umn-combined-s20), none, or a transfer task. Default: auto.",
    ),
    seeds: int = typer.Option(None, "--seeds", "-s", min=1, help="Replication seeds. Default: 3."),
    first_seed: int = typer.Option(None, "--first-seed", min=0, help="First seed. Default: 0."),
    rows: int = typer.Option(None, "--rows", min=100, help="Twin rows generated. Default: 12000."),
    max_train: int = typer.Option(
        None, "--max-train", min=10, help="Cap on training rows. Default: 4000."
    ),
    max_test: int = typer.Option(
        None, "--max-test", min=10, help="Cap on test rows. Default: 1000."
    ),
    latency_repeats: int = typer.Option(
        None, "--latency-repeats", min=10, help="Timed one-row predictions per model. Default: 200."
    ),
    from_run: Path = typer.Option(
        None,
        "--from-run",
        help="Score the latest model version of a `netal run` (its TOML file), restored from its knowledge base, on the run's own split, instead of training --learners.",
    ),
    run_out: Path = typer.Option(
        None, "--run-out", help="Output folder of the --from-run run. Default: runs/<file stem>."
    ),
    data_dir: Path = typer.Option(
        None, "--data-dir", help="Directory of real datasets (default $NETAL_DATA_DIR)."
    ),
    out: Path = typer.Option(Path("qoais-out"), "--out", "-o", help="Output directory."),
    jobs: int = jobs_option(),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Score models on accuracy, calibration, latency, size, robustness and drift; check them against SLAs.

    Every (model, seed) cell trains the model on the dataset's training rows and measures its QoAIS indicators (latency on this CPU with one torch thread); cells are stored as they finish (OUT/cells), so a killed run resumes when you rerun the same command. Indicators are reported as the mean and 95 % t interval over seeds and checked per tier of the SLA file. Writes OUT/scorecard.json, OUT/scorecard.csv, OUT/scores.csv (per seed), OUT/summary.md and OUT/report.html.
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.errors import InvalidInputError
    from netal.experiments.qoais import load_qoais, run_knowledge_base, run_qoais_experiment
    from netal.transfer import check_task_data

    with fail_cleanly(debug):
        if from_run is not None and learners is not None:
            raise InvalidInputError(
                "--learners", "does not apply with --from-run (the run's model)"
            )
        tables = read_data_tables(data)
        chosen: dict[str, Any] = {}
        if tables:
            table = next(iter(tables.values()))
            chosen = {"dataset": table.name, "dataset_options": table.options(), "drift": "none"}
        flags = given_flags(
            dataset=dataset,
            learners=split_names(learners),
            sla=str(sla.resolve()) if sla else None,
            drift=drift,
            seeds=seeds,
            first_seed=first_seed,
            twin_rows=rows,
            max_train=max_train,
            max_test=max_test,
            latency_repeats=latency_repeats,
            data_dir=str(data_dir.resolve()) if data_dir else None,
            from_run=str(from_run.resolve()) if from_run else None,
            run_out=str(run_out.resolve()) if run_out else None,
        )
        settings = load_qoais(config, {**chosen, **flags})
        if settings.from_run is None:
            check_data(settings.dataset, settings.dataset_options, settings.data_dir)
        if settings.drift_task is not None:  # the files the shift reads, before any work
            check_task_data(settings.drift_task, settings.data_dir)
        if settings.from_run is not None:
            run_knowledge_base(settings)  # the run's model exists, before any work
            n_cells = 1
            typer.echo(f"qoais: the latest model of {settings.run_folder()} -> {out}")
        else:
            n_cells = len(settings.learners) * settings.seeds
            typer.echo(
                f"qoais: {settings.dataset} (drift: {settings.drift_task or 'none'}), "
                f"{len(settings.learners)} model(s) x {settings.seeds} seeds = {n_cells} cells -> {out}"
            )
        with open_executor(jobs) as pool, grid_progress(n_cells, "qoais", out) as tick:
            outcome = run_qoais_experiment(settings, out, executor=pool, on_cell=tick)
        _print(outcome.card)
        typer.echo(f"cells run: {outcome.ran}, resumed from earlier runs: {outcome.skipped}")
        typer.echo(f"report:    {outcome.out_dir / 'report.html'}")
        typer.echo(f"scorecard: {outcome.out_dir / 'scorecard.json'}, scorecard.csv")


def _print(card: dict[str, Any]) -> None:
    # imported when the command runs (lower layer; keeps `netal --help` fast)
    from netal.report.numbers import format_number

    console = Console()
    models = card["models"]
    table = Table(title=f"QoAIS scorecard: {card['domain']} (mean over {len(card['seeds'])} seeds)")
    table.add_column("indicator")
    for model in models:
        table.add_column(model, justify="right")
    for name in SHOWN_INDICATORS:
        unit = card["indicators"][name]["unit"]
        label = f"{name} ({unit})" if unit and unit != "1" else name
        table.add_row(label, *(format_number(card["scores"][m][name]["mean"]) for m in models))
    console.print(table)
    tiers = (card.get("sla") or {}).get("tiers", {})
    for tier, results in tiers.items():
        verdicts = []
        for model in models:
            result = results[model]
            failed = [c["indicator"] for c in result["checks"] if c["status"] != "pass"]
            verdicts.append(
                f"[green]{model} PASS[/green]"
                if result["passed"]
                else f"[red]{model} FAIL[/red] ({', '.join(failed)})"
            )
        console.print(f"SLA {tier}: " + "; ".join(verdicts))


def register(app: typer.Typer) -> None:
    """Attach ``netal qoais`` to the main app."""
    app.command("qoais")(qoais)
