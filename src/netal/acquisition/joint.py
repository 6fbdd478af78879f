"""Joint data acquisition and annotation under one cost budget: a pool that grows.

Pool-based active learning assumes the unlabeled pool is given.  In a network
the pool itself must be *acquired*: a measurement agent has to go somewhere
to log radio features (cheap) before anyone can decide to run a throughput
test there (expensive).  This module lets the acquisition function choose,
every iteration, between

(a) **annotating** a pool sample: a throughput measurement at that sample's
    place and condition, priced by :meth:`netal.twin.TwinOracle.cost`;
(b) **acquiring** ``acquire_size`` new unlabeled samples in a *region* of the
    input space (a cell of loop position x mobility mode x direction,
    optionally x speed bin, see :class:`RegionGrid`) with
    :meth:`netal.twin.TwinOracle.observe`, priced as travel + observation,

and how many of each, to maximize expected error reduction per unit cost.

Utility (documented, simple, defensible)
----------------------------------------
* Annotating pool sample ``x`` in region ``r``: ``v(x) = sigma^2_epi(x) / (1 + a_r)``,
  the learner's epistemic variance (the variance-reduction criterion of Cohn,
  Ghahramani and Jordan, JAIR 1996: labeling ``x`` removes roughly its
  epistemic variance), discounted by the ``a_r`` annotations already planned
  in ``r`` this iteration (redundancy within the batch).
* Acquiring ``k`` samples in region ``r``:
  ``w * k * vbar_r / (1 + n_r)``, where ``vbar_r`` is the mean epistemic
  variance of the samples observed in ``r`` and ``n_r`` how many were observed
  there (sparsity).  A region never visited has no ``vbar_r``: it gets the
  optimistic ``explore_bonus * max_r vbar_r`` (unknown unknowns; optimism in
  the face of uncertainty, as in UCB-style exploration).
* An acquired sample reduces error only once it is annotated, so an
  acquisition's ratio divides its value by its own cost *plus* the cost of
  one later measurement in that region (``follow_up``, priced by the oracle).
* Greedy knapsack: repeatedly take the action with the largest value / cost
  whose cost (priced from where the agent will be after the actions already
  planned) fits in the iteration's budget slice, until nothing fits or
  ``max_actions`` annotations are planned (acquisitions are bounded by
  the slice and by ``n_regions`` per round) (Settles 2009, sec. 6.4, cost-sensitive active
  learning; the density of value per cost is the classic greedy knapsack rule).

Budget guarantee: before executing, the planned sequence is priced exactly
with the oracle's own :meth:`cost` and trimmed from the end until it fits the
slice; the total spent (initial data included) never exceeds ``budget`` as
long as the oracle charges what it quotes (the twin does; a different charge
raises :class:`~netal.errors.BudgetError`).

Policies (:data:`JOINT_POLICIES`): ``joint`` (both kinds), ``annotate_only``
(greedy annotation on the fixed initial pool) and ``random`` (random regions
and random annotation), all with the same interface and accounting.

References
----------
Settles, "Active learning literature survey", 2009, sec. 6.4 (cost) and 6.5
(alternative query types); Attenberg and Provost, "Why label when you can
search?", KDD 2010 (guided acquisition of new examples); Lomasky et al.,
"Active class selection", ECML 2007 (choosing where to acquire); the seed
paper (Active ML for 6G), sec. III, the cost of acquisition and not only of
labeling.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from netal._validation import check_positive_int
from netal.errors import BudgetError, InvalidInputError
from netal.metrics import per_sample_epistemic_var, record_errors
from netal.models import BaggingCommittee
from netal.registry import Registry
from netal.schemas import (
    DIRECTIONS,
    LUMOS5G_LTE,
    LUMOS5G_MOTION,
    LUMOS5G_NR,
    MOBILITY_MODES,
)
from netal.twin import TwinOracle

ANNOTATE, ACQUIRE = 0, 1
KIND_NAMES = ("annotate", "acquire")
CONDITION_COLUMNS = ("route_pos_m", "mobility_mode", "trajectory_direction", "movingSpeed")
_TOL = 1e-9

FEATURE_NAMES = (
    "latitude",
    "longitude",
    "movingSpeed",
    "compass_sin",
    "compass_cos",
    "lte_rsrp",
    "lte_rsrq",
    "lte_rssi",
    "nr_ssRsrp",
    "nr_ssSinr",
    "nr_connected",
    "walking",
)
"""Learner inputs built by :func:`twin_features` from a Lumos5G-schema frame."""

_TWIN_FEATURE_INPUTS = (*LUMOS5G_MOTION, *LUMOS5G_LTE, *LUMOS5G_NR, "mobility_mode")
"""The Lumos5G columns :func:`twin_features` reads."""

NR_RSRP_MISSING = -140.0  # dBm, below any NR cell the twin reports: "no NR link"
NR_SINR_MISSING = -20.0  # dB


def twin_features(frame: pd.DataFrame) -> np.ndarray:
    """Learner inputs (:data:`FEATURE_NAMES`) from Lumos5G-schema rows (labeled or observed).

    NR fields are NaN when the phone is not NR-connected; they are replaced by
    :data:`NR_RSRP_MISSING` / :data:`NR_SINR_MISSING` and the ``nr_connected``
    indicator says which rows had them (nothing is dropped).
    """
    missing = [c for c in _TWIN_FEATURE_INPUTS if c not in frame.columns]
    if missing:
        raise InvalidInputError("frame", f"lacks column(s): {', '.join(missing)}")
    heading = np.deg2rad(frame["compassDirection"].to_numpy(dtype=np.float64))
    rsrp = frame["nr_ssRsrp"].to_numpy(dtype=np.float64)
    sinr = frame["nr_ssSinr"].to_numpy(dtype=np.float64)
    columns = [
        frame["latitude"].to_numpy(dtype=np.float64),
        frame["longitude"].to_numpy(dtype=np.float64),
        frame["movingSpeed"].to_numpy(dtype=np.float64),
        np.sin(heading),
        np.cos(heading),
        frame["lte_rsrp"].to_numpy(dtype=np.float64),
        frame["lte_rsrq"].to_numpy(dtype=np.float64),
        frame["lte_rssi"].to_numpy(dtype=np.float64),
        np.where(np.isnan(rsrp), NR_RSRP_MISSING, rsrp),
        np.where(np.isnan(sinr), NR_SINR_MISSING, sinr),
        (~np.isnan(rsrp)).astype(np.float64),
        (frame["mobility_mode"].astype(str).to_numpy() == "walking").astype(np.float64),
    ]
    return np.stack(columns, axis=1)


# ---------------------------------------------------------------------- regions
@dataclass(frozen=True)
class RegionGrid:
    """Cells of the twin's input space: loop position x mobility mode x direction (x speed bin).

    Parameters
    ----------
    length_m
        Length of the loop (m).
    n_position_bins
        Equal-length cells along the loop.
    n_speed_bins
        Speed bins per mode, equal width over ``[0, max_speed[mode]]``; with 1
        (default) acquisitions use the mode's typical speed.
    mobility
        The scenario's ``[mobility]`` parameters (speeds).
    """

    length_m: float
    n_position_bins: int = 13
    n_speed_bins: int = 1
    mobility: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_world(cls, world: Any, n_position_bins: int = 13, n_speed_bins: int = 1) -> RegionGrid:
        """The grid of a twin world (``TwinOracle(...).world``)."""
        check_positive_int(n_position_bins, "n_position_bins")
        check_positive_int(n_speed_bins, "n_speed_bins")
        scen = world.scenario
        return cls(float(scen.route.length), n_position_bins, n_speed_bins, dict(scen.mobility))

    @property
    def n_regions(self) -> int:
        """Number of cells."""
        return self.n_position_bins * len(MOBILITY_MODES) * len(DIRECTIONS) * self.n_speed_bins

    def _max_speed(self, walking: np.ndarray) -> np.ndarray:
        m = self.mobility
        return np.where(walking, m["walking_speed_max"], m["driving_cruise_max"])

    def region_of(self, conditions: pd.DataFrame) -> np.ndarray:
        """Cell index of each condition row (columns :data:`CONDITION_COLUMNS`)."""
        u = conditions["route_pos_m"].to_numpy(dtype=np.float64)
        pos = np.clip(
            (u / self.length_m * self.n_position_bins).astype(np.int64), 0, self.n_position_bins - 1
        )
        walking = conditions["mobility_mode"].astype(str).to_numpy() == "walking"
        acw = conditions["trajectory_direction"].astype(str).to_numpy() == "ACW"
        speed = conditions["movingSpeed"].to_numpy(dtype=np.float64)
        sbin = np.clip(
            (speed / self._max_speed(walking) * self.n_speed_bins).astype(np.int64),
            0,
            self.n_speed_bins - 1,
        )
        mode = np.where(walking, 0, 1)
        return ((pos * 2 + mode) * 2 + acw.astype(np.int64)) * self.n_speed_bins + sbin

    def sample(self, regions: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
        """Random conditions inside the given cells (one row per entry of ``regions``)."""
        regions = np.asarray(regions, dtype=np.int64)
        sbin = regions % self.n_speed_bins
        rest = regions // self.n_speed_bins
        acw = (rest % 2).astype(bool)
        walking = ((rest // 2) % 2) == 0
        pos = rest // 4
        width = self.length_m / self.n_position_bins
        u = np.minimum((pos + rng.random(len(regions))) * width, self.length_m)
        m = self.mobility
        if self.n_speed_bins == 1:
            walk = np.clip(
                rng.normal(m["walking_speed_mean"], m["walking_speed_sd"], len(regions)),
                0.3,
                m["walking_speed_max"],
            )
            drive = rng.uniform(m["driving_cruise_min"], m["driving_cruise_max"], len(regions))
            speed = np.where(walking, walk, drive)
        else:
            top = self._max_speed(walking)
            speed = (sbin + rng.random(len(regions))) * top / self.n_speed_bins
        return pd.DataFrame(
            {
                "route_pos_m": u,
                "mobility_mode": np.where(walking, "walking", "driving"),
                "trajectory_direction": np.where(acw, "ACW", "CW"),
                "movingSpeed": speed,
            }
        )


# ---------------------------------------------------------------------- pricing
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


# ---------------------------------------------------------------------- planning
@dataclass
class PlanningState:
    """What a policy sees when it plans an iteration.

    Attributes
    ----------
    oracle
        The measurement oracle (for pricing; policies must not measure).
    grid
        The region grid.
    pool
        Conditions of the unlabeled pool, one row per pool sample.
    pool_var
        Epistemic variance of each pool sample under the current learner.
    pool_region
        Region of each pool sample.
    region_var
        Mean epistemic variance of the samples observed per region (NaN: never visited).
    region_count
        Samples observed per region so far (pool and labeled).
    allowance
        Cost the plan may spend.
    max_actions
        Most annotations per iteration (acquisitions: at most one per region).
    acquire_size
        Observations per acquisition action.
    """

    oracle: Any
    grid: RegionGrid
    pool: pd.DataFrame
    pool_var: np.ndarray
    pool_region: np.ndarray
    region_var: np.ndarray
    region_count: np.ndarray
    allowance: float
    max_actions: int
    acquire_size: int
    explore_bonus: float = 1.0
    acquire_weight: float = 1.0


def _room(plan: list[Action], state: PlanningState) -> bool:
    """Whether the plan may grow: fewer than ``max_actions`` annotations and ``n_regions`` acquisitions."""
    n_ann = sum(a.kind == ANNOTATE for a in plan)
    return n_ann < state.max_actions and len(plan) - n_ann < state.grid.n_regions


Policy = Callable[[PlanningState, np.random.Generator], list[Action]]
JOINT_POLICIES: Registry[Policy] = Registry("joint acquisition policy")
"""Policies by name: ``joint``, ``annotate_only``, ``random``."""


def _blocks(state: PlanningState, regions: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """``acquire_size`` random conditions per region, each block in loop order."""
    k = state.acquire_size
    frame = state.grid.sample(np.repeat(regions, k), rng)
    order = np.lexsort((frame["route_pos_m"].to_numpy(), np.repeat(np.arange(len(regions)), k)))
    return frame.iloc[order].reset_index(drop=True)


def acquisition_values(state: PlanningState, extra_count: np.ndarray) -> np.ndarray:
    """Value of one acquisition action per region (see module docs).

    ``w * vbar_r / (1 + n_r) + bonus * max_r vbar_r * [n_r == 0]``: the
    variance a label in ``r`` is expected to remove times the sparsity of
    ``r``, plus an exploration bonus for regions nothing was ever observed
    in (their ``vbar_r`` is the mean over visited regions).
    """
    visited = np.isfinite(state.region_var)
    vbar_seen = state.region_var[visited]
    prior = float(vbar_seen.mean()) if visited.any() else 1.0
    top = float(vbar_seen.max()) if visited.any() else 1.0
    vbar = np.where(visited, state.region_var, prior)
    count = state.region_count + extra_count
    bonus = np.where(count == 0, state.explore_bonus * top, 0.0)
    return state.acquire_weight * vbar / (1.0 + count) + bonus


def _greedy(state: PlanningState, rng: np.random.Generator, acquire: bool) -> list[Action]:
    """Greedy knapsack on value / cost over annotation (and acquisition) actions."""
    n_pool, n_regions, k = len(state.pool), state.grid.n_regions, state.acquire_size
    taken = np.zeros(n_pool, dtype=bool)
    planned_ann = np.zeros(n_regions)
    planned_acq = np.zeros(n_regions)
    pool_block = np.arange(n_pool)
    regions = np.arange(n_regions) if acquire else np.zeros(0, dtype=np.int64)
    blocks = _blocks(state, regions, rng)
    block_id = np.repeat(np.arange(len(regions)), k)
    position, left, plan = float(state.oracle.agent_position_m), state.allowance, []
    while _room(plan, state):
        ann_cost = price_blocks(state.oracle, position, state.pool, pool_block, observe=False)
        ann_value = state.pool_var / (1.0 + planned_ann[state.pool_region])
        ann_ratio = np.where(taken | (ann_cost > left + _TOL), -np.inf, ann_value / ann_cost)
        acq_cost = price_blocks(state.oracle, position, blocks, block_id, observe=True)
        follow_up = price_blocks(state.oracle, position, blocks, block_id, observe=False) / k
        acq_value = acquisition_values(state, planned_acq) if acquire else np.zeros(0)
        acq_ratio = np.where(acq_cost > left + _TOL, -np.inf, acq_value / (acq_cost + follow_up))
        ratios = np.concatenate([ann_ratio, acq_ratio])
        if not len(ratios) or not np.isfinite(ratios.max()) or ratios.max() <= 0:
            break
        best = int(np.argmax(ratios))
        if best < n_pool:
            taken[best] = True
            planned_ann[state.pool_region[best]] += 1
            cond = state.pool.iloc[[best]].reset_index(drop=True)
            action = Action(ANNOTATE, best, cond, float(ratios[best]), float(ann_cost[best]))
        else:
            r = best - n_pool
            planned_acq[r] += k
            cond = blocks.iloc[r * k : (r + 1) * k].reset_index(drop=True)
            action = Action(ACQUIRE, r, cond, float(ratios[best]), float(acq_cost[r]))
            fresh = _blocks(state, np.array([r]), rng)
            blocks.iloc[r * k : (r + 1) * k] = fresh.to_numpy()
        plan.append(action)
        left -= action.cost
        position = float(action.conditions["route_pos_m"].iloc[-1])
    return plan


@JOINT_POLICIES.register("joint")
def joint_policy(state: PlanningState, rng: np.random.Generator) -> list[Action]:
    """Greedy value-per-cost over annotation *and* acquisition actions."""
    return _greedy(state, rng, acquire=True)


@JOINT_POLICIES.register("annotate_only")
def annotate_only_policy(state: PlanningState, rng: np.random.Generator) -> list[Action]:
    """Greedy variance-per-cost annotation of the fixed initial pool (no acquisition)."""
    return _greedy(state, rng, acquire=False)


@JOINT_POLICIES.register("random")
def random_policy(state: PlanningState, rng: np.random.Generator) -> list[Action]:
    """Random actions: a fair coin picks the kind, then a uniformly random pool sample or region.

    Only actions that still fit the allowance are drawn from; the plan stops
    when none fits or ``max_actions`` annotations are planned.
    """
    n_pool, n_regions, k = len(state.pool), state.grid.n_regions, state.acquire_size
    taken = np.zeros(n_pool, dtype=bool)
    block_id = np.repeat(np.arange(n_regions), k)
    position, left, plan = float(state.oracle.agent_position_m), state.allowance, []
    while _room(plan, state):
        ann_cost = price_blocks(
            state.oracle, position, state.pool, np.arange(n_pool), observe=False
        )
        blocks = _blocks(state, np.arange(n_regions), rng)
        acq_cost = price_blocks(state.oracle, position, blocks, block_id, observe=True)
        ann_ok = np.flatnonzero(~taken & (ann_cost <= left + _TOL))
        acq_ok = np.flatnonzero(acq_cost <= left + _TOL)
        if not len(ann_ok) and not len(acq_ok):
            break
        annotate = len(ann_ok) > 0 and (not len(acq_ok) or rng.random() < 0.5)
        if annotate:
            i = int(rng.choice(ann_ok))
            taken[i] = True
            cond = state.pool.iloc[[i]].reset_index(drop=True)
            action = Action(ANNOTATE, i, cond, float("nan"), float(ann_cost[i]))
        else:
            r = int(rng.choice(acq_ok))
            cond = blocks.iloc[r * k : (r + 1) * k].reset_index(drop=True)
            action = Action(ACQUIRE, r, cond, float("nan"), float(acq_cost[r]))
        plan.append(action)
        left -= action.cost
        position = float(cond["route_pos_m"].iloc[-1])
    return plan


# ---------------------------------------------------------------------- the run
@dataclass(frozen=True)
class JointConfig:
    """Knobs of a joint acquisition run.

    Attributes
    ----------
    budget
        Total agent time (s) for the run, initial data included.
    iterations
        Planning rounds; round ``i`` may spend ``remaining / rounds_left``.
    max_actions
        Most annotations per round (the label batch size); acquisition
        actions per round are bounded by the budget slice and the number of
        regions.
    acquire_size
        Observations per acquisition action.
    n_initial_pool, n_initial_labels
        Observed samples to start from and how many of them are annotated
        at random (same for every policy of a seed).
    initial_region_share
        Share of regions the initial pool covers (historical logs see only
        part of the input space).
    n_position_bins, n_speed_bins
        The :class:`RegionGrid`.
    explore_bonus, acquire_weight
        Utility parameters (module docs).
    n_test
        Size of the fixed test set (uniform over regions, measured by a
        separate twin oracle, not charged).
    """

    budget: float = 6000.0
    iterations: int = 10
    max_actions: int = 20
    acquire_size: int = 4
    n_initial_pool: int = 40
    n_initial_labels: int = 10
    initial_region_share: float = 0.25
    n_position_bins: int = 13
    n_speed_bins: int = 1
    explore_bonus: float = 1.0
    acquire_weight: float = 1.0
    n_test: int = 400

    def check(self) -> JointConfig:
        """Validate every field; raise :class:`InvalidInputError` naming the bad one."""
        if not np.isfinite(self.budget) or self.budget <= 0:
            raise InvalidInputError(
                "budget", f"must be a positive finite number, got {self.budget}"
            )
        for name in (
            "iterations",
            "max_actions",
            "acquire_size",
            "n_initial_pool",
            "n_initial_labels",
            "n_position_bins",
            "n_speed_bins",
            "n_test",
        ):
            check_positive_int(getattr(self, name), name)
        if self.n_initial_labels > self.n_initial_pool:
            raise InvalidInputError(
                "n_initial_labels",
                f"is {self.n_initial_labels} > n_initial_pool {self.n_initial_pool}",
            )
        if not 0.0 < self.initial_region_share <= 1.0:
            raise InvalidInputError(
                "initial_region_share", f"must lie in (0, 1], got {self.initial_region_share}"
            )
        for name in ("explore_bonus", "acquire_weight"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise InvalidInputError(name, f"must be finite and >= 0, got {value}")
        return self


@dataclass(frozen=True)
class JointResult:
    """History and queries of one run.

    Attributes
    ----------
    history
        One row per iteration (0 = initial data): ``iteration``, ``cost``
        (cumulative, s), ``n_labels``, ``pool_size`` (unlabeled observed),
        ``n_observed``, ``n_annotate``, ``n_acquire`` (actions that round),
        ``rmse``, ``mae``, ``q95`` (95th percentile absolute error) on the
        fixed test set, ``wall_time_s``.
    queries
        One row per observed or annotated sample: ``kind`` (annotate/acquire),
        ``iteration``, ``sample_id``, ``latitude``, ``longitude``,
        ``mobility_mode``, ``trajectory_direction``, ``movingSpeed``,
        ``route_pos_m``, ``region``, ``score``, ``cost``.
    labeled
        The labeled rows (Lumos5G schema) with their conditions.
    budget
        The total budget.
    """

    history: pd.DataFrame
    queries: pd.DataFrame
    labeled: pd.DataFrame
    budget: float

    @property
    def total_cost(self) -> float:
        """Total agent time spent."""
        return float(self.history["cost"].iloc[-1])


def make_test_set(world: Any, grid: RegionGrid, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixed test set: ``n`` measurements at conditions uniform over the grid's regions."""
    rng = np.random.default_rng(seed)
    conditions = grid.sample(rng.integers(0, grid.n_regions, n), rng)
    data = TwinOracle(world, seed=int(rng.integers(2**31))).measure(conditions).data
    return twin_features(data), data["Throughput"].to_numpy(dtype=np.float64)


