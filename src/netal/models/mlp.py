"""Monte Carlo dropout multilayer perceptron.

Dropout kept on at prediction time turns a network into an approximate
Bayesian model: the spread of ``T`` stochastic passes estimates epistemic
uncertainty (Gal and Ghahramani, "Dropout as a Bayesian Approximation",
ICML 2016).  With ``heteroscedastic=True`` the network also predicts a
per-sample noise variance trained with the Gaussian negative log-likelihood
(Nix and Weigend, 1994; Kendall and Gal, "What Uncertainties Do We Need in
Bayesian Deep Learning for Computer Vision?", NeurIPS 2017), optionally
beta-weighted (Seitzer et al., "On the Pitfalls of Heteroscedastic
Uncertainty Estimation with Probabilistic Neural Networks", ICLR 2022).

Scoring is vectorized: the first hidden layer (everything before the first
dropout) is computed once per row, then the remaining layers run on a
``(T, chunk, width)`` tensor with all ``T`` dropout masks applied in one call.
By default the masks are *consistent*: the same ``T`` sub-networks score
every row (as in BatchBALD, Kirsch et al., NeurIPS 2019), so the per-row
predictive distribution is the usual MC-dropout one, scores do not depend on
how the pool is chunked, and no per-row random numbers are drawn.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from netal._validation import check_positive_int
from netal.models._common import check_hidden, check_unit_interval
from netal.models._gaussian_head import GaussianHeadNet, GaussianHeadRegressor
from netal.models._layers import dropout_masks
from netal.models._registry import LEARNERS


class DropoutMLPNet(GaussianHeadNet):
    """ReLU MLP with dropout after every hidden layer and an optional variance head.

    Parameters
    ----------
    n_in, n_out
        Input width and number of outputs.
    hidden
        Hidden-layer widths.
    dropout
        Drop probability.
    heteroscedastic
        Whether the head also outputs ``n_out`` raw variances.
    """

    def __init__(
        self, n_in: int, n_out: int, hidden: tuple[int, ...], dropout: float, heteroscedastic: bool
    ) -> None:
        super().__init__(n_in, n_out, hidden, heteroscedastic, nn.Linear)
        self.p = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """One pass; dropout is active in train mode only."""
        for layer in self.hidden:
            x = F.dropout(F.relu(layer(x)), self.p, self.training)
        return self.head(x)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Last hidden layer with dropout off."""
        for layer in self.hidden:
            x = F.relu(layer(x))
        return x

    def mc_forward(self, x: torch.Tensor, masks: list[torch.Tensor]) -> torch.Tensor:
        """All ``T`` stochastic passes at once: ``(n, in) -> (T, n, out)``.

        ``masks[l]`` is ``(T, n, width_l)`` (a mask per row) or ``(T, 1, width_l)``
        (shared masks, dispatched to :meth:`mc_forward_shared`).
        """
        if all(mask.shape[1] == 1 for mask in masks):
            return self.mc_forward_shared(x, masks)
        h = F.relu(self.hidden[0](x)).unsqueeze(0) * masks[0]
        for layer, mask in zip(self.hidden[1:], masks[1:], strict=True):
            h = F.relu(layer(h)).mul_(mask)
        return self.head(h)

    def mc_forward_shared(self, x: torch.Tensor, masks: list[torch.Tensor]) -> torch.Tensor:
        """The ``T`` passes with masks shared by all rows, ``(n, in) -> (T, n, out)``.

        The first hidden layer runs once.  Its dropout mask is folded into the
        next layer's weights (``(h * m_t) W = h (diag(m_t) W)``), so the second
        layer of all ``T`` passes is one GEMM ``(n, d0) @ (d0, T * d1)`` and no
        ``(T, n, d0)`` tensor is materialized.  Later layers work on ``(n, T, d)``.
        """
        n_passes = masks[0].shape[0]
        h = F.relu(self.hidden[0](x))  # (n, d0), deterministic
        if len(self.hidden) == 1:
            return self.head(h.unsqueeze(0) * masks[0])
        nxt = self.hidden[1]
        folded = (masks[0][:, 0, :, None] * nxt.weight.T).permute(1, 0, 2)  # (d0, T, d1)
        h = torch.addmm(nxt.bias.repeat(n_passes), h, folded.reshape(h.shape[1], -1))
        h = torch.relu_(h).view(len(x), n_passes, -1)  # (n, T, d1)
        for layer, mask in zip(self.hidden[2:], masks[1:-1], strict=True):
            h = torch.relu_(layer(h.mul_(mask[:, 0])))
        return self.head(h.mul_(masks[-1][:, 0])).transpose(0, 1)


