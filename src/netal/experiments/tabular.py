"""Pool-based active learning on tabular data: one run from a TOML file, or bench cells.

A :class:`RunSpec` says everything about one run: the data (the digital twin
or a registered dataset), how it is split (no row of the test set, and no
statistic of it, reaches the learner), the learner and the strategy by their
registry names, the initial labeled set, batch size, budgets, iterations, the
retraining policy, the seed and the knowledge base.

* :meth:`RunSpec.from_toml` reads a configuration file (see
  ``examples/run-twin.toml``); unknown keys and bad values raise
  :class:`~netal.errors.ConfigError` naming the file and the key.
* :func:`prepare_tabular` loads, splits, encodes (imputation fitted on the
  training rows only) and builds the candidate pool, the initial set
  (:func:`~netal.harness.grid.initial_indices`, identical for every
  strategy of a seed) and the test set.
* :func:`run_active_learning` runs the loop with a
  :class:`~netal.loop.ReplayOracle` and :class:`~netal.loop.TestSetMetrics`;
  with a knowledge-base file a rerun resumes.
* :func:`run_tabular_cell` maps a :class:`~netal.harness.grid.Cell` to a
  spec and returns its learning curve (the ``run_cell`` of ``netal bench``).

The bench protocol (same initial set per seed, paired seeds, scores in log
RMSE) follows Holzmueller et al., "A Framework and Benchmark for Deep Batch
Active Learning for Regression", JMLR 24(164), 2023.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import math
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal._validation import check_positive_int
from netal.atomic import write_parquet, write_text
from netal.data import (
    DATASETS,
    Dataset,
    group_split,
    random_split,
    resolve_data_dir,
    spatial_block_split,
    temporal_split,
)
from netal.errors import ConfigError, InvalidInputError, NetalError
from netal.experiments.sources import encode_features, load_source, sample_places
from netal.harness.grid import Cell, CellResult, initial_indices, run_grid
from netal.harness.store import ResultStore
from netal.loop import ActiveLearningLoop, Budget, ReplayOracle, TestSetMetrics
from netal.loop.schedule import make_schedule
from netal.models import LEARNERS, FixedValidation
from netal.models import make_learner as create_learner
from netal.report import build_report
from netal.report.summary import (
    arm_columns,
    comparison_tables,
    summary_from_results,
    write_summary,
)
from netal.strategies import STRATEGIES, make_strategy

BENCH_LEARNER_PARAMS: dict[str, Any] = {
    "hidden": (64, 64),
    "epochs": 40,
    "patience": 10,
    "n_passes": 20,
    "batch_size": 64,
}
"""The small MC-dropout MLP of bench cells (see docs/benchmarks.md, "Bench throughput")."""


# --------------------------------------------------------------------- splits


def _split_random(dataset: Dataset, spec: RunSpec) -> Any:
    return random_split(len(dataset), spec.test_fraction, spec.val_fraction, spec.seed)


def _split_group(dataset: Dataset, spec: RunSpec) -> Any:
    if dataset.group is None:
        raise InvalidInputError(
            "split", f"'group' needs a run/session column; dataset {dataset.name!r} has none"
        )
    return group_split(dataset.groups(), spec.test_fraction, spec.val_fraction, spec.seed)


def _split_spatial(dataset: Dataset, spec: RunSpec) -> Any:
    if dataset.coords is None:
        raise InvalidInputError(
            "split", f"'spatial' needs coordinates; dataset {dataset.name!r} has none"
        )
    lat, lon = (dataset.frame[c].to_numpy(dtype=np.float64) for c in dataset.coords)
    return spatial_block_split(
        lat, lon, spec.block_size_m, spec.test_fraction, spec.val_fraction, spec.seed
    )


def _split_temporal(dataset: Dataset, spec: RunSpec) -> Any:
    times = dataset.frame[dataset.time] if dataset.time is not None else None
    return temporal_split(
        times,
        spec.test_fraction,
        spec.val_fraction,
        n_samples=None if times is not None else len(dataset),
    )


SPLITS: dict[str, Callable[[Dataset, RunSpec], Any]] = {
    "random": _split_random,
    "group": _split_group,
    "spatial": _split_spatial,
    "temporal": _split_temporal,
}
"""Split methods by name; ``"auto"`` picks group, else temporal, else random."""


def _auto_split(dataset: Dataset) -> str:
    if dataset.group is not None:
        return "group"
    return "temporal" if dataset.time is not None else "random"


# ----------------------------------------------------------------------- spec

_SOURCE_SPLIT_FIELDS: tuple[str, ...] = (
    "data_dir",
    "twin_rows",
    "twin_seed",
    "split",
    "test_fraction",
    "val_fraction",
    "block_size_m",
)
"""Spec fields saying where the rows come from and how they are split (in data key and cells)."""


@dataclass(frozen=True)
class RunSpec:
    """Everything that defines one tabular active-learning run.

    Parameters
    ----------
    dataset
        ``"twin"`` (the digital twin's Lumos5G-schema data) or a name of
        :data:`netal.data.DATASETS`.
    dataset_options
        Loader options (e.g. ``{"file": "..."}`` for ``csv``).
    data_dir
        Directory of real datasets (default ``$NETAL_DATA_DIR``).
    twin_rows, twin_seed
        Twin only: rows generated and the seed of the twin's runs.
    split
        ``"auto"`` (group if the data has runs, else temporal, else random),
        ``"random"``, ``"group"``, ``"spatial"`` or ``"temporal"``.
    test_fraction, val_fraction
        Shares of the test and validation parts.  Validation rows are held out
        of the pool and, when ``val_fraction > 0``, used by the learner for
        early stopping (``fit(..., validation_data=...)``).
    block_size_m
        Block size of the spatial split (metres).
    learner, learner_params
        Name in :data:`netal.models.LEARNERS` and its parameters
        (``random_state`` is set from the seed).
    strategy, strategy_params
        Name in :data:`netal.strategies.STRATEGIES` and its parameters.
    n_initial
        Size of the initial labeled set (drawn from the training rows).
    batch_size
        Labels per query round.
    iterations
        Query rounds.
    budget_labels, budget_cost
        Optional label and cost budgets (:class:`netal.loop.Budget`).
    cost_column
        Optional numeric column giving each row's labeling cost; default one
        unit per label.
    retrain, reinit_every
        ``"scratch"`` or ``"warm"`` (with an optional re-initialization period).
    retrain_every
        When the engine trains a new model version (:mod:`netal.loop.schedule`):
        ``"round"``, ``"manual"`` or every ``k`` answers.
    lease_s
        Seconds a query handed out by ``netal loop ask`` stays reserved
        (None: until answered or refused).
    seed
        Seed of the split, the initial set, pool subsampling and training.
    max_pool, max_test
        Optional caps: a random subset (per seed, the same for every strategy)
        of the pool and of the test set, for speed.  None keeps all rows.
    knowledge_base
        SQLite file of the run (None: in memory, no resume).
    run_name
        Name of the run in the knowledge base.
    """

    dataset: str = "twin"
    dataset_options: dict[str, Any] = field(default_factory=dict)
    data_dir: str | None = None
    twin_rows: int = 5_000
    twin_seed: int = 0
    split: str = "auto"
    test_fraction: float = 0.2
    val_fraction: float = 0.0
    block_size_m: float = 250.0
    learner: str = "mc_dropout_mlp"
    learner_params: dict[str, Any] = field(default_factory=lambda: dict(BENCH_LEARNER_PARAMS))
    strategy: str = "random"
    strategy_params: dict[str, Any] = field(default_factory=dict)
    n_initial: int = 20
    batch_size: int = 10
    iterations: int = 10
    budget_labels: int | None = None
    budget_cost: float | None = None
    cost_column: str | None = None
    retrain: str = "scratch"
    reinit_every: int | None = None
    retrain_every: str | int = "round"
    lease_s: float | None = None
    seed: int = 0
    max_pool: int | None = None
    max_test: int | None = None
    knowledge_base: str | None = None
    run_name: str = "run"

    def __post_init__(self) -> None:
        for name in ("dataset", "learner", "strategy", "run_name"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise InvalidInputError(name, f"must be a non-empty string, got {value!r}")
        for name in ("twin_rows", "n_initial", "batch_size", "iterations"):
            check_positive_int(getattr(self, name), name)
        for name in ("twin_seed", "seed"):
            check_positive_int(getattr(self, name), name, minimum=0)
        for name in ("budget_labels", "reinit_every", "max_pool", "max_test"):
            if getattr(self, name) is not None:
                check_positive_int(getattr(self, name), name)
        if self.split != "auto" and self.split not in SPLITS:
            raise InvalidInputError(
                "split", f"must be 'auto' or one of {sorted(SPLITS)}, got {self.split!r}"
            )
        _check_fraction("test_fraction", self.test_fraction, low_open=True)
        _check_fraction("val_fraction", self.val_fraction, low_open=False)
        if self.test_fraction + self.val_fraction >= 1.0:
            raise InvalidInputError(
                "val_fraction", "test_fraction + val_fraction must leave training rows"
            )
        for name in ("block_size_m", "budget_cost"):
            value = getattr(self, name)
            if value is not None and not _is_positive_number(value):
                raise InvalidInputError(name, f"must be a finite number > 0, got {value!r}")
        if self.retrain not in ("scratch", "warm"):
            raise InvalidInputError("retrain", f"must be 'scratch' or 'warm', got {self.retrain!r}")
        if self.reinit_every is not None and self.retrain != "warm":
            raise InvalidInputError("reinit_every", "applies only to retrain = 'warm'")
        make_schedule(self.retrain_every)
        if self.lease_s is not None and not _is_positive_number(self.lease_s):
            raise InvalidInputError("lease_s", f"must be a finite number > 0, got {self.lease_s!r}")
        for name in ("dataset_options", "learner_params", "strategy_params"):
            if not isinstance(getattr(self, name), Mapping):
                raise InvalidInputError(name, f"must be a table, got {getattr(self, name)!r}")
        check_components(self)

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> RunSpec:
        """Read a run configuration (see ``examples/run-twin.toml`` for every key).

        Relative paths (``data.data_dir``, ``output.knowledge_base``) are
        relative to the file's directory.  ``overrides`` replace fields after
        reading.

        Raises
        ------
        ConfigError
            The file is missing or not TOML, a section or key is unknown, or a
            value is bad; the message names the file and the key.
        """
        path = Path(path)
        data = read_toml(path)
        return spec_from_mapping(data, path, **overrides)

    def replace(self, **changes: Any) -> RunSpec:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def data_key(self) -> str:
        """JSON of the fields that define the prepared data (not strategy nor learner)."""
        fields = (
            "dataset",
            "dataset_options",
            *_SOURCE_SPLIT_FIELDS,
            "n_initial",
            "cost_column",
            "seed",
            "max_pool",
            "max_test",
        )
        return json.dumps({f: getattr(self, f) for f in fields}, sort_keys=True, default=str)


def _is_positive_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _check_fraction(name: str, value: Any, *, low_open: bool) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and (0.0 < value < 1.0 if low_open else 0.0 <= value < 1.0)
    if not ok:
        bounds = "(0, 1)" if low_open else "[0, 1)"
        raise InvalidInputError(name, f"must be a number in {bounds}, got {value!r}")


def _check_params(factory: Callable[..., Any], params: Mapping[str, Any], what: str) -> None:
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return
    accepted = signature.parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        return
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        known = sorted(n for n in accepted if n not in ("self", "random_state"))
        raise InvalidInputError(what, f"unknown parameter(s) {unknown}; known: {', '.join(known)}")


def check_components(spec: RunSpec) -> None:
    """Raise when the spec's dataset, learner or strategy name (or their parameters) is unknown."""
    if spec.dataset != "twin":
        DATASETS.get(spec.dataset)
    _check_params(LEARNERS.get(spec.learner), spec.learner_params, "learner_params")
    _check_params(STRATEGIES.get(spec.strategy), spec.strategy_params, "strategy_params")


# ----------------------------------------------------------------------- TOML

_TOML_FIELDS: dict[str, dict[str, str]] = {
    "data": {
        "dataset": "dataset",
        "options": "dataset_options",
        "data_dir": "data_dir",
        "rows": "twin_rows",
        "twin_seed": "twin_seed",
        "cost_column": "cost_column",
        "max_pool": "max_pool",
        "max_test": "max_test",
    },
    "split": {
        "method": "split",
        "test_fraction": "test_fraction",
        "val_fraction": "val_fraction",
        "block_size_m": "block_size_m",
    },
    "learner": {"name": "learner", "params": "learner_params"},
    "strategy": {"name": "strategy", "params": "strategy_params"},
    "loop": {
        "n_initial": "n_initial",
        "batch_size": "batch_size",
        "iterations": "iterations",
        "retrain": "retrain",
        "reinit_every": "reinit_every",
        "retrain_every": "retrain_every",
        "lease_s": "lease_s",
        "seed": "seed",
    },
    "budget": {"labels": "budget_labels", "cost": "budget_cost"},
    "output": {"knowledge_base": "knowledge_base", "run_name": "run_name"},
}
"""TOML ``[section] key`` -> :class:`RunSpec` field."""

_FIELD_TO_KEY = {f: f"{s}.{k}" for s, keys in _TOML_FIELDS.items() for k, f in keys.items()}
_PATH_FIELDS = ("data_dir", "knowledge_base")


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, raising :class:`ConfigError` when it is missing or malformed."""
    if not path.is_file():
        raise ConfigError(str(path), "file", "configuration file not found")
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "file", f"not valid TOML ({exc})") from None


def _unknown(path: Path, key: str, known: Any) -> ConfigError:
    return ConfigError(str(path), key, f"unknown key; known: {', '.join(sorted(known))}")


def flatten_toml(
    data: Mapping[str, Any], path: Path, extra_sections: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Map ``[section] key`` entries to :class:`RunSpec` fields; reject unknown ones.

    ``extra_sections`` are tolerated and skipped (``[bench]`` in a bench file).
    """
    fields: dict[str, Any] = {}
    for section, table in data.items():
        if section in extra_sections:
            continue
        if section not in _TOML_FIELDS:
            raise _unknown(path, section, [*_TOML_FIELDS, *extra_sections])
        if not isinstance(table, Mapping):
            raise ConfigError(str(path), section, f"must be a table, got {table!r}")
        for key, value in table.items():
            if key not in _TOML_FIELDS[section]:
                raise _unknown(path, f"{section}.{key}", _TOML_FIELDS[section])
            name = _TOML_FIELDS[section][key]
            if name in _PATH_FIELDS and isinstance(value, str):
                value = str((path.parent / value).resolve())
            fields[name] = value
    if isinstance(fields.get("learner_params"), Mapping):
        fields["learner_params"] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in fields["learner_params"].items()
        }
    return fields


