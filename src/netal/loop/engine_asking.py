"""Asking: the queries the engine hands out, and when the run stops.

:class:`Asking` hands out the initial set, runs the acquisition function on the
affordable, unreserved pool (checking what the strategy returns), records queries
chosen outside the engine, and finishes the run when a stopping criterion holds
with nothing pending.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from netal.errors import BudgetError, InvalidInputError
from netal.loop.engine_telling import Telling
from netal.loop.knowledge import AskedQuery
from netal.loop.queries import Query
from netal.loop.stopping import LoopState

INITIAL_STRATEGY = "initial"


class Asking(Telling):
    """Hands out queries and stops the run (a part of :class:`~netal.loop.engine.Engine`)."""

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
        self.start_given_labels()
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

    def start_given_labels(self) -> None:
        """Record the initial labels the loop was given and train version 0 (once)."""
        if self.last_labeled < 0 and not self.pending and self.loop.initial_labels is not None:
            self._start()

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

    # ----------------------------------------------------------- stopping

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

    # ------------------------------------------------------------- checks

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
