"""Samples added to a run's pool after the start: record them, retire them, read them back."""

from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from netal.errors import KnowledgeBaseError
from netal.loop.knowledge._values import array_json, now
from netal.loop.knowledge.runs import RunStore
from netal.loop.knowledge.tables import CandidateRecord


def candidate_frame(session: Session, run_id: int) -> pd.DataFrame:
    """The candidates of run ``run_id`` in id order (features as arrays)."""
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
    frame = pd.DataFrame(rows, columns=["sample_id", "iteration", "features", "cost", "retired"])
    frame["features"] = [np.array(json.loads(text)) for text in frame["features"]]
    return frame


class CandidateStore(RunStore):
    """Records samples added to the pool (a part of the knowledge base)."""

    def record_candidates(
        self,
        run_id: int,
        iteration: int,
        sample_ids: np.ndarray,
        features: np.ndarray,
        costs: np.ndarray,
    ) -> None:
        """Commit samples added to the pool (one transaction)."""
        stamp = now()
        rows = [
            {
                "run_id": run_id,
                "sample_id": int(sample_id),
                "iteration": int(iteration),
                "features": array_json(row),
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
