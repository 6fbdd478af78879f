"""A client's round through Flower's own Message/Context objects and Flower's FedAvg (no runtime)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.serverapp.strategy import FedAvg

from netal.federated import ClientData, FederatedConfig, Federation, open_engine
from netal.federated.app import client_round

N_FEATURES = 3


def _data(rng: np.random.Generator, n: int, shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n, N_FEATURES)) + shift
    return X, np.sin(X[:, 0]) + 0.3 * X[:, 1]


def _federation(n_clients: int = 2, n: int = 60, identical: bool = False) -> Federation:
    rng = np.random.default_rng(5)
    clients = []
    X0, y0 = _data(rng, n)
    for i in range(n_clients):
        X, y = (X0, y0) if identical else _data(rng, n, shift=0.5 * i)
        clients.append(ClientData(f"c{i}", X, y, np.arange(6)))
    X_test, y_test = _data(rng, 40)
    return Federation("toy", tuple(clients), X_test, y_test)


def _config(**changes: object) -> FederatedConfig:
    base = FederatedConfig(
        arm="random",
        rounds=4,
        batch=3,
        hidden=(8, 8),
        n_passes=5,
        local_epochs=3,
        local_model_epochs=5,
        central_epochs=5,
    )
    return dataclasses.replace(base, **changes)


def _train_message(arrays: list[np.ndarray], rnd: int, node: int) -> Message:
    content = RecordDict(
        {"arrays": ArrayRecord(arrays), "config": ConfigRecord({"server-round": rnd, "run": 0})}
    )
    return Message(content=content, dst_node_id=node + 1, message_type="train")


def _context(node: int) -> Context:
    return Context(
        run_id=1,
        node_id=node + 1,
        node_config={"partition-id": node},
        state=RecordDict(),
        run_config={},
    )


def _initial_weights(fed: Federation, config: FederatedConfig) -> list[np.ndarray]:
    return config.learner(config.local_epochs).build(fed.n_features).weights()


@pytest.mark.parametrize("arm", ["random", "local", "global", "logo"])
def test_each_client_spends_at_most_its_own_budget(arm: str, tmp_path: Path) -> None:
    fed = _federation(n_clients=2)
    config = _config(arm=arm, budget=7)  # 3 + 3 + 1: the third labeling round is cut short
    weights = _initial_weights(fed, config)
    contexts = [_context(0), _context(1)]
    queried = {0: [], 1: []}
    for rnd in range(1, config.rounds + 2):
        for node, context in enumerate(contexts):
            message = _train_message(weights, rnd, node)
            reply = client_round(message, context, fed, (config,), tmp_path)
            queried[node].append(int(reply.content["metrics"]["n-queried"]))
    for node in (0, 1):
        assert queried[node] == [0, 3, 6, 7, 7]
        # the client's engine, reopened from its knowledge base in the node's storage
        loop, _, _ = open_engine(fed.clients[node], config, node, 0, tmp_path)
        labeled = loop.labeled_ids.tolist()
        assert loop.spent_labels == 7 and loop.done
        assert len(set(labeled)) == len(labeled) == 6 + 7
        assert labeled[:6] == list(range(6))  # the initial set is kept
        queries = loop.result().queries
        assert (queries["strategy"] != "initial").sum() == 7
        loop.knowledge_base.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".sqlite") == [
        "client-0.sqlite",
        "client-1.sqlite",
    ]


def test_the_global_arm_selects_with_the_global_model_it_was_sent(tmp_path: Path) -> None:
    fed = _federation(n_clients=2)
    config = _config(arm="global")
    weights = _initial_weights(fed, config)
    context = _context(0)
    client_round(_train_message(weights, 1, 0), context, fed, (config,), tmp_path)
    sent = [w + 0.01 for w in weights]  # another global model in round 2
    client_round(_train_message(sent, 2, 0), context, fed, (config,), tmp_path)
    loop, _, _ = open_engine(fed.clients[0], config, 0, 0, tmp_path)
    try:
        assert loop.model_version == 1
        held = loop.learner().weights()  # the engine's latest version is the global model
        for got, want in zip(held, sent, strict=True):
            np.testing.assert_array_equal(got, want.astype(np.float32))
    finally:
        loop.knowledge_base.close()


def test_reply_holds_only_parameter_arrays_and_scalar_metrics(tmp_path: Path) -> None:
    fed = _federation(n_clients=2)
    for compression in ("none", "int8", "topk"):
        config = _config(arm="logo", compression=compression)
        weights = _initial_weights(fed, config)
        context = _context(0)
        for rnd in (1, 2):
            message = _train_message(weights, rnd, 0)
            reply = client_round(message, context, fed, (config,), tmp_path / compression)
        content = reply.content
        assert set(content.keys()) == {"arrays", "metrics"}
        assert not content.config_records
        assert isinstance(content["metrics"], MetricRecord)
        assert all(isinstance(v, int | float) for v in content["metrics"].values())
        arrays = content["arrays"].to_numpy_ndarrays()
        shapes = [a.shape for a in arrays]
        n_params = sum(w.size for w in weights)
        if compression == "none":
            assert shapes == [w.shape for w in weights]
        elif compression == "int8":  # every parameter's uint8 code in one array, (low, step)s
            assert shapes == [(n_params,), (len(weights), 2)]
        else:  # positions, codes and (low, step) of the 10 % largest entries
            k = int(np.ceil(0.1 * n_params))
            assert shapes == [(k,), (k,), (1, 2)]
        data = fed.clients[0]
        rows = np.concatenate([data.X, data.y[:, None]], axis=1)
        for array in arrays:  # no feature row or label value travels
            flat = np.asarray(array, dtype=np.float64).ravel()
            assert not any(np.isin(row, flat).all() for row in rows)


def test_fedavg_of_identical_clients_equals_training_on_their_union(tmp_path: Path) -> None:
    fed = _federation(n_clients=2, identical=True)
    # full-batch training without dropout: the union's mean loss equals each copy's
    config = _config(dropout=0.0, train_batch=256, local_epochs=15)
    weights = _initial_weights(fed, config)
    replies = [
        client_round(_train_message(weights, 1, node), _context(node), fed, (config,), tmp_path)
        for node in (0, 1)
    ]
    averaged, _ = FedAvg().aggregate_train(1, replies)
    data = fed.clients[0]
    rows = np.asarray(data.initial)
    X_union = np.concatenate([data.X[rows], data.X[rows]])
    y_union = np.concatenate([data.y[rows], data.y[rows]])
    central = config.learner(config.local_epochs).build(fed.n_features)
    central.train_from(weights, X_union, y_union)
    moved = max(float(np.abs(a - w).max()) for a, w in zip(central.weights(), weights, strict=True))
    assert moved > 1e-3  # training did change the weights
    for fed_w, central_w in zip(averaged.to_numpy_ndarrays(), central.weights(), strict=True):
        np.testing.assert_allclose(fed_w, central_w, atol=1e-5)


def test_first_round_trains_on_the_initial_sets_only(tmp_path: Path) -> None:
    fed = _federation(n_clients=2)
    config = _config(arm="global")
    message = _train_message(_initial_weights(fed, config), 1, 1)
    reply = client_round(message, _context(1), fed, (config,), tmp_path)
    assert reply.content["metrics"]["n-labels"] == 6
    assert reply.content["metrics"]["n-queried"] == 0
