"""The classifiers: probabilities, epistemic spread, class weights, checkpoints, bad input (issue 16)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from netal.errors import InvalidInputError
from netal.models import (
    BaggedTreesClassifier,
    ClassDistribution,
    DeepEnsembleClassifier,
    MCDropoutClassifier,
    UncertaintyClassifier,
    make_learner,
)


def tiny(name: str, **kw: Any) -> Any:
    params: dict[str, dict[str, Any]] = {
        "mc_dropout_classifier": {"hidden": (16,), "epochs": 40, "n_passes": 10, "lr": 1e-2},
        "deep_ensemble_classifier": {"n_members": 3, "hidden": (16,), "epochs": 40, "lr": 1e-2},
        "bagged_trees": {"n_estimators": 25},
    }
    return make_learner(name, **{"random_state": 0, **params[name], **kw})


def imbalanced(n: int = 400, rate: float = 0.08, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two features; the rare class sits at x0 > threshold, with label noise near it."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    threshold = np.quantile(X[:, 0], 1 - rate)
    y = (X[:, 0] + 0.3 * rng.normal(size=n) > threshold).astype(float)
    return X, y


NAMES = ["mc_dropout_classifier", "deep_ensemble_classifier", "bagged_trees"]


@pytest.mark.parametrize("name", NAMES)
def test_probabilities_classes_and_predictions(name: str) -> None:
    X, y = imbalanced()
    learner = tiny(name).fit(X, y)
    assert is_classifier(learner) and isinstance(learner, UncertaintyClassifier)
    dist = learner.predict_proba_dist(X)
    assert isinstance(dist, ClassDistribution)
    np.testing.assert_array_equal(learner.classes_, [0.0, 1.0])
    assert dist.proba.shape == (len(X), 2) and dist.samples.shape[1:] == (len(X), 2)
    np.testing.assert_allclose(dist.proba.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(dist.samples.mean(axis=0), dist.proba, atol=1e-6)
    np.testing.assert_allclose(
        dist.entropy, dist.expected_entropy + dist.mutual_information, atol=1e-6
    )
    predicted = learner.predict(X)
    assert set(np.unique(predicted)) <= {0.0, 1.0}
    recall = (predicted[y == 1] == 1).mean()
    specificity = (predicted[y == 0] == 0).mean()
    assert recall > 0.6 and specificity > 0.8
    np.testing.assert_array_equal(tiny(name).fit(X, y).predict_proba(X), learner.predict_proba(X))
    assert clone(learner).get_params() == learner.get_params()


@pytest.mark.parametrize("name", ["mc_dropout_classifier", "deep_ensemble_classifier"])
def test_balanced_class_weights_raise_the_recall_of_the_rare_class(name: str) -> None:
    X, y = imbalanced(n=600, rate=0.05, seed=1)
    X_test, y_test = imbalanced(n=2000, rate=0.05, seed=2)
    rare = y_test == 1
    weighted = tiny(name, class_weight="balanced").fit(X, y).predict_proba(X_test)[:, 1]
    plain = tiny(name, class_weight=None).fit(X, y).predict_proba(X_test)[:, 1]
    assert (weighted[rare] > 0.5).mean() > (plain[rare] > 0.5).mean()
    assert weighted[rare].mean() > plain[rare].mean() + 0.1


def test_trees_disagree_at_the_boundary_not_deep_inside_a_class() -> None:
    X, y = imbalanced(n=600, rate=0.3)
    dist = (
        tiny("bagged_trees")
        .fit(X, y)
        .predict_proba_dist(np.array([[-3.0, 0.0], [-2.5, 0.5], [0.5, 0.0], [0.55, -0.3]]))
    )
    inside, boundary = dist.mutual_information[:2], dist.mutual_information[2:]
    assert inside.max() < 0.05 and boundary.min() > 0.2


def test_one_member_ensemble_has_no_epistemic_part() -> None:
    X, y = imbalanced()
    dist = tiny("deep_ensemble_classifier", n_members=1).fit(X, y).predict_proba_dist(X)
    np.testing.assert_allclose(dist.mutual_information, 0.0, atol=1e-6)
    assert dist.entropy.max() > 0.1


@pytest.mark.parametrize("name", NAMES)
def test_given_classes_keep_both_columns_when_fit_sees_one(name: str) -> None:
    X, _ = imbalanced(n=60)
    learner = tiny(name, classes=(0, 1)).fit(X, np.zeros(len(X)))
    proba = learner.predict_proba(X)
    assert proba.shape == (60, 2) and (proba[:, 0] > 0.5).all()
    with pytest.raises(InvalidInputError, match=r"y.*2\.0.*classes"):
        tiny(name, classes=(0, 1)).fit(X, np.where(np.arange(60) == 3, 2.0, 0.0))


@pytest.mark.parametrize(
    ("name", "params", "parameter"),
    [
        ("mc_dropout_classifier", {"class_weight": "equal"}, "class_weight"),
        ("mc_dropout_classifier", {"dropout": 1.5}, "dropout"),
        ("deep_ensemble_classifier", {"n_members": 0}, "n_members"),
        ("bagged_trees", {"classes": (1,)}, "classes"),
        ("bagged_trees", {"class_weight": "balanced_subsample"}, "class_weight"),
    ],
)
def test_bad_parameters_are_named_before_fit(name: str, params: dict, parameter: str) -> None:
    with pytest.raises(InvalidInputError, match=parameter):
        make_learner(name, **params).check_params()


@pytest.mark.parametrize("cls", [MCDropoutClassifier, DeepEnsembleClassifier])
def test_checkpoint_and_chunking_give_the_same_probabilities(cls: type) -> None:
    X, y = imbalanced(n=150)
    learner = cls(hidden=(8,), epochs=5, random_state=3, chunk_size=2048).fit(X, y)
    restored = cls(hidden=(8,), epochs=5, random_state=99)
    restored.set_state(learner.get_state())
    np.testing.assert_array_equal(restored.predict_proba(X), learner.predict_proba(X))
    chunked = cls(hidden=(8,), epochs=5, random_state=3, chunk_size=7).fit(X, y)
    np.testing.assert_allclose(chunked.predict_proba(X), learner.predict_proba(X), atol=1e-6)
    assert learner.embed(X).shape[0] == len(X)
    learner.partial_fit(X[:40], y[:40])  # warm start keeps the classes
    assert learner.predict_proba(X).shape == (150, 2)
    with pytest.raises(InvalidInputError, match="state"):
        cls(hidden=(16,)).set_state(restored.get_state())


@pytest.mark.parametrize(
    "check",
    [
        check_parameters_default_constructible,
        check_no_attributes_set_in_init,
        check_get_params_invariance,
        check_set_params,
    ],
)
@pytest.mark.parametrize(
    "learner", [MCDropoutClassifier(), DeepEnsembleClassifier(), BaggedTreesClassifier()]
)
def test_scikit_learn_checks_without_fit(check: Any, learner: Any) -> None:
    check(type(learner).__name__, learner)
