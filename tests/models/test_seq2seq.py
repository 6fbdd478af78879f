"""The case-study seq2seq model: Keras-equivalent LSTM, paper defaults, vectorized decoder passes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from netal.errors import ShapeMismatchError
from netal.models import Seq2SeqMCDropout
from netal.models.seq2seq import KerasLSTM


def test_keras_lstm_with_tanh_equals_torch_lstm() -> None:
    torch.manual_seed(0)
    ours = KerasLSTM(3, 5, activation=torch.tanh)
    reference = nn.LSTM(3, 5, batch_first=True)
    with (
        torch.no_grad()
    ):  # Keras kernels are (in, 4u); torch's are (4u, in); same gate order i, f, g, o
        reference.weight_ih_l0.copy_(ours.kernel.T)
        reference.weight_hh_l0.copy_(ours.recurrent_kernel.T)
        reference.bias_ih_l0.copy_(ours.bias)
        reference.bias_hh_l0.zero_()
    x = torch.randn(4, 6, 3)
    expected = reference(x)[0][:, -1]
    torch.testing.assert_close(ours(x), expected)


def test_keras_initialization() -> None:
    torch.manual_seed(0)
    lstm = KerasLSTM(4, 8)
    np.testing.assert_array_equal(lstm.bias[8:16].detach().numpy(), 1.0)  # unit_forget_bias
    np.testing.assert_array_equal(lstm.bias[:8].detach().numpy(), 0.0)
    gram = lstm.recurrent_kernel @ lstm.recurrent_kernel.T  # orthogonal rows
    torch.testing.assert_close(gram, torch.eye(8), atol=1e-5, rtol=0)


def test_paper_defaults() -> None:
    model = Seq2SeqMCDropout()
    assert (model.hidden, model.dropout, model.lr, model.batch_size) == (256, 0.3, 0.008, 128)
    assert (model.max_epochs, model.patience, model.min_delta, model.n_passes, model.horizon) == (
        100,
        4,
        1.0,
        35,
        20,
    )
    assert model.dense_units == (256, 64)
    assert model.standardize_target is False


def _windows(n: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6, 3))
    y = 50 + 20 * X[:, -1, :1] + rng.normal(size=(n, 4))
    return X, y


def _small(**kw: object) -> Seq2SeqMCDropout:
    params = {
        "hidden": 8,
        "dense_units": (8, 4),
        "horizon": 4,
        "max_epochs": 4,
        "n_passes": 6,
        "random_state": 0,
    }
    return Seq2SeqMCDropout(**{**params, **kw})


def test_decoder_passes_with_dropout_off_equal_the_deterministic_network() -> None:
    X, y = _windows()
    model = _small().fit(X, y)
    xs = torch.from_numpy(model._x_scaler.transform(X))
    masks = [torch.ones(3, 1, w) for w in model._mask_widths()]
    with torch.no_grad():
        model.net_.eval()
        passes = model.net_.decode_mc(model.net_.encoder(xs), masks)
        deterministic = model.net_(xs)
    for t in range(3):
        torch.testing.assert_close(passes[t], deterministic, rtol=1e-4, atol=1e-4)
    # linear decoder on a repeated state: the deterministic forecast is flat over the horizon
    torch.testing.assert_close(deterministic, deterministic[:, :1].expand_as(deterministic))


def test_per_window_masks_give_comparable_uncertainty() -> None:
    X, y = _windows()
    shared = _small(n_passes=30).fit(X, y).predict_dist(X).epistemic_var.mean()
    per_row = (
        _small(n_passes=30, consistent_masks=False).fit(X, y).predict_dist(X).epistemic_var.mean()
    )
    assert 0.5 < shared / per_row < 2


def test_validation_rmse_is_in_target_units_and_external_validation_data_is_used() -> None:
    X, y = _windows()
    X_val, y_val = _windows(40, seed=1)
    model = _small(max_epochs=3, patience=10).fit(X, y, validation_data=(X_val, y_val))
    scores = np.array(model.history_.val_score)[:, 0]
    assert len(scores) == 3
    mean = model.predict(X_val)
    rmse = np.sqrt(np.mean((mean - y_val) ** 2))
    assert rmse == pytest.approx(scores.min(), rel=0.3)  # same metric, different MC draws
    with pytest.raises(ShapeMismatchError, match=r"^X_val:"):
        model.fit(X, y, validation_data=(X_val[:, :, :2], y_val))


def test_early_stopping_with_min_delta_stops_and_restores() -> None:
    X, y = _windows()
    model = _small(max_epochs=50, patience=2, min_delta=1e6).fit(
        X, y
    )  # nothing counts as improvement
    assert model.history_.n_epochs == 3
    assert model.history_.stopped_epoch == 2


def test_horizon_mismatch_is_named() -> None:
    X, y = _windows()
    with pytest.raises(ShapeMismatchError, match=r"^y:"):
        _small(horizon=5).fit(X, y)


def test_shared_mask_decoder_equals_the_general_path() -> None:
    X, y = _windows()
    model = _small().fit(X, y)
    generator = torch.Generator().manual_seed(0)
    masks = [
        torch.empty(5, 1, w).bernoulli_(0.7, generator=generator) / 0.7
        for w in model._mask_widths()
    ]
    expanded = [mask.expand(5, 9, -1) for mask in masks]
    e = torch.randn(9, 8)
    with torch.no_grad():
        shared = model.net_.decode_mc_shared(e, masks)
        general = model.net_.decode_mc(e, expanded)
    torch.testing.assert_close(shared, general, rtol=1e-4, atol=1e-4)
