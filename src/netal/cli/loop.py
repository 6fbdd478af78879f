"""``netal loop``: drive a run's engine by hand or by script, one ask and one tell at a time.

The run is the one ``netal run CONFIG.toml`` would run (same configuration,
same knowledge base ``OUT/kb.sqlite``), but the labels come from whoever
answers: ``ask`` hands out queries (recorded as pending, with an optional
lease), ``tell`` takes a CSV of answers, ``refuse`` gives queries back,
``status`` says where the run stands.  Each call opens the knowledge base,
acts and exits, so people, scripts and agents can take turns.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from netal.cli._common import fail_cleanly
from netal.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

CONFIG = typer.Argument(
    ..., help="Run configuration (TOML), as for `netal run`.", show_default=False
)
OUT = typer.Option(None, "--out", "-o", help="Run directory (default: runs/<config name>).")
DEBUG = typer.Option(False, "--debug", help="Show tracebacks.")
ANSWER_COLUMNS = ("query_id", "label")
SHOWN_COLUMNS = (
    "query_id",
    "sample_id",
    "score",
    "expected_cost",
    "lease_expires",
    "latitude",
    "longitude",
    "mobility_mode",
)
"""What ``ask`` prints for a person; ``--save`` and ``--json`` carry every feature."""


@contextlib.contextmanager
def _open(config: Path, out: Path | None) -> Iterator[tuple[Any, Any, Any]]:
    """The run's spec, prepared data and (opened) loop, holding the run's folder and knowledge base.

    The configuration's parameters and the knowledge base are checked before
    the data is loaded; a second process on the same run waits for nothing:
    it gets one line.
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.experiments.tabular import RunSpec, build_loop, prepare_tabular
    from netal.experiments.tabular.preflight import check_spec_params, claim_run_outputs

    out_dir = out if out is not None else Path("runs") / config.stem
    spec = RunSpec.from_toml(config)
    check_spec_params(spec, config)
    with claim_run_outputs(spec, out_dir) as spec:
        prepared = prepare_tabular(spec)
        yield spec, prepared, build_loop(spec, prepared).open()


def _stamp(epoch: float | None) -> str:
    if epoch is None or (isinstance(epoch, float) and math.isnan(epoch)):
        return ""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _query_table(queries: list[Any], prepared: Any) -> pd.DataFrame:
    # imported when the command runs, not at the top, to keep `netal --help` fast (third-party)
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(
        {
            "query_id": [q.query_id for q in queries],
            "sample_id": [q.sample_id for q in queries],
            "iteration": [q.iteration for q in queries],
            "score": [q.score for q in queries],
            "expected_cost": [q.expected_cost for q in queries],
            "lease_expires": [_stamp(q.lease_expires) for q in queries],
        }
    )
    ids = frame["sample_id"].to_numpy(dtype=np.int64)
    if prepared.places is not None and len(ids):
        places = prepared.places.iloc[ids].reset_index(drop=True)
        frame = pd.concat([frame, places], axis=1)
    if len(ids):
        features = pd.DataFrame(prepared.X[ids], columns=prepared.feature_names)
        features = features.loc[:, ~features.columns.isin(frame.columns)]
        frame = pd.concat([frame, features], axis=1)
    return frame


@app.command()
def ask(
    config: Path = CONFIG,
    n: int = typer.Option(None, "-n", min=1, help="How many queries (default: batch_size)."),
    lease: float = typer.Option(
        None, "--lease", help="Seconds until unanswered queries expire (default: [loop] lease_s)."
    ),
    save: Path = typer.Option(None, "--save", help="Also write the queries to this CSV file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of a table."),
    out: Path = OUT,
    debug: bool = DEBUG,
) -> None:
    """Hand out the next queries: which samples to label or measure, best first.

    Each query is recorded as pending in the knowledge base before it is
    printed, with the sample's features and place, so nobody else gets it.
    Answer them with `netal loop tell CONFIG ANSWERS.csv`.
    """
    with fail_cleanly(debug), _open(config, out) as (_, prepared, loop):
        queries = loop.ask(n, lease=lease)
        table = _query_table(queries, prepared)
        if save is not None:
            table.to_csv(save, index=False)
        if as_json:
            for record in table.to_dict(orient="records"):
                typer.echo(json.dumps(record, default=str))
            return
        if not queries:
            reason = loop.stop_reason or f"{len(loop.pending())} queries pending"
            typer.echo(f"nothing to ask ({'finished: ' if loop.done else ''}{reason})")
            return
        shown = [c for c in SHOWN_COLUMNS if c in table.columns]
        typer.echo(table[shown].to_string(index=False))
        typer.echo(
            f"saved with every feature: {save}"
            if save is not None
            else "add --save FILE.csv (or --json) for every feature of each sample"
        )


