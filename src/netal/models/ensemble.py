"""Deep ensemble of MLPs trained together as one stacked model.

Lakshminarayanan, Pritzel and Blundell, "Simple and Scalable Predictive
Uncertainty Estimation using Deep Ensembles", NeurIPS 2017: ``K`` networks
with different random initializations (and data orders), each optionally with
a heteroscedastic Gaussian head trained by negative log-likelihood (Nix and
Weigend, 1994); the mixture's variance splits into the variance of the member
means (epistemic) and the mean of the member noise variances (aleatoric).

All members live in one module: weights are stacked as ``(K, in, out)`` and
applied with batched matrix products (:class:`~netal.models._layers.StackedLinear`),
so one optimizer step updates every member.  Each member draws its own
minibatch order: a ``(K, B)`` index tensor selects a different batch per
member.  Early stopping tracks each member's validation loss separately and
restores each member's own best epoch.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from netal._validation import check_positive_int
from netal.models._common import check_hidden
from netal.models._gaussian_head import GaussianHeadNet, GaussianHeadRegressor
from netal.models._layers import StackedLinear
from netal.models._registry import LEARNERS


class StackedMLPNet(GaussianHeadNet):
    """``K`` ReLU MLPs with stacked weights; input ``(n, in)`` or ``(K, n, in)`` -> ``(K, n, out)``."""

    def __init__(
        self, n_members: int, n_in: int, n_out: int, hidden: tuple[int, ...], heteroscedastic: bool
    ) -> None:
        super().__init__(
            n_in, n_out, hidden, heteroscedastic, functools.partial(StackedLinear, n_members)
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Each member's last hidden layer, ``(K, n, hidden[-1])``."""
        for layer in self.hidden:
            x = F.relu(layer(x))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Member outputs ``(K, n, out)``."""
        return self.head(self.features(x))


@LEARNERS.register("deep_ensemble")
class DeepEnsemble(GaussianHeadRegressor):
    """Deep ensemble regressor (members trained jointly as one stacked network).

    Parameters
    ----------
    n_members
        Number of members ``K``.
    hidden
        Hidden-layer widths of every member.
    heteroscedastic
        Give each member a Gaussian variance head (NLL training) as in
        Lakshminarayanan et al.; ``False`` trains with squared error and
        reports zero aleatoric variance.
    beta
        beta-NLL exponent (Seitzer et al., ICLR 2022); 0 is the plain NLL.
    epochs, batch_size, lr, weight_decay
        Adam settings; every member sees ``batch_size`` rows per step.
    patience
        Early-stopping patience per member.
    val_fraction
        Share of the training rows held out for early stopping (0 disables).
    random_state
        Seed; same data and seed give bit-identical predictions.
    chunk_size
        Rows scored per chunk.
    min_var
        Variance floor of the heteroscedastic head (standardized units).

    Notes
    -----
    ``embed`` concatenates the members' last hidden layers, ``(n, K * hidden[-1])``.
    """

    _per_group_batches = True

    def __init__(
        self,
        n_members: int = 5,
        hidden: tuple[int, ...] = (64, 64),
        heteroscedastic: bool = True,
        beta: float = 0.0,
        epochs: int = 200,
        batch_size: int = 128,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        patience: int = 20,
        val_fraction: float = 0.1,
        random_state: int | None = None,
        chunk_size: int = 2048,
        min_var: float = 1e-6,
    ) -> None:
        self.n_members = n_members
        self.hidden = hidden
        self.heteroscedastic = heteroscedastic
        self.beta = beta
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.patience = patience
        self.val_fraction = val_fraction
        self.random_state = random_state
        self.chunk_size = chunk_size
        self.min_var = min_var

    @property
    def _n_groups(self) -> int:  # type: ignore[override]
        return check_positive_int(self.n_members, "n_members")

    def _architecture(self) -> dict[str, Any]:
        return {
            "n_members": check_positive_int(self.n_members, "n_members"),
            "hidden": list(check_hidden(self.hidden)),
            "heteroscedastic": bool(self.heteroscedastic),
        }

    def _make_net(self, n_in: int, n_out: int, arch: dict[str, Any]) -> nn.Module:
        return StackedMLPNet(
            arch["n_members"], n_in, n_out, tuple(arch["hidden"]), arch["heteroscedastic"]
        )

    def _member_losses(self, terms: torch.Tensor) -> torch.Tensor:
        # terms: (K, B, h), from xb (K, B, in) in training (a batch per member)
        return terms.mean(dim=(1, 2))

    def _head_outputs(
        self, xs: torch.Tensor, generator: torch.Generator, shared: Any
    ) -> torch.Tensor:
        return self.net_(xs)

    def _embed_chunk(self, xs: torch.Tensor) -> torch.Tensor:
        features = self.net_.features(xs)  # (K, n, d)
        return features.permute(1, 0, 2).reshape(len(xs), -1)
