"""Downlink throughput from SINR: CQI/MCS efficiency, bandwidth, load, TCP ramp, noise.

References
----------
3GPP TS 38.214 Tables 5.2.2.1-2 (64QAM) and 5.2.2.1-3 (256QAM) CQI tables
(spectral efficiency per CQI); TS 38.306 sec. 4.1.2 (approximate data-rate
formula: carriers x layers x Qm x R x PRB x 12 x symbols/s x (1 - overhead));
TS 38.211 (120 kHz numerology, 8000 slots/s). Link adaptation picks the
highest CQI whose efficiency is below ``log2(1 + SINR / gap)`` with a
2.5 dB gap, a common abstraction of 10 % BLER switching points (Mogensen et
al., "LTE capacity compared to the Shannon bound", IEEE VTC 2007, use a
similar attenuated-Shannon fit).
"""

from __future__ import annotations

import numpy as np

from netal.twin._signal import exp_smooth
from netal.twin.radio import Links
from netal.twin.world import World

# Spectral efficiency (bit/s/Hz) of CQI 1..15, TS 38.214.
CQI_EFFICIENCY = {
    "64qam": np.array(
        [0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141,
         2.4063, 2.7305, 3.3223, 3.9023, 4.5234, 5.1152, 5.5547]
    ),
    "256qam": np.array(
        [0.1523, 0.3770, 0.8770, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223,
         3.9023, 4.5234, 5.1152, 5.5547, 6.2266, 6.9141, 7.4063]
    ),
}  # fmt: skip
# Implementation gap of the attenuated-Shannon CQI selection (Mogensen et al., VTC 2007).
SHANNON_GAP_DB = 2.5


def cqi_efficiency(sinr_db: np.ndarray, table: str) -> np.ndarray:
    """Efficiency of the highest CQI whose efficiency the link supports (0 below CQI 1)."""
    eff = CQI_EFFICIENCY[table]
    supported = np.log2(
        1.0 + np.power(10.0, (np.nan_to_num(sinr_db, nan=-50.0) - SHANNON_GAP_DB) / 10.0)
    )
    k = np.searchsorted(eff, supported, side="right")
    return np.where(k > 0, np.concatenate([[0.0], eff])[k], 0.0)


def nr_rate_mbps(sinr_db: np.ndarray, world: World) -> np.ndarray:
    """Achievable NR downlink rate (Mbit/s) at the SS-SINR ``sinr_db`` (TS 38.306-style)."""
    p = world.scenario.throughput
    data_sinr = sinr_db + p["beam_refinement_gain_db"]
    layers = np.where(data_sinr >= p["rank2_sinr_db"], 2.0, 1.0)
    re_per_s = p["nr_carriers"] * p["nr_prb_per_carrier"] * 12.0 * 14.0 * p["slots_per_second"]
    rate = re_per_s * layers * cqi_efficiency(data_sinr, p["cqi_table"]) * (1.0 - p["overhead"])
    return rate * p["dl_share"] * p["load_share"] / 1e6


def lte_rate_mbps(sinr_db: np.ndarray, world: World) -> np.ndarray:
    """Achievable LTE downlink rate (Mbit/s), 64QAM table, 15 kHz numerology (1000 subframes/s)."""
    p = world.scenario.throughput
    layers = np.where(sinr_db >= 10.0, 2.0, 1.0)
    re_per_s = p["lte_carriers"] * p["lte_prb"] * 12.0 * 14.0 * 1000.0
    rate = re_per_s * layers * cqi_efficiency(sinr_db, "64qam") * (1.0 - 0.25)
    return rate * p["lte_load_share"] / 1e6


def throughput(
    links: Links,
    walking: np.ndarray,
    world: World,
    rng: np.random.Generator,
    *,
    steady_start: bool = False,
) -> np.ndarray:
    """One-second downlink throughput (Mbit/s), ``(R, T)``.

    The achievable rate (NR when connected, LTE otherwise) is computed at a
    jittered SINR (link-adaptation error and beam tracking: ``sinr_jitter_db``,
    more when driving), smoothed by a first-order TCP-like ramp with time
    constant ``tcp_time_constant_s`` (from zero, i.e. slow start, unless
    ``steady_start``), then reduced by a one-sided application/scheduling loss
    ``exp(-sigma |z|)`` whose sigma grows when the SINR is low. The noise
    therefore depends on the conditions (aleatoric uncertainty differs by region
    and mode), and the throughput never exceeds the configured peak rate.
    """
    p = world.scenario.throughput
    connected = links.serving >= 0
    jitter_sd = p["sinr_jitter_db"] + p["sinr_jitter_driving_db"] * (~walking)[:, None]
    jitter = jitter_sd * rng.standard_normal(connected.shape)
    target = np.where(
        connected,
        nr_rate_mbps(links.nr_sinr + jitter, world),
        lte_rate_mbps(links.lte_sinr + jitter, world),
    )
    alpha = 1.0 - np.exp(-1.0 / p["tcp_time_constant_s"])
    y0 = target[:, 0] if steady_start else np.zeros(target.shape[0])
    smooth = exp_smooth(target, alpha, y0)
    sinr = np.where(connected, links.nr_sinr, links.lte_sinr)
    low = 1.0 / (1.0 + np.exp((sinr - p["low_sinr_db"]) / 2.0))
    sigma = p["app_loss_sigma"] + p["app_loss_sigma_low_sinr"] * low
    return smooth * np.exp(-sigma * np.abs(rng.standard_normal(target.shape)))