def spec_from_mapping(data: Mapping[str, Any], path: Path, **overrides: Any) -> RunSpec:
    """Build a :class:`RunSpec` from parsed TOML, turning bad values into :class:`ConfigError`."""
    fields = {**flatten_toml(data, path), **overrides}
    return spec_from_fields(fields, path)


def spec_from_fields(fields: Mapping[str, Any], path: Path | str) -> RunSpec:
    """``RunSpec(**fields)`` with errors re-raised as :class:`ConfigError` naming the TOML key."""
    try:
        return RunSpec(**fields)
    except NetalError as exc:
        parameter = getattr(exc, "parameter", None) or getattr(exc, "kind", None) or "file"
        key = _FIELD_TO_KEY.get(
            parameter, {"strategy": "strategy.name", "learner": "learner.name"}.get(parameter)
        )
        key = key or ("data.dataset" if parameter == "dataset" else parameter)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(str(path), key, problem) from None


# --------------------------------------------------------------------- prepare


@dataclass(frozen=True)
class PreparedTabular:
    """The arrays of one run.

    Attributes
    ----------
    X, y
        Candidates (initial set first, then the pool), encoded features and targets.
    costs
        Labeling cost per candidate.
    initial_ids
        Positions in ``X`` of the initial labeled set.
    X_test, y_test
        The test set.
    X_val, y_val
        Validation rows (empty when ``val_fraction == 0``).
    rows
        Row of the dataset frame of each candidate.
    feature_names
        Encoded column names.
    places
        Per candidate: latitude, longitude, mobility mode (None without coordinates).
    split
        The split method used.
    """

    X: np.ndarray
    y: np.ndarray
    costs: np.ndarray
    initial_ids: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    rows: np.ndarray
    feature_names: list[str]
    places: pd.DataFrame | None
    split: str


