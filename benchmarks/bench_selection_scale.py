"""Benchmark: batch selection from pools of 10k to 1M rows, time and peak extra memory.

A batch of 256 is selected from pools of ``--sizes`` rows (32 input features,
1,024 labeled rows) with ``netal.models.MCDropoutMLP(hidden=(512, 512))``, so
the last-layer embedding is 512 wide (a 1M-row pool embeds to 1.95 GiB at
float32).  Each pool size runs in a fresh process that builds the pool, fits
the learner once, then times every method in turn, ``--repeats`` rounds
interleaved so load drift hits them alike.  Per run it records wall time and
the peak extra resident memory: ``/proc/self/clear_refs`` resets the
high-water mark, the figure is ``VmHWM`` after minus ``VmRSS`` before (glibc
is told to return freed blocks over 1 MiB to the system, so runs do not reuse
each other's pages).  Embedding (and scoring) time is included everywhere.

Methods:

* ``pre-streaming lcmd`` (baseline): what netal did before streaming, i.e.
  ``learner.embed`` collecting chunks in a list and concatenating them, the
  whole-matrix finiteness check, then the same LCMD;
* netal's ``lcmd`` and ``coreset``, exact and sketched (``gauss``: Gaussian
  random projection, ``pca``: principal components of 8,192 pool rows; to 128
  or 256 columns, float32 or float16 storage), and ``max_variance`` (chunked
  scoring, 10 MC passes);
* ``bmdal-reg lcmd``: bmdal_reg 3.0.2's ``LargestClusterMaxDistSelectionMethod``
  on the same learner's embedding (linear kernel on the last layer, TP mode),
  if bmdal_reg is importable (``--bmdal-path``), up to ``--bmdal-max-rows``,
  with ``--bmdal-threads`` torch threads (default 1, its fastest here: its
  many small per-pick tensor operations thrash two threads on a busy machine).

Picks are compared with netal's exact ``lcmd`` of the same size.

``--quality`` instead measures what the sketch costs (pools of
``--quality-pool`` rows, ``--quality-seeds`` seeds): the overlap of the
sketched picks with the exact ones, and the greedy objectives evaluated in the
exact embedding (core-set: covering radius; LCMD: sum of squared distances to
the nearest center and the largest cluster's sum), as ratios sketched / exact.

Run: ``python benchmarks/bench_selection_scale.py --sizes 10000,100000,1000000``
(``--quick`` for a smoke run; bmdal_reg: ``pip install --no-deps --target
/tmp/bmdal bmdal_reg==3.0.2 dill`` and ``--bmdal-path /tmp/bmdal``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from netal.models.mlp import MCDropoutMLP
from netal.strategies import make_strategy
from netal.strategies._geometry import greedy_k_center, min_squared_distances, squared_norms
from netal.strategies._lcmd import largest_cluster_max_distance

BATCH = 256
N_LABELED = 1024
N_FEATURES = 32
HIDDEN = (512, 512)

NETAL_METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "lcmd": ("lcmd", {}),
    "lcmd gauss 128": ("lcmd", {"sketch_dim": 128, "sketch": "gaussian"}),
    "lcmd pca 128": ("lcmd", {"sketch_dim": 128, "sketch": "pca"}),
    "lcmd pca 256 f16": ("lcmd", {"sketch_dim": 256, "sketch": "pca", "feature_dtype": "float16"}),
    "coreset": ("coreset", {}),
    "coreset pca 128": ("coreset", {"sketch_dim": 128, "sketch": "pca"}),
    "max_variance": ("max_variance", {}),
}
BASELINE = "pre-streaming lcmd"
BMDAL = "bmdal-reg lcmd"


# -- measuring ------------------------------------------------------------------------------------
def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        match = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE)
    return int(match.group(1)) if match else 0


def measured(fn: Callable[[], np.ndarray]) -> tuple[float, float, np.ndarray]:
    """Run ``fn`` once; wall seconds, peak extra resident MiB, and its picks."""
    gc.collect()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # reset VmHWM to the current resident size
    before = _status_kib("VmRSS")
    start = time.perf_counter()
    picks = fn()
    seconds = time.perf_counter() - start
    peak = (_status_kib("VmHWM") - before) / 1024.0
    return seconds, peak, np.asarray(picks)


# -- the problem ----------------------------------------------------------------------------------
def make_problem(n_pool: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labeled inputs and targets, and a float32 pool; the bench_selection problem."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=N_FEATURES)
    X_lab = rng.normal(size=(N_LABELED, N_FEATURES)).astype(np.float32)
    y_lab = np.sin(X_lab @ weights / np.sqrt(N_FEATURES)) + 0.1 * rng.normal(size=N_LABELED)
    X_pool = np.empty((n_pool, N_FEATURES), dtype=np.float32)
    for start in range(0, n_pool, 100_000):
        stop = min(n_pool, start + 100_000)
        X_pool[start:stop] = rng.normal(size=(stop - start, N_FEATURES))
    return X_lab, y_lab, X_pool


def fit_learner(X_lab: np.ndarray, y_lab: np.ndarray, seed: int) -> MCDropoutMLP:
    learner = MCDropoutMLP(
        hidden=HIDDEN, epochs=3, n_passes=10, val_fraction=0.0, random_state=seed
    )
    return learner.fit(X_lab, y_lab)


# -- methods ----------------------------------------------------------------------------------------
def pre_streaming_embed(learner: MCDropoutMLP, X: np.ndarray) -> np.ndarray:
    """``learner.embed`` as netal had it before streaming (parts concatenated), plus its check."""
    xs = torch.from_numpy(learner._x_scaler.transform(X))
    learner.net_.eval()
    parts = []
    with torch.no_grad():
        for start in range(0, len(xs), learner.chunk_size):
            parts.append(learner._embed_chunk(xs[start : start + learner.chunk_size]).numpy())
    features = np.concatenate(parts, axis=0).astype(np.float32, copy=False)
    if not np.isfinite(features).all():  # the old strategies checked the whole matrix at once
        raise ValueError("non-finite embedding")
    return features


def baseline_lcmd(learner: MCDropoutMLP, X_pool: np.ndarray, X_lab: np.ndarray) -> np.ndarray:
    features = pre_streaming_embed(learner, X_pool)
    centers = pre_streaming_embed(learner, X_lab)
    return largest_cluster_max_distance(features, centers, BATCH)[0]


def bmdal_lcmd(learner: MCDropoutMLP, X_pool: np.ndarray, X_lab: np.ndarray) -> np.ndarray:
    """bmdal_reg's LCMD on the learner's last-layer features (linear kernel, TP mode)."""
    from bmdal_reg.bmdal.feature_data import TensorFeatureData
    from bmdal_reg.bmdal.feature_maps import IdentityFeatureMap
    from bmdal_reg.bmdal.features import Features
    from bmdal_reg.bmdal.selection import LargestClusterMaxDistSelectionMethod

    def features(X: np.ndarray) -> Features:
        tensor = torch.from_numpy(learner.embed(X))
        return Features(IdentityFeatureMap(n_features=tensor.shape[1]), TensorFeatureData(tensor))

    method = LargestClusterMaxDistSelectionMethod(features(X_pool), features(X_lab), verbosity=0)
    return method.select(BATCH).numpy()


def with_torch_threads(threads: int, fn: Callable[[], np.ndarray]) -> np.ndarray:
    """Run ``fn`` with ``threads`` torch threads, then restore the count."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return fn()
    finally:
        torch.set_num_threads(before)


