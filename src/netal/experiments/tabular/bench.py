"""The bench: a grid of tabular cells (datasets x strategies x seeds), run or resumed, and its tables.

A :class:`BenchPlan` checks every name and parameter before any cell runs and
maps each (dataset, seed, strategy) to a :class:`~netal.harness.grid.Cell`
(:func:`cell_params`, :func:`spec_from_cell`); :func:`run_tabular_cell` runs
one cell; :class:`BenchStudy` is the plan as a study of
:func:`~netal.harness.study.run_study`, and :func:`run_bench` runs it on an
executor, which writes ``summary.md`` (:func:`bench_tables`) and the report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from netal.atomic import write_text
from netal.data.table import TableSpec, tables_from_toml, user_table
from netal.errors import ConfigError
from netal.experiments.sources import data_provenance, preflight_source
from netal.experiments.tabular.prepare import prepare_tabular_cached
from netal.experiments.tabular.run import records_of, run_active_learning
from netal.experiments.tabular.spec import (
    SOURCE_SPLIT_FIELDS,
    RunSpec,
    attach_table,
    flatten_toml,
    read_toml,
    spec_from_fields,
    unknown_key_error,
)
from netal.harness.grid import Cell
from netal.harness.progress import report
from netal.harness.store import RECORDS, CellOutput, cell_frame
from netal.harness.study import StudyRun, check_out_dir, run_study
from netal.report import build_report
from netal.report.identity import identity_rows, write_run_identity
from netal.report.summary import arm_columns, comparison_tables
from netal.strategies import STRATEGIES, strategy_names

# ---------------------------------------------------------------------- cells

CELL_SPEC_FIELDS: tuple[str, ...] = (
    *SOURCE_SPLIT_FIELDS,
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


def run_tabular_cell(cell: Cell) -> CellOutput:
    """One bench cell: its spec through the loop, as a learning curve (module-level: picklable).

    The prepared data is cached per process, so the strategies of a seed
    that run in the same worker share it.

    Returns
    -------
    CellOutput
        ``records`` (one row per iteration) and ``labeled`` (the final labeled
        pool ids).
    """
    spec = spec_from_cell(cell)
    prepared = prepare_tabular_cached(spec)
    started = time.perf_counter()
    result = run_active_learning(
        spec, prepared, on_iteration=lambda i: report(i, spec.iterations, "iterations")
    )
    records = records_of(result)
    if spec.knowledge_base is None:
        records["wall_time_s"] = time.perf_counter() - started
    return CellOutput.curve(cell, records, result.labeled_ids)


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
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Loader options of each user table among ``datasets`` (name -> options)."""

    def dataset_options(self, dataset: str) -> dict[str, Any]:
        """The loader options of ``dataset``: its table's, else the base spec's ``[data] options``."""
        if dataset in self.tables:
            return self.tables[dataset]
        return {} if user_table(self.base.dataset_options) else self.base.dataset_options

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
        tables: Mapping[str, TableSpec] | None = None,
    ) -> BenchPlan:
        """The plan from an optional bench TOML and command-line values (which win).

        The TOML has a ``[bench]`` table (``datasets``, ``strategies``,
        ``seeds`` (a count), ``first_seed``, ``[bench.strategy_params.<name>]``)
        and any section of a run config except ``[strategy]``; ``[tables.NAME]``
        sections and ``tables`` (from ``--data``) are user tables that
        ``datasets`` may name.
        """
        path = Path(config) if config is not None else Path("<command line>")
        data = read_toml(path) if config is not None else {}
        table = data.get(BENCH_SECTION_NAME, {})
        if not isinstance(table, Mapping):
            raise ConfigError(str(path), BENCH_SECTION_NAME, "must be a table")
        for key in table:
            if key not in _BENCH_KEYS:
                raise unknown_key_error(path, f"{BENCH_SECTION_NAME}.{key}", _BENCH_KEYS)
        if "strategy" in data:
            raise ConfigError(
                str(path), "strategy", "a bench sets strategies in [bench] strategies"
            )
        fields = {**BENCH_DEFAULTS, **flatten_toml(data, path, (BENCH_SECTION_NAME,))}
        fields.update(overrides or {})
        known_tables = {**tables_from_toml(data, path), **(tables or {})}
        chosen_datasets = (
            datasets or _str_list(table, "datasets", path) or list(tables or ()) or ["twin"]
        )
        chosen = strategies or _str_list(table, "strategies", path) or strategy_names()
        n_seeds = seeds if seeds is not None else table.get("seeds", 10)
        first = table.get("first_seed", 0)
        for key, value in (("seeds", n_seeds), ("first_seed", first)):
            if isinstance(value, bool) or not isinstance(value, int) or value < (key == "seeds"):
                raise ConfigError(str(path), f"bench.{key}", f"must be an integer, got {value!r}")
        per_strategy = table.get("strategy_params", {})
        for name in chosen:
            STRATEGIES.get(name)
        base = spec_from_fields(attach_table(fields, known_tables, path), path)
        for dataset in chosen_datasets:
            for name in chosen:
                spec_from_fields(
                    attach_table(
                        {
                            **fields,
                            "dataset": dataset,
                            "strategy": name,
                            "strategy_params": dict(per_strategy.get(name, {})),
                        },
                        known_tables,
                        path,
                    ),
                    path,
                )
        return cls(
            datasets=tuple(dict.fromkeys(chosen_datasets)),
            strategies=tuple(dict.fromkeys(chosen)),
            seeds=tuple(range(first, first + n_seeds)),
            base=base,
            strategy_params={k: dict(v) for k, v in per_strategy.items()},
            tables={n: t.options() for n, t in known_tables.items() if n in chosen_datasets},
        )

    def check_data(self) -> None:
        """Raise :class:`~netal.errors.DataError` now if a dataset's files are missing or bad.

        Locates a registered dataset's files (cheap; cells load them in their
        workers) and reads and checks each user table.
        """
        for dataset in self.datasets:
            preflight_source(dataset, self.dataset_options(dataset), self.base.data_dir)

    def cells(self, kb_dir: str | None = None, seeds: Sequence[int] | None = None) -> list[Cell]:
        """One cell per (dataset, seed, strategy), seeds outermost inside each dataset.

        ``seeds`` replaces the plan's seeds when given.
        """
        cells = []
        for dataset in self.datasets:
            for seed in self.seeds if seeds is None else seeds:
                for strategy in self.strategies:
                    spec = self.base.replace(
                        dataset=dataset,
                        dataset_options=self.dataset_options(dataset),
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
        Per-iteration results of the plan's cells: the cell fields (``key``,
        ``dataset``, ``strategy``, ``seed``, one column per parameter) and
        the records (:func:`~netal.harness.store.cell_frame`).
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
    for dataset, part in results.groupby("dataset", sort=True):
        part = part.copy()
        part.attrs = dict(results.attrs)
        # the parameters that vary within the dataset (a table's options, the twin's rows do not)
        tables[str(dataset)] = comparison_tables(part, arm_columns(part))
    return tables


