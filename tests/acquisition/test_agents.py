"""Measurement-agent planning: coverage, costs, lower bounds, more agents, TSP vs random order."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from netal.acquisition import (
    Agent,
    local_xy,
    make_requests,
    order_stops,
    path_length,
    plan,
)
from netal.errors import InvalidInputError


def _requests(n: int, seed: int, modes=("walking", "driving"), size: float = 1000.0):
    rng = np.random.default_rng(seed)
    return make_requests(
        rng.uniform(0, size, (n, 2)), rng.uniform(30, 90, n), rng.choice(list(modes), n)
    )


def _fleet(n_walk: int, n_drive: int, seed: int = 0) -> list[Agent]:
    rng = np.random.default_rng(seed)
    walkers = [Agent(f"w{i}", "walking", *rng.uniform(0, 1000, 2)) for i in range(n_walk)]
    drivers = [Agent(f"d{i}", "driving", *rng.uniform(0, 1000, 2)) for i in range(n_drive)]
    return walkers + drivers


@pytest.mark.parametrize("assign", ["kmeans", "nearest"])
@pytest.mark.parametrize("seed", [0, 1])
def test_every_request_is_visited_exactly_once_by_an_agent_of_its_mode(
    assign: str, seed: int
) -> None:
    requests = _requests(60, seed)
    agents = _fleet(3, 2, seed)
    result = plan(requests, agents, assign=assign, seed=seed)
    visits = np.concatenate([r.requests for r in result.routes])
    assert sorted(visits.tolist()) == list(range(60))
    owner = result.assignment()
    modes = np.array([agents[i].mode for i in owner])
    np.testing.assert_array_equal(modes, requests["mobility_mode"].to_numpy())
    summary = result.summary()
    assert summary["n_requests"].sum() == 60 and len(summary) == 5
    assert result.total_s == pytest.approx(summary["total_s"].sum())
    assert result.makespan_s == pytest.approx(summary["total_s"].max())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_plan_cost_is_at_least_the_straight_line_lower_bound(seed: int) -> None:
    requests = _requests(40, seed)
    agents = _fleet(2, 2, seed)
    result = plan(requests, agents)
    xy = requests[["x", "y"]].to_numpy()
    for route in result.routes:
        if len(route.requests) == 0:
            assert route.total_s == 0.0
            continue
        farthest = np.linalg.norm(xy[route.requests] - route.agent.position, axis=1).max()
        assert route.travel_m >= farthest - 1e-9
        assert route.travel_s == pytest.approx(route.travel_m / route.agent.speed_m_s)
        assert route.measure_s == pytest.approx(
            requests["duration_s"].to_numpy()[route.requests].sum()
        )
    # each request needs at least its own measurement plus the trip from the nearest capable agent
    lower = 0.0
    for _i, row in requests.iterrows():
        capable = [a for a in agents if a.mode == row["mobility_mode"]]
        lower = max(
            lower,
            min(np.hypot(row["x"] - a.x, row["y"] - a.y) / a.speed_m_s for a in capable)
            + row["duration_s"],
        )
    assert result.makespan_s >= lower
    assert result.total_s >= requests["duration_s"].sum()


def test_more_agents_reduce_the_makespan() -> None:
    requests = _requests(120, 3, modes=("walking",))
    makespans = [
        plan(requests, [Agent(f"w{i}", "walking", 500.0, 500.0) for i in range(k)]).makespan_s
        for k in (1, 2, 4, 8)
    ]
    assert all(a > b for a, b in itertools.pairwise(makespans))
    assert makespans[-1] < 0.4 * makespans[0]


@pytest.mark.parametrize("method", ["christofides", "greedy", "auto"])
def test_tsp_order_beats_random_order(method: str) -> None:
    rng = np.random.default_rng(4)
    points = rng.uniform(0, 1000, (80, 2))
    start = np.array([0.0, 0.0])
    order = order_stops(start, points, method=method)
    assert sorted(order.tolist()) == list(range(80))
    tsp = path_length(start, points, order)
    random_lengths = [path_length(start, points, rng.permutation(80)) for _ in range(20)]
    assert tsp < 0.5 * min(random_lengths)


def test_open_path_starts_at_the_agent_on_a_line() -> None:
    points = np.array([[30.0, 0.0], [10.0, 0.0], [20.0, 0.0]])
    order = order_stops(np.zeros(2), points)
    np.testing.assert_array_equal(order, [1, 2, 0])
    assert path_length(np.zeros(2), points, order) == pytest.approx(30.0)


def test_driver_speed_and_pedestrian_speed_are_used() -> None:
    requests = make_requests([[100.0, 0.0]], 10.0, "driving")
    car = plan(requests, [Agent("d", "driving", 0.0, 0.0, speed=10.0)])
    assert car.makespan_s == pytest.approx(100.0 / 10.0 + 10.0)
    walk = plan(make_requests([[14.0, 0.0]], 0.0, "walking"), [Agent("w", "walking", 0.0, 0.0)])
    assert walk.makespan_s == pytest.approx(10.0)


def test_missing_mode_and_bad_inputs_raise() -> None:
    requests = _requests(10, 5)
    with pytest.raises(InvalidInputError, match="no driving agent"):
        plan(requests, _fleet(2, 0))
    with pytest.raises(InvalidInputError, match="agents"):
        plan(requests, [])
    with pytest.raises(InvalidInputError, match="mode"):
        Agent("x", "flying", 0.0, 0.0)
    with pytest.raises(InvalidInputError, match="assign"):
        plan(requests, _fleet(1, 1), assign="magic")
    with pytest.raises(InvalidInputError, match="method"):
        plan(requests, _fleet(1, 1), method="magic")
    bad = requests.copy()
    bad.loc[2, "duration_s"] = -1.0
    with pytest.raises(InvalidInputError, match="row 2"):
        plan(bad, _fleet(1, 1))
    bad = requests.copy()
    bad.loc[4, "mobility_mode"] = "cycling"
    with pytest.raises(InvalidInputError, match="row 4"):
        plan(bad, _fleet(1, 1))


def test_local_xy_is_metric() -> None:
    xy = local_xy([44.97, 44.98], [-93.26, -93.26], origin=(44.97, -93.26))
    assert xy[1, 1] == pytest.approx(1112.0, rel=1e-3) and xy[1, 0] == pytest.approx(0.0)


def test_twin_loop_distance_matches_the_twin_oracle_cost() -> None:
    import pandas as pd

    from netal.acquisition import twin_loop_distance
    from netal.twin import TwinOracle, load_scenario

    scenario = load_scenario()
    route, speed = scenario.route, scenario.oracle["walking_speed"]
    duration = scenario.oracle["measure_duration_s"]
    rng = np.random.default_rng(6)
    u = rng.uniform(0, route.length, 25)
    requests = make_requests(route.position(u), duration, "walking")
    start = route.position(np.array([scenario.start_m]))[0]
    walker = Agent("w", "walking", float(start[0]), float(start[1]), speed=speed)
    along = plan(requests, [walker], distance=twin_loop_distance(scenario))
    straight = plan(requests, [walker])
    assert along.travel_m >= straight.travel_m - 1e-6
    visit = along.routes[0].requests
    oracle = TwinOracle(scenario, agent_position_m=scenario.start_m)
    conditions = pd.DataFrame(
        {"route_pos_m": u[visit], "mobility_mode": "walking", "trajectory_direction": "CW"}
    )
    assert oracle.cost(conditions).sum() == pytest.approx(along.total_s, rel=1e-6)


def test_parse_fleet_counts_agents_per_mode_and_names_the_option() -> None:
    from netal.acquisition.agents import parse_fleet

    assert parse_fleet("walking:2, driving:1,walking:1") == {"walking": 3, "driving": 1}
    for bad in ("walking", "cycling:2", "walking:0", "driving:x", " , "):
        with pytest.raises(InvalidInputError, match="--fleet"):
            parse_fleet(bad, "--fleet")


def test_twin_fleet_starts_on_the_loop_at_the_oracles_speeds() -> None:
    from netal.acquisition.agents import twin_fleet
    from netal.twin import TwinOracle

    world = TwinOracle(seed=0).world
    agents = twin_fleet(world, {"walking": 2, "driving": 1})
    assert [a.mode for a in agents] == ["walking", "walking", "driving"]
    assert agents[0].speed_m_s == world.scenario.oracle["walking_speed"]
    assert agents[2].speed_m_s == world.scenario.oracle["driving_speed"]
    _, offset = world.scenario.route.project(agents[0].position[None])
    assert offset[0] == pytest.approx(0.0, abs=1e-6)
