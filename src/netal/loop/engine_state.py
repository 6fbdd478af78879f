"""The state of one opened run in memory, rebuilt from the knowledge base.

:class:`EngineState` reads a run's stored progress into the engine's pool, labeled
set, pending queries, spending and model version, and keeps that bookkeeping
consistent (holding and releasing samples, adding labels, what pending queries
reserve); the engine's operations build on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from netal.errors import KnowledgeBaseError
from netal.loop.budget import accumulate
from netal.loop.checkpoints import Restorer
from netal.loop.knowledge import KnowledgeBase, RunProgress
from netal.loop.queries import Query

if TYPE_CHECKING:
    from netal.loop.loop import ActiveLearningLoop


class EngineState:
    """The in-memory state of one opened run (the base of :class:`~netal.loop.engine.Engine`)."""

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
        self.told_labels = progress.labels  # as told; revisions apply from their model version
        self.revisions: list[tuple[int, int, np.ndarray]] = list(progress.revisions)
        self.labels = self._labels_as_of(None, len(self.labeled_ids))
        self.weight_changes: list[tuple[int, int, float]] = list(progress.weights)
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

    # ------------------------------------------------------------ bookkeeping

    def _hold(self, query: Query) -> None:
        self.pending[query.query_id] = query
        self.reserved[query.sample_id] = True

    def _release(self, query_id: int) -> None:
        query = self.pending.pop(query_id, None)
        if query is not None:  # a sample has at most one pending query: asks take available rows
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
        self.told_labels = (
            labels if self.told_labels is None else np.concatenate([self.told_labels, labels])
        )
        self.last_labeled = iteration

    def _committed_and_reserved(self) -> tuple[int, float]:
        """Spending so far plus what the pending (counted) queries reserve."""
        counted = [q for q in self.pending.values() if q.counted]
        if not counted:
            return self.spent_labels, self.spent_cost
        reserved = accumulate(self.spent_cost, np.array([q.expected_cost for q in counted]))
        return self.spent_labels + len(counted), float(reserved[-1])

    def _labels_as_of(self, iteration: int | None, n_labeled: int) -> np.ndarray | None:
        """The first ``n_labeled`` labels model version ``iteration`` trains on (None: the latest).

        A revised label replaces the told one from the version its revision
        names on, so an earlier version refitted from its checkpoint note sees
        the labels it was trained on.
        """
        if self.told_labels is None:
            return None
        labels = np.array(self.told_labels[:n_labeled], copy=True)
        for position, first, label in self.revisions:
            if position < n_labeled and (iteration is None or first <= iteration):
                labels[position] = label
        return labels

    def _weights_as_of(self, iteration: int | None, n_labeled: int) -> np.ndarray | None:
        """Training weights of the first ``n_labeled`` rows for model version ``iteration``.

        ``None`` when no row was ever weighed (every row weighs 1), so a run
        without weights trains exactly as before.
        """
        if not self.weight_changes:
            return None
        weights = np.ones(n_labeled, dtype=np.float64)
        for position, first, weight in self.weight_changes:
            if position < n_labeled and (iteration is None or first <= iteration):
                weights[position] = weight
        return weights

    def _training_data(
        self, iteration: int, n_labeled: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Inputs, labels and training weights (None: all 1) that version ``iteration`` trains on."""
        assert self.labels is not None
        weights = self._weights_as_of(iteration, n_labeled)
        if not self.revisions:
            return self.train_inputs[:n_labeled], self.labels[:n_labeled], weights
        labels = self._labels_as_of(iteration, n_labeled)
        assert labels is not None
        return self.train_inputs[:n_labeled], labels, weights
