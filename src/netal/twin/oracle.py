"""The twin as a measurement oracle: labeled samples for requested conditions, at a cost.

A request (one row of a conditions table) says where and how to measure:

=====================  ==========================================================
column                 meaning
=====================  ==========================================================
``route_pos_m``        position along the clockwise loop (m), *or*
``latitude``,          a WGS84 position; it is snapped to the loop and rejected
``longitude``          when farther than ``route.max_request_offset_m``
``mobility_mode``      ``walking`` or ``driving``
``trajectory_direction`` ``CW`` or ``ACW``
``movingSpeed``        m/s (optional; default: typical speed of the mode)
``acceleration``       m/s^2 (optional, default 0; negative = braking)
``blocker_rate``       dynamic blockers per second (optional; default from the scenario)
``time``               earliest start of the measurement, seconds on the agent's clock (optional)
=====================  ==========================================================

Cost model (seconds of a measurement agent's time): the agent travels along
the loop from its current position to the requested one at the walking or
driving agent speed (``[oracle]`` in the scenario), waits for ``time`` if
given, then measures for ``measure_duration_s`` (a throughput test) or
``observe_duration_s`` (logging radio features only). Its position and clock
are updated after each request, in request order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal._validation import check_ids
from netal.errors import InvalidInputError
from netal.oracle import OracleAnswer
from netal.schemas import DIRECTIONS, LUMOS5G_COLUMNS, LUMOS5G_TARGET, MOBILITY_MODES
from netal.twin.generator import resolve_world, simulate_frame
from netal.twin.mobility import Runs, approach_windows
from netal.twin.scenario import Scenario
from netal.twin.world import World

MAX_ABS_ACCELERATION = 8.0
MAX_BLOCKER_RATE = 5.0


@dataclass(frozen=True)
class Measurement:
    """What a request batch returned.

    Attributes
    ----------
    data
        One Lumos5G-schema row per request, in request order (without
        ``Throughput`` for :meth:`TwinOracle.observe`).
    costs
        Seconds of agent time spent on each request, ``(n,)``.
    """

    data: pd.DataFrame
    costs: np.ndarray


@dataclass(frozen=True)
class Requests:
    """Validated requests as arrays."""

    u: np.ndarray
    offset: np.ndarray
    walking: np.ndarray
    acw: np.ndarray
    speed: np.ndarray
    acceleration: np.ndarray
    blocker_rate: np.ndarray
    time: np.ndarray

    def __len__(self) -> int:
        return len(self.u)


def _column(
    frame: pd.DataFrame, name: str, default: np.ndarray | float | None, allow_nan: bool = False
) -> np.ndarray:
    if name not in frame:
        if default is None:
            raise InvalidInputError(f"conditions.{name}", "required column is missing")
        return np.broadcast_to(np.asarray(default, dtype=np.float64), (len(frame),)).copy()
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
    bad = (
        ~np.isfinite(values)
        if not allow_nan
        else np.isinf(values) | (np.isnan(values) & frame[name].notna().to_numpy())
    )
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInputError(
            f"conditions.{name}", f"row {i}: {frame[name].iloc[i]!r} is not a finite number"
        )
    return values


def _choice(frame: pd.DataFrame, name: str, allowed: tuple[str, ...]) -> np.ndarray:
    if name not in frame:
        raise InvalidInputError(f"conditions.{name}", "required column is missing")
    values = frame[name].astype(str).to_numpy()
    bad = ~np.isin(values, allowed)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInputError(
            f"conditions.{name}",
            f"row {i}: unknown value {frame[name].iloc[i]!r}; known: {', '.join(allowed)}",
        )
    return values


def _check_range(
    values: np.ndarray, name: str, low: np.ndarray | float, high: np.ndarray | float, why: str
) -> None:
    bad = (values < low) | (values > high)
    if bad.any():
        i = int(np.argmax(bad))
        lo = np.broadcast_to(low, values.shape)[i]
        hi = np.broadcast_to(high, values.shape)[i]
        raise InvalidInputError(
            f"conditions.{name}", f"row {i}: {values[i]:g} is outside [{lo:g}, {hi:g}] ({why})"
        )


def parse_conditions(world: World, conditions: Any) -> Requests:
    """Validate a conditions table (DataFrame, dict of columns or list of records).

    Raises
    ------
    InvalidInputError
        Naming the column and the first offending row: positions off the map
        or far from the loop, unknown mobility modes or directions, impossible
        speeds (e.g. walking at 20 m/s), non-finite numbers.
    """
    frame = conditions if isinstance(conditions, pd.DataFrame) else pd.DataFrame(conditions)
    if len(frame) == 0:
        raise InvalidInputError("conditions", "is empty")
    scen = world.scenario
    m = scen.mobility
    modes = _choice(frame, "mobility_mode", MOBILITY_MODES)
    walking = modes == "walking"
    acw = _choice(frame, "trajectory_direction", DIRECTIONS) == "ACW"
    if "route_pos_m" in frame:
        u = _column(frame, "route_pos_m", None)
        _check_range(u, "route_pos_m", 0.0, scen.route.length, "the loop's length; off the map")
        offset = np.zeros(len(u))
    elif "latitude" in frame or "longitude" in frame:
        lat = _column(frame, "latitude", None)
        lon = _column(frame, "longitude", None)
        u, offset = scen.route.project(scen.to_xy(lat, lon))
        far = offset > scen.max_request_offset_m
        if far.any():
            i = int(np.argmax(far))
            raise InvalidInputError(
                "conditions.latitude/longitude",
                f"row {i}: ({lat[i]:.6f}, {lon[i]:.6f}) is {offset[i]:.0f} m from the nearest road of the loop "
                f"(max {scen.max_request_offset_m:g} m); outside the scenario",
            )
    else:
        raise InvalidInputError(
            "conditions", "needs a route_pos_m column or latitude and longitude columns"
        )
    typical = np.where(
        walking, m["walking_speed_mean"], 0.5 * (m["driving_cruise_min"] + m["driving_cruise_max"])
    )
    speed = _column(frame, "movingSpeed", typical)
    limit = np.where(walking, m["walking_speed_max"], m["driving_speed_max"])
    _check_range(speed, "movingSpeed", 0.0, limit, "impossible speed for the mobility mode")
    accel = _column(frame, "acceleration", 0.0)
    _check_range(accel, "acceleration", -MAX_ABS_ACCELERATION, MAX_ABS_ACCELERATION, "m/s^2")
    rate = _column(frame, "blocker_rate", scen.radio["blocker_rate_per_s"])
    _check_range(rate, "blocker_rate", 0.0, MAX_BLOCKER_RATE, "blockers per second")
    time = _column(frame, "time", np.nan, allow_nan=True)
    _check_range(np.nan_to_num(time, nan=0.0), "time", 0.0, np.inf, "seconds")
    return Requests(u, offset, walking, acw, speed, accel, rate, time)


class TwinOracle:
    """Answer measurement requests from the digital twin, charging agent time.

    Parameters
    ----------
    scenario
        Scenario path, parsed :class:`~netal.twin.scenario.Scenario`, or ``None`` (default).
    seed
        Seed of the measurement noise (same seed and same request sequence, same answers).
    agent_position_m
        Where the measurement agent starts, metres along the loop (default: the route start).

    Attributes
    ----------
    agent_position_m, clock_s, total_cost_s
        The agent's current loop position, its clock and the total time spent.

    References
    ----------
    Settles, "Active learning literature survey", 2009, sec. 6.4 (cost-sensitive
    active learning); the seed paper's sec. III (the cost of acquisition, not
    just of labeling).
    """

    def __init__(
        self,
        scenario: str | Path | Scenario | World | None = None,
        *,
        seed: int = 0,
        agent_position_m: float | None = None,
    ) -> None:
        self.world = resolve_world(scenario)
        self._rng = np.random.default_rng(seed)
        scen = self.world.scenario
        self.agent_position_m = float(
            scen.start_m if agent_position_m is None else agent_position_m
        )
        self.clock_s = 0.0
        self.total_cost_s = 0.0
        self.n_requests = 0

    # ------------------------------------------------------------------ costs
    def _costs(self, req: Requests, duration: float) -> tuple[np.ndarray, float]:
        """Per-request agent time and the final clock (vectorized max-plus recursion)."""
        o = self.world.scenario.oracle
        length = self.world.scenario.route.length
        previous = np.concatenate([[self.agent_position_m], req.u[:-1]])
        along = np.abs(req.u - previous)
        distance = np.minimum(along, length - along) + req.offset
        travel = distance / np.where(req.walking, o["walking_speed"], o["driving_speed"])
        # clock_i = max(clock_{i-1} + travel_i, time_i) + duration; with A_i = cumsum(travel + duration),
        # clock_i - A_i = max(clock_0, cummax(time_i + duration - A_i)).
        steps = np.cumsum(travel + duration)
        earliest = np.where(np.isnan(req.time), -np.inf, req.time + duration - steps)
        clock = steps + np.maximum(self.clock_s, np.maximum.accumulate(earliest))
        costs = np.diff(np.concatenate([[self.clock_s], clock]))
        return costs, float(clock[-1])

    def cost(self, conditions: Any, *, observe: bool = False) -> np.ndarray:
        """Expected cost (s) of each request if issued now in this order; the agent does not move."""
        req = parse_conditions(self.world, conditions)
        o = self.world.scenario.oracle
        return self._costs(req, o["observe_duration_s"] if observe else o["measure_duration_s"])[0]

    # ------------------------------------------------------------------ measuring
    def _simulate(self, req: Requests) -> pd.DataFrame:
        window = int(self.world.scenario.oracle["window_s"])
        pos, speeds, heading = approach_windows(
            self.world, req.u, req.acw, req.speed, req.acceleration, window
        )
        valid = np.zeros(pos.shape, dtype=bool)
        valid[:, -1] = True
        runs = Runs(
            u=pos, speed=speeds, heading=heading, valid=valid, walking=req.walking, acw=req.acw
        )
        frame = simulate_frame(
            self.world, runs, self._rng, blocker_rate=req.blocker_rate, steady=True, extra=True
        )
        frame["run_num"] = self.n_requests + 1
        frame["seq_num"] = np.arange(1, len(frame) + 1)
        return frame

    def _run(self, conditions: Any, duration_key: str, extra: bool) -> Measurement:
        req = parse_conditions(self.world, conditions)
        costs, clock = self._costs(req, self.world.scenario.oracle[duration_key])
        frame = self._simulate(req)
        self.agent_position_m = float(req.u[-1])
        self.clock_s = clock
        self.total_cost_s += float(costs.sum())
        self.n_requests += 1
        if not extra:
            frame = frame[list(LUMOS5G_COLUMNS)]
        return Measurement(data=frame, costs=costs)

    def measure(self, conditions: Any, *, extra: bool = False) -> Measurement:
        """Labeled samples (full Lumos5G rows incl. ``Throughput``) for the requested conditions.

        ``extra`` keeps the ground-truth columns ``_body_loss_db``,
        ``_blocker_loss_db`` and ``_route_pos_m`` after the schema.
        """
        return self._run(conditions, "measure_duration_s", extra)

    def observe(self, conditions: Any) -> Measurement:
        """Features only (no ``Throughput``), at the lower observation cost."""
        result = self._run(conditions, "observe_duration_s", False)
        return Measurement(data=result.data.drop(columns=[LUMOS5G_TARGET]), costs=result.costs)


class TwinPoolOracle:
    """The id-based :class:`netal.oracle.Oracle` protocol over a table of candidate conditions.

    Id ``i`` is row ``i`` of ``conditions``; ``query(ids)`` sends the agent to
    measure those rows (in the given order) and returns their throughput.

    Parameters
    ----------
    oracle
        The :class:`TwinOracle` doing the measuring.
    conditions
        Candidate conditions (validated at construction).
    """

    def __init__(self, oracle: TwinOracle, conditions: Any) -> None:
        self.oracle = oracle
        self.conditions = (
            conditions if isinstance(conditions, pd.DataFrame) else pd.DataFrame(conditions)
        )
        self.conditions = self.conditions.reset_index(drop=True)
        parse_conditions(oracle.world, self.conditions)
        self.n_queries = 0

    def __len__(self) -> int:
        return len(self.conditions)

    def cost(self, ids: Any) -> np.ndarray:
        """Expected agent time (s) of measuring ``ids`` in this order from the agent's current position."""
        ids = check_ids(ids, len(self))
        if ids.size == 0:
            return np.zeros(0)
        return self.oracle.cost(self.conditions.iloc[ids])

    def query(self, ids: Any) -> OracleAnswer:
        """Measure ``ids`` and return their ``Throughput`` labels (Mbit/s) and costs."""
        ids = check_ids(ids, len(self))
        if ids.size == 0:
            return OracleAnswer(ids=ids, labels=np.zeros(0), costs=np.zeros(0))
        result = self.oracle.measure(self.conditions.iloc[ids])
        self.n_queries += len(ids)
        return OracleAnswer(
            ids=ids,
            labels=result.data[LUMOS5G_TARGET].to_numpy(dtype=np.float64),
            costs=result.costs,
        )
