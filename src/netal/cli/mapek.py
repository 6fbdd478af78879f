"""``netal mapek run``: the closed MAPE-K loop on a twin timeline or a replayed dataset, policies x seeds."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from netal.cli._common import fail_cleanly, given_flags, grid_progress, open_executor, split_names
from netal.cli._data import check_data, data_option, read_data_tables
from netal.errors import InvalidInputError

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

FLAGS = {"policies": "--policies", "change_on": "--change-on"}
"""Settings whose flag is not the field name with dashes."""


@app.command("run")
def run(
    timeline: Path = typer.Argument(
        None,
        help="Twin timeline TOML (events over time; see examples/timeline-twin.toml). Default: the packaged timeline. Not with --dataset.",
    ),
    dataset: str = typer.Option(
        None,
        "--dataset",
        "-d",
        help="Replay a real dataset in time order instead of the twin: ucc5g, barcelona-lte, umn-mmwave, or a table of your own (--data, \\[tables.NAME]).",
    ),
    config: Path = typer.Option(
        None,
        "--config",
        "-c",
        help="TOML with a \\[mapek] table (and \\[mapek.analyze]) whose keys are the settings (flags win); see examples/mapek.toml.",
    ),
    policies: str = typer.Option(
        None,
        "--policies",
        help="Comma-separated policies: never, periodic, drift_random, netal. Default: all four.",
    ),
    seeds: int = typer.Option(None, "--seeds", "-s", min=1, help="Replication seeds. Default: 3."),
    first_seed: int = typer.Option(None, "--first-seed", min=0, help="First seed. Default: 0."),
    period_s: float = typer.Option(
        None, "--period-s", help="Seconds of stream per MAPE-K cycle. Default: 600."
    ),
    spot_rate: float = typer.Option(
        None,
        "--spot-rate",
        help="Share of each period's samples labeled to watch the model. Default: 0.05.",
    ),
    label_budget: int = typer.Option(
        None,
        "--label-budget",
        min=0,
        help="Labels a run may buy after the warm-up. Default: no limit.",
    ),
    labels: int = typer.Option(
        None, "--labels", min=1, help="Labels per retraining (periodic) or per alarm. Default: 40."
    ),
    every: int = typer.Option(
        None, "--every", min=1, help="Periods between periodic retrainings. Default: 6."
    ),
    max_rows: int = typer.Option(
        None, "--max-rows", min=100, help="Replays: cap on the stream's rows. Default: all."
    ),
    data: str = data_option(),
    change_on: str = typer.Option(
        None,
        "--change-on",
        help="With --data: comma-separated columns whose change is a change point (scores detection), e.g. mode,cell_id.",
    ),
    data_dir: Path = typer.Option(
        None, "--data-dir", help="Directory of real datasets (default $NETAL_DATA_DIR)."
    ),
    out: Path = typer.Option(
        Path("mapek-out"), "--out", "-o", help="Output directory (rerun to resume)."
    ),
    jobs: int = typer.Option(
        1, "--jobs", "-j", min=1, help="Worker processes (1: this process, with the live view)."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Run the closed loop: monitor a stream, detect drift, buy labels, retrain, validate, promote.

    Each (policy, seed) keeps its own knowledge base in OUT/kb, so a run killed at any moment resumes at the period it was in when you rerun the same command. Writes OUT/summary.json (error, labels, retrains, detection F1/delay/false alarms per policy with 95 % intervals), OUT/periods.parquet, OUT/events.parquet and OUT/report.html.
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from dataclasses import replace

    from netal.experiments.settings import load_mapek
    from netal.harness.study import run_study

    with fail_cleanly(debug):
        flags = given_flags(
            dataset=dataset,
            timeline=str(timeline.resolve()) if timeline else None,
            policies=split_names(policies),
            seeds=seeds,
            first_seed=first_seed,
            period_s=period_s,
            spot_rate=spot_rate,
            label_budget=label_budget,
            labels=labels,
            every=every,
            max_rows=max_rows,
            change_on=split_names(change_on),
            data_dir=str(data_dir.resolve()) if data_dir else None,
        )
        loop_config, arms, source = load_mapek(config, flags, read_data_tables(data), flags=FLAGS)
        if source.dataset_options:
            check_data(source.dataset, source.dataset_options, source.data_dir)
        if out.exists() and not out.is_dir():
            raise InvalidInputError("--out", f"{out} is a file; give a directory")
        study = source.study(loop_config, arms, str(out.resolve()))
        seed_list = source.seed_list()
        n_cells = len(seed_list) * len(arms.policies)
        typer.echo(
            f"mapek: {source.dataset}, {len(arms.policies)} policies x {len(seed_list)} seeds "
            f"= {n_cells} runs -> {out}"
        )
        with open_executor(jobs) as pool, _progress(jobs, n_cells, out) as (on_cell, on_period):
            if on_period is not None:
                study = replace(study, on_period=on_period)
            outcome = run_study(
                study, seed_list, out, pool, on_cell=on_cell, on_skipped=lambda c: on_cell(c, None)
            )
        for title, table in outcome.tables.items():
            typer.echo(f"\n{title}\n{table}")
        typer.echo(f"runs: {outcome.ran} now, {outcome.skipped} resumed from earlier runs")
        typer.echo(f"summary: {out / 'summary.json'}")
        typer.echo(f"report:  {out / 'report.html'}")


@contextlib.contextmanager
def _progress(jobs: int, n_cells: int, out: Path) -> Iterator[tuple[Callable[..., None], Any]]:
    """Cells done (a bar, and one per running cell); in this process a live view of the stream."""
    if jobs > 1:
        with grid_progress(n_cells, "closed loop", out) as tick:
            yield (lambda cell, _output=None: tick(cell)), None
        return
    view = _LiveView(n_cells)
    with Live(view.render(), console=Console(), refresh_per_second=4, transient=False) as live:
        view.live = live
        yield view.cell_done, view.period_done


class _LiveView:
    """Error, alarms, labels and model version of the stream being run, period by period."""

    def __init__(self, n_cells: int) -> None:
        self.n_cells = n_cells
        self.done = 0
        self.cell: Any = None
        self.row: dict[str, Any] = {}
        self.alarms = 0
        self.live: Live | None = None

    def cell_done(self, cell: Any, _output: Any = None) -> None:
        self.done += 1
        self._refresh()

    def period_done(self, cell: Any, row: dict[str, Any]) -> None:
        if cell != self.cell:
            self.cell, self.alarms = cell, 0
        self.row = row
        self.alarms += bool(row.get("alarm"))
        self._refresh()

    def _refresh(self) -> None:
        if self.live is not None:
            self.live.update(self.render())

    def render(self) -> Table:
        table = Table(title=f"closed loop: {self.done} of {self.n_cells} runs done", expand=False)
        for column in (
            "run",
            "period",
            "stream h",
            "RMSE",
            "alarms",
            "labels",
            "retrains",
            "model",
        ):
            table.add_column(column, justify="right", no_wrap=True)
        if self.cell is not None and self.row:
            row = self.row
            table.add_row(
                f"{self.cell.strategy} seed {self.cell.seed}",
                str(row["period"]),
                f"{row['time_s'] / 3600:.1f}",
                f"{row['rmse']:.1f}",
                str(self.alarms),
                str(row["labels"]),
                str(row["retrains"]),
                f"v{row['deployed_version']}",
            )
        return table
