"""Time-varying radio links: body and vehicle losses, blockers, handover, NR/LTE metrics.

All functions work on ``(R, T)`` arrays (R runs or requests, T one-second
steps) at once; the only loop is the handover state machine over T, which is
vectorized across all runs.

References
----------
3GPP TS 38.331 (A3 / B1 events, time-to-trigger, layer-3 filtering),
TS 38.215 (SS-RSRP, SS-RSRQ, SS-SINR definitions), TR 38.901 sec. 7.4.3.2
(car penetration loss); Raghavan et al., "Statistical blockage modeling and
robustness of beamforming in millimeter-wave systems", IEEE TMTT 2019 (hand
and body loss); MacCartney et al., "Rapid fading due to human blockage in
pedestrian crowds at 5G millimeter-wave frequencies", IEEE GLOBECOM 2017.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netal.twin._signal import exp_smooth
from netal.twin.world import World

CONNECTED, NOT_RESTRICTED, NONE = 0, 1, 2
NR_STATUS_NAMES = np.array(["CONNECTED", "NOT_RESTRICTED", "NONE"], dtype=object)


@dataclass
class Links:
    """Per-second link state, every array ``(R, T)``."""

    serving: np.ndarray  # cell index, -1 when NR is not connected
    status: np.ndarray  # CONNECTED / NOT_RESTRICTED / NONE codes
    nr_rsrp: np.ndarray  # dBm, NaN when not connected
    nr_sinr: np.ndarray  # dB (SS-SINR of the serving cell), NaN when not connected
    nr_rsrq: np.ndarray
    lte_rsrp: np.ndarray
    lte_rsrq: np.ndarray
    lte_rssi: np.ndarray
    lte_sinr: np.ndarray
    body_loss: np.ndarray  # own-body/vehicle loss towards the strongest cell (dB)
    blocker_loss: np.ndarray  # dynamic-blocker loss (dB)


def _db_to_mw(x: np.ndarray) -> np.ndarray:
    return np.power(10.0, x / 10.0)


def orientation_loss(
    world: World, idx: np.ndarray, heading: np.ndarray, walking: np.ndarray
) -> np.ndarray:
    """Own-body loss (walking) or car loss plus half the body term (driving), dB, ``(C, R, T)``.

    The loss ramps linearly from 0 at ``body_angle_start_deg`` to
    ``body_loss_max_db`` at ``body_angle_full_deg`` off the walking direction
    (the user holds the phone in front; the body shadows cells behind).
    """
    p = world.scenario.radio
    off = np.abs((world.bearing_to_cell[:, idx] - heading[None] + 180.0) % 360.0 - 180.0)
    ramp = np.clip(
        (off - p["body_angle_start_deg"]) / (p["body_angle_full_deg"] - p["body_angle_start_deg"]),
        0,
        1,
    )
    body = p["body_loss_max_db"] * ramp
    return np.where(walking[None, :, None], body, 0.5 * body)


def blocker_losses(
    rates: np.ndarray, valid_shape: tuple[int, int], world: World, rng: np.random.Generator
) -> np.ndarray:
    """Dynamic blockage (dB, ``(R, T)``): Poisson arrivals in time, exponential durations.

    Overlapping events add their losses; each event's loss is uniform in
    ``[blocker_loss_min_db, blocker_loss_max_db]``.
    """
    p = world.scenario.radio
    n_runs, n_steps = valid_shape
    starts = rng.random(valid_shape) < (1.0 - np.exp(-rates[:, None]))
    rows, cols = np.nonzero(starts)
    durations = np.maximum(
        1, np.rint(rng.exponential(p["blocker_mean_duration_s"], len(rows)))
    ).astype(np.int64)
    losses = rng.uniform(p["blocker_loss_min_db"], p["blocker_loss_max_db"], len(rows))
    diff = np.zeros((n_runs, n_steps + 1))
    np.add.at(diff, (rows, cols), losses)
    np.add.at(diff, (rows, np.minimum(cols + durations, n_steps)), -losses)
    return np.maximum(np.cumsum(diff, axis=1)[:, :n_steps], 0.0)


def handover(
    filtered: np.ndarray, instant: np.ndarray, world: World, init_connected: bool
) -> np.ndarray:
    """NR serving cell per second (``-1`` = NR leg released) from layer-3-filtered RSRP ``(C, R, T)``.

    B1-like addition (best cell above ``nr_add_dbm`` for ``nr_add_ttt_s``),
    release when the serving cell stays below ``nr_drop_dbm`` for
    ``nr_drop_ttt_s`` or drops below ``nr_rlf_dbm`` at once (radio-link failure),
    and A3 handover (neighbour better by ``a3_offset_db`` for ``a3_ttt_s``).
    Loop over time, vectorized over runs.
    """
    p = world.scenario.radio
    _n_cells, n_runs, n_steps = filtered.shape
    rows = np.arange(n_runs)
    best = filtered.argmax(axis=0)
    best_val = filtered.max(axis=0)
    serving_out = np.empty((n_runs, n_steps), dtype=np.int64)
    serving = np.where(init_connected & (best_val[:, 0] > p["nr_add_dbm"]), best[:, 0], -1)
    add_count = np.zeros(n_runs)
    drop_count = np.zeros(n_runs)
    a3_count = np.zeros(n_runs)
    for t in range(n_steps):
        connected = serving >= 0
        serv_cell = np.maximum(serving, 0)
        serv_val = filtered[serv_cell, rows, t]
        add_count = np.where(~connected & (best_val[:, t] > p["nr_add_dbm"]), add_count + 1, 0)
        drop_count = np.where(connected & (serv_val < p["nr_drop_dbm"]), drop_count + 1, 0)
        a3 = connected & (best[:, t] != serving) & (best_val[:, t] > serv_val + p["a3_offset_db"])
        a3_count = np.where(a3, a3_count + 1, 0)
        rlf = connected & (instant[serv_cell, rows, t] < p["nr_rlf_dbm"])
        serving = np.where(a3_count >= p["a3_ttt_s"], best[:, t], serving)
        serving = np.where((drop_count >= p["nr_drop_ttt_s"]) | rlf, -1, serving)
        serving = np.where(~connected & (add_count >= p["nr_add_ttt_s"]), best[:, t], serving)
        a3_count = np.where(serving != np.where(connected, serv_cell, -1), 0, a3_count)
        serving_out[:, t] = serving
    return serving_out


def simulate_links(
    world: World,
    u: np.ndarray,
    heading: np.ndarray,
    walking: np.ndarray,
    blocker_rate: np.ndarray,
    rng: np.random.Generator,
    *,
    init_connected: bool = False,
) -> Links:
    """Run the radio model over ``(R, T)`` loop positions ``u`` and headings (degrees)."""
    p = world.scenario.radio
    idx = world.index(u)
    n_runs, n_steps = u.shape
    vehicle = np.where(
        walking, 0.0, rng.normal(p["vehicle_loss_db"], p["vehicle_loss_sigma_db"], n_runs)
    )
    orient = orientation_loss(world, idx, heading, walking) + vehicle[None, :, None]
    fading = rng.normal(0.0, p["fast_fading_sigma_db"], (world.rx_static.shape[0], n_runs, n_steps))
    rx = world.rx_static[:, idx] - orient + fading
    blocked = blocker_losses(blocker_rate, (n_runs, n_steps), world, rng)
    strongest = rx.argmax(axis=0)
    rx[strongest, np.arange(n_runs)[:, None], np.arange(n_steps)[None, :]] -= blocked
    a = p["l3_filter_coefficient"]
    filtered = exp_smooth(rx, a, rx[:, :, 0])
    serving = handover(filtered, rx, world, init_connected)
    connected = serving >= 0
    serv_rx = rx[np.maximum(serving, 0), np.arange(n_runs)[:, None], np.arange(n_steps)[None, :]]
    power = _db_to_mw(rx)
    signal = _db_to_mw(serv_rx)
    interference = p["cell_activity"] * (power.sum(axis=0) - signal)
    noise = _db_to_mw(np.asarray(world.noise_dbm_per_re)) + _db_to_mw(
        np.asarray(p["background_interference_dbm_per_re"])
    )
    sinr_lin = signal / (interference + noise)
    sinr_cap = _db_to_mw(np.asarray(p["sinr_max_db"]))
    sinr_db = 10.0 * np.log10(1.0 / (1.0 / sinr_lin + 1.0 / sinr_cap))
    # TS 38.215 SS-RSRQ = N * SS-RSRP / NR-RSSI over N resource blocks (12 REs each); the RSSI is
    # measured in SSB symbols, where the own cell occupies every RE
    rsrq_db = -10.0 * np.log10(12.0 * (1.0 + 1.0 / sinr_lin))
    status = np.where(
        connected, CONNECTED, np.where(rx.max(axis=0) > p["nr_detect_dbm"], NOT_RESTRICTED, NONE)
    )
    lte = _lte(world, idx, vehicle, rng)
    return Links(
        serving=serving,
        status=status,
        nr_rsrp=np.where(connected, serv_rx, np.nan),
        nr_sinr=np.where(connected, sinr_db, np.nan),
        nr_rsrq=np.where(connected, rsrq_db, np.nan),
        body_loss=orient[strongest, np.arange(n_runs)[:, None], np.arange(n_steps)[None, :]],
        blocker_loss=blocked,
        **lte,
    )


def _lte(
    world: World, idx: np.ndarray, vehicle: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """LTE anchor metrics (TS 36.214 RSRP/RSRQ/RSSI), ``(R, T)`` each."""
    lte = world.scenario.lte
    rsrp = world.lte_rsrp_static[idx] - 0.3 * vehicle[:, None] + rng.normal(0.0, 2.0, idx.shape)
    n_rb = 5.0 * lte.bandwidth_mhz  # 100 RB at 20 MHz
    load = 0.5
    s = _db_to_mw(rsrp)
    i_n = _db_to_mw(np.asarray(lte.interference_dbm_per_re)) + _db_to_mw(
        np.asarray(world.lte_noise_dbm_per_re)
    )
    rssi_mw = 12.0 * n_rb * (load * s + i_n)
    return {
        "lte_rsrp": rsrp,
        "lte_rssi": 10.0 * np.log10(rssi_mw),
        "lte_rsrq": 10.0 * np.log10(n_rb * s / rssi_mw),
        "lte_sinr": 10.0 * np.log10(s / i_n),
    }
