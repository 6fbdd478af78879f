"""The oracle protocol: whatever provides the ground truth for queried samples.

The engine (:mod:`netal.loop`) talks to an oracle only through :class:`Oracle`.
A dataset replay (:class:`netal.loop.ReplayOracle`), the digital twin
(:class:`netal.twin.TwinPoolOracle`) and human annotators implement it.
Samples are identified by integer ids (their row ids in the pool).

This module is in the base layer so that an oracle of any layer (the twin sits
below the engine) can implement the protocol without importing the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


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
