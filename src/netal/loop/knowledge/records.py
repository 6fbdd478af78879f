"""The records the knowledge base takes and gives, without SQL.

Plain frozen dataclasses shared by the knowledge base and the engine: a round's
:class:`QueryLog`, an :class:`AskedQuery`, a told answer (:class:`TellRecord`), a
run's stored :class:`RunProgress`, the columns of pending queries, and the
canonical JSON a run's configuration is compared in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class QueryLog:
    """The queries of one iteration, to be written with its labels.

    Attributes
    ----------
    strategy
        Strategy name (``"initial"`` for the initial set labeled by the oracle).
    scores
        Per-query score (``NaN`` when the strategy gives none).
    costs
        Per-query cost the oracle reported.
    wall_time
        Seconds the oracle call took (for the whole batch).
    counted
        Whether these queries count against the budget.
    """

    strategy: str
    scores: np.ndarray
    costs: np.ndarray
    wall_time: float
    counted: bool = True


@dataclass(frozen=True)
class RunProgress:
    """A run's state as stored: what a resumed loop starts from.

    Attributes
    ----------
    labeled_ids, labels
        The labeled set in the order it grew.
    labeled_iteration
        The iteration each labeled row was added in.
    last_labeled
        Highest iteration whose labels are committed (-1: none).
    last_complete
        Highest iteration trained and evaluated (-1: none).
    spent_labels, spent_cost
        Totals after :attr:`last_labeled`.
    history
        Metric name -> values of the complete iterations, in order.
    status, stop_reason
        The run's status.
    pending
        The pending queries (see :meth:`KnowledgeBase.pending_queries`).
    n_batches
        ``ask`` batches handed out so far; ``batches_in_round`` of them in the
        round after :attr:`last_complete`.
    labeled_features
        Per labeled row, the measured input its answer carried (None: the
        pool row's own input).
    candidates
        Samples added to the pool after the start, in id order: sample_id,
        iteration, features (arrays), cost, retired.
    revisions
        Revised labels in the order they were made: ``(position, iteration,
        label)``, the labeled row, the model version first trained on it, the
        new label.
    weights
        Changes of labeled rows' training weights in the order they were made:
        ``(position, iteration, weight)``; rows never weighed have weight 1.
    """

    labeled_ids: np.ndarray
    labels: np.ndarray | None
    labeled_iteration: np.ndarray
    last_labeled: int
    last_complete: int
    spent_labels: int
    spent_cost: float
    history: dict[str, list[float]]
    status: str
    stop_reason: str | None
    pending: pd.DataFrame
    n_batches: int = 0
    batches_in_round: int = 0
    labeled_features: tuple[np.ndarray | None, ...] = ()
    candidates: pd.DataFrame | None = None
    revisions: tuple[tuple[int, int, np.ndarray], ...] = ()
    weights: tuple[tuple[int, int, float], ...] = ()


@dataclass(frozen=True)
class AskedQuery:
    """A query as written by :meth:`KnowledgeBase.record_asked`."""

    sample_id: int
    score: float
    expected_cost: float
    lease_expires: float | None


@dataclass(frozen=True)
class TellRecord:
    """One accepted answer, as written by :meth:`KnowledgeBase.record_answers`."""

    query_id: int
    sample_id: int
    label: np.ndarray
    cost: float
    counted: bool
    features: np.ndarray | None = None


PENDING_COLUMNS = [
    "query_id",
    "iteration",
    "batch",
    "sample_id",
    "strategy",
    "score",
    "expected_cost",
    "counted",
    "asked_at",
    "lease_expires",
]


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal configs give equal strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
