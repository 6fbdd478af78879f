"""Timeline files: read with :func:`netal.configfile.load_toml`, validate every key, build events.

Everything is checked before anything is simulated; each problem is one
:class:`~netal.errors.ConfigError` naming the file, the key
(``events[2].tower``) and, when it can be found, the line.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from netal.configfile import load_toml
from netal.errors import ConfigError
from netal.twin.events import (
    EVENT_KINDS,
    BeamTilt,
    CellDown,
    CellUp,
    Crowd,
    Event,
    MobilityShift,
    NewBuilding,
)
from netal.twin.geometry import points_in_polygon, polygon_edges, segments_blocked
from netal.twin.scenario import (
    Building,
    Scenario,
    Sector,
    Tower,
    _Reader,
    default_scenario_path,
    load_scenario,
)

MAX_ROWS = 1_000_000
"""Largest stream a timeline may ask for (rows = duration_s / period_s x samples_per_period)."""

_TOP_KEYS = ("timeline", "events")
_TIMELINE_KEYS = ("scenario", "description", "duration_s", "period_s", "samples_per_period")
_COMMON_KEYS = ("kind", "at_s", "until_s")
_KIND_KEYS = {
    "building": ("polygon", "id", "height_m"),
    "cell_down": ("tower",),
    "cell_up": ("tower", "position", "azimuths", "beamwidth_deg", "height_m", "ssb_re_eirp_dbm"),
    "crowd": ("blocker_rate_factor",),
    "beam_tilt": ("tower", "degrees", "sector"),
    "mobility_shift": ("walking_share",),
}
_TOWER_REF = re.compile(r"^[Tt]?(\d+)$")
DEFAULT_BUILDING_HEIGHT_M = 20.0
DEFAULT_BEAMWIDTH_DEG = 60.0


def read_timeline_file(path: Path) -> dict[str, Any]:
    """Read and fully validate the timeline file ``path`` (see ``docs/twin.md``).

    Returns the fields of :class:`netal.twin.timeline.Timeline` (path, scenario,
    description, duration_s, period_s, samples_per_period, events).
    """
    text, data = load_toml(path)
    r = _Reader(str(path), text, data)
    for key in data:
        if key not in _TOP_KEYS:
            raise r.error(key, _unknown(_TOP_KEYS), key)
    table = r.table("timeline")
    _check_keys(r, table, _TIMELINE_KEYS, "timeline", 0)
    duration, period, samples = _timing(r, table)
    scenario = _scenario(r, table, path)
    events = _events(r, scenario, duration)
    return {
        "path": str(path),
        "scenario": scenario,
        "description": _optional(r, table, "description", str, "timeline", 0, ""),
        "duration_s": duration,
        "period_s": period,
        "samples_per_period": samples,
        "events": events,
    }


# ------------------------------------------------------------------ [timeline]


def _timing(r: _Reader, table: dict[str, Any]) -> tuple[float, float, int]:
    duration = _positive(r, table, "duration_s", "timeline", 0)
    period = _positive(r, table, "period_s", "timeline", 0)
    if period > duration:
        raise r.error(
            "timeline.period_s",
            f"must not exceed duration_s ({period:g} > {duration:g})",
            "timeline",
        )
    samples = r.get(table, "samples_per_period", int, "timeline")
    if samples < 1:
        raise r.error("timeline.samples_per_period", f"must be >= 1, got {samples}", "timeline")
    rows = math.floor(duration / period * samples)
    if rows > MAX_ROWS:
        raise r.error(
            "timeline.samples_per_period",
            f"the stream would have {rows:,} rows; at most {MAX_ROWS:,}",
            "timeline",
        )
    return duration, period, samples


def _scenario(r: _Reader, table: dict[str, Any], path: Path) -> Scenario:
    name = _optional(r, table, "scenario", str, "timeline", 0, "default")
    if name == "default":
        return load_scenario(default_scenario_path())
    scenario_path = path.parent / name
    if not scenario_path.is_file():
        raise r.error("timeline.scenario", f"scenario file {scenario_path} not found", "timeline")
    return load_scenario(scenario_path)


# ------------------------------------------------------------------ [[events]]


def _events(r: _Reader, scenario: Scenario, duration: float) -> tuple[Event, ...]:
    raw = r.data.get("events", [])
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise r.error("events", "must be [[events]] tables", "events")
    events = tuple(_event(r, t, i, scenario, duration) for i, t in enumerate(raw))
    _check_new_towers(r, scenario, events)
    _check_tower_references(r, scenario, events)
    _check_buildings_clear_of_towers(r, scenario, events)
    return events


def _event(r: _Reader, t: dict[str, Any], i: int, scenario: Scenario, duration: float) -> Event:
    where = f"events[{i}]"
    kind = r.get(t, "kind", str, where, i)
    if kind not in EVENT_KINDS:
        raise _bad(r, i, "kind", f"unknown kind {kind!r}; known: {', '.join(EVENT_KINDS)}")
    _check_keys(r, t, (*_COMMON_KEYS, *_KIND_KEYS[kind]), where, i)
    at_s = _number(r, t, "at_s", where, i)
    if not 0.0 < at_s < duration:
        raise _bad(r, i, "at_s", f"must lie in (0, duration_s = {duration:g}), got {at_s:g}")
    until_s = _optional_number(r, t, "until_s", where, i)
    if until_s is not None and not at_s < until_s < duration:
        raise _bad(
            r,
            i,
            "until_s",
            f"must lie in (at_s = {at_s:g}, duration_s = {duration:g}), got {until_s:g}; "
            "leave it out for a permanent change",
        )
    return _KIND_PARSERS[kind](r, t, i, scenario, at_s, until_s)


def _building(
    r: _Reader, t: dict[str, Any], i: int, scenario: Scenario, at_s: float, until_s: float | None
) -> Event:
    where = f"events[{i}]"
    polygon = r.points(t, "polygon", where, i, n_min=3)
    problem = _polygon_problem(polygon, scenario)
    if problem:
        raise _bad(r, i, "polygon", problem)
    height = _optional_number(r, t, "height_m", where, i)
    if height is not None and height <= 0:
        raise _bad(r, i, "height_m", f"must be > 0, got {height:g}")
    building = Building(
        id=str(_optional(r, t, "id", (str, int), where, i, f"event-{i}")),
        polygon=polygon,
        height_m=DEFAULT_BUILDING_HEIGHT_M if height is None else height,
    )
    return NewBuilding(at_s=at_s, until_s=until_s, building=building)


def _polygon_problem(polygon: np.ndarray, scenario: Scenario) -> str:
    """Why ``polygon`` cannot be a new building ('' if it can)."""
    if not np.isfinite(polygon).all():
        return "must hold finite coordinates"
    edges = polygon_edges([polygon])
    if segments_blocked(edges[:, :2], edges[:, 2:], edges).any():
        return "crosses itself; list the corners in order around the footprint"
    x, y = polygon[:, 0], polygon[:, 1]
    if abs(0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)) < 1.0:
        return "encloses no area (less than 1 m^2)"
    b = scenario.bounds
    if (x.min() < b[0]) or (y.min() < b[1]) or (x.max() > b[2]) or (y.max() > b[3]):
        return "reaches outside map.bounds"
    route = scenario.route
    xy = route.position(np.arange(0.0, route.length, 1.0))
    inside = points_in_polygon(xy, polygon)
    if inside.any():
        px, py = xy[np.argmax(inside)]
        return (
            f"covers the measurement loop at ({px:.0f}, {py:.0f}); a construction may block "
            "lines of sight across a street, not the loop itself"
        )
    return ""


def _cell_down(
    r: _Reader, t: dict[str, Any], i: int, scenario: Scenario, at_s: float, until_s: float | None
) -> Event:
    return CellDown(at_s=at_s, until_s=until_s, tower=_tower_ref(r, t, "tower", i))


def _cell_up(
    r: _Reader, t: dict[str, Any], i: int, scenario: Scenario, at_s: float, until_s: float | None
) -> Event:
    where = f"events[{i}]"
    tower_id = _tower_ref(r, t, "tower", i)
    position = r.point(t, "position", where, i)
    problem = _tower_place_problem(position, scenario.buildings, scenario.bounds)
    if problem:
        raise _bad(r, i, "position", problem)
    azimuths = r.get(t, "azimuths", list, where, i)
    if not azimuths or not all(_is_finite_number(a) for a in azimuths):
        raise _bad(r, i, "azimuths", "must be a non-empty list of numbers (degrees)")
    beamwidth = _optional_number(r, t, "beamwidth_deg", where, i)
    beamwidth = DEFAULT_BEAMWIDTH_DEG if beamwidth is None else beamwidth
    if not 0.0 < beamwidth <= 360.0:
        raise _bad(r, i, "beamwidth_deg", f"must lie in (0, 360], got {beamwidth:g}")
    like = scenario.towers[0]
    height = _optional_number(r, t, "height_m", where, i)
    if height is not None and height <= 0:
        raise _bad(r, i, "height_m", f"must be > 0, got {height:g}")
    eirp = _optional_number(r, t, "ssb_re_eirp_dbm", where, i)
    tower = Tower(
        id=tower_id,
        position=position,
        height_m=like.height_m if height is None else height,
        ssb_re_eirp_dbm=like.ssb_re_eirp_dbm if eirp is None else eirp,
        sectors=tuple(Sector(float(a) % 360.0, beamwidth) for a in azimuths),
    )
    return CellUp(at_s=at_s, until_s=until_s, tower=tower)


def _crowd(
    r: _Reader, t: dict[str, Any], i: int, scenario: Scenario, at_s: float, until_s: float | None
) -> Event:
    factor = _number(r, t, "blocker_rate_factor", f"events[{i}]", i)
    if factor <= 0:
        raise _bad(r, i, "blocker_rate_factor", f"must be > 0, got {factor:g}")
    return Crowd(at_s=at_s, until_s=until_s, blocker_rate_factor=factor)


def _beam_tilt(
    r: _Reader, t: dict[str, Any], i: int, scenario: Scenario, at_s: float, until_s: float | None
) -> Event:
    where = f"events[{i}]"
    degrees = _number(r, t, "degrees", where, i)
    if degrees % 360.0 == 0.0:
        raise _bad(
            r, i, "degrees", f"must turn the sector (not a multiple of 360), got {degrees:g}"
        )
    sector = _optional(r, t, "sector", int, where, i, None)
    if sector is not None and sector < 0:
        raise _bad(r, i, "sector", f"must be >= 0, got {sector}")
    return BeamTilt(
        at_s=at_s,
        until_s=until_s,
        tower=_tower_ref(r, t, "tower", i),
        degrees=degrees,
        sector=sector,
    )


def _mobility_shift(
    r: _Reader, t: dict[str, Any], i: int, scenario: Scenario, at_s: float, until_s: float | None
) -> Event:
    share = _number(r, t, "walking_share", f"events[{i}]", i)
    if not 0.0 <= share <= 1.0:
        raise _bad(r, i, "walking_share", f"must lie in [0, 1], got {share:g}")
    return MobilityShift(at_s=at_s, until_s=until_s, walking_share=share)


_KIND_PARSERS = {
    "building": _building,
    "cell_down": _cell_down,
    "cell_up": _cell_up,
    "crowd": _crowd,
    "beam_tilt": _beam_tilt,
    "mobility_shift": _mobility_shift,
}


# ------------------------------------------------------------------ cross-checks


def _check_new_towers(r: _Reader, scenario: Scenario, events: tuple[Event, ...]) -> None:
    """A ``cell_up`` tower id must be new: not a scenario tower, not another ``cell_up``'s."""
    taken = {t.id for t in scenario.towers}
    for i, event in enumerate(events):
        if isinstance(event, CellUp):
            if event.tower.id in taken:
                raise _bad(
                    r,
                    i,
                    "tower",
                    f"tower {event.tower.id} already exists; a cell_up needs a new id",
                )
            taken.add(event.tower.id)


