"""Cost-aware selection under a budget."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategy_toys import ToyLearner, distance_to_anchors

from netal.errors import BudgetError, InvalidInputError
from netal.strategies import CostAware, make_strategy

POOL = np.random.default_rng(0).normal(size=(30, 3))
LABELED = np.random.default_rng(1).normal(size=(4, 3))
LEARNER = ToyLearner(distance_to_anchors(LABELED))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    costs=st.lists(st.floats(0.05, 20.0), min_size=30, max_size=30),
    budget_share=st.floats(0.0, 1.2),
    batch_size=st.integers(1, 30),
    base=st.sampled_from(["max_variance", "coreset", "lcmd", "random"]),
)
def test_never_exceeds_the_budget(
    costs: list[float], budget_share: float, batch_size: int, base: str
) -> None:
    cost = np.asarray(costs)
    budget = max(float(cost.min()), budget_share * math.fsum(costs))
    selection = CostAware(base=base).select(
        LEARNER, POOL, LABELED, batch_size, costs=cost, budget=budget, rng=np.random.default_rng(0)
    )
    chosen = selection.indices
    assert 1 <= len(chosen) <= batch_size
    assert len(np.unique(chosen)) == len(chosen)
    assert math.fsum(cost[chosen].tolist()) <= budget
    assert np.isfinite(selection.scores).all()


@settings(max_examples=30, deadline=None)
@given(
    costs=st.lists(st.floats(0.05, 5.0), min_size=30, max_size=30), batch_size=st.integers(1, 10)
)
def test_fills_the_batch_when_the_budget_does_not_bind(costs: list[float], batch_size: int) -> None:
    cost = np.asarray(costs)
    selection = CostAware().select(
        LEARNER, POOL, LABELED, batch_size, costs=cost, budget=math.fsum(costs) + 1.0,
        rng=np.random.default_rng(0),
    )  # fmt: skip
    assert len(selection.indices) == batch_size


def test_returns_fewer_when_the_budget_binds() -> None:
    cost = np.full(30, 2.0)
    selection = CostAware().select(
        LEARNER, POOL, LABELED, 10, costs=cost, budget=7.0, rng=np.random.default_rng(0)
    )
    assert len(selection.indices) == 3


def test_prefers_cheap_equally_useful_points() -> None:
    learner = ToyLearner(lambda X: np.ones(len(X)))
    cost = np.where(np.arange(30) % 3 == 0, 1.0, 5.0)
    selection = CostAware().select(
        learner, POOL, LABELED, 10, costs=cost, budget=100.0, rng=np.random.default_rng(0)
    )
    assert (cost[selection.indices] == 1.0).all()
    np.testing.assert_array_equal(selection.indices, np.arange(0, 30, 3))


def test_trades_utility_against_cost() -> None:
    """Utility 4 at cost 4 loses to utility 3 at cost 1; plain top-k picks the former."""
    utility = np.array([4.0, 3.0, 1.0, 0.5])
    pool = np.arange(4, dtype=np.float64)[:, None]
    learner = ToyLearner(lambda X: utility[X[:, 0].astype(int)])
    cost = np.array([4.0, 1.0, 1.0, 1.0])
    selection = CostAware().select(
        learner, pool, pool[:0], 2, costs=cost, budget=10.0, rng=np.random.default_rng(0)
    )
    np.testing.assert_array_equal(selection.indices, [1, 2])
    np.testing.assert_allclose(selection.scores, [3.0, 1.0])


def test_without_costs_every_row_costs_one() -> None:
    selection = CostAware().select(
        LEARNER, POOL, LABELED, 10, budget=4.5, rng=np.random.default_rng(0)
    )
    top = make_strategy("max_variance").select(
        LEARNER, POOL, LABELED, 4, rng=np.random.default_rng(0)
    )
    np.testing.assert_array_equal(selection.indices, top.indices)


def test_budget_smaller_than_the_cheapest_query_raises() -> None:
    with pytest.raises(BudgetError, match="cheapest") as info:
        CostAware().select(
            LEARNER,
            POOL,
            LABELED,
            3,
            costs=np.full(30, 2.0),
            budget=1.5,
            rng=np.random.default_rng(0),
        )
    assert info.value.parameter == "budget"


@pytest.mark.parametrize("budget", [0.0, -1.0, float("nan"), float("inf"), "ten"])
def test_bad_budget_values(budget: object) -> None:
    with pytest.raises(InvalidInputError) as info:
        CostAware().select(LEARNER, POOL, LABELED, 3, budget=budget, rng=np.random.default_rng(0))  # type: ignore[arg-type]
    assert info.value.parameter == "budget"


def test_base_parameters_are_passed_through() -> None:
    wrapper = make_strategy("cost_aware", base="hybrid", beta=2.0, diversity="kcenter")
    assert wrapper.base.beta == 2.0 and wrapper.base.diversity == "kcenter"  # type: ignore[attr-defined]
    with pytest.raises(InvalidInputError):
        CostAware(base="cost_aware")
    with pytest.raises(InvalidInputError):
        CostAware(oversample=0.5)
