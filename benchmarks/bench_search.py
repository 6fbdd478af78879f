"""Benchmark: a 200-trial, 3-objective ``netal search`` (the issue's goal: <= 20 minutes on this machine).

Run: ``python benchmarks/bench_search.py [--dataset twin] [--trials 200] [--out DIR] [--config TOML]``

Runs one seed of the search (NSGA-II, the shipped space and tiers, first-stage
pruning, one process) into a fresh output folder and prints the wall time, the
load average before and after, the trials by outcome (full, pruned, stopped
at the first stage for breaking a tier's limits) and the seconds spent in
trials.  On a shared machine write the load beside the time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from netal.experiments.search import load_search, run_search_experiment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="twin")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--config", default=None, help="TOML with a [search] table (optional)")
    parser.add_argument("--out", default=None, help="output folder (default: a temporary one)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="bench-search-"))
    shutil.rmtree(out, ignore_errors=True)
    overrides = {"trials": args.trials, "seeds": 1}
    if args.config is None:
        overrides["datasets"] = (args.dataset,)
    settings = load_search(args.config, overrides)
    load_before = os.getloadavg()
    start = time.perf_counter()
    run_search_experiment(settings, out)
    wall = time.perf_counter() - start
    load_after = os.getloadavg()
    name = settings.datasets[0]
    trials = pd.read_parquet(out / name / "trials.parquet")
    print(f"dataset {name}: {len(trials)} trials in {wall / 60:.1f} min wall")
    print(f"load average before {load_before}, after {load_after}")
    print(trials.groupby(["search", "fidelity"])["trial"].count().to_string())
    print(f"seconds inside trials: {trials['seconds'].sum():.0f}")
    print(f"outputs: {out}")


if __name__ == "__main__":
    main()
