"""Benchmarks of the learners: MC-dropout pool scoring, the paper's seq2seq model, calibration.

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
* ``calibration``: every learner of ``--learners`` (with the parameters of
  ``benchmarks/configs/learners-NAME.toml``, the ones its active-learning bench
  uses) fitted on ``--train`` labeled rows of the bench's data (the bench's
  split, pool and test caps and initial set of each seed, plus random pool
  rows), then scored on the seed's test rows: RMSE, coverage of the central
  Gaussian intervals at 80/90/95 % nominal, mean predictive std, the share of
  the variance that is epistemic, the Spearman correlations of the total std
  and of the epistemic variance (what the uncertainty strategies rank by)
  with the absolute error (does the uncertainty rank the errors?), fit time.
  One JSON line per (dataset, learner, seed, train) in ``--results``;
  a rerun skips the lines already there.  Then a Markdown table of means
  +- standard errors over seeds.  Needs ``NETAL_DATA_DIR`` (or ``--data-dir``)
  for the real datasets.
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
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import stats
from torch import nn

from netal.experiments.tabular import RunSpec, prepare_tabular
from netal.models import MCDropoutMLP, Seq2SeqMCDropout, make_learner

CONFIGS = Path(__file__).parent / "configs"
"""The bench configurations whose ``[learner.params]`` the calibration case uses."""

NOMINAL = (0.8, 0.9, 0.95)
"""Nominal coverages of the central Gaussian intervals."""


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


def learner_params(name: str) -> dict[str, Any]:
    """The ``[learner.params]`` of ``benchmarks/configs/learners-NAME.toml``."""
    with open(CONFIGS / f"learners-{name}.toml", "rb") as handle:
        config = tomllib.load(handle)
    return dict(config["learner"].get("params", {}))


def run_calibration(
    learner: str, dataset: str, seed: int, n_train: int, data_dir: str | None
) -> dict[str, Any]:
    """Fit ``learner`` on ``n_train`` rows of the bench data of ``seed``; score its test rows."""
    spec = RunSpec(
        dataset=dataset, data_dir=data_dir, seed=seed, max_pool=1000, max_test=1000, twin_rows=5000
    )
    data = prepare_tabular(spec)
    pool = np.setdiff1d(np.arange(len(data.X)), data.initial_ids)
    extra = np.random.default_rng([seed, n_train]).permutation(pool)
    rows = np.concatenate([data.initial_ids, extra[: max(n_train - len(data.initial_ids), 0)]])
    model = make_learner(learner, **learner_params(learner), random_state=seed)
    start = time.perf_counter()
    model.fit(data.X[rows], data.y[rows])
    fit_s = time.perf_counter() - start
    dist = model.predict_dist(data.X_test)
    error = np.abs(data.y_test - dist.mean)
    std = np.maximum(dist.std, 1e-12)
    result: dict[str, Any] = {
        "dataset": dataset,
        "learner": learner,
        "seed": seed,
        "train": len(rows),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mean_std": float(std.mean()),
        "epistemic_share": float(dist.epistemic_var.sum() / np.square(std).sum()),
        "spearman_std_error": float(stats.spearmanr(std, error).statistic),
        "spearman_epistemic_error": float(stats.spearmanr(dist.epistemic_var, error).statistic),
        "fit_s": fit_s,
        "load": os.getloadavg()[0],
    }
    for nominal in NOMINAL:
        z = stats.norm.ppf(0.5 + nominal / 2)
        result[f"cover{round(nominal * 100)}"] = float(np.mean(error <= z * std))
    return result


def calibration_table(results: pd.DataFrame) -> str:
    """Markdown: per dataset, train size and learner, mean +- standard error over seeds."""
    columns = ["rmse", "cover80", "cover90", "cover95", "mean_std", "epistemic_share"]
    columns += ["spearman_std_error", "spearman_epistemic_error", "fit_s"]
    lines = [
        "| dataset | labels | learner | seeds | " + " | ".join(columns) + " | load |",
        "|---" * (len(columns) + 5) + "|",
    ]
    keys = ["dataset", "train", "learner"]
    for (dataset, train, learner), group in results.groupby(keys, sort=True):
        cells = []
        for column in columns:
            values = group[column].to_numpy(float)
            error = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else 0.0
            cells.append(f"{values.mean():.4g} ± {error:.2g}")
        load = f"{group['load'].min():.1f}-{group['load'].max():.1f}"
        lines.append(
            f"| {dataset} | {train} | {learner} | {len(group)} | "
            + " | ".join(cells)
            + f" | {load} |"
        )
    return "\n".join(lines)


def calibration_suite(args: argparse.Namespace) -> None:
    """Every (dataset, train, learner, seed) not yet in ``--results``, then the table."""
    out = Path(args.results)
    done: list[dict[str, Any]] = []
    if out.exists():
        done = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    seen = {(r["dataset"], r["learner"], r["seed"], r["requested"]) for r in done}
    for dataset in args.datasets.split(","):
        for n_train in (int(t) for t in args.train_sizes.split(",")):
            for learner in args.learners.split(","):
                for seed in range(args.seeds):
                    if (dataset, learner, seed, n_train) in seen:
                        continue
                    result = run_calibration(learner, dataset, seed, n_train, args.data_dir)
                    result["requested"] = n_train
                    with out.open("a") as handle:
                        handle.write(json.dumps(result) + "\n")
                    done.append(result)
                    print(json.dumps(result), flush=True)
    print(calibration_table(pd.DataFrame(done)))


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
    parser.add_argument("--case", choices=["mlp", "seq2seq", "calibration"])
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
    parser.add_argument("--learners", default="boosted_ensemble,tabm,deep_ensemble,mc_dropout_mlp")
    parser.add_argument("--datasets", default="twin,ucc5g,umn-mmwave")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--train-sizes", default="120", help="labeled rows per fit, e.g. 120,1000")
    parser.add_argument("--data-dir", default=None, help="real datasets (default $NETAL_DATA_DIR)")
    parser.add_argument("--results", default="calibration.jsonl", help="JSON lines (resumable)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: the CPU is shared)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    threads = ["--threads", str(args.threads)]
    if args.case == "calibration":
        calibration_suite(args)
        return
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
