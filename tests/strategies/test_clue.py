"""CLUE (uncertainty-weighted k-means in the embedding): one pick per cluster, pulled to uncertainty."""

from __future__ import annotations

import numpy as np
import pytest
from strategy_toys import ToyLearner

from netal.errors import InvalidInputError
from netal.strategies import CLUE, make_strategy


def _blobs(rng: np.random.Generator, centers: np.ndarray, per: int) -> np.ndarray:
    return np.concatenate([c + 0.05 * rng.standard_normal((per, 2)) for c in centers])


def test_one_pick_per_well_separated_cluster() -> None:
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    pool = _blobs(rng, centers, 50)
    learner = ToyLearner(lambda X: np.ones(len(X)))
    picks = CLUE().select(learner, pool, pool[:0], 4, rng=np.random.default_rng(1)).indices
    assert len(set(picks)) == 4
    assert sorted(picks // 50) == [0, 1, 2, 3]  # one row of each blob


def test_uncertainty_weights_pull_the_pick_inside_a_cluster() -> None:
    """In one cluster, the pick moves towards the rows with the larger variance."""
    pool = np.linspace(0.0, 1.0, 101)[:, None] * np.array([[1.0, 0.0]])
    flat = CLUE().select(
        ToyLearner(lambda X: np.ones(len(X))), pool, pool[:0], 1, rng=np.random.default_rng(0)
    )
    skewed = CLUE().select(
        ToyLearner(lambda X: np.exp(8.0 * X[:, 0])), pool, pool[:0], 1, rng=np.random.default_rng(0)
    )
    assert abs(pool[flat.indices[0], 0] - 0.5) < 0.02  # unweighted: the middle
    assert pool[skewed.indices[0], 0] > 0.8  # weighted: near the uncertain end
    assert skewed.scores[0] == pytest.approx(np.exp(8.0 * pool[skewed.indices[0], 0]))


def test_registered_deterministic_and_checked() -> None:
    rng = np.random.default_rng(3)
    pool = rng.standard_normal((200, 3))
    learner = ToyLearner(lambda X: (X**2).sum(axis=1))
    a = make_strategy("clue").select(learner, pool, pool[:5], 10, rng=np.random.default_rng(7))
    b = make_strategy("clue").select(learner, pool, pool[:5], 10, rng=np.random.default_rng(7))
    assert np.array_equal(a.indices, b.indices) and len(set(a.indices)) == 10
    with pytest.raises(InvalidInputError, match="uncertainty"):
        CLUE(uncertainty="entropy")
