"""The Flower apps of federated active learning and the simulation driver.

:func:`make_client_app` builds a Flower ``ClientApp``: on each ``train`` message a
client (the ``partition-id``-th of the federation) loads the global weights,
selects and labels rows of its own pool with its arm (within its own budget,
remembered in the node's ``context.state``), trains the global model on its labels
for ``local_epochs`` and replies with the parameter arrays (or their 8-bit
quantized update) and scalar metrics only.  :func:`make_server_app` builds the
``ServerApp``: Flower's ``FedAvg`` or ``FedProx`` over a :class:`MeteredGrid`,
scoring the global model on the test rows after every round.
:func:`run_federated` runs both on Flower's simulation runtime.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg, FedProx

from netal.federated.config import FederatedConfig, Federation
from netal.federated.messages import MeteredGrid, Traffic, dequantize_update, quantize_update
from netal.federated.selection import NEEDS_LOCAL_MODEL, SELECTORS, SelectionInput
from netal.metrics import record_errors

STATE_KEY = "netal"
"""Key of the client's own record in ``context.state`` (never sent)."""


def client_round(
    msg: Message, context: Context, federation: Federation, configs: Sequence[FederatedConfig]
) -> Message:
    """One client's round: select and label locally, train, reply with arrays and metrics.

    The round config's ``run`` tells which of ``configs`` (arms run one after another
    in one simulation); the client keeps its labeled rows per run in ``context.state``.
    """
    run = int(msg.content["config"].get("run", 0))
    config = configs[run]
    key = f"{STATE_KEY}-{run}"
    pid = int(context.node_config["partition-id"])
    data = federation.clients[pid]
    rnd = int(msg.content["config"]["server-round"])
    global_w = msg.content["arrays"].to_numpy_ndarrays()
    initial = [int(i) for i in data.initial]
    state = context.state.config_records.get(key)
    labeled = [int(i) for i in state["labeled"]] if state is not None else list(initial)
    model = config.learner(config.local_epochs).build(federation.n_features)
    model.set_weights(global_w)
    spent = len(labeled) - len(initial)
    unlabeled = np.setdiff1d(np.arange(len(data)), labeled)
    k = min(config.batch, config.client_budget - spent, len(unlabeled)) if rnd > 1 else 0
    if k > 0:
        local = None
        if config.arm in NEEDS_LOCAL_MODEL:
            local = config.learner(config.local_model_epochs).fit(data.X[labeled], data.y[labeled])
        picks = SELECTORS[config.arm](
            SelectionInput(
                X_pool=data.X[unlabeled],
                X_labeled=data.X[labeled],
                local=local,
                global_model=model,
                k=int(k),
                rng=np.random.default_rng([config.seed, pid, rnd]),
                strategy=config.strategy,
            )
        )
        labeled += [int(i) for i in unlabeled[picks]]
    context.state[key] = ConfigRecord({"labeled": labeled})
    model.proximal_mu = float(msg.content["config"].get("proximal-mu", 0.0))
    model.train_from(global_w, data.X[labeled], data.y[labeled])
    new_w = model.weights()
    if config.compression == "int8":
        payload = quantize_update([n - o for n, o in zip(new_w, global_w, strict=True)])
    else:
        payload = new_w
    metrics = MetricRecord(
        {
            "num-examples": len(labeled),
            "n-labels": len(labeled),
            "n-queried": len(labeled) - len(initial),
        }
    )
    return Message(RecordDict({"arrays": ArrayRecord(payload), "metrics": metrics}), reply_to=msg)


def make_client_app(federation: Federation, configs: Sequence[FederatedConfig]) -> ClientApp:
    """A Flower ClientApp whose nodes are the clients of ``federation`` (by ``partition-id``)."""
    app = ClientApp()
    configs = tuple(configs)

    @app.train()
    def train(msg: Message, context: Context) -> Message:
        return client_round(msg, context, federation, configs)

    return app


class _Decoding:
    """Mixin for Flower strategies: keep the arrays sent, decode int8 updates before averaging."""

    sent: list[np.ndarray] | None = None

    def configure_train(self, server_round: int, arrays: ArrayRecord, config: Any, grid: Grid):
        self.sent = arrays.to_numpy_ndarrays()
        return super().configure_train(server_round, arrays, config, grid)  # type: ignore[misc]

    def aggregate_train(self, server_round: int, replies: Any):
        replies = list(replies)
        for msg in replies:
            if not msg.has_error():
                base = self.sent or []
                update = dequantize_update(
                    msg.content["arrays"].to_numpy_ndarrays(), [b.shape for b in base]
                )
                decoded = [b + u for b, u in zip(base, update, strict=True)]
                msg.content["arrays"] = ArrayRecord(decoded)
        return super().aggregate_train(server_round, replies)  # type: ignore[misc]


class Int8FedAvg(_Decoding, FedAvg):
    """Flower's FedAvg over 8-bit quantized client updates."""


class Int8FedProx(_Decoding, FedProx):
    """Flower's FedProx over 8-bit quantized client updates."""


def _sum_metrics(records: list[RecordDict], weight_key: str) -> MetricRecord:
    """Sum each client metric over the replies (labels are counted, not averaged)."""
    total: dict[str, float] = {}
    for record in records:
        for metrics in record.metric_records.values():
            for key, value in metrics.items():
                total[key] = total.get(key, 0.0) + float(value)
    return MetricRecord(total)


def make_strategy(config: FederatedConfig, n_clients: int) -> FedAvg:
    """Flower's FedAvg or FedProx (with int8 decoding when compressed), every client every round."""
    table = {
        ("fedavg", "none"): FedAvg,
        ("fedavg", "int8"): Int8FedAvg,
        ("fedprox", "none"): FedProx,
        ("fedprox", "int8"): Int8FedProx,
    }
    cls = table[(config.aggregation, config.compression)]
    kwargs: dict[str, Any] = {
        "fraction_train": 1.0,
        "fraction_evaluate": 0.0,
        "min_train_nodes": n_clients,
        "min_available_nodes": n_clients,
        "train_metrics_aggr_fn": _sum_metrics,
    }
    if config.aggregation == "fedprox":
        kwargs["proximal_mu"] = config.proximal_mu
    return cls(**kwargs)


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
    and traffic count.

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
    run_simulation(
        server_app=make_server_app(federation, configs, sink, on_round),
        client_app=make_client_app(federation, configs),
        num_supernodes=len(federation.clients),
        backend_config={
            "client_resources": {"num_cpus": 1, "num_gpus": 0.0},
            "init_args": {"num_cpus": int(workers), "num_gpus": 0, "log_to_driver": False},
        },
    )
    if len(sink) != len(configs):
        raise RuntimeError("the Flower simulation ended before every run finished (see its log)")
    return sink