def bmdal_available(path: str | None) -> bool:
    if path:
        sys.path.insert(0, path)
    setattr(np, "Inf", np.inf)  # noqa: B010  (bmdal_reg 3.0.2 predates NumPy 2)
    try:
        import bmdal_reg.bmdal.selection  # noqa: F401
    except ImportError:
        return False
    return True


def method_table(
    learner: MCDropoutMLP, X_pool: np.ndarray, X_lab: np.ndarray, bmdal_threads: int | None
) -> dict[str, Callable[[], np.ndarray]]:
    table: dict[str, Callable[[], np.ndarray]] = {
        BASELINE: lambda: baseline_lcmd(learner, X_pool, X_lab)
    }
    for label, (name, params) in NETAL_METHODS.items():
        strategy = make_strategy(name, **params)
        table[label] = lambda s=strategy: (
            s.select(learner, X_pool, X_lab, BATCH, rng=np.random.default_rng(0)).indices
        )
    if bmdal_threads is not None:
        table[BMDAL] = lambda: with_torch_threads(
            bmdal_threads, lambda: bmdal_lcmd(learner, X_pool, X_lab)
        )
    return table


def run_size(args: argparse.Namespace) -> dict[str, Any]:
    """Child process: one pool size, every method, ``repeats`` interleaved rounds."""
    torch.set_num_threads(args.threads)
    X_lab, y_lab, X_pool = make_problem(args.child, seed=0)
    learner = fit_learner(X_lab, y_lab, seed=0)
    with_bmdal = args.child <= args.bmdal_max_rows and bmdal_available(args.bmdal_path)
    table = method_table(learner, X_pool, X_lab, args.bmdal_threads if with_bmdal else None)
    wanted = [m.strip() for m in args.methods.split(",") if m.strip()] or list(table)
    runs: dict[str, dict[str, list]] = {m: {"seconds": [], "peak_mib": []} for m in wanted}
    picks: dict[str, list[int]] = {}
    for round_ in range(args.repeats):
        for label in wanted:
            if label not in table or (label == BMDAL and round_ >= args.bmdal_repeats):
                continue
            seconds, peak, chosen = measured(table[label])
            runs[label]["seconds"].append(seconds)
            runs[label]["peak_mib"].append(peak)
            picks[label] = chosen.tolist()
    return {"size": args.child, "runs": runs, "picks": picks, "bmdal": with_bmdal}