@functools.lru_cache(maxsize=4)
def _cached_source(
    name: str, data_dir: str | None, rows: int, twin_seed: int, options: str
) -> Dataset:
    return load_source(
        name, data_dir=data_dir, rows=rows, twin_seed=twin_seed, options=json.loads(options)
    )


def load_spec_dataset(spec: RunSpec) -> Dataset:
    """The spec's data (cached per process: cells of the same dataset share it)."""
    options = json.dumps(spec.dataset_options, sort_keys=True)
    return _cached_source(spec.dataset, spec.data_dir, spec.twin_rows, spec.twin_seed, options)


def _subsample(rows: np.ndarray, cap: int | None, seed: int, tag: int) -> np.ndarray:
    if cap is None or len(rows) <= cap:
        return rows
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(tag,)))
    return np.sort(rng.choice(rows, size=cap, replace=False))


def _costs(dataset: Dataset, spec: RunSpec) -> np.ndarray:
    if spec.cost_column is None:
        return np.ones(len(dataset))
    if spec.cost_column not in dataset.frame.columns:
        raise InvalidInputError(
            "cost_column", f"{spec.cost_column!r} is not a column of {dataset.name!r}"
        )
    costs = pd.to_numeric(dataset.frame[spec.cost_column], errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~(np.isfinite(costs) & (costs > 0)))
    if bad.size:
        raise InvalidInputError(
            "cost_column",
            f"{spec.cost_column!r} has {bad.size} missing or non-positive value(s), first at row {bad[0]}",
        )
    return costs


