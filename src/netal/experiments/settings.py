"""The settings of every study command, as frozen typed objects read by the one TOML reader.

Each study command (``netal casestudy``, ``acquire``, ``stream``, ``synth``)
has a section of the same name in a TOML file whose keys are the fields of
its settings objects; the command-line flags set the same fields (a flag
wins over the file).  ``netal run`` and ``netal bench`` read
:class:`~netal.experiments.tabular.RunSpec` from the sections ``[data]``,
``[split]``, ``[learner]``, ``[strategy]``, ``[loop]``, ``[budget]``,
``[output]`` (and ``[bench]``) with the same reader
(:mod:`netal.configfile`).

==============  ===========================================================  =====================
command         settings objects (section keys = their fields)              example
==============  ===========================================================  =====================
casestudy       :class:`CaseStudyConfig` + :class:`CaseStudyArms`            examples/casestudy.toml
acquire         :class:`~netal.acquisition.joint.JointConfig` +
                :class:`AcquireArms`                                         examples/acquire.toml
stream          :class:`StreamSettings`                                      examples/stream.toml
synth           :class:`SynthSettings`                                       examples/synth.toml
mapek           :class:`~netal.mapek.MapekConfig` (``[mapek.analyze]``:
                :class:`~netal.mapek.AnalyzeConfig`) + :class:`MapekPolicies`
                + :class:`MapekSource`                                       examples/mapek.toml
==============  ===========================================================  =====================

Examples
--------
>>> from netal.experiments.settings import load_stream  # doctest: +SKIP
>>> settings = load_stream("examples/stream.toml", {"seeds": 5})  # doctest: +SKIP
>>> run_stream_experiment("out", **settings.study_kwargs())  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netal._validation import check_positive_int
from netal.acquisition.agents import MOBILITY_MODES
from netal.acquisition.joint import JOINT_POLICIES, JointConfig
from netal.configfile import read_section, read_toml
from netal.data.table import TableSpec, tables_from_toml
from netal.errors import InvalidInputError
from netal.experiments.casestudy.config import CaseStudyConfig
from netal.experiments.mapek import MapekPolicies, MapekStudy
from netal.experiments.mapek.replays import REPLAYS
from netal.experiments.sources import check_source
from netal.mapek import MapekConfig
from netal.strategies import STRATEGIES
from netal.stream import BUDGET_MANAGERS
from netal.stream.budget import check_rate
from netal.synthesis import GENERATORS

ConfigPath = str | Path | None


@dataclass(frozen=True)
class Replication:
    """The replication seeds of a study: ``first_seed .. first_seed + seeds - 1``."""

    seeds: int = 3
    first_seed: int = 0

    def __post_init__(self) -> None:
        check_positive_int(self.seeds, "seeds")
        check_positive_int(self.first_seed, "first_seed", minimum=0)

    def seed_list(self) -> list[int]:
        """The seeds, in order."""
        return list(range(self.first_seed, self.first_seed + self.seeds))


def _check_names(value: tuple[str, ...], parameter: str, known: Any, *, empty: bool) -> None:
    if not empty and not value:
        raise InvalidInputError(parameter, "names no entry")
    for name in value:
        known.get(name)
    if len(set(value)) != len(value):
        raise InvalidInputError(parameter, f"names an entry twice: {list(value)}")


# ------------------------------------------------------------------ casestudy


PROTOCOL_ARMS = {"rigorous": ("random", "paper"), "paper": ("random", "paper_notebook")}
"""Arms every case study runs, per protocol (the paper protocol runs the notebook's rule)."""


@dataclass(frozen=True)
class CaseStudyArms(Replication):
    """Which arms and seeds a case study runs (its model and data: :class:`CaseStudyConfig`).

    Parameters
    ----------
    strategies
        Extra strategies, added to ``random`` and the paper's rule.
    seeds, first_seed
        Replication seeds (paired across arms).
    """

    strategies: tuple[str, ...] = ()
    seeds: int = 10

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_names(self.strategies, "strategies", STRATEGIES, empty=True)

    def arms(self, protocol: str) -> list[str]:
        """The protocol's two arms, then the extra strategies (no repeats)."""
        return list(dict.fromkeys([*PROTOCOL_ARMS.get(protocol, ()), *self.strategies]))


def load_casestudy(
    path: ConfigPath = None,
    overrides: Mapping[str, Any] | None = None,
    tables: Mapping[str, TableSpec] | None = None,
    **read: Any,
) -> tuple[CaseStudyConfig, CaseStudyArms]:
    """``[casestudy]`` of ``path`` (optional) with ``overrides`` on top.

    ``dataset`` may name a ``[tables.NAME]`` section of the file or one of
    ``tables`` (from ``--data``; a single one is selected by default).
    """
    config, arms = read_section(
        path,
        "casestudy",
        (CaseStudyConfig, CaseStudyArms),
        select_table(path, "casestudy", overrides, tables),
        path_fields=("data_dir",),
        other_sections=("tables",),
        **_with_data_flag(read),
    )
    return config, arms


def _with_data_flag(read: Mapping[str, Any]) -> dict[str, Any]:
    """``read_section`` options with ``dataset_options`` reported as ``--data``."""
    return {**read, "flags": {"dataset_options": "--data", **(read.get("flags") or {})}}


def select_table(
    path: ConfigPath,
    section: str,
    overrides: Mapping[str, Any] | None,
    tables: Mapping[str, TableSpec] | None,
) -> dict[str, Any]:
    """``overrides`` plus the options of the user table the command's ``dataset`` names.

    The tables are the file's ``[tables.NAME]`` sections and ``tables``
    (``--data``); with one ``--data`` table and no ``dataset`` given, that
    table is the dataset.
    """
    overrides = dict(overrides or {})
    data = read_toml(path) if path is not None else {}
    known = tables_from_toml(data, Path(path)) if path is not None else {}
    known.update(tables or {})
    table = data.get(section, {})
    name = overrides.get("dataset", table.get("dataset") if isinstance(table, Mapping) else None)
    if name is None and tables and len(tables) == 1:
        name = overrides["dataset"] = next(iter(tables))
    if isinstance(name, str) and name in known:
        overrides["dataset_options"] = known[name].options()
    return overrides


# -------------------------------------------------------------------- acquire


@dataclass(frozen=True)
class AcquireArms(Replication):
    """Which policies, agents and seeds ``netal acquire`` runs (the knobs: :class:`JointConfig`).

    Parameters
    ----------
    policies
        Names of :data:`netal.acquisition.joint.JOINT_POLICIES`.
    fleet
        Agents per mobility mode for the fleet makespan (e.g. ``{walking = 2}``).
    seeds, first_seed
        Replication seeds (paired policies).
    """

    policies: tuple[str, ...] = ("joint", "annotate_only", "random")
    fleet: dict[str, int] = field(default_factory=lambda: {"walking": 1, "driving": 1})

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_names(self.policies, "policies", JOINT_POLICIES, empty=False)
        if not self.fleet:
            raise InvalidInputError("fleet", "names no agent")
        for mode, count in self.fleet.items():
            if mode not in MOBILITY_MODES:
                raise InvalidInputError(
                    "fleet", f"unknown mode {mode!r}; known: {', '.join(MOBILITY_MODES)}"
                )
            check_positive_int(count, f"fleet.{mode}")


def load_acquire(
    path: ConfigPath = None, overrides: Mapping[str, Any] | None = None, **read: Any
) -> tuple[JointConfig, AcquireArms]:
    """``[acquire]`` of ``path`` (optional) with ``overrides`` on top."""
    config, arms = read_section(path, "acquire", (JointConfig, AcquireArms), overrides, **read)
    return config, arms


# --------------------------------------------------------------------- stream


@dataclass(frozen=True)
class StreamSettings(Replication):
    """Everything ``netal stream`` runs (see :func:`~netal.experiments.network.run_stream_experiment`).

    Parameters
    ----------
    dataset
        ``"twin"`` or a dataset name (``ucc5g``, ``lumos5g``, ...).
    data_dir
        Directory of real datasets (default ``$NETAL_DATA_DIR``).
    dataset_options
        Loader options of ``dataset`` (a user table's, from ``[tables.NAME]``
        or ``--data``).
    budget_rate
        Label rate ``B`` of every manager, in ``(0, 1]``.
    managers
        Budget managers compared with ``random`` (fixed rate).
    rows, n_test, n_initial, checkpoints
        Stream length, held-out rows, warm-up labels, held-out evaluations.
    update_every, n_members
        Refit the committee of ``n_members`` trees every ``update_every`` labels.
    seeds, first_seed
        Replication seeds.
    """

    dataset: str = "twin"
    data_dir: str | None = None
    dataset_options: dict[str, Any] = field(default_factory=dict)
    budget_rate: float = 0.05
    managers: tuple[str, ...] = ("variable_uncertainty", "split")
    rows: int = 3000
    n_test: int = 500
    n_initial: int = 30
    checkpoints: int = 10
    update_every: int = 10
    n_members: int = 5

    def __post_init__(self) -> None:
        super().__post_init__()
        check_source(self.dataset, self.dataset_options)
        check_rate(self.budget_rate, "budget_rate")
        _check_names(self.managers, "managers", BUDGET_MANAGERS, empty=False)
        for name in ("n_test", "n_initial", "checkpoints", "update_every", "n_members"):
            check_positive_int(getattr(self, name), name)
        check_positive_int(self.rows, "rows", minimum=self.n_initial + self.checkpoints + 1)

    def study_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`~netal.experiments.network.run_stream_experiment`."""
        return {
            "dataset": self.dataset,
            "data_dir": self.data_dir,
            "dataset_options": dict(self.dataset_options),
            "budget_rate": self.budget_rate,
            "managers": list(self.managers),
            "seeds": self.seed_list(),
            "rows": self.rows,
            "n_test": self.n_test,
            "n_initial": self.n_initial,
            "checkpoints": self.checkpoints,
            "update_every": self.update_every,
            "n_members": self.n_members,
        }


def load_stream(
    path: ConfigPath = None,
    overrides: Mapping[str, Any] | None = None,
    tables: Mapping[str, TableSpec] | None = None,
    **read: Any,
) -> StreamSettings:
    """``[stream]`` of ``path`` (optional) with ``overrides`` on top (tables: see :func:`select_table`)."""
    (settings,) = read_section(
        path,
        "stream",
        (StreamSettings,),
        select_table(path, "stream", overrides, tables),
        path_fields=("data_dir",),
        other_sections=("tables",),
        **_with_data_flag(read),
    )
    return settings


# ---------------------------------------------------------------------- synth


GENERATOR_KNOBS: dict[str, tuple[str, ...]] = {"gmm": ("max_components",), "cvae": ("epochs",)}
"""The settings each named generator takes (``max_components`` also sizes the density guard)."""


@dataclass(frozen=True)
class SynthSettings(Replication):
    """Everything ``netal synth`` runs (see :func:`~netal.experiments.network.run_synthesis_experiment`).

    Parameters
    ----------
    generator
        ``"gmm"`` or ``"cvae"``.
    rows, iterations, batch_size, n_initial
        Real twin rows, query rounds, labels per round, initial random labels.
    candidates
        Synthetic candidates per round.
    guard_quantile
        The density guard rejects candidates below this quantile, in ``(0, 1)``.
    max_components
        Most mixture components of the guard (and of the ``gmm`` generator).
    epochs
        Training epochs of the ``cvae`` generator.
    n_test, n_members
        Ordinary test rows (rare ones come in addition); trees of the committee.
    seeds, first_seed
        Replication seeds.
    """

    generator: str = "gmm"
    rows: int = 3000
    iterations: int = 8
    batch_size: int = 8
    n_initial: int = 16
    candidates: int = 1000
    guard_quantile: float = 0.01
    max_components: int = 8
    epochs: int = 150
    n_test: int = 600
    n_members: int = 10

    def __post_init__(self) -> None:
        super().__post_init__()
        GENERATORS.get(self.generator)
        if self.generator not in GENERATOR_KNOBS:
            raise InvalidInputError(
                "generator", f"{self.generator!r} has no settings here; use the Python API"
            )
        check_positive_int(self.rows, "rows", minimum=50)
        check_positive_int(self.n_test, "n_test", minimum=6)
        for name in (
            "iterations",
            "batch_size",
            "n_initial",
            "candidates",
            "max_components",
            "epochs",
            "n_members",
        ):
            check_positive_int(getattr(self, name), name)
        q = self.guard_quantile
        if not (math.isfinite(q) and 0.0 < q < 1.0):
            raise InvalidInputError("guard_quantile", f"must lie in (0, 1), got {q!r}")

    def study_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`~netal.experiments.network.run_synthesis_experiment`."""
        return {
            "generator": self.generator,
            "seeds": self.seed_list(),
            "rows": self.rows,
            "iterations": self.iterations,
            "batch_size": self.batch_size,
            "n_initial": self.n_initial,
            "n_candidates": self.candidates,
            "guard_quantile": self.guard_quantile,
            "n_test": self.n_test,
            "n_members": self.n_members,
            "guard_components": self.max_components,
            "generator_params": {k: getattr(self, k) for k in GENERATOR_KNOBS[self.generator]},
        }


def load_synth(
    path: ConfigPath = None, overrides: Mapping[str, Any] | None = None, **read: Any
) -> SynthSettings:
    """``[synth]`` of ``path`` (optional) with ``overrides`` on top."""
    (settings,) = read_section(path, "synth", (SynthSettings,), overrides, **read)
    return settings


# ---------------------------------------------------------------------- mapek


@dataclass(frozen=True)
class MapekSource(Replication):
    """Where ``netal mapek run`` gets its stream, and how it is scored.

    Parameters
    ----------
    dataset
        ``"twin"`` (a twin timeline) or a replayed dataset (``ucc5g``,
        ``barcelona-lte``, ``umn-mmwave``).
    timeline
        Twin only: the timeline file (default: the packaged one).
    data_dir
        Replays: directory of real datasets (default ``$NETAL_DATA_DIR``).
    max_rows
        Replays: cap on the stream (its first rows in time order).
    tolerance_s
        How long after a change an alarm still detects it (default 3 periods).
    dataset_options
        A user table's loader options (from ``[tables.NAME]`` or ``--data``).
    change_on
        User tables: columns whose change is a change point (scored detection).
    seeds, first_seed
        Replication seeds (twin: a seed simulates its own stream).
    """

    dataset: str = "twin"
    timeline: str | None = None
    data_dir: str | None = None
    max_rows: int | None = None
    tolerance_s: float | None = None
    dataset_options: dict[str, Any] = field(default_factory=dict)
    change_on: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_rows is not None:
            check_positive_int(self.max_rows, "max_rows", minimum=100)
        if self.tolerance_s is not None and not (
            math.isfinite(self.tolerance_s) and self.tolerance_s > 0
        ):
            raise InvalidInputError("tolerance_s", f"must be > 0, got {self.tolerance_s!r}")
        if self.dataset_options:
            check_source(self.dataset, self.dataset_options)
        elif self.dataset != "twin" and self.dataset not in REPLAYS:
            known = ", ".join(["twin", *sorted(REPLAYS)])
            raise InvalidInputError(
                "dataset",
                f"unknown stream {self.dataset!r}; known: {known} or a table of your own "
                "(--data, [tables.NAME])",
            )
        if self.change_on and not self.dataset_options:
            raise InvalidInputError("change_on", "applies to a table of your own (--data) only")
        if self.timeline is not None and self.dataset != "twin":
            raise InvalidInputError("timeline", "applies to dataset 'twin' only")

    def study(self, config: MapekConfig, arms: MapekPolicies, workdir: str | None) -> MapekStudy:
        """The :class:`~netal.experiments.mapek.MapekStudy` these settings describe."""
        return MapekStudy(
            self.dataset,
            config,
            arms,
            timeline=self.timeline,
            data_dir=self.data_dir,
            max_rows=self.max_rows,
            tolerance_s=self.tolerance_s,
            dataset_options=(
                json.dumps(self.dataset_options, sort_keys=True) if self.dataset_options else ""
            ),
            change_on=self.change_on,
            workdir=workdir,
        )


def load_mapek(
    path: ConfigPath = None,
    overrides: Mapping[str, Any] | None = None,
    tables: Mapping[str, TableSpec] | None = None,
    **read: Any,
) -> tuple[MapekConfig, MapekPolicies, MapekSource]:
    """``[mapek]`` (with its ``[mapek.analyze]`` sub-table) of ``path`` with ``overrides`` on top.

    ``dataset`` may name a user table (see :func:`select_table`).
    """
    config, arms, source = read_section(
        path,
        "mapek",
        (MapekConfig, MapekPolicies, MapekSource),
        select_table(path, "mapek", overrides, tables),
        path_fields=("timeline", "data_dir"),
        other_sections=("tables",),
        **_with_data_flag(read),
    )
    return config, arms, source
