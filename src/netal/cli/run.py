"""``netal run CONFIG.toml``: one active-learning run from a configuration file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from netal.cli._common import fail_cleanly
from netal.cli._data import check_data, data_option, read_data_tables

EXAMPLE = "examples/run-twin.toml"


def run(
    config: Path = typer.Argument(
        ...,
        help=f"TOML file describing the run (data, split, learner, strategy, loop, budget); see {EXAMPLE}.",
        show_default=False,
    ),
    out: Path = typer.Option(
        None,
        "--out",
        "-o",
        help="Output directory (default: runs/<config name>). Rerun the same command to resume.",
    ),
    data: str = data_option(),
    data_dir: Path = typer.Option(
        None,
        "--data-dir",
        help="Directory of real datasets (default: the config's, else $NETAL_DATA_DIR).",
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Run one pool-based active-learning experiment described by CONFIG.toml.

    Loads the data (the digital twin or a real dataset), splits it without leakage, then repeats: train the learner on the labeled rows, let the strategy pick a batch from the pool, reveal its labels. Writes OUT/kb.sqlite (the knowledge base: every query, label, metric and checkpoint), OUT/summary.json and OUT/report.html, and prints the learning curve. An interrupted run resumes from the knowledge base.
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.experiments.tabular import RunSpec
    from netal.experiments.tabular.preflight import check_spec_params, claim_run_outputs

    with fail_cleanly(debug):
        out_dir = out if out is not None else Path("runs") / config.stem
        tables = read_data_tables(data)
        chosen = {"dataset": next(iter(tables))} if len(tables) == 1 else {}
        if data_dir is not None:
            chosen["data_dir"] = str(data_dir.resolve())
        spec = RunSpec.from_toml(config, tables, **chosen)
        check_data(spec.dataset, spec.dataset_options, spec.data_dir)
        check_spec_params(spec, config)
        with claim_run_outputs(spec, out_dir) as spec:
            _run(spec, out_dir)


def _run(spec: Any, out_dir: Path) -> None:
    """Load the data, run (or resume) the loop, write and print the outputs (folder and KB held)."""
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.experiments.tabular import prepare_tabular, write_run_outputs
    from netal.report import build_report

    typer.echo(
        f"run: {spec.strategy} on {spec.dataset}, learner {spec.learner}, "
        f"{spec.iterations} iterations x {spec.batch_size} labels, seed {spec.seed}"
    )
    prepared = prepare_tabular(spec)
    typer.echo(
        f"data: {len(prepared.X)} candidates ({len(prepared.initial_ids)} labeled), "
        f"{len(prepared.X_test)} test rows, {prepared.split} split"
    )
    result = _run_with_progress(spec, prepared)
    write_run_outputs(spec, result, prepared, out_dir)
    report = build_report(out_dir)
    _print_curve(result)
    typer.echo(f"stopped: {result.stop_reason}")
    typer.echo(f"knowledge base: {spec.knowledge_base}")
    typer.echo(f"summary: {out_dir / 'summary.json'}")
    typer.echo(f"report:  {report}")


def _run_with_progress(spec: object, prepared: object) -> object:
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.experiments.tabular import run_active_learning

    with Progress(
        "[bold]iterations",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        "eta",
        TimeRemainingColumn(),
        transient=True,
    ) as progress:
        task = progress.add_task("run", total=spec.iterations + 1)  # type: ignore[attr-defined]

        def tick(iteration: int) -> None:
            progress.update(task, completed=iteration + 1)

        result = run_active_learning(spec, prepared, on_iteration=tick)  # type: ignore[arg-type]
        progress.update(task, completed=spec.iterations + 1)  # type: ignore[attr-defined]
    return result


def _print_curve(result: object) -> None:
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.experiments.tabular import records_of

    records = records_of(result)
    table = Table(title="learning curve (test set)")
    for column in ("iteration", "labels", "cost", "RMSE", "MAE", "q95 |error|"):
        table.add_column(column, justify="right")
    for row in records.itertuples():
        table.add_row(
            str(row.iteration),
            str(row.n_labels),
            f"{row.cost:g}",
            f"{row.rmse:.4g}",
            f"{row.mae:.4g}",
            f"{row.q95:.4g}",
        )
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Attach ``netal run`` to the main app."""
    app.command("run")(run)
