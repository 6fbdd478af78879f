"""Measurements (answers that carry their own input) and a pool that grows and shrinks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from loop_helpers import linear_data, make_committee

from netal.errors import InvalidInputError, ShapeMismatchError
from netal.loop import ActiveLearningLoop, Answer, KnowledgeBase


def _loop(X: np.ndarray, y: np.ndarray, **overrides: Any) -> ActiveLearningLoop:
    params: dict[str, Any] = {
        "initial_ids": np.arange(6),
        "initial_labels": y[:6],
        "batch_size": 3,
        "max_iterations": 5,
        "seed": 2,
    }
    params.update(overrides)
    return ActiveLearningLoop(
        X, None, make_committee, params.pop("strategy", "max_variance"), **params
    )


def test_a_measurement_trains_on_the_input_it_reports(tmp_path: Path) -> None:
    X, y = linear_data(40, d=3, seed=1)
    path = tmp_path / "kb.sqlite"
    loop = _loop(X, y, knowledge_base=path)
    queries = loop.ask()
    measured = X[[q.sample_id for q in queries]] + 0.5  # the place was measured, not the plan
    loop.tell(
        [Answer(q.query_id, 1.0, features=row) for q, row in zip(queries, measured, strict=True)]
    )
    inputs, labels = loop.training_set()
    np.testing.assert_array_equal(inputs[:6], X[:6])
    np.testing.assert_array_equal(inputs[6:], measured)
    np.testing.assert_array_equal(labels[6:], 1.0)
    loop.knowledge_base.close()
    again = _loop(X, y, knowledge_base=path)  # resumed from the knowledge base
    np.testing.assert_array_equal(again.training_set()[0], inputs)


def test_bad_measured_inputs_are_refused_before_anything_is_recorded() -> None:
    X, y = linear_data(40, d=3, seed=2)
    loop = _loop(X, y)
    query = loop.ask(1)[0]
    with pytest.raises(ShapeMismatchError, match="features of shape"):
        loop.tell([Answer(query.query_id, 1.0, features=[1.0, 2.0])])
    with pytest.raises(InvalidInputError, match="non-finite features"):
        loop.tell([Answer(query.query_id, 1.0, features=[1.0, np.nan, 2.0])])
    assert [q.query_id for q in loop.pending()] == [query.query_id]


def test_added_candidates_are_asked_and_retired_ones_never(tmp_path: Path) -> None:
    X, y = linear_data(30, d=3, seed=3)
    path = tmp_path / "kb.sqlite"
    loop = _loop(X[:10], y[:10], knowledge_base=path, strategy="max_variance")
    far = np.full((4, 3), 25.0) * np.array([[1], [-1], [2], [-2]])  # far from the data: uncertain
    ids = loop.add_candidates(far, costs=2.0)
    np.testing.assert_array_equal(ids, [10, 11, 12, 13])
    loop.retire(ids[:2])
    queries = loop.ask(3)
    asked = {q.sample_id for q in queries}
    assert {12, 13} <= asked and not asked & {10, 11}
    with pytest.raises(InvalidInputError, match="labeled or pending"):
        loop.retire([12])
    with pytest.raises(InvalidInputError, match="not a candidate"):
        loop.retire([3])
    loop.tell([Answer(q.query_id, 0.0) for q in queries])
    loop.knowledge_base.close()
    again = _loop(X[:10], y[:10], knowledge_base=path, strategy="max_variance")
    engine = again._opened()
    assert len(engine.X) == 14 and engine.retired[[10, 11]].all()
    assert engine.costs[12] == 2.0
    assert KnowledgeBase(path).progress(1).candidates["retired"].tolist() == [
        True,
        True,
        False,
        False,
    ]


def test_candidates_must_look_like_pool_rows() -> None:
    X, y = linear_data(20, d=3, seed=4)
    loop = _loop(X, y)
    with pytest.raises(ShapeMismatchError, match="rows have shape"):
        loop.add_candidates(np.zeros((2, 4)))
    with pytest.raises(InvalidInputError, match="costs"):
        loop.add_candidates(np.zeros((2, 3)), costs=0.0)
    with pytest.raises(InvalidInputError, match="run\\(\\) needs an oracle"):
        loop.run()


def test_ask_for_hands_out_what_an_outside_planner_chose() -> None:
    X, y = linear_data(30, d=3, seed=5)
    loop = _loop(X, y, retrain_every="manual")
    queries = loop.ask_for([20, 7], scores=[0.5, 0.25], strategy="joint")
    assert [(q.sample_id, q.score) for q in queries] == [(20, 0.5), (7, 0.25)]
    frame = loop.knowledge_base.queries(loop.run_name, status="all")
    assert frame["strategy"].tolist()[-2:] == ["joint", "joint"]
    with pytest.raises(InvalidInputError, match="sample 7 is labeled, pending or retired"):
        loop.ask_for([7])
    with pytest.raises(InvalidInputError, match="not a row of the pool"):
        loop.ask_for([99])
    with pytest.raises(InvalidInputError, match="duplicates"):
        loop.ask_for([12, 12])
    loop.tell([Answer(q.query_id, 0.0) for q in queries])
    assert loop.train() == 1
    assert set(loop.result().labeled_ids[-2:]) == {20, 7}


def test_ask_for_respects_the_budget() -> None:
    from netal.errors import BudgetError
    from netal.loop import Budget

    X, y = linear_data(30, d=3, seed=6)
    loop = _loop(X, y, budget=Budget(labels=2))
    with pytest.raises(BudgetError, match="do not fit the remaining budget"):
        loop.ask_for([10, 11, 12])
    assert len(loop.ask_for([10, 11])) == 2


def test_a_forced_retraining_makes_a_version_that_survives_a_restart(tmp_path: Path) -> None:
    X, y = linear_data(40, d=3, seed=1)
    path = tmp_path / "kb.sqlite"
    loop = _loop(X, y, knowledge_base=path, retrain_every="manual")
    assert loop.train() == 0
    assert loop.train() == 0  # nothing new: no new version
    assert loop.train(force=True) == 1  # same labels, a new version
    queries = loop.ask(2)
    loop.tell([Answer(q.query_id, float(y[q.sample_id])) for q in queries])
    assert loop.train() == 2
    first = loop.learner(1).predict(X[:5])
    loop.knowledge_base.close()
    again = _loop(X, y, knowledge_base=path, retrain_every="manual")
    assert again.model_version == 2
    np.testing.assert_array_equal(again.learner(1).predict(X[:5]), first)
    queries = again.ask(2)
    assert queries and all(q.iteration == 3 for q in queries)
    again.tell([Answer(q.query_id, float(y[q.sample_id])) for q in queries])
    assert again.train() == 3
    iterations = KnowledgeBase(path).iterations("run")
    assert iterations["status"].tolist() == ["complete"] * 4
    assert iterations["n_labeled"].tolist() == [6, 6, 8, 10]
