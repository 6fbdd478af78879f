"""Ask/tell: the engine driven from outside, one query at a time, by oracles that answer late."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from loop_helpers import linear_data, make_committee

from netal.errors import DuplicateAnswerError, InvalidInputError, UnknownQueryError
from netal.loop import (
    ActiveLearningLoop,
    Answer,
    Budget,
    KnowledgeBase,
    ReplayOracle,
    TestSetMetrics,
)


class Clock:
    """A clock the test moves by hand (epoch seconds)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _loop(X: np.ndarray, y: np.ndarray, **overrides: Any) -> ActiveLearningLoop:
    params: dict[str, Any] = {
        "initial_ids": np.arange(10),
        "initial_labels": y[:10],
        "batch_size": 4,
        "max_iterations": 6,
        "seed": 5,
        "callbacks": [TestSetMetrics(X[-20:], y[-20:])],
    }
    params.update(overrides)
    oracle = params.pop("oracle", None) or ReplayOracle(y)
    strategy = params.pop("strategy", "max_variance")
    return ActiveLearningLoop(X, oracle, make_committee, strategy, **params)


def _answers(queries: list[Any], y: np.ndarray) -> list[Answer]:
    return [Answer(q.query_id, y[q.sample_id]) for q in queries]


def _statuses(kb: KnowledgeBase, run: str = "run") -> dict[int, str]:
    frame = kb.queries(run, status="all")
    return dict(zip(frame["query_id"], frame["status"], strict=True))


def test_driving_ask_tell_by_hand_equals_run() -> None:
    X, y = linear_data(90, seed=1)
    reference = _loop(X, y).run()
    loop = _loop(X, y)
    while not loop.done:
        queries = loop.ask()
        if not queries:
            break
        loop.tell(_answers(queries, y))
    result = loop.result()
    np.testing.assert_array_equal(result.labeled_ids, reference.labeled_ids)
    pd.testing.assert_frame_equal(result.metrics, reference.metrics)
    assert result.stop_reason == reference.stop_reason == "max_iterations"


def test_oracle_labels_the_initial_set_through_ask() -> None:
    X, y = linear_data(60, seed=2)
    loop = _loop(X, y, initial_labels=None)
    first = loop.ask(2)  # the whole initial set, whatever n
    assert [q.sample_id for q in first] == list(range(10))
    assert not any(q.counted for q in first)
    assert loop.ask() == [] and loop.model_version == -1  # nothing to select with yet
    loop.tell(_answers(first[5:], y))
    assert loop.model_version == -1  # round not complete
    loop.tell(_answers(first[:5], y))
    assert loop.model_version == 0
    assert loop.result().spent_labels == 0  # the initial set is free


def test_out_of_order_and_partial_answers_train_once_per_round() -> None:
    X, y = linear_data(90, seed=3)
    loop = _loop(X, y)
    queries = loop.ask(6)
    assert loop.model_version == 0 and len(queries) == 6
    first = loop.tell(_answers(queries[::-2], y))  # 3 answers, reversed order
    assert first.accepted == tuple(q.query_id for q in queries[::-2])
    assert first.model_version == 0  # three still pending: the round goes on
    assert {q.query_id for q in loop.pending()} == {q.query_id for q in queries[-2::-2]}
    second = loop.tell(_answers(queries[-2::-2], y))
    assert second.model_version == 1
    result = loop.result()
    told = [q.sample_id for q in queries[::-2]] + [q.sample_id for q in queries[-2::-2]]
    np.testing.assert_array_equal(result.labeled_ids[10:], told)  # the order they arrived in
    np.testing.assert_array_equal(result.labels, y[result.labeled_ids])
    assert result.spent_labels == 6
    assert result.metrics.loc[1, "n_labeled"] == 16


def test_pending_queries_reserve_samples_and_budget() -> None:
    X, y = linear_data(90, seed=4)
    loop = _loop(X, y, budget=Budget(labels=6), max_iterations=None)
    first = loop.ask(4)
    second = loop.ask(4)  # only 2 labels left once the pending 4 are reserved
    assert len(second) == 2
    assert not {q.sample_id for q in first} & {q.sample_id for q in second}
    assert loop.ask(4) == [] and not loop.done  # budget reserved, answers still due
    loop.tell(_answers(first + second, y))
    assert loop.ask() == [] and loop.done and loop.stop_reason == "budget_exhausted"
    assert loop.result().spent_labels == 6


def test_duplicate_answers_are_refused_and_never_counted() -> None:
    X, y = linear_data(90, seed=5)
    loop = _loop(X, y)
    queries = loop.ask(4)
    loop.tell(_answers(queries[:2], y))
    before = loop.result()
    with pytest.raises(
        DuplicateAnswerError, match=f"query {queries[0].query_id} .*already answered"
    ):
        loop.tell([Answer(queries[0].query_id, 123.0)])
    with pytest.raises(DuplicateAnswerError, match="answered twice in one call"):
        loop.tell([Answer(queries[2].query_id, 1.0), Answer(queries[2].query_id, 1.0)])
    with pytest.raises(DuplicateAnswerError, match="already answered"):  # all or nothing
        loop.tell([Answer(queries[2].query_id, 1.0), Answer(queries[1].query_id, 1.0)])
    with pytest.raises(UnknownQueryError, match="query 99999 was never asked"):
        loop.tell([Answer(99999, 1.0)])
    with pytest.raises(InvalidInputError, match="non-finite label"):
        loop.tell([Answer(queries[2].query_id, float("nan"))])
    after = loop.result()
    np.testing.assert_array_equal(after.labeled_ids, before.labeled_ids)
    assert after.spent_labels == before.spent_labels == 2
    assert {q.query_id for q in loop.pending()} == {queries[2].query_id, queries[3].query_id}


