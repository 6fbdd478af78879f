"""Cells, the bench grid and the initial labeled set (the driver is tested in test_harness_study)."""

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
from netal.harness import Cell, initial_indices, make_cells

SMALL = {
    "n_pool": 60,
    "n_test": 40,
    "n_initial": 6,
    "batch_size": 3,
    "n_iterations": 2,
    "epochs": 5,
}


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
    labeled = {s: r.table("labeled")["sample_id"].to_numpy() for s, r in results.items()}
    for ids in labeled.values():
        assert np.array_equal(ids[: len(initial)], initial)
    first_rows = [r.table("records").drop(columns="wall_time_s").iloc[0] for r in results.values()]
    pd.testing.assert_series_equal(first_rows[0], first_rows[1])
    assert not np.array_equal(*labeled.values())
