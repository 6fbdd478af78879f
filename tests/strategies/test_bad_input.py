"""Bad input raises named errors from netal.errors."""

from __future__ import annotations

import numpy as np
import pytest
from strategy_toys import EmbedOnlyLearner, NoEmbedLearner, ToyLearner, distance_to_anchors

from netal.errors import (
    EmptyPoolError,
    InvalidInputError,
    NonFiniteError,
    ShapeMismatchError,
    UnknownNameError,
)
from netal.strategies import STRATEGIES, make_strategy

ALL = STRATEGIES.names()
RNG = np.random.default_rng(0)
POOL = RNG.normal(size=(40, 4))
LABELED = RNG.normal(size=(5, 4))
LEARNER = ToyLearner(distance_to_anchors(LABELED))


def _select(
    name: str, pool: object = POOL, labeled: object = LABELED, batch: object = 3, **kw: object
):  # type: ignore[no-untyped-def]
    return make_strategy(name).select(
        LEARNER, pool, labeled, batch, rng=np.random.default_rng(0), **kw
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_pool(name: str, bad: float) -> None:
    pool = POOL.copy()
    pool[7, 2] = bad
    with pytest.raises(NonFiniteError, match="row 7") as info:
        _select(name, pool=pool)
    assert info.value.parameter == "X_pool"


@pytest.mark.parametrize("name", ALL)
def test_non_finite_labeled(name: str) -> None:
    labeled = LABELED.copy()
    labeled[1, 0] = np.nan
    with pytest.raises(NonFiniteError) as info:
        _select(name, labeled=labeled)
    assert info.value.parameter == "X_labeled"


@pytest.mark.parametrize("name", ALL)
def test_empty_pool(name: str) -> None:
    with pytest.raises(EmptyPoolError):
        _select(name, pool=np.empty((0, 4)))


@pytest.mark.parametrize("name", ALL)
def test_batch_larger_than_pool(name: str) -> None:
    with pytest.raises(InvalidInputError, match="only 40") as info:
        _select(name, batch=41)
    assert info.value.parameter == "batch_size"


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("batch", [0, -2, 2.5, True])
def test_bad_batch_size(name: str, batch: object) -> None:
    with pytest.raises(InvalidInputError) as info:
        _select(name, batch=batch)
    assert info.value.parameter == "batch_size"


@pytest.mark.parametrize("name", ALL)
def test_feature_count_mismatch(name: str) -> None:
    with pytest.raises(InvalidInputError, match="sample shape") as info:
        _select(name, labeled=np.ones((3, 5)))
    assert info.value.parameter == "X_labeled"


@pytest.mark.parametrize("name", ALL)
def test_costs_length_mismatch(name: str) -> None:
    with pytest.raises(InvalidInputError, match="39 entries") as info:
        _select(name, costs=np.ones(39))
    assert info.value.parameter == "costs"


def test_unknown_strategy_names_the_known_ones() -> None:
    with pytest.raises(UnknownNameError) as info:
        make_strategy("lcmdd")
    message = str(info.value)
    for name in ALL:
        assert name in message


@pytest.mark.parametrize("name", ["coreset", "kmeanspp", "lcmd", "hybrid"])
def test_learner_without_embed(name: str) -> None:
    learner = NoEmbedLearner(distance_to_anchors(LABELED))
    with pytest.raises(InvalidInputError, match="embed") as info:
        make_strategy(name).select(learner, POOL, LABELED, 3, rng=np.random.default_rng(0))
    assert info.value.parameter == "learner"


@pytest.mark.parametrize("name", ["max_variance", "paper", "qbc", "bald", "kmeanspp", "hybrid"])
def test_learner_without_predict_dist(name: str) -> None:
    with pytest.raises(InvalidInputError, match="predict_dist") as info:
        make_strategy(name).select(
            EmbedOnlyLearner(), POOL, LABELED, 3, rng=np.random.default_rng(0)
        )
    assert info.value.parameter == "learner"


def test_learner_returning_nan_variance() -> None:
    learner = ToyLearner(
        lambda X: np.where(np.arange(len(X)) == 4, np.nan, 1.0), with_samples=False
    )
    with pytest.raises(NonFiniteError, match="epistemic_var"):
        make_strategy("max_variance").select(
            learner, POOL, LABELED, 3, rng=np.random.default_rng(0)
        )


def test_embedding_with_wrong_row_count() -> None:
    learner = ToyLearner(distance_to_anchors(LABELED))
    learner.embed = lambda X: np.ones((len(X) + 1, 2))  # type: ignore[method-assign]
    with pytest.raises(ShapeMismatchError, match="embed"):
        make_strategy("coreset").select(learner, POOL, LABELED, 3, rng=np.random.default_rng(0))
