"""The learner of a federation: netal's MC-dropout MLP with shared scaling and a FedProx term.

FedAvg averages parameters, so every client and the server must speak the same
parameter space: the same architecture, the same initial weights and the same
input and target scaling.  :class:`FederatedMLP` is :class:`~netal.models.MCDropoutMLP`
with its per-fit standardization switched off (the data arrive already scaled by
the federation's common statistics) and, when ``proximal_mu > 0``, the proximal
term of FedProx (Li et al., "Federated Optimization in Heterogeneous Networks",
MLSys 2020) added to every batch loss: ``mu / 2 * ||w - w_global||^2``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from netal.errors import InvalidInputError
from netal.models import MCDropoutMLP


class FederatedMLP(MCDropoutMLP):
    """MC-dropout MLP for federated rounds (parameters as in :class:`~netal.models.MCDropoutMLP`).

    Parameters
    ----------
    hidden, dropout, n_passes, heteroscedastic, beta, epochs, batch_size, lr, weight_decay,
    patience, val_fraction, random_state, chunk_size, consistent_masks, min_var
        As in :class:`~netal.models.MCDropoutMLP` (``val_fraction`` defaults to 0: a
        client's few labels all train; ``epochs`` are the local epochs of a round).
    proximal_mu
        Weight of the FedProx proximal term (0 = plain FedAvg local training).

    References
    ----------
    McMahan et al., "Communication-Efficient Learning of Deep Networks from
    Decentralized Data", AISTATS 2017 (FedAvg); Li et al., MLSys 2020 (FedProx);
    Gal and Ghahramani, ICML 2016 (MC dropout).
    """

    def __init__(
        self,
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
        val_fraction: float = 0.0,
        random_state: int | None = None,
        chunk_size: int = 2048,
        consistent_masks: bool = True,
        min_var: float = 1e-6,
        proximal_mu: float = 0.0,
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
        self.proximal_mu = proximal_mu

    def _standardize_inputs(self) -> bool:
        return False

    def _standardize_target(self) -> bool:
        return False

    def _batch_loss(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        loss = super()._batch_loss(xb, yb)
        anchor = getattr(self, "_anchor", None)
        if anchor is None or not self.proximal_mu:
            return loss
        prox = sum(
            ((w - a) ** 2).sum() for w, a in zip(self.net_.parameters(), anchor, strict=True)
        )
        return loss + 0.5 * float(self.proximal_mu) * prox

    # -- the parameter arrays that travel ---------------------------------------------------------
    def build(self, n_features: int) -> FederatedMLP:
        """Create the network without learning anything from data.

        The network is made by a one-epoch fit on two all-zero rows with target 0
        (so its initial weights depend only on ``random_state``); callers then load
        the global weights with :meth:`set_weights`.
        """
        if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 1:
            raise InvalidInputError("n_features", f"must be a positive integer, got {n_features!r}")
        epochs, val = self.epochs, self.val_fraction
        self.set_params(epochs=1, val_fraction=0.0)
        try:
            MCDropoutMLP.fit(self, np.zeros((2, n_features)), np.zeros(2))
        finally:
            self.set_params(epochs=epochs, val_fraction=val)
        return self

    def weights(self) -> list[np.ndarray]:
        """The network's parameter arrays (float32 copies, in ``state_dict`` order)."""
        return [t.detach().cpu().numpy().copy() for t in self.net_.state_dict().values()]

    def set_weights(self, arrays: list[np.ndarray]) -> None:
        """Load parameter arrays made by :meth:`weights` of the same architecture."""
        state = self.net_.state_dict()
        if len(arrays) != len(state):
            raise InvalidInputError(
                "arrays", f"has {len(arrays)} arrays but the network has {len(state)}"
            )
        new = {}
        for (name, old), array in zip(state.items(), arrays, strict=True):
            if tuple(old.shape) != tuple(np.shape(array)):
                raise InvalidInputError(
                    "arrays", f"{name} has shape {np.shape(array)}, expected {tuple(old.shape)}"
                )
            new[name] = torch.as_tensor(np.asarray(array, dtype=np.float32))
        self.net_.load_state_dict(new)
        self._optimizer = self._make_optimizer()  # a fresh Adam per round (standard local SGD)

    def train_from(self, arrays: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> FederatedMLP:
        """One client's local update: load the global ``arrays``, train ``epochs`` on ``(X, y)``."""
        self.set_weights(arrays)
        self._anchor = [p.detach().clone() for p in self.net_.parameters()]
        try:
            self.partial_fit(X, y)
        finally:
            self._anchor = None
        return self


class GlobalModel(FederatedMLP):
    """The engine's learner when its model version is the global model.

    A client's engine trains a model version with ``fit``; here that loads the
    server's latest weights (:attr:`source_weights`, set by the client before
    it trains the version) instead of learning from the labels: the global
    model's training is the federation's (local updates and FedAvg).  The weights
    are state, not a parameter, so the engine's run fingerprint stays the same
    from round to round.
    """

    source_weights: list[np.ndarray] | None = None

    def fit(self, X: Any, y: Any, *, validation_data: tuple[Any, Any] | None = None) -> GlobalModel:
        """Become the global model (``source_weights``); ``X`` only gives the feature width."""
        if self.source_weights is None:
            raise InvalidInputError("source_weights", "set the global weights before training")
        self.build(int(np.shape(X)[-1]))
        self.set_weights(self.source_weights)
        return self
