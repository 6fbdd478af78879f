"""Small learner factories and synthetic data shared by the model tests (imported by them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.tree import DecisionTreeRegressor

from netal.models import (
    BaggingCommittee,
    BoostedEnsemble,
    DeepEnsemble,
    LaplaceMLP,
    MCDropoutMLP,
    Seq2SeqMCDropout,
    TabMRegressor,
)


def tiny_mlp(**kw: Any) -> MCDropoutMLP:
    params = {"hidden": (16, 16), "epochs": 15, "n_passes": 8, "batch_size": 32, "random_state": 0}
    return MCDropoutMLP(**{**params, **kw})


def tiny_ensemble(**kw: Any) -> DeepEnsemble:
    params = {"n_members": 3, "hidden": (16,), "epochs": 15, "batch_size": 32, "random_state": 0}
    return DeepEnsemble(**{**params, **kw})


def tiny_committee(**kw: Any) -> BaggingCommittee:
    params = {"estimator": DecisionTreeRegressor(max_depth=4), "n_members": 4, "random_state": 0}
    return BaggingCommittee(**{**params, **kw})


def tiny_boosted(**kw: Any) -> BoostedEnsemble:
    params = {"n_members": 3, "n_estimators": 20, "num_leaves": 7, "random_state": 0}
    return BoostedEnsemble(**{**params, **kw})


def tiny_tabm(**kw: Any) -> TabMRegressor:
    params = {
        "k": 4,
        "n_blocks": 1,
        "d_block": 16,
        "epochs": 15,
        "batch_size": 32,
        "random_state": 0,
    }
    return TabMRegressor(**{**params, **kw})


def tiny_laplace(**kw: Any) -> LaplaceMLP:
    params = {
        "hidden": (16, 16),
        "epochs": 15,
        "n_samples": 8,
        "marglik_steps": 20,
        "batch_size": 32,
        "random_state": 0,
    }
    return LaplaceMLP(**{**params, **kw})


def tiny_seq2seq(**kw: Any) -> Seq2SeqMCDropout:
    params = {
        "hidden": 8,
        "dense_units": (8, 4),
        "horizon": 3,
        "max_epochs": 3,
        "n_passes": 5,
        "batch_size": 32,
        "min_delta": 0.0,
        "standardize_target": True,
        "random_state": 0,
    }
    return Seq2SeqMCDropout(**{**params, **kw})


FACTORIES: dict[str, Callable[..., Any]] = {
    "mlp": tiny_mlp,
    "ensemble": tiny_ensemble,
    "committee": tiny_committee,
    "boosted": tiny_boosted,
    "tabm": tiny_tabm,
    "laplace": tiny_laplace,
    "seq2seq": tiny_seq2seq,
}

WITHOUT_EMBEDDING = frozenset({"committee", "boosted"})
"""Kinds whose learner has no ``embed`` (tree ensembles)."""


def make_data(
    kind: str, n: int = 80, n_outputs: int | None = 3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs of the right rank for ``kind`` and a smooth target, ``(n,)`` when ``n_outputs`` is None."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5, 2)) if kind == "seq2seq" else rng.normal(size=(n, 4))
    base = X.reshape(n, -1)[:, :2].sum(axis=1)
    if n_outputs is None:
        return X, base + 0.1 * rng.normal(size=n)
    return X, base[:, None] * np.arange(1, n_outputs + 1) + 0.1 * rng.normal(size=(n, n_outputs))
