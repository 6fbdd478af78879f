"""The knowledge base: every run, label, query, metric and model version, in SQLite.

The "K" of MAPE-K.  One SQLite file (through SQLAlchemy 2) holds any number of
runs, e.g. the arms of a comparison.  Tables:

``runs``
    name (unique), configuration as canonical JSON, seed, status
    (``running``/``finished``), stop reason, creation and update times.
``labeled``
    the labeled set of a run in the order it grew: position, sample id,
    iteration added (0 = initial set), label as JSON.
``queries``
    every oracle query: iteration, sample id, strategy, score, cost, label,
    wall time of the oracle call, timestamp, and whether it counted against the
    budget (the initial set does not).
``iterations``
    one row per iteration: ``labeled`` once its labels are committed,
    ``complete`` once the learner was trained and evaluated; labels and cost
    spent so far; timings.
``metrics``
    (iteration, name, value) from the loop and its callbacks.
``checkpoints``
    the learner's state after each iteration (``get_state()`` bytes, or a
    pickle for learners without it).

The database runs in WAL mode with ``synchronous=FULL``; each iteration is
written in two transactions: first the oracle's answers (queries + labeled
rows), before anything else happens, then the metrics and checkpoint.  A
process killed at any moment therefore loses at most the training in flight,
never a label that was paid for.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Engine,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

from netal.errors import KnowledgeBaseError


def _now() -> datetime:
    return datetime.now(UTC)


class _Base(DeclarativeBase):
    pass


class RunRecord(_Base):
    """A named run and its configuration."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    config: Mapped[str] = mapped_column(Text)
    seed: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    stop_reason: Mapped[str | None] = mapped_column(String(100))
    created: Mapped[datetime]
    updated: Mapped[datetime]


