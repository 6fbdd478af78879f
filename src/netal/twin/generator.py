"""Generate Lumos5G-schema data from a scenario: ``generate(rows, seed, scenario)``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.schemas import LUMOS5G_COLUMNS, LUMOS5G_SENTINEL
from netal.twin._signal import exp_smooth
from netal.twin.mobility import Runs, simulate_runs
from netal.twin.radio import NR_STATUS_NAMES, Links, simulate_links
from netal.twin.scenario import Scenario, load_scenario
from netal.twin.throughput import throughput
from netal.twin.world import World, build_world

# Android CellSignalStrengthNr / CellSignalStrengthLte default RSRP level thresholds (dBm).
NR_LEVEL_THRESHOLDS = np.array([-110.0, -90.0, -80.0, -65.0])
LTE_LEVEL_THRESHOLDS = np.array([-115.0, -105.0, -95.0, -85.0])
MAX_RUNS_PER_BATCH = 400

_world_cache: dict[tuple[str, float], World] = {}


def resolve_world(scenario: str | Path | Scenario | World | None) -> World:
    """The :class:`World` of a scenario given as a path, a parsed scenario, a world or ``None`` (default)."""
    if isinstance(scenario, World):
        return scenario
    if isinstance(scenario, Scenario):
        return build_world(scenario)
    scen = load_scenario(scenario)
    key = (str(Path(scen.path).resolve()), Path(scen.path).stat().st_mtime)
    if key not in _world_cache:
        _world_cache.clear()
        _world_cache[key] = build_world(scen)
    return _world_cache[key]


def generate(
    rows: int, seed: int = 0, scenario: str | Path | Scenario | None = None
) -> pd.DataFrame:
    """Generate ``rows`` one-second samples of walking and driving runs around the loop.

    Parameters
    ----------
    rows
        Number of rows (the last run is cut to this total).
    seed
        Seed of everything that varies between runs (the world itself is fixed by
        the scenario's ``world_seed``): same seed, same data.
    scenario
        A scenario TOML path, a parsed :class:`Scenario`, or ``None`` for the
        packaged default.

    Returns
    -------
    pandas.DataFrame
        Exactly the Lumos5G-v1.0 columns (:data:`netal.schemas.LUMOS5G_COLUMNS`),
        in order, with the same units; NR fields NaN when not NR-connected,
        ``lte_rssnr`` sometimes the ``2147483647`` sentinel.

    References
    ----------
    Narayanan et al., "Lumos5G: Mapping and predicting commercial mmWave 5G
    throughput", ACM IMC 2020 (the schema and the setting).
    """
    rows = check_positive_int(rows, "rows")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidInputError("seed", f"must be a non-negative integer, got {seed!r}")
    world = resolve_world(scenario)
    rng = np.random.default_rng(int(seed))
    m = world.scenario.mobility
    frames: list[pd.DataFrame] = []
    total, next_run = 0, 1
    while total < rows:
        n_runs = min(
            MAX_RUNS_PER_BATCH, int(np.ceil(1.3 * (rows - total) / _expected_run_length(world))) + 1
        )
        walking = rng.random(n_runs) < m["walking_share"]
        acw = rng.random(n_runs) < m["acw_share"]
        runs = simulate_runs(world, walking, acw, rng)
        frame = simulate_frame(world, runs, rng, run_offset=next_run)
        frames.append(frame)
        total += len(frame)
        next_run += n_runs
    return pd.concat(frames, ignore_index=True).iloc[:rows].reset_index(drop=True)


def _expected_run_length(world: World) -> float:
    m = world.scenario.mobility
    length = world.scenario.route.length
    walk = length / m["walking_speed_mean"] * 1.05
    drive = length / (0.55 * (m["driving_cruise_min"] + m["driving_cruise_max"]) / 2.0)
    return m["walking_share"] * walk + (1.0 - m["walking_share"]) * drive


def simulate_frame(
    world: World,
    runs: Runs,
    rng: np.random.Generator,
    *,
    run_offset: int = 1,
    blocker_rate: np.ndarray | None = None,
    steady: bool = False,
    extra: bool = False,
) -> pd.DataFrame:
    """Radio + throughput over ``runs`` and the valid samples as a Lumos5G-schema frame.

    ``steady`` starts each run NR-connected with TCP at full rate (used by the
    oracle's short approach windows); ``extra`` appends the internal columns
    ``_body_loss_db``, ``_blocker_loss_db`` and ``_route_pos_m`` after the schema.
    """
    if blocker_rate is None:
        blocker_rate = np.full(len(runs.walking), world.scenario.radio["blocker_rate_per_s"])
    links = simulate_links(
        world, runs.u, runs.heading, runs.walking, blocker_rate, rng, init_connected=steady
    )
    tput = throughput(links, runs.walking, world, rng, steady_start=steady)
    return _to_frame(world, runs, links, tput, rng, run_offset, extra)


def _levels(values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    return np.searchsorted(thresholds, np.nan_to_num(values, nan=-200.0), side="right")


def _gps_noise(shape: tuple[int, int], sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Temporally correlated GPS error (AR(1), coefficient 0.9) with marginal sd ``sigma``."""
    white = rng.standard_normal(shape) * sigma * np.sqrt(1.0 - 0.9**2)
    start = rng.standard_normal(shape[0]) * sigma
    return exp_smooth(white / 0.1, 0.1, start)


def _to_frame(
    world: World,
    runs: Runs,
    links: Links,
    tput: np.ndarray,
    rng: np.random.Generator,
    run_offset: int,
    extra: bool,
) -> pd.DataFrame:
    scen = world.scenario
    m, p = scen.mobility, scen.throughput
    n_runs, n_steps = runs.u.shape
    v = runs.valid
    gps = np.stack(
        [_gps_noise((n_runs, n_steps), m["gps_sigma_m"], rng)[v] for _ in range(2)], axis=-1
    )
    lat, lon = scen.to_latlon(scen.route.position(runs.u[v]) + gps)
    connected = links.serving >= 0
    missing_p = np.where(connected, p["lte_rssnr_missing_nr"], p["lte_rssnr_missing_lte"])
    rssnr = np.where(
        rng.random(connected.shape) < missing_p, LUMOS5G_SENTINEL, np.rint(links.lte_sinr)
    )
    signal = np.where(
        connected,
        _levels(links.nr_rsrp, NR_LEVEL_THRESHOLDS),
        _levels(links.lte_rsrp, LTE_LEVEL_THRESHOLDS),
    )
    tower = np.where(connected, world.tower_ids[np.maximum(links.serving, 0)], np.nan)
    speed = np.abs(runs.speed + rng.normal(0.0, 0.1, runs.speed.shape))
    compass = np.mod(
        runs.heading + rng.normal(0.0, m["compass_sigma_deg"], runs.heading.shape), 360.0
    )
    columns = {
        "run_num": np.broadcast_to(np.arange(run_offset, run_offset + n_runs)[:, None], v.shape)[v],
        "seq_num": np.broadcast_to(np.arange(1, n_steps + 1)[None, :], v.shape)[v],
        "abstractSignalStr": signal[v].astype(np.int64),
        "latitude": np.round(lat, 7),
        "longitude": np.round(lon, 7),
        "movingSpeed": np.round(speed[v], 3),
        "compassDirection": np.round(compass[v], 2),
        "nrStatus": NR_STATUS_NAMES[links.status[v]],
        "lte_rssi": np.rint(links.lte_rssi[v]).astype(np.int64),
        "lte_rsrp": np.rint(links.lte_rsrp[v]).astype(np.int64),
        "lte_rsrq": np.rint(links.lte_rsrq[v]).astype(np.int64),
        "lte_rssnr": rssnr[v].astype(np.int64),
        "nr_ssRsrp": np.rint(links.nr_rsrp[v]),
        "nr_ssRsrq": np.rint(links.nr_rsrq[v]),
        "nr_ssSinr": np.rint(links.nr_sinr[v]),
        "Throughput": np.round(tput[v], 3),
        "mobility_mode": np.where(
            np.broadcast_to(runs.walking[:, None], v.shape)[v], "walking", "driving"
        ),
        "trajectory_direction": np.where(
            np.broadcast_to(runs.acw[:, None], v.shape)[v], "ACW", "CW"
        ),
        "tower_id": tower[v],
    }
    frame = pd.DataFrame({name: columns[name] for name in LUMOS5G_COLUMNS})
    if extra:
        frame["_body_loss_db"] = links.body_loss[v]
        frame["_blocker_loss_db"] = links.blocker_loss[v]
        frame["_route_pos_m"] = runs.u[v]
    return frame
