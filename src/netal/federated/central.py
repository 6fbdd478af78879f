"""Centralized active learning on the pooled data of every client: the upper reference.

What the federation would reach if every client shipped its pool to one place:
one learner (the same :class:`~netal.federated.learner.FederatedMLP`), one pool
(the union of the clients' pools), the union of the initial sets, and per round
``batch * n_clients`` picks by the run's netal strategy, so the total budget equals
the federation's.  Its ``cost`` column counts the bytes such a design moves: every
pool row's features once (float32) and four bytes per label.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from netal.federated.config import FederatedConfig, Federation
from netal.metrics import record_errors
from netal.models.seeding import torch_threads
from netal.strategies import STRATEGIES


def run_centralized(federation: Federation, config: FederatedConfig) -> pd.DataFrame:
    """Pool-based active learning on the pooled clients; records per round like a federated run.

    Runs with one torch thread, as the federated clients do, so a seed's result
    does not depend on the machine's core count.
    """
    with torch_threads(1):
        return _run_centralized(federation, config)


def _run_centralized(federation: Federation, config: FederatedConfig) -> pd.DataFrame:
    X = np.concatenate([c.X for c in federation.clients])
    y = np.concatenate([c.y for c in federation.clients])
    offsets = np.cumsum([0] + [len(c) for c in federation.clients])[:-1]
    labeled = np.concatenate(
        [
            np.asarray(c.initial, dtype=np.int64) + o
            for c, o in zip(federation.clients, offsets, strict=True)
        ]
    )
    n_initial = len(labeled)
    budget = config.client_budget * len(federation.clients)
    batch = config.batch * len(federation.clients)
    strategy = STRATEGIES[config.strategy]()
    records = []
    started = time.perf_counter()
    pool_bytes = X.astype(np.float32).nbytes
    model = config.learner(config.central_epochs)
    for iteration in range(config.rounds + 1):
        if iteration:
            spent = len(labeled) - n_initial
            unlabeled = np.setdiff1d(np.arange(len(X)), labeled)
            k = min(batch, budget - spent, len(unlabeled))
            if k > 0:
                rng = np.random.default_rng([config.seed, iteration, 0xCE])
                chosen = strategy.select(model, X[unlabeled], X[labeled], int(k), rng=rng)
                labeled = np.concatenate([labeled, unlabeled[np.asarray(chosen.indices)]])
        model = config.learner(config.central_epochs).fit(X[labeled], y[labeled])
        pred = federation.to_target(model.predict(federation.X_test))
        records.append(
            {
                "iteration": iteration,
                "n_labels": float(len(labeled)),
                "cost": (pool_bytes + 4 * len(labeled)) / 1e6,
                **record_errors(federation.y_test, pred),
                "wall_time_s": time.perf_counter() - started,
                "bytes_up": float(pool_bytes + 4 * len(labeled)),
                "bytes_down": 0.0,
            }
        )
    return pd.DataFrame(records)