def _markdown(
    tables: Mapping[str, Mapping[str, str]], identity: Mapping[str, object] | None = None
) -> str:
    lines = []
    for dataset, group in tables.items():
        lines.append(f"## {dataset}\n")
        for title, table in group.items():
            lines.append(f"### {title}\n\n{table}")
    if identity:
        lines.append("## Run identity\n")
        lines.extend(f"- {label}: {text}" for label, text in identity_rows(dict(identity)))
        lines.append("")
    return "\n".join(lines)


BENCH_GRID_AXES: tuple[str, ...] = ("dataset", "strategy", "seed", "strategy_params")
"""What a bench may add to in a rerun into the same directory (kept out of its fingerprint).

``strategy_params`` go with the strategies: each strategy's own parameters.  A
user table's options go with its dataset: they are in each cell's parameters
(and key), while the fingerprint holds the base ``[data] options``.
"""


@dataclass(frozen=True)
class BenchStudy:
    """A :class:`BenchPlan` as a study of :func:`~netal.harness.study.run_study`.

    Its fingerprint is the plan's base settings without the grid axes
    (:data:`BENCH_GRID_AXES`) and without ``data_dir`` (where the data is, not
    what it is), so a rerun into the same directory with more datasets,
    strategies or seeds runs only the new cells, and one with other settings
    (iterations, learner, batch size...) is refused.  Cells stored by the
    results store of the layout before are read as finished cells.

    Parameters
    ----------
    plan
        The grid.
    kb_dir
        Directory of the per-cell knowledge bases (a cell parameter, so a
        cell interrupted mid-curve continues where it stopped).
    report
        Also write ``report.html`` when finishing.
    """

    plan: BenchPlan
    kb_dir: str | None = None
    report: bool = True

    reads_legacy_cells: ClassVar[bool] = True

    def fingerprint(self) -> dict[str, Any]:
        """The base settings of every cell, without grid axes or the data's location."""
        base = self.plan.base
        settings = {name: getattr(base, name) for name in CELL_SPEC_FIELDS if name != "data_dir"}
        for name in _JSON_FIELDS:
            if name not in BENCH_GRID_AXES:
                settings[name] = getattr(base, name)
        return {"study": "bench", **settings}

    def cells(self, seeds: Sequence[int]) -> list[Cell]:
        """The plan's cells for ``seeds``."""
        return self.plan.cells(self.kb_dir, seeds)

    def run_cell(self, cell: Cell) -> CellOutput:
        """:func:`run_tabular_cell`."""
        return run_tabular_cell(cell)

    def finish(self, run: StudyRun) -> BenchOutcome:
        """Tables in ``summary.md``, data provenance in ``data.json``, identity in ``run.json``, ``report.html``."""
        results = cell_frame(run.outputs, RECORDS)
        tables = bench_tables(results)
        identity = write_run_identity(run.out_dir)
        markdown = _markdown(tables, identity)
        write_text(run.out_dir / "summary.md", markdown)
        data = {
            name: data_provenance(name, self.plan.dataset_options(name), self.plan.base.data_dir)
            for name in self.plan.datasets
        }
        write_text(run.out_dir / "data.json", json.dumps(data, indent=2, default=str) + "\n")
        if self.report:
            build_report(run.out_dir)
        return BenchOutcome(run.out_dir, results, tables, markdown, len(run.ran), len(run.skipped))


