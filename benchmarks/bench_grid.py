"""Overhead of the benchmark harness: the results store and the executors.

Two measurements, medians over ``--repeats``:

* **store**: writing one cell's output (50 iterations and its labeled ids) with
  :meth:`CellStore.write` (temporary directory, fsync of every file, rename)
  against a plain ``DataFrame.to_parquet`` of the same rows (the baseline),
  and reading back a store of ``--cells`` cells with :meth:`CellStore.load`;
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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from netal.harness import (
    Cell,
    CellOutput,
    CellStore,
    DaskExecutor,
    LocalExecutor,
    SerialExecutor,
    StudyRun,
    make_cells,
    run_study,
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


def busy_cell(cell: Cell) -> CellOutput:
    """About ``cell.param('work')`` seconds of single-threaded NumPy work."""
    rng = np.random.default_rng(cell.seed)
    a = rng.standard_normal((SIZE, SIZE))
    deadline = time.perf_counter() + float(cell.param("work"))
    while time.perf_counter() < deadline:
        a = np.tanh(a @ a.T / SIZE)
    return CellOutput.curve(cell, _records(cell.seed), np.arange(20))


@dataclass(frozen=True)
class BusyStudy:
    """``n_cells`` busy cells (seeds) of ``work`` seconds each."""

    work: float

    def fingerprint(self) -> dict[str, float]:
        return {"study": "busy", "work": self.work}

    def cells(self, seeds: range) -> list[Cell]:
        return make_cells(["d"], ["random"], seeds, work=self.work)

    def run_cell(self, cell: Cell) -> CellOutput:
        return busy_cell(cell)

    def finish(self, run: StudyRun) -> StudyRun:
        return run


def bench_store(repeats: int, n_cells: int) -> list[tuple[str, float]]:
    appends, baselines, loads = [], [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            store = CellStore(Path(tmp) / "cells")
            cells = make_cells(["d"], ["random", "lcmd"], range(n_cells // 2))
            outputs = [CellOutput.curve(cell, _records(0), np.arange(200)) for cell in cells]
            start = time.perf_counter()
            for output in outputs:
                store.write(output)
            appends.append((time.perf_counter() - start) / len(cells))
            start = time.perf_counter()
            for k, output in enumerate(outputs):
                output.table("records").to_parquet(Path(tmp) / f"plain{k}.parquet")
            baselines.append((time.perf_counter() - start) / len(cells))
            start = time.perf_counter()
            frame = store.load()
            loads.append(time.perf_counter() - start)
            assert len(frame) == len(cells) * N_ITERATIONS
    return [
        ("DataFrame.to_parquet, ms / cell (baseline)", 1e3 * statistics.median(baselines)),
        ("CellStore.write, ms / cell", 1e3 * statistics.median(appends)),
        (f"CellStore.load of {n_cells} cells, ms", 1e3 * statistics.median(loads)),
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
                start = time.perf_counter()
                with factory() as executor:
                    run = run_study(BusyStudy(work), range(n_cells), tmp, executor)
                times[name].append(time.perf_counter() - start)
                assert len(run.ran) == n_cells
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
