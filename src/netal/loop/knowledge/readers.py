"""The knowledge base as tables: runs, queries, labeled set, iterations, metrics, checkpoints.

:class:`TableReader` gives read-only views for reports and resumes, one pandas
DataFrame (or checkpoint) per call.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from netal.errors import KnowledgeBaseError
from netal.loop.knowledge.runs import RunStore
from netal.loop.knowledge.tables import (
    QUERY_ANSWERED,
    QUERY_STATUSES,
    Base,
    CheckpointRecord,
    IterationRecord,
    LabeledRecord,
    MetricRecord,
    QueryRecord,
    RunRecord,
)


class TableReader(RunStore):
    """Reads runs, queries, labels, iterations, metrics and checkpoints (a part of the knowledge base)."""

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
        # only the two columns used: a damaged row elsewhere (its time stamp) stays unread
        query = select(CheckpointRecord.kind, CheckpointRecord.state).where(
            CheckpointRecord.run_id == run_id
        )
        if iteration is not None:
            query = query.where(CheckpointRecord.iteration == iteration)
        record = session.execute(query.order_by(CheckpointRecord.iteration.desc())).first()
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
