"""Oracles of the engine: the dataset replay, and the protocol every oracle follows.

The loop talks to an oracle only through :class:`~netal.oracle.Oracle`
(defined in the base module :mod:`netal.oracle` and re-exported here with
:class:`~netal.oracle.OracleAnswer`).  A dataset replay (:class:`ReplayOracle`)
hides the labels of a fixed table until they are queried; the digital twin and
human annotators implement the same protocol.  Samples are identified by
integer ids (their row ids in the pool).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from netal._validation import as_float_array, check_ids
from netal.errors import InvalidInputError
from netal.oracle import Oracle, OracleAnswer

__all__ = ["Oracle", "OracleAnswer", "ReplayOracle"]


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
