"""scikit-learn conformance of the learners: mixins, tags, ``score``, ``clone`` and the estimator checks.

Every learner of :mod:`netal.models` is a scikit-learn regressor
(``RegressorMixin`` before ``BaseEstimator``).  The tabular learners run
scikit-learn's own estimator checks (``parametrize_with_checks``) at small
but honest settings; the checks they are expected to fail are listed in
:data:`EXPECTED_FAILED_CHECKS`, each with the reason, and marked strict
(a check on the list that starts passing fails the suite, so the list stays
true).  ``Seq2SeqMCDropout`` takes windows ``(n, W, F)`` and targets
``(n, horizon)``, which scikit-learn's checks cannot generate; it runs the
checks that do not fit (parameters, cloning) plus the fitted behaviour
tested below on its own data.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
from learner_factories import tiny_committee, tiny_seq2seq
from sklearn.base import ClassifierMixin, RegressorMixin, clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    parametrize_with_checks,
)

from netal.errors import NotFittedError
from netal.models import (
    LEARNERS,
    BaggingCommittee,
    BoostedEnsemble,
    DeepEnsemble,
    LaplaceMLP,
    MCDropoutMLP,
    Seq2SeqMCDropout,
    UncertaintyClassifier,
    UncertaintyRegressor,
)

EXPECTED_FAILED_CHECKS: dict[str, str] = {
    "check_dtype_object": (
        "an object array holding a dict must raise TypeError; netal raises its one "
        "InvalidInputError (a ValueError) naming the parameter for any unreadable input"
    ),
}
"""Checks of ``sklearn.utils.estimator_checks`` every learner fails on purpose, and why.

Nothing else is skipped: the checks that assume tiny data pass because the
learners below are configured to fit scikit-learn's 200-row regression set
(R^2 > 0.5) in a few seconds, and ``check_array_api_input`` skips itself
unless ``SCIPY_ARRAY_API`` is set.
"""


MINIBATCH_FAILED_CHECKS: dict[str, str] = {
    "check_sample_weight_equivalence_on_dense_data": (
        "a network trained by minibatch SGD weighs each row's loss term; a weight of 2 "
        "is not the same training run as the row given twice (other minibatches, other "
        "number of steps, another early-stopping split), so predictions differ although "
        "both fits learn the same function (tests/models/test_sample_weight.py checks "
        "that weights act)"
    ),
}
"""Further checks the PyTorch learners (minibatch SGD) fail on purpose, and why."""


def _expected_failures(estimator: Any) -> dict[str, str]:
    """The checks ``estimator`` is expected to fail: every learner's, plus SGD's for networks."""
    if isinstance(estimator, MCDropoutMLP | DeepEnsemble | LaplaceMLP):
        return {**EXPECTED_FAILED_CHECKS, **MINIBATCH_FAILED_CHECKS}
    return EXPECTED_FAILED_CHECKS


def _checked_learners() -> list[Any]:
    """The tabular learners, configured to learn scikit-learn's check data quickly."""
    return [
        MCDropoutMLP(hidden=(32,), epochs=60, n_passes=5, lr=1e-2, random_state=0),
        MCDropoutMLP(
            hidden=(32,), epochs=60, n_passes=5, lr=1e-2, heteroscedastic=True, random_state=0
        ),
        DeepEnsemble(n_members=2, hidden=(32,), epochs=60, lr=1e-2, random_state=0),
        LaplaceMLP(hidden=(32,), epochs=60, n_samples=5, marglik_steps=20, lr=1e-2, random_state=0),
        BaggingCommittee(DecisionTreeRegressor(max_depth=6), n_members=4, random_state=0),
        BoostedEnsemble(n_members=3, n_estimators=50, random_state=0),
    ]


@parametrize_with_checks(
    _checked_learners(),
    expected_failed_checks=_expected_failures,
    xfail_strict=True,
)
def test_sklearn_estimator_checks(estimator: Any, check: Any) -> None:
    check(estimator)


