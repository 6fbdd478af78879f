"""UE mobility on the loop: walkers and cars, clockwise and anticlockwise, 1 Hz.

Walkers keep a personal speed (~1.4 m/s) with small fluctuations and wait at
some red lights; cars cruise at a per-run speed, accelerate and brake with
bounded rates, slow down to turn at corners and stop at red lights. Runs are
simulated together: one loop over seconds, vectorized across runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netal.twin.world import World

STOP_GAP_M = 10.0  # stop line before the intersection centre
HARD_BRAKE = 6.0  # m/s^2: a car closer than this braking distance runs the amber light
MAX_STEPS_FACTOR = 6


@dataclass
class Runs:
    """Trajectories of ``R`` runs padded to ``T`` seconds.

    Attributes
    ----------
    u
        Loop position (m, clockwise arc length), ``(R, T)``.
    speed
        Speed (m/s), ``(R, T)``.
    heading
        Compass heading of travel (degrees), ``(R, T)``.
    valid
        Whether step ``t`` belongs to run ``r`` (runs end after one loop), ``(R, T)``.
    walking, acw
        Mobility mode and direction of each run, ``(R,)``.
    """

    u: np.ndarray
    speed: np.ndarray
    heading: np.ndarray
    valid: np.ndarray
    walking: np.ndarray
    acw: np.ndarray


def _ahead(
    points_u: np.ndarray, u0: np.ndarray, sign: np.ndarray, length: float
) -> tuple[np.ndarray, np.ndarray]:
    """Distances along each run's direction to the points, sorted, with an infinite sentinel."""
    ahead = np.mod((points_u[None, :] - u0[:, None]) * sign[:, None], length)
    ahead = np.where(ahead < 1e-6, length, ahead)
    order = np.argsort(ahead, axis=1)
    sentinel = np.full((len(u0), 1), np.inf)
    return np.hstack([np.take_along_axis(ahead, order, axis=1), sentinel]), order


def _max_entry_speed(
    dist: np.ndarray, v: np.ndarray, v_end: np.ndarray, decel: np.ndarray
) -> np.ndarray:
    """Largest speed for the next second that still allows slowing to ``v_end`` within ``dist``.

    Solves ``0.5 (v + x) + (x^2 - v_end^2) / (2 b) = dist`` for ``x`` (1 s step,
    then constant deceleration ``b``); infinite ``v_end`` means no constraint.
    """
    with np.errstate(invalid="ignore"):
        slack = dist - 0.5 * v + v_end**2 / (2.0 * decel)
        x = decel * (-0.5 + np.sqrt(0.25 + 2.0 * np.maximum(slack, 0.0) / decel))
    return np.where(np.isinf(v_end), np.inf, np.maximum(x, 0.0))


