"""Federations from real structure: the twin's cells, ucc5g's sessions, a Dirichlet control.

============== ===============================================================================
``twin``       the twin's micro base stations: one client per ``tower_id`` (its own users)
``twin-dirichlet``  the same twin rows split over as many clients by Dirichlet(alpha) shares
               of target-quantile bins (the synthetic non-IID control)
``ucc5g``      UCC 5G production sessions (Cork) grouped by mobility x app: 6 clients
============== ===============================================================================

Measured federations of other datasets (``umn-mmwave`` campaigns, ``barcelona-lte``
cells) are in :mod:`netal.experiments.federated.real`.

Every client's rows are split at random into its held-out test rows
(``test_fraction``, pooled into the server's test set) and its pool (capped at
``pool_size``); its initial labeled set is ``n_initial`` pool rows.  Features are
imputed with the pools' medians and scaled, and the target is scaled, with
statistics of the union of the clients' pools (the target's with the initial
labels only): in a deployment these are one secure-aggregation round of sums,
here they are computed directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from netal._validation import check_positive_int
from netal.data import Dataset
from netal.data.lumos5g import lumos5g_dataset
from netal.errors import InvalidInputError
from netal.experiments.sources import cached_source, encode_features
from netal.federated import ClientData, Federation, dirichlet_partition, group_partition
from netal.registry import Registry
from netal.twin import generate


@dataclass(frozen=True)
class FederationSpec:
    """How to build a federation for one seed.

    Parameters
    ----------
    source
        A name of :data:`FEDERATIONS`.
    pool_size
        Pool rows per client (at most).
    n_initial
        Initial labeled rows per client.
    test_fraction
        Share of each client's rows held out for the server's test set.
    max_test
        Test rows per client (at most).
    twin_rows
        Rows the twin generates (twin sources).
    alpha
        Dirichlet concentration (``twin-dirichlet``).
    data_dir
        Where the real datasets are (default ``$NETAL_DATA_DIR``).
    """

    source: str = "twin"
    pool_size: int = 400
    n_initial: int = 10
    test_fraction: float = 0.25
    max_test: int = 300
    twin_rows: int = 8000
    alpha: float = 0.3
    data_dir: str | None = None

    def __post_init__(self) -> None:
        FEDERATIONS[self.source]
        for name in ("pool_size", "n_initial", "max_test", "twin_rows"):
            check_positive_int(getattr(self, name), name)
        if not 0.0 < self.test_fraction < 1.0:
            raise InvalidInputError("test_fraction", f"must be in (0, 1), got {self.test_fraction}")
        if not self.alpha > 0:
            raise InvalidInputError("alpha", f"must be positive, got {self.alpha}")


Builder = Callable[[FederationSpec, int], Federation]
FEDERATIONS: Registry[Builder] = Registry("federation source")
"""Federation sources by name: ``(spec, seed) -> Federation``."""


def federate(
    dataset: Dataset,
    parts: dict[str, np.ndarray],
    spec: FederationSpec,
    seed: int,
    name: str,
    *,
    tests: dict[str, np.ndarray] | None = None,
) -> Federation:
    """Split each part (client rows of ``dataset``) into pool and test, scale, and build the clients.

    With ``tests`` (client -> its own test rows, e.g. the later part of a time
    series), the test rows are a random ``max_test`` of those and the pool is
    drawn from ``parts`` only.
    """
    y_all = dataset.y
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xFED,)))
    pools, test_rows = {}, []
    for client, rows in parts.items():
        rows = rows[np.isfinite(y_all[rows])]
        rows = rng.permutation(rows)
        if tests is None:
            n_test = min(spec.max_test, max(1, round(spec.test_fraction * len(rows))))
            held_out = rows[:n_test]
        else:
            given = tests[client][np.isfinite(y_all[tests[client]])]
            n_test, held_out = 0, rng.permutation(given)[: spec.max_test]
        if len(held_out) == 0:
            raise InvalidInputError("max_test", f"client {client!r} of {name} has no test rows")
        pool = rows[n_test : n_test + spec.pool_size]
        if len(pool) < spec.n_initial + 1:
            raise InvalidInputError(
                "pool_size", f"client {client!r} of {name} has only {len(pool)} pool rows"
            )
        pools[client] = pool
        test_rows.append(held_out)
    fit_rows = np.concatenate(list(pools.values()))
    features, _ = encode_features(dataset, fit_rows=fit_rows)
    mean = features[fit_rows].mean(axis=0)
    scale = features[fit_rows].std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    X = (features - mean) / scale
    initial = {c: np.arange(spec.n_initial) for c in pools}
    known = np.concatenate([y_all[pools[c][initial[c]]] for c in pools])
    y_mean, y_scale = float(known.mean()), float(known.std()) or 1.0
    clients = tuple(
        ClientData(c, X[rows], (y_all[rows] - y_mean) / y_scale, initial[c])
        for c, rows in pools.items()
    )
    test = np.concatenate(test_rows)
    unit = dataset.units.get(dataset.target, "").split(" (")[0]
    return Federation(
        name=name,
        clients=clients,
        X_test=X[test],
        y_test=y_all[test],
        target_mean=y_mean,
        target_scale=y_scale,
        unit=unit,
    )


def _twin_dataset(spec: FederationSpec, seed: int) -> Dataset:
    frame = generate(spec.twin_rows, seed=seed)
    frame = frame[frame["tower_id"].notna()].reset_index(drop=True)
    return lumos5g_dataset(frame, source=f"twin(rows={spec.twin_rows}, seed={seed})", name="twin")


@FEDERATIONS.register("twin")
def twin_cells(spec: FederationSpec, seed: int) -> Federation:
    """One client per micro base station of the twin (rows served by that ``tower_id``)."""
    dataset = _twin_dataset(spec, seed)
    towers = dataset.frame["tower_id"].astype(int).map(lambda t: f"tower {t}").to_numpy()
    parts = group_partition(towers, min_rows=spec.n_initial + 2)
    return federate(dataset, parts, spec, seed, "twin cells")


@FEDERATIONS.register("twin-dirichlet")
def twin_dirichlet(spec: FederationSpec, seed: int) -> Federation:
    """The twin's rows over as many clients as it has cells, by Dirichlet(alpha) target shares."""
    dataset = _twin_dataset(spec, seed)
    n_cells = int(dataset.frame["tower_id"].nunique())
    parts = dirichlet_partition(dataset.y, n_cells, spec.alpha, seed)
    return federate(dataset, parts, spec, seed, f"twin Dirichlet(alpha={spec.alpha:g})")


@FEDERATIONS.register("ucc5g")
def ucc5g_sessions(spec: FederationSpec, seed: int) -> Federation:
    """UCC 5G sessions grouped by mobility x app (Driving/Static x Download/Netflix/Amazon_Prime)."""
    dataset = cached_source("ucc5g", data_dir=spec.data_dir)
    frame: pd.DataFrame = dataset.frame
    groups = (frame["mobility"].astype(str) + "/" + frame["app"].astype(str)).to_numpy()
    parts = group_partition(groups, min_rows=spec.n_initial + 2)
    return federate(dataset, parts, spec, seed, "ucc5g mobility x app")
