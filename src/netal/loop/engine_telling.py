"""Telling the engine answers, and returning queries to the pool.

:class:`Telling` checks told answers (known queries, no duplicates, finite labels
and features of the right shape, sensible costs), records them all or none, and
releases queries as refused or expired.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from netal.errors import (
    DuplicateAnswerError,
    InvalidInputError,
    NonFiniteError,
    ShapeMismatchError,
    UnknownQueryError,
)
from netal.loop.budget import accumulate
from netal.loop.engine_training import Training
from netal.loop.knowledge import TellRecord
from netal.loop.queries import Answer, Query, TellResult


class Telling(Training):
    """Takes answers, refusals and lease expiries (a part of :class:`~netal.loop.engine.Engine`)."""

    def tell(self, answers: Iterable[Answer], wall_time: float | None) -> TellResult:
        """Record answers (all or none), then train if the schedule says so."""
        answers = list(answers)
        self.expire()
        records, late, superseded = self._check_answers(answers)
        if records:
            self._record(records, wall_time, superseded)
        self.train_if_due()
        return TellResult(
            accepted=tuple(record.query_id for record in records),
            late=tuple(late),
            model_version=self.last_complete,
        )

    def _check_answers(
        self, answers: Sequence[Answer]
    ) -> tuple[list[TellRecord], list[int], list[int]]:
        """The answers as records to write, the late ones, and the re-asks they supersede."""
        for answer in answers:
            if not isinstance(answer, Answer):
                raise InvalidInputError("answers", f"must be Answer objects, got {answer!r}")
        ids = [int(answer.query_id) for answer in answers]
        seen: set[int] = set()
        for query_id in ids:
            if query_id in seen:
                raise DuplicateAnswerError(
                    "answers",
                    f"query {query_id} is answered twice in one call; nothing was recorded",
                )
            seen.add(query_id)
        stored = self.kb.query_states(self.run_id, [q for q in ids if q not in self.pending])
        accepted: list[TellRecord] = []
        late: list[int] = []
        samples: set[int] = set()
        for answer, query_id in zip(answers, ids, strict=True):
            query = self.pending.get(query_id) or self._released_query(query_id, stored)
            if query_id not in self.pending:
                late.append(query_id)
            if query.sample_id in samples or not self.unlabeled[query.sample_id]:
                raise DuplicateAnswerError(
                    "answers",
                    f"query {query_id}: sample {query.sample_id} is already labeled; "
                    "nothing was recorded",
                )
            samples.add(query.sample_id)
            accepted.append(self._checked_record(answer, query))
        superseded = [
            q.query_id
            for q in self.pending.values()
            if q.sample_id in samples and q.query_id not in seen
        ]
        return accepted, late, superseded

    def _released_query(self, query_id: int, stored: dict[int, dict[str, Any]]) -> Query:
        row = stored.get(query_id)
        if row is None:
            raise UnknownQueryError(
                "answers", f"query {query_id} was never asked in run {self.loop.run_name!r}"
            )
        if row["status"] == "answered":
            raise DuplicateAnswerError(
                "answers",
                f"query {query_id} (sample {row['sample_id']}) was already answered; "
                "nothing was recorded",
            )
        return Query(
            query_id=query_id,
            sample_id=int(row["sample_id"]),
            iteration=int(row["iteration"]),
            score=np.nan if row["score"] is None else float(row["score"]),
            expected_cost=float(row["expected_cost"]),
            lease_expires=row["lease_expires"],
            counted=bool(row["counted"]),
        )

    def _checked_record(self, answer: Answer, query: Query) -> TellRecord:
        """The record of one answer, after checking its label, features and cost."""
        try:
            label = answer.label_array()
        except (TypeError, ValueError):
            raise InvalidInputError(
                "answers", f"query {query.query_id}: label {answer.label!r} is not a number"
            ) from None
        expected = None if self.labels is None else self.labels.shape[1:]
        if label.ndim > 1 or (expected is not None and label.shape != expected):
            raise ShapeMismatchError(
                "answers",
                f"query {query.query_id}: label of shape {label.shape}, "
                f"earlier labels have shape {expected}",
            )
        if not np.isfinite(label).all():
            raise NonFiniteError(
                "answers",
                f"query {query.query_id} (sample {query.sample_id}): non-finite label "
                f"{answer.label!r}; nothing was recorded",
            )
        features = None
        if answer.features is not None:
            try:
                features = np.asarray(answer.features, dtype=np.float64)
            except (TypeError, ValueError):
                raise InvalidInputError(
                    "answers", f"query {query.query_id}: features are not numbers"
                ) from None
            if features.size != int(np.prod(self.X.shape[1:])):
                raise ShapeMismatchError(
                    "answers",
                    f"query {query.query_id}: features of shape {features.shape}, "
                    f"pool rows have shape {self.X.shape[1:]}",
                )
            if not np.isfinite(features).all():
                raise NonFiniteError(
                    "answers", f"query {query.query_id}: non-finite features; nothing was recorded"
                )
        cost = query.expected_cost
        if answer.cost is not None:
            cost = float(answer.cost)
            if not math.isfinite(cost) or cost < 0:
                raise InvalidInputError(
                    "answers", f"query {query.query_id}: cost {answer.cost!r} (need finite, >= 0)"
                )
        if features is not None:
            features = features.reshape(self.X.shape[1:])
        return TellRecord(query.query_id, query.sample_id, label, cost, query.counted, features)

    def _record(
        self, records: list[TellRecord], wall_time: float | None, superseded: list[int]
    ) -> None:
        iteration = self.last_complete + 1
        counted_costs = np.array([r.cost for r in records if r.counted], dtype=np.float64)
        spent_cost = (
            float(accumulate(self.spent_cost, counted_costs)[-1])
            if len(counted_costs)
            else self.spent_cost
        )
        spent_labels = self.spent_labels + len(counted_costs)
        labels = np.stack([record.label for record in records])
        self.kb.record_answers(
            self.run_id,
            iteration,
            records,
            start_position=len(self.labeled_ids),
            spent_labels=spent_labels,
            spent_cost=spent_cost,
            wall_time=wall_time,
            select_seconds=self.unsaved_select_seconds,
            superseded=superseded,
        )
        self.unsaved_select_seconds = None
        self.spent_labels, self.spent_cost = spent_labels, spent_cost
        for query_id in [r.query_id for r in records] + superseded:
            self._release(query_id)
        ids = np.array([record.sample_id for record in records], dtype=np.int64)
        inputs = np.stack(
            [
                self.X[r.sample_id] if r.features is None else r.features.astype(self.X.dtype)
                for r in records
            ]
        )
        self._add_labels(ids, labels, iteration, inputs)

    # -------------------------------------------------------------- revise

    def revise(self, labels: dict[int, Any], reason: str) -> list[int]:
        """Replace told labels (all or none); the sample ids whose label changed."""
        positions = {sample: k for k, sample in enumerate(self.labeled_ids)}
        rows: list[tuple[int, int, np.ndarray]] = []
        for sample_id, value in labels.items():
            position = positions.get(sample_id)
            if position is None or self.labels is None:
                raise InvalidInputError(
                    "labels", f"sample {sample_id} has no told label to revise; nothing was revised"
                )
            try:
                label = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise InvalidInputError(
                    "labels", f"sample {sample_id}: label {value!r} is not a number"
                ) from None
            if label.shape != self.labels.shape[1:]:
                raise ShapeMismatchError(
                    "labels",
                    f"sample {sample_id}: label of shape {label.shape}, told labels have "
                    f"shape {self.labels.shape[1:]}",
                )
            if not np.isfinite(label).all():
                raise NonFiniteError(
                    "labels", f"sample {sample_id}: non-finite label {value!r}; nothing was revised"
                )
            if not np.array_equal(label, self.labels[position]):
                rows.append((position, int(sample_id), label))
        if rows:
            first = self.last_complete + 1
            self.kb.record_revisions(self.run_id, first, rows, reason)
            self.labels = np.array(self.labels, copy=True)
            for position, _, label in rows:
                self.revisions.append((position, first, label))
                self.labels[position] = label
        return [sample for _, sample, _ in rows]

    def reweigh(self, weights: dict[int, float], reason: str) -> list[int]:
        """Set told labels' training weights (all or none); the sample ids whose weight changed."""
        positions = {sample: k for k, sample in enumerate(self.labeled_ids)}
        current = self._weights_as_of(None, len(self.labeled_ids))
        rows: list[tuple[int, int, float]] = []
        for sample_id, value in weights.items():
            position = positions.get(sample_id)
            if position is None:
                raise InvalidInputError(
                    "weights", f"sample {sample_id} has no told label to weigh; nothing was weighed"
                )
            try:
                weight = float(value)
            except (TypeError, ValueError):
                raise InvalidInputError(
                    "weights", f"sample {sample_id}: weight {value!r} is not a number"
                ) from None
            if not math.isfinite(weight) or weight <= 0:
                raise InvalidInputError(
                    "weights",
                    f"sample {sample_id}: weight {value!r} (need finite, > 0); nothing was weighed",
                )
            old = 1.0 if current is None else float(current[position])
            if weight != old:
                rows.append((position, int(sample_id), weight))
        if rows:
            first = self.last_complete + 1
            self.kb.record_weights(self.run_id, first, rows, reason)
            self.weight_changes.extend((position, first, weight) for position, _, weight in rows)
        return [sample for _, sample, _ in rows]

    # -------------------------------------------------------- refuse/expire

    def refuse(self, query_ids: Iterable[int]) -> int:
        """Return pending queries to the pool as refused; then train if due."""
        ids = [int(q) for q in query_ids]
        self.expire()
        stored = self.kb.query_states(self.run_id, [q for q in ids if q not in self.pending])
        for query_id in ids:
            if query_id not in self.pending:
                row = stored.get(query_id)
                if row is None:
                    raise UnknownQueryError(
                        "query_ids",
                        f"query {query_id} was never asked in run {self.loop.run_name!r}",
                    )
                raise InvalidInputError(
                    "query_ids", f"query {query_id} is not pending (it is {row['status']})"
                )
        released = self.kb.release_queries(self.run_id, ids, "refused")
        for query_id in ids:
            self._release(query_id)
        self.train_if_due()
        return released

    def expire(self) -> list[int]:
        """Release pending queries whose lease has run out; their ids."""
        now = self.clock()
        due = [
            q.query_id
            for q in self.pending.values()
            if q.lease_expires is not None and q.lease_expires <= now
        ]
        if due:
            self.kb.release_queries(self.run_id, due, "expired")
            for query_id in due:
                self._release(query_id)
        return due