def test_expired_lease_returns_the_query_to_the_pool_and_a_late_answer_still_counts() -> None:
    X, y = linear_data(90, seed=6)
    clock = Clock()
    loop = _loop(X, y, clock=clock, lease=60.0, retrain_every="manual")
    queries = loop.ask(3)
    assert all(q.lease_expires == clock.now + 60.0 for q in queries)
    clock.now += 61.0
    assert sorted(loop.expire()) == sorted(q.query_id for q in queries)
    assert loop.pending() == []
    statuses = _statuses(loop.knowledge_base)
    assert [statuses[q.query_id] for q in queries] == ["expired"] * 3
    # The samples are in the pool again: the same scores pick them again.
    again = loop.ask(3)
    assert sorted(q.sample_id for q in again) == sorted(q.sample_id for q in queries)
    # A late answer to the first expired query is accepted; its re-ask is superseded.
    late = loop.tell([Answer(queries[0].query_id, y[queries[0].sample_id])])
    assert late.late == (queries[0].query_id,)
    reasked = next(q for q in again if q.sample_id == queries[0].sample_id)
    assert _statuses(loop.knowledge_base)[reasked.query_id] == "superseded"
    assert reasked.query_id not in {q.query_id for q in loop.pending()}
    # Once the sample is labeled, a second late answer for it is a duplicate.
    with pytest.raises(DuplicateAnswerError, match="already"):
        loop.tell([Answer(reasked.query_id, 0.0)])
    assert loop.result().spent_labels == 1


def test_refused_queries_go_back_to_the_pool() -> None:
    X, y = linear_data(90, seed=7)
    loop = _loop(X, y)
    queries = loop.ask(4)
    assert loop.refuse([queries[1].query_id]) == 1
    assert _statuses(loop.knowledge_base)[queries[1].query_id] == "refused"
    with pytest.raises(InvalidInputError, match="is not pending"):
        loop.refuse([queries[1].query_id])
    with pytest.raises(UnknownQueryError):
        loop.refuse([424242])
    loop.tell(_answers([queries[0], queries[2], queries[3]], y))
    assert loop.model_version == 1  # the refusal closed the round
    nxt = loop.ask(4)
    assert queries[1].sample_id in {q.sample_id for q in nxt} | set(range(90))  # back in pool
    assert queries[1].sample_id not in set(loop.result().labeled_ids)


def test_every_k_answers_retrains_with_queries_pending() -> None:
    X, y = linear_data(90, seed=8)
    loop = _loop(X, y, retrain_every=3)
    queries = loop.ask(5)
    assert loop.tell(_answers(queries[:2], y)).model_version == 0
    assert loop.tell(_answers(queries[2:3], y)).model_version == 1
    assert len(loop.pending()) == 2
    assert loop.tell(_answers(queries[3:], y)).model_version == 1  # 2 < 3 new labels


def test_manual_schedule_trains_only_on_demand() -> None:
    X, y = linear_data(90, seed=9)
    loop = _loop(X, y, retrain_every="manual")
    queries = loop.ask(4)
    assert loop.tell(_answers(queries, y)).model_version == 0
    more = loop.ask(2)  # selected with model version 0
    assert all(q.iteration == 1 for q in more)
    assert loop.train() == 1
    assert loop.train() == 1  # nothing new: no new version


def test_a_second_ask_in_a_round_uses_its_own_random_stream() -> None:
    X, y = linear_data(90, seed=10)
    loop = _loop(X, y, strategy="random", retrain_every="manual")
    first = loop.ask(3)
    loop.refuse([q.query_id for q in first])
    second = loop.ask(3)
    assert [q.sample_id for q in first] != [q.sample_id for q in second]


def test_ask_tell_state_survives_a_new_process_object(tmp_path: Any) -> None:
    X, y = linear_data(90, seed=11)
    path = tmp_path / "kb.sqlite"
    clock = Clock()
    loop = _loop(X, y, knowledge_base=path, clock=clock)
    queries = loop.ask(4, lease=30)
    loop.tell(_answers(queries[:1], y))
    loop.knowledge_base.close()
    reopened = _loop(X, y, knowledge_base=path, clock=clock)
    assert [(q.query_id, q.sample_id, q.lease_expires) for q in reopened.pending()] == [
        (q.query_id, q.sample_id, q.lease_expires) for q in queries[1:]
    ]
    clock.now += 31
    assert len(reopened.expire()) == 3


def test_bad_ask_arguments_are_named() -> None:
    X, y = linear_data(60, seed=12)
    loop = _loop(X, y)
    with pytest.raises(InvalidInputError, match=r"^n:"):
        loop.ask(0)
    with pytest.raises(InvalidInputError, match=r"^lease:"):
        loop.ask(2, lease=-1)
    with pytest.raises(InvalidInputError, match="retrain_every"):
        _loop(X, y, retrain_every="weekly")
    with pytest.raises(InvalidInputError, match="must be Answer objects"):
        loop.tell([(1, 2.0)])
