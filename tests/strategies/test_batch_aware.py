"""Batch-aware strategies: core-set, k-means++, LCMD, hybrid."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from strategy_toys import ToyLearner, distance_to_anchors, duplicate_cluster_problem

from netal.strategies import LCMD, CoreSet, Hybrid, KMeansPP, MaxVariance, make_strategy
from netal.strategies._geometry import NearestCenters, d2_seeding, greedy_k_center

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _naive_lcmd():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("_naive_lcmd", BENCHMARKS / "_naive_lcmd.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.naive_lcmd


BATCH_AWARE = [
    ("coreset", {}),
    ("kmeanspp", {}),
    ("kmeanspp", {"scale": "none"}),
    ("lcmd", {}),
    ("hybrid", {}),
    ("hybrid", {"diversity": "kcenter"}),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("name", "params"), BATCH_AWARE)
def test_batch_aware_strategies_avoid_near_duplicates(name: str, params: dict, seed: int) -> None:
    rng = np.random.default_rng(seed)
    pool, labeled, copies = duplicate_cluster_problem(rng)
    learner = ToyLearner(distance_to_anchors(labeled))
    top = MaxVariance().select(learner, pool, labeled, 10, rng=rng)
    assert np.isin(top.indices, copies).sum() == 10  # top-k variance takes only copies
    selection = make_strategy(name, **params).select(
        learner, pool, labeled, 10, rng=np.random.default_rng(seed)
    )
    assert np.isin(selection.indices, copies).sum() <= 2


def test_coreset_is_farthest_first_from_the_labeled_set() -> None:
    labeled = np.array([[0.0, 0.0]])
    pool = np.array([[1.0, 0.0], [5.0, 0.0], [0.0, 3.0], [4.9, 0.1], [2.5, 2.5]])
    learner = ToyLearner(lambda X: np.zeros(len(X)))
    selection = CoreSet().select(learner, pool, labeled, 3, rng=np.random.default_rng(0))
    # (5, 0) is farthest from the origin (5); then (2.5, 2.5), sqrt(12.5) from both centers;
    # then (0, 3), whose nearest center is now (2.5, 2.5) at sqrt(6.5)
    np.testing.assert_array_equal(selection.indices, [1, 4, 2])
    np.testing.assert_allclose(selection.scores, [5.0, np.sqrt(12.5), np.sqrt(6.5)], rtol=1e-6)


def test_nearest_centers_matches_brute_force(rng: np.random.Generator) -> None:
    points = rng.normal(size=(300, 7)).astype(np.float32)
    centers = rng.normal(size=(20, 7)).astype(np.float32)
    state = NearestCenters(points, centers)
    for index in (5, 17, 200):
        state.pick(index)
    all_centers = np.concatenate([centers, points[[5, 17, 200]]]).astype(np.float64)
    d2 = ((points[:, None, :].astype(np.float64) - all_centers[None]) ** 2).sum(axis=2)
    free = np.setdiff1d(np.arange(300), [5, 17, 200])
    np.testing.assert_allclose(state.min_d2[free], d2[free].min(axis=1), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(state.assign[free], d2[free].argmin(axis=1))


def test_greedy_k_center_without_centers_starts_at_largest_norm(rng: np.random.Generator) -> None:
    points = rng.normal(size=(50, 3)).astype(np.float32)
    picks, _ = greedy_k_center(points, np.zeros((0, 3), dtype=np.float32), 4)
    assert picks[0] == np.argmax((points**2).sum(axis=1))
    assert len(set(picks.tolist())) == 4


def test_d2_seeding_follows_the_squared_distance_distribution() -> None:
    """Two far-apart groups: with one center in group A, the next draw lands in group B."""
    points = np.concatenate([np.zeros((50, 2)), np.full((50, 2), 100.0)]).astype(np.float32)
    points += np.random.default_rng(0).normal(scale=0.01, size=points.shape).astype(np.float32)
    hits = 0
    for seed in range(20):
        picks, _ = d2_seeding(points, points[:1] * 0, 1, np.random.default_rng(seed))
        hits += int(picks[0] >= 50)
    assert hits == 20


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n_labeled", [0, 1, 12])
def test_lcmd_matches_the_naive_reference(seed: int, n_labeled: int) -> None:
    naive_lcmd = _naive_lcmd()
    rng = np.random.default_rng(seed)
    pool = rng.normal(size=(150, 5))
    labeled = rng.normal(size=(n_labeled, 5))
    learner = ToyLearner(lambda X: np.zeros(len(X)))
    selection = LCMD().select(learner, pool, labeled, 25, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(selection.indices, naive_lcmd(pool, labeled, 25))


def test_lcmd_prefers_the_largest_cluster() -> None:
    """Two labeled centers; the one with many far members gets the next pick."""
    labeled = np.array([[0.0, 0.0], [100.0, 0.0]])
    small = np.array([[0.0, 3.0]])  # one member at distance 3 from center 0
    big = np.array([[100.0, 1.0], [100.0, -1.0], [101.0, 0.0], [99.0, 0.0], [100.0, 2.0]])
    pool = np.concatenate([small, big])
    learner = ToyLearner(lambda X: np.zeros(len(X)))
    selection = LCMD().select(learner, pool, labeled, 1, rng=np.random.default_rng(0))
    # cluster 0 has sum 9 > cluster 1's 1 + 1 + 1 + 1 + 4 = 8: its only member is picked
    assert selection.indices[0] == 0
    pool2 = np.concatenate([small, big, [[100.0, -2.5]]])
    selection2 = LCMD().select(learner, pool2, labeled, 1, rng=np.random.default_rng(0))
    assert selection2.indices[0] == 6  # cluster 1: 8 + 6.25 > 9, its farthest member


@pytest.mark.parametrize(
    "strategy", [CoreSet(sketch_dim=4), LCMD(sketch_dim=4), KMeansPP(sketch_dim=4)]
)
def test_sketched_features_still_give_valid_batches(strategy: object) -> None:
    rng = np.random.default_rng(0)
    pool = rng.normal(size=(80, 10))
    labeled = rng.normal(size=(5, 10))
    learner = ToyLearner(distance_to_anchors(labeled))
    selection = strategy.select(learner, pool, labeled, 8, rng=rng)  # type: ignore[attr-defined]
    assert len(set(selection.indices.tolist())) == 8


def test_hybrid_with_beta_one_is_top_k_variance(rng: np.random.Generator) -> None:
    pool = rng.normal(size=(60, 3))
    labeled = rng.normal(size=(4, 3))
    learner = ToyLearner(distance_to_anchors(labeled))
    hybrid = Hybrid(beta=1.0).select(learner, pool, labeled, 6, rng=np.random.default_rng(0))
    top = MaxVariance().select(learner, pool, labeled, 6, rng=np.random.default_rng(0))
    assert set(hybrid.indices.tolist()) == set(top.indices.tolist())


def test_hybrid_embeds_only_candidates(rng: np.random.Generator) -> None:
    pool = rng.normal(size=(500, 3))
    learner = ToyLearner(lambda X: (X**2).sum(axis=1))
    calls: list[int] = []
    original = learner.embed

    def counting_embed(X: np.ndarray) -> np.ndarray:
        calls.append(len(X))
        return original(X)

    learner.embed = counting_embed  # type: ignore[method-assign]
    Hybrid(beta=4).select(learner, pool, pool[:3], 5, rng=np.random.default_rng(0))
    assert max(calls) == 20
