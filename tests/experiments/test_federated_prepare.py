"""Federations from real structure: the twin's cells, ucc5g's sessions, the Dirichlet control."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netal.data import load_dataset
from netal.errors import InvalidInputError
from netal.experiments.federated import FEDERATIONS, FederationSpec, arm_settings, load_federated
from netal.experiments.federated.real import BARCELONA_FEATURES, load_features
from netal.federated import dirichlet_partition, group_partition


def test_twin_federation_has_one_client_per_micro_base_station() -> None:
    spec = FederationSpec(source="twin", twin_rows=2500, pool_size=80, n_initial=5, max_test=50)
    fed = FEDERATIONS["twin"](spec, 0)
    assert [c.name for c in fed.clients] == ["tower 1", "tower 2", "tower 3"]
    assert all(len(c) == 80 and list(c.initial) == list(range(5)) for c in fed.clients)
    assert len(fed.y_test) == 150
    pooled = np.concatenate([c.X for c in fed.clients])
    np.testing.assert_allclose(pooled.mean(axis=0), 0.0, atol=1e-9)  # common scaling
    # the target is scaled by the initial labels' statistics; test rows stay in Mbit/s
    initial = np.concatenate([fed.to_target(c.y[c.initial]) for c in fed.clients])
    assert abs(initial.mean() - fed.target_mean) < 1e-6 * max(1.0, abs(fed.target_mean))
    assert fed.y_test.max() > 50
    # non-IID by construction: the cells' throughput differs
    means = [fed.to_target(c.y).mean() for c in fed.clients]
    assert max(means) - min(means) > 10


def test_ucc5g_federation_groups_sessions_by_mobility_and_app(data_dir: Path) -> None:
    spec = FederationSpec(
        source="ucc5g", pool_size=50, n_initial=5, max_test=30, data_dir=str(data_dir)
    )
    fed = FEDERATIONS["ucc5g"](spec, 1)
    names = [c.name for c in fed.clients]
    assert names == sorted(
        f"{m}/{a}" for m in ("Driving", "Static") for a in ("Amazon_Prime", "Download", "Netflix")
    )
    assert len(fed.y_test) == 6 * 30
    assert np.isfinite(fed.X_test).all() and all(np.isfinite(c.X).all() for c in fed.clients)


def test_umn_mmwave_federation_has_one_client_per_walking_campaign(data_dir: Path) -> None:
    spec = FederationSpec(
        source="umn-mmwave", pool_size=100, n_initial=5, max_test=40, data_dir=str(data_dir)
    )
    fed = FEDERATIONS["umn-mmwave"](spec, 0)
    names = [c.name for c in fed.clients]
    assert names == [f"2021-01-{d:02d}" for d in (7, 13, 15, 16, 17, 18)]
    assert fed.unit == "Mbit/s"
    # the 62-row campaign keeps 46 pool rows after 16 test rows; the others fill their pools
    assert [len(c) for c in fed.clients] == [46, 100, 100, 100, 100, 100]
    assert len(fed.y_test) == 16 + 5 * 40
    assert np.isfinite(fed.X_test).all() and all(np.isfinite(c.X).all() for c in fed.clients)
    means = [fed.to_target(c.y).mean() for c in fed.clients]  # campaigns differ (non-IID)
    assert max(means) - min(means) > 50


def test_barcelona_federation_has_one_client_per_cell_tested_on_the_later_series(
    data_dir: Path,
) -> None:
    spec = FederationSpec(
        source="barcelona-lte", pool_size=200, n_initial=5, max_test=100, data_dir=str(data_dir)
    )
    fed = FEDERATIONS["barcelona-lte"](spec, 0)
    assert [c.name for c in fed.clients] == ["ElBorn", "LesCorts", "PobleSec"]
    assert fed.n_features == len(BARCELONA_FEATURES) and len(fed.y_test) == 300
    assert fed.unit == "MB per 2-minute step"
    # the target is the step's downlink load in MB: the raw files' "down" / 1e6
    raw = load_dataset("barcelona-lte", data_dir, split="test", stations="ElBorn").frame
    assert set(np.round(fed.y_test[:100], 6)) <= set(np.round(raw["down"] / 1e6, 6))


def test_barcelona_lags_are_taken_by_time_and_gaps_drop_rows() -> None:
    times = pd.date_range("2018-03-28 00:00", periods=40, freq="2min").delete(35)  # one gap
    frame = pd.DataFrame({"time": times, "down": np.arange(39) * 1e6, "up": 1e6, "rnti_count": 7.0})
    rows = load_features(frame)
    # a full hour of history is needed (lag 30); the gap at step 35 drops the rows that lag into it
    assert rows["time"].min() == times[30]
    assert pd.Timestamp("2018-03-28 01:12") not in set(rows["time"])  # lag 1 is the gap
    first = rows.iloc[0]
    assert first["down_mb"] == 30 and first["down_mb_lag1"] == 29 and first["down_mb_lag30"] == 0


def test_dirichlet_split_covers_every_row_once_and_is_skewed_for_small_alpha() -> None:
    y = np.random.default_rng(0).normal(size=3000)
    parts = dirichlet_partition(y, 4, 0.1, seed=3)
    rows = np.sort(np.concatenate(list(parts.values())))
    np.testing.assert_array_equal(rows, np.arange(3000))
    spreads = [np.ptp(np.quantile(y[p], [0.25, 0.75])) for p in parts.values()]
    iid = [
        np.ptp(np.quantile(y[p], [0.25, 0.75])) for p in dirichlet_partition(y, 4, 1e3, 3).values()
    ]
    assert np.mean(spreads) < 0.8 * np.mean(iid)


def test_group_split_needs_two_clients() -> None:
    assert list(group_partition(np.array(["a", "b", "a"]))) == ["a", "b"]
    with pytest.raises(InvalidInputError, match="a federation needs 2"):
        group_partition(np.array(["a", "a", "b"]), min_rows=2)


def test_arms_and_settings_are_checked_with_one_line_errors() -> None:
    assert arm_settings("logo+int8+fedprox") == (
        "logo",
        {"compression": "int8", "aggregation": "fedprox"},
    )
    assert arm_settings("global+q8z") == ("global", {"compression": "int8z", "downlink": "int8z"})
    with pytest.raises(InvalidInputError, match="unknown arm"):
        arm_settings("best")
    with pytest.raises(InvalidInputError, match="--rounds"):
        load_federated(None, {"rounds": 0})


def test_the_documented_example_configs_load() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    spec, config, run = load_federated(examples / "federated.toml", {})
    assert (spec.source, config.strategy, config.hidden, run.seeds) == (
        "twin",
        "max_variance",
        (64, 64),
        5,
    )
    assert run.arms == ("random", "local", "global", "logo", "central", "logo+int8")
    spec, config, run = load_federated(examples / "federated-compression.toml", {})
    assert (config.topk_fraction, run.arms) == (0.25, ("global", "global+q8", "global+topk"))
    spec, config, run = load_federated(examples / "federated-lcmd.toml", {"source": "ucc5g"})
    assert (spec.source, config.strategy, run.arms) == (
        "ucc5g",
        "lcmd",
        ("random", "local", "global"),
    )
