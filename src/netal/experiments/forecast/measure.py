"""Which cell and which time window to measure: the measurement plans of ``netal forecast``.

Measuring a cell's load means decoding its control channel (PDCCH) for a
while, so a window of a cell costs its length in hours times the cell's cost
factor.  A *plan* orders the (cell, window) pairs of the training period; the
measured set at a budget is the longest prefix of that order whose cost stays
within it.  Plans are found by name in :data:`PLANS`:

``random``
    Uniformly random windows over all cells.
``round_robin``
    Cells in turn, each cell's windows in bit-reversed order (every prefix is
    spread evenly over the period: periodic sampling at a growing rate).
``phase_cover``
    Stratified by the phase of the day: cells in turn, each cell's windows
    cycling through the phases of the day (a 6-hour window is one of four),
    a random day for each, so every prefix covers each phase of each cell
    about equally (stratified sampling over the daily season).
``uncertainty``
    Adaptive: the forecaster trained on what was measured scores every
    unmeasured window by its epistemic variance there (MC dropout with the
    lags masked, :class:`netal.models.forecaster.MCDropoutForecaster`) per unit
    cost, and the best ``batch`` windows are measured next (the seed paper's
    section VI.A: sample the network where the model is unsure).
``full``
    Every window (the reference).

Every plan but ``full`` starts with one random window per cell (a cell never
measured has no scale to forecast in), the same windows for every plan of a seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from netal.errors import InvalidInputError
from netal.registry import Registry


@dataclass(frozen=True)
class Windows:
    """The measurement windows of all cells.

    Attributes
    ----------
    cell, start, stop
        Cell index and step range ``[start, stop)`` of every window.
    cost
        Cost of measuring it (hours x the cell's cost factor).
    phase
        Which part of the day (counted from the cell's first step) the window
        covers: ``0 .. n-1`` for the ``n`` windows a day holds; None: unknown.
    """

    cell: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    cost: np.ndarray
    phase: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.cell)

    def mask(self, chosen: np.ndarray, lengths: list[int]) -> list[np.ndarray]:
        """Per cell, the boolean mask of the steps the windows ``chosen`` cover."""
        masks = [np.zeros(n, dtype=bool) for n in lengths]
        for index in np.asarray(chosen, dtype=np.int64):
            masks[self.cell[index]][self.start[index] : self.stop[index]] = True
        return masks


def make_windows(
    lengths: list[int], window: int, step_minutes: int, cell_costs: tuple[float, ...]
) -> Windows:
    """Consecutive windows of ``window`` steps over each cell's training period (the last may be shorter)."""
    if len(cell_costs) != len(lengths):
        raise InvalidInputError(
            "cell_costs", f"has {len(cell_costs)} entries for {len(lengths)} cells"
        )
    cells, starts, stops, costs = [], [], [], []
    for c, n in enumerate(lengths):
        for start in range(0, n, window):
            stop = min(start + window, n)
            cells.append(c)
            starts.append(start)
            stops.append(stop)
            costs.append((stop - start) * step_minutes / 60.0 * float(cell_costs[c]))
    per_day = max(1, 1440 // step_minutes)
    phases = max(1, per_day // window)
    phase = (np.array(starts, dtype=np.int64) % per_day) * phases // per_day
    return Windows(np.array(cells), np.array(starts), np.array(stops), np.array(costs), phase)


def start_windows(windows: Windows, rng: np.random.Generator) -> np.ndarray:
    """One random window per cell: the start of every plan of a seed."""
    return np.array(
        [rng.choice(np.flatnonzero(windows.cell == c)) for c in np.unique(windows.cell)]
    )


def affordable_prefix(order: np.ndarray, cost: np.ndarray, budget: float) -> np.ndarray:
    """The longest prefix of ``order`` whose total cost is at most ``budget``."""
    spent = np.cumsum(cost[order])
    return order[: int(np.searchsorted(spent, budget * (1 + 1e-12), side="right"))]


Plan = Callable[[Windows, np.ndarray, np.random.Generator], np.ndarray]
"""A fixed plan: ``(windows, start, rng) -> order`` of every window index."""

PLANS: Registry[Plan] = Registry("measurement plan")
"""Fixed measurement plans by name; ``uncertainty`` is adaptive (see the study)."""

ADAPTIVE = "uncertainty"
"""The adaptive plan's name (ordered by the study's forecaster, round by round)."""


def _rest(windows: Windows, start: np.ndarray) -> np.ndarray:
    return np.setdiff1d(np.arange(len(windows)), start)


@PLANS.register("random")
def random_plan(windows: Windows, start: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The start windows, then every other window in random order."""
    return np.concatenate([start, rng.permutation(_rest(windows, start))])


def bit_reversed(n: int) -> np.ndarray:
    """``0..n-1`` in bit-reversed (van der Corput) order: each prefix is spread evenly."""
    bits = max(1, int(np.ceil(np.log2(max(n, 2)))))
    keys = [int(f"{i:0{bits}b}"[::-1], 2) for i in range(2**bits)]
    return np.array([k for k in keys if k < n], dtype=np.int64)


@PLANS.register("round_robin")
def round_robin_plan(windows: Windows, start: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cells in turn (random cell order), each cell's windows periodic from its start window."""
    queues = []
    for c in rng.permutation(np.unique(windows.cell)):
        own = np.flatnonzero(windows.cell == c)
        first = int(np.flatnonzero(np.isin(own, start))[0])
        queues.append(list(own[(first + bit_reversed(len(own))) % len(own)]))
    order: list[int] = []
    while any(queues):
        for queue in queues:
            if queue:
                order.append(queue.pop(0))
    return np.array(order, dtype=np.int64)


@PLANS.register("phase_cover")
def phase_cover_plan(windows: Windows, start: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cells in turn; per cell the phases of the day in turn from its start window, a random day each."""
    phase = windows.phase if windows.phase is not None else np.zeros(len(windows), np.int64)
    queues = []
    for c in rng.permutation(np.unique(windows.cell)):
        own = np.flatnonzero(windows.cell == c)
        first = int(own[np.isin(own, start)][0])
        pools = {
            int(p): list(rng.permutation(own[(phase[own] == p) & (own != first)]))
            for p in np.unique(phase[own])
        }
        cycle = [int(p) for p in rng.permutation(sorted(pools)) if p != phase[first]]
        cycle.append(int(phase[first]))
        queue = [first]
        while any(pools.values()):
            queue += [pools[p].pop() for p in cycle if pools[p]]
        queues.append(queue)
    order: list[int] = []
    while any(queues):
        for queue in queues:
            if queue:
                order.append(queue.pop(0))
    return np.array(order, dtype=np.int64)


@PLANS.register("full")
def full_plan(windows: Windows, start: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Every window, in time order per cell."""
    return np.arange(len(windows))


def pick_batch(
    scores: np.ndarray, cost: np.ndarray, candidates: np.ndarray, budget_left: float, batch: int
) -> np.ndarray:
    """The ``batch`` candidates of highest score per unit cost that fit in ``budget_left``.

    Cost-aware uncertainty sampling (Settles et al., "Active learning with real
    annotation costs", NIPS Workshop on Cost-Sensitive Learning, 2008): greedy
    by ``score / cost``, skipping what no longer fits.
    """
    ratio = scores / np.maximum(cost[candidates], 1e-12)
    chosen, left = [], budget_left
    for position in np.argsort(-ratio, kind="stable"):
        index = candidates[position]
        if cost[index] <= left * (1 + 1e-12):
            chosen.append(index)
            left -= cost[index]
            if len(chosen) == batch:
                break
    return np.array(chosen, dtype=np.int64)