def prepare_tabular(spec: RunSpec) -> PreparedTabular:
    """Load, split, encode and subsample the data of ``spec`` (no test leakage).

    The split is made on rows (by run, space, time or at random); feature
    imputation statistics come from the training rows only; the candidate pool
    is the training rows (capped at ``max_pool`` plus the initial set); the
    initial set is :func:`initial_indices` of the training rows, so it is the
    same for every strategy of a seed.

    Raises
    ------
    InvalidInputError
        The target has missing values, a part of the split is empty, or the
        initial set and one batch do not fit in the training rows.
    """
    dataset = load_spec_dataset(spec)
    y_all = dataset.y
    missing = np.flatnonzero(~np.isfinite(y_all))
    if missing.size:
        raise InvalidInputError(
            "dataset",
            f"{dataset.name!r} target {dataset.target!r} has {missing.size} missing value(s), "
            f"first at row {missing[0]}; filter them with the loader's options",
        )
    method = _auto_split(dataset) if spec.split == "auto" else spec.split
    split = SPLITS[method](dataset, spec)
    if len(split.train) < spec.n_initial + spec.batch_size:
        raise InvalidInputError(
            "n_initial",
            f"{spec.n_initial} initial rows plus a batch of {spec.batch_size} do not fit in "
            f"the {len(split.train)} training rows of {dataset.name!r}",
        )
    features, names = encode_features(dataset, fit_rows=split.train)
    costs = _costs(dataset, spec)
    initial_pos = initial_indices(len(split.train), spec.n_initial, spec.seed)
    pool_pos = np.setdiff1d(np.arange(len(split.train)), initial_pos)
    pool_pos = _subsample(pool_pos, spec.max_pool, spec.seed, 0x7AB1)
    rows = split.train[np.concatenate([initial_pos, pool_pos])]
    test_rows = _subsample(split.test, spec.max_test, spec.seed, 0x7E57)
    return PreparedTabular(
        X=features[rows],
        y=y_all[rows],
        costs=costs[rows],
        initial_ids=np.arange(len(initial_pos), dtype=np.int64),
        X_test=features[test_rows],
        y_test=y_all[test_rows],
        X_val=features[split.validation],
        y_val=y_all[split.validation],
        rows=rows,
        feature_names=names,
        places=sample_places(dataset, rows),
        split=method,
    )


