"""Cells, results, the initial labeled set and the resumable grid runner."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from netal.errors import InvalidInputError
from netal.experiments.synthetic import synthetic_run_cell
from netal.harness import (
    Cell,
    CellResult,
    ResultStore,
    SerialExecutor,
    initial_indices,
    make_cells,
    run_grid,
)

SMALL = {
    "n_pool": 60,
    "n_test": 40,
    "n_initial": 6,
    "batch_size": 3,
    "n_iterations": 2,
    "epochs": 5,
}


def _result(n: int = 3, seed: int = 0) -> CellResult:
    it = np.arange(n)
    rmse = 1.0 / (1 + it) + seed
    return CellResult(
        records=pd.DataFrame(
            {
                "iteration": it,
                "n_labels": 10 + 2 * it,
                "cost": 1.5 * (10 + 2 * it),
                "rmse": rmse,
                "mae": rmse / 2,
                "q95": rmse * 2,
                "wall_time_s": 0.01,
                "nll": -rmse,
            }
        ),
        final_labeled_ids=np.arange(10 + 2 * (n - 1)),
    )


def test_cell_key_ignores_param_order_and_depends_on_every_field() -> None:
    a = Cell("twin", "random", 3, {"batch_size": 4, "learner": "mlp"})
    b = Cell("twin", "random", 3, [("learner", "mlp"), ("batch_size", 4)])
    assert a == b and a.key == b.key and hash(a) == hash(b)
    variants = [
        Cell("lumos", "random", 3, {"batch_size": 4, "learner": "mlp"}),
        Cell("twin", "lcmd", 3, {"batch_size": 4, "learner": "mlp"}),
        Cell("twin", "random", 4, {"batch_size": 4, "learner": "mlp"}),
        Cell("twin", "random", 3, {"batch_size": 8, "learner": "mlp"}),
        Cell("twin", "random", 3, {"batch_size": 4}),
    ]
    assert len({a.key, *(v.key for v in variants)}) == 1 + len(variants)
    assert Cell.from_dict(a.to_dict()) == a


def test_cell_key_is_stable_across_processes() -> None:
    cell = Cell("twin", "random", 3, {"batch_size": 4, "budget": 2.5, "learner": None})
    code = (
        "from netal.harness import Cell;"
        "print(Cell('twin','random',3,{'learner':None,'budget':2.5,'batch_size':4}).key)"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": "12345"},
        ).stdout.strip()
    }
    assert keys == {cell.key}


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"dataset": ""}, "dataset"),
        ({"strategy": 3}, "strategy"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"params": {"rmse": 1}}, "params"),
        ({"params": {"bad name": 1}}, "params"),
        ({"params": {"sizes": [1, 2]}}, "params['sizes']"),
        ({"params": {"lr": math.nan}}, "params['lr']"),
        ({"params": {"n": np.int64(3)}}, "params['n']"),
        ({"params": [("a", 1), ("a", 2)]}, "params"),
    ],
)
def test_cell_rejects_bad_fields(kwargs: dict, parameter: str) -> None:
    fields = {"dataset": "twin", "strategy": "random", "seed": 0, "params": {}} | kwargs
    with pytest.raises(InvalidInputError) as info:
        Cell(**fields)
    assert info.value.parameter == parameter


def test_make_cells_is_the_full_grid_seed_major() -> None:
    cells = make_cells(["a", "b"], ["random", "lcmd"], range(3), batch_size=4)
    assert len(cells) == 12 and len({c.key for c in cells}) == 12
    assert [(c.seed, c.strategy) for c in cells[:4]] == [
        (0, "random"),
        (0, "lcmd"),
        (1, "random"),
        (1, "lcmd"),
    ]
    assert all(c.param("batch_size") == 4 for c in cells)


def test_cell_result_validates_records() -> None:
    good = _result().records
    with pytest.raises(InvalidInputError, match="missing column"):
        CellResult(records=good.drop(columns="q95"), final_labeled_ids=np.arange(3))
    with pytest.raises(InvalidInputError, match="strictly increasing"):
        CellResult(records=good.iloc[[0, 0, 1]], final_labeled_ids=np.arange(3))
    with pytest.raises(InvalidInputError, match="numeric"):
        CellResult(records=good.assign(note="x"), final_labeled_ids=np.arange(3))
    with pytest.raises(InvalidInputError, match="reserved"):
        CellResult(records=good.assign(seed=1), final_labeled_ids=np.arange(3))
    with pytest.raises(InvalidInputError) as info:
        CellResult(records=good, final_labeled_ids=np.zeros((2, 2), dtype=int))
    assert info.value.parameter == "final_labeled_ids"
    with pytest.raises(InvalidInputError, match="no rows"):
        CellResult(records=good.iloc[:0], final_labeled_ids=np.arange(3))


def test_initial_indices_depend_only_on_seed() -> None:
    first = initial_indices(1000, 50, seed=7)
    assert np.array_equal(first, initial_indices(1000, 50, seed=7))
    assert first.dtype == np.int64 and len(np.unique(first)) == 50
    assert first.min() >= 0 and first.max() < 1000 and (np.diff(first) > 0).all()
    assert not np.array_equal(first, initial_indices(1000, 50, seed=8))
    with pytest.raises(InvalidInputError) as info:
        initial_indices(10, 11, seed=0)
    assert info.value.parameter == "n_initial"


@pytest.mark.slow
def test_strategies_of_a_seed_start_from_the_same_labeled_set() -> None:
    results = {s: synthetic_run_cell(Cell("syn", s, 5, SMALL)) for s in ("random", "maxdist")}
    initial = initial_indices(SMALL["n_pool"], SMALL["n_initial"], 5)
    for result in results.values():
        assert np.array_equal(result.final_labeled_ids[: len(initial)], initial)
    first_rows = [r.records.drop(columns="wall_time_s").iloc[0] for r in results.values()]
    pd.testing.assert_series_equal(first_rows[0], first_rows[1])
    assert not np.array_equal(*(r.final_labeled_ids for r in results.values()))


def _counting(calls: list[str]):
    def run(cell: Cell) -> CellResult:
        calls.append(cell.key)
        if cell.strategy == "boom":
            raise RuntimeError("cell failed")
        return _result(seed=cell.seed)

    return run


def test_run_grid_skips_stored_cells_and_stores_each_result(tmp_path) -> None:
    store = ResultStore(tmp_path / "cells")
    cells = make_cells(["d"], ["random", "lcmd"], range(3))
    calls: list[str] = []
    first = run_grid(cells[:4], _counting(calls), store)
    assert sorted(first.ran) == sorted(c.key for c in cells[:4]) and first.skipped == ()
    second = run_grid(cells, _counting(calls), store, SerialExecutor())
    assert sorted(second.ran) == sorted(c.key for c in cells[4:])
    assert sorted(second.skipped) == sorted(c.key for c in cells[:4])
    assert len(calls) == len(cells) and len(set(calls)) == len(cells)
    assert store.done_keys() == {c.key for c in cells}


def test_run_grid_keeps_finished_results_when_a_cell_fails(tmp_path) -> None:
    store = ResultStore(tmp_path)
    cells = [Cell("d", "random", 0), Cell("d", "boom", 0), Cell("d", "random", 1)]
    with pytest.raises(RuntimeError, match="cell failed") as info:
        run_grid(cells, _counting([]), store)
    assert any("boom" in note for note in info.value.__notes__)
    assert store.done_keys() == {cells[0].key}


def test_run_grid_rejects_duplicates_and_bad_results(tmp_path) -> None:
    store = ResultStore(tmp_path)
    cell = Cell("d", "random", 0)
    with pytest.raises(InvalidInputError, match="duplicate"):
        run_grid([cell, Cell("d", "random", 0)], _counting([]), store)
    with pytest.raises(InvalidInputError) as info:
        run_grid([cell], lambda c: {"rmse": 1.0}, store)
    assert info.value.parameter == "run_cell"
    assert len(store) == 0