class LabeledRecord(_Base):
    """One labeled sample of a run."""

    __tablename__ = "labeled"
    __table_args__ = (
        UniqueConstraint("run_id", "sample_id"),
        UniqueConstraint("run_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    position: Mapped[int]
    sample_id: Mapped[int]
    iteration: Mapped[int]
    label: Mapped[str] = mapped_column(Text)


class QueryRecord(_Base):
    """One oracle query."""

    __tablename__ = "queries"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    iteration: Mapped[int]
    sample_id: Mapped[int]
    strategy: Mapped[str] = mapped_column(String(100))
    score: Mapped[float | None]
    cost: Mapped[float]
    label: Mapped[str] = mapped_column(Text)
    wall_time: Mapped[float]
    timestamp: Mapped[datetime]
    counted: Mapped[bool]


class IterationRecord(_Base):
    """Progress of one iteration."""

    __tablename__ = "iterations"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    iteration: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    n_labeled: Mapped[int]
    spent_labels: Mapped[int]
    spent_cost: Mapped[float]
    select_seconds: Mapped[float | None]
    oracle_seconds: Mapped[float | None]
    train_seconds: Mapped[float | None]
    labeled_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class MetricRecord(_Base):
    """One metric value of one iteration."""

    __tablename__ = "metrics"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    iteration: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[float | None]


class CheckpointRecord(_Base):
    """The learner's state after one iteration."""

    __tablename__ = "checkpoints"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    iteration: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[bytes] = mapped_column(LargeBinary)
    created: Mapped[datetime]


@dataclass(frozen=True)
class QueryLog:
    """The queries of one iteration, to be written with its labels.

    Attributes
    ----------
    strategy
        Strategy name (``"initial"`` for the initial set labeled by the oracle).
    scores
        Per-query score (``NaN`` when the strategy gives none).
    costs
        Per-query cost the oracle reported.
    wall_time
        Seconds the oracle call took (for the whole batch).
    counted
        Whether these queries count against the budget.
    """

    strategy: str
    scores: np.ndarray
    costs: np.ndarray
    wall_time: float
    counted: bool = True


@dataclass(frozen=True)
class RunProgress:
    """A run's state as stored: what a resumed loop starts from.

    Attributes
    ----------
    labeled_ids, labels
        The labeled set in the order it grew.
    labeled_iteration
        The iteration each labeled row was added in.
    last_labeled
        Highest iteration whose labels are committed (-1: none).
    last_complete
        Highest iteration trained and evaluated (-1: none).
    spent_labels, spent_cost
        Totals after :attr:`last_labeled`.
    history
        Metric name -> values of the complete iterations, in order.
    status, stop_reason
        The run's status.
    """

    labeled_ids: np.ndarray
    labels: np.ndarray | None
    labeled_iteration: np.ndarray
    last_labeled: int
    last_complete: int
    spent_labels: int
    spent_cost: float
    history: dict[str, list[float]]
    status: str
    stop_reason: str | None


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal configs give equal strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _config_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    keys = sorted(set(old) | set(new))
    return [
        f"{key}: {old.get(key, '<missing>')!r} -> {new.get(key, '<missing>')!r}"
        for key in keys
        if old.get(key) != new.get(key)
    ]


def _label_json(label: np.ndarray) -> str:
    return json.dumps(np.asarray(label, dtype=np.float64).tolist(), allow_nan=False)


def _float_or_none(value: float) -> float | None:
    value = float(value)
    return None if np.isnan(value) else value


class KnowledgeBase:
    """A SQLite knowledge base of active-learning runs.

    Parameters
    ----------
    path
        Database file (created if missing, parent directory too), or ``None``
        for a private in-memory database (lost when the object is).

    Examples
    --------
    >>> kb = KnowledgeBase(None)
    >>> kb.runs().empty
    True
    """

    def __init__(self, path: str | Path | None) -> None:
        self.path = None if path is None else Path(path)
        self.engine = self._make_engine(self.path)
        _Base.metadata.create_all(self.engine)

    @staticmethod
    def _make_engine(path: Path | None) -> Engine:
        if path is None:
            engine = create_engine(
                "sqlite+pysqlite:///:memory:",
                poolclass=StaticPool,
                connect_args={"check_same_thread": False},
            )
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise KnowledgeBaseError(f"{path}: cannot create its directory ({exc})") from None
            engine = create_engine(f"sqlite+pysqlite:///{path}", connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KnowledgeBase({str(self.path) if self.path else None!r})"

    # ------------------------------------------------------------------ runs

    def open_run(self, name: str, config: Mapping[str, Any], seed: int) -> int:
        """Return the id of run ``name``, creating it if new.

        Raises
        ------
        KnowledgeBaseError
            If the run exists with a different configuration or seed.
        """
        text = canonical_json({**config, "seed": int(seed)})
        with Session(self.engine) as session, session.begin():
            run = session.scalars(select(RunRecord).where(RunRecord.name == name)).one_or_none()
            if run is None:
                run = RunRecord(
                    name=name,
                    config=text,
                    seed=int(seed),
                    status="running",
                    stop_reason=None,
                    created=_now(),
                    updated=_now(),
                )
                session.add(run)
                session.flush()
                return run.id
            if run.config != text:
                changes = _config_differences(json.loads(run.config), json.loads(text))
                raise KnowledgeBaseError(
                    f"run {name!r} in {self.path or ':memory:'} was created with a different "
                    f"configuration ({'; '.join(changes)}); resume it with the original "
                    "configuration or choose another run name"
                )
            return run.id

    def _run_id(self, session: Session, name: str) -> int:
        run_id = session.scalars(select(RunRecord.id).where(RunRecord.name == name)).one_or_none()
        if run_id is None:
            raise KnowledgeBaseError(f"no run named {name!r} in {self.path or ':memory:'}")
        return run_id

    def run_config(self, name: str) -> dict[str, Any]:
        """The stored configuration of run ``name``."""
        with Session(self.engine) as session:
            run_id = self._run_id(session, name)
            return json.loads(session.get_one(RunRecord, run_id).config)

    def finish_run(self, run_id: int, stop_reason: str) -> None:
        """Mark a run finished with the reason it stopped."""
        with Session(self.engine) as session, session.begin():
            run = session.get_one(RunRecord, run_id)
            run.status = "finished"
            run.stop_reason = stop_reason
            run.updated = _now()

    # --------------------------------------------------------------- writing

    def record_labels(
        self,
        run_id: int,
        iteration: int,
        ids: np.ndarray,
        labels: np.ndarray,
        *,
        start_position: int,
        spent_labels: int,
        spent_cost: float,
        query: QueryLog | None,
        select_seconds: float | None = None,
    ) -> None:
        """Commit the labels of ``iteration`` (and their queries) in one transaction."""
        stamp = _now()
        label_texts = [_label_json(label) for label in labels]
        labeled_rows = [
            {
                "run_id": run_id,
                "position": start_position + k,
                "sample_id": int(sample_id),
                "iteration": iteration,
                "label": text,
            }
            for k, (sample_id, text) in enumerate(zip(ids, label_texts, strict=True))
        ]
        query_rows = (
            []
            if query is None
            else [
                {
                    "run_id": run_id,
                    "iteration": iteration,
                    "sample_id": int(sample_id),
                    "strategy": query.strategy,
                    "score": _float_or_none(score),
                    "cost": float(cost),
                    "label": text,
                    "wall_time": float(query.wall_time),
                    "timestamp": stamp,
                    "counted": query.counted,
                }
                for sample_id, score, cost, text in zip(
                    ids, query.scores, query.costs, label_texts, strict=True
                )
            ]
        )
        iteration_row = {
            "run_id": run_id,
            "iteration": iteration,
            "status": "labeled",
            "n_labeled": start_position + len(ids),
            "spent_labels": int(spent_labels),
            "spent_cost": float(spent_cost),
            "select_seconds": select_seconds,
            "oracle_seconds": None if query is None else float(query.wall_time),
            "train_seconds": None,
            "labeled_at": stamp,
            "completed_at": None,
        }
        try:
            self._insert_labels(labeled_rows, query_rows, iteration_row)
        except IntegrityError as exc:
            raise KnowledgeBaseError(
                f"iteration {iteration} of run id {run_id} is already recorded in "
                f"{self.path or ':memory:'} (is another process running the same run?): "
                f"{exc.orig}"
            ) from None

    def _insert_labels(
        self,
        labeled_rows: list[dict[str, Any]],
        query_rows: list[dict[str, Any]],
        iteration_row: dict[str, Any],
    ) -> None:
        with self.engine.begin() as connection:
            if labeled_rows:
                connection.execute(insert(LabeledRecord), labeled_rows)
            if query_rows:
                connection.execute(insert(QueryRecord), query_rows)
            connection.execute(insert(IterationRecord), [iteration_row])

    def record_iteration(
        self,
        run_id: int,
        iteration: int,
        metrics: Mapping[str, float],
        *,
        checkpoint: tuple[str, bytes] | None,
        train_seconds: float,
    ) -> None:
        """Commit the metrics and checkpoint of ``iteration`` and mark it complete."""
        with self.engine.begin() as connection:
            if metrics:
                connection.execute(
                    insert(MetricRecord),
                    [
                        {
                            "run_id": run_id,
                            "iteration": iteration,
                            "name": name,
                            "value": _float_or_none(value),
                        }
                        for name, value in metrics.items()
                    ],
                )
            if checkpoint is not None:
                kind, state = checkpoint
                connection.execute(
                    insert(CheckpointRecord),
                    [
                        {
                            "run_id": run_id,
                            "iteration": iteration,
                            "kind": kind,
                            "state": state,
                            "created": _now(),
                        }
                    ],
                )
            updated = connection.execute(
                update(IterationRecord)
                .where(IterationRecord.run_id == run_id, IterationRecord.iteration == iteration)
                .values(status="complete", train_seconds=float(train_seconds), completed_at=_now())
            )
            if updated.rowcount != 1:
                raise KnowledgeBaseError(
                    f"iteration {iteration} of run id {run_id} has no committed labels"
                )

    # --------------------------------------------------------------- reading

    def progress(self, run_id: int) -> RunProgress:
        """Everything a resumed loop needs, read in one snapshot."""
        with Session(self.engine) as session, session.begin():
            run = session.get_one(RunRecord, run_id)
            labeled = session.execute(
                select(LabeledRecord.sample_id, LabeledRecord.iteration, LabeledRecord.label)
                .where(LabeledRecord.run_id == run_id)
                .order_by(LabeledRecord.position)
            ).all()
            iterations = session.scalars(
                select(IterationRecord)
                .where(IterationRecord.run_id == run_id)
                .order_by(IterationRecord.iteration)
            ).all()
            complete = [row.iteration for row in iterations if row.status == "complete"]
            last_complete = max(complete, default=-1)
            metric_rows = session.execute(
                select(MetricRecord.iteration, MetricRecord.name, MetricRecord.value)
                .where(MetricRecord.run_id == run_id, MetricRecord.iteration <= last_complete)
                .order_by(MetricRecord.iteration)
            ).all()
            last = iterations[-1] if iterations else None
            last_labeled = -1 if last is None else last.iteration
            spent_labels = 0 if last is None else last.spent_labels
            spent_cost = 0.0 if last is None else last.spent_cost
            status, stop_reason = run.status, run.stop_reason
        history: dict[str, list[float]] = {}
        for _, name, value in metric_rows:
            history.setdefault(name, []).append(np.nan if value is None else value)
        labels = (
            np.array([json.loads(row.label) for row in labeled], dtype=np.float64)
            if labeled
            else None
        )
        return RunProgress(
            labeled_ids=np.array([row.sample_id for row in labeled], dtype=np.int64),
            labels=labels,
            labeled_iteration=np.array([row.iteration for row in labeled], dtype=np.int64),
            last_labeled=last_labeled,
            last_complete=last_complete,
            spent_labels=spent_labels,
            spent_cost=spent_cost,
            history=history,
            status=status,
            stop_reason=stop_reason,
        )

    def checkpoint(self, run: str, iteration: int | None = None) -> tuple[str, bytes]:
        """The ``(kind, state)`` checkpoint of ``iteration`` (default: the latest)."""
        with Session(self.engine) as session:
            run_id = self._run_id(session, run)
            return self._checkpoint(session, run_id, iteration)

    def checkpoint_by_id(self, run_id: int, iteration: int) -> tuple[str, bytes]:
        """The checkpoint of ``iteration`` of the run with id ``run_id``."""
        with Session(self.engine) as session:
            return self._checkpoint(session, run_id, iteration)

    @staticmethod
    def _checkpoint(session: Session, run_id: int, iteration: int | None) -> tuple[str, bytes]:
        query = select(CheckpointRecord).where(CheckpointRecord.run_id == run_id)
        if iteration is not None:
            query = query.where(CheckpointRecord.iteration == iteration)
        record = session.scalars(query.order_by(CheckpointRecord.iteration.desc())).first()
        if record is None:
            raise KnowledgeBaseError(f"no checkpoint for run id {run_id}, iteration {iteration}")
        return record.kind, record.state

    def _frame(self, run: str, record: type[_Base], columns: Iterable[str]) -> pd.DataFrame:
        columns = list(columns)
        with Session(self.engine) as session:
            run_id = self._run_id(session, run)
            table = record.__table__
            rows = session.execute(
                select(*(table.c[name] for name in columns)).where(table.c.run_id == run_id)
            ).all()
        return pd.DataFrame(rows, columns=columns)

    def runs(self) -> pd.DataFrame:
        """One row per run: name, seed, status, stop reason, times, config (dict)."""
        with Session(self.engine) as session:
            rows = session.scalars(select(RunRecord).order_by(RunRecord.id)).all()
            data = [
                {
                    "name": row.name,
                    "seed": row.seed,
                    "status": row.status,
                    "stop_reason": row.stop_reason,
                    "created": row.created,
                    "updated": row.updated,
                    "config": json.loads(row.config),
                }
                for row in rows
            ]
        columns = ["name", "seed", "status", "stop_reason", "created", "updated", "config"]
        return pd.DataFrame(data, columns=columns)

    def queries(self, run: str) -> pd.DataFrame:
        """Every query of ``run`` in order: iteration, sample_id, strategy, score, cost,
        label (float or list), wall_time, timestamp, counted."""
        columns = [
            "id",
            "iteration",
            "sample_id",
            "strategy",
            "score",
            "cost",
            "label",
            "wall_time",
            "timestamp",
            "counted",
        ]
        frame = self._frame(run, QueryRecord, columns).sort_values("id", kind="stable")
        frame["label"] = [json.loads(text) for text in frame["label"]]
        return frame.drop(columns="id").reset_index(drop=True)

    def labeled(self, run: str) -> pd.DataFrame:
        """The labeled set of ``run`` in the order it grew: position, sample_id,
        iteration, label."""
        frame = self._frame(run, LabeledRecord, ["position", "sample_id", "iteration", "label"])
        frame["label"] = [json.loads(text) for text in frame["label"]]
        return frame.sort_values("position", kind="stable").reset_index(drop=True)

    def iterations(self, run: str) -> pd.DataFrame:
        """One row per iteration: status, n_labeled, spent totals and timings."""
        columns = [
            "iteration",
            "status",
            "n_labeled",
            "spent_labels",
            "spent_cost",
            "select_seconds",
            "oracle_seconds",
            "train_seconds",
            "labeled_at",
            "completed_at",
        ]
        frame = self._frame(run, IterationRecord, columns)
        return frame.sort_values("iteration", kind="stable").reset_index(drop=True)

    def metrics(self, run: str, *, wide: bool = False) -> pd.DataFrame:
        """Metrics of ``run``: long (iteration, name, value) or wide (iteration x name)."""
        frame = self._frame(run, MetricRecord, ["iteration", "name", "value"])
        frame = frame.sort_values(["iteration", "name"], kind="stable").reset_index(drop=True)
        frame["value"] = frame["value"].astype(np.float64)
        if not wide:
            return frame
        table = frame.pivot(index="iteration", columns="name", values="value")
        table.columns.name = None
        return table
