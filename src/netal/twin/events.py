"""Events of a twin timeline: changes of the network at known times.

Each event changes the twin's *inputs* (the buildings, the towers and their
sectors, the dynamic-blocker rate, the share of walking runs) and the twin's
physics turns them into a different throughput / feature distribution; no
event adds noise after the fact. An event is active from ``at_s`` until
``until_s`` (or for good); :func:`state_of` folds the active events onto the
base :class:`TwinState` in time order. See ``docs/twin.md``, "Timelines".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from netal.twin.scenario import Building, Scenario, Sector, Tower


@dataclass(frozen=True, eq=False)
class TwinState:
    """What the events may change, at one moment of a timeline.

    Attributes
    ----------
    buildings
        Every building: the scenario's plus those of active ``building`` events.
    towers
        Every tower that exists at any time of the timeline (the scenario's plus
        those of ``cell_up`` events), with the sector azimuths in force.
    down
        Ids of the towers that are off (``cell_down``, or a ``cell_up`` not yet
        or no longer active).
    blocker_rate_factor
        Factor on the scenario's ``radio.blocker_rate_per_s``.
    walking_share
        Share of walking runs (the scenario's ``mobility.walking_share`` unless
        a ``mobility_shift`` is active).
    """

    buildings: tuple[Building, ...]
    towers: tuple[Tower, ...]
    down: frozenset[int]
    blocker_rate_factor: float
    walking_share: float


@dataclass(frozen=True, eq=False)
class Event:
    """A change of the network from ``at_s`` on, reverted at ``until_s`` (``None``: for good)."""

    kind: ClassVar[str] = ""
    changes_world: ClassVar[bool] = False
    """Whether the event changes the static radio maps (a new :class:`~netal.twin.world.World`)."""

    at_s: float
    until_s: float | None

    def active_at(self, time_s: np.ndarray) -> np.ndarray:
        """Whether the event is in force at each of ``time_s`` (``at_s <= t < until_s``)."""
        t = np.asarray(time_s, dtype=np.float64)
        end = np.inf if self.until_s is None else self.until_s
        return (t >= self.at_s) & (t < end)

    def apply(self, state: TwinState) -> TwinState:
        """``state`` with this event in force."""
        raise NotImplementedError

    def describe(self) -> str:
        """One line saying what changes."""
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class NewBuilding(Event):
    """``building``: a new footprint (construction) that blocks lines of sight."""

    kind: ClassVar[str] = "building"
    changes_world: ClassVar[bool] = True
    building: Building

    def apply(self, state: TwinState) -> TwinState:
        return replace(state, buildings=(*state.buildings, self.building))

    def describe(self) -> str:
        x, y = self.building.polygon.mean(axis=0)
        return f"building {self.building.id!r} put up around ({x:.0f}, {y:.0f}) m"


@dataclass(frozen=True, eq=False)
class CellDown(Event):
    """``cell_down``: every sector of a micro cell stops transmitting."""

    kind: ClassVar[str] = "cell_down"
    changes_world: ClassVar[bool] = True
    tower: int

    def apply(self, state: TwinState) -> TwinState:
        return replace(state, down=state.down | {self.tower})

    def describe(self) -> str:
        return f"micro cell tower {self.tower} goes down"


@dataclass(frozen=True, eq=False)
class CellUp(Event):
    """``cell_up``: a new micro cell (off before ``at_s``, and after ``until_s`` if given)."""

    kind: ClassVar[str] = "cell_up"
    changes_world: ClassVar[bool] = True
    tower: Tower

    def apply(self, state: TwinState) -> TwinState:
        return replace(state, down=state.down - {self.tower.id})

    def describe(self) -> str:
        x, y = self.tower.position
        azimuths = "/".join(f"{s.azimuth_deg:g}" for s in self.tower.sectors)
        return f"new micro cell tower {self.tower.id} at ({x:g}, {y:g}) m, sectors {azimuths} deg"


@dataclass(frozen=True, eq=False)
class Crowd(Event):
    """``crowd``: the dynamic-blocker arrival rate is multiplied by ``blocker_rate_factor``."""

    kind: ClassVar[str] = "crowd"
    blocker_rate_factor: float

    def apply(self, state: TwinState) -> TwinState:
        return replace(
            state, blocker_rate_factor=state.blocker_rate_factor * self.blocker_rate_factor
        )

    def describe(self) -> str:
        return f"dynamic blockers x{self.blocker_rate_factor:g}"


@dataclass(frozen=True, eq=False)
class BeamTilt(Event):
    """``beam_tilt``: a tower's sector azimuths turn by ``degrees`` (one sector, or all)."""

    kind: ClassVar[str] = "beam_tilt"
    changes_world: ClassVar[bool] = True
    tower: int
    degrees: float
    sector: int | None

    def apply(self, state: TwinState) -> TwinState:
        towers = tuple(self._turn(t) if t.id == self.tower else t for t in state.towers)
        return replace(state, towers=towers)

    def _turn(self, tower: Tower) -> Tower:
        sectors = tuple(
            Sector((s.azimuth_deg + self.degrees) % 360.0, s.beamwidth_deg)
            if self.sector is None or j == self.sector
            else s
            for j, s in enumerate(tower.sectors)
        )
        return replace(tower, sectors=sectors)

    def describe(self) -> str:
        which = "every sector" if self.sector is None else f"sector {self.sector}"
        return f"tower {self.tower} {which} azimuth {self.degrees:+g} deg"


@dataclass(frozen=True, eq=False)
class MobilityShift(Event):
    """``mobility_shift``: the share of walking runs becomes ``walking_share`` (the rest drive)."""

    kind: ClassVar[str] = "mobility_shift"
    walking_share: float

    def apply(self, state: TwinState) -> TwinState:
        return replace(state, walking_share=self.walking_share)

    def describe(self) -> str:
        return f"walking share of runs becomes {self.walking_share:g}"


EVENT_KINDS: dict[str, type[Event]] = {
    cls.kind: cls for cls in (NewBuilding, CellDown, CellUp, Crowd, BeamTilt, MobilityShift)
}
"""Event classes by the ``kind`` a timeline file names."""


def base_state(scenario: Scenario, events: tuple[Event, ...]) -> TwinState:
    """The state before any event: the scenario, with the towers of ``cell_up`` events off."""
    new = tuple(e.tower for e in events if isinstance(e, CellUp))
    return TwinState(
        buildings=scenario.buildings,
        towers=(*scenario.towers, *new),
        down=frozenset(t.id for t in new),
        blocker_rate_factor=1.0,
        walking_share=scenario.mobility["walking_share"],
    )


def state_of(base: TwinState, events: tuple[Event, ...], active: tuple[int, ...]) -> TwinState:
    """``base`` with the events ``active`` (indices into ``events``) applied in time order."""
    state = base
    for i in sorted(active, key=lambda i: (events[i].at_s, i)):
        state = events[i].apply(state)
    return state