def simulate_runs(
    world: World, walking: np.ndarray, acw: np.ndarray, rng: np.random.Generator
) -> Runs:
    """Simulate one loop per run for the given modes and directions."""
    m = world.scenario.mobility
    length = world.scenario.route.length
    n_runs = len(walking)
    sign = np.where(acw, -1.0, 1.0)
    u0 = np.full(n_runs, world.scenario.start_m)
    light_s, light_order = _ahead(world.light_u, u0, sign, length)
    corner_s, _ = _ahead(world.corner_u, u0, sign, length)
    light_order = np.hstack([light_order, np.zeros((n_runs, 1), dtype=np.int64)])
    obey = np.where(
        walking[:, None], rng.random(light_s.shape) < m["pedestrians_obey_lights"], True
    )
    walk_speed = np.clip(
        rng.normal(m["walking_speed_mean"], m["walking_speed_sd"], n_runs), 0.8, 2.0
    )
    cruise = np.where(
        walking, walk_speed, rng.uniform(m["driving_cruise_min"], m["driving_cruise_max"], n_runs)
    )
    accel = np.where(walking, 1.0, m["acceleration"])
    decel = np.where(walking, 1.0, m["deceleration"])
    corner_v = np.where(walking, np.inf, m["corner_speed"])
    clock0 = rng.uniform(0.0, 3600.0, n_runs)

    max_steps = int(MAX_STEPS_FACTOR * length / max(m["walking_speed_mean"], 0.5))
    rows = np.arange(n_runs)
    s = np.zeros(n_runs)
    v = np.where(walking, walk_speed, 0.0)
    k_light = np.zeros(n_runs, dtype=np.int64)
    k_corner = np.zeros(n_runs, dtype=np.int64)
    jitter = np.zeros(n_runs)
    s_out = np.zeros((n_runs, max_steps))
    v_out = np.zeros((n_runs, max_steps))
    valid = np.zeros((n_runs, max_steps), dtype=bool)
    for t in range(max_steps):
        active = s < length
        if not active.any():
            break
        s_out[:, t], v_out[:, t], valid[:, t] = s, v, active
        d_light = light_s[rows, k_light] - s
        lid = light_order[rows, k_light]
        phase = np.mod(clock0 + t + world.light_phase[lid], world.light_cycle[lid])
        red = (phase < world.light_red[lid]) & obey[rows, k_light] & np.isfinite(d_light)
        stop_dist = np.maximum(d_light - STOP_GAP_M, 0.0)
        must_stop = red & (stop_dist >= v**2 / (2.0 * HARD_BRAKE) - 0.5)
        v_light = np.where(must_stop, _max_entry_speed(stop_dist, v, 0.0, decel), np.inf)
        v_light = np.where(must_stop & (stop_dist < 0.5), 0.0, v_light)
        d_corner = corner_s[rows, k_corner] - s
        v_corner = _max_entry_speed(np.maximum(d_corner - 3.0, 0.0), v, corner_v, decel)
        jitter = 0.8 * jitter + 0.6 * 0.05 * rng.standard_normal(n_runs)
        target = cruise * (1.0 + jitter)
        v_new = np.minimum.reduce([target, v + accel, v_light, v_corner])
        v_new = np.maximum(v_new, np.maximum(v - HARD_BRAKE, 0.0))
        v_new = np.where(must_stop, np.minimum(v_new, v_light), v_new)
        step = 0.5 * (v + v_new)
        s_new = np.where(
            must_stop, np.minimum(s + step, np.maximum(s, d_light + s - STOP_GAP_M)), s + step
        )
        v = np.where(s_new - s < 0.5 * step, np.minimum(v_new, s_new - s), v_new)
        k_light += s_new >= light_s[rows, k_light]
        k_corner += s_new >= corner_s[rows, k_corner]
        s = np.where(active, s_new, s)
    n_steps = int(valid.any(axis=0).sum())
    s_out, v_out, valid = s_out[:, :n_steps], v_out[:, :n_steps], valid[:, :n_steps]
    u = np.mod(u0[:, None] + sign[:, None] * s_out, length)
    heading = world.heading(u, acw[:, None])
    return Runs(u=u, speed=v_out, heading=heading, valid=valid, walking=walking, acw=acw)


def approach_windows(
    world: World,
    u: np.ndarray,
    acw: np.ndarray,
    speed: np.ndarray,
    acceleration: np.ndarray,
    window: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions, speeds and headings of the ``window`` seconds leading to each requested state.

    The last column is the requested state (position ``u``, ``speed``); earlier
    columns go back in time with constant ``acceleration`` (speeds clipped at 0).
    """
    back = np.arange(window - 1, -1, -1, dtype=np.float64)  # seconds before the request
    speeds = np.maximum(speed[:, None] - acceleration[:, None] * back[None, :], 0.0)
    # distance covered from column j to the request = sum of mean speeds of the later steps
    step = 0.5 * (speeds[:, :-1] + speeds[:, 1:])
    dist_to_end = np.hstack([np.cumsum(step[:, ::-1], axis=1)[:, ::-1], np.zeros((len(u), 1))])
    sign = np.where(acw, -1.0, 1.0)
    pos = np.mod(u[:, None] - sign[:, None] * dist_to_end, world.scenario.route.length)
    heading = world.heading(pos, acw[:, None])
    return pos, speeds, heading
