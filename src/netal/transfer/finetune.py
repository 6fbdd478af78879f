"""Pretraining on the source and fine-tuning policies on the target.

:func:`pretrain` fits an :class:`~netal.models.MCDropoutMLP` on the source
rows (early stopping on the source validation part) and returns its checkpoint.
:class:`FineTunedMLP` is the same learner that starts every ``fit`` from that
checkpoint (weights and the source's input and target standardization) and
adapts it to the target labels under a policy of :data:`FINETUNE_POLICIES`:

=================  ===========================================================================
``full``           every weight trains (plain fine-tuning, Yosinski et al., NeurIPS 2014)
``last_layers``    only the last ``n_trainable`` linear layers train (the head, then hidden
                   layers from the top); the rest is a frozen feature extractor
``l2sp``           every weight trains with the penalty ``alpha / 2 * ||w - w_source||^2``
                   that anchors it to the source weights (L2-SP, Li, Grandvalet and Davoine,
                   "Explicit Inductive Bias for Transfer Learning with Convolutional
                   Networks", ICML 2018)
``none``           no training: the source model as is (the "no adaptation" arm)
=================  ===========================================================================

Because ``fit`` always restarts from the source checkpoint, the engine's
``"scratch"`` retrain policy gives "fine-tune the source model on every
target label so far" at each round, and a resumed run refits the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.models import MCDropoutMLP, Standardizer
from netal.models.seeding import resolve_seed
from netal.registry import Registry


class FineTunePolicy:
    """Which weights train and what penalty is added (base: ``full``)."""

    name = "full"
    trains = True
    anchored = False

    def freeze(self, net: nn.Module, n_trainable: int) -> None:
        """Set ``requires_grad`` of ``net``'s parameters (default: all train)."""
        for parameter in net.parameters():
            parameter.requires_grad_(True)


FINETUNE_POLICIES: Registry[FineTunePolicy] = Registry("fine-tuning policy")
"""Fine-tuning policies by name (``full``, ``last_layers``, ``l2sp``, ``none``)."""

FINETUNE_POLICIES.register("full")(FineTunePolicy)


@FINETUNE_POLICIES.register("last_layers")
class LastLayers(FineTunePolicy):
    """Only the last ``n_trainable`` linear layers train (1: the head alone)."""

    name = "last_layers"

    def freeze(self, net: nn.Module, n_trainable: int) -> None:
        layers = [*net.hidden, net.head]
        for i, layer in enumerate(layers):
            train = i >= len(layers) - n_trainable
            for parameter in layer.parameters():
                parameter.requires_grad_(train)


@FINETUNE_POLICIES.register("l2sp")
class L2SP(FineTunePolicy):
    """Every weight trains, pulled towards its source value (Li et al., ICML 2018)."""

    name = "l2sp"
    anchored = True


@FINETUNE_POLICIES.register("none")
class NoAdaptation(FineTunePolicy):
    """The source model unchanged: ``fit`` only loads it."""

    name = "none"
    trains = False


def pretrain(
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    *,
    seed: int,
    **mlp_params: Any,
) -> np.ndarray:
    """Fit the source model and return its checkpoint as a ``uint8`` array.

    Parameters
    ----------
    X, y
        Source training rows.
    X_val, y_val
        Source validation rows (early stopping); never target rows.
    seed
        Seed of the network's initialization and batches.
    **mlp_params
        Parameters of :class:`~netal.models.MCDropoutMLP` (the same as the
        from-scratch arms', so both start from one architecture).
    """
    model = MCDropoutMLP(**mlp_params, random_state=int(seed))
    model.fit(X, y, validation_data=(X_val, y_val))
    return np.frombuffer(model.get_state(), dtype=np.uint8).copy()


