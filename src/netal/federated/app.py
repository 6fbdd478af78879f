"""The Flower apps of federated active learning and the simulation driver.

:func:`make_client_app` builds a Flower ``ClientApp``: on each ``train`` message a
client (the ``partition-id``-th of the federation) decodes the global weights, lets
its netal engine select and label rows of its own pool with its arm, within its own
budget (:mod:`netal.federated.node`: the engine's knowledge base stays in the node's
storage), trains the global model on its labels for ``local_epochs`` and replies
with the parameter arrays (or their compressed update,
:mod:`netal.federated.compression`) and scalar metrics only.
:func:`make_server_app` builds the ``ServerApp``: Flower's ``FedAvg`` or ``FedProx``
(with the run's compression) over a :class:`MeteredGrid`, scoring the global model
on the test rows after every round.
:func:`run_federated` runs both on Flower's simulation runtime.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from flwr.app import Array, ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg, FedProx

from netal.federated.compression import (
    DOWNLINK_CODECS,
    FULL,
    UPLINK_CODECS,
    DownlinkCodec,
    UplinkCodec,
    decode_downlink,
)
from netal.federated.config import FederatedConfig, Federation
from netal.federated.messages import MeteredGrid, Traffic
from netal.federated.node import select_and_label
from netal.metrics import record_errors
from netal.models.seeding import torch_threads

STATE_KEY = "netal"
"""Prefix of the client's own records in ``context.state`` (never sent)."""

STORAGE_KEY = "storage-dir"
"""``node_config`` key of a node's storage folder (its engines' knowledge bases)."""


@functools.cache
def _process_storage() -> str:
    """A temporary storage folder of this process, for nodes given none."""
    return tempfile.mkdtemp(prefix="netal-node-")


def _arrays_record(arrays: list[np.ndarray]) -> ArrayRecord:
    return ArrayRecord([np.ascontiguousarray(a) for a in arrays])


def client_round(
    msg: Message,
    context: Context,
    federation: Federation,
    configs: Sequence[FederatedConfig],
    storage_dir: str | Path | None = None,
) -> Message:
    """One client's round: its engine selects and labels, it trains, it replies with arrays and metrics.

    The round config's ``run`` tells which of ``configs`` (arms run one after another
    in one simulation).  The client's engine keeps its knowledge base in the node's
    storage (``node_config["storage-dir"]`` if the node has one, else ``storage_dir``, else
    a temporary folder of the process, made when first needed);
    the global model it holds and its compression residual stay in ``context.state``.
    """
    run = int(msg.content["config"].get("run", 0))
    config = configs[run]
    pid = int(context.node_config["partition-id"])
    storage = Path(str(context.node_config.get(STORAGE_KEY) or storage_dir or _process_storage()))
    data = federation.clients[pid]
    rnd = int(msg.content["config"]["server-round"])
    key = f"{STATE_KEY}-{run}"
    with torch_threads(1):
        model = config.learner(config.local_epochs).build(federation.n_features)
    held_record = context.state.array_records.get(f"{key}-global")
    held = (  # the global model this node holds: zeros before the first round
        held_record.to_numpy_ndarrays()
        if held_record is not None
        else [np.zeros_like(w) for w in model.weights()]
    )
    global_w = decode_downlink(
        msg.content["arrays"].to_numpy_ndarrays(),
        str(msg.content["config"].get("encoding", FULL)),
        held,
    )
    context.state[f"{key}-global"] = _arrays_record(global_w)
    with torch_threads(1):
        labels = select_and_label(data, config, pid, run, storage, global_w, rnd)
        model.proximal_mu = float(msg.content["config"].get("proximal-mu", 0.0))
        model.train_from(global_w, labels.X, labels.y)
    memory_record = context.state.array_records.get(f"{key}-memory")
    memory = dict(memory_record.items()) if memory_record is not None else {}
    memory = {k: v.numpy() for k, v in memory.items()}
    codec = UPLINK_CODECS[config.compression](config.topk_fraction)
    payload = codec.encode(model.weights(), global_w, memory)
    if memory:
        context.state[f"{key}-memory"] = ArrayRecord(
            {k: Array(np.ascontiguousarray(v)) for k, v in memory.items()}
        )
    metrics = MetricRecord(
        {
            "num-examples": len(labels.y),
            "n-labels": len(labels.y),
            "n-queried": int(labels.n_queried),
        }
    )
    return Message(
        RecordDict({"arrays": _arrays_record(payload), "metrics": metrics}), reply_to=msg
    )


