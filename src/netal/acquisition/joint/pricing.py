"""What planned actions cost: blocks of requests priced by the oracle from where the agent is.

An :class:`Action` annotates one pool sample (:data:`ANNOTATE`) or acquires a
block of samples in a region (:data:`ACQUIRE`); :func:`price_blocks` prices
many blocks in one :meth:`~netal.twin.TwinOracle.cost` call and
:func:`sequence_cost` prices a plan exactly, action after action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from netal.acquisition.joint.regions import CONDITION_COLUMNS

ANNOTATE, ACQUIRE = 0, 1
KIND_NAMES = ("annotate", "acquire")
COST_TOLERANCE = 1e-9
"""Slack (s) when a cost is compared with what is left of a budget."""


def price_blocks(
    oracle: Any, position: float, requests: pd.DataFrame, block: np.ndarray, observe: bool
) -> np.ndarray:
    """Cost of each block of requests if the agent started that block at loop ``position``.

    ``requests`` holds :data:`CONDITION_COLUMNS`; ``block`` (non-decreasing
    integers ``0..B-1``, one per row) says which block each row belongs to.
    One :meth:`TwinOracle.cost` call prices all blocks: every block is
    preceded by an anchor request at ``position`` whose own cost is ignored.
    """
    block = np.asarray(block, dtype=np.int64)
    n_blocks = int(block.max()) + 1 if len(block) else 0
    if n_blocks == 0:
        return np.zeros(0)
    starts = np.searchsorted(block, np.arange(n_blocks))
    anchors = starts + np.arange(n_blocks)
    rows = np.arange(len(block)) + block + 1
    size = len(block) + n_blocks
    fill = {
        "route_pos_m": position,
        "mobility_mode": "walking",
        "trajectory_direction": "CW",
        "movingSpeed": 1.0,
    }
    columns = {}
    for name in CONDITION_COLUMNS:
        values = requests[name].to_numpy()
        column = np.empty(size, dtype=values.dtype if values.dtype.kind == "f" else object)
        column[anchors] = fill[name]
        column[rows] = values
        columns[name] = column
    costs = np.asarray(oracle.cost(pd.DataFrame(columns), observe=observe), dtype=np.float64)
    return np.bincount(block, weights=costs[rows], minlength=n_blocks)


def _price_one(oracle: Any, position: float, requests: pd.DataFrame, observe: bool) -> float:
    return float(price_blocks(oracle, position, requests, np.zeros(len(requests)), observe)[0])


@dataclass
class Action:
    """One planned action: annotate pool row ``index`` or acquire ``conditions`` in region ``index``."""

    kind: int
    index: int
    conditions: pd.DataFrame
    score: float
    cost: float


def sequence_cost(oracle: Any, actions: list[Action]) -> np.ndarray:
    """Exact cost of each action executed in order from the agent's current position."""
    costs = np.zeros(len(actions))
    position = float(oracle.agent_position_m)
    for i, action in enumerate(actions):
        costs[i] = _price_one(oracle, position, action.conditions, action.kind == ACQUIRE)
        position = float(action.conditions["route_pos_m"].iloc[-1])
    return costs
