"""BAIT for regression (bmdal-reg's bait-f-p / bait-fb-p) on posterior features."""

from __future__ import annotations

import numpy as np
import pytest
from strategy_toys import ToyLearner, distance_to_anchors

from netal.errors import InvalidInputError
from netal.loop.fingerprint import describe
from netal.models import MCDropoutMLP
from netal.strategies import BAIT, _streaming, make_strategy
from netal.strategies._bait import bait_select, second_moment, trace_objective
from netal.strategies._posterior import DEFAULT_NOISE_VARIANCE, posterior_features

SIGMA2 = 0.05


def _features(seed: int, n: int = 240, d: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Posterior features of a clustered pool (a few dense clusters, some outliers)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=2.0, size=(4, d))
    pool = centres[rng.integers(4, size=n)] + 0.3 * rng.normal(size=(n, d))
    pool[:10] = rng.normal(scale=4.0, size=(10, d))
    labeled = centres[:1] + 0.3 * rng.normal(size=(8, d))
    return posterior_features(pool.astype(np.float32), labeled.astype(np.float32), SIGMA2)


def _objective(pool: np.ndarray, labeled: np.ndarray, chosen: np.ndarray) -> float:
    weight = second_moment(pool) + second_moment(labeled)
    return trace_objective(pool, chosen, SIGMA2, weight)


@pytest.mark.parametrize("variant", ["f", "fb"])
def test_picks_are_distinct_pool_rows_with_finite_scores(variant: str) -> None:
    pool, labeled = _features(0)
    picks, scores = bait_select(pool, labeled, 20, SIGMA2, variant)
    assert picks.dtype == np.int64 and len(set(picks.tolist())) == 20
    assert picks.min() >= 0 and picks.max() < len(pool)
    assert np.isfinite(scores).all() and (scores >= 0).all()


def test_forward_step_is_the_greedy_minimizer_of_the_trace() -> None:
    pool, labeled = _features(1, n=60, d=5)
    picks, _ = bait_select(pool, labeled, 6, SIGMA2, "f")
    chosen: list[int] = []
    for _ in range(6):
        candidates = [i for i in range(len(pool)) if i not in chosen]
        values = [_objective(pool, labeled, np.array([*chosen, i])) for i in candidates]
        chosen.append(candidates[int(np.argmin(values))])
    np.testing.assert_array_equal(picks, chosen)


@pytest.mark.parametrize("variant", ["f", "fb"])
@pytest.mark.parametrize("seed", [2, 3])
def test_reduces_the_trace_more_than_random_batches(variant: str, seed: int) -> None:
    pool, labeled = _features(seed)
    picks, _ = bait_select(pool, labeled, 12, SIGMA2, variant)
    rng = np.random.default_rng(seed)
    before = _objective(pool, labeled, np.zeros(0, dtype=np.int64))
    random = [
        _objective(pool, labeled, rng.choice(len(pool), 12, replace=False)) for _ in range(50)
    ]
    after = _objective(pool, labeled, picks)
    assert min(random) < before
    assert after < 0.5 * min(random)  # less than half what the best of 50 random batches leaves


def test_forward_backward_is_no_worse_than_its_first_half_here() -> None:
    pool, labeled = _features(4)
    forward, _ = bait_select(pool, labeled, 12, SIGMA2, "f")
    both, _ = bait_select(pool, labeled, 12, SIGMA2, "fb")
    assert _objective(pool, labeled, both) <= _objective(pool, labeled, forward) * (1 + 1e-6)


def test_strategy_is_bait_on_the_posterior_features_of_the_embedding() -> None:
    rng = np.random.default_rng(5)
    pool, labeled = rng.normal(size=(150, 7)), rng.normal(size=(9, 7))
    learner = ToyLearner(distance_to_anchors(labeled))
    selection = make_strategy("bait").select(
        learner, pool, labeled, 10, rng=np.random.default_rng(0)
    )
    features, centers = posterior_features(
        pool.astype(np.float32), labeled.astype(np.float32), DEFAULT_NOISE_VARIANCE
    )
    expected, scores = bait_select(features, centers, 10, DEFAULT_NOISE_VARIANCE, "fb")
    np.testing.assert_array_equal(selection.indices, expected)
    np.testing.assert_allclose(selection.scores, scores)


def test_streamed_picks_equal_one_call_and_whole_pool_works(monkeypatch) -> None:
    rng = np.random.default_rng(6)
    pool, labeled = rng.normal(size=(300, 5)), rng.normal(size=(6, 5))
    learner = ToyLearner(distance_to_anchors(labeled))
    whole = BAIT().select(learner, pool, labeled, 8, rng=np.random.default_rng(1))
    monkeypatch.setattr(_streaming, "POOL_CHUNK_ROWS", 64)
    chunked = BAIT().select(learner, pool, labeled, 8, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(chunked.indices, whole.indices)
    everything = BAIT().select(learner, pool[:20], labeled, 20, rng=np.random.default_rng(1))
    assert sorted(everything.indices.tolist()) == list(range(20))


def test_fingerprint_lists_the_strategys_own_parameters() -> None:
    assert describe(BAIT())["params"] == {
        "feature_dtype": "float32",
        "sketch": "pca",
        "variant": "fb",
    }
    params = describe(BAIT(variant="f", noise_variance=0.1, kernel="grad_rp"))["params"]
    assert params["noise_variance"] == 0.1 and params["kernel"] == "grad_rp"


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"variant": "b"}, "variant"),
        ({"noise_variance": 0.0}, "noise_variance"),
        ({"noise_variance": float("inf")}, "noise_variance"),
        ({"kernel": "ntk"}, "kernel"),
        ({"sketch_dim": 0}, "sketch_dim"),
        ({"n_features": -3}, "n_features"),
        ({"feature_dtype": "float64"}, "feature_dtype"),
    ],
)
def test_bad_parameters_are_named(kwargs: dict, parameter: str) -> None:
    with pytest.raises(InvalidInputError, match=parameter) as info:
        make_strategy("bait", **kwargs)
    assert info.value.parameter == parameter


@pytest.fixture(scope="module")
def fitted() -> tuple[MCDropoutMLP, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(460, 4)).astype(np.float32)
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2 + 0.1 * rng.normal(size=len(X))
    learner = MCDropoutMLP(hidden=(32, 32), epochs=5, random_state=0).fit(X[:60], y[:60])
    return learner, X[:60], X[60:]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"variant": "f"},
        {"kernel": "grad_rp", "n_features": 64},
        {"kernel": "grad_rp", "n_features": 64, "sketch_dim": 16},
        {"sketch_dim": 8, "feature_dtype": "float16"},
    ],
)
def test_real_learner(fitted: tuple, kwargs: dict) -> None:
    learner, labeled, pool = fitted
    first = make_strategy("bait", **kwargs).select(
        learner, pool, labeled, 16, rng=np.random.default_rng(3)
    )
    again = make_strategy("bait", **kwargs).select(
        learner, pool, labeled, 16, rng=np.random.default_rng(3)
    )
    assert len(set(first.indices.tolist())) == 16
    assert first.indices.min() >= 0 and first.indices.max() < len(pool)
    assert np.isfinite(first.scores).all()
    np.testing.assert_array_equal(first.indices, again.indices)
