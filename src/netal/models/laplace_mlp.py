"""MLP with a last-layer Laplace approximation (laplace-torch).

The network is trained as usual (squared error, MAP); then only its last
layer is treated as Bayesian: a Gaussian posterior over the head's weights
and bias whose precision is the generalized Gauss-Newton matrix of the
Gaussian likelihood on the training rows plus an isotropic prior (for a
linear head this is exact Bayesian linear regression on the last hidden
layer's features).  The prior precision and the observation noise are then
chosen by maximizing the Laplace marginal likelihood, as in laplace-torch's
regression recipe (Daxberger et al., "Laplace Redux -- Effortless Bayesian
Deep Learning", NeurIPS 2021; Kristiadi et al., "Being Bayesian, Even Just
a Bit, Fixes Overconfidence in ReLU Networks", ICML 2020).

Prediction draws ``n_samples`` head weight vectors from that posterior once
per call (the same ``T`` networks score every row, as the MC-dropout
learner's consistent masks do), so the per-row spread of their outputs is
the epistemic variance and the fitted noise is the aleatoric one.

laplace-torch declares torchvision as a dependency (through BackPACK) but
does not import it for this use; ``.ci/run`` and the README install it
without its declared dependencies (no CPU build of torchvision matches torch
2.13 on the package index this project uses).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.models._common import check_hidden
from netal.models._gaussian_head import GaussianHeadRegressor
from netal.models._registry import LEARNERS
from netal.models.mlp import DropoutMLPNet

_LOG_HYPER_BOUND = 12.0
"""Bound on the log prior precision and log noise scale during the marginal-likelihood fit."""


def _laplace_package() -> Any:
    try:
        import laplace
    except ImportError:
        raise InvalidInputError(
            "learner",
            "laplace_mlp needs laplace-torch: pip install 'netal[laplace]' (where no CPU "
            "torchvision matches torch 2.13, install it as .ci/run does)",
        ) from None
    return laplace


class LaplaceMLPNet(DropoutMLPNet):
    """ReLU MLP (no dropout) whose head carries its Laplace posterior as buffers.

    ``post_mean`` and ``post_scale`` are the mean and a square root of the
    covariance of the head's parameters (weights row by row, then biases, as
    ``torch.nn.utils.parameters_to_vector`` orders them); ``noise_var`` is the
    fitted observation noise, in standardized target units.  Being buffers,
    they travel with the weights in ``state_dict``.
    """

    def __init__(self, n_in: int, n_out: int, hidden: tuple[int, ...]) -> None:
        super().__init__(n_in, n_out, hidden, dropout=0.0, heteroscedastic=False)
        n_params = (hidden[-1] + 1) * n_out
        self.register_buffer("post_mean", torch.zeros(n_params))
        self.register_buffer("post_scale", torch.zeros(n_params, n_params))
        self.register_buffer("noise_var", torch.ones(n_out))

    def sampled_heads(self, features: torch.Tensor, thetas: torch.Tensor) -> torch.Tensor:
        """Head outputs of ``T`` sampled parameter vectors: ``(n, d), (T, P) -> (T, n, out)``."""
        n_out, width = self.n_out, features.shape[1]
        weights = thetas[:, : n_out * width].reshape(-1, n_out, width)
        biases = thetas[:, n_out * width :].reshape(-1, 1, n_out)
        return torch.einsum("nd,tod->tno", features, weights) + biases


@LEARNERS.register("laplace_mlp")
class LaplaceMLP(GaussianHeadRegressor):
    """MLP regressor with last-layer Laplace epistemic and fitted homoscedastic aleatoric uncertainty.

    Parameters
    ----------
    hidden
        Hidden-layer widths (ReLU).
    n_samples
        Head parameter vectors drawn from the posterior per prediction call.
    marglik_steps
        Adam steps (learning rate 0.1) on the log prior precision and log noise
        scale maximizing the Laplace marginal likelihood.
    epochs, batch_size, lr, weight_decay
        Adam training settings of the MAP network (``weight_decay`` is an L2 penalty).
    patience
        Early-stopping patience in epochs on the validation loss.
    val_fraction
        Share of the training rows held out for early stopping (0 disables);
        the posterior is fitted on the rows the network trained on.
    random_state
        Seed; same data and seed give bit-identical predictions.
    chunk_size
        Rows scored per chunk.

    Notes
    -----
    ``sample_weight`` weighs the MAP training only; the posterior's curvature
    counts every training row once.  :meth:`partial_fit` refits the posterior
    on the rows of that call.

    References
    ----------
    Daxberger, Kristiadi, Immer, Eschenhagen, Bauer and Hennig, "Laplace
    Redux -- Effortless Bayesian Deep Learning", NeurIPS 2021.  Kristiadi,
    Hein and Hennig, "Being Bayesian, Even Just a Bit, Fixes Overconfidence in
    ReLU Networks", ICML 2020.
    """

    beta = 0.0
    min_var = 1e-6

    def __init__(
        self,
        hidden: tuple[int, ...] = (64, 64),
        n_samples: int = 64,
        marglik_steps: int = 100,
        epochs: int = 200,
        batch_size: int = 128,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        patience: int = 20,
        val_fraction: float = 0.1,
        random_state: int | None = None,
        chunk_size: int = 2048,
    ) -> None:
        self.hidden = hidden
        self.n_samples = n_samples
        self.marglik_steps = marglik_steps
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.patience = patience
        self.val_fraction = val_fraction
        self.random_state = random_state
        self.chunk_size = chunk_size

    def _architecture(self) -> dict[str, Any]:
        return {"hidden": list(check_hidden(self.hidden))}

    def _make_net(self, n_in: int, n_out: int, arch: dict[str, Any]) -> nn.Module:
        check_positive_int(self.n_samples, "n_samples")
        check_positive_int(self.marglik_steps, "marglik_steps")
        return LaplaceMLPNet(n_in, n_out, tuple(arch["hidden"]))

    def _member_losses(self, terms: torch.Tensor) -> torch.Tensor:
        return terms.mean().reshape(1)  # one network

    def _after_training(self, xs: torch.Tensor, ys: torch.Tensor, settings: dict[str, Any]) -> None:
        self._fit_posterior(xs, ys, int(settings["batch_size"]))

    def _fit_posterior(self, xs: torch.Tensor, ys: torch.Tensor, batch_size: int) -> None:
        laplace = _laplace_package()
        net = self.net_
        net.eval()
        approx = laplace.Laplace(
            net,
            "regression",
            subset_of_weights="last_layer",
            hessian_structure="full",
            last_layer_name="head",
        )
        approx.fit(DataLoader(TensorDataset(xs, ys), batch_size=batch_size, shuffle=False))
        log_prior = torch.zeros(1, requires_grad=True)
        log_sigma = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.Adam([log_prior, log_sigma], lr=0.1)
        for _ in range(int(self.marglik_steps)):
            optimizer.zero_grad()
            loss = -approx.log_marginal_likelihood(log_prior.exp(), log_sigma.exp())
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                log_prior.clamp_(-_LOG_HYPER_BOUND, _LOG_HYPER_BOUND)
                log_sigma.clamp_(-_LOG_HYPER_BOUND, _LOG_HYPER_BOUND)
        with torch.no_grad():
            approx.prior_precision = log_prior.exp()
            approx.sigma_noise = log_sigma.exp()
            net.post_mean.copy_(approx.mean.detach())
            net.post_scale.copy_(approx.posterior_scale.detach())
            net.noise_var.fill_(float(log_sigma.exp()) ** 2)

    def _shared_noise(self, generator: torch.Generator) -> Any:
        net = self.net_
        draws = torch.randn(
            check_positive_int(self.n_samples, "n_samples"),
            len(net.post_mean),
            generator=generator,
        )
        return net.post_mean + draws @ net.post_scale.T

    def _head_outputs(
        self, xs: torch.Tensor, generator: torch.Generator, shared: Any
    ) -> torch.Tensor:
        return self.net_.sampled_heads(self.net_.features(xs), shared)

    def _sample_chunk(
        self, xs: torch.Tensor, generator: torch.Generator, shared: Any
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        means = self._head_outputs(xs, generator, shared)
        return means, self.net_.noise_var.expand(len(xs), -1)

    def _embed_chunk(self, xs: torch.Tensor) -> torch.Tensor:
        return self.net_.features(xs)
