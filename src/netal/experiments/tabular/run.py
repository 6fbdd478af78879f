"""One tabular run: the loop of a spec, run or resumed, and what it writes.

:func:`build_loop` wires a :class:`~netal.experiments.tabular.spec.RunSpec`
and its prepared data into an :class:`~netal.loop.ActiveLearningLoop` (learner
factory, replay oracle, test-set metrics with an optional progress hook);
:func:`records_of` turns a loop result into per-iteration records and
:func:`write_run_outputs` writes ``summary.json`` and ``queries.parquet``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal.atomic import write_parquet
from netal.experiments.sources import data_provenance
from netal.experiments.tabular.prepare import PreparedTabular, prepare_tabular
from netal.experiments.tabular.spec import RunSpec
from netal.harness.executors import cell_threads
from netal.loop import ActiveLearningLoop, Budget, ReplayOracle, TestSetMetrics
from netal.models import FixedValidation
from netal.models import make_learner as create_learner
from netal.report.summary import summary_from_results, write_summary
from netal.strategies import make_strategy


def learner_factory(spec: RunSpec, prepared: PreparedTabular) -> Callable[[int], Any]:
    """``make_learner(seed)`` building the spec's registered learner."""

    def make_learner(seed: int) -> Any:
        learner = create_learner(spec.learner, **spec.learner_params, random_state=seed)
        if len(prepared.X_val):
            return FixedValidation(learner, prepared.X_val, prepared.y_val)
        return learner

    make_learner.__name__ = spec.learner
    return make_learner


def _test_metrics(prepared: PreparedTabular, on_iteration: Callable[[int], None] | None) -> Any:
    return hooked_test_metrics(prepared.X_test, prepared.y_test, on_iteration)


def hooked_test_metrics(
    X_test: Any, y_test: Any, on_iteration: Callable[[int], None] | None
) -> Any:
    """:class:`~netal.loop.TestSetMetrics`, optionally calling ``on_iteration(i)`` after each iteration.

    The hook is an instance attribute holding a function, which the loop's
    configuration record leaves out, so a run started with a progress bar
    resumes without one and vice versa.
    """
    metrics = TestSetMetrics(X_test, y_test)
    if on_iteration is None:
        return metrics
    measure = metrics.on_iteration_end

    def on_iteration_end(context: Any) -> Mapping[str, float]:
        values = measure(context)
        on_iteration(context.iteration)
        return values

    metrics.on_iteration_end = on_iteration_end  # type: ignore[method-assign]
    return metrics


def build_loop(
    spec: RunSpec,
    prepared: PreparedTabular | None = None,
    on_iteration: Callable[[int], None] | None = None,
) -> Any:
    """The :class:`~netal.loop.ActiveLearningLoop` of ``spec`` (not run yet).

    ``on_iteration(i)`` is called after each completed iteration (progress bars).
    """
    prepared = prepared if prepared is not None else prepare_tabular(spec)
    budget_labels = spec.budget_labels or spec.iterations * spec.batch_size
    if spec.knowledge_base is not None:
        Path(spec.knowledge_base).parent.mkdir(parents=True, exist_ok=True)
    return ActiveLearningLoop(
        prepared.X,
        ReplayOracle(prepared.y, costs=prepared.costs),
        learner_factory(spec, prepared),
        make_strategy(spec.strategy, **spec.strategy_params),
        initial_ids=prepared.initial_ids,
        initial_labels=prepared.y[prepared.initial_ids],
        batch_size=spec.batch_size,
        budget=Budget(labels=budget_labels, cost=spec.budget_cost),
        max_iterations=spec.iterations,
        retrain=spec.retrain,
        reinit_every=spec.reinit_every,
        retrain_every=spec.retrain_every,
        lease=spec.lease_s,
        callbacks=[_test_metrics(prepared, on_iteration)],
        seed=spec.seed,
        knowledge_base=spec.knowledge_base,
        run_name=spec.run_name,
        learner_name=spec.learner,
    )


