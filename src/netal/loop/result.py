"""What a finished (or interrupted) run returns: :class:`LoopResult`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class LoopResult:
    """What :meth:`ActiveLearningLoop.run` returns.

    Attributes
    ----------
    run_name
        The run's name in the knowledge base.
    labeled_ids, labels
        The final labeled set in the order it grew (initial rows first).
    n_initial
        How many of them form the initial set.
    iterations
        The last completed iteration (number of query rounds).
    spent_labels, spent_cost
        What the queries cost in total (the initial set is free).
    stop_reason
        Name of the stopping criterion that ended the run.
    metrics
        Wide table, one row per iteration, one column per metric (always
        ``n_labeled``, ``spent_labels``, ``spent_cost``; plus callbacks').
    queries
        Every query (see :meth:`KnowledgeBase.queries`).
    iteration_log
        Per-iteration status, spending and timings.
    learner
        The learner of the last iteration.
    """

    run_name: str
    labeled_ids: np.ndarray
    labels: np.ndarray
    n_initial: int
    iterations: int
    spent_labels: int
    spent_cost: float
    stop_reason: str
    metrics: pd.DataFrame
    queries: pd.DataFrame
    iteration_log: pd.DataFrame
    learner: Any

    @property
    def queried_ids(self) -> np.ndarray:
        """Ids bought by queries, in query order (the labeled set minus the initial set)."""
        return self.labeled_ids[self.n_initial :]
