"""Stream budget managers vs fixed-rate random sampling (``netal stream``)."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.experiments.network._outputs import (
    NetworkOutcome,
    Progress,
    arm_ticker,
    markdown_table,
    write_outputs,
)
from netal.experiments.sources import check_source, data_provenance, load_source
from netal.harness.progress import report
from netal.harness.study import SeedStudy, StudyRun, check_seeds, concat_tables, run_study
from netal.metrics import segment_q95
from netal.models import BaggingCommittee
from netal.schemas import STREAM_FEATURES
from netal.stream import (
    BUDGET_MANAGERS,
    make_budget_manager,
    run_stream,
    stream_from_dataset,
    stream_from_frame,
)
from netal.twin import generate


@dataclass(frozen=True)
class _Stream:
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    rows: int


def _twin_stream(seed: int, rows: int, n_test: int, data_dir: Any) -> _Stream:
    def build(frame: pd.DataFrame) -> Any:
        return stream_from_frame(
            frame, "Throughput", list(STREAM_FEATURES), categorical=["mobility_mode"]
        )

    # one table so both parts get the same one-hot columns (the set of modes is known a priori)
    both = build(
        pd.concat(
            [generate(rows, seed=seed), generate(n_test, seed=seed + 100_003)], ignore_index=True
        )
    )
    return _Stream(both.X[:rows], both.y[:rows], both.X[rows:], both.y[rows:], rows)


def _dataset_stream(
    name: str, seed: int, rows: int, n_test: int, data_dir: Any, options: str = ""
) -> _Stream:
    dataset = load_source(name, data_dir=data_dir, options=json.loads(options or "{}"))
    data = stream_from_dataset(dataset, fill_missing=0.0)
    if rows + n_test > len(data.X):
        raise InvalidInputError(
            "rows",
            f"{rows} stream + {n_test} test rows exceed the {len(data.X)} rows of {name}",
        )
    # a seed picks where in time the stream starts; the test set is the n_test rows right after it
    start = int(np.random.default_rng(seed).integers(0, len(data.X) - rows - n_test + 1))
    stop = start + rows
    return _Stream(
        data.X[start:stop],
        data.y[start:stop],
        data.X[stop : stop + n_test],
        data.y[stop : stop + n_test],
        rows,
    )


def _load_stream(
    dataset: str, seed: int, rows: int, n_test: int, data_dir: Any, options: str = ""
) -> _Stream:
    if dataset == "twin":
        return _twin_stream(seed, rows, n_test, data_dir)
    return _dataset_stream(dataset, seed, rows, n_test, data_dir, options)


def _stream_seed(item: tuple[int, dict[str, Any]]) -> dict[str, Any]:
    """Every arm on one seed's stream (module level: runs in worker processes)."""
    seed, cfg = item
    n_initial = cfg["n_initial"]
    stream = _load_stream(
        cfg["dataset"], seed, cfg["rows"], cfg["n_test"], cfg["data_dir"], cfg["dataset_options"]
    )
    every = max(1, (len(stream.X) - n_initial) // cfg["checkpoints"])
    records, rates = [], []
    for done, (arm, manager) in enumerate(cfg["arms"].items()):
        report(done, len(cfg["arms"]), "arms")
        start = time.perf_counter()
        result = run_stream(
            BaggingCommittee(n_members=cfg["n_members"], random_state=seed),
            stream.X,
            stream.y,
            make_budget_manager(manager, budget=cfg["budget_rate"]),
            rng=np.random.default_rng(seed),
            n_initial=n_initial,
            update="refit",
            update_every=cfg["update_every"],
            X_test=stream.X_test,
            y_test=stream.y_test,
            checkpoint_every=every,
        )
        labels = result.checkpoint_labels + n_initial
        records.append(
            pd.DataFrame(
                {
                    "dataset": cfg["dataset"],
                    "strategy": arm,
                    "seed": seed,
                    "iteration": np.arange(len(labels)),
                    "n_labels": labels,
                    "cost": labels.astype(np.float64),
                    "rmse": result.test_rmse,
                    "mae": result.test_mae,
                    "q95": segment_q95(result.abs_error, result.checkpoints),
                    "wall_time_s": time.perf_counter() - start,
                }
            )
        )
        rates.append(
            {
                "arm": arm,
                "seed": seed,
                "label_rate": result.label_rate,
                "prequential_rmse": result.prequential_rmse(),
                "final_test_rmse": float(result.test_rmse[-1]),
            }
        )
    return {"records": records, "rates": rates}


@dataclass(frozen=True)
class StreamStudy(SeedStudy):
    """The ``netal stream`` study: every budget manager on one seed's stream (see :func:`run_study`).

    Fields are the parameters of :func:`run_stream_experiment`; ``arms`` maps
    each arm's name to its budget manager.  One cell per seed, whose dataset
    is the stream's.
    """

    dataset: str
    rows: int
    n_test: int
    n_initial: int
    checkpoints: int
    arms: tuple[tuple[str, str], ...]
    budget_rate: float
    update_every: int
    n_members: int
    data_dir: str | None = None
    dataset_options: str = ""
    """Loader options of ``dataset`` as JSON (a user table's description); "" for none."""

    def settings(self) -> dict[str, Any]:
        """The keyword settings of one seed's run."""
        return {**dataclasses.asdict(self), "arms": dict(self.arms)}

    def fingerprint(self) -> dict[str, Any]:
        """Every setting but ``data_dir`` (where the data is, not what it is)."""
        kept = {k: v for k, v in self.settings().items() if k != "data_dir"}
        if not kept["dataset_options"]:
            del kept["dataset_options"]  # fingerprints written before user tables still match
        return {"study": "stream", **kept}

    def cell_dataset(self) -> str:
        """The stream's dataset."""
        return self.dataset

    def run_seed(self, seed: int) -> dict[str, pd.DataFrame]:
        """Every arm on ``seed``'s stream: ``records`` and ``rates``."""
        out = _stream_seed((seed, self.settings()))
        return {
            "records": pd.concat(out["records"], ignore_index=True),
            "rates": pd.DataFrame(out["rates"]),
        }

    def finish(self, run: StudyRun) -> NetworkOutcome:
        """Results, the label-rate table, the summary and the report."""
        results = concat_tables(run.outputs, "records")
        rate_table = (
            concat_tables(run.outputs, "rates")
            .groupby("arm", sort=True)
            .mean(numeric_only=True)
            .drop(columns="seed")
        )
        budget_rate = self.budget_rate
        tables = {
            f"Realized label rate (budget {budget_rate:g}) and errors, mean over seeds": markdown_table(
                rate_table.reset_index().round(4)
            )
        }
        return write_outputs(
            run.out_dir,
            results,
            experiment="stream",
            dataset=self.dataset,
            protocol=f"stream, budget rate {budget_rate:g}, {self.rows} rows",
            baseline="random",
            tables=tables,
            queries=None,
            extra={
                "data": data_provenance(
                    self.dataset, json.loads(self.dataset_options or "{}"), self.data_dir
                ),
                "budget_rate": budget_rate,
                "rows": self.rows,
                "n_test": self.n_test,
                "x_axis": "labels",
            },
        )


def run_stream_experiment(
    out_dir: str | Path,
    *,
    dataset: str = "twin",
    data_dir: str | Path | None = None,
    dataset_options: Mapping[str, Any] = MappingProxyType({}),
    budget_rate: float = 0.05,
    managers: Sequence[str] = ("variable_uncertainty", "split"),
    seeds: Sequence[int] = (0, 1, 2),
    rows: int = 3000,
    n_test: int = 500,
    n_initial: int = 30,
    checkpoints: int = 10,
    update_every: int = 10,
    n_members: int = 5,
    on_result: Progress | None = None,
    executor: Any = None,
) -> NetworkOutcome:
    """Stream budget managers vs random (fixed-rate) sampling at the same label rate.

    Parameters
    ----------
    dataset
        ``"twin"`` (fresh twin runs per seed) or a dataset name of
        :func:`netal.data.load_dataset` (e.g. ``"ucc5g"``): the stream is a
        window of ``rows`` consecutive samples in time order starting at a
        seed-dependent place, tested on the ``n_test`` samples right after it;
        NaN features are imputed with 0 plus indicator columns.
    dataset_options
        Loader options of ``dataset`` (a user table: the fields of
        :class:`~netal.data.table.TableSpec`; its time column orders the stream).
    budget_rate
        Label rate ``B`` of every manager (the ``random`` arm is ``fixed_rate``).
    managers
        Names of :data:`netal.stream.BUDGET_MANAGERS` compared with ``random``.
    rows, n_test, n_initial
        Stream length, held-out size, warm-up labels (outside the budget).
    checkpoints
        Held-out evaluations along the stream (the report's iterations).
    update_every, n_members
        Refit the :class:`~netal.models.BaggingCommittee` of ``n_members``
        trees every ``update_every`` labels.
    executor
        A :mod:`netal.harness.executors` backend running the seeds; None
        runs them in this process.

    Notes
    -----
    The results' ``cost`` is the number of labels bought (a label costs one
    unit in a stream); ``q95`` is the 95th percentile of the *prequential*
    absolute error over the stream segment ending at each checkpoint (the
    first segment for checkpoint 0), not a held-out figure.
    """
    seeds = check_seeds(seeds)
    rows = check_positive_int(rows, "rows", minimum=n_initial + checkpoints + 1)
    checkpoints = check_positive_int(checkpoints, "checkpoints")
    arms = {"random": "fixed_rate", **{m: m for m in managers if m != "fixed_rate"}}
    for name in arms.values():
        BUDGET_MANAGERS.get(name)
    check_source(dataset, dataset_options)  # before any worker loads data
    study = StreamStudy(
        dataset=dataset,
        rows=rows,
        n_test=n_test,
        n_initial=n_initial,
        checkpoints=checkpoints,
        arms=tuple(arms.items()),
        budget_rate=budget_rate,
        update_every=update_every,
        n_members=n_members,
        data_dir=None if data_dir is None else str(data_dir),
        dataset_options=json.dumps(dict(dataset_options), sort_keys=True)
        if dataset_options
        else "",
    )
    tick = arm_ticker(on_result, list(arms))
    return run_study(study, seeds, out_dir, executor, on_cell=tick, on_skipped=tick)
