"""Joint acquisition + annotation: budget never exceeded, both action kinds, clear twin errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netal.acquisition.joint import (
    JOINT_POLICIES,
    JointConfig,
    RegionGrid,
    make_test_set,
    price_blocks,
    run_joint_acquisition,
)
from netal.errors import BudgetError, InvalidInputError, UnknownNameError
from netal.models import BaggingCommittee
from netal.twin import Measurement, TwinOracle

TINY = {
    "iterations": 2,
    "acquire_size": 2,
    "n_initial_pool": 6,
    "n_initial_labels": 3,
    "n_position_bins": 3,
    "n_test": 30,
}


def _learner(seed: int) -> BaggingCommittee:
    return BaggingCommittee(n_members=3, random_state=seed)


@pytest.fixture(scope="module")
def test_set() -> tuple[np.ndarray, np.ndarray]:
    world = TwinOracle(seed=0).world
    return make_test_set(world, RegionGrid.from_world(world, 3), 30, seed=1)


class ScaledOracle(TwinOracle):
    """The twin with different prices: every request costs ``scale * cost + overhead``."""

    def __init__(self, scale: float, overhead: float, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.scale, self.overhead = scale, overhead
        self.charged = 0.0

    def cost(self, conditions, *, observe=False):
        return self.scale * super().cost(conditions, observe=observe) + self.overhead

    def _scaled(self, result: Measurement) -> Measurement:
        costs = self.scale * result.costs + self.overhead
        self.charged += float(costs.sum())
        return Measurement(result.data, costs)

    def measure(self, conditions, *, extra=False):
        return self._scaled(super().measure(conditions, extra=extra))

    def observe(self, conditions):
        return self._scaled(super().observe(conditions))


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    scale=st.floats(0.05, 2.0),
    overhead=st.floats(0.0, 50.0),
    budget=st.floats(300.0, 4000.0),
    max_actions=st.integers(1, 6),
    policy=st.sampled_from(JOINT_POLICIES.names()),
)
def test_never_spends_more_than_the_budget(
    scale: float, overhead: float, budget: float, max_actions: int, policy: str, test_set
) -> None:
    oracle = ScaledOracle(scale, overhead)
    config = JointConfig(budget=budget, max_actions=max_actions, **{**TINY, "iterations": 1})
    try:
        result = run_joint_acquisition(
            oracle, policy, config, seed=1, learner_factory=_learner, test_set=test_set
        )
    except BudgetError:  # the initial data alone does not fit: nothing may have been spent past it
        assert oracle.charged <= budget + 1e-6
        return
    spent = result.history["cost"].to_numpy()
    assert spent[-1] <= budget + 1e-6
    assert oracle.charged == pytest.approx(spent[-1])
    assert np.all(np.diff(spent) >= -1e-9)
    assert result.queries["cost"].sum() == pytest.approx(spent[-1])
    after = result.queries[result.queries["iteration"] > 0]
    per_round = after[after["kind"] == "annotate"].groupby("iteration").size()
    assert (per_round <= max_actions).all()


def test_joint_uses_both_action_kinds(test_set) -> None:
    config = JointConfig(budget=3000.0, max_actions=4, **TINY)
    result = run_joint_acquisition(
        TwinOracle(seed=3), "joint", config, seed=3, learner_factory=_learner, test_set=test_set
    )
    later = result.queries[result.queries["iteration"] > 0]
    assert set(later["kind"]) == {"annotate", "acquire"}
    history = result.history
    assert history["pool_size"].max() > TINY["n_initial_pool"] - TINY["n_initial_labels"]
    assert history["n_labels"].iloc[-1] > TINY["n_initial_labels"]
    assert set(history.columns) >= {"cost", "n_labels", "pool_size", "rmse", "mae", "q95"}


def test_annotate_only_keeps_the_initial_pool(test_set) -> None:
    config = JointConfig(budget=3000.0, max_actions=2, **TINY)
    result = run_joint_acquisition(
        TwinOracle(seed=4),
        "annotate_only",
        config,
        seed=4,
        learner_factory=_learner,
        test_set=test_set,
    )
    assert (result.queries.query("iteration > 0")["kind"] == "annotate").all()
    assert (result.history["n_observed"] == TINY["n_initial_pool"]).all()


def test_price_blocks_agrees_with_the_oracle() -> None:
    oracle = TwinOracle(seed=0)
    grid = RegionGrid.from_world(oracle.world, 4)
    block = grid.sample(np.array([0, 5, 9]), np.random.default_rng(0))
    quoted = oracle.cost(block, observe=True).sum()
    priced = price_blocks(oracle, oracle.agent_position_m, block, np.zeros(3), observe=True)
    assert priced[0] == pytest.approx(quoted)


@pytest.mark.parametrize(
    ("change", "column"),
    [({"route_pos_m": 99_999.0}, "route_pos_m"), ({"movingSpeed": 20.0}, "movingSpeed")],
)
def test_requests_outside_the_scenario_are_named(change: dict, column: str, test_set) -> None:
    conditions = pd.DataFrame(
        {"route_pos_m": [10.0, 200.0], "mobility_mode": ["walking", "walking"],
         "trajectory_direction": ["CW", "ACW"], "movingSpeed": [1.4, 1.2]}
    )  # fmt: skip
    for key, value in change.items():
        conditions.loc[1, key] = value
    with pytest.raises(InvalidInputError, match=rf"conditions\.{column}: row 1"):
        run_joint_acquisition(
            TwinOracle(seed=0), "joint", JointConfig(**TINY), initial_conditions=conditions,
            learner_factory=_learner, test_set=test_set,
        )  # fmt: skip


def test_unknown_policy_and_bad_config(test_set) -> None:
    with pytest.raises(UnknownNameError, match="greedy"):
        run_joint_acquisition(TwinOracle(seed=0), "greedy", JointConfig(**TINY), test_set=test_set)
    with pytest.raises(InvalidInputError, match="budget"):
        JointConfig(budget=-1.0).check()
    with pytest.raises(InvalidInputError, match="n_initial_labels"):
        JointConfig(n_initial_pool=2, n_initial_labels=5).check()
