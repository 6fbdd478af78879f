"""The configuration of one tabular run: :class:`RunSpec`, its field checks and its TOML file.

A :class:`RunSpec` is validated when built (numbers, fractions, names of the
dataset, learner, strategy and split, their parameters); :meth:`RunSpec.from_toml`
and the helpers below map a TOML file's ``[section] key`` entries to its fields
and re-raise a bad value as :class:`~netal.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netal._validation import check_positive_int
from netal.configfile import coerce, read_toml, unknown_key_error
from netal.data.table import TableSpec, tables_from_toml
from netal.errors import ConfigError, InvalidInputError, NetalError
from netal.experiments.sources import check_source
from netal.experiments.tabular.splits import SPLITS
from netal.loop.schedule import make_schedule
from netal.models import LEARNERS
from netal.strategies import STRATEGIES

BENCH_LEARNER_PARAMS: dict[str, Any] = {
    "hidden": (64, 64),
    "epochs": 40,
    "patience": 10,
    "n_passes": 20,
    "batch_size": 64,
}
"""The small MC-dropout MLP of bench cells (see docs/benchmarks.md, "Bench throughput")."""


# ----------------------------------------------------------------------- spec

SOURCE_SPLIT_FIELDS: tuple[str, ...] = (
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
    def from_toml(
        cls, path: str | Path, tables: Mapping[str, TableSpec] | None = None, **overrides: Any
    ) -> RunSpec:
        """Read a run configuration (see ``examples/run-twin.toml`` for every key).

        Relative paths (``data.data_dir``, ``output.knowledge_base``) are
        relative to the file's directory.  ``overrides`` replace fields after
        reading; ``tables`` are user tables besides the file's ``[tables.NAME]``
        sections (``[data] dataset = "NAME"`` selects one).

        Raises
        ------
        ConfigError
            The file is missing or not TOML, a section or key is unknown, or a
            value is bad; the message names the file and the key.
        """
        path = Path(path)
        data = read_toml(path)
        return spec_from_mapping(data, path, tables, **overrides)

    def replace(self, **changes: Any) -> RunSpec:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def data_key(self) -> str:
        """JSON of the fields that define the prepared data (not strategy nor learner)."""
        fields = (
            "dataset",
            "dataset_options",
            *SOURCE_SPLIT_FIELDS,
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
    check_source(spec.dataset, spec.dataset_options)
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
_RUNSPEC_HINTS = typing.get_type_hints(RunSpec)


def flatten_toml(
    data: Mapping[str, Any], path: Path, extra_sections: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Map ``[section] key`` entries to :class:`RunSpec` fields; reject unknown ones.

    ``extra_sections`` are tolerated and skipped (``[bench]`` in a bench file);
    ``[tables.NAME]`` sections (user tables) are read by :func:`attach_table`.
    """
    fields: dict[str, Any] = {}
    for section, table in data.items():
        if section in (*extra_sections, "tables"):
            continue
        if section not in _TOML_FIELDS:
            raise unknown_key_error(path, section, [*_TOML_FIELDS, *extra_sections])
        if not isinstance(table, Mapping):
            raise ConfigError(str(path), section, f"must be a table, got {table!r}")
        for key, value in table.items():
            if key not in _TOML_FIELDS[section]:
                raise unknown_key_error(path, f"{section}.{key}", _TOML_FIELDS[section])
            name = _TOML_FIELDS[section][key]
            try:
                value = coerce(value, _RUNSPEC_HINTS[name])
            except TypeError as exc:
                raise ConfigError(str(path), f"{section}.{key}", str(exc)) from None
            if name in _PATH_FIELDS and isinstance(value, str):
                value = str((path.parent / value).resolve())
            fields[name] = value
    options = fields.get("dataset_options")
    if isinstance(options, Mapping) and "path" in options:  # [data] options = {path = ...}
        fields["dataset_options"] = {**options, "path": _relative_to(options["path"], path)}
    if isinstance(fields.get("learner_params"), Mapping):
        fields["learner_params"] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in fields["learner_params"].items()
        }
    return fields


def _relative_to(value: Any, config: Path) -> Any:
    """Table paths of a config resolved against the config's folder (absolute ones kept)."""
    if isinstance(value, str):
        candidate = Path(value).expanduser()
        return value if candidate.is_absolute() else str(config.resolve().parent / candidate)
    if isinstance(value, list | tuple):
        return [_relative_to(v, config) for v in value]
    return value


def spec_from_mapping(
    data: Mapping[str, Any],
    path: Path,
    tables: Mapping[str, TableSpec] | None = None,
    **overrides: Any,
) -> RunSpec:
    """Build a :class:`RunSpec` from parsed TOML, turning bad values into :class:`ConfigError`.

    ``tables`` (from ``--data``) add to the file's ``[tables.NAME]`` sections.
    """
    fields = {**flatten_toml(data, path), **overrides}
    known = {**tables_from_toml(data, path), **(tables or {})}
    return spec_from_fields(attach_table(fields, known, path), path)


def attach_table(
    fields: Mapping[str, Any], tables: Mapping[str, TableSpec], path: Path | str
) -> dict[str, Any]:
    """``fields`` with the options of the user table ``fields["dataset"]`` names, if it names one."""
    fields = dict(fields)
    name = fields.get("dataset")
    if isinstance(name, str) and name in tables:
        if fields.get("dataset_options"):
            raise ConfigError(
                str(path),
                "data.options",
                f"{name!r} is a [tables.{name}] table: set its keys there",
            )
        fields["dataset_options"] = tables[name].options()
    return fields


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
