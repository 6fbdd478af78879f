"""Sketched gradient features of the ReLU networks: bmdal's "grad" kernel with random projections.

The empirical neural tangent kernel of a network ``f`` is
``k(x, x') = <grad_theta f(x), grad_theta f(x')>``.  For a linear layer with
input ``a`` and output ``z = a W + b``, the gradient with respect to ``(W, b)``
is the outer product of ``[a, 1]`` and ``delta = df/dz``, so the layer's part
of the kernel is ``<[a, 1], [a', 1]> * <delta, delta'>``.  A product of two
inner products is sketched without forming the outer product: with Gaussian
matrices ``U`` and ``V`` of ``m`` columns, ``((a U) * (delta V)) / sqrt(m)``
has inner products whose expectation is exactly that product (a tensor
sketch with Gaussian factors).  Summing the sketches of all layers (each with
its own matrices) sketches the whole kernel in ``m`` columns; for an ensemble
of ``K`` members whose prediction is their mean, the members' sketches are
summed and divided by ``K``.

Holzmueller, Zaverkin, Kaestner and Steinwart (JMLR 2023, "A Framework and
Benchmark for Deep Batch Active Learning for Regression") found this kernel
("grad" with "rp" to 512 features) the best base kernel for LCMD.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from netal._validation import check_positive_int
from netal.errors import InvalidInputError, ShapeMismatchError
from netal.models._common import check_fitted, check_inputs

Projection = tuple[torch.Tensor, torch.Tensor]
"""Per layer: ``U`` ``(K, d_in + 1, m)`` for the layer input and ``V`` ``(K, d_out, m)`` for its gradient."""


def _weights(layer: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """``(K, d_in, d_out)`` weights and ``(K, 1, d_out)`` biases of a linear or stacked linear layer."""
    weight = layer.weight
    if isinstance(layer, nn.Linear):
        return weight.T.unsqueeze(0), layer.bias.view(1, 1, -1)
    return weight, layer.bias


def _linear_layers(net: nn.Module) -> list[nn.Module]:
    """The hidden layers and the head of a ReLU network with ``hidden`` and ``head``."""
    hidden = getattr(net, "hidden", None)
    head = getattr(net, "head", None)
    if hidden is None or head is None:
        raise InvalidInputError(
            "learner", "gradient features need a ReLU network with 'hidden' layers and a 'head'"
        )
    return [*hidden, head]


def gradient_projections(net: nn.Module, n_features: int, seed: int) -> list[Projection]:
    """Gaussian sketch matrices for every linear layer of ``net``, drawn from ``seed``."""
    generator = torch.Generator().manual_seed(int(seed))
    projections = []
    for layer in _linear_layers(net):
        weight, _ = _weights(layer)
        members, d_in, d_out = weight.shape
        u = torch.randn(members, d_in + 1, n_features, generator=generator)
        v = torch.randn(members, d_out, n_features, generator=generator)
        projections.append((u, v))
    return projections


def sketched_gradients(
    net: nn.Module, xs: torch.Tensor, projections: list[Projection], n_means: int
) -> torch.Tensor:
    """Sketched gradients of the summed mean outputs of ``net`` at the rows ``xs``, ``(n, m)``.

    ``net`` is a ReLU network (``hidden`` linear layers, then ``head``) of one
    member (:class:`torch.nn.Linear`) or ``K`` stacked members; the first
    ``n_means`` head outputs are the means (a variance head, if any, follows
    them and is not differentiated).  Dropout is off.
    """
    layers = _linear_layers(net)
    inputs: list[torch.Tensor] = []
    pre_activations: list[torch.Tensor] = []
    a = xs.unsqueeze(0)
    for layer in layers[:-1]:
        weight, bias = _weights(layer)
        inputs.append(a)
        z = torch.matmul(a, weight) + bias
        pre_activations.append(z)
        a = torch.relu(z)
    inputs.append(a)
    head_weight, _ = _weights(layers[-1])
    members = head_weight.shape[0]
    delta = torch.zeros(members, len(xs), head_weight.shape[2])
    delta[..., :n_means] = 1.0
    n_features = projections[0][0].shape[2]
    sketch = torch.zeros(len(xs), n_features)
    for index in range(len(layers) - 1, -1, -1):
        u, v = projections[index]
        layer_input = inputs[index].expand(members, -1, -1)
        with_bias = torch.cat([layer_input, torch.ones(members, len(xs), 1)], dim=2)
        sketch += (torch.matmul(with_bias, u) * torch.matmul(delta, v)).sum(dim=0)
        if index:
            weight, _ = _weights(layers[index])
            delta = torch.matmul(delta, weight.transpose(1, 2)) * (pre_activations[index - 1] > 0)
    return sketch / (members * float(np.sqrt(n_features)))


class GradientEmbeddingMixin:
    """``gradient_embed``: the sketched empirical NTK features of a fitted ReLU-network learner.

    For learners with ``net_`` (a network with ``hidden`` layers and a
    ``head`` whose first ``n_out`` outputs are the means), ``_x_scaler``,
    ``_sample_shape`` and ``_chunk_rows()``, as the torch regressors have.
    """

    def gradient_embed(self, X: Any, n_features: int = 512, seed: int = 0) -> np.ndarray:
        """Sketched gradient features ``(n, n_features)`` float32 of the rows ``X``.

        Inner products of two rows' features estimate, without bias, the
        inner product of the network's parameter gradients at them (the
        "grad" kernel of Holzmueller et al., JMLR 2023, sketched with
        ``n_features`` random features).  The same ``seed`` gives the same
        sketch, so pool and labeled rows embedded in separate calls (or
        chunks) share one feature space.

        Parameters
        ----------
        X
            Input rows, as for ``predict``.
        n_features
            Columns of the sketch (bmdal-reg uses 512).
        seed
            Seed of the sketch's Gaussian matrices.
        """
        check_fitted(self, "net_")
        n_features = check_positive_int(n_features, "n_features")
        X_arr = check_inputs(X, sample_shape=self._sample_shape, learner=type(self).__name__)
        if len(X_arr) == 0:
            raise ShapeMismatchError("X", "has no rows to embed")
        net = self.net_
        net.eval()
        projections = gradient_projections(net, n_features, seed)
        n_means = int(net.n_out)
        features = np.empty((len(X_arr), n_features), dtype=np.float32)
        step = self._chunk_rows()
        with torch.no_grad():
            for start in range(0, len(X_arr), step):
                xs = torch.from_numpy(self._x_scaler.transform(X_arr[start : start + step]))
                part = sketched_gradients(net, xs.float(), projections, n_means)
                features[start : start + len(part)] = part.numpy()
        return features
