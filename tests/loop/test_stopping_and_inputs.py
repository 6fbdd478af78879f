"""Stopping criteria end runs; bad input raises named errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from loop_helpers import linear_data, make_committee, make_pickled

from netal.errors import (
    EmptyPoolError,
    InvalidInputError,
    NonFiniteError,
    ShapeMismatchError,
    UnknownNameError,
)
from netal.loop import (
    ActiveLearningLoop,
    Budget,
    LoopState,
    MaxIterations,
    OracleAnswer,
    ReplayOracle,
    TestSetMetrics,
    UncertaintyPlateau,
)
from netal.loop.stopping import POOL_UNCERTAINTY


def _make(X: Any, y: Any, **overrides: Any) -> ActiveLearningLoop:
    params: dict[str, Any] = {"initial_ids": np.arange(5), "batch_size": 3}
    params.update(overrides)
    oracle = params.pop("oracle", None) or ReplayOracle(y)
    learner = params.pop("make_learner", make_committee)
    return ActiveLearningLoop(X, oracle, learner, params.pop("strategy", "random"), **params)


def _state(history: list[float]) -> LoopState:
    return LoopState(
        iteration=len(history) - 1,
        spent_labels=0,
        spent_cost=0.0,
        budget=Budget(),
        n_unlabeled=10,
        min_pool_cost=1.0,
        history={POOL_UNCERTAINTY: history},
    )


def test_max_iterations_ends_the_run() -> None:
    X, y = linear_data(60)
    result = _make(X, y, stopping=[MaxIterations(4)]).run()
    assert result.stop_reason == "max_iterations"
    assert result.iterations == 4


def test_label_budget_ends_the_run() -> None:
    X, y = linear_data(60)
    result = _make(X, y, budget=Budget(labels=7)).run()
    assert result.stop_reason == "budget_exhausted"
    assert result.spent_labels == 7
    assert result.queries[result.queries["counted"]].groupby("iteration").size().tolist() == [
        3,
        3,
        1,
    ]


def test_cost_budget_ends_the_run() -> None:
    X, y = linear_data(60)
    result = _make(X, y, oracle=ReplayOracle(y, costs=2.0), budget=Budget(cost=9.0)).run()
    assert result.stop_reason == "budget_exhausted"
    assert result.spent_labels == 4
    assert result.spent_cost == 8.0


def test_uncertainty_plateau_rule() -> None:
    rule = UncertaintyPlateau(threshold=0.05, patience=2)
    assert not rule.should_stop(_state([1.0, 0.5]))
    assert not rule.should_stop(_state([1.0, 0.5, 0.49]))
    assert rule.should_stop(_state([1.0, 0.5, 0.49, 0.48]))
    assert not rule.should_stop(_state([1.0, 0.5, 0.49, 0.40]))
    with pytest.raises(InvalidInputError, match="threshold"):
        UncertaintyPlateau(threshold=0)
    with pytest.raises(InvalidInputError, match="patience"):
        UncertaintyPlateau(patience=0)


def test_uncertainty_plateau_ends_the_run_and_is_recorded() -> None:
    X, y = linear_data(200, noise=0.0)
    rule = UncertaintyPlateau(threshold=0.5, patience=2)
    result = _make(X, y, stopping=[rule], max_iterations=40).run()
    assert result.stop_reason == "uncertainty_plateau"
    values = result.metrics[POOL_UNCERTAINTY].to_numpy()
    assert len(values) == result.iterations + 1
    changes = np.abs(np.diff(values[-3:])) / values[-3:-1]
    assert (changes < 0.5).all()


def test_plateau_needs_a_learner_with_predict_dist() -> None:
    X, y = linear_data(30)
    with pytest.raises(InvalidInputError, match=r"stopping.*predict_dist"):
        _make(X, y, make_learner=make_pickled, stopping=[UncertaintyPlateau()])


def test_warm_start_needs_partial_fit() -> None:
    X, y = linear_data(30)
    with pytest.raises(InvalidInputError, match=r"retrain.*partial_fit"):
        _make(X, y, make_learner=make_pickled, retrain="warm")
    with pytest.raises(InvalidInputError, match="reinit_every"):
        _make(X, y, retrain="scratch", reinit_every=3)
    with pytest.raises(UnknownNameError, match="retrain policy 'lukewarm'"):
        _make(X, y, retrain="lukewarm")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_inputs_are_named(bad: float) -> None:
    X, y = linear_data(30)
    X_bad = X.copy()
    X_bad[7, 1] = bad
    with pytest.raises(NonFiniteError, match=r"X: .*row 7, column 1"):
        _make(X_bad, y)
    y_bad = y.copy()
    y_bad[2] = bad
    with pytest.raises(NonFiniteError, match=r"initial_labels: .*row 2"):
        _make(X, y, initial_labels=y_bad[:5])
    with pytest.raises(NonFiniteError, match="labels"):
        ReplayOracle(y_bad)


class _NaNOracle(ReplayOracle):
    def query(self, ids: Any) -> OracleAnswer:
        answer = super().query(ids)
        labels = answer.labels.copy()
        labels[-1] = np.nan
        return OracleAnswer(answer.ids, labels, answer.costs)


def test_non_finite_oracle_label_is_refused_and_not_recorded() -> None:
    X, y = linear_data(30)
    loop = _make(X, y, oracle=_NaNOracle(y), initial_labels=y[:5])
    with pytest.raises(NonFiniteError, match=r"labels: .*non-finite label for sample id"):
        loop.run()
    assert loop.knowledge_base.labeled("run")["iteration"].max() == 0


def test_empty_pool_and_oversized_batches() -> None:
    X, y = linear_data(10)
    with pytest.raises(EmptyPoolError, match="X"):
        _make(np.empty((0, 3)), np.empty(0), oracle=ReplayOracle(np.ones(1)))
    with pytest.raises(EmptyPoolError, match="initial_ids"):
        _make(X, y, initial_ids=np.arange(10))
    with pytest.raises(InvalidInputError, match="batch_size: is 6 but the pool has only 5"):
        _make(X, y, batch_size=6)
    with pytest.raises(InvalidInputError, match="batch_size"):
        _make(X, y, batch_size=0)


def test_mismatched_shapes_are_named() -> None:
    X, y = linear_data(30)
    with pytest.raises(ShapeMismatchError, match="oracle: holds 29 samples but X has 30"):
        _make(X, y[:29], oracle=ReplayOracle(y[:29]))
    with pytest.raises(ShapeMismatchError, match="initial_labels: has 4 rows"):
        _make(X, y, initial_labels=y[:4])
    with pytest.raises(ShapeMismatchError, match="X: must have 2 or 3 dimensions"):
        _make(X[:, 0], y)
    with pytest.raises(ShapeMismatchError, match="y_test"):
        TestSetMetrics(X[:5], y[:4])
    with pytest.raises(InvalidInputError, match="initial_ids: must lie in"):
        _make(X, y, initial_ids=[0, 30])
    with pytest.raises(InvalidInputError, match="initial_ids: contains duplicates"):
        _make(X, y, initial_ids=[1, 1])
    with pytest.raises(InvalidInputError, match="initial_ids: is empty"):
        _make(X, y, initial_ids=[])
    multi = np.stack([y, y], axis=1)
    loop = _make(X, multi, initial_labels=y[:5])
    with pytest.raises(ShapeMismatchError, match="labels: the oracle returned labels of shape"):
        loop.run()


def test_unknown_strategy_name_is_named() -> None:
    X, y = linear_data(30)
    with pytest.raises(
        UnknownNameError, match=r"unknown strategy 'most_confusing'; known: .*random"
    ):
        _make(X, y, strategy="most_confusing")
    with pytest.raises(InvalidInputError, match="strategy"):
        _make(X, y, strategy=object())


def test_other_bad_arguments_are_named() -> None:
    X, y = linear_data(30)
    with pytest.raises(InvalidInputError, match="make_learner"):
        _make(X, y, make_learner="ridge")
    with pytest.raises(InvalidInputError, match="oracle"):
        _make(X, y, oracle=object())
    with pytest.raises(InvalidInputError, match="budget"):
        _make(X, y, budget=5)
    with pytest.raises(InvalidInputError, match="stopping"):
        _make(X, y, stopping=[object()])
    with pytest.raises(InvalidInputError, match="callbacks"):
        _make(X, y, callbacks=[object()])
    with pytest.raises(InvalidInputError, match="max_iterations"):
        _make(X, y, max_iterations=0)
    with pytest.raises(InvalidInputError, match="seed"):
        _make(X, y, seed=-1)


@pytest.mark.parametrize(
    ("ids", "pattern"),
    [
        ([1.0, 2.0], r"ids: must be integers, got dtype float64"),
        ([3, 10], r"ids: must lie in \[0, 10\), got 3\.\.10"),
        ([-1], r"ids: must lie in \[0, 10\), got -1\.\.-1"),
    ],
)
def test_replay_oracle_rejects_bad_ids(ids: list[float], pattern: str) -> None:
    oracle = ReplayOracle(np.arange(10.0))
    with pytest.raises(InvalidInputError, match=pattern):
        oracle.cost(ids)
    with pytest.raises(InvalidInputError, match=pattern):
        oracle.query(ids)
    assert oracle.n_queries == 0


def test_replay_oracle_flattens_unsigned_and_2d_ids() -> None:
    oracle = ReplayOracle(np.arange(10.0) * 2, costs=np.arange(1.0, 11.0))
    answer = oracle.query(np.array([[4, 1], [0, 9]], dtype=np.uint8))
    assert answer.ids.dtype == np.int64
    np.testing.assert_array_equal(answer.ids, [4, 1, 0, 9])
    np.testing.assert_array_equal(answer.labels, [8.0, 2.0, 0.0, 18.0])
    np.testing.assert_array_equal(oracle.cost(np.array([2], dtype=np.uint16)), [3.0])
