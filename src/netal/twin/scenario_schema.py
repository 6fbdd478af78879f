"""What a twin scenario file may hold: its tables, parameter keys and the bounds of every number.

:func:`number_problem` is the one check of a number in a scenario or timeline
file (finite, magnitude, the key's range); the key lists say which keys each
table and parameter section accepts (``docs/twin.md``, "Scenario files").
"""

from __future__ import annotations

import math

RADIO_KEYS = (
    "frequency_ghz ue_height_m ue_antenna_gain_dbi noise_figure_db subcarrier_spacing_khz "
    "sf_sigma_los_db sf_sigma_nlos_db sf_decorrelation_los_m sf_decorrelation_nlos_m "
    "lte_sf_sigma_db lte_sf_decorrelation_m fast_fading_sigma_db body_loss_max_db "
    "body_angle_start_deg body_angle_full_deg vehicle_loss_db vehicle_loss_sigma_db "
    "blocker_rate_per_s blocker_mean_duration_s blocker_loss_min_db blocker_loss_max_db "
    "cell_activity background_interference_dbm_per_re sinr_max_db l3_filter_coefficient nr_add_dbm nr_add_ttt_s nr_drop_dbm "
    "nr_drop_ttt_s nr_rlf_dbm nr_detect_dbm a3_offset_db a3_ttt_s"
).split()
MOBILITY_KEYS = (
    "walking_share acw_share walking_speed_mean walking_speed_sd walking_speed_max "
    "driving_cruise_min driving_cruise_max driving_speed_max acceleration deceleration "
    "corner_speed pedestrians_obey_lights gps_sigma_m compass_sigma_deg"
).split()
THROUGHPUT_KEYS = (
    "nr_carriers nr_prb_per_carrier slots_per_second dl_share overhead beam_refinement_gain_db "
    "rank2_sinr_db load_share lte_prb lte_carriers lte_load_share tcp_time_constant_s "
    "sinr_jitter_db sinr_jitter_driving_db app_loss_sigma app_loss_sigma_low_sinr low_sinr_db "
    "lte_rssnr_missing_nr lte_rssnr_missing_lte"
).split()
ORACLE_KEYS = "walking_speed driving_speed measure_duration_s observe_duration_s window_s".split()
SHARES = {
    "walking_share",
    "acw_share",
    "pedestrians_obey_lights",
    "dl_share",
    "overhead",
    "load_share",
    "lte_load_share",
    "cell_activity",
    "lte_rssnr_missing_nr",
    "lte_rssnr_missing_lte",
    "l3_filter_coefficient",
}
MAY_BE_NEGATIVE = {
    "nr_add_dbm",
    "nr_drop_dbm",
    "nr_rlf_dbm",
    "nr_detect_dbm",
    "low_sinr_db",
    "rank2_sinr_db",
    "beam_refinement_gain_db",
    "ue_antenna_gain_dbi",
}


MAX_MAGNITUDE = 1e9
"""Largest absolute value of any number in a scenario or timeline file (metres, seconds, dB...).

Larger values are typos, and they overflow the physics (1e300 m squared is infinite)."""

FREQUENCY_GHZ = (0.5, 100.0)
"""Carrier frequencies the path-loss models hold for (3GPP TR 38.901: 0.5-100 GHz)."""

DBM_RANGE = (-200.0, 100.0)
"""Powers in dBm (EIRP, thresholds, interference): beyond this range they are typos."""

RANGES: dict[str, tuple[float, float]] = {
    "frequency_ghz": FREQUENCY_GHZ,
    "origin_lat": (-85.0, 85.0),
    "origin_lon": (-180.0, 180.0),
    "beamwidth_deg": (0.0, 360.0),
    "height_m": (0.0, 1000.0),
    "ue_height_m": (0.0, 1000.0),
    "width_m": (0.0, 1000.0),
}
"""Closed ranges of keys, wherever they appear (a lower bound in :data:`POSITIVE` is open)."""

POSITIVE = {
    "frequency_ghz",
    "height_m",
    "ue_height_m",
    "width_m",
    "bandwidth_mhz",
    "beamwidth_deg",
    "cycle_s",
    "subcarrier_spacing_khz",
    "sf_decorrelation_los_m",
    "sf_decorrelation_nlos_m",
    "lte_sf_decorrelation_m",
    "blocker_mean_duration_s",
    "walking_speed_mean",
    "walking_speed_max",
    "driving_cruise_min",
    "driving_cruise_max",
    "driving_speed_max",
    "acceleration",
    "deceleration",
    "corner_speed",
    "nr_carriers",
    "nr_prb_per_carrier",
    "slots_per_second",
    "lte_prb",
    "lte_carriers",
    "tcp_time_constant_s",
    "walking_speed",
    "driving_speed",
    "window_s",
}
"""Keys that must be > 0 (divisors, sizes, speeds, frequencies)."""

TOP_KEYS = (
    "scenario map roads route buildings traffic_lights towers lte_anchor radio mobility "
    "throughput oracle"
).split()
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "scenario": ("name", "origin_lat", "origin_lon", "world_seed"),
    "map": ("bounds",),
    "roads": ("name", "points", "width_m"),
    "route": ("waypoints", "start_m", "max_request_offset_m"),
    "buildings": ("id", "polygon", "height_m"),
    "traffic_lights": ("position", "cycle_s", "red_s"),
    "towers": ("id", "position", "height_m", "ssb_re_eirp_dbm", "sectors"),
    "sectors": ("azimuth_deg", "beamwidth_deg"),
    "lte_anchor": (
        "position",
        "height_m",
        "frequency_ghz",
        "re_eirp_dbm",
        "bandwidth_mhz",
        "interference_dbm_per_re",
    ),
}
"""The keys each table of a scenario may hold (the parameter tables: ``_*_KEYS`` below)."""


def number_problem(key: str, value: float) -> str | None:
    """What is wrong with ``value`` for ``key`` (finite, magnitude, key range), or None.

    Every number must be finite and at most :data:`MAX_MAGNITUDE` in absolute
    value; keys in :data:`RANGES` lie in their range, keys in :data:`POSITIVE`
    are > 0, shares lie in [0, 1] and powers in dBm in :data:`DBM_RANGE`.
    """
    if not math.isfinite(value):
        return f"must be a finite number, got {value}"
    if key in POSITIVE and value <= 0:
        return f"must be > 0, got {value:g}"
    low, high = limits(key)
    if not low <= value <= high:
        return f"must lie in [{low:g}, {high:g}], got {value:g}"
    return None


def limits(key: str) -> tuple[float, float]:
    if key in RANGES:
        return RANGES[key]
    if key in SHARES:
        return (0.0, 1.0)
    if "dbm" in key:
        return DBM_RANGE
    return (-MAX_MAGNITUDE, MAX_MAGNITUDE)