@LEARNERS.register("mc_dropout_mlp")
class MCDropoutMLP(GaussianHeadRegressor):
    """MLP regressor with MC-dropout epistemic and optional heteroscedastic aleatoric uncertainty.

    Parameters
    ----------
    hidden
        Hidden-layer widths (ReLU, dropout after each).
    dropout
        Drop probability, used in training and in the ``n_passes`` MC passes.
    n_passes
        Number of stochastic passes ``T`` at prediction time.
    heteroscedastic
        Predict a per-sample noise variance (Gaussian NLL training).
    beta
        beta-NLL exponent (0 = plain NLL); only with ``heteroscedastic``.
    epochs, batch_size, lr, weight_decay
        Adam training settings (``weight_decay`` is an L2 penalty).
    patience
        Early-stopping patience in epochs on the validation loss.
    val_fraction
        Share of the training rows held out for early stopping (0 disables).
    random_state
        Seed; same data and seed give bit-identical predictions.
    chunk_size
        Rows scored per chunk (bounds memory: about ``T * chunk_size * width`` floats).
    consistent_masks
        Share the ``T`` dropout masks across rows (see module docstring);
        ``False`` draws independent masks per row.
    min_var
        Variance floor of the heteroscedastic head (standardized units).

    References
    ----------
    Gal and Ghahramani, ICML 2016; Kendall and Gal, NeurIPS 2017;
    Seitzer et al., ICLR 2022.
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
        val_fraction: float = 0.1,
        random_state: int | None = None,
        chunk_size: int = 2048,
        consistent_masks: bool = True,
        min_var: float = 1e-6,
    ) -> None:
        self.hidden = hidden
        self.dropout = dropout
        self.n_passes = n_passes
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
        self.consistent_masks = consistent_masks
        self.min_var = min_var

    def _architecture(self) -> dict[str, Any]:
        return {
            "hidden": list(check_hidden(self.hidden)),
            "dropout": check_unit_interval(self.dropout, "dropout"),
            "heteroscedastic": bool(self.heteroscedastic),
        }

    def _make_net(self, n_in: int, n_out: int, arch: dict[str, Any]) -> nn.Module:
        return DropoutMLPNet(
            n_in, n_out, tuple(arch["hidden"]), arch["dropout"], arch["heteroscedastic"]
        )

    def _member_losses(self, terms: torch.Tensor) -> torch.Tensor:
        return terms.mean().reshape(1)  # one network

    def _shared_noise(self, generator: torch.Generator) -> Any:
        if not self.consistent_masks:
            return None
        widths = tuple(self._architecture()["hidden"])
        return dropout_masks(
            widths, float(self.dropout), self._passes(), 1, generator, consistent=True
        )

    def _passes(self) -> int:
        return check_positive_int(self.n_passes, "n_passes")

    def _head_outputs(
        self, xs: torch.Tensor, generator: torch.Generator, shared: Any
    ) -> torch.Tensor:
        masks = shared
        if masks is None:
            widths = tuple(self._architecture()["hidden"])
            masks = dropout_masks(
                widths, float(self.dropout), self._passes(), len(xs), generator, consistent=False
            )
        return self.net_.mc_forward(xs, masks)

    def _embed_chunk(self, xs: torch.Tensor) -> torch.Tensor:
        return self.net_.features(xs)
