"""Revising told labels: recorded, trained from the next model version on, replayed on resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from loop_helpers import linear_data, make_committee
from sqlalchemy import select
from sqlalchemy.orm import Session

from netal.errors import InvalidInputError, NonFiniteError, ShapeMismatchError
from netal.loop import ActiveLearningLoop, Answer, ReplayOracle, TestSetMetrics
from netal.loop.knowledge.tables import LabelRevisionRecord


def _loop(X: np.ndarray, y: np.ndarray, path: Path, **overrides: Any) -> ActiveLearningLoop:
    params: dict[str, Any] = {
        "initial_ids": np.arange(10),
        "initial_labels": y[:10] + 5.0,  # told with an error the revisions take out
        "batch_size": 4,
        "max_iterations": 5,
        "seed": 3,
        "knowledge_base": path,
        "callbacks": [TestSetMetrics(X[-20:], y[-20:])],
    }
    params.update(overrides)
    return ActiveLearningLoop(X, ReplayOracle(y), make_committee, "max_variance", **params)


def _drive(loop: ActiveLearningLoop, y: np.ndarray, revise_after: int, reopen=None):  # type: ignore[no-untyped-def]
    """Rounds of ask/tell; after round ``revise_after`` the initial labels are revised."""
    rounds = 0
    while not loop.done:
        queries = loop.ask()
        if not queries:
            break
        loop.tell([Answer(q.query_id, y[q.sample_id]) for q in queries])
        rounds += 1
        if rounds == revise_after:
            changed = loop.revise({i: y[i] for i in range(10)}, reason="re-aggregated")
            assert changed == list(range(10))
            if reopen is not None:
                loop.knowledge_base.close()
                loop = reopen()
    return loop


def test_revised_labels_train_the_next_version_and_survive_a_resume(tmp_path: Path) -> None:
    X, y = linear_data(90, seed=7)
    straight = _drive(_loop(X, y, tmp_path / "a.sqlite"), y, revise_after=2)
    resumed = _drive(
        _loop(X, y, tmp_path / "b.sqlite"),
        y,
        revise_after=2,
        reopen=lambda: _loop(X, y, tmp_path / "b.sqlite"),
    )
    for loop in (straight, resumed):
        _, labels = loop.training_set()
        np.testing.assert_allclose(labels, y[loop.labeled_ids])  # the revised labels
    a, b = straight.result(), resumed.result()
    np.testing.assert_array_equal(a.labeled_ids, b.labeled_ids)
    pd.testing.assert_frame_equal(a.metrics, b.metrics)
    with Session(resumed.knowledge_base.engine) as session:
        rows = session.scalars(select(LabelRevisionRecord)).all()
    assert [(r.position, r.sample_id, r.reason) for r in rows] == [
        (i, i, "re-aggregated") for i in range(10)
    ]
    assert {r.iteration for r in rows} == {3}  # told after version 2: first trained in 3

    # the revision mattered: the same run without it keeps the +5 error in its labels
    unrevised = _drive(_loop(X, y, tmp_path / "c.sqlite"), y, revise_after=-1)
    assert not np.allclose(unrevised.training_set()[1], y[unrevised.labeled_ids])
    after = a.metrics.index > 2
    assert not np.allclose(
        a.metrics.loc[after, "test_rmse"], unrevised.result().metrics.loc[after, "test_rmse"]
    )


def test_a_revision_alone_trains_a_version_and_earlier_ones_keep_their_labels(
    tmp_path: Path,
) -> None:
    X, y = linear_data(60, seed=8)
    loop = _loop(X, y, tmp_path / "kb.sqlite", retrain_every="manual", max_iterations=None)
    assert loop.train() == 0
    assert loop.train() == 0  # nothing new
    assert loop.revise({3: y[3], 4: y[4] + 5.0}) == [3]  # 4 is unchanged: not a revision
    assert loop.train() == 1
    engine = loop._opened()
    np.testing.assert_allclose(engine._training_data(0, 10)[1], y[:10] + 5.0)
    expected = y[:10] + 5.0
    expected[3] = y[3]
    np.testing.assert_allclose(engine._training_data(1, 10)[1], expected)
    loop.knowledge_base.close()
    again = _loop(X, y, tmp_path / "kb.sqlite", retrain_every="manual", max_iterations=None)
    np.testing.assert_allclose(again.training_set()[1], expected)
    np.testing.assert_allclose(again._opened()._training_data(0, 10)[1], y[:10] + 5.0)


def test_bad_revisions_are_named_and_revise_nothing(tmp_path: Path) -> None:
    X, y = linear_data(60, seed=9)
    loop = _loop(X, y, tmp_path / "kb.sqlite")
    loop.train()
    before = loop.training_set()[1]
    with pytest.raises(InvalidInputError, match="sample 40 has no told label"):
        loop.revise({0: 1.0, 40: 1.0})
    with pytest.raises(NonFiniteError, match="sample 1: non-finite"):
        loop.revise({0: 1.0, 1: float("nan")})
    with pytest.raises(ShapeMismatchError, match="sample 0: label of shape"):
        loop.revise({0: [1.0, 2.0]})
    with pytest.raises(InvalidInputError, match=r"^labels: sample id 'a'"):
        loop.revise({"a": 1.0})
    with pytest.raises(InvalidInputError, match=r"^labels:"):
        loop.revise([(0, 1.0)])
    np.testing.assert_array_equal(loop.training_set()[1], before)
    with Session(loop.knowledge_base.engine) as session:
        assert session.scalars(select(LabelRevisionRecord)).all() == []