@dataclass
class _State:
    pool: pd.DataFrame  # conditions + sample_id
    X_pool: np.ndarray
    labeled: pd.DataFrame  # measured rows + conditions + sample_id
    region_count: np.ndarray
    next_id: int = 0
    spent: float = 0.0
    queries: list[pd.DataFrame] = field(default_factory=list)


def _default_learner(seed: int) -> Any:
    return BaggingCommittee(n_members=10, random_state=seed)


def _record(
    rows: pd.DataFrame,
    cond: pd.DataFrame,
    kind: str,
    iteration: int,
    ids: np.ndarray,
    region: np.ndarray,
    score: float,
    costs: np.ndarray,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kind": kind,
            "iteration": iteration,
            "sample_id": ids,
            "latitude": rows["latitude"].to_numpy(dtype=np.float64),
            "longitude": rows["longitude"].to_numpy(dtype=np.float64),
            "mobility_mode": cond["mobility_mode"].astype(str).to_numpy(),
            "trajectory_direction": cond["trajectory_direction"].astype(str).to_numpy(),
            "movingSpeed": cond["movingSpeed"].to_numpy(dtype=np.float64),
            "route_pos_m": cond["route_pos_m"].to_numpy(dtype=np.float64),
            "region": region,
            "score": score,
            "cost": costs,
        }
    )


