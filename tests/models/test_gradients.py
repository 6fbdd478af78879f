"""Sketched gradient features (bmdal's "grad" kernel with random projections) of the torch learners."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from netal.errors import InvalidInputError
from netal.models import LEARNERS


def _toy(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = (np.sin(X[:, 0]) + 0.5 * X[:, 1] + 0.1 * rng.normal(size=n)).astype(np.float32)
    return X, y


def _fitted(name: str, **params):
    X, y = _toy()
    learner = LEARNERS[name](hidden=[16, 8], epochs=5, random_state=0, **params)
    return learner.fit(X, y), X


def _exact_kernel(learner, X: np.ndarray) -> np.ndarray:
    """Inner products of the parameter gradients of the predicted mean, one row at a time."""
    net = learner.net_
    net.eval()
    xs = torch.from_numpy(learner._x_scaler.transform(X)).float()
    grads = []
    for row in xs:
        net.zero_grad()
        out = net(row.unsqueeze(0))
        mean = out[..., : net.n_out]
        (mean.sum() / (out.shape[0] if out.ndim == 3 else 1)).backward()
        grads.append(torch.cat([p.grad.reshape(-1) for p in net.parameters()]).clone())
    g = torch.stack(grads).double()
    return (g @ g.T).numpy()


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("mc_dropout_mlp", {}),
        ("mc_dropout_mlp", {"heteroscedastic": True}),
        ("deep_ensemble", {"n_members": 3}),
    ],
)
def test_sketch_estimates_the_gradient_kernel(name, params):
    learner, X = _fitted(name, **params)
    rows = X[:8]
    exact = _exact_kernel(learner, rows)
    sketch = learner.gradient_embed(rows, n_features=60_000, seed=1).astype(np.float64)
    approx = sketch @ sketch.T
    error = np.linalg.norm(approx - exact) / np.linalg.norm(exact)
    assert error < 0.05, error
    small = learner.gradient_embed(rows, n_features=16, seed=1).astype(np.float64)
    assert np.linalg.norm(small @ small.T - exact) / np.linalg.norm(exact) > error


def test_same_seed_same_features_in_any_chunking(monkeypatch):
    learner, X = _fitted("mc_dropout_mlp")
    whole = learner.gradient_embed(X, n_features=32, seed=3)
    monkeypatch.setattr(learner, "_chunk_rows", lambda: 7)
    chunked = learner.gradient_embed(X, n_features=32, seed=3)
    np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-6)
    assert whole.shape == (len(X), 32) and whole.dtype == np.float32
    other = learner.gradient_embed(X, n_features=32, seed=4)
    assert not np.allclose(other, whole)


def test_bad_arguments_are_named():
    learner, X = _fitted("mc_dropout_mlp")
    with pytest.raises(InvalidInputError, match="n_features"):
        learner.gradient_embed(X, n_features=0)
    unfitted = LEARNERS["mc_dropout_mlp"](hidden=[8])
    with pytest.raises(Exception, match="fit"):
        unfitted.gradient_embed(X)
