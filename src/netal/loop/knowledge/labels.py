"""Writing a run's labels and model versions to the knowledge base.

:class:`LabelWriter` commits the labels of an iteration together with their queries
(one transaction), then the iteration's metrics and checkpoint once it is trained.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from netal.errors import KnowledgeBaseError
from netal.loop.knowledge._values import float_or_none, label_json, now
from netal.loop.knowledge.records import QueryLog
from netal.loop.knowledge.runs import RunStore
from netal.loop.knowledge.tables import (
    CheckpointRecord,
    IterationRecord,
    LabeledRecord,
    LabelRevisionRecord,
    LabelWeightRecord,
    MetricRecord,
    QueryRecord,
)


class LabelWriter(RunStore):
    """Commits labels and trained model versions (a part of the knowledge base)."""

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
        stamp = now()
        label_texts = [label_json(label) for label in labels]
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
                    "score": float_or_none(score),
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

    def record_revisions(
        self,
        run_id: int,
        iteration: int,
        rows: list[tuple[int, int, np.ndarray]],
        reason: str = "",
    ) -> None:
        """Commit revised labels ``(position, sample_id, label)``, first trained in ``iteration``."""
        stamp = now()
        with self.engine.begin() as connection:
            connection.execute(
                insert(LabelRevisionRecord),
                [
                    {
                        "run_id": run_id,
                        "position": int(position),
                        "sample_id": int(sample_id),
                        "iteration": int(iteration),
                        "label": label_json(label),
                        "reason": reason[:200],
                        "created": stamp,
                    }
                    for position, sample_id, label in rows
                ],
            )

    def record_weights(
        self,
        run_id: int,
        iteration: int,
        rows: list[tuple[int, int, float]],
        reason: str = "",
    ) -> None:
        """Commit training weights ``(position, sample_id, weight)``, first used in ``iteration``."""
        stamp = now()
        with self.engine.begin() as connection:
            connection.execute(
                insert(LabelWeightRecord),
                [
                    {
                        "run_id": run_id,
                        "position": int(position),
                        "sample_id": int(sample_id),
                        "iteration": int(iteration),
                        "weight": float(weight),
                        "reason": reason[:200],
                        "created": stamp,
                    }
                    for position, sample_id, weight in rows
                ],
            )

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
        retrained: tuple[int, int, float] | None = None,
    ) -> None:
        """Commit the metrics and checkpoint of ``iteration`` and mark it complete.

        ``retrained = (n_labeled, spent_labels, spent_cost)`` records a version
        trained again on labels an earlier version already had (no labels of
        its own): its iteration row is created here, complete.
        """
        with self.engine.begin() as connection:
            if retrained is not None:
                n_labeled, spent_labels, spent_cost = retrained
                stamp = now()
                connection.execute(
                    insert(IterationRecord),
                    [
                        {
                            "run_id": run_id,
                            "iteration": iteration,
                            "status": "labeled",
                            "n_labeled": int(n_labeled),
                            "spent_labels": int(spent_labels),
                            "spent_cost": float(spent_cost),
                            "select_seconds": None,
                            "oracle_seconds": None,
                            "train_seconds": None,
                            "labeled_at": stamp,
                            "completed_at": None,
                        }
                    ],
                )
            if metrics:
                connection.execute(
                    insert(MetricRecord),
                    [
                        {
                            "run_id": run_id,
                            "iteration": iteration,
                            "name": name,
                            "value": float_or_none(value),
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
                            "created": now(),
                        }
                    ],
                )
            updated = connection.execute(
                update(IterationRecord)
                .where(IterationRecord.run_id == run_id, IterationRecord.iteration == iteration)
                .values(status="complete", train_seconds=float(train_seconds), completed_at=now())
            )
            if updated.rowcount != 1:
                raise KnowledgeBaseError(
                    f"iteration {iteration} of run id {run_id} has no committed labels"
                )
