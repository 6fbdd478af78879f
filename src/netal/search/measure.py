"""What a model costs to deploy: parameter count and prediction latency on this CPU.

Latency is the wall time of the learner's own ``predict`` (input checks,
standardization, every MC pass or ensemble member, the mean), measured with
PyTorch on one thread (``torch.set_num_threads(1)``, restored afterwards),
after warm-up calls, as the 99th percentile over repeats: per row at batch 1
(one request) and per batch of ``batch_rows`` rows (a batch of requests).
On a shared machine the figures move with the load; the search records them
per trial and the reports give the load average beside them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from netal._validation import check_positive_int


def count_parameters(learner: Any) -> int:
    """Number of weights and biases of a fitted torch learner (every member, every layer)."""
    return int(sum(p.numel() for p in learner.net_.parameters()))


@dataclass(frozen=True)
class Latency:
    """p50 and p99 latency in milliseconds, per row at batch 1 and per batch of ``batch_rows``."""

    p50_ms: float
    p99_ms: float
    batch_p50_ms: float
    batch_p99_ms: float
    batch_rows: int


def _timings(predict: Any, X: np.ndarray, warmup: int, repeats: int) -> np.ndarray:
    for _ in range(warmup):
        predict(X)
    times = np.empty(repeats)
    for i in range(repeats):
        start = time.perf_counter()
        predict(X)
        times[i] = time.perf_counter() - start
    return times * 1000.0


def measure_latency(
    learner: Any,
    X: np.ndarray,
    *,
    batch_rows: int = 1024,
    warmup: int = 10,
    repeats: int = 200,
    batch_repeats: int = 20,
) -> Latency:
    """p50/p99 latency of ``learner.predict`` on one thread.

    Parameters
    ----------
    learner
        A fitted learner.
    X
        Rows to predict (any rows of the right width; row ``0`` is the batch-1
        input, rows are repeated to fill a batch of ``batch_rows``).
    batch_rows
        Rows of the batch measurement.
    warmup
        Calls before timing (each measurement).
    repeats, batch_repeats
        Timed calls at batch 1 and at ``batch_rows``.
    """
    for value, name in (
        (batch_rows, "batch_rows"),
        (warmup, "warmup"),
        (repeats, "repeats"),
        (batch_repeats, "batch_repeats"),
    ):
        check_positive_int(value, name)
    X = np.asarray(X, dtype=np.float64)
    one = X[:1]
    batch = X[np.arange(batch_rows) % len(X)]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        single = _timings(learner.predict, one, warmup, repeats)
        many = _timings(learner.predict, batch, max(1, warmup // 5), batch_repeats)
    finally:
        torch.set_num_threads(threads)
    return Latency(
        p50_ms=float(np.percentile(single, 50)),
        p99_ms=float(np.percentile(single, 99)),
        batch_p50_ms=float(np.percentile(many, 50)),
        batch_p99_ms=float(np.percentile(many, 99)),
        batch_rows=int(batch_rows),
    )