_PREPARED: dict[str, PreparedTabular] = {}
_PREPARED_MAX = 2


def _cached_prepare(spec: RunSpec) -> PreparedTabular:
    """:func:`prepare_tabular` with a small per-process cache keyed by :meth:`RunSpec.data_key`."""
    key = spec.data_key()
    if key not in _PREPARED:
        while len(_PREPARED) >= _PREPARED_MAX:
            _PREPARED.pop(next(iter(_PREPARED)))
        _PREPARED[key] = prepare_tabular(spec)
    return _PREPARED[key]


# ------------------------------------------------------------------------ run


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
    """:class:`~netal.loop.TestSetMetrics`, optionally calling ``on_iteration(i)`` after each iteration.

    The hook is an instance attribute holding a function, which the loop's
    configuration record leaves out, so a run started with a progress bar
    resumes without one and vice versa.
    """
    metrics = TestSetMetrics(prepared.X_test, prepared.y_test)
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
    ``on_iteration(i)`` is called after each completed iteration.

    Returns
    -------
    netal.loop.LoopResult
        Labeled ids, per-iteration metrics (``test_rmse``, ``test_mae``,
        ``test_q95_abs_error``, ...), queries and the last learner.
    """
    return build_loop(spec, prepared, on_iteration).run()


def records_of(result: Any, elapsed: float | None = None) -> pd.DataFrame:
    """The per-iteration records of a loop result (the columns of a :class:`CellResult`).

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


