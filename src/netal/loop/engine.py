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

The engine is composed of parts, each building on the one before:
:mod:`~netal.loop.engine_state` (the state), :mod:`~netal.loop.engine_training`,
:mod:`~netal.loop.engine_telling` and :mod:`~netal.loop.engine_asking`; this module
adds growing and shrinking the pool.
"""

from __future__ import annotations

import numpy as np

from netal.errors import InvalidInputError
from netal.loop.engine_asking import INITIAL_STRATEGY, Asking
from netal.loop.knowledge import QueryLog


class Engine(Asking):
    """The mutable state of one opened run and the ask/tell/train operations on it."""

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


__all__ = ["INITIAL_STRATEGY", "Engine", "QueryLog"]
