"""The engine behind :class:`~netal.loop.ActiveLearningLoop`: ask, tell, train, all in the KB.

One object per opened run.  It holds the run's state in memory (labeled set,
pending queries, spending, model version) and writes every change to the
knowledge base before acting on it, so a new engine built from the knowledge
base (:meth:`KnowledgeBase.progress`) continues exactly where a killed one
stopped.  Life cycle of a query::

    ask -> pending --tell--> answered (labels the sample; counts as spent)
              |--refuse-> refused   (sample back in the pool)
              |--lease--> expired   (sample back in the pool; a late answer is
              |                      still accepted while the sample is unlabeled)
              '---------> superseded (a late answer labeled the sample first)

Model versions: labels told while version ``v`` is the latest are recorded
with iteration ``v + 1`` and trained in that version when the retrain schedule
says so (:mod:`netal.loop.schedule`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from netal.errors import (
    BudgetError,
    DuplicateAnswerError,
    InvalidInputError,
    KnowledgeBaseError,
    NonFiniteError,
    ShapeMismatchError,
    UnknownQueryError,
)
from netal.loop.budget import accumulate
from netal.loop.callbacks import IterationContext
from netal.loop.checkpoints import Restorer, snapshot
from netal.loop.knowledge import AskedQuery, KnowledgeBase, QueryLog, RunProgress, TellRecord
from netal.loop.queries import Answer, Query, TellResult
from netal.loop.seeds import derive_seed
from netal.loop.stopping import POOL_UNCERTAINTY, LoopState

if TYPE_CHECKING:
    from netal.loop.loop import ActiveLearningLoop

INITIAL_STRATEGY = "initial"


class Engine:
    """The mutable state of one opened run and the ask/tell/train operations on it."""

    def __init__(
        self,
        loop: ActiveLearningLoop,
        run_id: int,
        costs: np.ndarray,
        progress: RunProgress,
        clock: Callable[[], float],
    ) -> None:
        self.loop = loop
        self.kb: KnowledgeBase = loop.knowledge_base
        self.run_id = run_id
        self.clock = clock
        self.X, self.costs, self.retired = self._pool(loop.X, costs, progress)
        self.labeled_ids: list[int] = progress.labeled_ids.tolist()
        self.labels = progress.labels
        self.train_inputs = self._inputs(progress)
        self.unlabeled = np.ones(len(self.X), dtype=bool)
        self.unlabeled[progress.labeled_ids] = False
        self.spent_labels = progress.spent_labels
        self.spent_cost = progress.spent_cost
        self.history = {name: list(values) for name, values in progress.history.items()}
        self.last_labeled = progress.last_labeled
        self.last_complete = progress.last_complete
        self.n_trained = int((progress.labeled_iteration <= progress.last_complete).sum())
        self.status = progress.status
        self.stop_reason = progress.stop_reason
        self.batches_in_round = progress.batches_in_round
        self.n_batches = progress.n_batches
        self.unsaved_select_seconds: float | None = None
        self.pending: dict[int, Query] = {}
        self.reserved = np.zeros(len(self.X), dtype=bool)
        for row in progress.pending.itertuples(index=False):
            self._hold(
                Query(
                    query_id=int(row.query_id),
                    sample_id=int(row.sample_id),
                    iteration=int(row.iteration),
                    score=float(row.score),
                    expected_cost=float(row.expected_cost),
                    lease_expires=None if math.isnan(row.lease_expires) else row.lease_expires,
                    counted=bool(row.counted),
                )
            )
        self.restorer = Restorer(loop.make_learner, self._training_data)
        self.checkpoint: tuple[str, bytes] | None = (
            self.kb.checkpoint_by_id(run_id, progress.last_complete)
            if progress.last_complete >= 0
            else None
        )

    @staticmethod
    def _pool(
        X: np.ndarray, costs: np.ndarray, progress: RunProgress
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The pool: the loop's rows plus the candidates added since the start."""
        added = progress.candidates
        if added is None or not len(added):
            return X, costs, np.zeros(len(X), dtype=bool)
        ids = added["sample_id"].to_numpy(dtype=np.int64)
        if not np.array_equal(ids, np.arange(len(X), len(X) + len(ids))):
            raise KnowledgeBaseError(
                f"the candidates of this run have ids {ids.min()}..{ids.max()}, "
                f"which do not follow the {len(X)} rows of X"
            )
        rows = np.stack(added["features"].to_list()).astype(X.dtype).reshape(-1, *X.shape[1:])
        retired = np.concatenate(
            [np.zeros(len(X), dtype=bool), added["retired"].to_numpy(dtype=bool)]
        )
        extra_costs = added["cost"].to_numpy(dtype=np.float64)
        return np.concatenate([X, rows]), np.concatenate([costs, extra_costs]), retired

    def _inputs(self, progress: RunProgress) -> np.ndarray:
        """Training inputs of the labeled rows: a measurement's own input, else the pool row."""
        ids = progress.labeled_ids
        inputs = self.X[ids].copy()
        for position, features in enumerate(progress.labeled_features):
            if features is not None:
                inputs[position] = np.asarray(features).reshape(self.X.shape[1:])
        return inputs

    def available(self) -> np.ndarray:
        """Mask of the pool rows an ``ask`` may hand out (unlabeled, unreserved, not retired)."""
        return self.unlabeled & ~self.reserved & ~self.retired

    # ------------------------------------------------------------- the pool

    def add_candidates(self, X_new: np.ndarray, costs: np.ndarray) -> np.ndarray:
        """Append rows to the pool (recorded first); their sample ids."""
        ids = np.arange(len(self.X), len(self.X) + len(X_new), dtype=np.int64)
        self.kb.record_candidates(self.run_id, self.last_complete + 1, ids, X_new, costs)
        self.X = np.concatenate([self.X, X_new.astype(self.X.dtype)])
        self.costs = np.concatenate([self.costs, costs])
        grow = np.ones(len(ids), dtype=bool)
        self.unlabeled = np.concatenate([self.unlabeled, grow])
        self.reserved = np.concatenate([self.reserved, ~grow])
        self.retired = np.concatenate([self.retired, ~grow])
        return ids

    def retire(self, sample_ids: np.ndarray) -> None:
        """Take added, unlabeled, unreserved samples out of the pool for good."""
        n_base = len(self.loop.X)
        bad = sample_ids[(sample_ids < n_base) | (sample_ids >= len(self.X))]
        if len(bad):
            raise InvalidInputError(
                "sample_ids", f"{int(bad[0])} is not a candidate added to this run's pool"
            )
        busy = sample_ids[~self.unlabeled[sample_ids] | self.reserved[sample_ids]]
        if len(busy):
            raise InvalidInputError(
                "sample_ids", f"candidate {int(busy[0])} is labeled or pending; it stays"
            )
        self.kb.retire_candidates(self.run_id, sample_ids)
        self.retired[sample_ids] = True

    # ------------------------------------------------------------------ ask

    def ask(self, n: int, lease: float | None) -> list[Query]:
        """Up to ``n`` new pending queries (the whole initial set first, if the oracle labels it)."""
        self.expire()
        self.train_if_due()
        if self.status == "finished":
            return []
        if self.last_labeled < 0 and not self.pending:
            initial = self._start()
            if initial is not None:
                return self._issue(initial, lease)
        if self.checkpoint is None:
            return []  # the initial set is still out
        reason = self._stop_reason()
        if reason is not None:
            self._finish_if_idle(reason)
            return []
        planned = self._select(n)
        if planned is None:
            self._finish_if_idle("empty_selection")
            return []
        return self._issue(planned, lease)

    def ask_for(
        self, ids: np.ndarray, scores: np.ndarray, strategy: str, lease: float | None
    ) -> list[Query]:
        """Pending queries for samples chosen outside the engine (checked, then recorded)."""
        self.expire()
        self.train_if_due()
        if self.status == "finished":
            raise InvalidInputError("sample_ids", f"run {self.loop.run_name!r} is finished")
        if self.last_labeled < 0 and not self.pending and self.loop.initial_labels is not None:
            self._start()  # record the given initial labels and train version 0
        if self.checkpoint is None:
            raise InvalidInputError(
                "sample_ids", "the initial set is not labeled yet; ask() hands it out first"
            )
        bad = ids[(ids < 0) | (ids >= len(self.X))]
        if len(bad):
            raise InvalidInputError("sample_ids", f"{int(bad[0])} is not a row of the pool")
        if len(np.unique(ids)) != len(ids):
            raise InvalidInputError("sample_ids", "contains duplicates")
        taken = ids[~self.available()[ids]]
        if len(taken):
            raise InvalidInputError(
                "sample_ids", f"sample {int(taken[0])} is labeled, pending or retired"
            )
        spent_labels, spent_cost = self._committed_and_reserved()
        budget = self.loop.budget
        if budget.remaining_labels(spent_labels) < len(ids) or budget.fitting_prefix(
            self.costs[ids], spent_cost
        ) < len(ids):
            raise BudgetError(
                "sample_ids", f"{len(ids)} more queries do not fit the remaining budget"
            )
        return self._issue((strategy, True, ids, scores), lease)

    def _start(self) -> tuple[str, bool, np.ndarray, np.ndarray] | None:
        """Record given initial labels, or plan the initial set as (uncounted) queries."""
        loop = self.loop
        ids = loop.initial_ids
        if loop.initial_labels is None:
            return INITIAL_STRATEGY, False, ids, np.full(len(ids), np.nan)
        self.kb.record_labels(
            self.run_id,
            0,
            ids,
            loop.initial_labels,
            start_position=0,
            spent_labels=0,
            spent_cost=0.0,
            query=None,
        )
        self._add_labels(ids, loop.initial_labels, 0)
        self.train_if_due()
        return None

    def _select(self, n: int) -> tuple[str, bool, np.ndarray, np.ndarray] | None:
        """Run the acquisition function on the affordable, unreserved pool."""
        loop, budget = self.loop, self.loop.budget
        iteration = self.last_complete + 1
        spent_labels, spent_cost = self._committed_and_reserved()
        pool_ids = np.flatnonzero(self.available())
        candidates = pool_ids[budget.affordable(self.costs[pool_ids], spent_cost)]
        k = budget.batch_limit(n, spent_labels, len(candidates))
        if k < 1:
            return None
        learner = self.restore(iteration, "select")
        remaining = budget.remaining_cost(spent_cost)
        rng_key = [loop.seed, iteration]
        if self.batches_in_round:
            rng_key.append(self.batches_in_round)
        start = time.perf_counter()
        selection = loop.strategy.select(
            learner,
            self.X[candidates],
            self.train_inputs,
            k,
            costs=self.costs[candidates],
            budget=None if math.isinf(remaining) else remaining,
            rng=np.random.default_rng(rng_key),
        )
        seconds = time.perf_counter() - start
        self.unsaved_select_seconds = (self.unsaved_select_seconds or 0.0) + seconds
        picked, scores = self._check_selection(selection, len(candidates), k)
        chosen = candidates[picked]
        n_fit = budget.fitting_prefix(self.costs[chosen], spent_cost)
        if n_fit == 0:
            return None
        return loop.strategy.name, True, chosen[:n_fit], scores[:n_fit]

    def _issue(
        self, planned: tuple[str, bool, np.ndarray, np.ndarray], lease: float | None
    ) -> list[Query]:
        strategy, counted, ids, scores = planned
        iteration = self.last_complete + 1
        expires = None if lease is None else self.clock() + float(lease)
        asked = [
            AskedQuery(int(i), float(s), float(self.costs[i]), expires)
            for i, s in zip(ids, scores, strict=True)
        ]
        query_ids = self.kb.record_asked(
            self.run_id,
            iteration=iteration,
            batch=self.n_batches,
            strategy=strategy,
            counted=counted,
            queries=asked,
        )
        self.n_batches += 1
        self.batches_in_round += 1
        queries = [
            Query(q, a.sample_id, iteration, a.score, a.expected_cost, expires, counted)
            for q, a in zip(query_ids, asked, strict=True)
        ]
        for query in queries:
            self._hold(query)
        return queries

    # ----------------------------------------------------------------- tell

    def tell(self, answers: Iterable[Answer], wall_time: float | None) -> TellResult:
        """Record answers (all or none), then train if the schedule says so."""
        answers = list(answers)
        self.expire()
        accepted, late, superseded = self._check_answers(answers)
        records: list[TellRecord] = []
        for answer, query in accepted:
            cost = query.expected_cost if answer.cost is None else float(answer.cost)
            features = (
                None
                if answer.features is None
                else np.asarray(answer.features, dtype=np.float64).reshape(self.X.shape[1:])
            )
            records.append(
                TellRecord(
                    query.query_id,
                    query.sample_id,
                    answer.label_array(),
                    cost,
                    query.counted,
                    features,
                )
            )
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
    ) -> tuple[list[tuple[Answer, Query]], list[int], list[int]]:
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
        accepted: list[tuple[Answer, Query]] = []
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
            self._check_label(answer, query)
            accepted.append((answer, query))
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

    def _check_label(self, answer: Answer, query: Query) -> None:
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
        if answer.cost is not None:
            cost = float(answer.cost)
            if not math.isfinite(cost) or cost < 0:
                raise InvalidInputError(
                    "answers", f"query {query.query_id}: cost {answer.cost!r} (need finite, >= 0)"
                )

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

    # ---------------------------------------------------------------- train

    def train_if_due(self) -> bool:
        """Train a new model version if the retrain schedule says so."""
        new = len(self.labeled_ids) - self.n_trained
        first = self.checkpoint is None and not self.pending  # version 0: always, once complete
        if new > 0 and (first or self.loop.retrain_schedule.due(new, len(self.pending))):
            self.train()
            return True
        return False

    def train(self) -> int:
        """Train and evaluate a model version on every label so far (if any is new)."""
        if len(self.labeled_ids) == self.n_trained:
            return self.last_complete
        loop = self.loop
        iteration = self.last_complete + 1
        ids = np.asarray(self.labeled_ids, dtype=np.int64)
        X_labeled, y_labeled = self.train_inputs, self.labels
        seed = derive_seed(loop.seed, iteration, "train")
        start = time.perf_counter()
        if self.checkpoint is None or loop.retrain.reinitialize(iteration):
            learner = loop.make_learner(seed)
            learner.fit(X_labeled, y_labeled)
        else:
            learner = self.restore(self.last_complete, "train", seed=seed)
            learner.partial_fit(X_labeled, y_labeled)
        train_seconds = time.perf_counter() - start
        self.checkpoint = snapshot(learner, n_labeled=len(ids), train_seed=seed)
        self.last_complete = iteration
        self.n_trained = len(ids)
        self.batches_in_round = 0
        metrics = self._evaluate(iteration, ids)
        self.kb.record_iteration(
            self.run_id, iteration, metrics, checkpoint=self.checkpoint, train_seconds=train_seconds
        )
        for name, value in metrics.items():
            self.history.setdefault(name, []).append(value)
        return iteration

    def _evaluate(self, iteration: int, labeled_ids: np.ndarray) -> dict[str, float]:
        loop = self.loop
        learner = self.restore(iteration, "evaluate")
        pool_ids = np.flatnonzero(self.unlabeled & ~self.retired)
        metrics: dict[str, float] = {
            "n_labeled": float(len(labeled_ids)),
            "spent_labels": float(self.spent_labels),
            "spent_cost": float(self.spent_cost),
        }
        if loop.track_pool_uncertainty and len(pool_ids):
            dist = learner.predict_dist(self.X[pool_ids])
            metrics[POOL_UNCERTAINTY] = float(np.mean(dist.epistemic_var))
        assert self.labels is not None
        context = IterationContext(
            iteration=iteration,
            learner=learner,
            X=self.X,
            labeled_ids=labeled_ids,
            y_labeled=self.labels,
            unlabeled_ids=pool_ids,
        )
        for callback in loop.callbacks:
            for name, value in dict(callback.on_iteration_end(context)).items():
                if name in metrics:
                    raise InvalidInputError(
                        "callbacks", f"{callback!r} returned metric {name!r}, which already exists"
                    )
                metrics[name] = float(value)
        return metrics

    def restore(self, iteration: int, phase: str, seed: int | None = None) -> Any:
        """The learner of the latest model version, seeded for ``phase`` of ``iteration``."""
        assert self.checkpoint is not None
        kind, state = self.checkpoint
        if seed is None:
            seed = derive_seed(self.loop.seed, iteration, phase)
        return self.restorer.restore(kind, state, self.last_complete, seed)

    def _training_data(self, iteration: int, n_labeled: int) -> tuple[np.ndarray, np.ndarray]:
        assert self.labels is not None
        return self.train_inputs[:n_labeled], self.labels[:n_labeled]

    # ----------------------------------------------------------- stopping

    def _committed_and_reserved(self) -> tuple[int, float]:
        """Spending so far plus what the pending (counted) queries reserve."""
        counted = [q for q in self.pending.values() if q.counted]
        if not counted:
            return self.spent_labels, self.spent_cost
        reserved = accumulate(self.spent_cost, np.array([q.expected_cost for q in counted]))
        return self.spent_labels + len(counted), float(reserved[-1])

    def _stop_reason(self) -> str | None:
        spent_labels, spent_cost = self._committed_and_reserved()
        pool_ids = np.flatnonzero(self.available())
        state = LoopState(
            iteration=self.last_complete,
            spent_labels=spent_labels,
            spent_cost=spent_cost,
            budget=self.loop.budget,
            n_unlabeled=len(pool_ids),
            min_pool_cost=float(self.costs[pool_ids].min()) if len(pool_ids) else math.inf,
            history=self.history,
        )
        for criterion in self.loop.stopping:
            if criterion.should_stop(state):
                return criterion.name
        return None

    def _finish_if_idle(self, reason: str) -> None:
        if self.pending:
            return
        self.kb.finish_run(self.run_id, reason)
        self.status, self.stop_reason = "finished", reason

    # -------------------------------------------------------------- helpers

    def _hold(self, query: Query) -> None:
        self.pending[query.query_id] = query
        self.reserved[query.sample_id] = True

    def _release(self, query_id: int) -> None:
        query = self.pending.pop(query_id, None)
        if query is not None and not any(
            q.sample_id == query.sample_id for q in self.pending.values()
        ):
            self.reserved[query.sample_id] = False

    def _add_labels(
        self,
        ids: np.ndarray,
        labels: np.ndarray,
        iteration: int,
        inputs: np.ndarray | None = None,
    ) -> None:
        inputs = self.X[ids] if inputs is None else inputs
        self.train_inputs = np.concatenate([self.train_inputs, inputs.astype(self.X.dtype)])
        self.labeled_ids.extend(int(i) for i in ids)
        self.unlabeled[ids] = False
        self.labels = labels if self.labels is None else np.concatenate([self.labels, labels])
        self.last_labeled = iteration

    def _check_selection(
        self, selection: Any, n_candidates: int, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        name = f"strategy {self.loop.strategy.name!r}"
        indices = np.asarray(getattr(selection, "indices", None))
        scores = np.asarray(getattr(selection, "scores", np.zeros(len(indices))), dtype=np.float64)
        if indices.ndim != 1 or indices.dtype.kind not in "iu":
            raise InvalidInputError(
                "strategy", f"{name} returned indices that are not 1-D integers"
            )
        if len(indices) > k:
            raise InvalidInputError(
                "strategy", f"{name} returned {len(indices)} rows, asked for {k}"
            )
        if len(indices) and (indices.min() < 0 or indices.max() >= n_candidates):
            raise InvalidInputError(
                "strategy", f"{name} returned indices outside [0, {n_candidates})"
            )
        if len(np.unique(indices)) != len(indices):
            raise InvalidInputError("strategy", f"{name} returned duplicate indices")
        if len(scores) != len(indices):
            raise InvalidInputError(
                "strategy", f"{name} returned {len(scores)} scores for {len(indices)} rows"
            )
        return indices.astype(np.int64), scores


__all__ = ["INITIAL_STRATEGY", "Engine", "QueryLog"]
