"""Shared machinery of the PyTorch learners: fitting, warm starts, chunked scoring, checkpoints."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from netal._validation import as_float_array, check_positive_int, check_same_length
from netal.errors import InvalidInputError, ShapeMismatchError
from netal.models._common import (
    PredictMixin,
    as_2d_target,
    check_fitted,
    check_inputs,
    check_positive_float,
    check_training_data,
    check_unit_interval,
    restore_target_shape,
)
from netal.models._scaling import Standardizer
from netal.models._training import (
    TrainingHistory,
    load_checkpoint,
    save_state,
    train_loop,
    validation_split,
)
from netal.models.base import PredictiveDistribution
from netal.models.seeding import derive_seed, make_generator, resolve_seed, torch_seeded

_INIT_TAG, _FIT_TAG, _PREDICT_TAG = 0, 1, 2


class TorchRegressor(PredictMixin):
    """Base class: subclasses define the network and its loss; this class does the rest.

    Subclass hooks: :meth:`_build_net`, :meth:`_batch_loss`, :meth:`_val_scores`,
    :meth:`_sample_chunk` (the stochastic forward passes of one chunk),
    :meth:`_embed_chunk`, :meth:`_architecture`.  The fitted network lives in
    ``net_``; ``history_`` holds the last training run.
    """

    _x_ndim = 2
    _n_groups = 1
    _per_group_batches = False

    # -- parameters ---------------------------------------------------------------------------
    def check_params(self) -> None:
        """Raise :class:`~netal.errors.InvalidInputError` on a bad parameter, before any data is seen.

        ``fit`` checks the same; a configuration reader calls this so that
        ``dropout = 2.0`` or ``lr = -1`` fails when the file is read.
        """
        self._training_settings()
        self._architecture()
        self._chunk_rows()

    def _training_settings(self) -> dict[str, Any]:
        check_positive_float(self.lr, "lr")
        check_positive_float(getattr(self, "weight_decay", 0.0), "weight_decay", allow_zero=True)
        check_unit_interval(self.val_fraction, "val_fraction")
        return {
            "epochs": check_positive_int(self.epochs, "epochs"),
            "batch_size": check_positive_int(self.batch_size, "batch_size"),
            "patience": check_positive_int(self.patience, "patience"),
            "min_delta": float(getattr(self, "min_delta", 0.0)),
            "restore_best": bool(getattr(self, "restore_best_weights", True)),
        }

    def _standardize_target(self) -> bool:
        return True

    def _standardize_inputs(self) -> bool:
        return True

    def _check_target(self, y2: np.ndarray) -> None:
        """Hook for learners with a fixed output width (e.g. a forecasting horizon)."""

    def _architecture(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _build_net(self, n_in: int, n_out: int) -> nn.Module:  # pragma: no cover - abstract
        raise NotImplementedError

    def _batch_loss(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def _weighted_batch_loss(
        self, xb: torch.Tensor, yb: torch.Tensor, wb: torch.Tensor
    ) -> torch.Tensor:
        """The loss with per-row weights ``wb``; learners that cannot weigh rows refuse."""
        raise InvalidInputError(
            "sample_weight", f"{type(self).__name__} does not support per-sample weights"
        )

    def _weighted_val_scores(
        self, X_val: torch.Tensor, y_val: torch.Tensor, w_val: torch.Tensor, epoch: int
    ) -> np.ndarray:
        """Validation scores with per-row weights (see :meth:`_weighted_batch_loss`)."""
        raise InvalidInputError(  # pragma: no cover - _weighted_batch_loss refuses first
            "sample_weight", f"{type(self).__name__} does not support per-sample weights"
        )

    def _val_scores(self, X_val: torch.Tensor, y_val: torch.Tensor, epoch: int) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover

    def _sample_chunk(
        self, xs: torch.Tensor, generator: torch.Generator, shared: Any
    ) -> tuple[torch.Tensor, torch.Tensor | None]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _shared_noise(self, generator: torch.Generator) -> Any:
        return None

    def _embed_chunk(self, xs: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _make_optimizer(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(
            self.net_.parameters(), lr=float(self.lr), weight_decay=float(self.weight_decay)
        )

    # -- fitting --------------------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        validation_data: tuple[Any, Any] | None = None,
    ) -> Any:
        """Fit from scratch (new initialization, new standardization).

        Parameters
        ----------
        X
            Training inputs.
        y
            Targets, ``(n,)`` or ``(n, h)``.
        sample_weight
            Optional ``(n,)`` non-negative weights of the rows' loss terms
            (scikit-learn's convention; e.g. the inverse of each label's noise
            variance).  They are scaled to mean 1, so only their ratios
            matter; the validation split's early-stopping score is weighted
            alike.  ``None``: every row weighs the same (the unweighted fit,
            unchanged).
        validation_data
            Optional ``(X_val, y_val)`` used for early stopping instead of a
            ``val_fraction`` split of the training data (unweighted).
        """
        X_arr, y_arr = check_training_data(X, y, x_ndim=self._x_ndim)
        weights = self._check_weights(sample_weight, len(X_arr))
        settings = self._training_settings()
        self._seed = resolve_seed(self.random_state)
        self._n_fits = 0
        y2 = as_2d_target(y_arr)
        self._check_target(y2)
        self._x_scaler = Standardizer(enabled=self._standardize_inputs()).fit(X_arr)
        self._y_scaler = Standardizer(enabled=self._standardize_target()).fit(y2)
        self._target_ndim = y_arr.ndim
        self._sample_shape = tuple(X_arr.shape[1:])
        self.n_features_in_ = int(self._sample_shape[-1])
        self._n_outputs = y2.shape[1]
        with torch_seeded(derive_seed(self._seed, _INIT_TAG)):
            self.net_ = self._build_net(X_arr.shape[-1], self._n_outputs)
        self._optimizer = self._make_optimizer()
        self._train(X_arr, y2, validation_data, settings, weights)
        return self

    def partial_fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        validation_data: tuple[Any, Any] | None = None,
    ) -> Any:
        """Continue training the current weights (and optimizer state) on ``(X, y)``.

        The standardization learned by the first :meth:`fit` is kept so earlier
        and later data share one scale.  Fits from scratch when not yet fitted.
        ``sample_weight`` as in :meth:`fit`.
        """
        if getattr(self, "net_", None) is None:
            return self.fit(X, y, sample_weight, validation_data=validation_data)
        X_arr, y_arr = check_training_data(X, y, x_ndim=self._x_ndim)
        weights = self._check_weights(sample_weight, len(X_arr))
        check_inputs(X_arr, sample_shape=self._sample_shape, learner=type(self).__name__)
        y2 = as_2d_target(y_arr)
        if y2.shape[1] != self._n_outputs:
            raise ShapeMismatchError(
                "y", f"has {y2.shape[1]} outputs but the learner was fitted on {self._n_outputs}"
            )
        self._train(X_arr, y2, validation_data, self._training_settings(), weights)
        return self

    def _check_weights(self, sample_weight: Any, n_rows: int) -> np.ndarray | None:
        """``sample_weight`` as float32 ``(n,)`` scaled to mean 1, or None; errors name it."""
        if sample_weight is None:
            return None
        weights = as_float_array(sample_weight, "sample_weight", ndim=1)
        if len(weights) != n_rows:
            raise ShapeMismatchError(
                "sample_weight", f"has {len(weights)} weights for {n_rows} training rows"
            )
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise InvalidInputError("sample_weight", "must be finite and >= 0")
        if weights.sum() <= 0:
            raise InvalidInputError("sample_weight", "are all zero: no row would be trained on")
        return (weights / weights.mean()).astype(np.float32)

    def _split(
        self, X: np.ndarray, y2: np.ndarray, validation_data: tuple[Any, Any] | None, seed: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        if validation_data is not None:
            X_val = check_inputs(
                validation_data[0], sample_shape=self._sample_shape, parameter="X_val"
            )
            y_val = as_float_array(validation_data[1], "y_val", ndim=(1, 2))
            check_same_length(X_val, y_val, "X_val", "y_val")
            y_val2 = as_2d_target(y_val)
            if y_val2.shape[1] != y2.shape[1]:
                raise ShapeMismatchError(
                    "y_val", f"has {y_val2.shape[1]} outputs but y has {y2.shape[1]}"
                )
            return X, y2, X_val, y_val2
        train_idx, val_idx = validation_split(len(X), float(self.val_fraction), seed)
        if len(val_idx) == 0:
            return X, y2, None, None
        return X[train_idx], y2[train_idx], X[val_idx], y2[val_idx]

    def _train(
        self,
        X: np.ndarray,
        y2: np.ndarray,
        validation_data: tuple[Any, Any] | None,
        settings: dict[str, Any],
        weights: np.ndarray | None = None,
    ) -> TrainingHistory:
        fit_seed = derive_seed(self._seed, _FIT_TAG, self._n_fits)
        self._n_fits += 1
        X_tr, y_tr, X_val, y_val = self._split(X, y2, validation_data, fit_seed)
        xs = torch.from_numpy(self._x_scaler.transform(X_tr))
        ys = torch.from_numpy(self._y_scaler.transform(y_tr))
        w_tr = w_val = None
        if weights is not None:  # the same rows as _split took (same seed)
            w_tr, w_val = self._split_weights(weights, validation_data, fit_seed)
        validate = None
        if X_val is not None and y_val is not None:
            xv = torch.from_numpy(self._x_scaler.transform(X_val))
            yv = torch.from_numpy(y_val.astype(np.float32))

            def validate(epoch: int) -> np.ndarray:
                with torch.no_grad():
                    if w_val is None:
                        return self._val_scores(xv, yv, epoch)
                    return self._weighted_val_scores(xv, yv, w_val, epoch)

        def batch_loss(index: torch.Tensor) -> torch.Tensor:
            if w_tr is None:
                return self._batch_loss(xs[index], ys[index])
            return self._weighted_batch_loss(xs[index], ys[index], w_tr[index])

        with torch_seeded(fit_seed):
            self.history_ = train_loop(
                self.net_,
                self._optimizer,
                n_rows=len(xs),
                batch_size=settings["batch_size"],
                epochs=settings["epochs"],
                batch_loss=batch_loss,
                validate=validate,
                generator=make_generator(fit_seed),
                patience=settings["patience"],
                min_delta=settings["min_delta"],
                n_groups=self._n_groups,
                per_group_batches=self._per_group_batches,
                restore_best=settings["restore_best"],
            )
        self._after_training(xs, ys, settings)
        return self.history_

    def _after_training(self, xs: torch.Tensor, ys: torch.Tensor, settings: dict[str, Any]) -> None:
        """Hook after each training run, given its (standardized) training rows; nothing here."""

    def _split_weights(
        self, weights: np.ndarray, validation_data: tuple[Any, Any] | None, seed: int
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The training and validation rows' weights, split as :meth:`_split` splits the rows."""
        if validation_data is not None:
            return torch.from_numpy(weights), None
        train_idx, val_idx = validation_split(len(weights), float(self.val_fraction), seed)
        if len(val_idx) == 0:
            return torch.from_numpy(weights), None
        return torch.from_numpy(weights[train_idx]), torch.from_numpy(weights[val_idx])

    # -- prediction -----------------------------------------------------------------------------
    def _chunk_rows(self) -> int:
        return check_positive_int(self.chunk_size, "chunk_size")

    def _predict_moments(
        self, xs: torch.Tensor, seed: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """Score ``xs`` chunk by chunk, in original target units.

        Returns the per-pass/member means ``(S, n, h)`` as float32, and their
        mean, variance (epistemic) and the mean noise variance (aleatoric, or
        ``None``) as float64 ``(n, h)``, each computed per chunk so no
        temporary larger than one chunk's ``(S, chunk, h)`` is made.
        """
        generator = make_generator(seed)
        shared = self._shared_noise(generator)
        scale = torch.as_tensor(self._y_scaler.scale_, dtype=torch.float32)
        offset = torch.as_tensor(self._y_scaler.mean_, dtype=torch.float32)
        step = self._chunk_rows()
        samples = mean = epistemic = aleatoric = None
        with torch.no_grad():
            for start in range(0, len(xs), step):
                stop = min(start + step, len(xs))
                means, variances = self._sample_chunk(xs[start:stop], generator, shared)
                chunk = means * scale + offset  # (S, c, h), original units
                if samples is None:
                    n_samples, n_out = chunk.shape[0], chunk.shape[-1]
                    samples = np.empty((n_samples, len(xs), n_out), dtype=np.float32)
                    mean = np.empty((len(xs), n_out))
                    epistemic = np.empty((len(xs), n_out))
                    if variances is not None:
                        aleatoric = np.empty((len(xs), n_out))
                samples[:, start:stop] = chunk.numpy()
                wide = chunk.double()
                mean[start:stop] = wide.mean(dim=0).numpy()
                epistemic[start:stop] = wide.var(dim=0, correction=0).numpy()
                if aleatoric is not None and variances is not None:
                    aleatoric[start:stop] = (variances.double() * scale.double() ** 2).numpy()
        return samples, mean, epistemic, aleatoric

    def predict_dist(self, X: Any) -> PredictiveDistribution:
        """Predictive mean, epistemic and aleatoric variance, and per-pass/member means.

        Rows are scored in chunks of ``chunk_size``: apart from the returned
        arrays (``samples`` is float32 ``(S, n, ...)``, the rest float64),
        memory stays bounded by one chunk.  Results are in the target's
        original units and keep its shape.
        """
        check_fitted(self, "net_")
        X_arr = check_inputs(X, sample_shape=self._sample_shape, learner=type(self).__name__)
        xs = torch.from_numpy(self._x_scaler.transform(X_arr))
        self.net_.eval()
        samples, mean, epistemic, aleatoric = self._predict_moments(
            xs, derive_seed(self._seed, _PREDICT_TAG)
        )
        ndim = self._target_ndim
        return PredictiveDistribution(
            mean=restore_target_shape(mean, ndim),
            epistemic_var=restore_target_shape(epistemic, ndim),
            aleatoric_var=restore_target_shape(
                np.zeros_like(mean) if aleatoric is None else aleatoric, ndim
            ),
            samples=restore_target_shape(samples, ndim),
        )

    def embed(self, X: Any) -> np.ndarray:
        """Last-hidden-layer features with dropout off, float32 ``(n, d)``.

        Rows are standardized and embedded ``chunk_size`` at a time straight
        into the preallocated result, so apart from it memory stays bounded by
        one chunk (the features are never held twice).
        """
        check_fitted(self, "net_")
        X_arr = check_inputs(X, sample_shape=self._sample_shape, learner=type(self).__name__)
        self.net_.eval()
        step = self._chunk_rows()
        features: np.ndarray | None = None
        with torch.no_grad():
            for start in range(0, len(X_arr), step):
                xs = torch.from_numpy(self._x_scaler.transform(X_arr[start : start + step]))
                part = self._embed_chunk(xs).numpy()
                if features is None:
                    features = np.empty((len(X_arr), part.shape[1]), dtype=np.float32)
                features[start : start + len(part)] = part
        if features is None:
            raise ShapeMismatchError("X", "has no rows to embed")
        return features

    # -- checkpoints ----------------------------------------------------------------------------
    def get_state(self) -> bytes:
        """Weights, optimizer state, standardizers and seeds as bytes (``torch.save``)."""
        check_fitted(self, "net_")
        return save_state(
            {
                "kind": type(self).__name__,
                "architecture": self._architecture(),
                "n_in": int(self._sample_shape[-1]),
                "n_outputs": int(self._n_outputs),
                "sample_shape": list(self._sample_shape),
                "target_ndim": int(self._target_ndim),
                "seed": int(self._seed),
                "n_fits": int(self._n_fits),
                "x_scaler": self._x_scaler.get_state(),
                "y_scaler": self._y_scaler.get_state(),
                "net": self.net_.state_dict(),
                "optimizer": self._optimizer.state_dict(),
            }
        )

    def set_state(self, state: bytes) -> None:
        """Restore a checkpoint made by :meth:`get_state` of a learner with the same architecture."""
        payload = load_checkpoint(state, type(self).__name__, self._architecture())
        self._sample_shape = tuple(payload["sample_shape"])
        self.n_features_in_ = int(self._sample_shape[-1])
        self._n_outputs = payload["n_outputs"]
        self._target_ndim = payload["target_ndim"]
        self._seed = payload["seed"]
        self._n_fits = payload["n_fits"]
        self._x_scaler = Standardizer.from_state(payload["x_scaler"])
        self._y_scaler = Standardizer.from_state(payload["y_scaler"])
        with torch_seeded(0):  # the initial values are overwritten; keep the caller's RNG intact
            self.net_ = self._build_net(payload["n_in"], payload["n_outputs"])
        self.net_.load_state_dict(payload["net"])
        self.net_.eval()
        self._optimizer = self._make_optimizer()
        self._optimizer.load_state_dict(payload["optimizer"])
