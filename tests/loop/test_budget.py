"""Budgets: never exceeded, spent until nothing fits, impossible budgets refused."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loop_helpers import make_pickled

from netal.errors import BudgetError
from netal.loop import ActiveLearningLoop, Budget, ReplayOracle
from netal.loop.budget import accumulate
from netal.strategies import RandomSampling, Selection


class _ExpensiveFirstIgnoringBudget(RandomSampling):
    """Returns its batch most expensive first and ignores ``budget``."""

    name = "expensive_first"

    def select(self, learner: Any, X_pool: np.ndarray, *args: Any, **kwargs: Any) -> Selection:
        costs = kwargs["costs"]
        order = np.argsort(-costs, kind="stable")[: args[1]]
        return Selection(order.astype(np.int64), costs[order])


def test_budget_rejects_impossible_values() -> None:
    with pytest.raises(BudgetError, match=r"budget\.labels"):
        Budget(labels=0)
    with pytest.raises(BudgetError, match=r"budget\.cost"):
        Budget(cost=0.0)
    with pytest.raises(BudgetError, match=r"budget\.cost"):
        Budget(cost=float("nan"))
    with pytest.raises(BudgetError, match=r"budget\.labels"):
        Budget(labels=2.5)  # type: ignore[arg-type]


def test_fitting_prefix_and_remaining() -> None:
    budget = Budget(labels=5, cost=10.0)
    assert budget.remaining_labels(3) == 2
    assert budget.remaining_cost(7.5) == 2.5
    assert budget.fitting_prefix(np.array([1.0, 1.5, 0.1]), 7.5) == 2
    assert budget.fitting_prefix(np.array([3.0]), 7.5) == 0
    assert budget.batch_limit(4, 3, 10) == 2
    assert Budget().fitting_prefix(np.array([1e9, 1e9]), 0.0) == 2
    np.testing.assert_array_equal(accumulate(1.0, np.array([1.0, 2.0])), [2.0, 4.0])


def test_cost_budget_smaller_than_cheapest_query_raises() -> None:
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = X[:, 0]
    oracle = ReplayOracle(y, costs=np.full(30, 3.0))
    loop = ActiveLearningLoop(
        X, oracle, make_pickled, "random", initial_ids=[0, 1], batch_size=2, budget=Budget(cost=2.9)
    )
    with pytest.raises(BudgetError, match=r"budget\.cost.*cheapest pool sample costs 3\.0"):
        loop.run()
    assert oracle.n_queries == 0
    # the refused run left no trace, so a corrected budget can reuse the name
    assert loop.knowledge_base.runs().empty


@pytest.mark.slow
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    costs=st.lists(st.floats(0.05, 10.0), min_size=12, max_size=40),
    batch_size=st.integers(1, 6),
    label_budget=st.one_of(st.none(), st.integers(1, 30)),
    cost_fraction=st.one_of(st.none(), st.floats(0.01, 1.2)),
    seed=st.integers(0, 1000),
    expensive_first=st.booleans(),
)
def test_budget_is_never_exceeded_and_spent_until_nothing_fits(
    costs: list[float],
    batch_size: int,
    label_budget: int | None,
    cost_fraction: float | None,
    seed: int,
    expensive_first: bool,
) -> None:
    n = len(costs)
    cost_array = np.array(costs)
    X = np.random.default_rng(seed).normal(size=(n, 2))
    n_initial = 3
    batch_size = min(batch_size, n - n_initial)
    pool_costs = cost_array[n_initial:]
    cost_budget = None
    if cost_fraction is not None:
        cost_budget = max(float(pool_costs.min()), cost_fraction * float(pool_costs.sum()))
    budget = Budget(labels=label_budget, cost=cost_budget)
    strategy = _ExpensiveFirstIgnoringBudget() if expensive_first else RandomSampling()
    result = ActiveLearningLoop(
        X,
        ReplayOracle(X[:, 0], costs=cost_array),
        make_pickled,
        strategy,
        initial_ids=np.arange(n_initial),
        batch_size=batch_size,
        budget=budget,
        seed=seed,
    ).run()
    counted = result.queries[result.queries["counted"]]
    spent = float(accumulate(0.0, counted["cost"].to_numpy())[-1]) if len(counted) else 0.0
    assert spent == result.spent_cost
    if cost_budget is not None:
        assert spent <= cost_budget
    if label_budget is not None:
        assert len(counted) <= label_budget
    assert counted.groupby("iteration").size().max() <= batch_size
    # the run only stopped when nothing else fitted
    unlabeled = np.setdiff1d(np.arange(n), result.labeled_ids)
    assert result.stop_reason in {"budget_exhausted", "pool_exhausted"}
    if result.stop_reason == "pool_exhausted":
        assert len(unlabeled) == 0
    else:
        no_label_left = label_budget is not None and len(counted) == label_budget
        nothing_affordable = cost_budget is not None and (
            len(unlabeled) == 0 or cost_array[unlabeled].min() > cost_budget - spent
        )
        assert no_label_left or nothing_affordable


def test_the_initial_labels_are_not_counted_and_the_repr_says_so() -> None:
    assert "initial labeled set is not counted" in repr(Budget(labels=8))
    assert repr(Budget(labels=8)).startswith("Budget(labels=8, cost=None;")
    X = np.random.default_rng(0).normal(size=(40, 2))
    costs = np.full(40, 2.0)
    result = ActiveLearningLoop(
        X,
        ReplayOracle(X[:, 0], costs=costs),
        make_pickled,
        "random",
        initial_ids=np.arange(5),
        batch_size=3,
        budget=Budget(labels=8, cost=100.0),
    ).run()
    assert result.spent_labels == 8 and result.spent_cost == 16.0  # the 5 initial ones are free
    assert len(result.labeled_ids) == 5 + 8