def _check_tower_references(r: _Reader, scenario: Scenario, events: tuple[Event, ...]) -> None:
    """``cell_down`` / ``beam_tilt`` name a tower that exists at ``at_s`` (a sector it has)."""
    for i, event in enumerate(events):
        if not isinstance(event, CellDown | BeamTilt):
            continue
        towers = _towers_at(scenario, events, event.at_s)
        if event.tower not in towers:
            known = ", ".join(str(k) for k in sorted(towers))
            raise _bad(
                r,
                i,
                "tower",
                f"no tower {event.tower} at at_s = {event.at_s:g}; towers then: {known}",
            )
        n_sectors = len(towers[event.tower].sectors)
        if isinstance(event, BeamTilt) and event.sector is not None and event.sector >= n_sectors:
            raise _bad(
                r,
                i,
                "sector",
                f"tower {event.tower} has sectors 0..{n_sectors - 1}, got {event.sector}",
            )


def _towers_at(scenario: Scenario, events: tuple[Event, ...], time_s: float) -> dict[int, Tower]:
    towers = {t.id: t for t in scenario.towers}
    for event in events:
        if isinstance(event, CellUp) and event.active_at(np.array([time_s]))[0]:
            towers[event.tower.id] = event.tower
    return towers


def _check_buildings_clear_of_towers(
    r: _Reader, scenario: Scenario, events: tuple[Event, ...]
) -> None:
    """No tower (the scenario's or a ``cell_up``'s) stands inside a new building."""
    towers = list(scenario.towers) + [e.tower for e in events if isinstance(e, CellUp)]
    positions = np.array([t.position for t in towers])
    for i, event in enumerate(events):
        if not isinstance(event, NewBuilding):
            continue
        inside = points_in_polygon(positions, event.building.polygon)
        if inside.any():
            tower = towers[int(np.argmax(inside))]
            raise _bad(r, i, "polygon", f"covers tower {tower.id}; towers stand on streets")


