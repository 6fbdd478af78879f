"""Twin timelines: a network whose conditions change at known times.

A timeline file names a scenario, a duration, a measurement rate and a list of
events (a new building, a cell going down or up, a crowd, a beam re-aimed, a
shift from walking to driving). :meth:`Timeline.simulate` turns it into a
time-ordered stream of Lumos5G-schema rows with a ``time_s`` column, plus the
table of change points, so that drift detectors can be scored against known
truth (detection delay, false alarms) and retraining policies compared.

Between change points the network is stationary: every row is drawn from the
seconds of runs freshly simulated in the twin state in force at the row's
time. An event changes the twin's inputs (geometry, cells, blocker rate,
walking share) and the physics does the rest; the world's static random
fields (shadow fading, traffic-light phases) are the same in every state. See
``docs/twin.md``, "Timelines".

Examples
--------
>>> from netal.twin.timeline import load_timeline
>>> timeline = load_timeline()                      # the packaged default (10 h, 6 events)
>>> data = timeline.simulate(seed=0)                # doctest: +SKIP
>>> data.frame[["time_s", "Throughput"]].head()     # doctest: +SKIP
>>> data.changes                                    # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from netal.errors import InvalidInputError
from netal.twin._timeline_file import read_timeline_file
from netal.twin.events import Event, TwinState, base_state, state_of
from netal.twin.generator import simulate_frame
from netal.twin.mobility import simulate_runs
from netal.twin.scenario import Scenario
from netal.twin.world import World, build_world

DEAD_CELL_DBM = -250.0
"""SS-RSRP of every sector of a tower that is down (far below detection; its share of power is nil)."""
POOL_FACTOR = 2.0
"""Seconds simulated per row drawn: each state's rows are a uniform sample of at most half its runs' seconds."""
RUNS_PER_BATCH = 32
"""Runs simulated at once; a state simulates whole batches (at least one: ~16,000 s of runs)."""
_PICK_STREAM, _BATCH_STREAM = 0, 1
CHANGE_COLUMNS = ("time_s", "kind", "description", "event", "edge")


@dataclass(frozen=True)
class TimelineData:
    """A simulated timeline.

    Attributes
    ----------
    frame
        The Lumos5G-v1.0 columns (as :func:`netal.twin.generate` writes them)
        plus ``time_s`` (float, simulated seconds since the start), sorted by
        ``time_s``. ``run_num`` identifies the simulated run a row comes from.
    changes
        One row per change point, by time: ``time_s``, ``kind``,
        ``description``, ``event`` (index of the ``[[events]]`` table) and
        ``edge`` (``"on"``, or ``"off"`` when a temporary event reverts).
    """

    frame: pd.DataFrame
    changes: pd.DataFrame


@dataclass(frozen=True, eq=False)
class Timeline:
    """A validated timeline. Build one with :func:`load_timeline`.

    Attributes
    ----------
    path
        The timeline file.
    scenario
        The scenario the timeline starts from.
    description
        Free text from the file (may be empty).
    duration_s, period_s, samples_per_period
        Simulated seconds, and ``samples_per_period`` rows every ``period_s``
        seconds (evenly spaced in time).
    events
        The events, in file order.
    """

    path: str
    scenario: Scenario
    description: str
    duration_s: float
    period_s: float
    samples_per_period: int
    events: tuple[Event, ...]
    _worlds: dict[tuple[int, ...], World] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def n_rows(self) -> int:
        """Rows of the stream: ``floor(duration_s / period_s * samples_per_period)``."""
        return math.floor(self.duration_s * self.samples_per_period / self.period_s + 1e-9)

    def times(self) -> np.ndarray:
        """Time of each row (s): evenly spaced, ``samples_per_period`` per ``period_s``."""
        return (np.arange(self.n_rows) + 0.5) * (self.period_s / self.samples_per_period)

    def changes(self) -> pd.DataFrame:
        """The change points (see :attr:`TimelineData.changes`)."""
        rows = []
        for i, event in enumerate(self.events):
            rows.append((event.at_s, event.kind, event.describe(), i, "on"))
            if event.until_s is not None:
                rows.append((event.until_s, event.kind, f"end of: {event.describe()}", i, "off"))
        frame = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))
        frame = frame.astype({"time_s": np.float64, "event": np.int64})
        return frame.sort_values(["time_s", "event"], kind="stable").reset_index(drop=True)

    def active_at(self, time_s: float) -> tuple[int, ...]:
        """Indices of the events in force at ``time_s``."""
        t = np.array([time_s], dtype=np.float64)
        return tuple(i for i, e in enumerate(self.events) if e.active_at(t)[0])

    def state_at(self, time_s: float) -> TwinState:
        """The twin's state (buildings, towers, cells down, blockers, walking share) at ``time_s``."""
        return state_of(self._base, self.events, self.active_at(time_s))

    def world_at(self, time_s: float) -> World:
        """The :class:`~netal.twin.world.World` the rows at ``time_s`` are simulated in."""
        return self._world(self.active_at(time_s))

    def simulate(self, seed: int) -> TimelineData:
        """Simulate the stream.

        Parameters
        ----------
        seed
            Seed of everything that varies between runs (the world's static
            fields are fixed by the scenario's ``world_seed``): same seed, same
            data.

        Returns
        -------
        TimelineData
            The rows (sorted by ``time_s``) and the change points.
        """
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise InvalidInputError("seed", f"must be a non-negative integer, got {seed!r}")
        rng = np.random.default_rng([int(seed), _PICK_STREAM])
        times = self.times()
        parts, next_run = [], 1
        for active, rows in self._rows_by_state(times).items():
            pool = _run_pool(self._world(active), len(rows), int(seed), next_run)
            next_run = int(pool["run_num"].max()) + 1
            pick = rng.choice(len(pool), size=len(rows), replace=False)
            part = pool.iloc[pick].reset_index(drop=True)
            part["time_s"] = times[rows]
            parts.append(part)
        frame = pd.concat(parts, ignore_index=True)
        frame = frame.sort_values("time_s", kind="stable").reset_index(drop=True)
        return TimelineData(frame=frame, changes=self.changes())

    @cached_property
    def _base(self) -> TwinState:
        return base_state(self.scenario, self.events)

    def _rows_by_state(self, times: np.ndarray) -> dict[tuple[int, ...], np.ndarray]:
        """Row indices per set of active events, in order of first appearance."""
        cuts = np.unique([t for e in self.events for t in (e.at_s, e.until_s) if t is not None])
        segment = np.searchsorted(cuts, times, side="right")
        groups: dict[tuple[int, ...], list[np.ndarray]] = {}
        for s in np.unique(segment):
            rows = np.flatnonzero(segment == s)
            groups.setdefault(self.active_at(float(times[rows[0]])), []).append(rows)
        return {key: np.concatenate(parts) for key, parts in groups.items()}

    def _world(self, active: tuple[int, ...]) -> World:
        """The world of the active events: radio maps cached per geometry/cell state."""
        world_key = tuple(i for i in active if self.events[i].changes_world)
        if world_key not in self._worlds:
            static = state_of(self._base, self.events, world_key)
            self._worlds[world_key] = _static_world(self.scenario, static)
        return _with_parameters(self._worlds[world_key], state_of(self._base, self.events, active))