def _read_answers(path: Path) -> pd.DataFrame:
    # imported when the command runs, not at the top, to keep `netal --help` fast (third-party)
    import numpy as np
    import pandas as pd

    """``query_id,label[,cost]`` rows; errors name the file, line and column."""
    if not path.is_file():
        raise ConfigError(str(path), "file", "answers file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ConfigError(str(path), "file", f"not a readable CSV file ({exc})") from None
    missing = [c for c in ANSWER_COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(
            str(path), missing[0], f"column missing; need {', '.join(ANSWER_COLUMNS)}[, cost]"
        )
    parsed = pd.DataFrame(index=frame.index)
    for column, kind in (("query_id", "integer"), ("label", "number"), ("cost", "number")):
        if column not in frame.columns:
            continue
        values = pd.to_numeric(frame[column].str.strip(), errors="coerce")
        bad = values.isna() & (frame[column].str.strip() != "" if column == "cost" else True)
        if kind == "integer":
            bad |= values.notna() & (values != values.round())
        bad |= values.notna() & ~np.isfinite(values.to_numpy(dtype=np.float64))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ConfigError(
                f"{path}:{row + 2}",
                column,
                f"{frame[column].iloc[row]!r} is not a {'finite ' if kind == 'number' else ''}"
                f"{kind}",
            )
        parsed[column] = values
    return parsed


@app.command()
def tell(
    config: Path = CONFIG,
    answers: Path = typer.Argument(
        ..., help="CSV with columns query_id,label and optionally cost.", show_default=False
    ),
    out: Path = OUT,
    debug: bool = DEBUG,
) -> None:
    """Record answers to pending queries (all rows or none); retrain when the schedule says so."""
    with fail_cleanly(debug):
        table = _read_answers(answers)
        with _open(config, out) as (_, _, loop):
            _tell(loop, table)


def _tell(loop: Any, table: pd.DataFrame) -> None:
    """Record the answers of ``table`` in ``loop`` and say what happened."""
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.loop import Answer

    costs = table["cost"] if "cost" in table.columns else [math.nan] * len(table)
    result = loop.tell(
        [
            Answer(int(q), float(label), None if math.isnan(cost) else float(cost))
            for q, label, cost in zip(table["query_id"], table["label"], costs, strict=True)
        ]
    )
    typer.echo(
        f"accepted {len(result.accepted)} answers ({len(result.late)} late); "
        f"model version {result.model_version}; {len(loop.pending())} still pending"
    )
    _echo_latest_metrics(loop)


@app.command()
def refuse(
    config: Path = CONFIG,
    query_ids: list[int] = typer.Argument(..., help="Ids of pending queries to give back."),
    out: Path = OUT,
    debug: bool = DEBUG,
) -> None:
    """Give pending queries back to the pool (their samples can be asked again)."""
    with fail_cleanly(debug), _open(config, out) as (_, _, loop):
        released = loop.refuse(query_ids)
        typer.echo(f"refused {released} queries; {len(loop.pending())} still pending")


@app.command()
def status(config: Path = CONFIG, out: Path = OUT, debug: bool = DEBUG) -> None:
    """Where the run stands: model version, labels and cost spent, pending queries, last metrics."""
    with fail_cleanly(debug), _open(config, out) as (_, _, loop):
        loop.expire()
        result = loop.result()
        state = f"finished ({loop.stop_reason})" if loop.done else "running"
        typer.echo(
            f"run {loop.run_name!r}: {state}; model version {loop.model_version}; "
            f"{len(result.labeled_ids)} labeled ({result.spent_labels} bought, "
            f"cost {result.spent_cost:g}); {len(loop.pending())} pending"
        )
        _echo_latest_metrics(loop)


def _echo_latest_metrics(loop: Any) -> None:
    metrics = loop.result().metrics
    if len(metrics):
        last = metrics.iloc[-1]
        shown = {k: last[k] for k in ("test_rmse", "test_mae") if k in last}
        if shown:
            typer.echo(
                f"version {int(metrics.index[-1])}: "
                + ", ".join(f"{k} {v:.4g}" for k, v in shown.items())
            )
