"""Shared parts of the MLP learners with an optional Gaussian variance head.

:class:`~netal.models.mlp.MCDropoutMLP` and :class:`~netal.models.ensemble.DeepEnsemble`
both train ReLU MLPs whose head outputs a mean and, when heteroscedastic, a
raw variance (softplus plus a floor), with squared error or the beta-weighted
Gaussian negative log-likelihood (Nix and Weigend, 1994; Kendall and Gal,
NeurIPS 2017; Seitzer et al., ICLR 2022).  They differ in the layers
(plain or member-stacked), in how the per-row losses reduce to one loss per
trained network, and in the stochastic forward passes used for scoring.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from netal.models._common import check_positive_float, check_unit_interval
from netal.models._gradients import GradientEmbeddingMixin
from netal.models._torch_base import TorchRegressor
from netal.models._training import gaussian_nll, variance_from_raw


class GaussianHeadNet(nn.Module):
    """ReLU MLP body of ``hidden`` layers and a head with ``n_out`` (or ``2 * n_out``) outputs.

    Parameters
    ----------
    n_in, n_out, hidden
        Input width, number of outputs and hidden-layer widths.
    heteroscedastic
        Whether the head outputs ``n_out`` raw variances after the ``n_out`` means.
    linear
        Layer factory ``linear(in_features, out_features)``.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        hidden: tuple[int, ...],
        heteroscedastic: bool,
        linear: Callable[[int, int], nn.Module],
    ) -> None:
        super().__init__()
        widths = (n_in, *hidden)
        self.hidden = nn.ModuleList(linear(a, b) for a, b in itertools.pairwise(widths))
        self.head = linear(hidden[-1], 2 * n_out if heteroscedastic else n_out)
        self.n_out = n_out
        self.heteroscedastic = heteroscedastic

    def split(self, out: torch.Tensor, min_var: float) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Mean and (if heteroscedastic) variance from the head output."""
        if not self.heteroscedastic:
            return out, None
        return out[..., : self.n_out], variance_from_raw(out[..., self.n_out :], min_var)


class GaussianHeadRegressor(GradientEmbeddingMixin, TorchRegressor):
    """Base of the learners built on a :class:`GaussianHeadNet`.

    Subclass hooks: :meth:`_make_net` (the network of a validated
    architecture), :meth:`_member_losses` (the mean loss of each trained
    network, ``(K,)``) and :meth:`_head_outputs` (the head outputs of every
    pass or member for one chunk, ``(S, n, out)``).  Subclasses have the
    parameters ``val_fraction``, ``beta`` and ``min_var``.
    """

    def _make_net(
        self, n_in: int, n_out: int, arch: dict[str, Any]
    ) -> nn.Module:  # pragma: no cover - abstract
        raise NotImplementedError

    def _member_losses(self, terms: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _head_outputs(
        self, xs: torch.Tensor, generator: torch.Generator, shared: Any
    ) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _build_net(self, n_in: int, n_out: int) -> nn.Module:
        arch = self._architecture()
        check_unit_interval(self.val_fraction, "val_fraction")
        check_positive_float(self.beta, "beta", allow_zero=True)
        check_positive_float(self.min_var, "min_var")
        return self._make_net(n_in, n_out, arch)

    def _loss_terms(self, out: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        mean, var = self.net_.split(out, float(self.min_var))
        if var is None:
            return torch.square(mean - yb)
        return gaussian_nll(mean, var, yb, float(self.beta))

    def _batch_loss(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        # Summing the members' mean losses gives each member the gradient of its own mean loss.
        return self._member_losses(self._loss_terms(self.net_(xb), yb)).sum()

    def _val_scores(self, X_val: torch.Tensor, y_val: torch.Tensor, epoch: int) -> np.ndarray:
        y_scaled = torch.from_numpy(self._y_scaler.transform(y_val.numpy()))
        return self._member_losses(self._loss_terms(self.net_(X_val), y_scaled)).numpy()

    def _weighted_batch_loss(
        self, xb: torch.Tensor, yb: torch.Tensor, wb: torch.Tensor
    ) -> torch.Tensor:
        # Each row's squared error or Gaussian NLL times its weight (weights have mean 1).
        terms = self._loss_terms(self.net_(xb), yb) * wb.unsqueeze(-1)
        return self._member_losses(terms).sum()

    def _weighted_val_scores(
        self, X_val: torch.Tensor, y_val: torch.Tensor, w_val: torch.Tensor, epoch: int
    ) -> np.ndarray:
        y_scaled = torch.from_numpy(self._y_scaler.transform(y_val.numpy()))
        terms = self._loss_terms(self.net_(X_val), y_scaled) * w_val.unsqueeze(-1)
        return (self._member_losses(terms) / w_val.mean()).numpy()

    def _sample_chunk(
        self, xs: torch.Tensor, generator: torch.Generator, shared: Any
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        out = self._head_outputs(xs, generator, shared)
        mean, var = self.net_.split(out, float(self.min_var))
        return mean, (None if var is None else var.mean(dim=0))
