"""Bagged gradient-boosting ensemble: LightGBM members on bootstrap resamples.

Each of ``K`` members is a LightGBM regressor (Ke et al., "LightGBM: A Highly
Efficient Gradient Boosting Decision Tree", NeurIPS 2017) grown on its own
bootstrap resample of the labeled rows with its own seed (bagging: Breiman,
"Bagging Predictors", Machine Learning 1996).  The variance of the members'
predictions is the epistemic part, as for a deep ensemble
(Lakshminarayanan et al., NeurIPS 2017) or a query-by-committee
(Burbidge et al., IDEAL 2007); the members are the ``samples`` of the
:class:`~netal.models.base.PredictiveDistribution`.

The aleatoric part (``aleatoric="residual"``) is a variance model fitted on
the *out-of-bag* residuals: each labeled row is predicted by the members
whose resample left it out, and a small LightGBM learns ``log r^2`` with the
bias of the log of a squared Gaussian removed (``E[log eps^2] = log sigma^2
- 1.2704``; Harvey, "Estimating Regression Models with Multiplicative
Heteroscedasticity", Econometrica 1976).  Out-of-bag residuals also carry the
members' own error, so this noise estimate errs on the large side.

Trees are piecewise constant: beyond the labeled rows every member predicts
its boundary leaf, so the epistemic variance does not keep growing with the
distance from the data as a network's does; it is high where the members'
split points disagree (gaps and sparse edges of the data).  ``linear_tree``
fits a linear model in each leaf (Shi et al., "Gradient Boosting with
Piece-Wise Linear Regression Trees", IJCAI 2019), whose extrapolations do
spread apart away from the data.

It has no ``embed``: batch strategies that need one (LCMD, core-set) refuse
it; max-variance, BALD, QBC and the paper's rule work.  Checkpoints are the
boosters' own text models in JSON (nothing is unpickled).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from netal._validation import check_positive_int
from netal.errors import InvalidInputError, ShapeMismatchError
from netal.models._common import (
    PredictMixin,
    as_2d_target,
    check_fitted,
    check_inputs,
    check_positive_float,
    check_training_data,
    distribution_from_samples,
)
from netal.models._registry import LEARNERS
from netal.models._scaling import Standardizer
from netal.models.base import PredictiveDistribution
from netal.models.seeding import derive_seed, resolve_seed

ALEATORIC_MODELS = ("residual", "none")
"""Values of ``aleatoric``: an out-of-bag residual-variance model, or none (zero)."""

_LOG_CHI2_BIAS = 1.2703628454614782
"""``-E[log z^2]`` for ``z ~ N(0, 1)`` (``-(digamma(1/2) + log 2)``; Harvey 1976)."""

_MIN_LOG_VAR = np.log(1e-6)
"""Variance floor of the noise model, standardized units (as the Gaussian heads' ``min_var``)."""


def _lightgbm() -> Any:
    try:  # optional extra (netal[tabular]); imported when a booster is built or loaded
        import lightgbm
    except ImportError:  # pragma: no cover - the dev extra installs it
        raise InvalidInputError(
            "learner", "boosted_ensemble needs lightgbm; pip install 'netal[tabular]'"
        ) from None
    return lightgbm


@LEARNERS.register("boosted_ensemble")
class BoostedEnsemble(PredictMixin):
    """Bagged LightGBM regressors: member disagreement (epistemic) and an out-of-bag noise model.

    Parameters
    ----------
    n_members
        Number of bootstrap members ``K``.
    n_estimators
        Boosting rounds per member.
    learning_rate
        Shrinkage of each tree.
    num_leaves
        Largest number of leaves per tree.
    min_child_samples
        Fewest rows per leaf (small: active learning starts from a few labels).
    colsample_bytree
        Share of the features each tree sees.
    reg_lambda
        L2 penalty on the leaf values.
    linear_tree
        Fit a linear model in each leaf (extrapolates; see the module notes).
    aleatoric
        ``"residual"``: a LightGBM on the log of the out-of-bag squared
        residuals (heteroscedastic noise); ``"none"``: zero aleatoric variance.
    bootstrap
        Resample the rows per member (otherwise only the seeds differ).
    random_state
        Seed of the resamples and of LightGBM; the same data and seed give
        bit-identical predictions.
    n_jobs
        LightGBM threads (1 keeps cells reproducible and polite on a shared CPU).

    Notes
    -----
    ``partial_fit`` refits every member (trees cannot continue from new rows)
    on fresh resamples of the given rows, keeping the first fit's
    standardization, like :class:`~netal.models.BaggingCommittee`.

    References
    ----------
    Ke et al., NeurIPS 2017; Breiman, Machine Learning 1996; Lakshminarayanan
    et al., NeurIPS 2017; Harvey, Econometrica 1976.
    """

    def __init__(
        self,
        n_members: int = 8,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 3,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 1.0,
        linear_tree: bool = False,
        aleatoric: str = "residual",
        bootstrap: bool = True,
        random_state: int | None = None,
        n_jobs: int = 1,
    ) -> None:
        self.n_members = n_members
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.linear_tree = linear_tree
        self.aleatoric = aleatoric
        self.bootstrap = bootstrap
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- parameters ---------------------------------------------------------------------------
    def check_params(self) -> None:
        """Raise :class:`~netal.errors.InvalidInputError` on a bad parameter, before any data is seen."""
        self._booster_params(0)
        check_positive_int(self.n_members, "n_members")
        if self.aleatoric not in ALEATORIC_MODELS:
            raise InvalidInputError(
                "aleatoric", f"must be one of {', '.join(ALEATORIC_MODELS)}, got {self.aleatoric!r}"
            )
        _lightgbm()

    def _booster_params(self, seed: int) -> dict[str, Any]:
        fraction = check_positive_float(self.colsample_bytree, "colsample_bytree")
        if fraction > 1:
            raise InvalidInputError("colsample_bytree", f"must be in (0, 1], got {fraction}")
        return {
            "objective": "regression",
            "learning_rate": check_positive_float(self.learning_rate, "learning_rate"),
            "num_leaves": check_positive_int(self.num_leaves, "num_leaves", minimum=2),
            "min_child_samples": check_positive_int(self.min_child_samples, "min_child_samples"),
            "min_data_in_bin": 1,
            "feature_fraction": fraction,
            "lambda_l2": check_positive_float(self.reg_lambda, "reg_lambda", allow_zero=True),
            "linear_tree": bool(self.linear_tree),
            "seed": int(seed % (2**31 - 1)),
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": check_positive_int(self.n_jobs, "n_jobs"),
            "verbose": -1,
        }

    def _variance_params(self, seed: int) -> dict[str, Any]:
        params = self._booster_params(seed)
        # a smoother model for the noisy log residuals: shallower trees, bigger leaves
        params.update(num_leaves=min(params["num_leaves"], 7), linear_tree=False)
        params["min_child_samples"] = max(params["min_child_samples"], 10)
        return params

    # -- fitting --------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> BoostedEnsemble:
        """Fit ``n_members`` boosters on bootstrap resamples of ``(X, y)`` (and the noise model)."""
        self.check_params()
        X_arr, y_arr = check_training_data(X, y, x_ndim=2)
        self._seed = resolve_seed(self.random_state)
        self._n_fits = 0
        self._target_ndim = y_arr.ndim
        self.n_features_in_ = int(X_arr.shape[1])
        y2 = as_2d_target(y_arr)
        self._n_outputs = y2.shape[1]
        self._x_scaler = Standardizer().fit(X_arr)
        self._y_scaler = Standardizer().fit(y2)
        self._train(X_arr, y2)
        return self

    def partial_fit(self, X: Any, y: Any) -> BoostedEnsemble:
        """Refit every member on fresh resamples of ``(X, y)`` (see Notes); fits when not fitted yet."""
        if getattr(self, "members_", None) is None:
            return self.fit(X, y)
        X_arr, y_arr = check_training_data(X, y, x_ndim=2)
        check_inputs(X_arr, sample_shape=(self.n_features_in_,), learner=type(self).__name__)
        y2 = as_2d_target(y_arr)
        if y2.shape[1] != self._n_outputs:
            raise ShapeMismatchError(
                "y", f"has {y2.shape[1]} outputs but the learner was fitted on {self._n_outputs}"
            )
        self._train(X_arr, y2)
        return self

    def _train(self, X: np.ndarray, y2: np.ndarray) -> None:
        lgb = _lightgbm()
        n_members = check_positive_int(self.n_members, "n_members")
        rounds = check_positive_int(self.n_estimators, "n_estimators")
        fit_seed = derive_seed(self._seed, self._n_fits)
        self._n_fits += 1
        rng = np.random.default_rng(fit_seed)
        xs = self._x_scaler.transform(X).astype(np.float64)
        ys = self._y_scaler.transform(y2).astype(np.float64)
        n = len(xs)
        members: list[list[Any]] = []
        oob_sum = np.zeros_like(ys)
        oob_count = np.zeros(n)
        for _ in range(n_members):
            rows = rng.integers(0, n, size=n) if self.bootstrap else np.arange(n)
            seed = int(rng.integers(2**31 - 1))
            boosters = [
                lgb.train(
                    self._booster_params(seed),
                    lgb.Dataset(xs[rows], ys[rows, k], free_raw_data=True),
                    num_boost_round=rounds,
                )
                for k in range(self._n_outputs)
            ]
            members.append(boosters)
            out_of_bag = np.setdiff1d(np.arange(n), rows)
            if len(out_of_bag):
                oob_sum[out_of_bag] += self._member_outputs(boosters, xs[out_of_bag])
                oob_count[out_of_bag] += 1
        self.members_ = members
        self.noise_models_ = None
        if self.aleatoric == "residual":
            self.noise_models_ = self._fit_noise(lgb, xs, ys, oob_sum, oob_count, rng)

    def _fit_noise(
        self,
        lgb: Any,
        xs: np.ndarray,
        ys: np.ndarray,
        oob_sum: np.ndarray,
        oob_count: np.ndarray,
        rng: np.random.Generator,
    ) -> list[Any]:
        """One LightGBM per output on ``log r^2 + 1.27`` of the out-of-bag residuals."""
        seen = oob_count > 0
        if seen.any():
            residual = ys[seen] - oob_sum[seen] / oob_count[seen, None]
        else:  # no resampling: the in-bag residuals are all there is
            seen = np.ones(len(xs), dtype=bool)
            residual = ys - self._member_mean(xs)
        log_r2 = np.log(np.maximum(residual**2, 1e-12)) + _LOG_CHI2_BIAS
        seed = int(rng.integers(2**31 - 1))
        return [
            lgb.train(
                self._variance_params(seed),
                lgb.Dataset(xs[seen], np.maximum(log_r2[:, k], _MIN_LOG_VAR)),
                num_boost_round=max(check_positive_int(self.n_estimators, "n_estimators") // 4, 1),
            )
            for k in range(self._n_outputs)
        ]

    # -- prediction -----------------------------------------------------------------------------
    @staticmethod
    def _member_outputs(boosters: list[Any], xs: np.ndarray) -> np.ndarray:
        """One member's standardized predictions ``(n, h)``."""
        return np.stack([np.asarray(b.predict(xs), dtype=np.float64) for b in boosters], axis=1)

    def _member_mean(self, xs: np.ndarray) -> np.ndarray:
        return np.mean([self._member_outputs(m, xs) for m in self.members_], axis=0)

    def predict_dist(self, X: Any) -> PredictiveDistribution:
        """Member mean, member variance (epistemic), noise model (aleatoric), member predictions."""
        check_fitted(self, "members_")
        X_arr = check_inputs(X, sample_shape=(self.n_features_in_,), learner=type(self).__name__)
        xs = self._x_scaler.transform(X_arr).astype(np.float64)
        outputs = np.stack([self._member_outputs(m, xs) for m in self.members_])  # (K, n, h)
        samples = self._y_scaler.inverse_transform(outputs)
        noise = None
        if self.noise_models_ is not None:
            log_var = self._member_outputs(self.noise_models_, xs)
            noise = self._y_scaler.inverse_variance(np.exp(np.maximum(log_var, _MIN_LOG_VAR)))
        return distribution_from_samples(samples, noise, self._target_ndim)

    # -- checkpoints ----------------------------------------------------------------------------
    def get_state(self) -> bytes:
        """The boosters' text models, scalers and seeds as JSON bytes (no pickle)."""
        check_fitted(self, "members_")
        payload = {
            "kind": type(self).__name__,
            "members": [[b.model_to_string() for b in member] for member in self.members_],
            "noise_models": None
            if self.noise_models_ is None
            else [b.model_to_string() for b in self.noise_models_],
            "seed": int(self._seed),
            "n_fits": int(self._n_fits),
            "target_ndim": int(self._target_ndim),
            "n_features": int(self.n_features_in_),
            "n_outputs": int(self._n_outputs),
            "x_scaler": self._x_scaler.get_state(),
            "y_scaler": self._y_scaler.get_state(),
        }
        return json.dumps(payload).encode("utf-8")

    def set_state(self, state: bytes) -> None:
        """Restore a checkpoint made by :meth:`get_state`."""
        try:
            payload = json.loads(bytes(state).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, TypeError):
            raise InvalidInputError("state", "is not a checkpoint of this learner") from None
        if not isinstance(payload, dict) or payload.get("kind") != type(self).__name__:
            raise InvalidInputError("state", f"was not saved by {type(self).__name__}")
        lgb = _lightgbm()
        try:
            self.members_ = [
                [lgb.Booster(model_str=text) for text in member] for member in payload["members"]
            ]
            noise = payload["noise_models"]
            self.noise_models_ = (
                None if noise is None else [lgb.Booster(model_str=text) for text in noise]
            )
            self._seed = int(payload["seed"])
            self._n_fits = int(payload["n_fits"])
            self._target_ndim = int(payload["target_ndim"])
            self.n_features_in_ = int(payload["n_features"])
            self._n_outputs = int(payload["n_outputs"])
            self._x_scaler = Standardizer.from_state(payload["x_scaler"])
            self._y_scaler = Standardizer.from_state(payload["y_scaler"])
        except (KeyError, TypeError, lgb.basic.LightGBMError) as exc:
            raise InvalidInputError("state", f"is damaged ({type(exc).__name__})") from None
