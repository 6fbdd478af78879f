"""Latency, parameter count and FLOPs of known small networks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.linear_model import Ridge

from netal.models import BaggingCommittee, DeepEnsemble, MCDropoutMLP
from netal.qoais import (
    count_flops,
    count_parameters,
    inference_latency,
    one_torch_thread,
    torch_modules,
)
from netal.transfer.reference import LightGBMReference


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    return X, X.sum(axis=1) + 0.1 * rng.normal(size=300)


@pytest.mark.parametrize("passes", [1, 4, 10])
def test_mc_dropout_mlp_parameters_and_flops_from_layer_shapes(data, passes: int) -> None:
    X, y = data
    learner = MCDropoutMLP(hidden=(8,), n_passes=passes, epochs=3, random_state=0).fit(X, y)
    # 3 -> 8 -> 1: weights and biases
    assert count_parameters(learner) == 3 * 8 + 8 + 8 * 1 + 1
    # the first layer runs once per row, the head once per pass (a multiply-add counts 2)
    assert count_flops(learner, X) == 2 * 3 * 8 + passes * 2 * 8 * 1


def test_deep_ensemble_counts_every_member(data) -> None:
    X, y = data
    learner = DeepEnsemble(n_members=3, hidden=(8,), epochs=3, random_state=0).fit(X, y)
    per_member = 3 * 8 + 8 + 8 * 2 + 2  # heteroscedastic head: mean and variance
    assert count_parameters(learner) == 3 * per_member
    assert count_flops(learner, X) == 3 * (2 * 3 * 8 + 2 * 8 * 2)
    assert len(torch_modules(learner)) == 1  # the stacked network, its layers not counted twice


def test_tree_models_are_sized_by_their_nodes_and_others_are_not_sized(data) -> None:
    X, y = data
    model = LightGBMReference(random_state=0).fit(X, y)
    trees = model.model_.booster_.dump_model()["tree_info"]
    assert count_parameters(model) == sum(2 * t["num_leaves"] - 1 for t in trees)
    assert math.isnan(count_flops(model, X))  # no torch: FLOPs are not counted
    ridge = BaggingCommittee(Ridge(), n_members=3, random_state=0).fit(X, y)
    assert math.isnan(count_parameters(ridge)) and math.isnan(count_flops(ridge, X))


def test_latency_percentiles_are_measured_on_one_thread(data) -> None:
    X, y = data
    learner = MCDropoutMLP(hidden=(8,), n_passes=4, epochs=3, random_state=0).fit(X, y)
    before = torch.get_num_threads()
    seen = []
    original = learner.predict

    def predict(rows, **kwargs):
        seen.append((len(rows), torch.get_num_threads(), kwargs.get("return_std")))
        return original(rows, **kwargs)

    learner.predict = predict  # records the calls the timing makes; the learner still predicts
    out = inference_latency(learner, X, batch_rows=64, warmup=2, repeats_row=20, repeats_batch=10)
    assert torch.get_num_threads() == before
    assert set(out) == {
        "latency_p50_row_ms", "latency_p99_row_ms", "latency_p50_batch_ms", "latency_p99_batch_ms",
        "cpu_p50_row_ms", "cpu_p50_batch_ms",
    }  # fmt: skip
    # CPU time of the predicting thread: positive, and within each call's wall time (one thread)
    assert 0 < out["cpu_p50_row_ms"] <= out["latency_p50_row_ms"]
    assert 0 < out["cpu_p50_batch_ms"] <= out["latency_p50_batch_ms"]
    assert 0 < out["latency_p50_row_ms"] <= out["latency_p99_row_ms"]
    assert 0 < out["latency_p50_batch_ms"] <= out["latency_p99_batch_ms"]
    # warm-up + timed calls: 22 of one row, 12 of 64 rows, all with the std, all on one thread
    assert [n for n, _, _ in seen].count(1) == 22 and [n for n, _, _ in seen].count(64) == 12
    assert {threads for _, threads, _ in seen} == {1}
    assert {std for _, _, std in seen} == {True}


def test_one_torch_thread_restores_the_count_after_an_error() -> None:
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), one_torch_thread():
        assert torch.get_num_threads() == 1
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before