def default_timeline_path() -> Path:
    """Path of the timeline shipped with netal (10 simulated hours, 6 events)."""
    return Path(str(resources.files("netal.twin").joinpath("scenarios/default_timeline.toml")))


def load_timeline(path: str | Path | None = None) -> Timeline:
    """Read and validate a timeline TOML file.

    Parameters
    ----------
    path
        The timeline file; ``None`` loads the packaged default.

    Returns
    -------
    Timeline
        Ready to :meth:`~Timeline.simulate`.

    Raises
    ------
    ConfigError
        The file is missing, not UTF-8 or not TOML; a key is unknown, missing or
        of the wrong type; an event names an unknown kind or tower, lies outside
        the duration, ends before it starts, has a non-positive factor, a
        polygon that is degenerate or covers the loop or a tower, ... naming the
        file, the key (``events[2].tower``) and, when it can be found, the line.
    """
    path = Path(path) if path is not None else default_timeline_path()
    return Timeline(**read_timeline_file(path))


def _static_world(scenario: Scenario, state: TwinState) -> World:
    """Radio maps with the state's buildings and towers; every sector of a tower that is down is dead.

    Every tower of the timeline is in the world at all times (down ones
    muted), so the shadow-fading fields, drawn per tower in order, and the
    traffic-light phases are the same in every state.
    """
    world = build_world(replace(scenario, buildings=state.buildings, towers=state.towers))
    dead = np.isin(world.tower_ids, sorted(state.down))
    if not dead.any():
        return world
    rx = world.rx_static.copy()
    rx[dead] = DEAD_CELL_DBM
    return replace(world, rx_static=rx)


def _with_parameters(world: World, state: TwinState) -> World:
    """``world`` with the state's dynamic-blocker rate and walking share (no radio maps rebuilt)."""
    scenario = world.scenario
    base_rate = scenario.radio["blocker_rate_per_s"]
    radio = {**scenario.radio, "blocker_rate_per_s": base_rate * state.blocker_rate_factor}
    mobility = {**scenario.mobility, "walking_share": state.walking_share}
    return replace(world, scenario=replace(scenario, radio=radio, mobility=mobility))


def _run_pool(world: World, rows: int, seed: int, run_offset: int) -> pd.DataFrame:
    """At least ``POOL_FACTOR * rows`` seconds of runs in ``world``, in batches of ``RUNS_PER_BATCH``.

    Batch ``k`` draws from its own generator, seeded by ``(seed, k)`` and not
    by the state: common random numbers, so the same walkers and cars with the
    same fading draws meet every state, and two states differ by their events
    rather than by which runs happened to be drawn.
    """
    target = math.ceil(POOL_FACTOR * rows)
    mobility = world.scenario.mobility
    frames: list[pd.DataFrame] = []
    total, batch = 0, 0
    while total < target:
        rng = np.random.default_rng([seed, _BATCH_STREAM, batch])
        walking = rng.random(RUNS_PER_BATCH) < mobility["walking_share"]
        acw = rng.random(RUNS_PER_BATCH) < mobility["acw_share"]
        runs = simulate_runs(world, walking, acw, rng)
        offset = run_offset + batch * RUNS_PER_BATCH
        frames.append(simulate_frame(world, runs, rng, run_offset=offset))
        total += len(frames[-1])
        batch += 1
    return pd.concat(frames, ignore_index=True)
