"""The closed-loop study: policies x seeds on a twin timeline or a replayed dataset, scored and reported.

One cell = one policy on one seed's stream, with its own knowledge base
(``OUT/kb/<cell key>.sqlite``), so a run killed mid-stream resumes at the
period it was in.  :meth:`MapekStudy.finish` scores every cell (detection
against the known change points, error over time, labels, retrains), compares
the policies over seeds with 95 % t intervals (paired by seed), and writes
``summary.json``, ``periods.parquet``, ``events.parquet``, ``changes.parquet``
and the report.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from netal.atomic import write_parquet
from netal.errors import InvalidInputError
from netal.experiments.mapek.replays import REPLAYS, replay_stream
from netal.experiments.mapek.table_replay import table_replay
from netal.experiments.mapek.twin import twin_stream
from netal.experiments.sources import cached_source, check_source, data_provenance
from netal.harness.grid import Cell
from netal.harness.progress import report
from netal.harness.store import CellOutput
from netal.harness.study import StudyRun, cell_knowledge_base
from netal.mapek import POLICIES, MapekConfig, NetworkStream, run_closed_loop
from netal.mapek.scoring import detection_score, error_summary
from netal.report import build_report, summary_from_results, write_summary
from netal.report.numbers import format_interval, format_number, markdown_table

TWIN = "twin"
TWIN_RMSE_UNIT = "Mbit/s"
"""The twin stream's target is throughput in Mbit/s (:mod:`netal.experiments.mapek.twin`)."""


@dataclass(frozen=True)
class MapekPolicies:
    """The policies compared and their shared knobs (equal labels per retraining for all).

    Parameters
    ----------
    policies
        Names of :data:`netal.mapek.POLICIES`.
    labels
        Labels bought per retraining (periodic) or per alarm and follow-up (drift-triggered).
    every
        Periods between two retrainings of ``periodic``.
    follow_up, cooldown
        Drift-triggered policies: periods of follow-up labeling after an alarm,
        and periods in which a new alarm is not answered.
    forget
        Drift-triggered policies: retrain on the labels since the alarm only
        (``true``), keep the window of recent labels (``false``), or train both
        and let the validation choose (``"auto"``).
    strategy
        The acquisition function of ``netal`` (a name of :data:`netal.strategies.STRATEGIES`).
    """

    policies: tuple[str, ...] = ("never", "periodic", "drift_random", "netal")
    labels: int = 40
    every: int = 6
    follow_up: int = 1
    cooldown: int = 3
    forget: bool | str = True
    strategy: str = "max_variance"

    def __post_init__(self) -> None:
        if not self.policies:
            raise InvalidInputError("policies", "names no policy")
        for name in self.policies:
            self.make(name)

    def make(self, name: str) -> Any:
        """The policy ``name`` with these knobs."""
        factory = POLICIES.get(name)
        params: dict[str, Any] = {}
        if name == "periodic":
            params = {"every": self.every, "labels": self.labels}
        elif name == "drift_random":
            params = {"labels": self.labels, "follow_up": self.follow_up,
                      "cooldown": self.cooldown, "forget": self.forget}  # fmt: skip
        elif name == "netal":
            params = {"labels": self.labels, "follow_up": self.follow_up,
                      "cooldown": self.cooldown, "strategy": self.strategy,
                      "forget": self.forget}  # fmt: skip
        return factory(**params)


