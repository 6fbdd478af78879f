"""Classification strategies (issue 16): entropy, margin, BALD, BADGE, on toys, real classifiers and the engine."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from strategy_toys import ToyLearner

from netal.errors import InvalidInputError
from netal.loop import ActiveLearningLoop, Budget, ReplayOracle, TestSetMetrics
from netal.models import BaggedTreesClassifier, ClassDistribution, MCDropoutClassifier
from netal.strategies import make_strategy, strategy_names

CLASSIFICATION = strategy_names("classification")
SCORING = ["entropy", "margin", "bald_cls"]


class ToyClassifier:
    """Members' probability of class 1 from ``members(X) -> (S, n)``; embedding = the input."""

    def __init__(self, members: Any) -> None:
        self.members = members

    def fit(self, X: np.ndarray, y: np.ndarray) -> ToyClassifier:
        return self

    def predict_proba_dist(self, X: np.ndarray) -> ClassDistribution:
        p1 = np.asarray(self.members(np.asarray(X, dtype=np.float64)))
        samples = np.stack([1 - p1, p1], axis=-1)
        return ClassDistribution(
            proba=samples.mean(axis=0), classes=np.array([0.0, 1.0]), samples=samples
        )

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.predict_proba_dist(X).proba

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] > 0.5).astype(float)

    def embed(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float64)


def _sigmoid_boundary(X: np.ndarray) -> np.ndarray:
    return (1 / (1 + np.exp(-4 * X[:, 0])))[None, :]  # one member: no epistemic part


def _pick(name: str, learner: Any, pool: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    selection = make_strategy(name).select(
        learner, pool, pool[:0], k, rng=np.random.default_rng(seed)
    )
    assert len(np.unique(selection.indices)) == k and np.isfinite(selection.scores).all()
    return selection.indices


@pytest.mark.parametrize("name", ["entropy", "margin"])
def test_uncertainty_sampling_picks_the_rows_nearest_the_boundary(name: str) -> None:
    pool = np.random.default_rng(0).uniform(-3, 3, size=(200, 2))
    picks = _pick(name, ToyClassifier(_sigmoid_boundary), pool, 10)
    nearest = np.argsort(np.abs(pool[:, 0]))[:10]
    assert set(picks) == set(nearest)


def test_bald_differs_from_entropy_where_aleatoric_noise_is_high() -> None:
    """Left: every member says 0.5 (noise, nothing to learn). Right: members disagree (0.05 / 0.85)."""
    pool = np.concatenate([np.full((20, 1), -1.0), np.full((20, 1), 1.0)])
    pool = pool + np.linspace(0, 0.01, 40)[:, None]

    def members(X: np.ndarray) -> np.ndarray:
        right = X[:, 0] > 0
        return np.stack([np.where(right, 0.05, 0.5), np.where(right, 0.85, 0.5)])

    learner = ToyClassifier(members)
    entropy, bald = _pick("entropy", learner, pool, 5), _pick("bald_cls", learner, pool, 5)
    assert (pool[entropy, 0] < 0).all()  # the mean 0.5 of the noisy side has the larger entropy
    assert (pool[bald, 0] > 0).all()  # BALD goes where the members disagree
    mi = learner.predict_proba_dist(pool).mutual_information
    np.testing.assert_allclose(mi[:20], 0.0, atol=1e-12)


def test_badge_batch_is_uncertain_and_diverse() -> None:
    """Two far-apart clusters on the boundary and a confident one: batches of 2 take one of each uncertain.

    BADGE's D^2 sampling is random, so this holds for most draws, not all: the
    other uncertain cluster carries about 92 % of the probability of the second
    pick (its squared distance is 4x the confident cluster's, 30 rows against 10).
    """
    rng = np.random.default_rng(1)
    a = np.column_stack([rng.normal(0.05, 0.005, 30), rng.normal(5, 0.1, 30)])
    b = np.column_stack([rng.normal(0.05, 0.005, 30), rng.normal(-5, 0.1, 30)])
    confident = np.column_stack([rng.normal(4, 0.1, 10), rng.normal(0, 0.1, 10)])
    pool = np.concatenate([a, b, confident])
    clusters = [
        {int(p) // 30 for p in _pick("badge", ToyClassifier(_sigmoid_boundary), pool, 2, seed)}
        for seed in range(20)
    ]
    assert sum(c == {0, 1} for c in clusters) >= 15
    assert sum(2 in c for c in clusters) <= 5


def test_margin_ranks_like_entropy_for_two_classes() -> None:
    pool = np.random.default_rng(2).normal(size=(60, 2))
    learner = ToyClassifier(_sigmoid_boundary)
    entropy = make_strategy("entropy").score(learner, pool, pool[:0])
    margin = make_strategy("margin").score(learner, pool, pool[:0])
    np.testing.assert_array_equal(
        np.argsort(entropy, kind="stable"), np.argsort(margin, kind="stable")
    )


def test_entropy_works_with_any_scikit_learn_classifier() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 2))
    learner = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    picks = _pick("entropy", learner, X, 5)
    assert np.abs(X[picks, 0]).max() < np.sort(np.abs(X[:, 0]))[15]