def run_active_learning(
    spec: RunSpec,
    prepared: PreparedTabular | None = None,
    on_iteration: Callable[[int], None] | None = None,
) -> Any:
    """Run (or resume, with a knowledge-base file) the active-learning loop of ``spec``.

    ``prepared`` defaults to :func:`prepare_tabular` of ``spec``;
    ``on_iteration(i)`` is called after each completed iteration.  The loop
    runs on one torch/BLAS thread (:func:`netal.harness.executors.cell_threads`),
    like every cell of a study, so ``netal run``, this function and a bench
    cell of the same spec give the same bytes on machines of any core count.

    Returns
    -------
    netal.loop.LoopResult
        Labeled ids, per-iteration metrics (``test_rmse``, ``test_mae``,
        ``test_q95_abs_error``, ...), queries and the last learner.
    """
    with cell_threads():
        return build_loop(spec, prepared, on_iteration).run()


def records_of(result: Any, elapsed: float | None = None) -> pd.DataFrame:
    """The per-iteration records of a loop result (a bench cell's ``records`` table).

    ``wall_time_s`` is the cumulative selection + labeling + training time
    logged by the loop (so it survives resume), or ``elapsed`` when given.
    """
    metrics = result.metrics.reset_index()
    if "iteration" not in metrics.columns:
        metrics = metrics.rename(columns={metrics.columns[0]: "iteration"})
    log = result.iteration_log.set_index("iteration")
    seconds = (
        log[["select_seconds", "oracle_seconds", "train_seconds"]].fillna(0.0).sum(axis=1).cumsum()
    )
    wall = (
        np.full(len(metrics), float(elapsed))
        if elapsed is not None
        else seconds.reindex(metrics["iteration"]).to_numpy(dtype=np.float64)
    )
    return pd.DataFrame(
        {
            "iteration": metrics["iteration"].to_numpy(dtype=np.int64),
            "n_labels": metrics["n_labeled"].to_numpy(dtype=np.int64),
            "cost": metrics["spent_cost"].to_numpy(dtype=np.float64),
            "rmse": metrics["test_rmse"].to_numpy(dtype=np.float64),
            "mae": metrics["test_mae"].to_numpy(dtype=np.float64),
            "q95": metrics["test_q95_abs_error"].to_numpy(dtype=np.float64),
            "wall_time_s": wall,
        }
    )


# -------------------------------------------------------------- run outputs


def run_results_frame(spec: RunSpec, result: Any) -> pd.DataFrame:
    """The learning curve of one run as a results table (the columns of a bench store)."""
    records = records_of(result)
    records.insert(0, "seed", spec.seed)
    records.insert(0, "strategy", spec.strategy)
    records.insert(0, "dataset", spec.dataset)
    records.insert(0, "key", spec.run_name)
    return records


def _queries_frame(spec: RunSpec, result: Any, prepared: PreparedTabular) -> pd.DataFrame | None:
    if prepared.places is None:
        return None
    queries = result.queries
    ids = queries["sample_id"].to_numpy(dtype=np.int64)
    places = prepared.places.iloc[ids].reset_index(drop=True)
    return pd.DataFrame(
        {
            "arm": spec.strategy,
            "seed": spec.seed,
            "iteration": queries["iteration"].to_numpy(dtype=np.int64),
            "sample_id": ids,
            "latitude": places["latitude"],
            "longitude": places["longitude"],
            "mobility_mode": places["mobility_mode"].astype(str),
            "score": queries["score"].to_numpy(dtype=np.float64),
        }
    )


def write_run_outputs(
    spec: RunSpec, result: Any, prepared: PreparedTabular, out_dir: str | Path
) -> dict[str, Any]:
    """Write ``summary.json`` (and ``queries.parquet`` when the data has coordinates) of a run.

    Returns the summary dict; :func:`netal.report.build_report` turns the
    directory into ``report.html``.
    """
    out = Path(out_dir)
    frame = run_results_frame(spec, result)
    summary = summary_from_results(
        frame,
        experiment="run",
        dataset=spec.dataset,
        protocol=f"{prepared.split} split",
        units=prepared.units,
    )
    summary["config"] = {
        k: (list(v) if isinstance(v, tuple) else v)
        for k, v in json.loads(json.dumps(dataclasses.asdict(spec), default=list)).items()
    }
    summary["data"] = {
        **data_provenance(spec.dataset, spec.dataset_options, spec.data_dir),
        "split": prepared.split,
        "encoded_features": list(prepared.feature_names),
    }
    summary["stop_reason"] = result.stop_reason
    write_summary(out, summary)
    queries = _queries_frame(spec, result, prepared)
    if queries is not None:
        write_parquet(queries, out / "queries.parquet")
    return summary