def _charge(state: _State, costs: np.ndarray, budget: float) -> None:
    state.spent += float(np.sum(costs))
    if state.spent > budget * (1 + 1e-9) + _TOL:
        raise BudgetError(
            "budget",
            f"spent {state.spent:.1f} s > {budget:.1f} s: the oracle charged more than it quoted",
        )


def _observe(
    oracle: Any,
    grid: RegionGrid,
    state: _State,
    cond: pd.DataFrame,
    iteration: int,
    score: float,
    budget: float,
) -> None:
    cond = cond[list(CONDITION_COLUMNS)].reset_index(drop=True)
    result = oracle.observe(cond)
    _charge(state, result.costs, budget)
    ids = np.arange(state.next_id, state.next_id + len(cond))
    state.next_id += len(cond)
    region = grid.region_of(cond)
    np.add.at(state.region_count, region, 1)
    state.pool = pd.concat([state.pool, cond.assign(sample_id=ids)], ignore_index=True)
    state.X_pool = np.concatenate([state.X_pool, twin_features(result.data)])
    state.queries.append(
        _record(result.data, cond, "acquire", iteration, ids, region, score, result.costs)
    )


def _annotate(
    oracle: Any,
    grid: RegionGrid,
    state: _State,
    index: np.ndarray,
    iteration: int,
    scores: np.ndarray,
    budget: float,
) -> None:
    cond = state.pool.iloc[index].reset_index(drop=True)
    result = oracle.measure(cond[list(CONDITION_COLUMNS)])
    _charge(state, result.costs, budget)
    rows = result.data.reset_index(drop=True)
    ids = cond["sample_id"].to_numpy()
    labeled = pd.concat([rows, cond.add_prefix("cond_")], axis=1)
    state.labeled = pd.concat([state.labeled, labeled], ignore_index=True)
    keep = np.ones(len(state.pool), dtype=bool)
    keep[index] = False
    state.pool = state.pool[keep].reset_index(drop=True)
    state.X_pool = state.X_pool[keep]
    state.queries.append(
        _record(rows, cond, "annotate", iteration, ids, grid.region_of(cond), scores, result.costs)
    )