def run_bench(
    plan: BenchPlan,
    out_dir: str | Path,
    *,
    executor: Any | None = None,
    on_result: Callable[[Cell, CellOutput], None] | None = None,
    on_skipped: Callable[[Cell], None] | None = None,
    report: bool = True,
) -> BenchOutcome:
    """Run (or resume) a bench and write its tables and report.

    Parameters
    ----------
    plan
        The grid (:meth:`BenchPlan.build`).
    out_dir
        Output directory: ``cells/`` (one directory per finished cell, written
        as soon as it finishes), ``kb/`` (a knowledge base per cell, so a cell
        interrupted mid-curve continues where it stopped), ``summary.md`` and
        ``report.html``.  Rerunning with more datasets, strategies or seeds
        runs only the new cells.
    executor
        From :func:`netal.harness.make_executor`; default in-process.
    on_result
        Called with each cell and its output once stored.
    on_skipped
        Called with each cell found finished by an earlier invocation.
    report
        Also draw the figures and write ``report.html``.
    """
    plan.check_data()
    out = check_out_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    kb_dir = (out / "kb").resolve()
    kb_dir.mkdir(exist_ok=True)
    study = BenchStudy(plan, str(kb_dir), report)
    return run_study(study, plan.seeds, out, executor, on_cell=on_result, on_skipped=on_skipped)