class FineTunedMLP(MCDropoutMLP):
    """An MC-dropout MLP that starts every ``fit`` from a source checkpoint.

    Parameters
    ----------
    source_state
        Checkpoint of the source model (:func:`pretrain`), ``uint8`` array; its
        architecture must be this learner's (``hidden``, ``dropout``,
        ``heteroscedastic``).  Enters the run's fingerprint as a hash.
    policy
        A name of :data:`FINETUNE_POLICIES`.
    alpha
        Strength of the L2-SP penalty (``policy="l2sp"``), per weight, on the
        standardized loss.
    n_trainable
        Number of trainable linear layers, from the head down
        (``policy="last_layers"``).
    rescale_target
        Standardize the target with the target labels' mean and spread
        instead of the source's, rescaling the head so that the model's
        predictions are unchanged before fine-tuning (its loss is then on the
        target's scale).  For a target whose scale is far from the source's
        (ucc5g Download -> Netflix: 41,000 against 800 kbit/s on average).
        Not with ``heteroscedastic``.
    hidden, dropout, n_passes, heteroscedastic, beta, epochs, batch_size, lr, weight_decay, patience, val_fraction, random_state, chunk_size, consistent_masks, min_var
        As in :class:`~netal.models.MCDropoutMLP`.

    Notes
    -----
    The source's standardization of the inputs is kept (the weights only mean
    something on the scale they were trained on), and of the target unless
    ``rescale_target``.

    References
    ----------
    Li, Grandvalet and Davoine, ICML 2018 (L2-SP); Yosinski, Clune, Bengio
    and Lipson, "How transferable are features in deep neural networks?",
    NeurIPS 2014 (fine-tuning the top layers).
    """

    def __init__(
        self,
        source_state: np.ndarray | None = None,
        policy: str = "full",
        alpha: float = 0.01,
        n_trainable: int = 2,
        rescale_target: bool = False,
        hidden: tuple[int, ...] = (64, 64),
        dropout: float = 0.1,
        n_passes: int = 35,
        heteroscedastic: bool = False,
        beta: float = 0.0,
        epochs: int = 200,
        batch_size: int = 128,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        patience: int = 20,
        val_fraction: float = 0.1,
        random_state: int | None = None,
        chunk_size: int = 2048,
        consistent_masks: bool = True,
        min_var: float = 1e-6,
    ) -> None:
        super().__init__(
            hidden=hidden,
            dropout=dropout,
            n_passes=n_passes,
            heteroscedastic=heteroscedastic,
            beta=beta,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            patience=patience,
            val_fraction=val_fraction,
            random_state=random_state,
            chunk_size=chunk_size,
            consistent_masks=consistent_masks,
            min_var=min_var,
        )
        self.source_state = source_state
        self.policy = policy
        self.alpha = alpha
        self.n_trainable = n_trainable
        self.rescale_target = rescale_target

    def _policy(self) -> FineTunePolicy:
        return FINETUNE_POLICIES.create(self.policy)

    def check_params(self) -> None:
        """Raise on a bad parameter before any data is seen (see :class:`MCDropoutMLP`)."""
        super().check_params()
        self._policy()
        if not isinstance(self.alpha, int | float) or not np.isfinite(self.alpha) or self.alpha < 0:
            raise InvalidInputError("alpha", f"must be a finite number >= 0, got {self.alpha!r}")
        n_layers = len(tuple(self.hidden)) + 1
        check_positive_int(self.n_trainable, "n_trainable")
        if self.rescale_target and self.heteroscedastic:
            raise InvalidInputError(
                "rescale_target", "is not available with a heteroscedastic head"
            )
        if self.n_trainable > n_layers:
            raise InvalidInputError(
                "n_trainable", f"is {self.n_trainable} but the network has {n_layers} layers"
            )

    def _source_model(self) -> MCDropoutMLP:
        if self.source_state is None:
            raise InvalidInputError("source_state", "is missing; pretrain() a source model first")
        model = MCDropoutMLP(
            hidden=self.hidden, dropout=self.dropout, heteroscedastic=self.heteroscedastic
        )
        model.set_state(np.asarray(self.source_state, dtype=np.uint8).tobytes())
        return model

    def _load_source(self) -> None:
        source = self._source_model()
        self.net_ = source.net_
        self._x_scaler = source._x_scaler
        self._y_scaler = source._y_scaler
        self._sample_shape = source._sample_shape
        self.n_features_in_ = source.n_features_in_
        self._n_outputs = source._n_outputs
        self._target_ndim = source._target_ndim
        self._seed = resolve_seed(self.random_state)
        self._n_fits = 0
        self._anchor = [p.detach().clone() for p in self.net_.parameters()]
        self._optimizer = self._make_optimizer()

    def fit(self, X: Any, y: Any, *, validation_data: tuple[Any, Any] | None = None) -> Any:
        """Load the source model, then adapt it to ``(X, y)`` under the policy."""
        self.check_params()
        self._load_source()
        if not self._policy().trains:
            self.predict(np.asarray(X)[:1])  # the same input checks as a fit, no training
            return self
        if self.rescale_target:
            self._rescale_head(np.asarray(y, dtype=np.float64))
        return self.partial_fit(X, y, validation_data=validation_data)

    def _rescale_head(self, y: np.ndarray) -> None:
        """Standardize the target on ``y``; rescale the head so predictions stay the same."""
        target = Standardizer().fit(y)
        s_src, m_src = self._y_scaler.scale_, self._y_scaler.mean_
        s_tgt, m_tgt = target.scale_, target.mean_
        head = self.net_.head
        with torch.no_grad():
            ratio = torch.as_tensor(s_src / s_tgt, dtype=head.weight.dtype)
            head.weight.mul_(ratio[:, None])
            shifted = (head.bias.double().numpy() * s_src + m_src - m_tgt) / s_tgt
            head.bias.copy_(torch.as_tensor(shifted, dtype=head.bias.dtype))
        self._y_scaler = target
        self._anchor = [p.detach().clone() for p in self.net_.parameters()]
        self._optimizer = self._make_optimizer()

    def _make_optimizer(self) -> torch.optim.Optimizer:
        self._policy().freeze(self.net_, int(self.n_trainable))
        params = [p for p in self.net_.parameters() if p.requires_grad]
        return torch.optim.Adam(params, lr=float(self.lr), weight_decay=float(self.weight_decay))

    def _batch_loss(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        loss = super()._batch_loss(xb, yb)
        if not self._policy().anchored or self.alpha == 0:
            return loss
        anchor = getattr(self, "_anchor", None)
        if anchor is None:  # restored from a checkpoint: the anchor is the source model
            anchor = self._anchor = [
                p.detach().clone() for p in self._source_model().net_.parameters()
            ]
        drift = sum(
            torch.sum(torch.square(p - a))
            for p, a in zip(self.net_.parameters(), anchor, strict=True)
        )
        return loss + 0.5 * float(self.alpha) * drift
