"""Training, evaluating and restoring the engine's model versions.

:class:`Training` decides with the retrain schedule whether a new model version is
due, trains it (from scratch or warm) on every label so far, evaluates it (pool
uncertainty, callbacks), records it in the knowledge base, and restores the
latest version for a phase.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from netal.errors import InvalidInputError
from netal.loop.callbacks import IterationContext
from netal.loop.checkpoints import snapshot
from netal.loop.engine_state import EngineState
from netal.loop.retrain import fit_learner
from netal.loop.seeds import derive_seed
from netal.loop.stopping import POOL_UNCERTAINTY


class Training(EngineState):
    """Trains, evaluates and restores model versions (a part of :class:`~netal.loop.engine.Engine`)."""

    def train_if_due(self) -> bool:
        """Train a new model version if the retrain schedule says so."""
        new = len(self.labeled_ids) - self.n_trained
        first = self.checkpoint is None and not self.pending  # version 0: always, once complete
        if new > 0 and (first or self.loop.retrain_schedule.due(new, len(self.pending))):
            self.train()
            return True
        return False

    def train(self, force: bool = False) -> int:
        """Train and evaluate a model version on every label so far (if any is new or
        revised, or ``force``).

        ``force`` trains a new version even without new labels (e.g. the same
        labels seen through another training window); it needs a version to
        exist already.
        """
        revised = any(
            first > self.last_complete for _, first, _ in [*self.revisions, *self.weight_changes]
        )
        retrained = (force or revised) and len(self.labeled_ids) == self.n_trained
        if len(self.labeled_ids) == self.n_trained and not (retrained and self.checkpoint):
            return self.last_complete
        loop = self.loop
        iteration = self.last_complete + 1
        ids = np.asarray(self.labeled_ids, dtype=np.int64)
        X_labeled, y_labeled = self.train_inputs, self.labels
        weights = self._weights_as_of(None, len(ids))
        seed = derive_seed(loop.seed, iteration, "train")
        start = time.perf_counter()
        if self.checkpoint is None or loop.retrain.reinitialize(iteration):
            learner = loop.make_learner(seed)
            fit_learner(learner, X_labeled, y_labeled, weights)
        else:
            learner = self.restore(self.last_complete, "train", seed=seed)
            fit_learner(learner, X_labeled, y_labeled, weights, partial=True)
        train_seconds = time.perf_counter() - start
        self.checkpoint = snapshot(learner, n_labeled=len(ids), train_seed=seed)
        self.last_complete = iteration
        self.n_trained = len(ids)
        self.batches_in_round = 0
        metrics = self._evaluate(iteration, ids)
        self.kb.record_iteration(
            self.run_id,
            iteration,
            metrics,
            checkpoint=self.checkpoint,
            train_seconds=train_seconds,
            retrained=(len(ids), self.spent_labels, self.spent_cost) if retrained else None,
        )
        if retrained:
            self.last_labeled = iteration  # as the stored iteration row says on resume
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

    def restore_version(self, version: int) -> Any:
        """The learner of an earlier model version ``version`` (from its stored checkpoint)."""
        kind, state = self.kb.checkpoint_by_id(self.run_id, version)
        seed = derive_seed(self.loop.seed, version, "evaluate")
        return self.restorer.restore(kind, state, version, seed)
