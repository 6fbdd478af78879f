"""Transfer tasks: every task's split keeps target test rows out of source training and selection."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netal.errors import DataError, InvalidInputError, UnknownNameError
from netal.transfer import TRANSFER_TASKS, Domain, check_task_data, load_task, split_task
from netal.transfer.domains import SHIFTED_OFF_AIR_TOWER, shifted_scenario

SMALL = {"max_source": 400, "max_pool": 300, "max_test": 200}
TWIN_TASKS = [name for name in TRANSFER_TASKS if not TRANSFER_TASKS.create(name).real]
REAL_TASKS = [name for name in TRANSFER_TASKS if TRANSFER_TASKS.create(name).real]


def _check_disjoint(data) -> None:
    test = set(data.test_ids)
    assert test.isdisjoint(data.source_ids)
    assert test.isdisjoint(data.source_val_ids)
    assert test.isdisjoint(data.pool_ids)
    assert set(data.test_groups).isdisjoint(data.pool_groups)
    assert set(data.test_groups).isdisjoint(data.source_groups)
    assert len(set(data.pool_ids)) == len(data.pool_ids) == len(data.y_pool) == len(data.X_pool)
    assert data.X_pool.shape[1] == data.X_test.shape[1] == data.X_source.shape[1]
    assert np.isfinite(data.X_pool).all() and np.isfinite(data.X_test).all()


def test_every_registered_task_is_twin_or_real() -> None:
    assert set(TWIN_TASKS) == {"twin-walking-driving", "twin-scenario"}
    assert set(REAL_TASKS) == {"ucc5g-static-driving", "ucc5g-download-netflix", "umn-combined-s20"}


@pytest.mark.parametrize("name", TWIN_TASKS)
def test_twin_task_split_is_leakage_free(name: str) -> None:
    data = load_task(name, 3, twin_rows=7000, **SMALL)
    _check_disjoint(data)
    assert data.unit == "Mbit/s"
    assert len(data.y_test) > 0 and len(data.y_pool) > 0
    again = load_task(name, 3, twin_rows=7000, **SMALL)
    assert np.array_equal(data.X_pool, again.X_pool)  # a seed gives the same split


def test_walking_driving_domains_are_the_two_modes() -> None:
    data = load_task("twin-walking-driving", 0, twin_rows=7000, **SMALL)
    assert data.source_name == "twin walking" and data.target_name == "twin driving"
    speed = data.feature_names.index("movingSpeed")
    assert np.median(data.X_source[:, speed]) < 3.0 < np.median(data.X_pool[:, speed])
    rssnr = data.feature_names.index("lte_rssnr")
    assert data.X_pool[:, rssnr].max() < 1e6  # the 2147483647 sentinel is read as missing


def test_shifted_scenario_is_another_site() -> None:
    shifted = shifted_scenario()
    assert SHIFTED_OFF_AIR_TOWER not in {int(t.id) for t in shifted.towers}
    assert shifted.world_seed != 2020 and shifted.name.endswith("-shifted")


@pytest.mark.parametrize("name", REAL_TASKS)
def test_real_task_split_is_leakage_free(name: str, data_dir: Path) -> None:
    data = load_task(name, 1, data_dir=str(data_dir), **SMALL)
    _check_disjoint(data)
    assert len(data.y_pool) == SMALL["max_pool"] and len(data.y_source) == SMALL["max_source"]


def _toy_domain(name: str, values: list[float], groups: list[str]) -> Domain:
    frame = pd.DataFrame({"a": values, "c": ["x"] * len(values)})
    return Domain(
        name=name,
        frame=frame,
        numeric=("a",),
        categorical=("c",),
        y=np.arange(len(values), dtype=float),
        groups=np.array(groups, dtype=object),
        ids=np.array([f"{name}:{i}" for i in range(len(values))], dtype=object),
        unit="u",
    )


def test_missing_values_are_filled_with_source_train_statistics_only() -> None:
    source = _toy_domain("s", [np.nan, 1.0, np.nan, 1.0, np.nan, 1.0], list("aabbcc"))
    target = _toy_domain("t", [np.nan, 500.0, 500.0, np.nan, 500.0, 500.0], list("ddeeff"))
    data = split_task("toy", source, target, 0, source_val_fraction=0.34, test_fraction=0.34)
    filled = np.concatenate([data.X_pool[:, 0], data.X_test[:, 0]])
    assert set(filled) <= {1.0, 500.0}  # NaN -> the source median (1), never the target's (500)
    assert 1.0 in filled
    assert "a__missing" in data.feature_names


def test_a_planted_leak_is_caught() -> None:
    data = load_task("twin-walking-driving", 0, twin_rows=7000, **SMALL)
    leaked = dataclasses.replace(data, pool_ids=np.concatenate([data.pool_ids, data.test_ids[:1]]))
    with pytest.raises(InvalidInputError, match="test row"):
        leaked.check_leakage()
    mixed = dataclasses.replace(
        data, pool_groups=np.concatenate([data.pool_groups, data.test_groups[:1]])
    )
    with pytest.raises(InvalidInputError, match="test group"):
        mixed.check_leakage()


def test_bad_task_names_and_missing_data_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="known: twin-scenario"):
        load_task("twin-cycling", 0)
    with pytest.raises(DataError, match=r"5G-production-dataset\.zip: not found"):
        check_task_data("ucc5g-static-driving", str(tmp_path))
    with pytest.raises(InvalidInputError, match="generate more twin rows"):
        load_task("twin-walking-driving", 0, twin_rows=1500)
