"""The ask/tell life cycle of queries in the knowledge base.

:class:`QueryLifecycle` records a batch of asked queries as pending, commits told
answers (with their labeled rows and the iteration row, all or nothing), releases
queries as expired or refused, and reads query states and pending queries back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from netal.errors import KnowledgeBaseError
from netal.loop.knowledge._values import array_json, float_or_none, label_json, now
from netal.loop.knowledge.records import PENDING_COLUMNS, AskedQuery, TellRecord
from netal.loop.knowledge.runs import RunStore
from netal.loop.knowledge.tables import (
    QUERY_ANSWERED,
    QUERY_PENDING,
    QUERY_STATUSES,
    QUERY_SUPERSEDED,
    IterationRecord,
    LabeledRecord,
    QueryRecord,
)


def _add_optional(total: float | None, value: float | None) -> float | None:
    if value is None:
        return total
    return float(value) if total is None else float(total) + float(value)


def pending_frame(session: Session, run_id: int) -> pd.DataFrame:
    """The pending queries of run ``run_id`` (columns :data:`PENDING_COLUMNS`)."""
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


class QueryLifecycle(RunStore):
    """Records queries from ``ask`` to their answer or release (a part of the knowledge base)."""

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
        stamp = now()
        rows = [
            {
                "run_id": run_id,
                "iteration": iteration,
                "sample_id": int(query.sample_id),
                "strategy": strategy,
                "score": float_or_none(query.score),
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
        stamp = now()
        texts = [label_json(answer.label) for answer in answers]
        labeled_rows = [
            {
                "run_id": run_id,
                "position": start_position + k,
                "sample_id": int(answer.sample_id),
                "iteration": iteration,
                "label": text,
                "features": None if answer.features is None else array_json(answer.features),
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
            return pending_frame(session, self._run_id(session, run))
