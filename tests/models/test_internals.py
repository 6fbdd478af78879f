"""Shared pieces: standardizer, early stopping, per-member best weights, stacked layers, MC passes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from netal.errors import InvalidInputError, UnknownNameError
from netal.models import (
    LEARNERS,
    BaggingCommittee,
    DeepEnsemble,
    MCDropoutMLP,
    Standardizer,
    make_learner,
)
from netal.models._layers import StackedLinear, dropout_masks
from netal.models._training import BestWeights, EarlyStopping, validation_split


def test_standardizer_handles_constant_columns_and_round_trips() -> None:
    X = np.column_stack([np.arange(10.0), np.full(10, 3.0)])
    scaler = Standardizer().fit(X)
    Z = scaler.transform(X)
    assert np.isfinite(Z).all()
    np.testing.assert_allclose(Z[:, 1], 0.0)
    np.testing.assert_allclose(Z[:, 0].std(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(scaler.inverse_variance(np.ones((1, 2))), [[X[:, 0].var(), 1.0]])


def test_standardizer_reduces_windows_per_feature() -> None:
    rng = np.random.default_rng(0)
    W = rng.normal(loc=[5.0, -2.0], scale=[3.0, 0.5], size=(50, 7, 2))
    Z = Standardizer().fit(W).transform(W)
    np.testing.assert_allclose(Z.reshape(-1, 2).mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(Z.reshape(-1, 2).std(axis=0), 1.0, rtol=1e-5)


def test_disabled_standardizer_is_identity() -> None:
    y = np.array([1.0, 200.0, 3000.0])
    scaler = Standardizer(enabled=False).fit(y)
    np.testing.assert_array_equal(scaler.transform(y), y.astype(np.float32))


def test_early_stopping_per_group() -> None:
    stopper = EarlyStopping(patience=2, min_delta=0.5, n_groups=2)
    assert stopper.update(np.array([1.0, 1.0])).all()
    improved = stopper.update(np.array([0.8, 0.4]))  # group 0 improves by less than min_delta
    np.testing.assert_array_equal(improved, [False, True])
    stopper.update(np.array([0.9, 0.3]))
    assert not stopper.should_stop  # group 1 has waited only one epoch
    stopper.update(np.array([0.9, 0.3]))
    assert stopper.should_stop


def test_best_weights_restore_each_member_separately() -> None:
    layer = StackedLinear(3, 2, 2)
    keeper = BestWeights(layer, n_groups=3)
    original = layer.weight.detach().clone()
    with torch.no_grad():
        layer.weight.add_(1.0)
    keeper.update(np.array([False, True, False]))
    with torch.no_grad():
        layer.weight.add_(1.0)
    keeper.restore()
    torch.testing.assert_close(layer.weight[0], original[0])
    torch.testing.assert_close(layer.weight[1], original[1] + 1.0)
    torch.testing.assert_close(layer.weight[2], original[2])


def test_validation_split_is_disjoint_and_seeded() -> None:
    train, val = validation_split(100, 0.2, seed=3)
    assert len(val) == 20 and len(np.intersect1d(train, val)) == 0
    np.testing.assert_array_equal(validation_split(100, 0.2, seed=3)[1], val)
    assert len(validation_split(3, 0.1, seed=3)[1]) == 0  # too few rows: no validation split


def test_stacked_linear_matches_separate_layers() -> None:
    torch.manual_seed(0)
    layer = StackedLinear(4, 3, 2)
    x = torch.randn(4, 5, 3)
    expected = torch.stack([x[k] @ layer.weight[k] + layer.bias[k] for k in range(4)])
    torch.testing.assert_close(layer(x), expected)
    shared = torch.randn(5, 3)
    torch.testing.assert_close(layer(shared), layer(shared.expand(4, 5, 3)))


def test_vectorized_mc_passes_equal_a_loop_over_passes() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), rng.normal(size=60)
    model = MCDropoutMLP(hidden=(8, 6), dropout=0.3, epochs=2, random_state=0).fit(X, y)
    net = model.net_
    masks = dropout_masks((8, 6), 0.3, 5, 60, torch.Generator().manual_seed(1), consistent=False)
    x = torch.randn(60, 3)
    with torch.no_grad():
        vectorized = net.mc_forward(x, masks)
        for t in range(5):
            h = torch.relu(net.hidden[0](x)) * masks[0][t]
            h = torch.relu(net.hidden[1](h)) * masks[1][t]
            torch.testing.assert_close(vectorized[t], net.head(h))


def test_ensemble_members_differ_and_samples_are_member_means() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(80, 2)), rng.normal(size=80)
    model = DeepEnsemble(n_members=3, hidden=(8,), epochs=5, random_state=0).fit(X, y)
    samples = model.predict_dist(X).samples
    assert samples.shape == (3, 80)
    assert not np.allclose(samples[0], samples[1])


def test_registry_names_and_factory() -> None:
    assert set(LEARNERS.names()) == {
        "mc_dropout_mlp",
        "deep_ensemble",
        "bagging_committee",
        "boosted_ensemble",
        "tabm",
        "laplace_mlp",
        "seq2seq_mc_dropout",
        "mc_dropout_classifier",
        "deep_ensemble_classifier",
        "bagged_trees",
        "mc_dropout_forecaster",
    }
    learner = make_learner("deep_ensemble", n_members=2)
    assert isinstance(learner, DeepEnsemble) and learner.n_members == 2
    with pytest.raises(UnknownNameError):
        make_learner("gaussian_process")


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"dropout": 1.0}, "dropout"),
        ({"hidden": ()}, "hidden"),
        ({"epochs": 0}, "epochs"),
        ({"n_passes": 0}, "n_passes"),
        ({"val_fraction": -0.1}, "val_fraction"),
    ],
)
def test_bad_hyperparameters_are_named(params: dict, parameter: str) -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 2)), rng.normal(size=30)
    with pytest.raises(InvalidInputError) as info:
        MCDropoutMLP(**{"epochs": 2, **params}).fit(X, y).predict(X)
    assert info.value.parameter == parameter


def test_networks_are_float32() -> None:
    rng = np.random.default_rng(0)
    model = MCDropoutMLP(hidden=(4,), epochs=1, random_state=0).fit(
        rng.normal(size=(20, 2)), rng.normal(size=20)
    )
    assert all(p.dtype == torch.float32 for p in model.net_.parameters())
    assert isinstance(model.net_, nn.Module)


def test_committee_partial_fit_continues_members_that_support_it() -> None:
    from sklearn.linear_model import SGDRegressor

    from netal.models import BaggingCommittee

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 3)), rng.normal(size=200)
    committee = BaggingCommittee(SGDRegressor(max_iter=5, tol=None), n_members=3, random_state=0)
    committee.fit(X, y)
    before = [member.t_ for member in committee.members_]
    committee.partial_fit(X, y)
    assert all(member.t_ > b for member, b in zip(committee.members_, before, strict=True))


class _Intruder:
    """Not a scikit-learn or NumPy type: a committee checkpoint naming it is refused."""

    def __init__(self) -> None:
        self.payload = "anything"


def test_committee_checkpoints_refuse_foreign_types_even_after_a_good_load() -> None:
    import skops.io

    X = np.random.default_rng(0).normal(size=(40, 3))
    trained = BaggingCommittee(n_members=3, random_state=0).fit(X, X[:, 0])
    BaggingCommittee(n_members=3, random_state=1).set_state(trained.get_state())  # warms the cache
    state = skops.io.dumps({"kind": "BaggingCommittee", "members": [_Intruder()]})
    with pytest.raises(InvalidInputError, match=r"_Intruder.*does not load"):
        BaggingCommittee().set_state(state)
    partial = skops.io.dumps({"kind": "BaggingCommittee", "seed": 1})
    with pytest.raises(InvalidInputError, match=r"lacks .*members"):
        BaggingCommittee().set_state(partial)