# ---------------------------------------------------------------------- cells

CELL_SPEC_FIELDS: tuple[str, ...] = (
    *_SOURCE_SPLIT_FIELDS,
    "learner",
    "n_initial",
    "batch_size",
    "iterations",
    "budget_labels",
    "budget_cost",
    "cost_column",
    "retrain",
    "reinit_every",
    "max_pool",
    "max_test",
)
"""Spec fields carried as plain cell parameters (dicts go as JSON strings)."""

_JSON_FIELDS = ("dataset_options", "learner_params", "strategy_params")


def cell_params(spec: RunSpec, kb_dir: str | None = None) -> dict[str, Any]:
    """Cell parameters for ``spec`` (without dataset, strategy and seed).

    Dict fields become canonical JSON strings; ``kb_dir`` (optional) holds
    one knowledge base per cell so an interrupted cell resumes mid-curve.
    """
    params: dict[str, Any] = {name: getattr(spec, name) for name in CELL_SPEC_FIELDS}
    for name in _JSON_FIELDS:
        params[name] = json.dumps(getattr(spec, name), sort_keys=True)
    if spec.dataset == "twin":
        params.pop("data_dir")
    else:
        params.pop("twin_rows")
        params.pop("twin_seed")
    params["kb_dir"] = kb_dir
    return {k: v for k, v in params.items() if v is not None}


def spec_from_cell(cell: Cell) -> RunSpec:
    """Inverse of :func:`cell_params`: the spec of one bench cell."""
    params = dict(cell.params)
    kb_dir = params.pop("kb_dir", None)
    for name in _JSON_FIELDS:
        if name in params:
            params[name] = json.loads(params[name])
    if "learner_params" in params:
        params["learner_params"] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in params["learner_params"].items()
        }
    knowledge_base = str(Path(kb_dir) / f"{cell.key}.sqlite") if kb_dir is not None else None
    return RunSpec(
        dataset=cell.dataset,
        strategy=cell.strategy,
        seed=cell.seed,
        knowledge_base=knowledge_base,
        run_name=cell.key,
        **params,
    )