@pytest.mark.parametrize(
    ("name", "learner", "needs"),
    [
        ("entropy", ToyLearner(lambda X: np.ones(len(X))), "predict_proba"),
        ("bald_cls", LogisticRegression(), "predict_proba_dist"),
        ("badge", "trees", "embed"),
    ],
)
def test_a_learner_without_the_capability_is_named(name: str, learner: Any, needs: str) -> None:
    X = np.random.default_rng(4).normal(size=(30, 2))
    y = (X[:, 0] > 0).astype(float)
    if learner == "trees":
        learner = BaggedTreesClassifier(n_estimators=5, random_state=0).fit(X, y)
    elif isinstance(learner, LogisticRegression):
        learner.fit(X, y)
    with pytest.raises(InvalidInputError, match=needs) as info:
        make_strategy(name).select(learner, X, X[:0], 3, rng=np.random.default_rng(0))
    assert info.value.parameter == "learner"


def _blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """An imbalanced two-class problem (about 10 % positives) with a curved boundary."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] ** 2 + X[:, 1] > 1.6).astype(float)
    return X, y


def make_classifier(seed: int) -> MCDropoutClassifier:
    return MCDropoutClassifier(
        hidden=(16,), epochs=15, n_passes=8, lr=1e-2, classes=(0, 1), random_state=seed
    )


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_the_engine_runs_every_classification_strategy_unchanged(name: str) -> None:
    X, y = _blobs(260, 5)
    result = ActiveLearningLoop(
        X[:200],
        ReplayOracle(y[:200]),
        make_classifier,
        name,
        initial_ids=np.arange(10),
        batch_size=5,
        budget=Budget(labels=15),
        callbacks=[TestSetMetrics(X[200:], y[200:])],
        seed=1,
    ).run()
    assert len(result.labeled_ids) == 25 and len(np.unique(result.labeled_ids)) == 25
    queried = result.queries[result.queries["counted"]]
    assert len(queried) == 15 and (queried["strategy"] == name).all()
    assert result.metrics["test_rmse"].notna().all()  # RMSE of 0/1 labels = sqrt(error rate)
    assert set(np.unique(result.learner.predict(X[200:]))) <= {0.0, 1.0}


def test_uncertainty_sampling_finds_more_positives_than_random_on_the_engine() -> None:
    """The queries of BALD and entropy land on the rare class more often than random's."""
    X, y = _blobs(600, 6)
    found = {}
    for name in ("random", "entropy", "bald_cls"):
        result = ActiveLearningLoop(
            X,
            ReplayOracle(y),
            make_classifier,
            name,
            initial_ids=np.arange(20),
            batch_size=10,
            budget=Budget(labels=40),
            seed=2,
        ).run()
        queried = result.queries[result.queries["counted"]]["sample_id"].to_numpy()
        found[name] = y[queried].mean()
    assert found["entropy"] > found["random"] and found["bald_cls"] > found["random"]


def test_cost_aware_wraps_a_classification_strategy_within_the_budget() -> None:
    """Two equally uncertain halves, one ten times dearer: cost-aware entropy buys the cheap half."""
    pool = np.column_stack(
        [np.tile(np.linspace(-0.1, 0.1, 20), 2), np.r_[np.zeros(20), np.ones(20)]]
    )
    costs = np.r_[np.ones(20), np.full(20, 10.0)]
    selection = make_strategy("cost_aware", base="entropy").select(
        ToyClassifier(_sigmoid_boundary), pool, pool[:0], 8, costs=costs, budget=6.0,
        rng=np.random.default_rng(0),
    )  # fmt: skip
    assert len(selection.indices) == 6 and costs[selection.indices].sum() <= 6.0
    assert (selection.indices < 20).all()


@pytest.mark.parametrize("name", ["entropy", "margin", "bald_cls", "badge"])
def test_a_one_class_classifier_gives_a_random_batch_not_the_first_rows(name: str) -> None:
    """All-normal first labels: no row is more uncertain than another, so the batch is uniform."""
    pool = np.random.default_rng(7).normal(size=(200, 2))
    learner = ToyClassifier(lambda X: np.zeros((3, len(X))))  # every member: class 0, surely
    picks = [set(_pick(name, learner, pool, 10, seed)) for seed in (0, 1)]
    assert picks[0] != picks[1] and picks[0] != set(range(10))
