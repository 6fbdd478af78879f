"""A small synthetic benchmark cell: ``run_cell`` for tests, demos and timing.

:func:`synthetic_run_cell` runs a complete, deterministic active-learning curve
on a 2-D regression problem (a noisy sine ridge) with a tiny PyTorch MLP, so the
grid, the stores, the executors and the reports can be exercised before (and
independently of) the real learners and strategies.  It knows two strategies:
``"random"`` and ``"maxdist"`` (greedy farthest-point selection in input space,
the core-set rule of Sener and Savarese, ICLR 2018).

Cell parameters (all optional): ``n_pool`` (400), ``n_test`` (200),
``n_initial`` (20), ``batch_size`` (10), ``n_iterations`` (5), ``epochs`` (60),
``hidden`` (16).  The result depends only on the cell: the same cell gives
bit-identical curves in any process or on any Dask worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch

from netal.errors import UnknownNameError
from netal.harness.grid import Cell, initial_indices
from netal.harness.store import CellOutput
from netal.metrics import record_errors

_DEFAULTS = {
    "n_pool": 400,
    "n_test": 200,
    "n_initial": 20,
    "batch_size": 10,
    "n_iterations": 5,
    "epochs": 60,
    "hidden": 16,
}


def _problem(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    X = rng.uniform(-2.0, 2.0, size=(n, 2))
    y = np.sin(2.0 * X[:, 0]) + 0.5 * X[:, 1] ** 2 + 0.1 * rng.standard_normal(n)
    return X, y


def _pick_random(
    X_pool: np.ndarray, labeled: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    candidates = np.setdiff1d(np.arange(len(X_pool)), labeled)
    return rng.choice(candidates, size=k, replace=False)


def _pick_maxdist(
    X_pool: np.ndarray, labeled: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    dist = np.min(((X_pool[:, None, :] - X_pool[labeled][None, :, :]) ** 2).sum(-1), axis=1)
    picks = []
    for _ in range(k):
        best = int(np.argmax(dist))
        picks.append(best)
        dist = np.minimum(dist, ((X_pool - X_pool[best]) ** 2).sum(-1))
    return np.asarray(picks, dtype=np.int64)


SYNTHETIC_STRATEGIES: dict[
    str, Callable[[np.ndarray, np.ndarray, int, np.random.Generator], np.ndarray]
] = {"random": _pick_random, "maxdist": _pick_maxdist}
"""The selection rules :func:`synthetic_run_cell` understands."""


def _fit_predict(
    X: np.ndarray, y: np.ndarray, X_test: np.ndarray, seed: int, epochs: int, hidden: int
) -> np.ndarray:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1)
    ).double()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
    inputs = torch.from_numpy(X)
    targets = torch.from_numpy(y)[:, None]
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = torch.mean((model(inputs) - targets) ** 2)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return model(torch.from_numpy(X_test))[:, 0].numpy()


def synthetic_run_cell(cell: Cell) -> CellOutput:
    """Run one synthetic active-learning curve (see the module docstring).

    The data depend on ``cell.seed`` only; the initial labeled set comes from
    :func:`~netal.harness.grid.initial_indices`, so all strategies of a seed
    share it; the cost of labeling pool row ``i`` is ``1 + |x_i0|``.

    Returns
    -------
    CellOutput
        The learning curve: ``records`` (one row per iteration) and
        ``labeled`` (the final labeled pool positions).
    """
    try:
        pick = SYNTHETIC_STRATEGIES[cell.strategy]
    except KeyError:
        raise UnknownNameError("strategy", cell.strategy, list(SYNTHETIC_STRATEGIES)) from None
    p = {name: int(cell.param(name, default)) for name, default in _DEFAULTS.items()}
    data_rng = np.random.default_rng([cell.seed, 1])
    select_rng = np.random.default_rng([cell.seed, 2])
    X_pool, y_pool = _problem(p["n_pool"], data_rng)
    X_test, y_test = _problem(p["n_test"], data_rng)
    costs = 1.0 + np.abs(X_pool[:, 0])
    labeled = initial_indices(p["n_pool"], p["n_initial"], cell.seed)
    rows = []
    for iteration in range(p["n_iterations"] + 1):
        start = time.perf_counter()
        if iteration:
            labeled = np.concatenate([labeled, pick(X_pool, labeled, p["batch_size"], select_rng)])
        pred = _fit_predict(
            X_pool[labeled], y_pool[labeled], X_test, cell.seed, p["epochs"], p["hidden"]
        )
        rows.append(
            {
                "iteration": iteration,
                "n_labels": len(labeled),
                "cost": float(costs[labeled].sum()),
                **record_errors(y_test, pred),
                "wall_time_s": time.perf_counter() - start,
            }
        )
    return CellOutput.curve(cell, rows, labeled)