def run_tabular_cell(cell: Cell) -> CellResult:
    """One bench cell: its spec through the loop, as a learning curve (module-level: picklable).

    The prepared data is cached per process, so the strategies of a seed
    that run in the same worker share it.
    """
    spec = spec_from_cell(cell)
    prepared = _cached_prepare(spec)
    started = time.perf_counter()
    result = run_active_learning(spec, prepared)
    records = records_of(result)
    if spec.knowledge_base is None:
        records["wall_time_s"] = time.perf_counter() - started
    return CellResult(records=records, final_labeled_ids=result.labeled_ids)


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
        frame, experiment="run", dataset=spec.dataset, protocol=f"{prepared.split} split"
    )
    summary["config"] = {
        k: (list(v) if isinstance(v, tuple) else v)
        for k, v in json.loads(json.dumps(dataclasses.asdict(spec), default=list)).items()
    }
    summary["stop_reason"] = result.stop_reason
    write_summary(out, summary)
    queries = _queries_frame(spec, result, prepared)
    if queries is not None:
        write_parquet(queries, out / "queries.parquet")
    return summary


# ----------------------------------------------------------------------- bench

BENCH_DEFAULTS: dict[str, Any] = {
    "n_initial": 20,
    "batch_size": 10,
    "iterations": 10,
    "max_pool": 1000,
    "max_test": 1000,
}
"""Bench cell settings unless the config or command line says otherwise (see docs/benchmarks.md)."""

_BENCH_KEYS = ("datasets", "strategies", "seeds", "first_seed", "strategy_params")


