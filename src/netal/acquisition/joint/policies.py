"""Planning an iteration: what a policy sees (:class:`PlanningState`) and the policies by name.

:data:`JOINT_POLICIES` holds ``joint`` (greedy value per cost over annotation
and acquisition actions, with :func:`acquisition_values` for the latter),
``annotate_only`` (greedy annotation of the fixed pool) and ``random``; each
turns a planning state into a list of :class:`~netal.acquisition.joint.pricing.Action`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from netal.acquisition.joint.pricing import (
    ACQUIRE,
    ANNOTATE,
    COST_TOLERANCE,
    Action,
    price_blocks,
)
from netal.acquisition.joint.regions import RegionGrid
from netal.registry import Registry


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
        ann_ratio = np.where(
            taken | (ann_cost > left + COST_TOLERANCE), -np.inf, ann_value / ann_cost
        )
        acq_cost = price_blocks(state.oracle, position, blocks, block_id, observe=True)
        follow_up = price_blocks(state.oracle, position, blocks, block_id, observe=False) / k
        acq_value = acquisition_values(state, planned_acq) if acquire else np.zeros(0)
        acq_ratio = np.where(
            acq_cost > left + COST_TOLERANCE, -np.inf, acq_value / (acq_cost + follow_up)
        )
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
        ann_ok = np.flatnonzero(~taken & (ann_cost <= left + COST_TOLERANCE))
        acq_ok = np.flatnonzero(acq_cost <= left + COST_TOLERANCE)
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
