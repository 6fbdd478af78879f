"""Digital-twin performance: CLI generation end to end and oracle batch measurement.

    python benchmarks/bench_twin.py [--repeats 3]

Targets (issue 3): ``netal twin generate --rows 68118`` in at most 5 s end to
end; ``TwinOracle.measure`` on 10,000 requested conditions in at most 0.5 s.
Wall-clock and CPU time (user + sys) are both reported, medians over repeats,
with a baseline measured in the same run (``netal version``: interpreter and CLI
start-up only) so that load from other processes on the machine shows.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(args: list[str], repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of a subprocess."""
    walls, cpus = [], []
    for _ in range(repeats):
        cpu0, t0 = _children_cpu(), time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        walls.append(time.perf_counter() - t0)
        cpus.append(_children_cpu() - cpu0)
    return statistics.median(walls), statistics.median(cpus)


def time_call(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of an in-process call."""
    walls, cpus = [], []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    netal = shutil.which("netal") or str(Path(sys.executable).with_name("netal"))
    rows: list[tuple[str, float, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu = time_command([netal, "version"], args.repeats)
        rows.append(("baseline: `netal version` (start-up only)", wall, cpu, "-"))
        for suffix in (".csv", ".parquet"):
            out = str(Path(tmp) / f"twin{suffix}")
            wall, cpu = time_command(
                [netal, "twin", "generate", "--rows", "68118", "--seed", "0", "--out", out],
                args.repeats,
            )
            rows.append(
                (f"`netal twin generate --rows 68118 --out twin{suffix}`", wall, cpu, "<= 5 s")
            )

    from netal.twin import generate
    from netal.twin.oracle import TwinOracle

    generate(rows=100)  # build and cache the world once
    wall, cpu = time_call(lambda: generate(rows=68118, seed=0), args.repeats)
    rows.append(("`generate(rows=68118)` in process", wall, cpu, "-"))

    rng = np.random.default_rng(0)
    n = 10_000
    conditions = pd.DataFrame(
        {
            "route_pos_m": rng.uniform(0.0, 1300.0, n),
            "mobility_mode": rng.choice(["walking", "driving"], n),
            "trajectory_direction": rng.choice(["CW", "ACW"], n),
        }
    )
    oracle = TwinOracle(seed=0)
    oracle.measure(conditions.iloc[:10])
    wall, cpu = time_call(lambda: oracle.measure(conditions), max(args.repeats, 5))
    rows.append(("`TwinOracle.measure` of 10,000 conditions", wall, cpu, "<= 0.5 s"))
    wall, cpu = time_call(lambda: oracle.observe(conditions), max(args.repeats, 5))
    rows.append(("`TwinOracle.observe` of 10,000 conditions", wall, cpu, "-"))

    print("| what | wall s (median) | CPU s (median) | target |")
    print("|---|---|---|---|")
    for name, wall, cpu, target in rows:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {target} |")


if __name__ == "__main__":
    main()
