"""Tests of netal.experiments.tabular: run specs, TOML configs, leakage-free preparation, cells."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from netal.errors import ConfigError, InvalidInputError, UnknownNameError
from netal.experiments.tabular import (
    BenchPlan,
    RunSpec,
    cell_params,
    prepare_tabular,
    run_active_learning,
    run_tabular_cell,
    spec_from_cell,
)
from netal.harness.grid import Cell
from netal.harness.store import CellOutput
from netal.schemas import RECORD_COLUMNS

TINY_LEARNER = {"hidden": (8,), "epochs": 3, "patience": 2, "n_passes": 4, "batch_size": 32}


def _write_table(path: Path, rng: np.random.Generator, test_shift: float = 0.0) -> Path:
    """A small table with 8 groups, missing values and a cost column."""
    n = 240
    groups = np.repeat(np.arange(8), n // 8)
    x1 = rng.normal(size=n) + groups
    x2 = rng.normal(size=n)
    x1[::7] = np.nan
    frame = pd.DataFrame(
        {
            "g": groups,
            "x1": x1 + test_shift * (groups >= 6),
            "x2": x2,
            "cost": 1.0 + (groups % 3),
            "y": 2.0 * np.nan_to_num(x1) - x2 + rng.normal(scale=0.1, size=n),
        }
    )
    frame.to_csv(path, index=False)
    return path


def _csv_spec(path: Path, **changes: object) -> RunSpec:
    options = {"path": str(path), "target": "y", "features": ["x1", "x2"], "group": "g"}
    fields: dict[str, object] = {
        "dataset": "csv",
        "dataset_options": options,
        "split": "group",
        "learner_params": dict(TINY_LEARNER),
        "n_initial": 10,
        "batch_size": 5,
        "iterations": 2,
    }
    fields.update(changes)
    return RunSpec(**fields)  # type: ignore[arg-type]


def test_prepare_group_split_has_no_test_group_in_pool(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    path = _write_table(tmp_path / "t.csv", rng)
    prepared = prepare_tabular(_csv_spec(path))
    frame = pd.read_csv(path)
    pool_groups = set(frame["g"].iloc[prepared.rows])
    test_groups = set(frame["g"]) - pool_groups
    assert test_groups, "the split must put some groups in test"
    assert len(prepared.X_test) == int(frame["g"].isin(test_groups).sum())
    assert len(prepared.X) + len(prepared.X_test) == len(frame)
    np.testing.assert_array_equal(prepared.initial_ids, np.arange(10))
    assert np.isfinite(prepared.X).all() and np.isfinite(prepared.X_test).all()


def test_imputation_uses_training_rows_only(tmp_path: Path, rng: np.random.Generator) -> None:
    path = _write_table(tmp_path / "a.csv", rng)
    a = prepare_tabular(_csv_spec(path))
    frame = pd.read_csv(path)
    test_groups = set(frame["g"]) - set(frame["g"].iloc[a.rows])
    shifted = frame.copy()
    in_test = shifted["g"].isin(test_groups)
    shifted.loc[in_test, "x1"] = shifted.loc[in_test, "x1"] + 1e6  # moves any whole-file median
    shifted.to_csv(tmp_path / "b.csv", index=False)
    b = prepare_tabular(_csv_spec(tmp_path / "b.csv"))
    np.testing.assert_array_equal(a.rows, b.rows)
    np.testing.assert_array_equal(a.X, b.X)  # candidates imputed with training medians only
    assert not np.array_equal(a.X_test, b.X_test)


def test_initial_set_is_the_same_for_every_strategy(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    path = _write_table(tmp_path / "t.csv", rng)
    first = prepare_tabular(_csv_spec(path, strategy="random"))
    second = prepare_tabular(_csv_spec(path, strategy="lcmd"))
    np.testing.assert_array_equal(first.rows, second.rows)
    other_seed = prepare_tabular(_csv_spec(path, seed=1))
    assert not np.array_equal(first.rows[:10], other_seed.rows[:10])


def test_max_pool_and_max_test_cap_rows(tmp_path: Path, rng: np.random.Generator) -> None:
    path = _write_table(tmp_path / "t.csv", rng)
    prepared = prepare_tabular(_csv_spec(path, max_pool=30, max_test=20))
    assert len(prepared.X) == 10 + 30
    assert len(prepared.X_test) == 20


def test_cost_column_drives_spent_cost(tmp_path: Path, rng: np.random.Generator) -> None:
    path = _write_table(tmp_path / "t.csv", rng)
    spec = _csv_spec(path, cost_column="cost", strategy="random")
    prepared = prepare_tabular(spec)
    result = run_active_learning(spec, prepared)
    bought = result.queried_ids
    assert result.spent_cost == pytest.approx(prepared.costs[bought].sum())
    assert result.spent_cost > len(bought)  # costs are 1, 2 or 3 per label


def test_a_run_trains_on_one_thread_like_a_cell(tmp_path: Path, rng: np.random.Generator) -> None:
    path = _write_table(tmp_path / "t.csv", rng)
    spec = _csv_spec(path, strategy="random")
    seen: list[int] = []
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        first = run_active_learning(
            spec, on_iteration=lambda _: seen.append(torch.get_num_threads())
        )
        assert seen and set(seen) == {1}
        assert torch.get_num_threads() == 2  # restored afterwards
    finally:
        torch.set_num_threads(before)
    cell = Cell("csv", "random", spec.seed, cell_params(spec, kb_dir=str(tmp_path / "kb")))
    records = run_tabular_cell(cell).table("records")
    assert np.array_equal(first.metrics["test_rmse"].to_numpy(), records["rmse"].to_numpy())


def test_cell_round_trip_and_result(tmp_path: Path, rng: np.random.Generator) -> None:
    path = _write_table(tmp_path / "t.csv", rng)
    spec = _csv_spec(path, strategy="max_variance", seed=3)
    cell = Cell("csv", "max_variance", 3, cell_params(spec, kb_dir=str(tmp_path / "kb")))
    back = spec_from_cell(cell)
    assert back.replace(knowledge_base=None, run_name="run") == spec
    result = run_tabular_cell(cell)
    assert isinstance(result, CellOutput) and result.cell == cell
    records = result.table("records")
    assert set(RECORD_COLUMNS) <= set(records.columns)
    assert list(records["n_labels"]) == [10, 15, 20]
    assert list(records["cost"]) == [0.0, 5.0, 10.0]
    assert len(result.table("labeled")) == 20
    assert (tmp_path / "kb" / f"{cell.key}.sqlite").is_file()
    again = run_tabular_cell(cell)  # resumes from the knowledge base: same curve
    np.testing.assert_allclose(again.table("records")["rmse"], records["rmse"])


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


def test_from_toml_reads_sections(tmp_path: Path) -> None:
    path = _toml(
        tmp_path,
        '[data]\ndataset = "twin"\nrows = 800\n[learner.params]\nhidden = [16, 8]\n'
        '[strategy]\nname = "lcmd"\n[loop]\nbatch_size = 3\nseed = 4\n[budget]\ncost = 9.5\n'
        '[output]\nknowledge_base = "kb/x.sqlite"\n',
    )
    spec = RunSpec.from_toml(path)
    assert (spec.twin_rows, spec.strategy, spec.batch_size, spec.seed) == (800, "lcmd", 3, 4)
    assert spec.learner_params == {"hidden": (16, 8)}
    assert spec.budget_cost == 9.5
    assert Path(spec.knowledge_base or "") == (tmp_path / "kb" / "x.sqlite").resolve()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[loop]\nbatchsize = 3\n", "loop.batchsize"),
        ("[looop]\nseed = 1\n", "looop"),
        ("[loop]\nbatch_size = 0\n", "loop.batch_size"),
        ('[split]\nmethod = "diagonal"\n', "split.method"),
        ('[strategy]\nname = "nope"\n', "strategy.name"),
        ("[learner.params]\nwidth = 3\n", "learner.params"),
        ('[data]\ndataset = "nope"\n', "data.dataset"),
        ("[split]\ntest_fraction = 1.5\n", "split.test_fraction"),
    ],
)
def test_from_toml_bad_config_names_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = _toml(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        RunSpec.from_toml(path)
    assert info.value.key == key
    assert str(path) in str(info.value)


def test_from_toml_missing_and_malformed_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        RunSpec.from_toml(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        RunSpec.from_toml(_toml(tmp_path, "[loop\n"))


def test_spec_rejects_bad_values() -> None:
    with pytest.raises(InvalidInputError, match="reinit_every"):
        RunSpec(reinit_every=3)
    with pytest.raises(UnknownNameError):
        RunSpec(learner="nope")
    with pytest.raises(InvalidInputError, match="val_fraction"):
        RunSpec(test_fraction=0.6, val_fraction=0.5)


def test_bench_plan_pairs_initial_sets_and_orders_seeds(tmp_path: Path) -> None:
    path = _toml(
        tmp_path,
        '[bench]\ndatasets = ["twin"]\nstrategies = ["random", "cost_aware"]\nseeds = 2\n'
        '[bench.strategy_params.cost_aware]\nbase = "lcmd"\n[loop]\niterations = 2\n',
    )
    plan = BenchPlan.build(config=path, overrides={"batch_size": 4})
    cells = plan.cells()
    assert [(c.seed, c.strategy) for c in cells] == [
        (0, "random"),
        (0, "cost_aware"),
        (1, "random"),
        (1, "cost_aware"),
    ]
    assert spec_from_cell(cells[1]).strategy_params == {"base": "lcmd"}
    assert {spec_from_cell(c).batch_size for c in cells} == {4}
    with pytest.raises(ConfigError, match=r"\[bench.sedes\]"):
        BenchPlan.build(config=_toml(tmp_path, "[bench]\nsedes = 2\n"))
    with pytest.raises(UnknownNameError):
        BenchPlan.build(strategies=["random", "nope"])
