"""Measurement agents: who measures which request, in which order, and what it costs.

Acquiring a label in a network means sending someone (a pedestrian with a
phone, a car) to a place to run a measurement: the cost of acquisition the
seed paper (sec. III) asks to count, not just the cost of annotation.  Given
a batch of measurement requests (positions in a local metric frame, each with
a measurement duration and a required mobility mode) and ``K`` agents,
:func:`plan`

1. assigns requests to agents of the required mode (:data:`ASSIGNERS`:
   ``"kmeans"`` clusters the requests into as many groups as there are agents
   and matches clusters to agents by the Hungarian method on agent-centroid
   distance; ``"nearest"`` gives each request to the closest agent);
2. orders each agent's requests along a route with networkx's travelling-
   salesman heuristics (Christofides, 1976, for up to ``christofides_max``
   stops; the greedy nearest-neighbour tour above, since networkx offers no
   2-opt and Christofides' matching is cubic), cutting the tour into an
   open path that starts at the agent;
3. costs the plan: travel time (distance / agent speed; Euclidean in a local
   metric frame, or along the twin's loop with :func:`twin_loop_distance`) plus
   measurement time, per agent, in total and as the makespan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from networkx.algorithms import approximation
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans

from netal._validation import as_float_array, check_positive_int
from netal.errors import InvalidInputError
from netal.schemas import MOBILITY_MODES
from netal.twin.generator import resolve_world

DEFAULT_SPEED_M_S = {"walking": 1.4, "driving": 6.0}
"""Default agent speeds: 1.4 m/s walking (Bohannon, Age Ageing 1997); 6 m/s driving
downtown incl. stops (the twin's ``[oracle]`` default)."""

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Agent:
    """A measurement agent.

    Attributes
    ----------
    name
        Identifier used in reports.
    mode
        ``"walking"`` (pedestrian) or ``"driving"`` (driver).
    x, y
        Current position in the local metric frame (m).
    speed
        Travel speed (m/s); ``None``: :data:`DEFAULT_SPEED_M_S` of the mode.
    """

    name: str
    mode: str
    x: float
    y: float
    speed: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in MOBILITY_MODES:
            raise InvalidInputError(
                f"agent {self.name!r}.mode",
                f"must be one of {', '.join(MOBILITY_MODES)}, got {self.mode!r}",
            )
        if not (np.isfinite(self.x) and np.isfinite(self.y)):
            raise InvalidInputError(f"agent {self.name!r}.position", "must be finite")
        if self.speed is not None and not (np.isfinite(self.speed) and self.speed > 0):
            raise InvalidInputError(f"agent {self.name!r}.speed", f"must be > 0, got {self.speed}")

    @property
    def speed_m_s(self) -> float:
        """The agent's speed, with the mode's default filled in."""
        return float(DEFAULT_SPEED_M_S[self.mode] if self.speed is None else self.speed)

    @property
    def position(self) -> np.ndarray:
        """``(2,)`` position."""
        return np.array([self.x, self.y], dtype=np.float64)


@dataclass(frozen=True)
class AgentRoute:
    """One agent's share of a plan.

    Attributes
    ----------
    agent
        The agent.
    requests
        Request row positions in visit order, ``int64``.
    travel_m
        Length of the open path from the agent's position through the requests.
    travel_s, measure_s
        Travel time and total measurement time (s).
    """

    agent: Agent
    requests: np.ndarray
    travel_m: float
    travel_s: float
    measure_s: float

    @property
    def total_s(self) -> float:
        """Time until the agent finishes its last measurement."""
        return self.travel_s + self.measure_s


@dataclass(frozen=True)
class Plan:
    """Routes of all agents for one batch of requests."""

    routes: tuple[AgentRoute, ...]
    n_requests: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def total_s(self) -> float:
        """Agent time summed over agents (travel + measurement)."""
        return float(sum(r.total_s for r in self.routes))

    @property
    def makespan_s(self) -> float:
        """Time until the last agent finishes (agents work in parallel)."""
        return float(max((r.total_s for r in self.routes), default=0.0))

    @property
    def travel_m(self) -> float:
        """Distance travelled by all agents."""
        return float(sum(r.travel_m for r in self.routes))

    def assignment(self) -> np.ndarray:
        """Index (into ``routes``) of the agent measuring each request, ``(n_requests,)``."""
        owner = np.full(self.n_requests, -1, dtype=np.int64)
        for i, route in enumerate(self.routes):
            owner[route.requests] = i
        return owner

    def summary(self) -> pd.DataFrame:
        """One row per agent: mode, requests, travel m and s, measurement s, total s."""
        return pd.DataFrame(
            {
                "agent": [r.agent.name for r in self.routes],
                "mode": [r.agent.mode for r in self.routes],
                "n_requests": [len(r.requests) for r in self.routes],
                "travel_m": [r.travel_m for r in self.routes],
                "travel_s": [r.travel_s for r in self.routes],
                "measure_s": [r.measure_s for r in self.routes],
                "total_s": [r.total_s for r in self.routes],
            }
        )


def parse_fleet(text: str, option: str = "fleet") -> dict[str, int]:
    """Agent counts per mode from ``"walking:2,driving:1"`` (a mode may be left out)."""
    fleet: dict[str, int] = {}
    for item in (part.strip() for part in str(text).split(",")):
        if not item:
            continue
        mode, sep, count = item.partition(":")
        mode = mode.strip()
        if mode not in MOBILITY_MODES or not sep or not count.strip().isdigit() or int(count) < 1:
            raise InvalidInputError(
                option,
                f"entry {item!r} must be MODE:COUNT with MODE one of {', '.join(MOBILITY_MODES)} "
                "and COUNT a positive integer",
            )
        fleet[mode] = fleet.get(mode, 0) + int(count)
    if not fleet:
        raise InvalidInputError(option, f"names no agent: {text!r}")
    return fleet


def twin_fleet(world: Any, fleet: dict[str, int]) -> list[Agent]:
    """Agents of the twin: ``fleet[mode]`` per mode, at the start of the loop, at the oracle's speeds."""
    start = world.scenario.route.position(np.array(0.0))
    speeds = world.scenario.oracle
    return [
        Agent(f"{mode}-{i}", mode, float(start[0]), float(start[1]), speed=speeds[f"{mode}_speed"])
        for mode in MOBILITY_MODES
        for i in range(fleet.get(mode, 0))
    ]


# --------------------------------------------------------------------------- inputs
def local_xy(
    latitude: Any, longitude: Any, origin: tuple[float, float] | None = None
) -> np.ndarray:
    """WGS84 degrees to local metres ``(n, 2)`` (equirectangular around ``origin``, default the mean)."""
    lat = as_float_array(latitude, "latitude", ndim=1)
    lon = as_float_array(longitude, "longitude", ndim=1)
    lat0, lon0 = (float(lat.mean()), float(lon.mean())) if origin is None else origin
    x = np.radians(lon - lon0) * EARTH_RADIUS_M * np.cos(np.radians(lat0))
    y = np.radians(lat - lat0) * EARTH_RADIUS_M
    return np.stack([x, y], axis=1)


def make_requests(xy: Any, duration_s: Any, mobility_mode: Any) -> pd.DataFrame:
    """A request table (columns ``x``, ``y``, ``duration_s``, ``mobility_mode``) from arrays/scalars."""
    points = as_float_array(xy, "xy", ndim=2)
    if points.shape[1] != 2:
        raise InvalidInputError("xy", f"must have 2 columns (x, y), got {points.shape[1]}")
    n = len(points)
    return pd.DataFrame(
        {
            "x": points[:, 0],
            "y": points[:, 1],
            "duration_s": np.broadcast_to(np.asarray(duration_s, dtype=np.float64), (n,)),
            "mobility_mode": np.broadcast_to(np.asarray(mobility_mode).astype(str), (n,)),
        }
    )


def _check_requests(requests: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(requests, pd.DataFrame):
        raise InvalidInputError("requests", "must be a DataFrame (see make_requests)")
    missing = [c for c in ("x", "y", "duration_s", "mobility_mode") if c not in requests]
    if missing:
        raise InvalidInputError("requests", f"lacks column(s): {', '.join(missing)}")
    if len(requests) == 0:
        raise InvalidInputError("requests", "is empty")
    xy = as_float_array(requests[["x", "y"]].to_numpy(dtype=np.float64), "requests.x/y", ndim=2)
    duration = as_float_array(
        requests["duration_s"].to_numpy(dtype=np.float64), "requests.duration_s"
    )
    if (duration < 0).any():
        row = int(np.argmax(duration < 0))
        raise InvalidInputError("requests.duration_s", f"row {row}: must be >= 0")
    modes = requests["mobility_mode"].astype(str).to_numpy()
    bad = ~np.isin(modes, MOBILITY_MODES)
    if bad.any():
        row = int(np.argmax(bad))
        raise InvalidInputError(
            "requests.mobility_mode",
            f"row {row}: unknown mode {modes[row]!r}; known: {', '.join(MOBILITY_MODES)}",
        )
    return xy, duration, modes


# --------------------------------------------------------------------------- assignment
def _assign_nearest(points: np.ndarray, starts: np.ndarray, seed: int) -> np.ndarray:
    """Each request to the closest agent (ties: the first agent)."""
    return np.linalg.norm(points[:, None] - starts[None], axis=2).argmin(axis=1)


def _assign_kmeans(points: np.ndarray, starts: np.ndarray, seed: int) -> np.ndarray:
    """k-means into one cluster per agent; clusters matched to agents by the Hungarian method."""
    k, n = len(starts), len(points)
    if n <= k:
        cost = np.linalg.norm(points[:, None] - starts[None], axis=2)
        rows, cols = linear_sum_assignment(cost)
        owner = np.empty(n, dtype=np.int64)
        owner[rows] = cols
        return owner
    km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(points)
    cost = np.linalg.norm(km.cluster_centers_[:, None] - starts[None], axis=2)
    clusters, agents = linear_sum_assignment(cost)
    to_agent = np.empty(k, dtype=np.int64)
    to_agent[clusters] = agents
    return to_agent[km.labels_]


ASSIGNERS: dict[str, Callable[[np.ndarray, np.ndarray, int], np.ndarray]] = {
    "kmeans": _assign_kmeans,
    "nearest": _assign_nearest,
}
"""Request-to-agent assignment rules by name (see the module docstring)."""


# --------------------------------------------------------------------------- metrics
Distance = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""A travel metric: ``distance(a (n, 2), b (m, 2)) -> (n, m)`` metres."""


def euclidean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Straight-line distances ``(n, m)`` between points in a local metric frame."""
    return np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)


def twin_loop_distance(scenario: Any = None) -> Distance:
    """Travel distance along the digital twin's measurement loop (its road graph).

    Points are in the twin's local frame (``scenario.to_xy(lat, lon)``); each
    is snapped to the loop, and the distance is the shorter way round the
    loop plus both points' offsets from it (a metric, so Christofides'
    guarantee holds).  This is how :class:`netal.twin.TwinOracle` charges
    travel.
    """
    route = resolve_world(scenario).scenario.route

    def distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ua, oa = route.project(np.asarray(a, dtype=np.float64))
        ub, ob = route.project(np.asarray(b, dtype=np.float64))
        along = np.abs(ua[:, None] - ub[None, :])
        loop = np.minimum(along, route.length - along) + oa[:, None] + ob[None, :]
        same = (np.asarray(a)[:, None, :] == np.asarray(b)[None, :, :]).all(axis=2)
        return np.where(same, 0.0, loop)

    return distance


# --------------------------------------------------------------------------- routing
TSP_METHODS: dict[str, Callable[..., list[int]]] = {
    "christofides": approximation.christofides,
    "greedy": approximation.greedy_tsp,
}
"""networkx travelling-salesman heuristics by name (``"auto"`` picks one by size)."""


def path_length(
    start: np.ndarray, points: np.ndarray, order: Sequence[int], distance: Distance = euclidean
) -> float:
    """Length of the open path ``start -> points[order[0]] -> ... -> points[order[-1]]``."""
    if len(order) == 0:
        return 0.0
    path = np.vstack([start[None], points[np.asarray(order)]])
    steps = [distance(path[i : i + 1], path[i + 1 : i + 2])[0, 0] for i in range(len(path) - 1)]
    return float(np.sum(steps))


def order_stops(
    start: np.ndarray,
    points: np.ndarray,
    *,
    method: str = "auto",
    christofides_max: int = 250,
    distance: Distance = euclidean,
) -> np.ndarray:
    """Visit order of ``points`` for an agent at ``start``: a TSP tour cut into an open path.

    The tour over ``start`` and the points comes from networkx
    (:data:`TSP_METHODS`; ``"auto"``: Christofides up to ``christofides_max``
    stops, greedy above); of the two tour edges at ``start`` the longer one
    is dropped, so the path leaves along the shorter.
    """
    n = len(points)
    if n <= 1:
        return np.arange(n, dtype=np.int64)
    if method == "auto":
        method = "christofides" if n <= christofides_max else "greedy"
    if method not in TSP_METHODS:
        raise InvalidInputError(
            "method", f"must be 'auto' or one of {sorted(TSP_METHODS)}, got {method!r}"
        )
    nodes = np.vstack([start[None], points])
    distances = distance(nodes, nodes)
    graph = nx.Graph()  # complete graph, zero-length edges (repeated points) included
    i, j = np.triu_indices(len(nodes), 1)
    graph.add_weighted_edges_from(
        zip(i.tolist(), j.tolist(), distances[i, j].tolist(), strict=True)
    )
    cycle = TSP_METHODS[method](graph, weight="weight")[:-1]
    at = cycle.index(0)
    tour = cycle[at:] + cycle[:at]  # starts at the agent
    forward, backward = tour[1:], tour[1:][::-1]
    keep_forward = distances[tour[-1], 0] >= distances[0, tour[1]]
    return np.asarray(forward if keep_forward else backward, dtype=np.int64) - 1


# --------------------------------------------------------------------------- planning
def plan(
    requests: pd.DataFrame,
    agents: Sequence[Agent],
    *,
    assign: str = "kmeans",
    method: str = "auto",
    christofides_max: int = 250,
    distance: Distance = euclidean,
    seed: int = 0,
) -> Plan:
    """Assign measurement requests to agents and route each agent through its share.

    Parameters
    ----------
    requests
        Columns ``x``, ``y`` (local metres, see :func:`local_xy`),
        ``duration_s`` (measurement time) and ``mobility_mode``
        (``walking`` requests go to pedestrians, ``driving`` to drivers);
        build one with :func:`make_requests`.
    agents
        The available agents.
    assign
        Assignment rule, a key of :data:`ASSIGNERS`.
    method
        TSP heuristic: ``"auto"`` or a key of :data:`TSP_METHODS`.
    christofides_max
        Largest route solved with Christofides under ``"auto"``.
    distance
        Travel metric (:func:`euclidean` by default; :func:`twin_loop_distance`
        travels along the twin's loop).  Assignment always clusters by
        straight-line position.
    seed
        Seed of the k-means initialization.

    Returns
    -------
    Plan
        One route per agent (possibly empty), in the order of ``agents``.

    Raises
    ------
    InvalidInputError
        Bad requests, no agents, or a request whose mode no agent has.

    References
    ----------
    Christofides, "Worst-case analysis of a new heuristic for the travelling
    salesman problem", CMU report 388, 1976; Lloyd, "Least squares
    quantization in PCM", IEEE Trans. IT 1982 (k-means); Kuhn, "The
    Hungarian method for the assignment problem", 1955.
    """
    xy, duration, modes = _check_requests(requests)
    if len(agents) == 0:
        raise InvalidInputError("agents", "is empty; at least one agent is needed")
    if assign not in ASSIGNERS:
        raise InvalidInputError("assign", f"must be one of {sorted(ASSIGNERS)}, got {assign!r}")
    check_positive_int(christofides_max, "christofides_max")
    agent_modes = np.array([a.mode for a in agents])
    owner = np.full(len(xy), -1, dtype=np.int64)
    for mode in MOBILITY_MODES:
        rows = np.flatnonzero(modes == mode)
        if len(rows) == 0:
            continue
        candidates = np.flatnonzero(agent_modes == mode)
        if len(candidates) == 0:
            raise InvalidInputError(
                "agents",
                f"no {mode} agent for {len(rows)} {mode} request(s) (first: row {int(rows[0])})",
            )
        starts = np.stack([agents[i].position for i in candidates])
        owner[rows] = candidates[ASSIGNERS[assign](xy[rows], starts, seed)]
    routes = tuple(
        _route(agent, np.flatnonzero(owner == i), xy, duration, method, christofides_max, distance)
        for i, agent in enumerate(agents)
    )
    return Plan(routes=routes, n_requests=len(xy), meta={"assign": assign, "method": method})


def _route(
    agent: Agent,
    rows: np.ndarray,
    xy: np.ndarray,
    duration: np.ndarray,
    method: str,
    christofides_max: int,
    distance: Distance,
) -> AgentRoute:
    order = order_stops(
        agent.position,
        xy[rows],
        method=method,
        christofides_max=christofides_max,
        distance=distance,
    )
    visit = rows[order]
    travel = path_length(agent.position, xy, visit, distance)
    return AgentRoute(
        agent=agent,
        requests=visit.astype(np.int64),
        travel_m=travel,
        travel_s=travel / agent.speed_m_s,
        measure_s=float(duration[visit].sum()),
    )