@dataclass(frozen=True)
class BenchPlan:
    """The grid of a bench: datasets x strategies x seeds, with one base spec per dataset.

    Build it with :meth:`build`; every name and parameter is checked there,
    before any cell runs.
    """

    datasets: tuple[str, ...]
    strategies: tuple[str, ...]
    seeds: tuple[int, ...]
    base: RunSpec
    strategy_params: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def n_cells(self) -> int:
        """Number of cells of the grid."""
        return len(self.datasets) * len(self.strategies) * len(self.seeds)

    @classmethod
    def build(
        cls,
        *,
        config: str | Path | None = None,
        datasets: list[str] | None = None,
        strategies: list[str] | None = None,
        seeds: int | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> BenchPlan:
        """The plan from an optional bench TOML and command-line values (which win).

        The TOML has a ``[bench]`` table (``datasets``, ``strategies``,
        ``seeds`` (a count), ``first_seed``, ``[bench.strategy_params.<name>]``)
        and any section of a run config except ``[strategy]``.
        """
        path = Path(config) if config is not None else Path("<command line>")
        data = read_toml(path) if config is not None else {}
        table = data.get(BENCH_SECTION_NAME, {})
        if not isinstance(table, Mapping):
            raise ConfigError(str(path), BENCH_SECTION_NAME, "must be a table")
        for key in table:
            if key not in _BENCH_KEYS:
                raise _unknown(path, f"{BENCH_SECTION_NAME}.{key}", _BENCH_KEYS)
        if "strategy" in data:
            raise ConfigError(
                str(path), "strategy", "a bench sets strategies in [bench] strategies"
            )
        fields = {**BENCH_DEFAULTS, **flatten_toml(data, path, (BENCH_SECTION_NAME,))}
        fields.update(overrides or {})
        chosen_datasets = datasets or _str_list(table, "datasets", path) or ["twin"]
        chosen = strategies or _str_list(table, "strategies", path) or STRATEGIES.names()
        n_seeds = seeds if seeds is not None else table.get("seeds", 10)
        first = table.get("first_seed", 0)
        for key, value in (("seeds", n_seeds), ("first_seed", first)):
            if isinstance(value, bool) or not isinstance(value, int) or value < (key == "seeds"):
                raise ConfigError(str(path), f"bench.{key}", f"must be an integer, got {value!r}")
        per_strategy = table.get("strategy_params", {})
        for name in chosen:
            STRATEGIES.get(name)
        base = spec_from_fields(fields, path)
        for dataset in chosen_datasets:
            for name in chosen:
                spec_from_fields(
                    {
                        **fields,
                        "dataset": dataset,
                        "strategy": name,
                        "strategy_params": dict(per_strategy.get(name, {})),
                    },
                    path,
                )
        return cls(
            datasets=tuple(dict.fromkeys(chosen_datasets)),
            strategies=tuple(dict.fromkeys(chosen)),
            seeds=tuple(range(first, first + n_seeds)),
            base=base,
            strategy_params={k: dict(v) for k, v in per_strategy.items()},
        )

    def check_data(self) -> None:
        """Raise :class:`~netal.errors.DataError` now if a dataset's files are missing.

        Only locates the files (cheap); cells load them in their workers.
        """
        for dataset in self.datasets:
            if dataset != "twin":
                loader = DATASETS.create(dataset)
                loader.locate(resolve_data_dir(self.base.data_dir), **self.base.dataset_options)

    def cells(self, kb_dir: str | None = None) -> list[Cell]:
        """One cell per (dataset, seed, strategy), seeds outermost inside each dataset."""
        cells = []
        for dataset in self.datasets:
            for seed in self.seeds:
                for strategy in self.strategies:
                    spec = self.base.replace(
                        dataset=dataset,
                        strategy=strategy,
                        strategy_params=self.strategy_params.get(strategy, {}),
                    )
                    cells.append(Cell(dataset, strategy, seed, cell_params(spec, kb_dir)))
        return cells


BENCH_SECTION_NAME = "bench"


def _str_list(table: Mapping[str, Any], key: str, path: Path) -> list[str] | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(str(path), f"bench.{key}", f"must be a list of names, got {value!r}")
    return value


@dataclass(frozen=True)
class BenchOutcome:
    """What :func:`run_bench` produced.

    Attributes
    ----------
    out_dir
        Output directory (``cells/``, ``kb/``, ``summary.md``, ``report.html``).
    results
        Per-iteration results of the plan's cells.
    tables
        Markdown tables per dataset (title -> table).
    markdown
        All tables as one Markdown document (also ``summary.md``).
    ran, skipped
        Cells run now and cells found finished from an earlier invocation.
    """

    out_dir: Path
    results: pd.DataFrame
    tables: dict[str, dict[str, str]]
    markdown: str
    ran: int
    skipped: int


def bench_tables(results: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Per dataset: scores, labels/cost to reach random's final RMSE, paired tests vs random."""
    tables = {}
    by = arm_columns(results)
    for dataset, part in results.groupby("dataset", sort=True):
        part = part.copy()
        part.attrs = dict(results.attrs)
        tables[str(dataset)] = comparison_tables(part, by)
    return tables


def _markdown(tables: Mapping[str, Mapping[str, str]]) -> str:
    lines = []
    for dataset, group in tables.items():
        lines.append(f"## {dataset}\n")
        for title, table in group.items():
            lines.append(f"### {title}\n\n{table}")
    return "\n".join(lines)


def run_bench(
    plan: BenchPlan,
    out_dir: str | Path,
    *,
    executor: Any | None = None,
    on_result: Callable[[Cell, CellResult], None] | None = None,
    on_skipped: Callable[[Cell], None] | None = None,
    report: bool = True,
) -> BenchOutcome:
    """Run (or resume) a bench and write its tables and report.

    Results go to ``out_dir/cells`` (one file per finished cell, written as
    soon as it finishes); a knowledge base per cell goes to ``out_dir/kb``
    so a cell interrupted mid-curve continues where it stopped.
    """
    plan.check_data()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    kb_dir = (out / "kb").resolve()
    kb_dir.mkdir(exist_ok=True)
    cells = plan.cells(str(kb_dir))
    store = ResultStore(out / "cells")
    done = store.done_keys()
    if on_skipped is not None:
        for cell in cells:
            if cell.key in done:
                on_skipped(cell)
    grid = run_grid(cells, run_tabular_cell, store, executor, on_result=on_result)
    keys = {cell.key for cell in cells}
    results = store.load()
    attrs = dict(results.attrs)
    results = results[results["key"].isin(keys)].reset_index(drop=True)
    results.attrs = attrs
    tables = bench_tables(results)
    markdown = _markdown(tables)
    write_text(out / "summary.md", markdown)
    if report:
        build_report(out)
    return BenchOutcome(out, results, tables, markdown, len(grid.ran), len(grid.skipped))