def make_client_app(
    federation: Federation,
    configs: Sequence[FederatedConfig],
    storage_dir: str | Path | None = None,
) -> ClientApp:
    """A Flower ClientApp whose nodes are the clients of ``federation`` (by ``partition-id``).

    ``storage_dir`` is where nodes without a ``storage-dir`` in their node config keep
    their engines' knowledge bases (default: a temporary folder of the node's process, made
    when first needed).
    """
    app = ClientApp()
    configs = tuple(configs)
    storage = str(storage_dir) if storage_dir is not None else None

    @app.train()
    def train(msg: Message, context: Context) -> Message:
        return client_round(msg, context, federation, configs, storage)

    return app


def _reply_order(msg: Message) -> bytes:
    """A key that orders replies by their content, whatever order they arrived in."""
    if msg.has_error():
        return b""
    digest = hashlib.sha256()
    for array in msg.content["arrays"].values():
        digest.update(array.data)
    return digest.digest()


class _Coded:
    """Mixin for Flower strategies: compressed downlink and uplink, replies in a fixed order.

    ``configure_train`` sends the global model through the downlink codec (the
    encoding in the round config); ``aggregate_train`` puts the replies in content
    order (FedAvg adds float32 arrays in reply order, and replies arrive in
    whatever order the clients finish: without this, runs of one seed differ in
    the last bits, and the difference grows over rounds), decodes each with the
    uplink codec against the model the clients hold, and adds back the part of the
    server's model the clients did not receive yet (downlink error feedback).
    """

    uplink: UplinkCodec
    downlink: DownlinkCodec
    held: list[np.ndarray] | None = None
    model: list[np.ndarray] | None = None

    def configure_train(self, server_round: int, arrays: ArrayRecord, config: Any, grid: Grid):
        self.model = arrays.to_numpy_ndarrays()
        payload, encoding, self.held = self.downlink.encode(self.model, self.held)
        config = ConfigRecord({**dict(config), "encoding": encoding})
        return super().configure_train(server_round, _arrays_record(payload), config, grid)  # type: ignore[misc]

    def aggregate_train(self, server_round: int, replies: Any):
        replies = sorted(replies, key=_reply_order)
        held = self.held or []
        for msg in replies:
            if not msg.has_error():
                payload = msg.content["arrays"].to_numpy_ndarrays()
                msg.content["arrays"] = _arrays_record(self.uplink.decode(payload, held))
        arrays, metrics = super().aggregate_train(server_round, replies)  # type: ignore[misc]
        if arrays is not None and self.model is not None and self.held is not self.model:
            behind = [m - h for m, h in zip(self.model, held, strict=True)]
            if any(np.any(b) for b in behind):
                averaged = arrays.to_numpy_ndarrays()
                arrays = _arrays_record([a + b for a, b in zip(averaged, behind, strict=True)])
        return arrays, metrics


class CodedFedAvg(_Coded, FedAvg):
    """Flower's FedAvg with netal's compression and a fixed reply order."""


class CodedFedProx(_Coded, FedProx):
    """Flower's FedProx with netal's compression and a fixed reply order."""


AGGREGATORS = {"fedavg": CodedFedAvg, "fedprox": CodedFedProx}
"""Flower strategy class per aggregation name."""


def _sum_metrics(records: list[RecordDict], weight_key: str) -> MetricRecord:
    """Sum each client metric over the replies (labels are counted, not averaged)."""
    total: dict[str, float] = {}
    for record in records:
        for metrics in record.metric_records.values():
            for key, value in metrics.items():
                total[key] = total.get(key, 0.0) + float(value)
    return MetricRecord(total)


def make_strategy(config: FederatedConfig, n_clients: int) -> FedAvg:
    """Flower's FedAvg or FedProx with the run's compression, every client every round."""
    kwargs: dict[str, Any] = {
        "fraction_train": 1.0,
        "fraction_evaluate": 0.0,
        "min_train_nodes": n_clients,
        "min_available_nodes": n_clients,
        "train_metrics_aggr_fn": _sum_metrics,
    }
    if config.aggregation == "fedprox":
        kwargs["proximal_mu"] = config.proximal_mu
    strategy = AGGREGATORS[config.aggregation](**kwargs)
    strategy.uplink = UPLINK_CODECS[config.compression](config.topk_fraction)
    strategy.downlink = DOWNLINK_CODECS[config.downlink]()
    return strategy


@dataclass
class FederatedResult:
    """What a run gives back: records per round, the traffic and the final global weights."""

    records: pd.DataFrame
    traffic: Traffic
    weights: list[np.ndarray]


