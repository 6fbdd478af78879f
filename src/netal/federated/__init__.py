"""Federated active learning: clients that keep their data, built on Flower (``flwr``).

Each client (a cell, an edge site, an operator) holds a local pool, a local label
budget and a netal engine; per round it selects and labels locally, trains, and
sends only model updates (paper: "Active ML for 6G", section VII, "Distributed
learning integration").
"""

from netal.federated.app import (
    FederatedResult,
    make_client_app,
    make_server_app,
    make_strategy,
    run_federated,
    serve_run,
)
from netal.federated.central import run_centralized
from netal.federated.clients import ClientData, dirichlet_partition, group_partition
from netal.federated.compression import (
    DOWNLINK_CODECS,
    UPLINK_CODECS,
    dequantize_update,
    quantize_update,
)
from netal.federated.config import AGGREGATIONS, FederatedConfig, Federation
from netal.federated.learner import FederatedMLP, GlobalModel
from netal.federated.messages import MeteredGrid, Traffic, audit_content, message_bytes
from netal.federated.node import open_engine, select_and_label
from netal.federated.selection import SELECTORS, Arm, LoGoStrategy

__all__ = [
    "AGGREGATIONS",
    "DOWNLINK_CODECS",
    "SELECTORS",
    "UPLINK_CODECS",
    "Arm",
    "ClientData",
    "FederatedConfig",
    "FederatedMLP",
    "FederatedResult",
    "Federation",
    "GlobalModel",
    "LoGoStrategy",
    "MeteredGrid",
    "Traffic",
    "audit_content",
    "dequantize_update",
    "dirichlet_partition",
    "group_partition",
    "make_client_app",
    "make_server_app",
    "make_strategy",
    "message_bytes",
    "open_engine",
    "quantize_update",
    "run_centralized",
    "run_federated",
    "select_and_label",
    "serve_run",
]
