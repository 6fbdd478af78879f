"""Bench throughput: cells per minute of ``netal bench``, local processes vs a Dask LocalCluster.

Runs the same small MLP grid (twin, 3 strategies x 4 seeds, the bench's default
cell settings) with ``--jobs 2`` on each executor, alternating, in fresh output
directories, and prints the median over repeats.  Usage::

    python benchmarks/bench_throughput.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GRID = ["--datasets", "twin", "--strategies", "random,max_variance,lcmd", "--seeds", "4"]
EXECUTORS = {
    "local": ["--executor", "local", "--jobs", "2"],
    "dask": ["--executor", "dask", "--jobs", "2"],
}
N_CELLS = 12


def one(name: str, root: Path, repeat: int) -> float:
    out = root / f"{name}-{repeat}"
    command = [
        sys.executable,
        "-m",
        "netal.cli.main",
        "bench",
        *GRID,
        *EXECUTORS[name],
        "--out",
        str(out),
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    seconds: dict[str, list[float]] = {name: [] for name in EXECUTORS}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for name in EXECUTORS:
                seconds[name].append(one(name, Path(tmp), repeat))
                print(f"{name} repeat {repeat}: {seconds[name][-1]:.1f} s", flush=True)
    print("\n| executor | cells | wall time (s), median | cells / minute | repeats (s) |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, values in seconds.items():
        median = statistics.median(values)
        runs = ", ".join(f"{v:.1f}" for v in values)
        print(
            f"| {name} (2 workers) | {N_CELLS} | {median:.1f} | {60 * N_CELLS / median:.2f} | {runs} |"
        )


if __name__ == "__main__":
    main()
