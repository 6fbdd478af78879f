"""Fine-tuning policies: which weights move, how far, and that the source model carries over."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from netal.errors import InvalidInputError, UnknownNameError
from netal.models import MCDropoutMLP
from netal.transfer import FINETUNE_POLICIES, FineTunedMLP, pretrain

MLP = {"hidden": (16, 16), "epochs": 60, "n_passes": 5, "batch_size": 32, "patience": 60}


def _task(rng: np.random.Generator, n: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    X = rng.uniform(-2.0, 2.0, (n, 3))
    y = np.sin(2.0 * X[:, 0]) + X[:, 1] ** 2 + 0.3 * X[:, 2] + shift
    return X, y


@pytest.fixture(scope="module")
def source() -> np.ndarray:
    rng = np.random.default_rng(0)
    X, y = _task(rng, 600, 0.0)
    X_val, y_val = _task(rng, 150, 0.0)
    return pretrain(X, y, X_val, y_val, seed=0, **{**MLP, "epochs": 150})


def _weights(net: torch.nn.Module) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in net.parameters()]


def _source_weights(state: np.ndarray) -> list[np.ndarray]:
    model = MCDropoutMLP(hidden=MLP["hidden"])
    model.set_state(state.tobytes())
    return _weights(model.net_)


def _target(seed: int = 1, n: int = 24) -> tuple[np.ndarray, np.ndarray]:
    return _task(np.random.default_rng(seed), n, 0.5)


def test_policies_are_registered() -> None:
    assert set(FINETUNE_POLICIES) == {"full", "last_layers", "l2sp", "none"}


def test_none_keeps_the_source_model(source: np.ndarray) -> None:
    X, y = _target()
    model = FineTunedMLP(source, policy="none", **MLP, random_state=0).fit(X, y)
    for got, want in zip(_weights(model.net_), _source_weights(source), strict=True):
        assert np.array_equal(got, want)


def test_last_layers_moves_only_the_top(source: np.ndarray) -> None:
    X, y = _target()
    model = FineTunedMLP(source, policy="last_layers", n_trainable=1, **MLP, random_state=0)
    model.fit(X, y)
    got, want = _weights(model.net_), _source_weights(source)
    # parameters: hidden0.w, hidden0.b, hidden1.w, hidden1.b, head.w, head.b
    for i in range(4):
        assert np.array_equal(got[i], want[i])
    assert not np.allclose(got[4], want[4])


def test_full_moves_everything_and_l2sp_stays_closer(source: np.ndarray) -> None:
    X, y = _target()
    want = _source_weights(source)

    def drift(policy: str, **extra: float) -> float:
        model = FineTunedMLP(source, policy=policy, **extra, **MLP, random_state=0).fit(X, y)
        got = _weights(model.net_)
        assert not np.allclose(got[0], want[0])  # the first layer trains under both
        return sum(float(np.sum((g - w) ** 2)) for g, w in zip(got, want, strict=True))

    assert drift("l2sp", alpha=10.0) < 0.5 * drift("full")


def test_transfer_beats_scratch_on_a_shifted_target_with_few_labels(source: np.ndarray) -> None:
    X, y = _target(n=16)
    X_test, y_test = _target(seed=9, n=400)
    rmse = {}
    for name, model in {
        "scratch": MCDropoutMLP(**MLP, random_state=0),
        "transfer": FineTunedMLP(source, policy="full", **MLP, random_state=0),
    }.items():
        rmse[name] = float(np.sqrt(np.mean((model.fit(X, y).predict(X_test) - y_test) ** 2)))
    assert rmse["transfer"] < 0.7 * rmse["scratch"]


def test_checkpoint_round_trip_and_warm_continue(source: np.ndarray) -> None:
    X, y = _target()
    model = FineTunedMLP(source, policy="l2sp", alpha=1.0, **MLP, random_state=3).fit(X, y)
    restored = FineTunedMLP(source, policy="l2sp", alpha=1.0, **MLP, random_state=3)
    restored.set_state(model.get_state())
    assert np.array_equal(model.predict(X), restored.predict(X))
    restored.partial_fit(X, y)  # the anchor is rebuilt from the source after a restore
    assert np.isfinite(restored.predict(X)).all()


def test_rescale_target_keeps_the_predictions_then_fits_on_the_target_scale(
    source: np.ndarray,
) -> None:
    X, y = _target()
    small = y / 100.0  # a target on another scale than the source's
    model = FineTunedMLP(source, policy="full", rescale_target=True, **MLP, random_state=0)
    model._load_source()
    before = model.predict(X)
    model._rescale_head(small)
    assert np.allclose(model.predict(X), before, rtol=1e-4, atol=1e-3)
    assert model._y_scaler.scale_[0] == pytest.approx(np.std(small))
    X_test, y_test = _target(seed=9, n=200)
    rmse = {}
    for rescale in (False, True):
        fitted = FineTunedMLP(source, rescale_target=rescale, **MLP, random_state=0)
        fitted.fit(X, small)
        rmse[rescale] = float(np.sqrt(np.mean((fitted.predict(X_test) - y_test / 100.0) ** 2)))
    assert rmse[True] < rmse[False]
    with pytest.raises(InvalidInputError, match="rescale_target"):
        FineTunedMLP(source, rescale_target=True, heteroscedastic=True, **MLP).fit(X, y)


def test_bad_settings_are_named(source: np.ndarray) -> None:
    X, y = _target()
    with pytest.raises(InvalidInputError, match="source_state"):
        FineTunedMLP(None, **MLP).fit(X, y)
    with pytest.raises(UnknownNameError, match="fine-tuning policy"):
        FineTunedMLP(source, policy="freeze_all", **MLP).fit(X, y)
    with pytest.raises(InvalidInputError, match="n_trainable"):
        FineTunedMLP(source, policy="last_layers", n_trainable=4, **MLP).fit(X, y)
    with pytest.raises(InvalidInputError, match="alpha"):
        FineTunedMLP(source, policy="l2sp", alpha=-1.0, **MLP).fit(X, y)
    with pytest.raises(InvalidInputError, match="architecture"):
        FineTunedMLP(source, hidden=(8,), epochs=2).fit(X, y)
    with pytest.raises(InvalidInputError):
        FineTunedMLP(source, **MLP).fit(X[:, :2], y)  # not the source's features
