"""Strategies on the real netal learners (small, quickly fitted)."""

from __future__ import annotations

import numpy as np
import pytest

from netal.models.boosted_ensemble import BoostedEnsemble
from netal.models.committee import BaggingCommittee
from netal.models.ensemble import DeepEnsemble
from netal.models.mlp import MCDropoutMLP
from netal.models.seq2seq import Seq2SeqMCDropout
from netal.models.tabm_learner import TabMRegressor
from netal.strategies import make_strategy, strategy_names

ALL = strategy_names()
NEEDS_EMBED = {"coreset", "kmeanspp", "lcmd", "bait", "hybrid", "clue"}


def _tabular(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(260, 4))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2 + rng.normal(scale=0.1, size=260)
    return X[:60], y[:60], X[60:]


@pytest.fixture(scope="module")
def mc_dropout_mlp() -> tuple[MCDropoutMLP, np.ndarray, np.ndarray]:
    X, y, pool = _tabular()
    learner = MCDropoutMLP(hidden=(32, 32), n_passes=8, epochs=15, random_state=0).fit(X, y)
    return learner, X, pool


@pytest.fixture(scope="module")
def deep_ensemble() -> tuple[DeepEnsemble, np.ndarray, np.ndarray]:
    X, y, pool = _tabular(1)
    learner = DeepEnsemble(n_members=3, hidden=(16, 16), epochs=10, random_state=0).fit(X, y)
    return learner, X, pool


@pytest.fixture(scope="module")
def committee() -> tuple[BaggingCommittee, np.ndarray, np.ndarray]:
    X, y, pool = _tabular(2)
    return BaggingCommittee(n_members=5, random_state=0).fit(X, y), X, pool


@pytest.fixture(scope="module")
def boosted_ensemble() -> tuple[BoostedEnsemble, np.ndarray, np.ndarray]:
    X, y, pool = _tabular(4)
    learner = BoostedEnsemble(n_members=4, n_estimators=30, random_state=0).fit(X, y)
    return learner, X, pool


@pytest.fixture(scope="module")
def tabm() -> tuple[TabMRegressor, np.ndarray, np.ndarray]:
    X, y, pool = _tabular(5)
    learner = TabMRegressor(k=4, n_blocks=2, d_block=16, epochs=10, random_state=0).fit(X, y)
    return learner, X, pool


@pytest.fixture(scope="module")
def seq2seq() -> tuple[Seq2SeqMCDropout, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    windows = rng.normal(size=(110, 20, 3))
    targets = windows[:, -3:, 0] + rng.normal(scale=0.1, size=(110, 3))
    learner = Seq2SeqMCDropout(
        hidden=8, dense_units=(8, 4), horizon=3, max_epochs=2, n_passes=4, random_state=0
    ).fit(windows[:40], targets[:40])
    return learner, windows[:40], windows[40:]


def _check(name: str, learner: object, labeled: np.ndarray, pool: np.ndarray) -> None:
    first = make_strategy(name).select(learner, pool, labeled, 8, rng=np.random.default_rng(0))
    again = make_strategy(name).select(learner, pool, labeled, 8, rng=np.random.default_rng(0))
    assert len(np.unique(first.indices)) == 8
    assert first.indices.min() >= 0 and first.indices.max() < len(pool)
    assert np.isfinite(first.scores).all()
    np.testing.assert_array_equal(first.indices, again.indices)


@pytest.mark.filterwarnings("ignore:paper rule:RuntimeWarning")
@pytest.mark.parametrize("name", ALL)
def test_mc_dropout_mlp(name: str, mc_dropout_mlp: tuple) -> None:
    learner, labeled, pool = mc_dropout_mlp
    _check(name, learner, labeled, pool)


@pytest.mark.parametrize("name", ALL)
def test_deep_ensemble(name: str, deep_ensemble: tuple) -> None:
    learner, labeled, pool = deep_ensemble
    _check(name, learner, labeled, pool)


@pytest.mark.parametrize("name", sorted(set(ALL) - NEEDS_EMBED))
def test_bagging_committee(name: str, committee: tuple) -> None:
    learner, labeled, pool = committee
    _check(name, learner, labeled, pool)


@pytest.mark.filterwarnings("ignore:paper rule:RuntimeWarning")
@pytest.mark.parametrize("name", ALL)
def test_tabm(name: str, tabm: tuple) -> None:
    learner, labeled, pool = tabm
    _check(name, learner, labeled, pool)


@pytest.mark.filterwarnings("ignore:paper rule:RuntimeWarning")
@pytest.mark.parametrize("name", sorted(set(ALL) - NEEDS_EMBED))
def test_boosted_ensemble(name: str, boosted_ensemble: tuple) -> None:
    learner, labeled, pool = boosted_ensemble
    _check(name, learner, labeled, pool)


@pytest.mark.parametrize("name", ["paper", "max_variance", "lcmd", "coreset", "hybrid"])
def test_seq2seq_windows(name: str, seq2seq: tuple) -> None:
    learner, labeled, pool = seq2seq
    _check(name, learner, labeled, pool)


def test_paper_rule_on_mc_dropout_matches_the_notebook_formula(mc_dropout_mlp: tuple) -> None:
    learner, _, pool = mc_dropout_mlp
    samples = learner.predict_dist(pool).samples  # (T, n) MC passes
    variances = np.asarray(samples).reshape(samples.shape[0], len(pool), -1).var(axis=0).max(axis=1)
    low, high = np.percentile(variances, 10), np.percentile(variances, 75)
    kept = np.flatnonzero((variances > low) & (variances < high + 1.5 * (high - low)))
    expected = kept[np.argsort(-variances[kept], kind="stable")][:4]
    selection = make_strategy("paper").select(
        learner, pool, pool[:0], 4, rng=np.random.default_rng(0)
    )
    np.testing.assert_array_equal(selection.indices, expected)