# -- reporting ----------------------------------------------------------------------------------------
def agreement(picks: list[int], reference: list[int]) -> str:
    if picks == reference:
        return "same"
    return f"{len(set(picks) & set(reference)) / len(reference):.0%} overlap"


def report(result: dict[str, Any]) -> None:
    size, runs, picks = result["size"], result["runs"], result["picks"]
    medians = {m: statistics.median(r["seconds"]) for m, r in runs.items() if r["seconds"]}
    base = medians.get(BASELINE)
    print(f"\npool {size:,} x {N_FEATURES} -> embedding x {HIDDEN[-1]}, batch {BATCH}")
    print(
        f"{'method':<24}{'median s':>9}{'x baseline':>11}{'peak MiB':>10}  picks vs lcmd  [runs s]"
    )
    for label, seconds in medians.items():
        peak = max(runs[label]["peak_mib"])
        ratio = f"{base / seconds:.2f}" if base else "-"
        same = agreement(picks[label], picks["lcmd"]) if "lcmd" in picks else "-"
        times = ", ".join(f"{t:.2f}" for t in runs[label]["seconds"])
        print(f"{label:<24}{seconds:>9.2f}{ratio:>11}{peak:>10.0f}  {same:<13}  [{times}]")
    if BMDAL in medians and "lcmd" in medians:
        print(f"netal lcmd vs bmdal-reg lcmd: {medians[BMDAL] / medians['lcmd']:.1f}x faster")


