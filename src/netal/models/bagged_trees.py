"""Bagged trees classifier: a random forest whose trees are the committee.

Each tree is grown on a bootstrap resample with random feature subsets
(Breiman, "Bagging Predictors", Machine Learning 1996; "Random Forests",
Machine Learning 2001).  The trees' class probabilities are the samples of
:class:`~netal.models.base.ClassDistribution`: their mean is the forest's
``predict_proba`` and their disagreement the epistemic part, as in
query-by-committee (Seung, Opper and Sompolinsky, COLT 1992) and BALD with
ensembles.  It has no ``embed`` (core-set and BADGE need a neural learner)
and no ``get_state``: the engine refits it from the labeled set and its seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.models._common import check_fitted, check_inputs, check_training_data
from netal.models._registry import LEARNERS
from netal.models._torch_classifier import CLASS_WEIGHTS, encode_labels
from netal.models.base import ClassDistribution
from netal.models.seeding import resolve_seed


@LEARNERS.register("bagged_trees")
class BaggedTreesClassifier(ClassifierMixin, BaseEstimator):
    """Random-forest classifier exposing its trees' probabilities as epistemic samples.

    Parameters
    ----------
    n_estimators
        Number of trees.
    max_depth
        Largest tree depth (``None``: grown until leaves are pure).
    min_samples_leaf
        Fewest training rows per leaf.
    max_features
        Features tried per split (scikit-learn's meaning; ``"sqrt"`` default).
    class_weight
        ``"balanced"`` (default; inverse class frequency) or ``None``.
    classes
        The class labels (e.g. ``(0, 1)``); ``None`` takes those seen in ``fit``.
        With ``classes`` given, a class missing from the training labels gets
        probability zero.
    random_state
        Seed of the bootstrap and the feature subsets.
    n_jobs
        Worker threads of scikit-learn (1 keeps cells reproducible and polite).

    References
    ----------
    Breiman, Machine Learning 24 (1996) and 45 (2001); Seung et al., COLT 1992.
    """

    def __init__(
        self,
        n_estimators: int = 100,
        max_depth: int | None = None,
        min_samples_leaf: int = 1,
        max_features: Any = "sqrt",
        class_weight: str | None = "balanced",
        classes: tuple[float, ...] | None = None,
        random_state: int | None = None,
        n_jobs: int = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.class_weight = class_weight
        self.classes = classes
        self.random_state = random_state
        self.n_jobs = n_jobs

    def check_params(self) -> None:
        """Raise :class:`~netal.errors.InvalidInputError` on a bad parameter, before any data is seen."""
        check_positive_int(self.n_estimators, "n_estimators")
        check_positive_int(self.min_samples_leaf, "min_samples_leaf")
        if self.max_depth is not None:
            check_positive_int(self.max_depth, "max_depth")
        if self.class_weight not in CLASS_WEIGHTS:
            raise InvalidInputError(
                "class_weight", f"must be 'balanced' or None, got {self.class_weight!r}"
            )
        if self.classes is not None:
            encode_labels(np.zeros(0), self.classes)

    def fit(self, X: Any, y: Any) -> BaggedTreesClassifier:
        """Grow the forest on ``(X, y)``; ``y`` holds class labels (floats are fine)."""
        self.check_params()
        X_arr, y_arr = check_training_data(X, y, x_ndim=2)
        self.classes_, codes = encode_labels(y_arr, self.classes)
        self.n_features_in_ = int(X_arr.shape[1])
        self.forest_ = RandomForestClassifier(
            n_estimators=int(self.n_estimators),
            max_depth=self.max_depth,
            min_samples_leaf=int(self.min_samples_leaf),
            max_features=self.max_features,
            class_weight=self.class_weight,
            random_state=resolve_seed(self.random_state),
            n_jobs=self.n_jobs,
        ).fit(X_arr, codes)
        return self

    def predict_proba_dist(self, X: Any) -> ClassDistribution:
        """Every tree's class probabilities ``(S, n, K)`` and their mean."""
        check_fitted(self, "forest_")
        X_arr = check_inputs(
            X, sample_shape=(self.n_features_in_,), learner="BaggedTreesClassifier"
        )
        columns = self.forest_.classes_.astype(np.int64)  # codes of the classes seen in fit
        samples = np.zeros((len(self.forest_.estimators_), len(X_arr), len(self.classes_)))
        X32 = X_arr.astype(np.float32)
        for s, tree in enumerate(self.forest_.estimators_):
            samples[s][:, columns] = tree.predict_proba(X32)
        return ClassDistribution(
            proba=samples.mean(axis=0), classes=self.classes_.copy(), samples=samples
        )

    def predict_proba(self, X: Any) -> np.ndarray:
        """Mean class probabilities of the trees, ``(n, K)`` in the order of ``classes_``."""
        return self.predict_proba_dist(X).proba

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row (a value of ``classes_``)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
