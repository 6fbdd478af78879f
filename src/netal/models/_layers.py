"""Network building blocks: a stacked linear layer for ensembles and MC-dropout masks."""

from __future__ import annotations

import math

import torch
from torch import nn


class StackedLinear(nn.Module):
    """``K`` independent linear layers evaluated in one batched matmul.

    Weights have shape ``(K, in, out)`` and biases ``(K, 1, out)``; each member
    is initialized like :class:`torch.nn.Linear` (uniform in
    ``±1/sqrt(in)``), from its own draws.

    Parameters
    ----------
    n_members
        Number of stacked layers ``K``.
    in_features, out_features
        Layer sizes.
    """

    def __init__(self, n_members: int, in_features: int, out_features: int) -> None:
        super().__init__()
        bound = 1.0 / math.sqrt(in_features)
        self.weight = nn.Parameter(
            torch.empty(n_members, in_features, out_features).uniform_(-bound, bound)
        )
        self.bias = nn.Parameter(torch.empty(n_members, 1, out_features).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply member ``k`` to ``x[k]``; ``x`` is ``(K, B, in)`` or shared ``(B, in)``."""
        if x.ndim == 2:
            return torch.matmul(x, self.weight) + self.bias  # broadcasts to (K, B, out)
        return torch.baddbmm(self.bias, x, self.weight)


def dropout_masks(
    widths: tuple[int, ...],
    p: float,
    n_passes: int,
    n_rows: int,
    generator: torch.Generator,
    *,
    consistent: bool,
) -> list[torch.Tensor]:
    """Scaled Bernoulli keep-masks for ``n_passes`` stochastic forward passes.

    One mask per dropout layer of width ``widths[i]``, shaped
    ``(T, 1, width)`` when ``consistent`` (the same ``T`` sub-networks for
    every row, so scoring in chunks equals scoring at once) or
    ``(T, n_rows, width)`` (independent masks per row, as Keras draws them).
    Kept units are scaled by ``1/(1-p)`` (inverted dropout).
    """
    rows = 1 if consistent else n_rows
    if p == 0:
        return [torch.ones(n_passes, rows, w) for w in widths]
    keep = 1.0 - p
    return [
        torch.empty(n_passes, rows, w).bernoulli_(keep, generator=generator).div_(keep)
        for w in widths
    ]
