"""Benchmarks of the learners: MC-dropout pool scoring and the paper's seq2seq model.

Run ``python benchmarks/bench_learners.py`` (everything) or one case, e.g.
``python benchmarks/bench_learners.py --case mlp --hidden 64,64 --rows 1000000``.
Each case runs in a fresh process so its peak resident memory
(``ru_maxrss``) is its own.  Printed: a small table per case.

* ``mlp``: MC-dropout scoring (T passes) of a pool of random rows with 32
  features by :class:`netal.models.MCDropoutMLP` (vectorized, chunked), and in
  the same process a naive baseline: a Python loop over the T passes of the
  same network with ``nn.Dropout`` in train mode, also chunked.  Also a
  calibration GEMM so the figures can be read against what the (shared,
  loaded) CPU delivered at that moment.
* ``seq2seq``: the case-study model with the paper's settings, trained for a
  fixed number of epochs on windows ``(n, 20, 16)`` (each epoch ends with the
  paper's 35-pass validation RMSE on 1,000 validation windows), then 35-pass
  scoring of a pool of windows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from netal.models import MCDropoutMLP, Seq2SeqMCDropout


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _gemm_gmacs(size: int = 2048, repeats: int = 5) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return size**3 / statistics.median(times) / 1e9


def _naive_scores(
    net: nn.Module, x: torch.Tensor, n_passes: int, p: float, chunk: int
) -> np.ndarray:
    """Baseline: T full forward passes per chunk with nn.Dropout layers in train mode."""
    layers: list[nn.Module] = []
    for layer in net.hidden:
        layers += [layer, nn.ReLU(), nn.Dropout(p)]
    model = nn.Sequential(*layers, net.head).train()
    outputs = []
    with torch.no_grad():
        for start in range(0, len(x), chunk):
            xb = x[start : start + chunk]
            passes = torch.stack([model(xb) for _ in range(n_passes)])
            outputs.append(torch.stack([passes.mean(0), passes.var(0)]).numpy())
    return np.concatenate(outputs, axis=1)


def run_mlp(
    hidden: tuple[int, ...], rows: int, naive_rows: int, repeats: int, chunk: int
) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    X_train = rng.normal(size=(2000, 32)).astype(np.float32)
    model = MCDropoutMLP(hidden=hidden, epochs=1, random_state=0, chunk_size=chunk)
    model.fit(X_train, X_train[:, 0])  # weights do not matter for speed
    pool = rng.normal(size=(rows, 32)).astype(np.float32)
    rss_before = _maxrss_mib()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        dist = model.predict_dist(pool)
        times.append(time.perf_counter() - start)
        del dist
    rss_after = _maxrss_mib()
    xs = torch.from_numpy(model._x_scaler.transform(pool[:naive_rows]))
    naive_times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _naive_scores(model.net_, xs, model.n_passes, model.dropout, chunk)
        naive_times.append(time.perf_counter() - start)
    vectorized = rows / statistics.median(times)
    naive = naive_rows / statistics.median(naive_times)
    return {
        "case": "mlp",
        "hidden": "x".join(map(str, hidden)),
        "rows": rows,
        "passes": model.n_passes,
        "chunk": chunk,
        "repeats": repeats,
        "rows_per_s": vectorized,
        "naive_rows": naive_rows,
        "naive_rows_per_s": naive,
        "speedup": vectorized / naive,
        "maxrss_before_scoring_mib": rss_before,
        "maxrss_mib": rss_after,
        "gemm_gmacs": _gemm_gmacs(),
        "threads": torch.get_num_threads(),
        "load": os.getloadavg()[0],
    }


def run_seq2seq(train: int, pool: int, epochs: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(train, 20, 16)).astype(np.float32)
    y = (500 + 300 * X[:, :, :1].mean(axis=1) + 50 * rng.normal(size=(train, 20))).astype(
        np.float32
    )
    X_val = rng.normal(size=(1000, 20, 16)).astype(np.float32)
    y_val = (500 + 300 * X_val[:, :, :1].mean(axis=1)).repeat(20, axis=1)
    model = Seq2SeqMCDropout(max_epochs=epochs, patience=epochs + 1, random_state=0)
    start = time.perf_counter()
    model.fit(X, y, validation_data=(X_val, y_val))
    fit_s = time.perf_counter() - start
    X_pool = rng.normal(size=(pool, 20, 16)).astype(np.float32)
    start = time.perf_counter()
    dist = model.predict_dist(X_pool)
    score_s = time.perf_counter() - start
    return {
        "case": "seq2seq",
        "train_windows": train,
        "epochs": model.history_.n_epochs,
        "fit_s": fit_s,
        "s_per_epoch": fit_s / model.history_.n_epochs,
        "val_rmse": model.history_.val_score[-1][0],
        "pool_windows": pool,
        "passes": model.n_passes,
        "score_s": score_s,
        "windows_per_s": pool / score_s,
        "score_shape": list(dist.samples.shape),
        "maxrss_mib": _maxrss_mib(),
        "gemm_gmacs": _gemm_gmacs(),
        "threads": torch.get_num_threads(),
        "load": os.getloadavg()[0],
    }


def _print_mlp(r: dict[str, Any]) -> None:
    print(
        f"MC-dropout MLP {r['hidden']:>8} | T={r['passes']} | pool {r['rows']:,} x 32 | chunk {r['chunk']}"
        f" | vectorized {r['rows_per_s']:,.0f} rows/s | naive loop {r['naive_rows_per_s']:,.0f} rows/s"
        f" ({r['naive_rows']:,} rows) | speedup {r['speedup']:.1f}x | peak RSS {r['maxrss_mib']:,.0f} MiB"
        f" (before scoring {r['maxrss_before_scoring_mib']:,.0f}) | GEMM {r['gemm_gmacs']:.1f} GMAC/s"
        f" | load {r['load']:.1f}"
    )


def _print_seq2seq(r: dict[str, Any]) -> None:
    print(
        f"seq2seq (paper) | fit {r['train_windows']:,} windows 20x16, {r['epochs']} epochs: {r['fit_s']:.1f} s"
        f" ({r['s_per_epoch']:.1f} s/epoch incl. 35-pass validation on 1,000 windows)"
        f" | score {r['pool_windows']:,} windows, T={r['passes']}: {r['score_s']:.1f} s"
        f" ({r['windows_per_s']:,.0f} windows/s) | peak RSS {r['maxrss_mib']:,.0f} MiB"
        f" | GEMM {r['gemm_gmacs']:.1f} GMAC/s | load {r['load']:.1f}"
    )


def _spawn(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args, "--json"], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["mlp", "seq2seq"])
    parser.add_argument("--hidden", default="64,64")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=2048)
    parser.add_argument("--train", type=int, default=10_000)
    parser.add_argument("--pool", type=int, default=40_000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument(
        "--json", action="store_true", help="print one JSON line (used by the driver)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: the CPU is shared)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    threads = ["--threads", str(args.threads)]
    if args.case is None:  # the default suite, each case in a fresh process
        for extra in (
            ["--hidden", "64,64"],
            ["--hidden", "128,128", "--rows", "250000"],
            ["--hidden", "512,512", "--rows", "50000", "--naive-rows", "10000"],
        ):
            _print_mlp(_spawn(["--case", "mlp", *extra, *threads]))
        _print_seq2seq(_spawn(["--case", "seq2seq", *threads]))
        return
    if args.case == "mlp":
        hidden = tuple(int(h) for h in args.hidden.split(","))
        result = run_mlp(hidden, args.rows, args.naive_rows, args.repeats, args.chunk)
        printer = _print_mlp
    else:
        result = run_seq2seq(args.train, args.pool, args.epochs)
        printer = _print_seq2seq
    print(json.dumps(result) if args.json else "", flush=True)
    if not args.json:
        printer(result)


if __name__ == "__main__":
    main()
