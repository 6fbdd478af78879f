"""The distance-based strategies in bmdal's "grad_rp" feature space (sketched parameter gradients)."""

from __future__ import annotations

import numpy as np
import pytest

from netal.errors import InvalidInputError
from netal.loop.fingerprint import describe
from netal.models import DeepEnsemble, MCDropoutMLP
from netal.strategies import _streaming, make_strategy
from netal.strategies._coreset import CoreSet
from netal.strategies._lcmd import largest_cluster_max_distance

BATCH = 16


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1260, 4)).astype(np.float32)
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + 0.1 * rng.normal(size=len(X))
    learner = MCDropoutMLP(hidden=(32, 32), epochs=20, chunk_size=128, random_state=0)
    return learner.fit(X[:60], y[:60]), X[:60], X[60:]


def test_lcmd_grad_rp_is_lcmd_on_the_learners_gradient_sketch(problem):
    learner, labeled, pool = problem
    picked = make_strategy("lcmd", kernel="grad_rp", n_features=128).select(
        learner, pool, labeled, BATCH, rng=np.random.default_rng(7)
    )
    seed = int(np.random.default_rng(7).integers(2**31 - 1))
    features = learner.gradient_embed(pool, n_features=128, seed=seed)
    centers = learner.gradient_embed(labeled, n_features=128, seed=seed)
    expected, _ = largest_cluster_max_distance(features, centers, BATCH)
    np.testing.assert_array_equal(picked.indices, expected)
    last_layer = make_strategy("lcmd").select(
        learner, pool, labeled, BATCH, rng=np.random.default_rng(7)
    )
    assert set(picked.indices) != set(last_layer.indices)


@pytest.mark.parametrize("name", ["lcmd", "coreset"])
def test_streamed_grad_rp_picks_equal_one_call(problem, monkeypatch, name):
    learner, labeled, pool = problem
    strategy = make_strategy(name, kernel="grad_rp", n_features=64)
    whole = strategy.select(learner, pool, labeled, BATCH, rng=np.random.default_rng(1))
    monkeypatch.setattr(_streaming, "POOL_CHUNK_ROWS", 256)
    chunked = strategy.select(learner, pool, labeled, BATCH, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(chunked.indices, whole.indices)
    assert len(set(whole.indices)) == BATCH


def test_grad_rp_works_for_an_ensemble(problem):
    _, labeled, pool = problem
    rng = np.random.default_rng(0)
    y = np.sin(labeled[:, 0]) + 0.1 * rng.normal(size=len(labeled))
    ensemble = DeepEnsemble(hidden=(16,), n_members=3, epochs=5, random_state=0).fit(labeled, y)
    picked = CoreSet(kernel="grad_rp", n_features=64).select(
        ensemble, pool, labeled, BATCH, rng=np.random.default_rng(2)
    )
    assert len(set(picked.indices)) == BATCH


def test_bad_kernel_and_missing_capability_are_named(problem):
    with pytest.raises(InvalidInputError, match="kernel"):
        make_strategy("lcmd", kernel="ntk")
    with pytest.raises(InvalidInputError, match="n_features"):
        make_strategy("lcmd", kernel="grad_rp", n_features=0)

    class LastLayerOnly:
        def embed(self, X):
            return np.asarray(X, dtype=np.float32)

    _, labeled, pool = problem
    with pytest.raises(InvalidInputError, match="gradient_embed"):
        make_strategy("lcmd", kernel="grad_rp").select(
            LastLayerOnly(), pool, labeled, BATCH, rng=np.random.default_rng(0)
        )


def test_default_kernel_keeps_old_fingerprints():
    """Runs recorded before kernel/n_features existed must still resume (None params are left out)."""
    assert describe(make_strategy("lcmd"))["params"] == {
        "feature_dtype": "float32",
        "sketch": "pca",
    }
    assert describe(make_strategy("coreset"))["params"] == {
        "feature_dtype": "float32",
        "sketch": "pca",
    }
    assert describe(make_strategy("lcmd", kernel="grad_rp"))["params"]["kernel"] == "grad_rp"
