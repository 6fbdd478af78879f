"""Training weights of told labels: recorded, used from the next model version on, replayed on resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from loop_helpers import linear_data, make_committee
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netal.errors import InvalidInputError
from netal.loop import ActiveLearningLoop, Answer, ReplayOracle
from netal.loop.knowledge.tables import LabelWeightRecord
from netal.models import LEARNERS


def _mlp(seed: int) -> Any:
    return LEARNERS.create("mc_dropout_mlp", hidden=(8,), epochs=5, n_passes=3, random_state=seed)


def _loop(X: np.ndarray, y: np.ndarray, path: Path, factory: Any = _mlp) -> ActiveLearningLoop:
    return ActiveLearningLoop(
        X,
        ReplayOracle(y),
        factory,
        "random",
        initial_ids=np.arange(10),
        initial_labels=y[:10],
        batch_size=4,
        max_iterations=4,
        seed=5,
        knowledge_base=path,
    )


def _drive(loop: ActiveLearningLoop, y: np.ndarray, reopen=None) -> ActiveLearningLoop:  # type: ignore[no-untyped-def]
    """Rounds of ask/tell; after the first round the initial labels are weighed."""
    rounds = 0
    while not loop.done:
        queries = loop.ask()
        if not queries:
            break
        loop.tell([Answer(q.query_id, y[q.sample_id]) for q in queries])
        rounds += 1
        if rounds == 1:
            weights = {i: 0.1 + 0.2 * (i % 3) for i in range(10)}
            assert loop.weigh(weights, reason="label noise") == list(range(10))
            assert loop.weigh(weights) == []  # the same weights again: no change
            if reopen is not None:
                loop.knowledge_base.close()
                loop = reopen()
    return loop


def test_weights_train_the_next_version_and_survive_a_resume(tmp_path: Path) -> None:
    X, y = linear_data(60, seed=3)
    straight = _drive(_loop(X, y, tmp_path / "a.sqlite"), y)
    resumed = _drive(
        _loop(X, y, tmp_path / "b.sqlite"), y, reopen=lambda: _loop(X, y, tmp_path / "b.sqlite")
    )
    np.testing.assert_array_equal(straight.learner().predict(X), resumed.learner().predict(X))
    unweighted = _loop(X, y, tmp_path / "c.sqlite")
    while not unweighted.done:
        queries = unweighted.ask()
        if not queries:
            break
        unweighted.tell([Answer(q.query_id, y[q.sample_id]) for q in queries])
    assert not np.array_equal(straight.learner().predict(X), unweighted.learner().predict(X))
    with Session(straight.knowledge_base.engine) as session:
        assert session.scalar(select(func.count()).select_from(LabelWeightRecord)) == 10


def test_a_learner_without_sample_weight_trains_unweighted(tmp_path: Path) -> None:
    X, y = linear_data(60, seed=4)
    weighed = _drive(_loop(X, y, tmp_path / "a.sqlite", make_committee), y)
    plain = _loop(X, y, tmp_path / "b.sqlite", make_committee)
    while not plain.done:
        queries = plain.ask()
        if not queries:
            break
        plain.tell([Answer(q.query_id, y[q.sample_id]) for q in queries])
    np.testing.assert_array_equal(weighed.learner().predict(X), plain.learner().predict(X))


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({999: 1.0}, "no told label"),
        ({0: 0.0}, "need finite, > 0"),
        ({0: float("nan")}, "> 0"),
        ({0: "x"}, "not a number"),
        ({"0": 1.0}, "not an integer"),
    ],
)
def test_bad_weights_are_refused_whole(tmp_path: Path, weights: dict, message: str) -> None:
    X, y = linear_data(40, seed=1)
    loop = _loop(X, y, tmp_path / "kb.sqlite", make_committee)
    loop.ask()
    with pytest.raises(InvalidInputError, match=message):
        loop.weigh({1: 0.5, **weights})
    with Session(loop.knowledge_base.engine) as session:
        assert session.scalar(select(func.count()).select_from(LabelWeightRecord)) == 0
