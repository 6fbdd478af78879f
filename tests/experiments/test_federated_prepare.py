"""Federations from real structure: the twin's cells, ucc5g's sessions, the Dirichlet control."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from netal.errors import InvalidInputError
from netal.experiments.federated import FEDERATIONS, FederationSpec, arm_settings, load_federated
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
    spec, config, run = load_federated(examples / "federated-lcmd.toml", {"source": "ucc5g"})
    assert (spec.source, config.strategy, run.arms) == (
        "ucc5g",
        "lcmd",
        ("random", "local", "global"),
    )
