"""Scenario files of the digital twin: parse, validate, convert coordinates.

A scenario is a TOML file (read with :mod:`tomllib`) describing a city loop:
buildings (polygons), roads (polylines), the measurement loop, traffic
lights, 28 GHz micro base stations with beamformed sectors, an LTE anchor and
the radio / mobility / throughput / oracle parameters. Everything is in a
local metric frame (x east, y north, metres); :meth:`Scenario.to_latlon`
converts to WGS84 for output. The default scenario ships with the package
(``netal/twin/scenarios/default.toml``); see ``docs/twin.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from netal.configfile import load_toml
from netal.errors import ConfigError
from netal.twin.geometry import Route, points_in_polygon, segment_distance_to_polyline
from netal.twin.scenario_schema import (
    MAX_MAGNITUDE,
    MAY_BE_NEGATIVE,
    MOBILITY_KEYS,
    ORACLE_KEYS,
    RADIO_KEYS,
    SHARES,
    TABLE_KEYS,
    THROUGHPUT_KEYS,
    TOP_KEYS,
    number_problem,
)

EARTH_RADIUS_M = 6_371_000.0

_NUMBER = (int, float)


@dataclass(frozen=True)
class Building:
    """A building footprint (closed polygon, metres) and its height."""

    id: str
    polygon: np.ndarray
    height_m: float


@dataclass(frozen=True)
class Road:
    """A road centre line and its width."""

    name: str
    points: np.ndarray
    width_m: float


@dataclass(frozen=True)
class TrafficLight:
    """A fixed-time traffic light at ``position``."""

    position: np.ndarray
    cycle_s: float
    red_s: float


@dataclass(frozen=True)
class Sector:
    """One beamformed sector (a cell) of a tower."""

    azimuth_deg: float
    beamwidth_deg: float


@dataclass(frozen=True)
class Tower:
    """A 28 GHz micro base station."""

    id: int
    position: np.ndarray
    height_m: float
    ssb_re_eirp_dbm: float
    sectors: tuple[Sector, ...]


@dataclass(frozen=True)
class LteAnchor:
    """The LTE macro cell anchoring the NR leg (EN-DC)."""

    position: np.ndarray
    height_m: float
    frequency_ghz: float
    re_eirp_dbm: float
    bandwidth_mhz: float
    interference_dbm_per_re: float


@dataclass(frozen=True)
class Scenario:
    """A parsed, validated scenario. Build one with :func:`load_scenario`."""

    path: str
    name: str
    origin_lat: float
    origin_lon: float
    world_seed: int
    bounds: np.ndarray
    roads: tuple[Road, ...]
    buildings: tuple[Building, ...]
    route: Route
    start_m: float
    max_request_offset_m: float
    traffic_lights: tuple[TrafficLight, ...]
    towers: tuple[Tower, ...]
    lte: LteAnchor
    radio: dict[str, float] = field(default_factory=dict)
    mobility: dict[str, float] = field(default_factory=dict)
    throughput: dict[str, Any] = field(default_factory=dict)
    oracle: dict[str, float] = field(default_factory=dict)

    def to_latlon(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Convert local metres ``(n, 2)`` to ``(latitude, longitude)`` degrees (equirectangular)."""
        xy = np.asarray(xy, dtype=np.float64)
        lat = self.origin_lat + np.degrees(xy[..., 1] / EARTH_RADIUS_M)
        lon = self.origin_lon + np.degrees(
            xy[..., 0] / (EARTH_RADIUS_M * np.cos(np.radians(self.origin_lat)))
        )
        return lat, lon

    def to_xy(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Convert WGS84 degrees to local metres ``(n, 2)``."""
        y = np.radians(np.asarray(lat, dtype=np.float64) - self.origin_lat) * EARTH_RADIUS_M
        x = (
            np.radians(np.asarray(lon, dtype=np.float64) - self.origin_lon)
            * EARTH_RADIUS_M
            * np.cos(np.radians(self.origin_lat))
        )
        return np.stack([x, y], axis=-1)


class _Reader:
    """Typed access to the parsed TOML with errors naming file, key and line."""

    def __init__(self, path: str, text: str, data: dict[str, Any]) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.data = data

    def line_of(self, key: str, header: str | None = None, index: int = 0) -> int | None:
        """Best-effort 1-based line of ``key`` (inside the ``index``-th ``[header]``/``[[header]]``)."""
        start = 0
        if header is not None:
            pattern = re.compile(rf"^\s*\[\[?\s*{re.escape(header)}\s*\]\]?\s*(#.*)?$")
            hits = [i for i, line in enumerate(self.lines) if pattern.match(line)]
            if len(hits) <= index:
                return None
            start = hits[index]
            if not key:
                return start + 1
        key_pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i in range(start, len(self.lines)):
            if i > start and header is not None and self.lines[i].lstrip().startswith("["):
                break
            if key_pattern.match(self.lines[i]):
                return i + 1
        return None

    def error(
        self, key: str, problem: str, header: str | None = None, index: int = 0
    ) -> ConfigError:
        line = self.line_of(key.rsplit(".", 1)[-1], header, index)
        suffix = f" (line {line})" if line is not None else ""
        return ConfigError(self.path, key, problem + suffix)

    def table(self, name: str) -> dict[str, Any]:
        value = self.data.get(name)
        if not isinstance(value, dict):
            raise self.error(name, "missing table" if value is None else "must be a table", name)
        return value

    def tables(self, name: str) -> list[dict[str, Any]]:
        value = self.data.get(name)
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            raise self.error(name, f"needs at least one [[{name}]] table", name)
        return value

    def get(
        self,
        table: dict[str, Any],
        key: str,
        kind: type | tuple[type, ...],
        where: str,
        index: int = 0,
    ) -> Any:
        full = f"{where}.{key}" if where else key
        header = where.split("[")[0] if where else None
        if key not in table:
            raise self.error(full, "missing key", header, index)
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            names = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            raise self.error(
                full, f"must be {names}, got {type(value).__name__} {value!r}", header, index
            )
        return value

    def check_keys(self, table: dict[str, Any], known: Any, where: str, index: int = 0) -> None:
        """Refuse a key of ``table`` (at ``where``) that is not in ``known``, naming the known ones."""
        for key in table:
            if key not in known:
                raise self.error(
                    f"{where}.{key}" if where else key,
                    f"unknown key; known: {', '.join(known)}",
                    where.split("[")[0] if where else key,
                    index,
                )

    def number(self, table: dict[str, Any], key: str, where: str, index: int = 0) -> float:
        """A finite number within the key's bounds (:func:`number_problem`)."""
        value = float(self.get(table, key, _NUMBER, where, index))
        problem = number_problem(key, value)
        if problem is not None:
            raise self.error(f"{where}.{key}", problem, where.split("[")[0], index)
        return value

    def check_coordinates(self, values: np.ndarray, key: str, header: str, index: int) -> None:
        """Coordinates (metres) must be finite and within :data:`MAX_MAGNITUDE`."""
        if not np.isfinite(values).all():
            raise self.error(key, "must hold finite numbers (no nan or inf)", header, index)
        if np.abs(values).max(initial=0.0) > MAX_MAGNITUDE:
            raise self.error(
                key, f"coordinates must lie within +-{MAX_MAGNITUDE:g} m", header, index
            )

    def points(
        self, table: dict[str, Any], key: str, where: str, index: int = 0, n_min: int = 1
    ) -> np.ndarray:
        value = self.get(table, key, list, where, index)
        ok = all(
            isinstance(p, list)
            and len(p) == 2
            and all(isinstance(c, _NUMBER) and not isinstance(c, bool) for c in p)
            for p in value
        )
        if not ok or len(value) < n_min:
            raise self.error(
                f"{where}.{key}",
                f"must be a list of at least {n_min} [x, y] number pairs",
                where.split("[")[0],
                index,
            )
        points = np.asarray(value, dtype=np.float64)
        self.check_coordinates(points, f"{where}.{key}", where.split("[")[0], index)
        return points

    def point(self, table: dict[str, Any], key: str, where: str, index: int = 0) -> np.ndarray:
        if key not in table:
            raise self.error(f"{where}.{key}", "missing key", where.split("[")[0], index)
        return self.points({key: [table[key]]}, key, where, index)[0]

    def params(self, name: str, keys: list[str], extra: tuple[str, ...] = ()) -> dict[str, float]:
        table = self.table(name)
        self.check_keys(table, [*keys, *extra], name)
        out: dict[str, float] = {}
        for key in keys:
            value = self.number(table, key, name)
            if key in SHARES and not 0.0 <= value <= 1.0:
                raise self.error(f"{name}.{key}", f"must lie in [0, 1], got {value}", name)
            if key not in MAY_BE_NEGATIVE and "dbm" not in key and value < 0:
                raise self.error(f"{name}.{key}", f"must be >= 0, got {value}", name)
            out[key] = value
        return out


def default_scenario_path() -> Path:
    """Path of the scenario shipped with netal."""
    return Path(str(resources.files("netal.twin").joinpath("scenarios/default.toml")))


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and validate a scenario TOML file.

    Parameters
    ----------
    path
        The scenario file; ``None`` loads the packaged default.

    Raises
    ------
    ConfigError
        Malformed TOML, a missing or wrong-typed key, a tower inside a building,
        a route that leaves the roads, ... naming the file, the key and (when it
        can be found) the line.
    """
    path = Path(path) if path is not None else default_scenario_path()
    text, data = load_toml(path)
    return _build(_Reader(str(path), text, data))


def _check_tables(r: _Reader) -> None:
    """Refuse unknown tables and unknown keys in the fixed-key tables (before reading values)."""
    r.check_keys(r.data, TOP_KEYS, "")
    for name, known in TABLE_KEYS.items():
        value = r.data.get(name)
        tables = value if isinstance(value, list) else [value]
        for index, table in enumerate(tables):
            if isinstance(table, dict):
                where = f"{name}[{index}]" if isinstance(value, list) else name
                r.check_keys(table, known, where, index)


def _build(r: _Reader) -> Scenario:
    _check_tables(r)
    meta = r.table("scenario")
    bounds = np.asarray(r.get(r.table("map"), "bounds", list, "map"), dtype=object)
    if bounds.shape != (4,) or not all(
        isinstance(b, _NUMBER) and not isinstance(b, bool) for b in bounds
    ):
        raise r.error("map.bounds", "must be [xmin, ymin, xmax, ymax]", "map")
    bounds = bounds.astype(np.float64)
    r.check_coordinates(bounds, "map.bounds", "map", 0)
    if bounds[2] <= bounds[0] or bounds[3] <= bounds[1]:
        raise r.error("map.bounds", "xmax/ymax must exceed xmin/ymin", "map")
    roads = tuple(_road(r, t, i) for i, t in enumerate(r.tables("roads")))
    buildings = tuple(_building(r, t, i) for i, t in enumerate(r.tables("buildings")))
    route_table = r.table("route")
    waypoints = r.points(route_table, "waypoints", "route", n_min=3)
    route = Route(waypoints)
    _check_route_on_roads(r, route, roads)
    lights = tuple(_light(r, t, i, route) for i, t in enumerate(r.tables("traffic_lights")))
    towers = tuple(_tower(r, t, i, buildings, bounds) for i, t in enumerate(r.tables("towers")))
    ids = [t.id for t in towers]
    if len(set(ids)) != len(ids):
        raise r.error("towers.id", f"tower ids must be unique, got {ids}", "towers")
    lte_t = r.table("lte_anchor")
    lte = LteAnchor(
        position=r.point(lte_t, "position", "lte_anchor"),
        **{
            k: r.number(lte_t, k, "lte_anchor")
            for k in (
                "height_m",
                "frequency_ghz",
                "re_eirp_dbm",
                "bandwidth_mhz",
                "interference_dbm_per_re",
            )
        },
    )
    throughput = r.params("throughput", THROUGHPUT_KEYS, extra=("cqi_table",))
    table = r.get(r.table("throughput"), "cqi_table", str, "throughput")
    if table not in ("256qam", "64qam"):
        raise r.error(
            "throughput.cqi_table", f"must be '256qam' or '64qam', got {table!r}", "throughput"
        )
    return Scenario(
        path=r.path,
        name=r.get(meta, "name", str, "scenario"),
        origin_lat=r.number(meta, "origin_lat", "scenario"),
        origin_lon=r.number(meta, "origin_lon", "scenario"),
        world_seed=int(r.get(meta, "world_seed", int, "scenario")),
        bounds=bounds,
        roads=roads,
        buildings=buildings,
        route=route,
        start_m=r.number(route_table, "start_m", "route") % route.length,
        max_request_offset_m=r.number(route_table, "max_request_offset_m", "route"),
        traffic_lights=lights,
        towers=towers,
        lte=lte,
        radio=r.params("radio", RADIO_KEYS),
        mobility=r.params("mobility", MOBILITY_KEYS),
        throughput={**throughput, "cqi_table": table},
        oracle=r.params("oracle", ORACLE_KEYS),
    )


def _road(r: _Reader, t: dict[str, Any], i: int) -> Road:
    where = f"roads[{i}]"
    return Road(
        name=r.get(t, "name", str, where, i),
        points=r.points(t, "points", where, i, n_min=2),
        width_m=r.number(t, "width_m", where, i),
    )


def _building(r: _Reader, t: dict[str, Any], i: int) -> Building:
    where = f"buildings[{i}]"
    return Building(
        id=str(r.get(t, "id", (str, int), where, i)),
        polygon=r.points(t, "polygon", where, i, n_min=3),
        height_m=r.number(t, "height_m", where, i),
    )


def _light(r: _Reader, t: dict[str, Any], i: int, route: Route) -> TrafficLight:
    where = f"traffic_lights[{i}]"
    position = r.point(t, "position", where, i)
    cycle = r.number(t, "cycle_s", where, i)
    red = r.number(t, "red_s", where, i)
    if cycle <= 0 or not 0 <= red < cycle:
        raise r.error(
            f"{where}.red_s",
            f"need 0 <= red_s < cycle_s, got {red} and {cycle}",
            "traffic_lights",
            i,
        )
    _, dist = route.project(position[None, :])
    if dist[0] > 15.0:
        raise r.error(
            f"{where}.position",
            f"is {dist[0]:.0f} m from the route (max 15 m)",
            "traffic_lights",
            i,
        )
    return TrafficLight(position=position, cycle_s=cycle, red_s=red)


def _tower(
    r: _Reader, t: dict[str, Any], i: int, buildings: tuple[Building, ...], bounds: np.ndarray
) -> Tower:
    where = f"towers[{i}]"
    position = r.point(t, "position", where, i)
    for b in buildings:
        if points_in_polygon(position[None, :], b.polygon)[0]:
            raise r.error(
                f"{where}.position",
                f"tower at ({position[0]:g}, {position[1]:g}) is inside building {b.id!r}; "
                "place towers on streets",
                "towers",
                i,
            )
    if not (bounds[0] <= position[0] <= bounds[2] and bounds[1] <= position[1] <= bounds[3]):
        raise r.error(f"{where}.position", "is outside map.bounds", "towers", i)
    sectors_raw = r.get(t, "sectors", list, where, i)
    sectors = []
    for j, s in enumerate(sectors_raw):
        if not isinstance(s, dict):
            raise r.error(
                f"{where}.sectors[{j}]", "must be a table {azimuth_deg, beamwidth_deg}", "towers", i
            )
        r.check_keys(s, TABLE_KEYS["sectors"], f"{where}.sectors[{j}]", i)
        sectors.append(
            Sector(
                azimuth_deg=r.number(s, "azimuth_deg", f"towers[{i}].sectors[{j}]", i),
                beamwidth_deg=r.number(s, "beamwidth_deg", f"towers[{i}].sectors[{j}]", i),
            )
        )
    if not sectors:
        raise r.error(f"{where}.sectors", "needs at least one sector", "towers", i)
    return Tower(
        id=int(r.get(t, "id", int, where, i)),
        position=position,
        height_m=r.number(t, "height_m", where, i),
        ssb_re_eirp_dbm=r.number(t, "ssb_re_eirp_dbm", where, i),
        sectors=tuple(sectors),
    )


def _check_route_on_roads(r: _Reader, route: Route, roads: tuple[Road, ...]) -> None:
    """Every point of the loop (sampled every metre) must lie within half a road width of a road."""
    u = np.arange(0.0, route.length, 1.0)
    xy = route.position(u)
    on_road = np.zeros(len(u), dtype=bool)
    for road in roads:
        on_road |= segment_distance_to_polyline(xy, road.points) <= road.width_m / 2.0
    if not on_road.all():
        bad = xy[np.argmin(on_road)]
        raise r.error(
            "route.waypoints",
            f"the route leaves the roads at ({bad[0]:.0f}, {bad[1]:.0f}); every leg must follow a [[roads]] polyline",
            "route",
        )
