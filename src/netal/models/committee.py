"""Query-by-committee with bagged classic regressors.

A committee of ``K`` copies of one scikit-learn regressor, each fitted on a
bootstrap resample of the labeled data (bagging).  Disagreement between the
members (the variance of their predictions) is the epistemic signal of
query-by-committee (Seung, Opper and Sompolinsky, "Query by Committee",
COLT 1992), carried over to regression by Burbidge, Rowland and King
("Active Learning for Regression Based on Query by Committee", IDEAL 2007).
The members have no noise model, so the aleatoric variance is zero.

This learner is not a neural network and has no ``embed``; strategies that
need an embedding check for it (``SupportsEmbedding``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import skops.io
from sklearn.base import clone
from sklearn.tree import DecisionTreeRegressor
from skops.io.exceptions import UntrustedTypesFoundException

from netal._validation import check_positive_int
from netal.errors import InvalidInputError, ShapeMismatchError
from netal.models._common import (
    PredictMixin,
    as_2d_target,
    check_fitted,
    check_inputs,
    check_training_data,
    distribution_from_samples,
)
from netal.models._registry import LEARNERS
from netal.models._scaling import Standardizer
from netal.models._training import resolve_seed
from netal.models.base import PredictiveDistribution

_TRUSTED_MODULES = ("sklearn.", "numpy.", "builtins.")
"""Types a committee checkpoint may hold (members are scikit-learn estimators)."""


_STATE_KEYS = (
    "members",
    "seed",
    "n_fits",
    "target_ndim",
    "sample_shape",
    "n_outputs",
    "x_scaler",
    "y_scaler",
)
_ACCEPTED_TYPES: set[str] = set()
"""Types already checked against :data:`_TRUSTED_MODULES` (skops' type scan is half a load)."""


def _load_trusted(state: bytes) -> Any:
    """``skops.io.loads`` trusting only scikit-learn, NumPy and builtin types."""
    if _ACCEPTED_TYPES:
        try:
            return skops.io.loads(state, trusted=sorted(_ACCEPTED_TYPES))
        except UntrustedTypesFoundException:
            pass  # a type not seen yet: scan and check it below
        except Exception as exc:  # skops raises several types on garbage input
            raise InvalidInputError(
                "state", f"is not a checkpoint of this learner ({type(exc).__name__})"
            ) from None
    try:
        untrusted = skops.io.get_untrusted_types(data=state)
    except Exception as exc:  # skops raises several types on garbage input
        raise InvalidInputError(
            "state", f"is not a checkpoint of this learner ({type(exc).__name__})"
        ) from None
    foreign = [name for name in untrusted if not name.startswith(_TRUSTED_MODULES)]
    if foreign:
        raise InvalidInputError(
            "state", f"names type {foreign[0]!r}, which netal does not load from a checkpoint"
        )
    _ACCEPTED_TYPES.update(untrusted)
    return skops.io.loads(state, trusted=untrusted)


@LEARNERS.register("bagging_committee")
class BaggingCommittee(PredictMixin):
    """Bagged committee of scikit-learn regressors with member disagreement as uncertainty.

    Parameters
    ----------
    estimator
        Any scikit-learn regressor (cloned per member); defaults to a
        :class:`~sklearn.tree.DecisionTreeRegressor`.  For ``(n, h)`` targets
        it must support multi-output regression (trees, linear models, k-NN do).
    n_members
        Committee size ``K``.
    bootstrap
        Fit each member on a bootstrap resample (otherwise on all rows, so
        only the members' own randomness makes them differ).
    random_state
        Seed for the resamples and for members that take a ``random_state``.

    Notes
    -----
    ``partial_fit(X, y)`` trains the committee further on ``(X, y)`` (in an
    active-learning loop: the whole, grown labeled set) with fresh bootstrap
    resamples: members whose estimator has ``partial_fit`` (e.g.
    ``SGDRegressor``) continue from their current state; the others (trees,
    ridge, ...) cannot continue and are refitted.  The standardization of the
    first ``fit`` is kept.
    """

    def __init__(
        self,
        estimator: Any = None,
        n_members: int = 10,
        bootstrap: bool = True,
        random_state: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.n_members = n_members
        self.bootstrap = bootstrap
        self.random_state = random_state

    def check_params(self) -> None:
        """Raise :class:`~netal.errors.InvalidInputError` on a bad parameter, before any data is seen."""
        check_positive_int(self.n_members, "n_members")

    def fit(self, X: Any, y: Any) -> BaggingCommittee:
        """Fit ``n_members`` clones on bootstrap resamples of ``(X, y)``."""
        X_arr, y_arr = check_training_data(X, y, x_ndim=2)
        n_members = check_positive_int(self.n_members, "n_members")
        self._seed = resolve_seed(self.random_state)
        self._n_fits = 0
        self._target_ndim = y_arr.ndim
        self._sample_shape = tuple(X_arr.shape[1:])
        self.n_features_in_ = int(self._sample_shape[-1])
        y2 = as_2d_target(y_arr)
        self._n_outputs = y2.shape[1]
        self._x_scaler = Standardizer().fit(X_arr)
        self._y_scaler = Standardizer().fit(y2)
        base = DecisionTreeRegressor() if self.estimator is None else self.estimator
        self.members_ = self._train_members(
            [clone(base) for _ in range(n_members)], X_arr, y2, warm=False
        )
        return self

    def partial_fit(self, X: Any, y: Any) -> BaggingCommittee:
        """Train further on ``(X, y)`` (see Notes); fits from scratch when not fitted yet."""
        if getattr(self, "members_", None) is None:
            return self.fit(X, y)
        X_arr, y_arr = check_training_data(X, y, x_ndim=2)
        check_inputs(X_arr, sample_shape=self._sample_shape, learner=type(self).__name__)
        y2 = as_2d_target(y_arr)
        if y2.shape[1] != self._n_outputs:
            raise ShapeMismatchError(
                "y", f"has {y2.shape[1]} outputs but the learner was fitted on {self._n_outputs}"
            )
        self.members_ = self._train_members(self.members_, X_arr, y2, warm=True)
        return self

    def _train_members(
        self, members: list[Any], X: np.ndarray, y2: np.ndarray, *, warm: bool
    ) -> list[Any]:
        rng = np.random.default_rng([self._seed, self._n_fits])
        self._n_fits += 1
        xs = self._x_scaler.transform(X)
        ys = self._y_scaler.transform(y2)
        ys = ys[:, 0] if ys.shape[1] == 1 else ys
        n = len(xs)
        for member in members:
            rows = rng.integers(0, n, size=n) if self.bootstrap else np.arange(n)
            seed = int(rng.integers(2**31 - 1))
            continue_training = warm and hasattr(member, "partial_fit")
            if not continue_training and "random_state" in member.get_params():
                member.set_params(random_state=seed)
            try:
                (member.partial_fit if continue_training else member.fit)(xs[rows], ys[rows])
            except ValueError as exc:
                raise InvalidInputError(
                    "estimator", f"could not be fitted on the data: {exc}"
                ) from exc
        return members

    def predict_dist(self, X: Any) -> PredictiveDistribution:
        """Committee mean, member variance (epistemic), zero aleatoric variance, member predictions."""
        check_fitted(self, "members_")
        X_arr = check_inputs(X, sample_shape=self._sample_shape, learner=type(self).__name__)
        xs = self._x_scaler.transform(X_arr)
        outputs = np.stack(
            [
                np.asarray(m.predict(xs), dtype=np.float64).reshape(len(xs), -1)
                for m in self.members_
            ]
        )
        samples = self._y_scaler.inverse_transform(outputs)
        return distribution_from_samples(samples, None, self._target_ndim)

    def get_state(self) -> bytes:
        """Members and scalers serialized with skops (no pickle; loadable without running code)."""
        check_fitted(self, "members_")
        return skops.io.dumps(
            {
                "kind": type(self).__name__,
                "members": list(self.members_),
                "seed": None if self._seed is None else int(self._seed),
                "n_fits": int(self._n_fits),
                "target_ndim": int(self._target_ndim),
                "sample_shape": list(self._sample_shape),
                "n_outputs": int(self._n_outputs),
                "x_scaler": self._x_scaler.get_state(),
                "y_scaler": self._y_scaler.get_state(),
            }
        )

    def set_state(self, state: bytes) -> None:
        """Restore a checkpoint made by :meth:`get_state`.

        Only scikit-learn and NumPy types are trusted: a checkpoint naming any
        other type is refused before anything in it is constructed.
        """
        payload = _load_trusted(state)
        if not isinstance(payload, dict) or payload.get("kind") != type(self).__name__:
            raise InvalidInputError("state", f"was not saved by {type(self).__name__}")
        missing = sorted(set(_STATE_KEYS) - set(payload))
        if missing:
            raise InvalidInputError("state", f"lacks {', '.join(missing)}; it is damaged")
        self.members_ = payload["members"]
        self._seed = payload["seed"]
        self._n_fits = payload["n_fits"]
        self._target_ndim = payload["target_ndim"]
        self._sample_shape = tuple(payload["sample_shape"])
        self.n_features_in_ = int(self._sample_shape[-1])
        self._x_scaler = Standardizer.from_state(payload["x_scaler"])
        self._y_scaler = Standardizer.from_state(payload["y_scaler"])
        self._n_outputs = payload["n_outputs"]