@dataclass(frozen=True)
class MapekStudy:
    """Policies x seeds of the closed loop on one stream source.

    Parameters
    ----------
    source
        ``"twin"`` (a twin timeline; the seed simulates the stream) or a name
        of :data:`~netal.experiments.mapek.replays.REPLAYS` (a real stream in
        time order; the seed varies the spot checks and the learner).
    config
        The loop's settings (periods, spot rate, budgets, detectors).
    arms
        The policies and their knobs.
    timeline
        Twin only: the timeline file (None: the packaged default).
    data_dir
        Replays: directory of real datasets (default ``$NETAL_DATA_DIR``).
    max_rows
        Replays: cap on the stream (its first rows in time order).
    tolerance_s
        How long after a change an alarm still detects it (default: 3 periods).
    dataset_options
        A user table's loader options as JSON (``source`` is then the table's
        name, replayed by :func:`~netal.experiments.mapek.table_replay.table_replay`);
        "" for the twin and the named replays.
    change_on
        User tables: the columns whose change is a change point.
    workdir
        Where each cell's knowledge base goes (``<workdir>/kb``); None: in memory.
    on_period
        Called with the cell and each finished period's row (a live view; only
        for cells run in this process: it is not sent to worker processes).
    """

    source: str
    config: MapekConfig
    arms: MapekPolicies
    timeline: str | None = None
    data_dir: str | None = None
    max_rows: int | None = None
    tolerance_s: float | None = None
    dataset_options: str = ""
    change_on: tuple[str, ...] = ()
    workdir: str | None = None
    on_period: Callable[[Cell, dict[str, Any]], None] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.dataset_options:
            check_source(self.source, json.loads(self.dataset_options))
        elif self.source != TWIN and self.source not in REPLAYS:
            raise InvalidInputError(
                "dataset",
                f"unknown stream {self.source!r}; known: twin, {', '.join(sorted(REPLAYS))} "
                "or a table of your own (--data, [tables.NAME])",
            )
        if self.change_on and not self.dataset_options:
            raise InvalidInputError("change_on", "applies to a table of your own (--data) only")

    @property
    def tolerance(self) -> float:
        """Detection tolerance in seconds."""
        return self.tolerance_s if self.tolerance_s is not None else 3 * self.config.period_s

    def fingerprint(self) -> dict[str, Any]:
        """Everything that changes results (not where the files are, not the seeds)."""
        return {
            "study": "mapek",
            "source": self.source,
            "config": asdict(self.config),
            "knobs": {k: v for k, v in asdict(self.arms).items() if k != "policies"},
            "timeline": self.timeline,
            "max_rows": self.max_rows,
            "tolerance_s": self.tolerance,
            # a user table's description; absent otherwise, as in fingerprints written before
            **({"dataset_options": self.dataset_options} if self.dataset_options else {}),
            **({"change_on": list(self.change_on)} if self.change_on else {}),
        }

    def cells(self, seeds: Any) -> list[Cell]:
        """One cell per (seed, policy), seeds outermost."""
        return [
            Cell(self.source, policy, int(seed)) for seed in seeds for policy in self.arms.policies
        ]

    def stream(self, seed: int) -> NetworkStream:
        """The stream of ``seed``."""
        if self.dataset_options:
            table = cached_source(
                self.source, data_dir=self.data_dir, options=json.loads(self.dataset_options)
            )
            return table_replay(table, max_rows=self.max_rows, change_on=self.change_on)
        if self.source == TWIN:
            return twin_stream(self.timeline, seed)
        return replay_stream(self.source, self.data_dir, max_rows=self.max_rows)

    def run_cell(self, cell: Cell) -> CellOutput:
        """One policy on one seed's stream, through the closed loop, scored."""
        stream = self.stream(cell.seed)
        kb = None
        if self.workdir is not None:
            kb = cell_knowledge_base(self.workdir, cell)
            kb.parent.mkdir(parents=True, exist_ok=True)
        n_periods = len(stream.periods(self.config.period_s))
        live = None if self.on_period is None else partial(self.on_period, cell)

        def on_period(row: dict[str, Any]) -> None:
            report(int(row["period"]) + 1, n_periods, "periods")
            if live is not None:
                live(row)

        result = run_closed_loop(
            stream,
            self.arms.make(cell.strategy),
            self.config,
            seed=cell.seed,
            knowledge_base=kb,
            run_name=f"{cell.strategy}-{cell.seed}",
            on_period=on_period,
        )
        periods = result.periods.assign(policy=cell.strategy, seed=cell.seed)
        events = result.events.assign(
            policy=cell.strategy,
            seed=cell.seed,
            details=[json.dumps(d, sort_keys=True) for d in result.events["details"]],
        )
        start = float(stream.times[0] + self.config.warmup_periods * self.config.period_s)
        end = float(
            stream.times[0] + (len(stream.periods(self.config.period_s))) * self.config.period_s
        )
        change_times = stream.changes["time_s"].to_numpy(dtype=np.float64)
        score = {"policy": cell.strategy, "seed": cell.seed}
        score.update(error_summary(result.periods, change_times, self.tolerance))
        score.update(
            detection_score(
                result.alarm_times,
                change_times,
                tolerance_s=self.tolerance,
                start_s=start,
                end_s=end,
            ).to_dict()
        )
        changes = stream.changes.assign(seed=cell.seed)
        tables = {
            "periods": periods,
            "events": events,
            "scores": pd.DataFrame([score]),
            "changes": changes,
        }
        return CellOutput(cell, tables)

    def finish(self, run: StudyRun) -> MapekOutcome:
        """Scores over seeds, the tables and the report."""
        return write_mapek_outputs(self, run)


@dataclass(frozen=True)
class MapekOutcome:
    """What the closed-loop study wrote."""

    out_dir: Path
    scores: pd.DataFrame
    summary: dict[str, Any]
    tables: dict[str, str]
    ran: int
    skipped: int


SCORE_COLUMNS = (
    "mean_rmse",
    "rmse_after_changes",
    "labels",
    "retrains",
    "promotions",
    "f1",
    "precision",
    "recall",
    "mean_delay_s",
    "false_alarms_per_stable_hour",
    "missed",
)
"""The per-cell scores compared across policies."""


