"""Overhead of the loop and its knowledge base per iteration.

Runs the same 60-iteration loop (random strategy, batch 4, a learner that only
averages the labels, so training costs nothing) three ways and prints the
median wall time per iteration over several repeats:

* ``bare``: a plain NumPy loop doing the same selection, labeling and fit, no
  knowledge base (the baseline);
* ``kb in memory``: :class:`netal.loop.ActiveLearningLoop` with an in-memory KB;
* ``kb on file``: the same with a SQLite file (WAL, ``synchronous=FULL``).

The difference to ``bare`` is what validation, bookkeeping, checkpoints and the
two committed transactions per iteration cost.

Usage: ``python benchmarks/bench_loop.py [--repeats 5] [--pool 5000]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from netal.loop import ActiveLearningLoop, ReplayOracle
from netal.strategies import RandomSampling

ITERATIONS = 60
BATCH = 4
N_INITIAL = 20


class MeanLearner:
    """Predicts the mean label; picklable, so the loop checkpoints it by pickle."""

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state
        self.mean_ = 0.0

    def fit(self, X: Any, y: Any) -> MeanLearner:
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.full(len(X), self.mean_)


def make_learner(seed: int) -> MeanLearner:
    return MeanLearner(seed)


def bare_loop(X: np.ndarray, y: np.ndarray, seed: int) -> float:
    start = time.perf_counter()
    labeled = list(range(N_INITIAL))
    unlabeled = np.ones(len(X), dtype=bool)
    unlabeled[labeled] = False
    learner = make_learner(seed).fit(X[labeled], y[labeled])
    strategy = RandomSampling()
    for iteration in range(1, ITERATIONS + 1):
        pool = np.flatnonzero(unlabeled)
        rng = np.random.default_rng([seed, iteration])
        picked = pool[strategy.select(learner, X[pool], X[labeled], BATCH, rng=rng).indices]
        labeled.extend(picked.tolist())
        unlabeled[picked] = False
        learner = make_learner(seed).fit(X[labeled], y[labeled])
    return (time.perf_counter() - start) / ITERATIONS


def kb_loop(X: np.ndarray, y: np.ndarray, seed: int, path: Path | None) -> float:
    loop = ActiveLearningLoop(
        X,
        ReplayOracle(y),
        make_learner,
        "random",
        initial_ids=np.arange(N_INITIAL),
        batch_size=BATCH,
        max_iterations=ITERATIONS,
        seed=seed,
        knowledge_base=path,
    )
    start = time.perf_counter()
    loop.run()
    return (time.perf_counter() - start) / ITERATIONS


def resume_read(n_labels: int, horizon: int, path: Path) -> tuple[float, float]:
    """Seconds to commit an initial set of ``n_labels`` x ``horizon`` labels, and to read
    the run back as a resumed loop does."""
    from netal.loop.knowledge import KnowledgeBase

    kb = KnowledgeBase(path)
    run_id = kb.open_run("big", {"bench": True}, 0)
    labels = np.random.default_rng(0).normal(size=(n_labels, horizon))
    start = time.perf_counter()
    kb.record_labels(
        run_id,
        0,
        np.arange(n_labels),
        labels,
        start_position=0,
        spent_labels=0,
        spent_cost=0.0,
        query=None,
    )
    write = time.perf_counter() - start
    start = time.perf_counter()
    progress = kb.progress(run_id)
    read = time.perf_counter() - start
    assert progress.labels is not None and progress.labels.shape == labels.shape
    kb.close()
    return write, read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pool", type=int, default=5000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.pool, 8))
    y = X @ rng.normal(size=8)
    times: dict[str, list[float]] = {"bare": [], "kb in memory": [], "kb on file": []}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            times["bare"].append(bare_loop(X, y, repeat))
            times["kb in memory"].append(kb_loop(X, y, repeat, None))
            times["kb on file"].append(kb_loop(X, y, repeat, Path(tmp) / f"kb{repeat}.sqlite"))
    base = statistics.median(times["bare"])
    print(f"pool {args.pool} x 8, {ITERATIONS} iterations of batch {BATCH}, {args.repeats} repeats")
    print(f"{'variant':<14} {'ms/iteration':>13} {'overhead ms':>12}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<14} {1e3 * median:>13.2f} {1e3 * (median - base):>12.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        pairs = [resume_read(9803, 20, Path(tmp) / f"big{r}.sqlite") for r in range(args.repeats)]
    write = statistics.median(pair[0] for pair in pairs)
    read = statistics.median(pair[1] for pair in pairs)
    print("initial set of 9803 labels x 20 outputs (the seed's case study), on file:")
    print(f"  commit {write:.2f} s, read back for resume {read:.2f} s")


if __name__ == "__main__":
    main()
