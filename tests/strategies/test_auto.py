"""``auto``: random with few labels or without embeddings, LCMD from MIN_LABELED_FOR_LCMD labels on."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from strategy_toys import ToyLearner, distance_to_anchors

from netal.errors import InvalidInputError
from netal.strategies import make_strategy
from netal.strategies._auto import MIN_LABELED_FOR_LCMD


def _problem(n_labeled: int) -> tuple[np.ndarray, np.ndarray, ToyLearner]:
    rng = np.random.default_rng(0)
    pool = rng.normal(size=(400, 5))
    labeled = rng.normal(size=(n_labeled, 5))
    return pool, labeled, ToyLearner(distance_to_anchors(labeled[:10]), aleatoric=0.5)


def _picks(name: str, learner, pool, labeled, **params) -> np.ndarray:
    strategy = make_strategy(name, **params)
    return strategy.select(learner, pool, labeled, 20, rng=np.random.default_rng(4)).indices


def test_few_labels_sample_at_random(caplog):
    pool, labeled, learner = _problem(MIN_LABELED_FOR_LCMD - 1)
    auto = make_strategy("auto")
    with caplog.at_level(logging.INFO, logger="netal.strategies"):
        picks = auto.select(learner, pool, labeled, 20, rng=np.random.default_rng(4)).indices
    np.testing.assert_array_equal(picks, _picks("random", learner, pool, labeled))
    assert auto.last_choice == "random"
    assert "auto: random" in caplog.text


def test_enough_labels_use_lcmd():
    pool, labeled, learner = _problem(MIN_LABELED_FOR_LCMD)
    auto = make_strategy("auto")
    picks = auto.select(learner, pool, labeled, 20, rng=np.random.default_rng(4)).indices
    np.testing.assert_array_equal(picks, _picks("lcmd", learner, pool, labeled))
    assert auto.last_choice == "lcmd"
    assert not np.array_equal(picks, _picks("random", learner, pool, labeled))


def test_a_learner_without_embeddings_gets_random():
    pool, labeled, learner = _problem(MIN_LABELED_FOR_LCMD + 50)

    class NoEmbedding:
        def predict_dist(self, X):
            return learner.predict_dist(X)

    auto = make_strategy("auto")
    picks = auto.select(NoEmbedding(), pool, labeled, 20, rng=np.random.default_rng(4)).indices
    np.testing.assert_array_equal(picks, _picks("random", learner, pool, labeled))
    assert auto.last_choice == "random"


def test_threshold_and_kernel_are_checked():
    with pytest.raises(InvalidInputError, match="min_labeled"):
        make_strategy("auto", min_labeled=0)
    with pytest.raises(InvalidInputError, match="kernel"):
        make_strategy("auto", kernel="rbf")
    pool, labeled, learner = _problem(30)
    picks = make_strategy("auto", min_labeled=30).select(
        learner, pool, labeled, 20, rng=np.random.default_rng(4)
    )
    np.testing.assert_array_equal(picks.indices, _picks("lcmd", learner, pool, labeled))
