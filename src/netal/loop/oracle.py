"""Oracles: whatever provides the ground truth for queried samples.

The loop talks to an oracle only through :class:`Oracle`.  A dataset replay
(:class:`ReplayOracle`) hides the labels of a fixed table until they are
queried; the digital twin and human annotators implement the same protocol.
Samples are identified by integer ids (their row ids in the pool).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from netal._validation import as_float_array, check_ids
from netal.errors import InvalidInputError


@dataclass(frozen=True)
class OracleAnswer:
    """Labels for queried ids and what each cost.

    Attributes
    ----------
    ids
        The queried ids, ``int64``, in query order.
    labels
        One label per id: shape ``(n,)`` or ``(n, h)``.
    costs
        Cost actually incurred per id, ``(n,)`` (same unit as the cost budget).
    """

    ids: np.ndarray
    labels: np.ndarray
    costs: np.ndarray


@runtime_checkable
class Oracle(Protocol):
    """Provides labels on request, at a cost."""

    def cost(self, ids: np.ndarray) -> np.ndarray:
        """Expected cost of labeling each id, ``(n,)``, known before querying."""
        ...

    def query(self, ids: np.ndarray) -> OracleAnswer:
        """Return the labels of ``ids`` (and what they cost)."""
        ...


class ReplayOracle:
    """Replay the labels of a fixed dataset, revealing them only when queried.

    Parameters
    ----------
    labels
        Hidden labels, ``(n,)`` or ``(n, h)``; row ``i`` is the label of id ``i``.
    costs
        Per-sample cost, a scalar or ``(n,)`` array; default one unit per label.

    Attributes
    ----------
    n_queries
        How many labels have been revealed so far (a sample queried twice
        counts twice).
    """

    def __init__(self, labels: Any, costs: float | Any = 1.0) -> None:
        self._labels = as_float_array(labels, "labels", ndim=(1, 2))
        n = self._labels.shape[0]
        cost_array = np.broadcast_to(np.asarray(costs, dtype=np.float64), (n,)).copy()
        if not np.isfinite(cost_array).all() or (cost_array <= 0).any():
            raise InvalidInputError("costs", "must be finite and strictly positive")
        self._costs = cost_array
        self.n_queries = 0

    def __len__(self) -> int:
        return self._labels.shape[0]

    def cost(self, ids: Any) -> np.ndarray:
        """Per-id labeling cost."""
        return self._costs[check_ids(ids, len(self))]

    def query(self, ids: Any) -> OracleAnswer:
        """Reveal the labels of ``ids``."""
        ids = check_ids(ids, len(self))
        self.n_queries += len(ids)
        return OracleAnswer(ids=ids, labels=self._labels[ids].copy(), costs=self._costs[ids].copy())
