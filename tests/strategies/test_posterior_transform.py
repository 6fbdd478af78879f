"""The posterior kernel transform ("P" of bmdal-reg) of the distance-based strategies."""

from __future__ import annotations

import numpy as np
import pytest
from strategy_toys import ToyLearner, distance_to_anchors

from netal.errors import InvalidInputError
from netal.loop.fingerprint import describe
from netal.strategies import make_strategy
from netal.strategies._coreset import CoreSet
from netal.strategies._geometry import greedy_k_center
from netal.strategies._lcmd import largest_cluster_max_distance
from netal.strategies._posterior import (
    DEFAULT_NOISE_VARIANCE,
    posterior_features,
    posterior_map,
    train_scale,
)

RNG = np.random.default_rng(0)
POOL = RNG.normal(size=(200, 6)).astype(np.float32)
LABELED = RNG.normal(size=(15, 6)).astype(np.float32)


def _kernel_formula(pool: np.ndarray, labeled: np.ndarray, sigma2: float) -> np.ndarray:
    """``k(x, x') - k(x, X_L) (K_LL + sigma^2 I)^-1 k(X_L, x')``, float64, on the scaled features."""
    factor = train_scale(pool, labeled)
    P, L = pool.astype(np.float64) * factor, labeled.astype(np.float64) * factor
    cross = P @ L.T
    return P @ P.T - cross @ np.linalg.solve(L @ L.T + sigma2 * np.eye(len(L)), cross.T)


@pytest.mark.parametrize("sigma2", [1.0, 0.01, 1e-4])
def test_feature_space_posterior_equals_the_kernel_matrix_formula(sigma2: float) -> None:
    pool, labeled = posterior_features(POOL, LABELED, sigma2)
    expected = _kernel_formula(POOL, LABELED, sigma2)
    got = pool.astype(np.float64) @ pool.T.astype(np.float64)
    np.testing.assert_allclose(got, expected, atol=1e-5 * np.abs(expected).max())
    assert pool.dtype == np.float32 and labeled.shape == LABELED.shape


def test_train_scale_gives_the_labeled_rows_unit_mean_squared_norm() -> None:
    factor = train_scale(POOL, LABELED)
    assert np.mean(np.sum((LABELED * factor) ** 2, axis=1)) == pytest.approx(1.0, rel=1e-5)
    assert train_scale(np.zeros((3, 2)), np.zeros((0, 2))) == 1.0


def test_a_labeled_rows_posterior_variance_vanishes_for_tiny_noise() -> None:
    few = LABELED[:3]  # three rows leave three of the six directions unexplained
    pool = np.concatenate([few, POOL[:50]])
    transformed, labeled = posterior_features(pool, few, 1e-8)
    variance = np.sum(transformed.astype(np.float64) ** 2, axis=1)
    prior = np.sum((pool * train_scale(pool, few)).astype(np.float64) ** 2, axis=1)
    assert variance[:3].max() < 1e-6 * prior[:3].min()
    assert np.sum(labeled.astype(np.float64) ** 2, axis=1).max() < 1e-6
    assert variance[3:].mean() > 0.1 * prior[3:].mean()
    assert variance[3:].min() > 1e3 * variance[:3].max()


def test_without_labeled_rows_the_transform_is_a_scaling() -> None:
    np.testing.assert_array_equal(posterior_map(np.zeros((0, 4), np.float32), 0.01), np.eye(4))
    pool, labeled = posterior_features(POOL, np.zeros((0, 6), np.float32), 0.01)
    np.testing.assert_allclose(pool, POOL * train_scale(POOL, POOL[:0]), rtol=1e-6)
    assert labeled.shape == (0, 6)


def test_float16_features_keep_their_dtype() -> None:
    pool, _ = posterior_features(POOL.astype(np.float16), LABELED, 0.01)
    reference, _ = posterior_features(POOL, LABELED, 0.01)
    assert pool.dtype == np.float16
    np.testing.assert_allclose(pool.astype(np.float32), reference, atol=2e-2)


@pytest.mark.parametrize(
    ("name", "pick"), [("lcmd", largest_cluster_max_distance), ("coreset", greedy_k_center)]
)
def test_strategies_run_on_the_posterior_features_without_centers(name: str, pick) -> None:
    learner = ToyLearner(distance_to_anchors(LABELED))
    selection = make_strategy(name, transform="posterior").select(
        learner, POOL, LABELED, 12, rng=np.random.default_rng(0)
    )
    features, _ = posterior_features(POOL, LABELED, DEFAULT_NOISE_VARIANCE)
    expected, _ = pick(features, np.zeros((0, 6), np.float32), 12)
    np.testing.assert_array_equal(selection.indices, expected)
    plain = make_strategy(name).select(learner, POOL, LABELED, 12, rng=np.random.default_rng(0))
    assert set(selection.indices) != set(plain.indices)


@pytest.mark.parametrize("name", ["lcmd", "coreset", "kmeanspp"])
def test_transform_none_keeps_picks_and_fingerprints(name: str) -> None:
    learner = ToyLearner(distance_to_anchors(LABELED), aleatoric=0.5)
    default = make_strategy(name).select(learner, POOL, LABELED, 10, rng=np.random.default_rng(3))
    explicit = make_strategy(name, transform=None, noise_variance=None).select(
        learner, POOL, LABELED, 10, rng=np.random.default_rng(3)
    )
    np.testing.assert_array_equal(default.indices, explicit.indices)
    np.testing.assert_array_equal(default.scores, explicit.scores)
    params = describe(make_strategy(name))["params"]
    assert "transform" not in params and "noise_variance" not in params
    described = describe(make_strategy(name, transform="posterior", noise_variance=0.1))
    assert described["params"]["transform"] == "posterior"
    assert described["params"]["noise_variance"] == 0.1


def test_kmeanspp_posterior_is_deterministic_and_unique() -> None:
    learner = ToyLearner(distance_to_anchors(LABELED), aleatoric=0.5)
    strategy = make_strategy("kmeanspp", transform="posterior", use_labeled=False)
    first = strategy.select(learner, POOL, LABELED, 15, rng=np.random.default_rng(1))
    again = strategy.select(learner, POOL, LABELED, 15, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(first.indices, again.indices)
    assert len(set(first.indices)) == 15


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"transform": "prior"}, "transform"),
        ({"transform": "posterior", "noise_variance": 0.0}, "noise_variance"),
        ({"transform": "posterior", "noise_variance": -1.0}, "noise_variance"),
        ({"transform": "posterior", "noise_variance": float("nan")}, "noise_variance"),
        ({"transform": "posterior", "noise_variance": "0.1"}, "noise_variance"),
        ({"transform": "posterior", "noise_variance": True}, "noise_variance"),
        ({"noise_variance": 0.1}, "noise_variance"),
    ],
)
@pytest.mark.parametrize("name", ["lcmd", "coreset", "kmeanspp"])
def test_bad_transform_arguments_are_named(name: str, kwargs: dict, parameter: str) -> None:
    with pytest.raises(InvalidInputError, match=parameter) as info:
        make_strategy(name, **kwargs)
    assert info.value.parameter == parameter


def test_coreset_posterior_with_sketch_and_float16() -> None:
    learner = ToyLearner(distance_to_anchors(LABELED))
    strategy = CoreSet(sketch_dim=4, feature_dtype="float16", transform="posterior")
    selection = strategy.select(learner, POOL, LABELED, 9, rng=np.random.default_rng(2))
    assert len(set(selection.indices)) == 9 and np.isfinite(selection.scores).all()