@pytest.mark.parametrize(
    "check",
    [
        check_parameters_default_constructible,
        check_no_attributes_set_in_init,
        check_get_params_invariance,
        check_set_params,
    ],
)
def test_seq2seq_passes_the_checks_that_need_no_fit(check: Any) -> None:
    check("Seq2SeqMCDropout", tiny_seq2seq())


@pytest.mark.parametrize("name", LEARNERS.names())
def test_every_registered_learner_is_a_regressor_or_a_classifier(name: str) -> None:
    learner = LEARNERS.create(name)
    if hasattr(learner, "predict_proba"):
        assert isinstance(learner, ClassifierMixin) and is_classifier(learner)
        assert isinstance(learner, UncertaintyClassifier)
    else:
        assert isinstance(learner, RegressorMixin) and is_regressor(learner)
        assert isinstance(learner, UncertaintyRegressor)


def _data(n: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, X[:, 0] - 0.5 * X[:, 1] + 0.05 * rng.normal(size=n)


def test_score_is_r2_of_the_mean_and_cross_val_score_needs_no_scorer() -> None:
    X, y = _data()
    learner = tiny_committee()
    scores = cross_val_score(learner, X, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.5)
    learner.fit(X, y)
    mean = learner.predict(X)
    expected = 1 - np.sum((y - mean) ** 2) / np.sum((y - y.mean()) ** 2)
    assert learner.score(X, y) == pytest.approx(expected)


def test_predict_with_return_std_still_returns_mean_and_total_std() -> None:
    X, y = _data()
    learner = MCDropoutMLP(hidden=(16,), epochs=5, n_passes=6, random_state=0).fit(X, y)
    mean, std = learner.predict(X, return_std=True)
    dist = learner.predict_dist(X)
    np.testing.assert_array_equal(mean, learner.predict(X))
    np.testing.assert_allclose(std, np.sqrt(dist.epistemic_var + dist.aleatoric_var))
    assert learner.n_features_in_ == 3


def test_seq2seq_is_a_regressor_with_score() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5, 2))
    y = np.repeat(X[:, -1, :1], 3, axis=1)
    learner = tiny_seq2seq(max_epochs=2).fit(X, y)
    assert is_regressor(learner) and learner.n_features_in_ == 2
    assert np.isfinite(learner.score(X, y))


@pytest.mark.parametrize(
    "learner",
    [
        MCDropoutMLP(hidden=(8, 4), dropout=0.2, n_passes=7, random_state=3),
        DeepEnsemble(n_members=3, heteroscedastic=False, random_state=1),
        BaggingCommittee(DecisionTreeRegressor(max_depth=2), n_members=5, bootstrap=False),
        Seq2SeqMCDropout(hidden=8, dense_units=(8, 4), horizon=3, random_state=2),
    ],
    ids=lambda learner: type(learner).__name__,
)
def test_get_params_set_params_and_clone_round_trip(learner: Any) -> None:
    params = learner.get_params()
    copy = clone(learner)
    assert type(copy) is type(learner)
    assert set(copy.get_params()) == set(params)
    for key, value in learner.get_params(deep=False).items():
        other = copy.get_params(deep=False)[key]
        if hasattr(value, "get_params"):
            assert other is not value and other.get_params() == value.get_params()
        else:
            assert other == value
    copy.set_params(**learner.get_params(deep=False))
    assert pickle.dumps(copy.get_params(deep=False)) == pickle.dumps(learner.get_params(deep=False))


def test_nested_parameters_of_the_committee_round_trip() -> None:
    committee = BaggingCommittee(DecisionTreeRegressor(max_depth=2))
    assert committee.get_params()["estimator__max_depth"] == 2
    committee.set_params(estimator__max_depth=5, n_members=3)
    assert committee.estimator.max_depth == 5 and committee.n_members == 3
    assert clone(committee).get_params()["estimator__max_depth"] == 5


def test_unfitted_learner_raises_netal_and_sklearn_not_fitted_errors() -> None:
    X, _ = _data(10)
    for learner in (MCDropoutMLP(), tiny_committee()):
        with pytest.raises(NotFittedError) as info:
            learner.predict(X)
        assert isinstance(info.value, SklearnNotFittedError)
        assert "not fitted yet" in str(info.value)
