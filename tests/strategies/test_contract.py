"""Every registered strategy honours the Strategy contract."""

from __future__ import annotations

import numpy as np
import pytest
from strategy_toys import ToyLearner, distance_to_anchors

from netal.strategies import STRATEGIES, Selection, Strategy, make_strategy, strategy_names

ALL = strategy_names()
"""The regression strategies (the toy learner is a regressor); tests/strategies/test_classification.py
drives the classification ones."""


def _problem(seed: int, window: bool) -> tuple[np.ndarray, np.ndarray, ToyLearner]:
    rng = np.random.default_rng(seed)
    shape = (5, 4) if window else (6,)
    pool = rng.normal(size=(120, *shape))
    labeled = rng.normal(size=(10, *shape))
    learner = ToyLearner(distance_to_anchors(labeled), aleatoric=0.5, horizon=5 if window else 0)
    return pool, labeled, learner


def test_registry_lists_every_strategy() -> None:
    expected = {
        "random", "max_variance", "paper", "paper_notebook", "qbc", "bald", "coreset",
        "kmeanspp", "lcmd", "bait", "hybrid", "cost_aware", "clue", "auto",
    }  # fmt: skip
    assert set(ALL) == expected
    classification = {"random", "coreset", "entropy", "margin", "bald_cls", "badge"}
    assert set(strategy_names("classification")) == classification
    assert set(STRATEGIES.names()) == expected | classification


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("window", [False, True])
def test_returns_batch_of_unique_valid_indices(name: str, window: bool) -> None:
    pool, labeled, learner = _problem(0, window)
    strategy = make_strategy(name)
    assert isinstance(strategy, Strategy)
    selection = strategy.select(learner, pool, labeled, 12, rng=np.random.default_rng(1))
    assert isinstance(selection, Selection)
    assert selection.indices.dtype == np.int64
    assert len(selection.indices) == 12
    assert len(np.unique(selection.indices)) == 12
    assert selection.indices.min() >= 0 and selection.indices.max() < len(pool)
    assert np.isfinite(selection.scores).all()


@pytest.mark.parametrize("name", ALL)
def test_deterministic_for_a_seeded_rng(name: str) -> None:
    pool, labeled, learner = _problem(3, False)
    first = make_strategy(name).select(learner, pool, labeled, 9, rng=np.random.default_rng(7))
    second = make_strategy(name).select(learner, pool, labeled, 9, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(first.indices, second.indices)
    np.testing.assert_array_equal(first.scores, second.scores)


@pytest.mark.filterwarnings("ignore:paper rule:RuntimeWarning")
@pytest.mark.parametrize("name", ALL)
def test_whole_pool_and_no_labeled_data(name: str) -> None:
    rng = np.random.default_rng(5)
    pool = rng.normal(size=(15, 3))
    learner = ToyLearner(lambda X: (X**2).sum(axis=1) + 0.1)
    selection = make_strategy(name).select(
        learner, pool, np.empty((0, 3)), 15, rng=np.random.default_rng(0)
    )
    assert sorted(selection.indices.tolist()) == list(range(15))


@pytest.mark.filterwarnings("ignore:paper rule:RuntimeWarning")
@pytest.mark.parametrize("name", ALL)
def test_duplicate_rows_never_picked_twice(name: str) -> None:
    """A pool of identical rows (all distances and variances zero) still gives unique picks."""
    pool = np.ones((10, 2))
    labeled = np.ones((3, 2))
    learner = ToyLearner(lambda X: np.zeros(len(X)))
    selection = make_strategy(name).select(learner, pool, labeled, 10, rng=np.random.default_rng(0))
    assert sorted(selection.indices.tolist()) == list(range(10))
