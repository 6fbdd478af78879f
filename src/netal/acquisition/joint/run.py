"""Joint acquisition on the engine: grow the pool and label it under one cost budget.

:func:`run_joint_acquisition` observes and annotates the initial data, then
every round trains a model version, scores it on a fixed test set
(:func:`make_test_set`), lets a policy of
:data:`~netal.acquisition.joint.policies.JOINT_POLICIES` plan within the
round's slice of the budget, trims the plan to its exact cost and executes it
with the oracle, charging every second spent.

The active-learning engine (:class:`netal.loop.ActiveLearningLoop`) holds the
pool, the queries, the labels and the model versions: an acquisition adds the
observed samples to its pool (:meth:`~netal.loop.ActiveLearningLoop.add_candidates`),
an annotation is a query the planner chose
(:meth:`~netal.loop.ActiveLearningLoop.ask_for`) answered by a twin
measurement whose logged radio features the learner trains on.  The planner,
the agent's route and the agent-time budget stay here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from netal.acquisition.joint.config import JointConfig, JointResult
from netal.acquisition.joint.features import FEATURE_NAMES, twin_features
from netal.acquisition.joint.policies import JOINT_POLICIES, PlanningState
from netal.acquisition.joint.pricing import (
    ACQUIRE,
    ANNOTATE,
    COST_TOLERANCE,
    Action,
    sequence_cost,
)
from netal.acquisition.joint.regions import CONDITION_COLUMNS, RegionGrid
from netal.errors import BudgetError, InvalidInputError
from netal.loop import ActiveLearningLoop, Answer, Query, TestSetMetrics
from netal.metrics import per_sample_epistemic_var, record_errors
from netal.models import BaggingCommittee
from netal.twin import TwinOracle


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
    loop: ActiveLearningLoop | None = None  # the engine, once the initial pool is observed


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
    if state.spent > budget * (1 + 1e-9) + COST_TOLERANCE:
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
    features = twin_features(result.data)
    if state.loop is not None:
        added = state.loop.add_candidates(features, costs=_nominal(result.costs))
        assert np.array_equal(added, ids), "engine and study number the samples alike"
    state.pool = pd.concat([state.pool, cond.assign(sample_id=ids)], ignore_index=True)
    state.X_pool = np.concatenate([state.X_pool, features])
    state.queries.append(
        _record(result.data, cond, "acquire", iteration, ids, region, score, result.costs)
    )


def _nominal(costs: np.ndarray) -> np.ndarray:
    """Expected costs for the engine's records (agent time is accounted for here)."""
    return np.maximum(np.asarray(costs, dtype=np.float64), COST_TOLERANCE)


def _annotate(
    oracle: Any,
    grid: RegionGrid,
    state: _State,
    index: np.ndarray,
    iteration: int,
    scores: np.ndarray,
    budget: float,
    queries: list[Query],
) -> None:
    """Measure pool rows ``index`` for ``queries`` (pending in the engine) and tell the answers."""
    cond = state.pool.iloc[index].reset_index(drop=True)
    result = oracle.measure(cond[list(CONDITION_COLUMNS)])
    _charge(state, result.costs, budget)
    rows = result.data.reset_index(drop=True)
    ids = cond["sample_id"].to_numpy()
    assert state.loop is not None
    features = twin_features(rows)
    throughput = rows["Throughput"].to_numpy(dtype=np.float64)
    state.loop.tell(
        [
            Answer(q.query_id, throughput[i], float(result.costs[i]), features[i])
            for i, q in enumerate(queries)
        ]
    )
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
    oracle: Any,
    grid: RegionGrid,
    state: _State,
    plan: list[Action],
    iteration: int,
    budget: float,
    policy: str,
) -> None:
    """Run the plan in order: observations immediately, annotations by pool row (indices fixed first)."""
    assert state.loop is not None
    pool_ids = state.pool["sample_id"].to_numpy()
    for action in plan:
        if action.kind == ACQUIRE:
            _observe(oracle, grid, state, action.conditions, iteration, action.score, budget)
        else:
            sample = int(pool_ids[action.index])
            row = int(np.flatnonzero(state.pool["sample_id"].to_numpy() == sample)[0])
            asked = state.loop.ask_for([sample], scores=[action.score], strategy=policy)
            _annotate(
                oracle,
                grid,
                state,
                np.array([row]),
                iteration,
                np.array([action.score]),
                budget,
                asked,
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
    make_learner: Callable[[int], Any],
    test_set: tuple[np.ndarray, np.ndarray],
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
    state.loop = ActiveLearningLoop(
        state.X_pool,
        None,
        make_learner,
        "random",  # never asked to select: the policy plans, ask_for records its choice
        initial_ids=state.pool["sample_id"].to_numpy(dtype=np.int64)[pick],
        batch_size=config.max_actions,
        retrain_every="manual",
        callbacks=[TestSetMetrics(*test_set)],
        pool_grows=True,
        learner_name="joint_acquisition_learner",
    )
    initial = state.loop.ask()  # the initial set, in pick order
    _annotate(oracle, grid, state, pick, 0, np.full(n_labels, np.nan), config.budget, initial)
    return state


def _trim(oracle: Any, plan: list[Action], allowance: float) -> list[Action]:
    """Drop actions from the end until the exact sequential cost fits ``allowance``."""
    costs = sequence_cost(oracle, plan)
    while plan and costs[: len(plan)].sum() > allowance + COST_TOLERANCE:
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
    state = _initial(
        oracle,
        grid,
        config,
        rng,
        initial_conditions,
        lambda _: make_learner(seed),  # one learner seed per run, as the policies compare
        (X_test, y_test),
    )
    loop = state.loop
    assert loop is not None
    history: list[dict[str, Any]] = []
    counts = (0, 0)
    for iteration in range(config.iterations + 1):
        loop.train()  # a new model version if the last round labeled anything
        learner = loop.learner()
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
        _execute(oracle, grid, state, plan, iteration + 1, config.budget, policy)
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
