"""Computation QoAIS indicators: inference latency, parameter count and FLOPs of a fitted model.

Latency is measured on this CPU with one torch thread (restored afterwards),
after warm-up calls, in wall time and in the calling thread's CPU time, as percentiles over repeated calls of the prediction a
deployment makes: ``predict(X, return_std=True)`` for a learner with
predictive intervals, ``predict(X)`` otherwise.  Parameters and FLOPs are
counted on the torch modules the learner holds (``nn.Module`` attributes,
also inside lists, tuples and dicts, and inside member learners); FLOPs with
:class:`torch.utils.flop_counter.FlopCounterMode` over one real prediction
(matrix multiplies and convolutions; elementwise operations are not counted).
LightGBM models (the reference, the boosted ensemble's members) are sized
by their tree nodes; any other model may report its own size through a
``n_parameters()`` method.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from netal._validation import as_float_array, check_positive_int
from netal.qoais.indicators import BATCH_ROWS
from netal.qoais.measures import has_intervals

_SEARCH_DEPTH = 3
"""How deep :func:`torch_modules` looks into a learner's attributes (members of members...)."""


def prediction_call(learner: Any) -> Callable[[np.ndarray], Any]:
    """The call a deployment makes: the prediction with its standard deviation when there is one."""
    if has_intervals(learner):
        return lambda X: learner.predict(X, return_std=True)
    return learner.predict


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run the block with one intra-op torch thread; the previous count is restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _timings_ms(
    call: Callable[[], Any], warmup: int, repeats: int
) -> tuple[np.ndarray, np.ndarray]:
    """Wall time and this thread's CPU time of each timed call, in ms."""
    for _ in range(warmup):
        call()
    wall, cpu = np.empty(repeats), np.empty(repeats)
    for i in range(repeats):
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        call()
        cpu[i] = (time.thread_time_ns() - start_cpu) / 1e6
        wall[i] = (time.perf_counter_ns() - start) / 1e6
    return wall, cpu


def inference_latency(
    learner: Any,
    X: Any,
    *,
    batch_rows: int = BATCH_ROWS,
    warmup: int = 5,
    repeats_row: int = 200,
    repeats_batch: int = 30,
) -> dict[str, float]:
    """Latency percentiles (ms) of one row at batch 1 and of one batch of ``batch_rows`` rows.

    Parameters
    ----------
    learner
        A fitted learner.
    X
        Rows to predict (at least one; cycled and tiled to fill the calls).
    batch_rows
        Rows per batched call.
    warmup
        Untimed calls before each measurement.
    repeats_row, repeats_batch
        Timed calls at batch 1 (one row each, cycling through ``X``) and of
        the batch.

    Returns
    -------
    dict
        Wall-clock ``latency_p50_row_ms``, ``latency_p99_row_ms``,
        ``latency_p50_batch_ms``, ``latency_p99_batch_ms``, and the median CPU
        time of the calling thread per call, ``cpu_p50_row_ms`` and
        ``cpu_p50_batch_ms``: the work itself, which other processes on a
        shared machine do not inflate as they inflate wall time (the model
        runs on this one thread).
    """
    rows = as_float_array(X, "X", ndim=2)
    for value, name in ((batch_rows, "batch_rows"), (repeats_row, "repeats_row")):
        check_positive_int(value, name)
    check_positive_int(repeats_batch, "repeats_batch")
    predict = prediction_call(learner)
    batch = rows[np.arange(batch_rows) % len(rows)]
    counter = iter(range(10**12))

    def one_row() -> Any:
        i = next(counter) % len(rows)
        return predict(rows[i : i + 1])

    with one_torch_thread():
        single, single_cpu = _timings_ms(one_row, warmup, repeats_row)
        batched, batched_cpu = _timings_ms(lambda: predict(batch), warmup, repeats_batch)
    return {
        "latency_p50_row_ms": float(np.percentile(single, 50)),
        "latency_p99_row_ms": float(np.percentile(single, 99)),
        "latency_p50_batch_ms": float(np.percentile(batched, 50)),
        "latency_p99_batch_ms": float(np.percentile(batched, 99)),
        "cpu_p50_row_ms": float(np.percentile(single_cpu, 50)),
        "cpu_p50_batch_ms": float(np.percentile(batched_cpu, 50)),
    }


def _held(learner: Any, wanted: Callable[[Any], bool]) -> list[Any]:
    """Distinct objects a learner holds for which ``wanted`` is true (a few attributes deep).

    Attributes, list/tuple items and dict values are searched; a wanted
    object is not searched further.
    """
    found: dict[int, Any] = {}

    def visit(value: Any, depth: int) -> None:
        if wanted(value):
            found.setdefault(id(value), value)
        elif depth >= _SEARCH_DEPTH:
            return
        elif isinstance(value, list | tuple):
            for item in value:
                visit(item, depth + 1)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item, depth + 1)
        elif hasattr(value, "__dict__") and not isinstance(value, type | np.ndarray):
            for item in vars(value).values():
                visit(item, depth + 1)

    for item in vars(learner).values():
        visit(item, 1)
    return list(found.values())


def torch_modules(learner: Any) -> list[nn.Module]:
    """The distinct top-level torch modules a learner holds (searched a few attributes deep)."""
    modules = _held(learner, lambda value: isinstance(value, nn.Module))
    # keep only roots: a module that is a submodule of another found one is counted there
    inner = {id(sub) for m in modules for sub in m.modules() if sub is not m}
    return [m for m in modules if id(m) not in inner]


def _is_booster(value: Any) -> bool:
    """A LightGBM booster (``dump_model`` giving ``tree_info``), found by what it does."""
    return not isinstance(value, type) and callable(getattr(value, "dump_model", None))


def tree_nodes(learner: Any) -> float:
    """Nodes of the LightGBM trees a learner holds: per tree a threshold per split and a value per leaf.

    ``2 * leaves - 1`` per tree, summed over every booster found (a
    scikit-learn ``LGBMRegressor`` is counted through its fitted ``booster_``);
    NaN when the learner holds none.
    """
    boosters = _held(learner, _is_booster)
    if not boosters:
        return float("nan")
    nodes = 0
    for booster in boosters:
        for tree in booster.dump_model()["tree_info"]:
            nodes += 2 * int(tree["num_leaves"]) - 1
    return float(nodes)


def count_parameters(learner: Any) -> float:
    """Trainable parameters of the learner's torch modules, else the nodes of its LightGBM trees.

    A learner's own ``n_parameters()`` wins.  NaN when none of these exists
    (the model's size is not known).
    """
    own = getattr(learner, "n_parameters", None)
    if callable(own):
        return float(own())
    modules = torch_modules(learner)
    if not modules:
        return tree_nodes(learner)
    return float(sum(p.numel() for m in modules for p in m.parameters() if p.requires_grad))


def count_flops(learner: Any, X: Any, rows: int = 32) -> float:
    """FLOPs per row of one prediction (:func:`prediction_call`) of ``rows`` rows of ``X``.

    Counted by :class:`torch.utils.flop_counter.FlopCounterMode` (a multiply
    and an add count two); every MC-dropout pass and ensemble member that the
    prediction runs is included.  NaN for a model without torch modules.
    """
    if not torch_modules(learner):
        return float("nan")
    data = as_float_array(X, "X", ndim=2)
    batch = data[np.arange(check_positive_int(rows, "rows")) % len(data)]
    counter = FlopCounterMode(display=False)
    with counter:
        prediction_call(learner)(batch)
    return float(counter.get_total_flops()) / len(batch)
