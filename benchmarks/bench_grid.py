"""Overhead of the benchmark harness: the results store and the executors.

Two measurements, medians over ``--repeats``:

* **store**: writing one cell's result (50 iterations) with
  :meth:`ResultStore.append` (temp file + fsync + ``os.replace``) against a
  plain ``DataFrame.to_parquet`` of the same rows (the baseline), and reading
  back a store of ``--cells`` cells with :meth:`ResultStore.load`;
* **executors**: a grid of ``--cells`` CPU-bound NumPy cells (each about
  ``--work`` seconds on one core) run serially (baseline), on the local
  process pool (2 workers) and on a private Dask ``LocalCluster`` (2 workers);
  wall time including worker start-up, and speedup over serial.

Usage: ``python benchmarks/bench_grid.py [--repeats 3] [--cells 16] [--work 0.25]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from netal.harness import (
    Cell,
    CellResult,
    DaskExecutor,
    LocalExecutor,
    ResultStore,
    SerialExecutor,
    make_cells,
    run_grid,
)

N_ITERATIONS = 50
SIZE = 160  # matrix size of the busy loop


def _records(seed: int) -> pd.DataFrame:
    it = np.arange(N_ITERATIONS)
    rmse = 1.0 + np.random.default_rng(seed).random(N_ITERATIONS)
    return pd.DataFrame(
        {
            "iteration": it,
            "n_labels": 20 + 4 * it,
            "cost": 1.5 * it,
            "rmse": rmse,
            "mae": rmse / 2,
            "q95": rmse * 2,
            "wall_time_s": 0.0,
        }
    )


def busy_cell(cell: Cell) -> CellResult:
    """About ``cell.param('work')`` seconds of single-threaded NumPy work."""
    rng = np.random.default_rng(cell.seed)
    a = rng.standard_normal((SIZE, SIZE))
    deadline = time.perf_counter() + float(cell.param("work"))
    while time.perf_counter() < deadline:
        a = np.tanh(a @ a.T / SIZE)
    return CellResult(records=_records(cell.seed), final_labeled_ids=np.arange(20))


def bench_store(repeats: int, n_cells: int) -> list[tuple[str, float]]:
    appends, baselines, loads = [], [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            store = ResultStore(Path(tmp) / "cells")
            cells = make_cells(["d"], ["random", "lcmd"], range(n_cells // 2))
            result = CellResult(records=_records(0), final_labeled_ids=np.arange(200))
            start = time.perf_counter()
            for cell in cells:
                store.append(cell, result)
            appends.append((time.perf_counter() - start) / len(cells))
            start = time.perf_counter()
            for k in range(len(cells)):
                result.records.to_parquet(Path(tmp) / f"plain{k}.parquet")
            baselines.append((time.perf_counter() - start) / len(cells))
            start = time.perf_counter()
            frame = store.load()
            loads.append(time.perf_counter() - start)
            assert len(frame) == len(cells) * N_ITERATIONS
    return [
        ("DataFrame.to_parquet, ms / cell (baseline)", 1e3 * statistics.median(baselines)),
        ("ResultStore.append, ms / cell", 1e3 * statistics.median(appends)),
        (f"ResultStore.load of {n_cells} cells, ms", 1e3 * statistics.median(loads)),
    ]


def bench_executors(repeats: int, n_cells: int, work: float) -> list[tuple[str, float, float]]:
    factories = {
        "serial (baseline)": SerialExecutor,
        "local, 2 processes": lambda: LocalExecutor(2),
        "dask LocalCluster, 2 workers": lambda: DaskExecutor(n_workers=2),
    }
    times: dict[str, list[float]] = {name: [] for name in factories}
    for _ in range(repeats):
        for name, factory in factories.items():
            with tempfile.TemporaryDirectory() as tmp:
                cells = make_cells(["d"], ["random"], range(n_cells), work=work)
                start = time.perf_counter()
                with factory() as executor:
                    report = run_grid(cells, busy_cell, ResultStore(tmp), executor)
                times[name].append(time.perf_counter() - start)
                assert len(report.ran) == n_cells
    base = statistics.median(times["serial (baseline)"])
    return [(name, statistics.median(t), base / statistics.median(t)) for name, t in times.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cells", type=int, default=16)
    parser.add_argument("--work", type=float, default=0.25)
    args = parser.parse_args()

    print(f"| store ({N_ITERATIONS} iterations per cell) | value |")
    print("|---|---:|")
    for name, value in bench_store(args.repeats, max(args.cells, 2) * 10):
        print(f"| {name} | {value:.2f} |")
    print()
    print(f"| executor ({args.cells} cells x {args.work} s) | wall s | speedup vs serial |")
    print("|---|---:|---:|")
    for name, seconds, speedup in bench_executors(args.repeats, args.cells, args.work):
        print(f"| {name} | {seconds:.2f} | {speedup:.2f} |")


if __name__ == "__main__":
    main()