def _execute(
    oracle: Any, grid: RegionGrid, state: _State, plan: list[Action], iteration: int, budget: float
) -> None:
    """Run the plan in order: observations immediately, annotations by pool row (indices fixed first)."""
    pool_ids = state.pool["sample_id"].to_numpy()
    for action in plan:
        if action.kind == ACQUIRE:
            _observe(oracle, grid, state, action.conditions, iteration, action.score, budget)
        else:
            row = int(
                np.flatnonzero(state.pool["sample_id"].to_numpy() == pool_ids[action.index])[0]
            )
            _annotate(
                oracle, grid, state, np.array([row]), iteration, np.array([action.score]), budget
            )


def _evaluate(learner: Any, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    return record_errors(y, np.asarray(learner.predict(X), dtype=np.float64).ravel())


def _epistemic(learner: Any, X: np.ndarray) -> np.ndarray:
    if len(X) == 0:
        return np.zeros(0)
    return per_sample_epistemic_var(learner.predict_dist(X).epistemic_var, clip_negative=True)


def _initial(
    oracle: Any,
    grid: RegionGrid,
    config: JointConfig,
    rng: np.random.Generator,
    initial_conditions: pd.DataFrame | None,
) -> _State:
    if initial_conditions is None:
        n_cover = max(1, round(config.initial_region_share * grid.n_regions))
        covered = rng.choice(grid.n_regions, n_cover, replace=False)
        drawn = grid.sample(rng.choice(covered, config.n_initial_pool), rng)
        initial_conditions = drawn.sort_values(
            "route_pos_m", kind="stable"
        )  # one sweep of the loop
    cond = pd.DataFrame(initial_conditions).reset_index(drop=True)
    missing = [c for c in CONDITION_COLUMNS if c not in cond.columns]
    if missing:
        raise InvalidInputError("initial_conditions", f"lacks column(s): {', '.join(missing)}")
    quoted = float(np.sum(oracle.cost(cond[list(CONDITION_COLUMNS)], observe=True)))
    if quoted > config.budget:
        raise BudgetError(
            "budget",
            f"is {config.budget:g} s but observing the initial pool alone costs {quoted:.1f} s",
        )
    state = _State(
        pool=pd.DataFrame(columns=[*CONDITION_COLUMNS, "sample_id"]),
        X_pool=np.zeros((0, len(FEATURE_NAMES))),
        labeled=pd.DataFrame(),
        region_count=np.zeros(grid.n_regions),
    )
    _observe(oracle, grid, state, cond, 0, float("nan"), config.budget)
    n_labels = min(config.n_initial_labels, len(state.pool))
    pick = np.sort(rng.choice(len(state.pool), n_labels, replace=False))
    quoted = float(np.sum(oracle.cost(state.pool.iloc[pick][list(CONDITION_COLUMNS)])))
    if state.spent + quoted > config.budget:
        raise BudgetError(
            "budget",
            f"is {config.budget:g} s but the initial data costs {state.spent + quoted:.1f} s",
        )
    _annotate(oracle, grid, state, pick, 0, np.full(n_labels, np.nan), config.budget)
    return state


def _trim(oracle: Any, plan: list[Action], allowance: float) -> list[Action]:
    """Drop actions from the end until the exact sequential cost fits ``allowance``."""
    costs = sequence_cost(oracle, plan)
    while plan and costs[: len(plan)].sum() > allowance + _TOL:
        plan = plan[:-1]
    return plan


def run_joint_acquisition(
    oracle: Any,
    policy: str = "joint",
    config: JointConfig | None = None,
    *,
    seed: int = 0,
    learner_factory: Callable[[int], Any] | None = None,
    initial_conditions: pd.DataFrame | None = None,
    test_set: tuple[np.ndarray, np.ndarray] | None = None,
    on_iteration: Callable[[dict[str, Any]], None] | None = None,
) -> JointResult:
    """Grow the pool and label it under one cost budget with a policy of :data:`JOINT_POLICIES`.

    Parameters
    ----------
    oracle
        A fresh :class:`netal.twin.TwinOracle` (or any object with its
        ``cost``/``observe``/``measure``/``agent_position_m``/``world``).
    policy
        ``joint``, ``annotate_only`` or ``random``.
    config
        :class:`JointConfig` (default: its defaults).
    seed
        Seed of the initial data, the policy's randomness and the learner.
    learner_factory
        ``seed -> learner`` with ``fit``/``predict``/``predict_dist``
        (default: a 10-member :class:`netal.models.BaggingCommittee`).
    initial_conditions
        Conditions (:data:`CONDITION_COLUMNS`) of the initial pool, e.g.
        positions of historical logs; default: random in a share of regions.
        Requests the twin cannot serve raise :class:`InvalidInputError`.
    test_set
        ``(X, y)`` in :data:`FEATURE_NAMES` space; default
        :func:`make_test_set` with ``config.n_test`` rows (seed-dependent).
    on_iteration
        Called with each history row.

    Returns
    -------
    JointResult

    Raises
    ------
    BudgetError
        The budget cannot pay for the initial data.
    UnknownNameError
        Unknown ``policy``.
    """
    config = (config or JointConfig()).check()
    plan_fn = JOINT_POLICIES.get(policy)
    make_learner = learner_factory or _default_learner
    grid = RegionGrid.from_world(oracle.world, config.n_position_bins, config.n_speed_bins)
    rng = np.random.default_rng(seed)
    X_test, y_test = (
        test_set
        if test_set is not None
        else make_test_set(oracle.world, grid, config.n_test, seed + 7919)
    )
    start = time.perf_counter()
    state = _initial(oracle, grid, config, rng, initial_conditions)
    history: list[dict[str, Any]] = []
    counts = (0, 0)
    for iteration in range(config.iterations + 1):
        learner = make_learner(seed)
        learner.fit(
            twin_features(state.labeled), state.labeled["Throughput"].to_numpy(dtype=np.float64)
        )
        row = {
            "iteration": iteration,
            "cost": state.spent,
            "n_labels": len(state.labeled),
            "pool_size": len(state.pool),
            "n_observed": int(state.region_count.sum()),
            "n_annotate": counts[0],
            "n_acquire": counts[1],
            **_evaluate(learner, X_test, y_test),
            "wall_time_s": time.perf_counter() - start,
        }
        history.append(row)
        if on_iteration is not None:
            on_iteration(row)
        if iteration == config.iterations:
            break
        allowance = (config.budget - state.spent) / (config.iterations - iteration)
        plan = _trim(
            oracle,
            plan_fn(_planning_state(oracle, grid, config, state, learner, allowance), rng),
            allowance,
        )
        counts = (sum(a.kind == ANNOTATE for a in plan), sum(a.kind == ACQUIRE for a in plan))
        _execute(oracle, grid, state, plan, iteration + 1, config.budget)
    queries = pd.concat(state.queries, ignore_index=True)
    return JointResult(pd.DataFrame(history), queries, state.labeled, float(config.budget))


def _planning_state(
    oracle: Any,
    grid: RegionGrid,
    config: JointConfig,
    state: _State,
    learner: Any,
    allowance: float,
) -> PlanningState:
    pool_var = _epistemic(learner, state.X_pool)
    lab_cond = state.labeled[[f"cond_{c}" for c in CONDITION_COLUMNS]]
    lab_cond.columns = list(CONDITION_COLUMNS)
    regions = np.concatenate([grid.region_of(state.pool), grid.region_of(lab_cond)]).astype(
        np.int64
    )
    var = np.concatenate([pool_var, _epistemic(learner, twin_features(state.labeled))])
    n = np.bincount(regions, minlength=grid.n_regions)
    total = np.bincount(regions, weights=var, minlength=grid.n_regions)
    region_var = np.where(n > 0, total / np.maximum(n, 1), np.nan)
    return PlanningState(
        oracle=oracle,
        grid=grid,
        pool=state.pool[list(CONDITION_COLUMNS)].reset_index(drop=True),
        pool_var=pool_var,
        pool_region=grid.region_of(state.pool),
        region_var=region_var,
        region_count=state.region_count.copy(),
        allowance=allowance,
        max_actions=config.max_actions,
        acquire_size=config.acquire_size,
        explore_bonus=config.explore_bonus,
        acquire_weight=config.acquire_weight,
    )
