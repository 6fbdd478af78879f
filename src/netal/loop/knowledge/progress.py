"""A run's progress read in one snapshot: everything a resumed engine starts from."""

from __future__ import annotations

import json

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netal.loop.knowledge.candidates import candidate_frame
from netal.loop.knowledge.lifecycle import pending_frame
from netal.loop.knowledge.records import RunProgress
from netal.loop.knowledge.runs import RunStore
from netal.loop.knowledge.tables import (
    IterationRecord,
    LabeledRecord,
    LabelRevisionRecord,
    LabelWeightRecord,
    MetricRecord,
    QueryRecord,
    RunRecord,
)


class ProgressReader(RunStore):
    """Reads a run's state as stored (a part of the knowledge base)."""

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
            candidates = candidate_frame(session, run_id)
            revisions = session.execute(
                select(
                    LabelRevisionRecord.position,
                    LabelRevisionRecord.iteration,
                    LabelRevisionRecord.label,
                )
                .where(LabelRevisionRecord.run_id == run_id)
                .order_by(LabelRevisionRecord.id)
            ).all()
            weights = session.execute(
                select(
                    LabelWeightRecord.position,
                    LabelWeightRecord.iteration,
                    LabelWeightRecord.weight,
                )
                .where(LabelWeightRecord.run_id == run_id)
                .order_by(LabelWeightRecord.id)
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
            pending = pending_frame(session, run_id)
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
            revisions=tuple(
                (int(position), int(iteration), np.array(json.loads(label), dtype=np.float64))
                for position, iteration, label in revisions
            ),
            weights=tuple(
                (int(position), int(iteration), float(weight))
                for position, iteration, weight in weights
            ),
        )