RoundCallback = Callable[[int, dict[str, float]], None]


def serve_run(
    grid: Grid,
    federation: Federation,
    config: FederatedConfig,
    run: int = 0,
    on_round: RoundCallback | None = None,
) -> FederatedResult:
    """Run one configuration's rounds from a ServerApp's ``grid``; the server's side of a run."""
    traffic = Traffic(round=1)
    strategy = make_strategy(config, len(federation.clients))
    model = config.learner(config.local_epochs).build(federation.n_features)
    records: list[dict[str, float]] = []
    started = time.perf_counter()
    labels: dict[str, float] = {}

    def counting(replies: list[RecordDict], key: str) -> MetricRecord:
        out = _sum_metrics(replies, key)
        labels.update(out)
        return out

    strategy.train_metrics_aggr_fn = counting

    def evaluate(rnd: int, arrays: ArrayRecord) -> MetricRecord | None:
        traffic.round = rnd + 1
        if rnd == 0:
            return None
        model.set_weights(arrays.to_numpy_ndarrays())
        with torch_threads(1):
            pred = federation.to_target(model.predict(federation.X_test))
        errors = record_errors(federation.y_test, pred)
        up = sum(v for r, v in traffic.up.items() if r <= rnd)
        down = sum(v for r, v in traffic.down.items() if r <= rnd)
        row = {
            "iteration": rnd - 1,
            "n_labels": float(labels.get("n-labels", np.nan)),
            "cost": (up + down) / 1e6,
            **errors,
            "wall_time_s": time.perf_counter() - started,
            "bytes_up": float(up),
            "bytes_down": float(down),
        }
        records.append(row)
        if on_round is not None:
            on_round(run, row)
        return MetricRecord({k: float(v) for k, v in errors.items()})

    result = strategy.start(
        grid=MeteredGrid(grid, traffic),
        initial_arrays=ArrayRecord(model.weights()),
        num_rounds=config.rounds + 1,
        train_config=ConfigRecord({"run": run}),
        evaluate_fn=evaluate,
    )
    return FederatedResult(pd.DataFrame(records), traffic, result.arrays.to_numpy_ndarrays())


def make_server_app(
    federation: Federation,
    configs: Sequence[FederatedConfig],
    sink: list[FederatedResult],
    on_round: RoundCallback | None = None,
) -> ServerApp:
    """A Flower ServerApp running every configuration in turn; results are appended to ``sink``."""
    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        for run, config in enumerate(configs):
            sink.append(serve_run(grid, federation, config, run, on_round))

    return app


def run_federated(
    federation: Federation,
    configs: FederatedConfig | Sequence[FederatedConfig],
    *,
    workers: int = 1,
    on_round: RoundCallback | None = None,
) -> list[FederatedResult]:
    """Run federated active learning on Flower's simulation runtime (Ray backend).

    Several configurations (e.g. the arms of a seed) run one after another in one
    simulation, so the runtime starts once; each has its own rounds, client state
    and traffic count.  The nodes keep their engines' knowledge bases in a
    temporary folder, removed when the simulation ends.

    Parameters
    ----------
    federation
        The clients and the server's test rows.
    configs
        One run's settings, or several.
    workers
        Client apps run at once (Ray actors with one CPU each).
    on_round
        Called with ``(run index, record)`` as each round's record is made.

    Returns
    -------
    list of FederatedResult
        Per configuration: one record per round (``iteration`` 0 = trained on the
        initial sets), the traffic with every reply's audit, the final weights.
    """
    # imported here, not at the top: the simulation runtime (Ray) loads only when a run starts
    from flwr.simulation import run_simulation

    configs = [configs] if isinstance(configs, FederatedConfig) else list(configs)
    logging.getLogger("flwr").setLevel(logging.ERROR)
    sink: list[FederatedResult] = []
    with tempfile.TemporaryDirectory(prefix="netal-nodes-") as storage:  # the nodes' storage
        run_simulation(
            server_app=make_server_app(federation, configs, sink, on_round),
            client_app=make_client_app(federation, configs, storage),
            num_supernodes=len(federation.clients),
            backend_config={
                "client_resources": {"num_cpus": 1, "num_gpus": 0.0},
                "init_args": {"num_cpus": int(workers), "num_gpus": 0, "log_to_driver": False},
            },
        )
    if len(sink) != len(configs):
        raise RuntimeError("the Flower simulation ended before every run finished (see its log)")
    return sink
