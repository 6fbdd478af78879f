"""Uncertainty behaviour: epistemic variance grows away from the data, aleatoric variance tracks noise."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures

from netal.models import (
    BaggingCommittee,
    BoostedEnsemble,
    DeepEnsemble,
    LaplaceMLP,
    MCDropoutMLP,
    Seq2SeqMCDropout,
    TabMRegressor,
)


def _one_d(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 1))
    return x, np.sin(3 * x[:, 0]) + 0.05 * rng.normal(size=n)


NEAR = np.linspace(-1, 1, 41)[:, None]
FAR = np.linspace(4, 6, 41)[:, None]

TABULAR = {
    "mlp": lambda: MCDropoutMLP(hidden=(32, 32), epochs=60, n_passes=20, random_state=0),
    "ensemble": lambda: DeepEnsemble(n_members=4, hidden=(32, 32), epochs=60, random_state=0),
    "committee": lambda: BaggingCommittee(
        make_pipeline(PolynomialFeatures(3), Ridge(alpha=1e-3)), n_members=10, random_state=0
    ),
    # linear leaves extrapolate; the default constant leaves do not (test_boosted_ensemble.py)
    "boosted": lambda: BoostedEnsemble(linear_tree=True, random_state=0),
    "tabm": lambda: TabMRegressor(k=8, n_blocks=2, d_block=32, epochs=60, random_state=0),
    "laplace": lambda: LaplaceMLP(hidden=(32, 32), epochs=60, random_state=0),
}


@pytest.mark.parametrize("name", sorted(TABULAR))
def test_epistemic_variance_higher_far_from_training_data(name: str) -> None:
    x, y = _one_d()
    learner = TABULAR[name]().fit(x, y)
    near = learner.predict_dist(NEAR).epistemic_var.mean()
    far = learner.predict_dist(FAR).epistemic_var.mean()
    assert far > 10 * near


def test_seq2seq_epistemic_variance_higher_far_from_training_windows() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 6, 2))
    level = 3 * X[:, :, 0].mean(axis=1)
    y = level[:, None] + 0.05 * rng.normal(size=(300, 4))
    learner = Seq2SeqMCDropout(
        hidden=16,
        dense_units=(16, 8),
        horizon=4,
        max_epochs=15,
        patience=5,
        min_delta=0.0,
        n_passes=20,
        standardize_target=True,
        lr=0.005,
        random_state=0,
    ).fit(X, y)
    near = learner.predict_dist(X[:40]).epistemic_var.mean()
    far = learner.predict_dist(rng.uniform(4, 6, size=(40, 6, 2))).epistemic_var.mean()
    assert far > 10 * near


HETERO = {
    "mlp": lambda: MCDropoutMLP(
        hidden=(32, 32),
        dropout=0.05,
        heteroscedastic=True,
        epochs=100,
        patience=30,
        n_passes=20,
        random_state=0,
    ),
    "ensemble": lambda: DeepEnsemble(
        n_members=3, hidden=(32, 32), epochs=100, patience=30, random_state=0
    ),
    "boosted": lambda: BoostedEnsemble(random_state=0),
}


def _noise_std(x: np.ndarray) -> np.ndarray:
    return 0.05 + 0.95 * (x + 1) / 2


@pytest.mark.parametrize("name", sorted(HETERO))
def test_aleatoric_variance_follows_injected_noise(name: str) -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(600, 1))
    y = np.sin(3 * x[:, 0]) + rng.normal(size=600) * _noise_std(x[:, 0])
    learner = HETERO[name]().fit(
        x, y * 100.0 + 5.0
    )  # aleatoric output must come back in target units
    grid = np.linspace(-1, 1, 101)[:, None]
    predicted = np.sqrt(learner.predict_dist(grid).aleatoric_var) / 100.0
    truth = _noise_std(grid[:, 0])
    assert np.corrcoef(predicted, truth)[0, 1] > 0.9
    high, low = grid[:, 0] > 0.6, grid[:, 0] < -0.6
    assert predicted[high].mean() / predicted[low].mean() > 3
    # the scale is right within a factor of two in the noisy region
    assert 0.5 < predicted[high].mean() / truth[high].mean() < 2


def test_homoscedastic_learners_report_zero_aleatoric_variance() -> None:
    x, y = _one_d(100)
    for learner in (
        MCDropoutMLP(hidden=(8,), epochs=3, random_state=0),
        DeepEnsemble(n_members=2, hidden=(8,), heteroscedastic=False, epochs=3, random_state=0),
        BaggingCommittee(n_members=3, random_state=0),
        BoostedEnsemble(n_members=2, n_estimators=5, aleatoric="none", random_state=0),
        TabMRegressor(k=2, d_block=8, heteroscedastic=False, epochs=3, random_state=0),
    ):
        assert np.all(learner.fit(x, y).predict_dist(NEAR).aleatoric_var == 0)