def t_interval(values: Any, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and the two ends of its ``level`` t interval (NaN ends for fewer than two values)."""
    values = np.asarray(values, dtype=np.float64)
    mean = float(values.mean()) if len(values) else math.nan
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(values) - 1) * stats.sem(values))
    return mean, mean - half, mean + half


def paired_difference(a: Any, b: Any) -> str:
    """``mean [low, high]`` of the paired differences ``a - b`` (95 % t interval)."""
    mean, low, high = t_interval(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))
    return format_interval(mean, low, high)


def _table(scores: pd.DataFrame, policies: tuple[str, ...]) -> pd.DataFrame:
    """Mean and 95 % t interval of every score per policy."""
    rows = []
    for policy in policies:
        part = scores[scores["policy"] == policy]
        row: dict[str, Any] = {"policy": policy, "seeds": len(part)}
        for column in SCORE_COLUMNS:
            values = part[column].to_numpy(dtype=np.float64)
            values = values[np.isfinite(values)]
            if not len(values):
                row[column] = "n/a"
                continue
            row[column] = format_interval(*t_interval(values))
        rows.append(row)
    return pd.DataFrame(rows)


def _paired(scores: pd.DataFrame, baseline: str, policies: tuple[str, ...]) -> pd.DataFrame:
    """Per policy, the paired difference to ``baseline`` (same seeds) of error, labels, retrains."""
    rows = []
    base = scores[scores["policy"] == baseline].set_index("seed")
    for policy in policies:
        if policy == baseline:
            continue
        part = scores[scores["policy"] == policy].set_index("seed")
        seeds = part.index.intersection(base.index)
        row: dict[str, Any] = {"policy": policy, "vs": baseline, "seeds": len(seeds)}
        for column in ("mean_rmse", "rmse_after_changes", "labels", "retrains"):
            diff = paired_difference(part.loc[seeds, column], base.loc[seeds, column])
            row[f"{column} diff"] = diff
        label_share = part.loc[seeds, "labels"].sum() / max(base.loc[seeds, "labels"].sum(), 1)
        retrain_share = part.loc[seeds, "retrains"].sum() / max(
            base.loc[seeds, "retrains"].sum(), 1
        )
        row["labels share"] = format_number(label_share)
        row["retrains share"] = format_number(retrain_share)
        rows.append(row)
    return pd.DataFrame(rows)


def write_mapek_outputs(study: MapekStudy, run: StudyRun) -> MapekOutcome:
    """Stack the cells' tables, compute the comparison tables, write the files and the report."""
    out = run.out_dir
    outputs = run.outputs
    periods = pd.concat([o.table("periods") for o in outputs], ignore_index=True)
    events = pd.concat([o.table("events") for o in outputs], ignore_index=True)
    scores = pd.concat([o.table("scores") for o in outputs], ignore_index=True)
    changes = pd.concat([o.table("changes") for o in outputs], ignore_index=True)
    policies = tuple(dict.fromkeys(c.strategy for c in run.cells))
    baseline = "periodic" if "periodic" in policies else policies[0]
    tables = {
        "Closed-loop policies (mean and 95 % t interval over seeds)": _markdown(
            _table(scores, policies)
        )
    }
    if len(policies) > 1:
        title = (
            f"Paired differences vs {baseline} (mean and 95 % t interval; shares = total labels "
            f"and retrainings relative to {baseline})"
        )
        tables[title] = _markdown(_paired(scores, baseline, policies))
    write_parquet(periods, out / "periods.parquet")
    write_parquet(events, out / "events.parquet")
    write_parquet(changes, out / "changes.parquet")
    write_parquet(scores, out / "scores.parquet")
    records = _records(periods, study.source)
    write_parquet(records, out / "results.parquet")
    summary = summary_from_results(
        records,
        experiment="mapek",
        dataset=study.source,
        protocol=f"closed loop, period {study.config.period_s:g} s, spot rate "
        f"{study.config.spot_rate:g}, label budget {study.config.label_budget}",
        baseline=baseline,
        units={"rmse": TWIN_RMSE_UNIT} if study.source == TWIN else None,
    )
    summary["tables"] = {**tables, **summary["tables"]}
    for arm in summary["arms"].values():
        arm["cost"] = []  # the records' cost is stream time: the report draws it as error over time
    summary.update(
        {
            "x_axis": "cost = hours of stream time (the curves are error over time)",
            "policies": list(policies),
            "tolerance_s": study.tolerance,
            "config": study.fingerprint(),
            "scores": json.loads(scores.to_json(orient="records")),
        }
    )
    if study.dataset_options:
        summary["data"] = data_provenance(
            study.source, json.loads(study.dataset_options), study.data_dir
        )
    write_summary(out, summary)
    build_report(out)
    return MapekOutcome(out, scores, summary, tables, len(run.ran), len(run.skipped))


def _records(periods: pd.DataFrame, source: str) -> pd.DataFrame:
    """The periods as learning-curve records: iteration = period, cost = hours of stream time."""
    return pd.DataFrame(
        {
            "dataset": source,
            "strategy": periods["policy"],
            "seed": periods["seed"].astype(np.int64),
            "iteration": periods["period"].astype(np.int64),
            "n_labels": periods["labels"].astype(np.int64),
            "cost": periods["time_s"].astype(np.float64) / 3600.0,
            "rmse": periods["rmse"].astype(np.float64),
            "mae": periods["mae"].astype(np.float64),
            "q95": periods["q95"].astype(np.float64),
            "wall_time_s": 0.0,
        }
    )


def _markdown(frame: pd.DataFrame) -> str:
    """A table in the report's number format (:func:`netal.report.numbers.markdown_table`)."""
    return markdown_table(frame)
