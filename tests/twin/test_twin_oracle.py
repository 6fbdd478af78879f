"""TwinOracle and TwinPoolOracle: answers, costs, bad requests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from netal.errors import InvalidInputError
from netal.oracle import Oracle
from netal.schemas import LUMOS5G_COLUMNS
from netal.twin.oracle import TwinOracle, TwinPoolOracle
from netal.twin.world import World


def _req(u: list[float], mode: str = "walking", direction: str = "CW") -> pd.DataFrame:
    return pd.DataFrame(
        {"route_pos_m": u, "mobility_mode": mode, "trajectory_direction": direction}
    )


def test_measure_returns_labeled_lumos5g_rows(world: World) -> None:
    result = TwinOracle(world).measure(_req([10.0, 300.0, 700.0]))
    assert tuple(result.data.columns) == LUMOS5G_COLUMNS
    assert len(result.data) == 3 and result.data["Throughput"].notna().all()
    assert result.costs.shape == (3,) and (result.costs > 0).all()


def test_observe_has_no_label_and_costs_less(world: World) -> None:
    cond = _req([200.0, 600.0])
    observed = TwinOracle(world).observe(cond)
    measured = TwinOracle(world).measure(cond)
    assert "Throughput" not in observed.data.columns
    assert tuple(observed.data.columns) == tuple(c for c in LUMOS5G_COLUMNS if c != "Throughput")
    assert (observed.costs < measured.costs).all()


def test_costs_grow_with_travel_distance_and_agent_moves(world: World) -> None:
    oracle = TwinOracle(world, agent_position_m=0.0)
    costs = (
        oracle.cost(_req([50.0]))[0],
        oracle.cost(_req([200.0]))[0],
        oracle.cost(_req([600.0]))[0],
    )
    assert costs[0] < costs[1] < costs[2]
    assert oracle.cost(_req([600.0], mode="driving"))[0] < costs[2]  # a car gets there faster
    oracle.measure(_req([600.0]))
    assert oracle.agent_position_m == pytest.approx(600.0)
    assert oracle.cost(_req([600.0]))[0] < costs[0]  # already there
    assert oracle.total_cost_s > 0


def test_requested_time_makes_the_agent_wait(world: World) -> None:
    oracle = TwinOracle(world, agent_position_m=0.0)
    asap = oracle.cost(_req([0.0, 10.0]))
    later = oracle.cost(_req([0.0, 10.0]).assign(time=[0.0, 500.0]))
    assert later[0] == pytest.approx(asap[0]) and later[1] > asap[1] + 400


def test_latitude_longitude_requests(world: World) -> None:
    lat, lon = world.scenario.to_latlon(np.array([[0.0, 100.0], [200.0, 252.0]]))
    cond = pd.DataFrame(
        {
            "latitude": lat,
            "longitude": lon,
            "mobility_mode": "driving",
            "trajectory_direction": "ACW",
        }
    )
    data = TwinOracle(world).measure(cond).data
    assert np.allclose(data["latitude"], lat, atol=1e-4)


@pytest.mark.parametrize(
    ("change", "column", "pattern"),
    [
        ({"movingSpeed": [1.4, 20.0]}, "movingSpeed", "row 1: 20 is outside"),
        (
            {"mobility_mode": ["walking", "flying"]},
            "mobility_mode",
            "row 1: unknown value 'flying'",
        ),
        ({"trajectory_direction": ["north", "CW"]}, "trajectory_direction", "row 0"),
        ({"route_pos_m": [10.0, 5000.0]}, "route_pos_m", "row 1.*off the map"),
        ({"route_pos_m": [np.nan, 3.0]}, "route_pos_m", "row 0.*not a finite number"),
        ({"movingSpeed": [-1.0, 1.0]}, "movingSpeed", "row 0"),
    ],
)
def test_bad_requests_name_field_and_row(
    world: World, change: dict, column: str, pattern: str
) -> None:
    cond = _req([10.0, 20.0]).assign(**change)
    with pytest.raises(InvalidInputError, match=pattern) as info:
        TwinOracle(world).measure(cond)
    assert column in info.value.parameter


def test_request_far_from_the_roads(world: World) -> None:
    lat, lon = world.scenario.to_latlon(np.array([[0.0, 100.0], [200.0, 125.0], [5000.0, 0.0]]))
    cond = pd.DataFrame(
        {
            "latitude": lat,
            "longitude": lon,
            "mobility_mode": "walking",
            "trajectory_direction": "CW",
        }
    )
    with pytest.raises(InvalidInputError, match=r"row 1: .* m from the nearest road") as info:
        TwinOracle(world).measure(cond)
    assert "latitude" in info.value.parameter


def test_missing_columns(world: World) -> None:
    with pytest.raises(InvalidInputError, match="route_pos_m"):
        TwinOracle(world).measure(
            pd.DataFrame({"mobility_mode": ["walking"], "trajectory_direction": ["CW"]})
        )
    with pytest.raises(InvalidInputError, match="mobility_mode"):
        TwinOracle(world).measure(
            pd.DataFrame({"route_pos_m": [1.0], "trajectory_direction": ["CW"]})
        )


def test_same_seed_same_answers(world: World) -> None:
    cond = _req(list(np.linspace(0, 1290, 30)))
    a = TwinOracle(world, seed=5).measure(cond).data
    b = TwinOracle(world, seed=5).measure(cond).data
    pd.testing.assert_frame_equal(a, b)


def test_pool_oracle_implements_the_loop_protocol(world: World) -> None:
    table = _req(list(np.linspace(0, 1290, 50)))
    pool = TwinPoolOracle(TwinOracle(world, seed=3), table)
    assert isinstance(pool, Oracle)
    expected = pool.cost(np.array([4, 40]))
    answer = pool.query(np.array([4, 40]))
    np.testing.assert_allclose(answer.costs, expected)
    assert answer.labels.shape == (2,) and np.isfinite(answer.labels).all()
    assert list(answer.ids) == [4, 40] and pool.n_queries == 2
    with pytest.raises(InvalidInputError, match="ids"):
        pool.query(np.array([50]))
    with pytest.raises(InvalidInputError, match="ids"):
        pool.cost(np.array([0.5]))


def test_pool_oracle_validates_the_table(world: World) -> None:
    with pytest.raises(InvalidInputError, match="mobility_mode"):
        TwinPoolOracle(TwinOracle(world), _req([1.0]).assign(mobility_mode="swimming"))


@pytest.mark.parametrize(
    ("ids", "pattern"),
    [
        ([0.0], r"ids: must be integers, got dtype float64"),
        ([1, 3], r"ids: must lie in \[0, 3\), got 1\.\.3"),
        ([-2], r"ids: must lie in \[0, 3\), got -2\.\.-2"),
    ],
)
def test_pool_oracle_rejects_bad_ids(world: World, ids: list[float], pattern: str) -> None:
    twin = TwinOracle(world)
    pool = TwinPoolOracle(twin, _req([10.0, 200.0, 400.0]))
    with pytest.raises(InvalidInputError, match=pattern):
        pool.cost(ids)
    with pytest.raises(InvalidInputError, match=pattern):
        pool.query(ids)
    assert pool.n_queries == 0 and twin.n_requests == 0


def test_pool_oracle_empty_ids_cost_nothing(world: World) -> None:
    pool = TwinPoolOracle(TwinOracle(world), _req([10.0, 200.0]))
    answer = pool.query(np.array([], dtype=np.int64))
    assert answer.ids.dtype == np.int64 and answer.ids.size == 0 and answer.costs.size == 0
    assert pool.cost(np.array([], dtype=np.uint8)).size == 0
    assert pool.n_queries == 0
