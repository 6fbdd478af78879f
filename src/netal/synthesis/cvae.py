"""A small conditional variational autoencoder (PyTorch) as a generator of feature vectors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from netal._validation import check_positive_int
from netal.models.seeding import derive_seed, make_generator, resolve_seed, torch_seeded
from netal.synthesis._conditional import LabelConditionalGenerator
from netal.synthesis.base import GENERATORS, check_fit_inputs

_LOG_2PI = math.log(2.0 * math.pi)
_MIN_LOGVAR = -9.0  # variance floor of the decoder (standardized units)


class _CVAENet(nn.Module):
    def __init__(self, n_features: int, n_classes: int, hidden: int, latent: int) -> None:
        super().__init__()
        self.latent = latent
        self.encoder = nn.Sequential(
            nn.Linear(n_features + n_classes, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
        )
        self.to_latent = nn.Linear(hidden, 2 * latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent + n_classes, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()
        )
        self.to_output = nn.Linear(hidden, 2 * n_features)

    def encode(self, x: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.to_latent(self.encoder(torch.cat([x, c], dim=-1))).chunk(2, dim=-1)
        return mu, logvar.clamp(-12.0, 6.0)

    def decode(self, z: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.to_output(self.decoder(torch.cat([z, c], dim=-1))).chunk(2, dim=-1)
        return mean, logvar.clamp(min=_MIN_LOGVAR, max=6.0)


def _gauss_logpdf(x: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return -0.5 * (_LOG_2PI + logvar + (x - mean) ** 2 / logvar.exp()).sum(dim=-1)


@GENERATORS.register("cvae")
class ConditionalVAE(LabelConditionalGenerator):
    """Conditional VAE of the standardized features given a label (e.g. mobility mode).

    Encoder ``q(z | x, c)`` and decoder ``p(x | z, c)`` are two-layer ReLU MLPs;
    the decoder outputs a per-feature Gaussian mean and variance; the prior is
    ``N(0, I)``.  Trained by maximizing the ELBO with Adam.

    Parameters
    ----------
    latent_dim, hidden
        Latent size and hidden width.
    epochs, batch_size, lr
        Adam training settings.
    n_importance
        Importance samples ``K`` of :meth:`log_density` (IWAE bound).
    random_state
        Seed of initialization, batching, training noise and the importance
        samples: same data and seed, same model and densities.

    References
    ----------
    Kingma and Welling, "Auto-encoding variational Bayes", ICLR 2014; Sohn,
    Lee and Yan, "Learning structured output representation using deep
    conditional generative models", NeurIPS 2015 (conditional VAE); Burda,
    Grosse and Salakhutdinov, "Importance weighted autoencoders", ICLR 2016
    (the log-likelihood estimate).
    """

    _fitted_attribute = "net_"

    def __init__(
        self,
        latent_dim: int = 4,
        hidden: int = 64,
        epochs: int = 150,
        batch_size: int = 128,
        lr: float = 3e-3,
        n_importance: int = 64,
        random_state: int | None = 0,
    ) -> None:
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.n_importance = n_importance
        self.random_state = random_state

    def fit(self, X: Any, labels: Any = None) -> ConditionalVAE:
        """Fit on features ``(n, d)`` and optional labels ``(n,)``."""
        X_arr, label_arr = check_fit_inputs(X, labels)
        latent = check_positive_int(self.latent_dim, "latent_dim")
        hidden = check_positive_int(self.hidden, "hidden")
        epochs = check_positive_int(self.epochs, "epochs")
        batch = check_positive_int(self.batch_size, "batch_size")
        self._seed = resolve_seed(self.random_state)
        x = torch.as_tensor(self._fit_prior_and_scaler(X_arr, label_arr), dtype=torch.float32)
        c = self._one_hot(label_arr, len(X_arr))
        with torch_seeded(derive_seed(self._seed, 0)):
            net = _CVAENet(self.n_features_, len(self.prior_.classes), hidden, latent)
        self._train(net, x, c, epochs, batch)
        self.net_ = net.eval()
        return self

    def _one_hot(self, labels: np.ndarray | None, n: int) -> torch.Tensor:
        index = (
            np.zeros(n, dtype=np.int64)
            if labels is None
            else np.searchsorted(self.prior_.classes, labels)
        )
        return torch.nn.functional.one_hot(torch.as_tensor(index), len(self.prior_.classes)).float()

    def _train(
        self, net: _CVAENet, x: torch.Tensor, c: torch.Tensor, epochs: int, batch: int
    ) -> None:
        optimizer = torch.optim.Adam(net.parameters(), lr=float(self.lr))
        generator = make_generator(derive_seed(self._seed, 1))
        net.train()
        for _ in range(epochs):
            for rows in torch.randperm(len(x), generator=generator).split(batch):
                xb, cb = x[rows], c[rows]
                mu, logvar = net.encode(xb, cb)
                eps = torch.randn(mu.shape, generator=generator)
                mean, out_logvar = net.decode(mu + (0.5 * logvar).exp() * eps, cb)
                kl = 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar).sum(dim=-1)
                loss = (kl - _gauss_logpdf(xb, mean, out_logvar)).mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()

    def sample(self, n: int, rng: np.random.Generator, label: Any = None) -> np.ndarray:
        """``n`` synthetic vectors ``(n, d)``: ``z ~ N(0, I)``, ``x ~ p(x | z, c)``."""
        return self._sample(n, rng, label)

    def _sample_for(self, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(labels)
        z = torch.as_tensor(rng.standard_normal((n, self.net_.latent)), dtype=torch.float32)
        c = self._one_hot(labels if self.prior_.labeled else None, n)
        with torch.no_grad():
            mean, logvar = self.net_.decode(z, c)
        noise = rng.standard_normal((n, self.n_features_))
        xs = mean.double().numpy() + np.exp(0.5 * logvar.double().numpy()) * noise
        return self._scaler.inverse_transform(xs)

    def log_density(self, X: Any, labels: Any = None) -> np.ndarray:
        """IWAE estimate of ``log p(x | c)`` (with labels) or ``log sum_c p(c) p(x | c)``.

        Deterministic: the importance samples come from a generator seeded by
        ``random_state``.
        """
        return self._log_density(X, labels)

    def _conditional_log_density(self, xs: np.ndarray, labels: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(xs, dtype=torch.float32)
        return self._iwae(x, self._one_hot(labels, len(x))) - self._log_jacobian

    def _marginal_log_density(self, xs: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(xs, dtype=torch.float32)
        per_class = np.stack(
            [
                self._iwae(x, self._one_hot(np.full(len(x), cls), len(x)))
                for cls in self.prior_.classes
            ],
            axis=1,
        )
        return self.prior_.log_marginal(per_class) - self._log_jacobian

    def _iwae(self, x: torch.Tensor, c: torch.Tensor) -> np.ndarray:
        k = check_positive_int(self.n_importance, "n_importance")
        generator = make_generator(derive_seed(self._seed, 2))
        with torch.no_grad():
            mu, logvar = self.net_.encode(x, c)
            eps = torch.randn((k, *mu.shape), generator=generator)
            z = mu + (0.5 * logvar).exp() * eps
            mean, out_logvar = self.net_.decode(z, c.expand(k, *c.shape))
            log_w = (
                _gauss_logpdf(x, mean, out_logvar)
                + _gauss_logpdf(z, torch.zeros_like(z), torch.zeros_like(z))
                - _gauss_logpdf(z, mu, logvar)
            )
            return (torch.logsumexp(log_w.double(), dim=0) - math.log(k)).numpy()
