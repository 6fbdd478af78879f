"""Shared machinery of the PyTorch classifiers: labels, class weights, fitting, scoring, checkpoints.

The classification counterpart of :mod:`netal.models._torch_base`: the same
training loop (:func:`~netal.models._training.train_loop`, early stopping per
member), input standardization, seeding and ``torch.save`` checkpoints, with a
class-weighted cross-entropy instead of a Gaussian loss and
:class:`~netal.models.base.ClassDistribution` (softmax of every stochastic
pass or member) instead of a Gaussian predictive distribution.

Labels are whatever the engine stores (floats such as ``0.0``/``1.0``); the
classes are the given ``classes`` or those seen by ``fit``.  Giving
``classes`` keeps the network's width fixed while the labeled set still lacks
a class (the usual cold start of anomaly detection, where the first labels
are all normal).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator, ClassifierMixin
from torch import nn

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.models._common import (
    check_fitted,
    check_inputs,
    check_positive_float,
    check_training_data,
    check_unit_interval,
)
from netal.models._scaling import Standardizer
from netal.models._training import load_checkpoint, save_state, train_loop, validation_split
from netal.models.base import ClassDistribution
from netal.models.seeding import derive_seed, make_generator, resolve_seed, torch_seeded

_INIT_TAG, _FIT_TAG, _PREDICT_TAG = 0, 1, 2
CLASS_WEIGHTS = ("balanced", None)
"""Allowed ``class_weight`` values: inverse class frequency (scikit-learn's "balanced") or none."""


def encode_labels(y: np.ndarray, classes: Any) -> tuple[np.ndarray, np.ndarray]:
    """The classes (given, or sorted unique labels of ``y``) and ``y`` as class indices.

    Raises
    ------
    InvalidInputError
        ``y`` holds a label outside the given ``classes`` (named), or
        ``classes`` has fewer than two distinct values.
    """
    labels = np.asarray(y, dtype=np.float64).reshape(-1)
    if classes is None:
        known = np.unique(labels)
    else:
        known = np.unique(np.asarray(list(classes), dtype=np.float64))
        if len(known) < 2:
            raise InvalidInputError("classes", f"needs at least two classes, got {classes!r}")
        unknown = labels[~np.isin(labels, known)]
        if len(unknown):
            raise InvalidInputError(
                "y", f"has label {unknown[0]!r}, not one of classes {known.tolist()}"
            )
    return known, np.searchsorted(known, labels).astype(np.int64)


def class_weights(codes: np.ndarray, n_classes: int, class_weight: Any) -> np.ndarray:
    """Per-class loss weights: ``n / (k * count)`` for the classes present ("balanced"), else 1.

    Classes absent from the training labels get weight 1 (they contribute no
    loss term anyway).  ``class_weight=None`` gives all ones.
    """
    if class_weight not in CLASS_WEIGHTS:
        raise InvalidInputError("class_weight", f"must be 'balanced' or None, got {class_weight!r}")
    weights = np.ones(n_classes)
    if class_weight == "balanced" and len(codes):
        counts = np.bincount(codes, minlength=n_classes).astype(np.float64)
        present = counts > 0
        weights[present] = len(codes) / (present.sum() * counts[present])
    return weights


class TorchClassifier(ClassifierMixin, BaseEstimator):
    """Base class: subclasses define the network and its stochastic passes; this class does the rest.

    Subclass hooks: :meth:`_architecture`, :meth:`_make_net`,
    :meth:`_train_logits` (logits of a training batch, ``(B, K)`` or
    ``(G, B, K)`` for ``G`` stacked members), :meth:`_shared_noise` and
    :meth:`_sample_logits` (the ``(S, c, K)`` logits of one chunk) and
    :meth:`_embed_chunk`.  Subclasses have the parameters ``epochs``,
    ``batch_size``, ``lr``, ``weight_decay``, ``patience``, ``val_fraction``,
    ``class_weight``, ``classes``, ``random_state`` and ``chunk_size``.
    """

    _n_groups = 1
    _per_group_batches = False

    # -- hooks ----------------------------------------------------------------------------------
    def _architecture(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _make_net(self, n_in: int, n_classes: int, arch: dict[str, Any]) -> nn.Module:
        raise NotImplementedError  # pragma: no cover - abstract

    def _train_logits(self, xb: torch.Tensor) -> torch.Tensor:
        return self.net_(xb)

    def _shared_noise(self, generator: torch.Generator) -> Any:
        return None

    def _sample_logits(
        self, xs: torch.Tensor, generator: torch.Generator, shared: Any
    ) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _embed_chunk(self, xs: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- parameters -----------------------------------------------------------------------------
    def check_params(self) -> None:
        """Raise :class:`~netal.errors.InvalidInputError` on a bad parameter, before any data is seen."""
        self._settings()
        self._architecture()
        class_weights(np.zeros(0, dtype=np.int64), 2, self.class_weight)
        if self.classes is not None:
            encode_labels(np.zeros(0), self.classes)

    def _settings(self) -> dict[str, Any]:
        check_positive_float(self.lr, "lr")
        check_positive_float(self.weight_decay, "weight_decay", allow_zero=True)
        check_unit_interval(self.val_fraction, "val_fraction")
        check_positive_int(self.chunk_size, "chunk_size")
        return {
            "epochs": check_positive_int(self.epochs, "epochs"),
            "batch_size": check_positive_int(self.batch_size, "batch_size"),
            "patience": check_positive_int(self.patience, "patience"),
        }

    # -- fitting --------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> Any:
        """Fit from scratch on ``(X, y)``; ``y`` holds class labels (floats are fine).

        Parameters
        ----------
        X
            Training inputs, ``(n, d)``.
        y
            Labels, ``(n,)``; with ``classes`` given, each must be one of them.
        """
        X_arr, y_arr = check_training_data(X, y, x_ndim=2)
        settings = self._settings()
        self.classes_, codes = encode_labels(y_arr, self.classes)
        self.class_weights_ = class_weights(codes, len(self.classes_), self.class_weight)
        self._seed = resolve_seed(self.random_state)
        self._n_fits = 0
        self._x_scaler = Standardizer().fit(X_arr)
        self.n_features_in_ = int(X_arr.shape[1])
        with torch_seeded(derive_seed(self._seed, _INIT_TAG)):
            self.net_ = self._make_net(X_arr.shape[1], len(self.classes_), self._architecture())
        self._optimizer = torch.optim.Adam(
            self.net_.parameters(), lr=float(self.lr), weight_decay=float(self.weight_decay)
        )
        self._train(X_arr, codes, settings)
        return self

    def partial_fit(self, X: Any, y: Any) -> Any:
        """Continue training the current weights on ``(X, y)`` (classes and scaling kept)."""
        if getattr(self, "net_", None) is None:
            return self.fit(X, y)
        X_arr, y_arr = check_training_data(X, y, x_ndim=2)
        X_arr = check_inputs(
            X_arr, sample_shape=(self.n_features_in_,), learner=type(self).__name__
        )
        _, codes = encode_labels(y_arr, self.classes_)
        self._train(X_arr, codes, self._settings())
        return self

    def _losses(self, logits: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Mean weighted cross-entropy per trained network, ``(G,)``."""
        weight = torch.as_tensor(self.class_weights_, dtype=logits.dtype)
        terms = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), codes.reshape(-1), weight=weight, reduction="none"
        ).reshape(codes.shape)
        return terms.mean(dim=-1).reshape(-1)

    def _train(self, X: np.ndarray, codes: np.ndarray, settings: dict[str, Any]) -> None:
        fit_seed = derive_seed(self._seed, _FIT_TAG, self._n_fits)
        self._n_fits += 1
        train_idx, val_idx = validation_split(len(X), float(self.val_fraction), fit_seed)
        xs = torch.from_numpy(self._x_scaler.transform(X[train_idx]))
        ys = torch.from_numpy(codes[train_idx])
        validate = None
        if len(val_idx):
            xv = torch.from_numpy(self._x_scaler.transform(X[val_idx]))
            yv = torch.from_numpy(codes[val_idx])
            groups = self._n_groups

            def validate(epoch: int) -> np.ndarray:
                logits = self.net_(xv)
                if groups > 1:
                    return self._losses(logits, yv.expand(groups, -1)).numpy()
                return self._losses(logits, yv).numpy()

        def batch_loss(index: torch.Tensor) -> torch.Tensor:
            return self._losses(self._train_logits(xs[index]), ys[index]).sum()

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
                n_groups=self._n_groups,
                per_group_batches=self._per_group_batches,
            )

    # -- prediction -----------------------------------------------------------------------------
    def _scaled(self, X: Any) -> torch.Tensor:
        check_fitted(self, "net_")
        X_arr = check_inputs(X, sample_shape=(self.n_features_in_,), learner=type(self).__name__)
        self.net_.eval()
        return torch.from_numpy(self._x_scaler.transform(X_arr))

    def predict_proba_dist(self, X: Any) -> ClassDistribution:
        """Softmax probabilities of every pass or member, ``(S, n, K)``, and their mean.

        Rows are scored ``chunk_size`` at a time; the same passes (dropout
        masks) score every row, so the result does not depend on chunking.
        """
        xs = self._scaled(X)
        generator = make_generator(derive_seed(self._seed, _PREDICT_TAG))
        shared = self._shared_noise(generator)
        step = check_positive_int(self.chunk_size, "chunk_size")
        samples: np.ndarray | None = None
        with torch.no_grad():
            for start in range(0, len(xs), step):
                stop = min(start + step, len(xs))
                proba = torch.softmax(self._sample_logits(xs[start:stop], generator, shared), -1)
                if samples is None:
                    samples = np.empty((proba.shape[0], len(xs), proba.shape[-1]), np.float32)
                samples[:, start:stop] = proba.numpy()
        if samples is None:
            samples = np.zeros((1, 0, len(self.classes_)), np.float32)
        mean = samples.mean(axis=0, dtype=np.float64)
        return ClassDistribution(proba=mean, classes=self.classes_.copy(), samples=samples)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Mean class probabilities, ``(n, K)`` in the order of ``classes_``."""
        return self.predict_proba_dist(X).proba

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row (a value of ``classes_``)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def embed(self, X: Any) -> np.ndarray:
        """Last-hidden-layer features with dropout off, float32 ``(n, d)``."""
        xs = self._scaled(X)
        step = check_positive_int(self.chunk_size, "chunk_size")
        parts = []
        with torch.no_grad():
            for start in range(0, len(xs), step):
                parts.append(self._embed_chunk(xs[start : start + step]).numpy())
        return np.concatenate(parts).astype(np.float32, copy=False)

    # -- checkpoints ----------------------------------------------------------------------------
    def get_state(self) -> bytes:
        """Weights, optimizer state, classes, class weights, scaling and seeds as bytes."""
        check_fitted(self, "net_")
        return save_state(
            {
                "kind": type(self).__name__,
                "architecture": self._architecture(),
                "n_in": int(self.n_features_in_),
                "classes": [float(c) for c in self.classes_],
                "class_weights": [float(w) for w in self.class_weights_],
                "seed": int(self._seed),
                "n_fits": int(self._n_fits),
                "x_scaler": self._x_scaler.get_state(),
                "net": self.net_.state_dict(),
                "optimizer": self._optimizer.state_dict(),
            }
        )

    def set_state(self, state: bytes) -> None:
        """Restore a checkpoint made by :meth:`get_state` of a classifier with the same architecture."""
        payload = load_checkpoint(state, type(self).__name__, self._architecture())
        self.n_features_in_ = int(payload["n_in"])
        self.classes_ = np.asarray(payload["classes"], dtype=np.float64)
        self.class_weights_ = np.asarray(payload["class_weights"], dtype=np.float64)
        self._seed = payload["seed"]
        self._n_fits = payload["n_fits"]
        self._x_scaler = Standardizer.from_state(payload["x_scaler"])
        with torch_seeded(0):  # the initial values are overwritten; keep the caller's RNG intact
            self.net_ = self._make_net(
                self.n_features_in_, len(self.classes_), self._architecture()
            )
        self.net_.load_state_dict(payload["net"])
        self.net_.eval()
        self._optimizer = torch.optim.Adam(
            self.net_.parameters(), lr=float(self.lr), weight_decay=float(self.weight_decay)
        )
        self._optimizer.load_state_dict(payload["optimizer"])
