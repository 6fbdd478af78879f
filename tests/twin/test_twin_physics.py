"""Physical sanity of the radio, mobility and throughput models."""

from __future__ import annotations

import numpy as np
import pandas as pd

from netal.twin.oracle import TwinOracle
from netal.twin.throughput import nr_rate_mbps
from netal.twin.world import World, umi_los_path_loss, umi_nlos_path_loss


def test_los_path_loss_beats_nlos_at_equal_distance() -> None:
    d2d = np.linspace(10.0, 500.0, 50)
    d3d = np.sqrt(d2d**2 + 7.5**2)
    los = umi_los_path_loss(d2d, d3d, 28.0, 9.0, 1.5)
    nlos = umi_nlos_path_loss(d2d, d3d, 28.0, 9.0, 1.5)
    assert np.all(los < nlos)
    assert np.all(np.diff(los) > 0) and np.all(np.diff(nlos) > 0)


def test_los_positions_receive_more_power_in_the_world(world: World) -> None:
    tower_xy = np.array([t.position for t in world.scenario.towers])[world.cell_tower]
    dist = np.sqrt(((world.xy[None] - tower_xy[:, None]) ** 2).sum(axis=2))
    compared = 0
    for c in range(world.path_loss.shape[0]):
        band = (dist[c] > 80) & (dist[c] < 200)
        los, nlos = (
            world.path_loss[c, band & world.los[c]],
            world.path_loss[c, band & ~world.los[c]],
        )
        if len(los) > 20 and len(nlos) > 20:
            assert np.median(los) + 10.0 < np.median(nlos)
            compared += 1
    assert compared >= 2
    assert 0.2 < world.los.mean() < 0.8


def test_rate_increases_with_sinr(world: World) -> None:
    rate = nr_rate_mbps(np.linspace(-10, 30, 41), world)
    assert np.all(np.diff(rate) >= 0) and rate[-1] > 1000 and rate[0] < 50


def _street(world: World, n: int, seed: int) -> pd.DataFrame:
    """Walkers facing a tower-1 sector along the south street (y = 0)."""
    rng = np.random.default_rng(seed)
    # loop positions 900..1300 run west along y = 0 (x = 400 -> 0); tower 1 sits at x = 110
    u = rng.uniform(905.0, 1295.0, n)
    return pd.DataFrame(
        {"route_pos_m": u, "mobility_mode": "walking", "trajectory_direction": "CW"}
    )


def test_throughput_falls_with_distance(world: World) -> None:
    cond = _street(world, 3000, 0)
    data = TwinOracle(world, seed=1).measure(cond).data
    tower = world.scenario.towers[0].position
    x = world.scenario.route.position(cond["route_pos_m"].to_numpy())[:, 0]
    dist = (
        x - tower[0]
    )  # east of the tower, walking west towards it (line of sight along the street)
    near, far = (dist > 20) & (dist < 80), dist > 230
    assert data["Throughput"][near].median() > 1.25 * data["Throughput"][far].median()
    assert data["nr_ssRsrp"][near].median() > data["nr_ssRsrp"][far].median() + 5.0


def test_throughput_falls_with_body_blockage(world: World) -> None:
    cond = _street(world, 2000, 1)
    x = world.scenario.route.position(cond["route_pos_m"].to_numpy())[:, 0]
    # walking west (CW here) with the tower ahead vs. walking east with it behind, 40-120 m east of it
    cond = cond[
        (x > world.scenario.towers[0].position[0] + 40)
        & (x < world.scenario.towers[0].position[0] + 120)
    ]
    facing = TwinOracle(world, seed=2).measure(cond, extra=True).data
    away = (
        TwinOracle(world, seed=2).measure(cond.assign(trajectory_direction="ACW"), extra=True).data
    )
    assert away["_body_loss_db"].median() > 15.0 > facing["_body_loss_db"].median()
    assert away["Throughput"].mean() < 0.8 * facing["Throughput"].mean()


def test_driving_gives_fewer_samples_per_metre(twin_data: pd.DataFrame, world: World) -> None:
    per_run = twin_data.groupby("run_num").agg(
        n=("seq_num", "size"), mode=("mobility_mode", "first")
    )
    complete = per_run.iloc[:-1]  # the last run is cut at the requested row count
    per_metre = complete.groupby("mode")["n"].median() / world.scenario.route.length
    assert per_metre["driving"] < 0.5 * per_metre["walking"]
    walking = twin_data[twin_data["mobility_mode"] == "walking"]["movingSpeed"]
    assert 1.1 < walking.median() < 1.7


def test_cars_stop_at_lights_and_slow_at_corners(twin_data: pd.DataFrame) -> None:
    driving = twin_data[twin_data["mobility_mode"] == "driving"]
    assert (driving["movingSpeed"] < 0.5).mean() > 0.05
    assert driving["movingSpeed"].max() < 16.0
    turns = driving["compassDirection"].sub(driving["compassDirection"].shift()).abs()
    assert (turns.between(30, 330)).sum() > 0


def test_throughput_noise_depends_on_conditions(twin_data: pd.DataFrame) -> None:
    nr = twin_data[twin_data["nrStatus"] == "CONNECTED"]
    rel = nr.groupby(nr["nr_ssSinr"] > 10)["Throughput"].agg(lambda s: s.std() / s.mean())
    assert rel[False] > rel[True]
