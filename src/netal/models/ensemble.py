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

import itertools
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from netal._validation import check_positive_int
from netal.models._common import check_hidden, check_positive_float, check_unit_interval
from netal.models._layers import StackedLinear
from netal.models._registry import LEARNERS
from netal.models._torch_base import TorchRegressor
from netal.models._training import gaussian_nll, variance_from_raw


class StackedMLPNet(nn.Module):
    """``K`` ReLU MLPs with stacked weights; input ``(n, in)`` or ``(K, n, in)`` -> ``(K, n, out)``."""

    def __init__(
        self, n_members: int, n_in: int, n_out: int, hidden: tuple[int, ...], heteroscedastic: bool
    ) -> None:
        super().__init__()
        widths = (n_in, *hidden)
        self.hidden = nn.ModuleList(
            StackedLinear(n_members, a, b) for a, b in itertools.pairwise(widths)
        )
        self.head = StackedLinear(n_members, hidden[-1], 2 * n_out if heteroscedastic else n_out)
        self.n_out = n_out
        self.heteroscedastic = heteroscedastic

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Each member's last hidden layer, ``(K, n, hidden[-1])``."""
        for layer in self.hidden:
            x = F.relu(layer(x))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Member outputs ``(K, n, out)``."""
        return self.head(self.features(x))

    def split(self, out: torch.Tensor, min_var: float) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Mean and (if heteroscedastic) variance from the head output."""
        if not self.heteroscedastic:
            return out, None
        return out[..., : self.n_out], variance_from_raw(out[..., self.n_out :], min_var)


@LEARNERS.register("deep_ensemble")
class DeepEnsemble(TorchRegressor):
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

    def _build_net(self, n_in: int, n_out: int) -> nn.Module:
        arch = self._architecture()
        check_unit_interval(self.val_fraction, "val_fraction")
        check_positive_float(self.beta, "beta", allow_zero=True)
        check_positive_float(self.min_var, "min_var")
        return StackedMLPNet(
            arch["n_members"], n_in, n_out, tuple(arch["hidden"]), arch["heteroscedastic"]
        )

    def _loss_terms(self, out: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        mean, var = self.net_.split(out, float(self.min_var))
        if var is None:
            return torch.square(mean - yb)
        return gaussian_nll(mean, var, yb, float(self.beta))

    def _batch_loss(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        # xb: (K, B, in), yb: (K, B, h); mean loss per member, summed over members so
        # each member's gradient equals that of its own mean loss.
        return self._loss_terms(self.net_(xb), yb).mean(dim=(1, 2)).sum()

    def _val_scores(self, X_val: torch.Tensor, y_val: torch.Tensor, epoch: int) -> np.ndarray:
        y_scaled = torch.from_numpy(self._y_scaler.transform(y_val.numpy()))
        return self._loss_terms(self.net_(X_val), y_scaled).mean(dim=(1, 2)).numpy()

    def _sample_chunk(
        self, xs: torch.Tensor, generator: torch.Generator, shared: Any
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        mean, var = self.net_.split(self.net_(xs), float(self.min_var))
        return mean, (None if var is None else var.mean(dim=0))

    def _embed_chunk(self, xs: torch.Tensor) -> torch.Tensor:
        features = self.net_.features(xs)  # (K, n, d)
        return features.permute(1, 0, 2).reshape(len(xs), -1)
