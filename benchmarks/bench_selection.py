"""Benchmark: batch selection time of LCMD, core-set and k-means++ on a large pool.

Selects a batch of 256 from a 100,000-row pool (32 features) with 1,024
labeled rows, using ``netal.models.MCDropoutMLP(hidden=(512, 512))`` quickly
fitted on the labeled rows.  Times are wall-clock seconds of
``strategy.select(...)``, embedding computation included, median over
``--repeats`` runs.  A second table compares the incremental LCMD with the
straightforward NumPy reference (``benchmarks/_naive_lcmd.py``) on precomputed
features of a smaller problem, and checks they pick the same indices.

Run: ``python benchmarks/bench_selection.py`` (add ``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from netal.models.mlp import MCDropoutMLP
from netal.strategies import make_strategy
from netal.strategies._geometry import (
    d2_seeding,
    greedy_k_center,
    min_squared_distances,
    squared_norms,
)
from netal.strategies._lcmd import largest_cluster_max_distance

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _naive_lcmd import naive_lcmd

STRATEGY_CONFIGS: dict[str, tuple[str, dict]] = {
    "lcmd": ("lcmd", {}),
    "coreset": ("coreset", {}),
    "kmeanspp (scale=none)": ("kmeanspp", {"scale": "none"}),
    "kmeanspp (scale=total)": ("kmeanspp", {"scale": "total"}),
    "lcmd (sketch_dim=128)": ("lcmd", {"sketch_dim": 128}),
    "coreset (sketch_dim=128)": ("coreset", {"sketch_dim": 128}),
    "max_variance (baseline)": ("max_variance", {}),
}


def make_problem(
    n_pool: int, n_labeled: int, n_features: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=n_features)
    X = rng.normal(size=(n_pool + n_labeled, n_features)).astype(np.float32)
    y = np.sin(X @ weights / np.sqrt(n_features)) + 0.1 * rng.normal(size=len(X))
    return X[:n_labeled], y[:n_labeled], X[n_labeled:]


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, list[float], object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=100_000)
    parser.add_argument("--labeled", type=int, default=1024)
    parser.add_argument("--features", type=int, default=32)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--passes", type=int, default=10, help="MC passes of the learner")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--naive-pool", type=int, default=4000)
    parser.add_argument("--naive-labeled", type=int, default=100)
    parser.add_argument("--naive-batch", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument(
        "--only", default="", help="comma-separated strategy labels to time (default: all)"
    )
    parser.add_argument("--no-naive", action="store_true", help="skip the naive LCMD comparison")
    args = parser.parse_args()
    if args.quick:
        args.pool, args.labeled, args.batch, args.repeats = 5000, 128, 32, 1
        args.naive_pool, args.naive_labeled, args.naive_batch = 500, 20, 8
    torch.set_num_threads(args.threads)

    X_lab, y_lab, X_pool = make_problem(args.pool, args.labeled, args.features, seed=0)
    start = time.perf_counter()
    learner = MCDropoutMLP(
        hidden=(512, 512), epochs=args.epochs, n_passes=args.passes, val_fraction=0.0,
        random_state=0,
    ).fit(X_lab, y_lab)  # fmt: skip
    fit_time = time.perf_counter() - start
    print(f"load average at start: {os.getloadavg()}")
    print(f"pool {X_pool.shape}, labeled {X_lab.shape}, batch {args.batch}, "
          f"MCDropoutMLP(512, 512) fitted in {fit_time:.1f} s ({args.epochs} epochs), "
          f"torch threads {args.threads}, numpy/BLAS default threads")  # fmt: skip

    embed_median, _, _ = timed(lambda: (learner.embed(X_pool), learner.embed(X_lab)), args.repeats)
    dist_median, _, _ = timed(lambda: learner.predict_dist(X_pool), args.repeats)
    print(f"\n{'component':<28}{'median s':>10}")
    print(f"{'embed pool + labeled':<28}{embed_median:>10.2f}")
    print(f"{'predict_dist pool':<28}{dist_median:>10.2f}  ({args.passes} MC passes)")

    print(f"\n{'strategy':<28}{'median s':>10}  runs")
    wanted = [label.strip() for label in args.only.split(",") if label.strip()]
    for label, (name, params) in STRATEGY_CONFIGS.items():
        if wanted and label not in wanted:
            continue
        strategy = make_strategy(name, **params)
        median, times, _ = timed(
            lambda s=strategy: s.select(
                learner, X_pool, X_lab, args.batch, rng=np.random.default_rng(0)
            ),
            args.repeats,
        )
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(f"{label:<28}{median:>10.2f}  [{runs}]")

    pool_features, labeled_features = learner.embed(X_pool), learner.embed(X_lab)
    norms = squared_norms(pool_features)
    pieces: dict[str, Callable[[], object]] = {
        "nearest labeled (GEMM)": lambda: min_squared_distances(
            pool_features, norms, labeled_features
        ),
        f"{args.batch} pool mat-vecs (floor)": lambda: [
            pool_features @ pool_features[i] for i in range(args.batch)
        ],
        "lcmd": lambda: largest_cluster_max_distance(pool_features, labeled_features, args.batch),
        "coreset": lambda: greedy_k_center(pool_features, labeled_features, args.batch),
        "kmeanspp (scale=none)": lambda: d2_seeding(
            pool_features, labeled_features, args.batch, np.random.default_rng(0)
        ),
    }
    print(f"\nfeatures precomputed ({pool_features.shape[1]} columns), selection only")
    print(f"{'step':<28}{'median s':>10}  runs")
    for label, fn in pieces.items():
        median, times, _ = timed(fn, args.repeats)
        print(f"{label:<28}{median:>10.2f}  [{', '.join(f'{t:.2f}' for t in times)}]")

    if args.no_naive:
        print(f"load average at end: {os.getloadavg()}")
        return
    features = learner.embed(X_pool[: args.naive_pool])
    centers = learner.embed(X_lab[: args.naive_labeled])
    k = args.naive_batch
    fast_median, _, fast = timed(
        lambda: largest_cluster_max_distance(features, centers, k)[0], args.repeats
    )
    naive_median, _, naive = timed(lambda: naive_lcmd(features, centers, k), args.repeats)
    same = np.array_equal(fast, naive)
    print(f"\nLCMD on precomputed features: pool {args.naive_pool}, labeled {args.naive_labeled}, "
          f"batch {k}, d = {features.shape[1]}")  # fmt: skip
    print(f"{'implementation':<28}{'median s':>10}")
    print(f"{'naive NumPy (reference)':<28}{naive_median:>10.3f}")
    print(f"{'netal incremental':<28}{fast_median:>10.3f}")
    print(f"speed-up {naive_median / fast_median:.0f}x; same indices: {same}")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
