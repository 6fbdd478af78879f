"""Scoring strategies: max_variance, paper, qbc, bald."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategy_toys import ToyLearner

from netal.errors import InvalidInputError
from netal.strategies import BALD, MaxVariance, PaperVariance, QueryByCommittee
from netal.strategies.base import top_k


def _table_learner(variance: np.ndarray, **kwargs: object) -> tuple[np.ndarray, ToyLearner]:
    """Pool rows carry their own index; the learner looks the variance up."""
    pool = np.arange(len(variance), dtype=np.float64)[:, None]
    return pool, ToyLearner(lambda X: variance[X[:, 0].astype(int)], **kwargs)


def test_max_variance_picks_the_highest_variances(rng: np.random.Generator) -> None:
    variance = rng.uniform(size=200)
    pool, learner = _table_learner(variance)
    selection = MaxVariance().select(learner, pool, pool[:0], 10, rng=rng)
    np.testing.assert_array_equal(selection.indices, np.argsort(-variance)[:10])
    np.testing.assert_allclose(selection.scores, np.sort(variance)[::-1][:10])


def test_max_variance_reduces_outputs(rng: np.random.Generator) -> None:
    base = rng.uniform(size=50)
    pool, learner = _table_learner(base, horizon=4)
    mean_pick = MaxVariance(reduce="mean").select(learner, pool, pool[:0], 5, rng=rng)
    max_pick = MaxVariance(reduce="max").select(learner, pool, pool[:0], 5, rng=rng)
    np.testing.assert_array_equal(mean_pick.indices, np.argsort(-base)[:5])
    np.testing.assert_allclose(max_pick.scores, np.sort(base)[::-1][:5])


def _paper_bounds(variance: np.ndarray) -> tuple[float, float]:
    q10, q75 = np.percentile(variance, 10), np.percentile(variance, 75)
    return q10, q75 + 1.5 * (q75 - q10)


def test_paper_rule_trims_low_and_outlying_variances() -> None:
    variance = np.concatenate(
        [np.linspace(1.0, 2.0, 30), [50.0, 80.0, 120.0], np.full(5, 0.5), [2.0]]
    )
    pool, learner = _table_learner(variance)
    low, fence = _paper_bounds(variance)
    assert (variance >= fence).sum() == 3  # the hand-built outliers are above the fence
    selection = PaperVariance().select(learner, pool, pool[:0], 6, rng=np.random.default_rng(0))
    picked = variance[selection.indices]
    assert (picked > low).all() and (picked < fence).all()
    kept = np.flatnonzero((variance > low) & (variance < fence))
    expected = kept[np.lexsort((kept, -variance[kept]))][:6]
    np.testing.assert_array_equal(selection.indices, expected)
    # max_variance, by contrast, takes the outliers
    top = MaxVariance().select(learner, pool, pool[:0], 6, rng=np.random.default_rng(0))
    assert {int(i) for i in np.flatnonzero(variance >= fence)} <= set(top.indices.tolist())


def test_paper_rule_bounds_are_strict() -> None:
    """Values equal to the 10th percentile are dropped (the notebook uses ``>``)."""
    variance = np.array([1.0] * 4 + [2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    low, fence = _paper_bounds(variance)
    assert low == 1.0 and fence > variance.max()
    pool, learner = _table_learner(variance)
    selection = PaperVariance().select(learner, pool, pool[:0], 6, rng=np.random.default_rng(0))
    assert not np.isin(selection.indices, np.flatnonzero(variance <= low)).any()


def test_paper_rule_uses_variance_of_passes_max_over_horizon() -> None:
    variance = np.linspace(0.1, 1.0, 40)
    pool, learner = _table_learner(variance, horizon=20)
    strategy = PaperVariance()
    np.testing.assert_allclose(strategy.variances(learner, pool), variance)  # max step = base


def test_paper_notebook_indexing_reproduces_the_compaction_bug() -> None:
    rng = np.random.default_rng(2)
    variance = rng.gamma(2.0, size=60)
    pool, learner = _table_learner(variance)
    low, fence = _paper_bounds(variance)
    kept_values = variance[(variance > low) & (variance < fence)]
    padded = np.zeros(len(variance))
    padded[: len(kept_values)] = kept_values
    notebook = np.argsort(padded)[-4:]
    selection = PaperVariance(notebook_indexing=True).select(
        learner, pool, pool[:0], 4, rng=np.random.default_rng(0)
    )
    assert set(selection.indices.tolist()) == set(notebook.tolist())
    intended = PaperVariance().select(learner, pool, pool[:0], 4, rng=np.random.default_rng(0))
    assert set(intended.indices.tolist()) != set(notebook.tolist())


def test_paper_fills_tiny_pools_with_a_warning() -> None:
    variance = np.array([0.1, 0.2, 0.3, 100.0])
    pool, learner = _table_learner(variance)
    with pytest.warns(RuntimeWarning, match="survive the percentile trim"):
        selection = PaperVariance().select(learner, pool, pool[:0], 4, rng=np.random.default_rng(0))
    assert sorted(selection.indices.tolist()) == [0, 1, 2, 3]


def test_paper_score_is_zero_for_trimmed_rows() -> None:
    variance = np.concatenate([np.linspace(1.0, 2.0, 30), [90.0]])
    pool, learner = _table_learner(variance)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = PaperVariance().score(learner, pool, pool[:0])
    assert scores[-1] == 0.0 and scores[0] == 0.0
    assert scores[15] == pytest.approx(variance[15])


def test_qbc_is_the_variance_of_the_committee(rng: np.random.Generator) -> None:
    variance = rng.uniform(size=80)
    pool, learner = _table_learner(variance)
    scores = QueryByCommittee().score(learner, pool, pool[:0])
    np.testing.assert_allclose(scores, variance)


def test_qbc_needs_committee_samples(rng: np.random.Generator) -> None:
    pool, learner = _table_learner(rng.uniform(size=10), with_samples=False)
    with pytest.raises(InvalidInputError, match="committee samples") as info:
        QueryByCommittee().select(learner, pool, pool[:0], 2, rng=rng)
    assert info.value.parameter == "learner"


def test_bald_prefers_reducible_uncertainty() -> None:
    """Equal total variance: BALD prefers the row whose variance is epistemic."""
    epistemic = np.array([1.0, 0.5, 0.1, 0.9])
    aleatoric = 1.0 - epistemic
    pool = np.arange(4, dtype=np.float64)[:, None]
    learner = ToyLearner(
        lambda X: epistemic[X[:, 0].astype(int)], aleatoric=lambda X: aleatoric[X[:, 0].astype(int)]
    )
    scores = BALD().score(learner, pool, pool[:0])
    expected = 0.5 * np.log1p(epistemic / np.maximum(aleatoric, 1e-6))
    np.testing.assert_allclose(scores, expected)
    selection = BALD().select(learner, pool, pool[:0], 2, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(selection.indices, [0, 3])


def test_bald_without_noise_head_ranks_like_max_variance(rng: np.random.Generator) -> None:
    variance = rng.uniform(size=100)
    pool, learner = _table_learner(variance)
    bald = BALD().select(learner, pool, pool[:0], 10, rng=rng)
    top = MaxVariance().select(learner, pool, pool[:0], 10, rng=rng)
    np.testing.assert_array_equal(bald.indices, top.indices)
    assert np.isfinite(bald.scores).all()


@pytest.mark.parametrize(
    ("factory", "parameter"),
    [
        (lambda: MaxVariance(reduce="median"), "reduce"),
        (lambda: BALD(noise_floor=0.0), "noise_floor"),
        (lambda: PaperVariance(lower_percentile=80), "lower_percentile"),
        (lambda: PaperVariance(whisker=-1), "whisker"),
    ],
)
def test_bad_constructor_parameters(factory: object, parameter: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        factory()  # type: ignore[operator]
    assert info.value.parameter == parameter


@given(
    scores=st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), min_size=1, max_size=300),
    k=st.integers(min_value=0, max_value=320),
)
def test_top_k_is_the_stable_descending_order_even_with_ties_at_the_cut(
    scores: list[float], k: int
) -> None:
    values = np.asarray(scores)
    np.testing.assert_array_equal(top_k(values, k), np.argsort(-values, kind="stable")[:k])
