"""Federated runs on Flower's simulation runtime: what reaches the server, bytes, labels, compression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from netal.federated import (
    ClientData,
    FederatedConfig,
    Federation,
    dequantize_update,
    quantize_update,
    run_federated,
)


def _federation() -> Federation:
    rng = np.random.default_rng(11)
    clients = []
    for i in range(3):
        X = rng.normal(size=(80, 4)) + 0.7 * i
        clients.append(ClientData(f"c{i}", X, np.sin(X[:, 0]), np.arange(5)))
    X_test = rng.normal(size=(60, 4)) + 0.7
    return Federation("toy", tuple(clients), X_test, np.sin(X_test[:, 0]) * 10 + 3, 3.0, 10.0)


@pytest.mark.slow
def test_simulated_runs_send_only_arrays_and_metrics_and_count_bytes() -> None:
    fed = _federation()
    small = {"hidden": (32, 32), "n_passes": 5, "local_epochs": 3, "local_model_epochs": 5}
    configs = [
        FederatedConfig(arm="logo", rounds=2, batch=4, **small),
        FederatedConfig(arm="logo", rounds=2, batch=4, compression="int8", **small),
        FederatedConfig(arm="random", rounds=2, batch=4, budget=6, aggregation="fedprox", **small),
        FederatedConfig(
            arm="logo", rounds=2, batch=4, compression="topk", downlink="int8", **small
        ),
        FederatedConfig(arm="logo", rounds=2, batch=4, **small),
    ]
    # two Ray workers: clients finish in any order, and the results must not depend on it
    plain, int8, prox, both, again = run_federated(fed, configs, workers=2)
    columns = ["n_labels", "rmse", "mae", "bytes_up", "bytes_down"]
    pd.testing.assert_frame_equal(plain.records[columns], again.records[columns])
    for result in (plain, int8, prox, both):
        records = result.records
        assert records["iteration"].tolist() == [0, 1, 2]
        assert np.isfinite(records["rmse"]).all()
        assert (np.diff(records["bytes_up"]) > 0).all() and (
            np.diff(records["bytes_down"]) > 0
        ).all()
        # every reply that reached the server: one parameter ArrayRecord, one scalar MetricRecord
        assert len(result.traffic.replies) == 3 * 3
        for audit in result.traffic.replies:
            assert not audit["error"] and audit["configs"] == []
            assert list(audit["arrays"]) == ["arrays"] and list(audit["metrics"]) == ["metrics"]
            assert set(audit["metrics"]["metrics"]) == {"num-examples", "n-labels", "n-queried"}
            assert set(audit["metrics"]["metrics"].values()) <= {"int", "float"}
    shapes = [(32, 4), (32,), (32, 32), (32,), (1, 32), (1,)]
    assert plain.traffic.replies[0]["arrays"]["arrays"] == shapes
    assert [w.shape for w in plain.weights] == shapes
    # 3 clients x 5 initial labels, then 4 more each per round; prox's budget of 6 stops at 5 + 6
    assert plain.records["n_labels"].tolist() == [15, 27, 39]
    assert prox.records["n_labels"].tolist() == [15, 27, 33]
    # int8 updates: same downlink, much smaller uplink, nearly the same model
    assert int8.records["bytes_down"].tolist() == plain.records["bytes_down"].tolist()
    assert int8.records["bytes_up"].iloc[-1] < 0.5 * plain.records["bytes_up"].iloc[-1]
    assert (
        abs(int8.records["rmse"].iloc[-1] - plain.records["rmse"].iloc[-1])
        < 0.05 * plain.records["rmse"].iloc[-1]
    )
    # top-k 8-bit updates and 8-bit downlink deltas: the first downlink is float32, then smaller
    down, plain_down = np.diff(both.records["bytes_down"]), np.diff(plain.records["bytes_down"])
    assert down[-1] < 0.4 * plain_down[-1]
    assert both.records["bytes_up"].iloc[-1] < 0.2 * plain.records["bytes_up"].iloc[-1]
    assert both.records["rmse"].iloc[-1] < 1.5 * plain.records["rmse"].iloc[-1]


def test_int8_update_round_trip_is_within_half_a_step() -> None:
    rng = np.random.default_rng(0)
    update = [rng.normal(size=(7, 5)).astype(np.float32), np.full(3, 0.25, dtype=np.float32)]
    coded = quantize_update(update)
    assert coded[0].dtype == np.uint8 and coded[0].shape == (38,) and coded[1].shape == (2, 2)
    decoded = dequantize_update(coded, [u.shape for u in update])
    for original, back, (_, step) in zip(update, decoded, coded[1], strict=True):
        assert back.shape == original.shape
        assert np.abs(original - back).max() <= step / 2 + 1e-6
