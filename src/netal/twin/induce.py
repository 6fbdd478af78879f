"""The scenario generating function (seed paper, Sec. IV and Fig. 3): rare conditions on request.

``induce(kind, n, seed)`` draws ``n`` conditions of a rare kind that a model
trained on ordinary runs has seen little of (the paper's examples: a turning
car, a car slowing down at a traffic signal, a stationary pedestrian or
driver; plus own-body blockage and a crowd of blockers), has the twin measure
them, and returns the conditions with their ground truth. Kinds live in the
:data:`INDUCERS` registry; add one with ``@INDUCERS.register("name")``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from netal._validation import check_positive_int
from netal.registry import Registry
from netal.schemas import MOBILITY_MODES
from netal.twin.generator import resolve_world
from netal.twin.oracle import TwinOracle
from netal.twin.scenario import Scenario
from netal.twin.world import World

INDUCERS: Registry[pd.DataFrame] = Registry("induced scenario")

CROWD_BLOCKER_RATE = 0.5  # blockers per second in a dense pedestrian crowd (assumed)
BODY_BLOCKAGE_MIN_ANGLE = 150.0  # the strongest cell is at least this far behind the walker


@dataclass(frozen=True)
class InducedScenario:
    """Conditions of an induced scenario and their measured ground truth.

    Attributes
    ----------
    conditions
        The requests (oracle condition columns, see :mod:`netal.twin.oracle`).
    data
        Lumos5G-schema rows (labeled) plus ``induced`` (the kind, the flag
        column), ``body_loss_db`` (own-body loss towards the strongest cell;
        for cars, car penetration plus half the body term) and
        ``blocker_loss_db`` (dynamic blockage), the ground truth of the condition.
    """

    conditions: pd.DataFrame
    data: pd.DataFrame


def _base(
    rng: np.random.Generator, u: np.ndarray, mode: np.ndarray | str, acw: np.ndarray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "route_pos_m": u,
            "mobility_mode": np.broadcast_to(np.asarray(mode, dtype=object), u.shape),
            "trajectory_direction": np.where(acw, "ACW", "CW"),
        }
    )


@INDUCERS.register("body_blockage")
def _body_blockage(world: World, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Walkers whose strongest mmWave cell is behind them (own-body blockage)."""
    strongest = world.rx_static.argmax(axis=0)
    bearing = world.bearing_to_cell[strongest, np.arange(world.n_pos)]
    candidates = []
    for acw in (False, True):
        off = np.abs((bearing - world.heading(world.u, acw) + 180.0) % 360.0 - 180.0)
        candidates += [(u, acw) for u in world.u[off >= BODY_BLOCKAGE_MIN_ANGLE]]
    pick = rng.integers(0, len(candidates), n)
    u = np.array([candidates[i][0] for i in pick])
    acw = np.array([candidates[i][1] for i in pick])
    frame = _base(rng, u, "walking", acw)
    frame["movingSpeed"] = np.clip(
        rng.normal(world.scenario.mobility["walking_speed_mean"], 0.1, n), 0.5, 2.5
    )
    return frame


@INDUCERS.register("stationary")
def _stationary(world: World, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A pedestrian or a driver standing still."""
    frame = _base(
        rng,
        rng.uniform(0.0, world.scenario.route.length, n),
        rng.choice(MOBILITY_MODES, n),
        rng.random(n) < 0.5,
    )
    frame["movingSpeed"] = 0.0
    return frame


@INDUCERS.register("turning_car")
def _turning_car(world: World, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A car turning at a corner of the loop, at corner speed."""
    corners = rng.choice(world.corner_u, n)
    u = np.mod(corners + rng.uniform(-6.0, 6.0, n), world.scenario.route.length)
    frame = _base(rng, u, "driving", rng.random(n) < 0.5)
    frame["movingSpeed"] = np.clip(
        rng.normal(world.scenario.mobility["corner_speed"], 0.5, n), 1.0, 8.0
    )
    return frame


@INDUCERS.register("braking_car")
def _braking_car(world: World, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A car braking towards a traffic light (15-60 m before it)."""
    acw = rng.random(n) < 0.5
    lights = rng.choice(world.light_u, n)
    before = rng.uniform(15.0, 60.0, n)
    u = np.mod(lights - np.where(acw, -1.0, 1.0) * before, world.scenario.route.length)
    frame = _base(rng, u, "driving", acw)
    frame["movingSpeed"] = rng.uniform(2.0, 8.0, n)
    frame["acceleration"] = -world.scenario.mobility["deceleration"]
    return frame


@INDUCERS.register("crowd")
def _crowd(world: World, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A walker in a dense crowd: frequent dynamic blockers."""
    frame = _base(
        rng, rng.uniform(0.0, world.scenario.route.length, n), "walking", rng.random(n) < 0.5
    )
    frame["blocker_rate"] = CROWD_BLOCKER_RATE
    return frame


def induce(
    kind: str, n: int, seed: int = 0, scenario: str | Path | Scenario | None = None
) -> InducedScenario:
    """Induce ``n`` samples of a rare condition and measure their ground truth in the twin.

    Parameters
    ----------
    kind
        One of ``INDUCERS.names()``: ``body_blockage``, ``braking_car``, ``crowd``,
        ``stationary``, ``turning_car``.
    n
        Number of samples.
    seed
        Seed of the conditions and of the measurement noise.
    scenario
        Scenario path, parsed scenario, or ``None`` (default).

    Raises
    ------
    UnknownNameError
        For an unknown ``kind``.

    References
    ----------
    The seed paper (Active ML for 6G), Sec. IV, Fig. 3: the scenario generating
    function inducing rare scenarios to observe their ground truth.
    """
    make = INDUCERS.get(kind)
    n = check_positive_int(n, "n")
    world = resolve_world(scenario)
    rng = np.random.default_rng(seed)
    conditions = make(world, n, rng)
    oracle = TwinOracle(world, seed=int(rng.integers(2**31)))
    data = oracle.measure(conditions, extra=True).data
    data = data.rename(
        columns={"_body_loss_db": "body_loss_db", "_blocker_loss_db": "blocker_loss_db"}
    )
    data = data.drop(columns=["_route_pos_m"])
    data["induced"] = kind
    return InducedScenario(conditions=conditions, data=data)