def run_scale(args: argparse.Namespace) -> None:
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(2**20), "MALLOC_TRIM_THRESHOLD_": "0"}
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        print(f"load average before {size:,}: {os.getloadavg()}", flush=True)
        command = [sys.executable, __file__, "--child", str(size), "--repeats", str(args.repeats),
                   "--threads", str(args.threads), "--methods", args.methods,
                   "--bmdal-max-rows", str(args.bmdal_max_rows),
                   "--bmdal-threads", str(args.bmdal_threads),
                   "--bmdal-repeats", str(args.bmdal_repeats)]  # fmt: skip
        if args.bmdal_path:
            command += ["--bmdal-path", args.bmdal_path]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr[-3000:])
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(result)
        report(result)
    print(f"load average at end: {os.getloadavg()}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out)


# -- sketch quality -------------------------------------------------------------------------------------
def objectives(features: np.ndarray, centers: np.ndarray, picks: np.ndarray) -> dict[str, float]:
    """Greedy objectives of a batch in the exact embedding (labeled + picked rows as centers)."""
    all_centers = np.concatenate([centers, features[picks]])
    d2, nearest = min_squared_distances(features, squared_norms(features), all_centers)
    sums = np.bincount(nearest, weights=d2.astype(np.float64), minlength=len(all_centers))
    return {"radius": float(np.sqrt(d2.max())), "cost": float(d2.sum(dtype=np.float64)),
            "largest": float(sums.max())}  # fmt: skip


def run_quality(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    configs: list[tuple[str, int | None, str]] = [
        ("gaussian", 64, "float32"), ("gaussian", 128, "float32"), ("gaussian", 256, "float32"),
        ("pca", 64, "float32"), ("pca", 128, "float32"), ("pca", 128, "float16"),
        ("pca", 256, "float32"), ("pca", 256, "float16"), ("-", None, "float16"),
        ("random batch", None, "-"),
    ]  # fmt: skip
    rows: dict[tuple[str, str, int | None, str], list[dict[str, float]]] = {}
    for seed in range(args.quality_seeds):
        X_lab, y_lab, X_pool = make_problem(args.quality_pool, seed=seed)
        learner = fit_learner(X_lab, y_lab, seed=seed)
        features, centers = learner.embed(X_pool), learner.embed(X_lab)
        exact = {"lcmd": largest_cluster_max_distance(features, centers, BATCH)[0],
                 "coreset": greedy_k_center(features, centers, BATCH)[0]}  # fmt: skip
        reference = {name: objectives(features, centers, p) for name, p in exact.items()}
        for name in exact:
            for sketch, dim, dtype in configs:
                if sketch == "random batch":  # scale of the ratios
                    picks = np.random.default_rng(seed).choice(len(X_pool), BATCH, replace=False)
                else:
                    strategy = make_strategy(
                        name,
                        sketch_dim=dim,
                        feature_dtype=dtype,
                        sketch=sketch.replace("-", "gaussian"),
                    )
                    picks = strategy.select(
                        learner, X_pool, X_lab, BATCH, rng=np.random.default_rng(seed)
                    ).indices
                got = objectives(features, centers, picks)
                row = {key: got[key] / reference[name][key] for key in got}
                row["overlap"] = len(set(picks.tolist()) & set(exact[name].tolist())) / BATCH
                rows.setdefault((name, sketch, dim, dtype), []).append(row)
    print(f"sketch quality: pool {args.quality_pool:,}, {N_LABELED} labeled, batch {BATCH}, "
          f"embedding {HIDDEN[-1]}, {args.quality_seeds} seeds; ratios sketched / exact "
          f"(median [worst]); overlap = share of the exact picks; 'random' = a random batch")  # fmt: skip
    print(f"{'strategy':<9}{'sketch':>13}{'dim':>5}{'dtype':>9}{'overlap':>9}{'radius':>16}"
          f"{'cost':>16}{'largest':>16}")  # fmt: skip
    for (name, sketch, dim, dtype), values in rows.items():
        cells = [f"{statistics.median(v[k] for v in values):.3f} [{max(v[k] for v in values):.3f}]"
                 for k in ("radius", "cost", "largest")]  # fmt: skip
        overlap = statistics.mean(v["overlap"] for v in values)
        line = f"{name:<9}{sketch:>13}{dim or '-'!s:>5}{dtype:>9}{overlap:>9.2f}"
        print(line + "".join(f"{c:>16}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--methods", default="", help="comma-separated labels (default: all)")
    parser.add_argument("--bmdal-path", default="", help="folder holding bmdal_reg (and dill)")
    parser.add_argument("--bmdal-max-rows", type=int, default=1_000_000)
    parser.add_argument("--bmdal-repeats", type=int, default=99, help="bmdal_reg runs per size")
    parser.add_argument(
        "--bmdal-threads", type=int, default=1,
        help="torch threads while bmdal_reg runs (1 was its fastest on the shared 2 cores)",
    )  # fmt: skip
    parser.add_argument("--json", default="", help="write the raw runs here")
    parser.add_argument("--quality", action="store_true", help="measure the sketch's quality cost")
    parser.add_argument("--quality-pool", type=int, default=20_000)
    parser.add_argument("--quality-seeds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.repeats, args.quality_pool, args.quality_seeds = "5000", 1, 3000, 1
    if args.child:
        print(json.dumps(run_size(args)))
    elif args.quality:
        run_quality(args)
    else:
        run_scale(args)


if __name__ == "__main__":
    main()