# ------------------------------------------------------------------ values


def _bad(r: _Reader, i: int, key: str, problem: str) -> ConfigError:
    """The error for ``events[i].key`` (with the line of the key in the ``i``-th ``[[events]]``)."""
    return r.error(f"events[{i}].{key}", problem, "events", i)


def _unknown(known: tuple[str, ...]) -> str:
    return f"unknown key; known: {', '.join(known)}"


def _check_keys(
    r: _Reader, table: dict[str, Any], known: tuple[str, ...], where: str, i: int
) -> None:
    r.check_keys(table, known, where, i)


def _is_finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(r: _Reader, t: dict[str, Any], key: str, where: str, i: int) -> float:
    return r.number(t, key, where, i)  # finite, within the key's bounds


def _positive(r: _Reader, t: dict[str, Any], key: str, where: str, i: int) -> float:
    value = _number(r, t, key, where, i)
    if value <= 0:
        raise r.error(f"{where}.{key}", f"must be > 0, got {value:g}", where.split("[")[0], i)
    return value


def _optional_number(r: _Reader, t: dict[str, Any], key: str, where: str, i: int) -> float | None:
    return _number(r, t, key, where, i) if key in t else None


def _optional(
    r: _Reader,
    t: dict[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    where: str,
    i: int,
    default: Any,
) -> Any:
    return r.get(t, key, kind, where, i) if key in t else default


def _tower_ref(r: _Reader, t: dict[str, Any], key: str, i: int) -> int:
    """A tower id: the integer of the scenario's ``[[towers]] id``, or a string ``"T2"`` / ``"2"``."""
    value = r.get(t, key, (int, str), f"events[{i}]", i)
    match = _TOWER_REF.match(value) if isinstance(value, str) else None
    if isinstance(value, str) and match is None:
        raise r.error(
            f"events[{i}].{key}", f'must be a tower id like 2 or "T2", got {value!r}', "events", i
        )
    return int(match.group(1)) if match is not None else int(value)


def _tower_place_problem(
    position: np.ndarray, buildings: tuple[Building, ...], bounds: np.ndarray
) -> str:
    """Why a tower cannot stand at ``position`` ('' if it can)."""
    if not np.isfinite(position).all():
        return "must hold finite coordinates"
    for b in buildings:
        if points_in_polygon(position[None, :], b.polygon)[0]:
            return f"tower at ({position[0]:g}, {position[1]:g}) is inside building {b.id!r}; place towers on streets"
    if not (bounds[0] <= position[0] <= bounds[2] and bounds[1] <= position[1] <= bounds[3]):
        return "is outside map.bounds"
    return ""
