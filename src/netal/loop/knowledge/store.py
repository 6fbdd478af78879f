"""The knowledge base: every run, label, query, metric and model version, in SQLite.

The "K" of MAPE-K.  One SQLite file (through SQLAlchemy 2) holds any number of
runs, e.g. the arms of a comparison.  Tables (:mod:`netal.loop.knowledge.tables`):

``runs``
    name (unique), configuration as canonical JSON, seed, status
    (``running``/``finished``), stop reason, creation and update times.
``labeled``
    the labeled set of a run in the order it grew: position, sample id,
    iteration it was first trained in (0 = initial set), label as JSON.
``queries``
    every query from the moment ``ask`` hands it out: round, sample id,
    strategy, score, expected cost, lease expiry, ``ask`` batch and status
    (``pending``, ``answered``, ``expired``, ``refused``, ``superseded``);
    once answered also the label, the cost actually incurred, the oracle's wall
    time and the answer's timestamp; and whether it counted against the budget
    (the initial set does not).
``iterations``
    one row per iteration (model version): ``labeled`` once labels for it are
    committed, ``complete`` once the learner was trained and evaluated; labels
    and cost spent so far; timings.
``metrics``
    (iteration, name, value) from the loop and its callbacks.
``checkpoints``
    the learner after each iteration: its ``get_state()`` bytes (tensors and
    JSON, loaded without unpickling objects) or, for learners without state, a
    JSON note to refit it from the labeled set.

The schema carries an Alembic revision; older files are migrated when opened
(:mod:`netal.loop.knowledge.migrate`).  The database runs in WAL mode with
``synchronous=FULL``.  Asked queries, answers and each trained model version
are committed in their own transactions, answers before anything else happens,
so a process killed at any moment loses at most the training in flight, never
a label that was paid for nor a query that was handed out.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Engine,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DatabaseError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from netal.errors import KnowledgeBaseError
from netal.loop.knowledge.migrate import ensure_current
from netal.loop.knowledge.tables import (
    QUERY_ANSWERED,
    QUERY_PENDING,
    QUERY_STATUSES,
    QUERY_SUPERSEDED,
    Base,
    CandidateRecord,
    CheckpointRecord,
    IterationRecord,
    LabeledRecord,
    MetricRecord,
    QueryRecord,
    RunRecord,
)


def _now() -> datetime:
    return datetime.now(UTC)


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
    pending
        The pending queries (see :meth:`KnowledgeBase.pending_queries`).
    n_batches
        ``ask`` batches handed out so far; ``batches_in_round`` of them in the
        round after :attr:`last_complete`.
    labeled_features
        Per labeled row, the measured input its answer carried (None: the
        pool row's own input).
    candidates
        Samples added to the pool after the start, in id order: sample_id,
        iteration, features (arrays), cost, retired.
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
    pending: pd.DataFrame
    n_batches: int = 0
    batches_in_round: int = 0
    labeled_features: tuple[np.ndarray | None, ...] = ()
    candidates: pd.DataFrame | None = None


@dataclass(frozen=True)
class AskedQuery:
    """A query as written by :meth:`KnowledgeBase.record_asked`."""

    sample_id: int
    score: float
    expected_cost: float
    lease_expires: float | None


@dataclass(frozen=True)
class TellRecord:
    """One accepted answer, as written by :meth:`KnowledgeBase.record_answers`."""

    query_id: int
    sample_id: int
    label: np.ndarray
    cost: float
    counted: bool
    features: np.ndarray | None = None


PENDING_COLUMNS = [
    "query_id",
    "iteration",
    "batch",
    "sample_id",
    "strategy",
    "score",
    "expected_cost",
    "counted",
    "asked_at",
    "lease_expires",
]


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


def _array_json(values: np.ndarray) -> str:
    return json.dumps(np.asarray(values, dtype=np.float64).tolist(), allow_nan=False)


def _label_json(label: np.ndarray) -> str:
    return json.dumps(np.asarray(label, dtype=np.float64).tolist(), allow_nan=False)


def _add_optional(total: float | None, value: float | None) -> float | None:
    if value is None:
        return total
    return float(value) if total is None else float(total) + float(value)


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
        self._check_file(self.path)
        self.engine = self._make_engine(self.path)
        try:
            ensure_current(self.engine, self.path)
        except DatabaseError as exc:
            self.engine.dispose()
            raise KnowledgeBaseError(
                f"{self.path}: not a usable knowledge base ({exc.orig}); "
                "move it away or pass another file"
            ) from None

    @staticmethod
    def _check_file(path: Path | None) -> None:
        """One line instead of a traceback for a file SQLite cannot use or finds damaged."""
        if path is None or not path.exists():
            return
        where = str(path)
        if not path.is_file():
            raise KnowledgeBaseError(f"{where}: is not a file; pass a knowledge-base file path")
        try:
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
            try:
                result = connection.execute("PRAGMA quick_check").fetchall()
            finally:
                connection.close()
        except sqlite3.DatabaseError as exc:
            raise KnowledgeBaseError(
                f"{where}: not a usable SQLite knowledge base ({exc}); "
                "move it away or pass another file"
            ) from None
        problems = [row[0] for row in result if row[0] != "ok"]
        if problems:
            raise KnowledgeBaseError(
                f"{where}: the knowledge base is damaged (SQLite quick_check: {problems[0]}); "
                "restore a backup or move it away"
            )

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

    # --------------------------------------------------------------- ask/tell

    def record_asked(
        self,
        run_id: int,
        *,
        iteration: int,
        batch: int,
        strategy: str,
        counted: bool,
        queries: Sequence[AskedQuery],
    ) -> list[int]:
        """Commit a batch of pending queries in one transaction; return their query ids."""
        stamp = _now()
        rows = [
            {
                "run_id": run_id,
                "iteration": iteration,
                "sample_id": int(query.sample_id),
                "strategy": strategy,
                "score": _float_or_none(query.score),
                "cost": None,
                "label": None,
                "wall_time": None,
                "timestamp": None,
                "counted": counted,
                "status": QUERY_PENDING,
                "batch": batch,
                "expected_cost": float(query.expected_cost),
                "asked_at": stamp,
                "lease_expires": query.lease_expires,
            }
            for query in queries
        ]
        with self.engine.begin() as connection:
            ids = connection.execute(
                insert(QueryRecord).returning(QueryRecord.id, sort_by_parameter_order=True),
                rows,
            ).scalars()
            return [int(query_id) for query_id in ids]

    def record_answers(
        self,
        run_id: int,
        iteration: int,
        answers: Sequence[TellRecord],
        *,
        start_position: int,
        spent_labels: int,
        spent_cost: float,
        wall_time: float | None = None,
        select_seconds: float | None = None,
        superseded: Sequence[int] = (),
    ) -> None:
        """Commit told answers in one transaction: query rows, labeled rows, the iteration row.

        ``iteration`` is the model version the labels will first be trained in.
        Query rows must still be unanswered; a query answered meanwhile (by
        another process) aborts the whole transaction with
        :class:`~netal.errors.KnowledgeBaseError` and nothing is written.
        """
        stamp = _now()
        texts = [_label_json(answer.label) for answer in answers]
        labeled_rows = [
            {
                "run_id": run_id,
                "position": start_position + k,
                "sample_id": int(answer.sample_id),
                "iteration": iteration,
                "label": text,
                "features": None if answer.features is None else _array_json(answer.features),
            }
            for k, (answer, text) in enumerate(zip(answers, texts, strict=True))
        ]
        try:
            with self.engine.begin() as connection:
                if answers:
                    table = QueryRecord.__table__
                    done = connection.execute(
                        update(table)
                        .where(
                            table.c.id == bindparam("b_id"),
                            table.c.run_id == run_id,
                            table.c.status != QUERY_ANSWERED,
                        )
                        .values(
                            status=QUERY_ANSWERED,
                            label=bindparam("b_label"),
                            cost=bindparam("b_cost"),
                            wall_time=None if wall_time is None else float(wall_time),
                            timestamp=stamp,
                            counted=bindparam("b_counted"),
                        ),
                        [
                            {
                                "b_id": int(answer.query_id),
                                "b_label": text,
                                "b_cost": float(answer.cost),
                                "b_counted": bool(answer.counted),
                            }
                            for answer, text in zip(answers, texts, strict=True)
                        ],
                    )
                    if done.rowcount != len(answers):
                        raise KnowledgeBaseError(
                            f"a query of run id {run_id} was already answered in "
                            f"{self.path or ':memory:'}; nothing was recorded"
                        )
                if superseded:
                    connection.execute(
                        update(QueryRecord)
                        .where(
                            QueryRecord.id.in_([int(q) for q in superseded]),
                            QueryRecord.status == QUERY_PENDING,
                        )
                        .values(status=QUERY_SUPERSEDED)
                    )
                if labeled_rows:
                    connection.execute(insert(LabeledRecord), labeled_rows)
                self._upsert_iteration(
                    connection,
                    run_id,
                    iteration,
                    n_labeled=start_position + len(answers),
                    spent_labels=spent_labels,
                    spent_cost=spent_cost,
                    stamp=stamp,
                    wall_time=wall_time,
                    select_seconds=select_seconds,
                )
        except IntegrityError as exc:
            raise KnowledgeBaseError(
                f"answers for run id {run_id} conflict with what {self.path or ':memory:'} "
                f"already holds (is another process telling the same run?): {exc.orig}"
            ) from None

    @staticmethod
    def _upsert_iteration(
        connection: Any,
        run_id: int,
        iteration: int,
        *,
        n_labeled: int,
        spent_labels: int,
        spent_cost: float,
        stamp: datetime,
        wall_time: float | None,
        select_seconds: float | None,
    ) -> None:
        row = connection.execute(
            select(IterationRecord.oracle_seconds, IterationRecord.select_seconds).where(
                IterationRecord.run_id == run_id, IterationRecord.iteration == iteration
            )
        ).one_or_none()
        values = {
            "status": "labeled",
            "n_labeled": int(n_labeled),
            "spent_labels": int(spent_labels),
            "spent_cost": float(spent_cost),
            "labeled_at": stamp,
        }
        if row is None:
            values |= {"oracle_seconds": wall_time, "select_seconds": select_seconds}
            connection.execute(
                insert(IterationRecord),
                [
                    {
                        "run_id": run_id,
                        "iteration": iteration,
                        "train_seconds": None,
                        "completed_at": None,
                        **values,
                    }
                ],
            )
            return
        values["oracle_seconds"] = _add_optional(row.oracle_seconds, wall_time)
        values["select_seconds"] = _add_optional(row.select_seconds, select_seconds)
        connection.execute(
            update(IterationRecord)
            .where(IterationRecord.run_id == run_id, IterationRecord.iteration == iteration)
            .values(**values)
        )

    def release_queries(self, run_id: int, query_ids: Iterable[int], status: str) -> int:
        """Mark pending queries ``expired`` or ``refused`` (their samples return to the pool).

        Returns how many were pending; queries no longer pending are left alone.
        """
        if status not in QUERY_STATUSES or status in (QUERY_PENDING, QUERY_ANSWERED):
            raise KnowledgeBaseError(f"cannot release queries as {status!r}")
        ids = [int(q) for q in query_ids]
        if not ids:
            return 0
        with self.engine.begin() as connection:
            done = connection.execute(
                update(QueryRecord)
                .where(
                    QueryRecord.run_id == run_id,
                    QueryRecord.id.in_(ids),
                    QueryRecord.status == QUERY_PENDING,
                )
                .values(status=status)
            )
            return int(done.rowcount)

    # --------------------------------------------------------------- reading

    def progress(self, run_id: int) -> RunProgress:
        """Everything a resumed loop needs, read in one snapshot."""
        with Session(self.engine) as session, session.begin():
            run = session.get_one(RunRecord, run_id)
            labeled = session.execute(
                select(
                    LabeledRecord.sample_id,
                    LabeledRecord.iteration,
                    LabeledRecord.label,
                    LabeledRecord.features,
                )
                .where(LabeledRecord.run_id == run_id)
                .order_by(LabeledRecord.position)
            ).all()
            candidates = self._candidates(session, run_id)
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
            pending = self._pending(session, run_id)
            n_batches = session.scalar(
                select(func.count(func.distinct(QueryRecord.batch))).where(
                    QueryRecord.run_id == run_id, QueryRecord.batch.is_not(None)
                )
            )
            batches_in_round = session.scalar(
                select(func.count(func.distinct(QueryRecord.batch))).where(
                    QueryRecord.run_id == run_id,
                    QueryRecord.batch.is_not(None),
                    QueryRecord.iteration == last_complete + 1,
                )
            )
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
            pending=pending,
            n_batches=int(n_batches or 0),
            batches_in_round=int(batches_in_round or 0),
            labeled_features=tuple(
                None if row.features is None else np.array(json.loads(row.features))
                for row in labeled
            ),
            candidates=candidates,
        )

    @staticmethod
    def _candidates(session: Session, run_id: int) -> pd.DataFrame:
        rows = session.execute(
            select(
                CandidateRecord.sample_id,
                CandidateRecord.iteration,
                CandidateRecord.features,
                CandidateRecord.cost,
                CandidateRecord.retired,
            )
            .where(CandidateRecord.run_id == run_id)
            .order_by(CandidateRecord.sample_id)
        ).all()
        frame = pd.DataFrame(
            rows, columns=["sample_id", "iteration", "features", "cost", "retired"]
        )
        frame["features"] = [np.array(json.loads(text)) for text in frame["features"]]
        return frame

    def record_candidates(
        self,
        run_id: int,
        iteration: int,
        sample_ids: np.ndarray,
        features: np.ndarray,
        costs: np.ndarray,
    ) -> None:
        """Commit samples added to the pool (one transaction)."""
        stamp = _now()
        rows = [
            {
                "run_id": run_id,
                "sample_id": int(sample_id),
                "iteration": int(iteration),
                "features": _array_json(row),
                "cost": float(cost),
                "retired": False,
                "created": stamp,
            }
            for sample_id, row, cost in zip(sample_ids, features, costs, strict=True)
        ]
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(CandidateRecord), rows)
        except IntegrityError as exc:
            raise KnowledgeBaseError(
                f"candidates of run id {run_id} are already recorded in "
                f"{self.path or ':memory:'} (is another process extending the same run?): "
                f"{exc.orig}"
            ) from None

    def retire_candidates(self, run_id: int, sample_ids: Iterable[int]) -> None:
        """Take added samples out of the pool for good."""
        ids = [int(i) for i in sample_ids]
        if not ids:
            return
        with self.engine.begin() as connection:
            connection.execute(
                update(CandidateRecord)
                .where(CandidateRecord.run_id == run_id, CandidateRecord.sample_id.in_(ids))
                .values(retired=True)
            )

    @staticmethod
    def _pending(session: Session, run_id: int) -> pd.DataFrame:
        rows = session.execute(
            select(
                QueryRecord.id,
                QueryRecord.iteration,
                QueryRecord.batch,
                QueryRecord.sample_id,
                QueryRecord.strategy,
                QueryRecord.score,
                QueryRecord.expected_cost,
                QueryRecord.counted,
                QueryRecord.asked_at,
                QueryRecord.lease_expires,
            )
            .where(QueryRecord.run_id == run_id, QueryRecord.status == QUERY_PENDING)
            .order_by(QueryRecord.id)
        ).all()
        frame = pd.DataFrame(rows, columns=PENDING_COLUMNS)
        frame["score"] = frame["score"].astype(np.float64)
        frame["lease_expires"] = frame["lease_expires"].astype(np.float64)
        return frame

    def query_states(self, run_id: int, query_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Status, sample id, round, counted flag and expected cost of the given queries."""
        ids = sorted({int(q) for q in query_ids})
        if not ids:
            return {}
        with Session(self.engine) as session:
            rows = session.execute(
                select(
                    QueryRecord.id,
                    QueryRecord.status,
                    QueryRecord.sample_id,
                    QueryRecord.iteration,
                    QueryRecord.counted,
                    QueryRecord.expected_cost,
                    QueryRecord.score,
                    QueryRecord.lease_expires,
                ).where(QueryRecord.run_id == run_id, QueryRecord.id.in_(ids))
            ).all()
        return {int(row.id): dict(row._mapping) for row in rows}

    def pending_queries(self, run: str) -> pd.DataFrame:
        """The queries of ``run`` handed out by ``ask`` and not yet answered or released.

        Columns: query_id, iteration, batch, sample_id, strategy, score,
        expected_cost, counted, asked_at, lease_expires (epoch seconds, NaN: none).
        """
        with Session(self.engine) as session:
            return self._pending(session, self._run_id(session, run))

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

    def _frame(self, run: str, record: type[Base], columns: Iterable[str]) -> pd.DataFrame:
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

    def queries(self, run: str, *, status: str | Sequence[str] = QUERY_ANSWERED) -> pd.DataFrame:
        """The queries of ``run`` in the order they were asked.

        By default the answered ones, with columns iteration, sample_id,
        strategy, score, cost, label (float or list), wall_time, timestamp,
        counted.  ``status="all"`` (or a list of statuses) returns queries in any
        state and adds the columns query_id, status, batch, expected_cost,
        asked_at and lease_expires.
        """
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
        extra = ["status", "batch", "expected_cost", "asked_at", "lease_expires"]
        statuses = (
            QUERY_STATUSES
            if status == "all"
            else ((status,) if isinstance(status, str) else tuple(status))
        )
        unknown = sorted(set(statuses) - set(QUERY_STATUSES))
        if unknown:
            raise KnowledgeBaseError(
                f"unknown query status {unknown[0]!r}; known: {', '.join(QUERY_STATUSES)}, all"
            )
        frame = self._frame(run, QueryRecord, columns + extra).sort_values("id", kind="stable")
        frame = frame[frame["status"].isin(statuses)]
        frame["label"] = [
            json.loads(text) if isinstance(text, str) else None for text in frame["label"]
        ]
        if statuses == (QUERY_ANSWERED,):
            return frame.drop(columns=["id", *extra]).reset_index(drop=True)
        return frame.rename(columns={"id": "query_id"}).reset_index(drop=True)

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
