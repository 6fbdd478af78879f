"""The static part of the twin: radio maps precomputed per position on the loop.

Everything that depends only on where the UE is (distance, line of sight,
path loss, antenna gains, shadow fading) is computed once per scenario on a
1 m grid of loop positions; runs and oracle requests then index into it.

References
----------
3GPP TR 38.901 v17.0.0, "Study on channel model for frequencies from 0.5 to
100 GHz": Table 7.4.1-1 (UMi street canyon and UMa path loss, shadow-fading
sigma), Table 7.5-6 (decorrelation distances), Table 7.3-1 (antenna pattern).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netal.twin._signal import bilinear
from netal.twin.geometry import polygon_edges, segments_blocked
from netal.twin.scenario import Scenario

SPEED_OF_LIGHT = 299_792_458.0
GRID_RES_M = 2.0
ROUTE_RES_M = 1.0


def umi_los_path_loss(
    d2d: np.ndarray, d3d: np.ndarray, fc_ghz: float, h_bs: float, h_ut: float
) -> np.ndarray:
    """TR 38.901 UMi street-canyon LOS path loss (dB); ``d2d`` below 10 m is clamped to 10 m."""
    d_bp = 4.0 * (h_bs - 1.0) * (h_ut - 1.0) * fc_ghz * 1e9 / SPEED_OF_LIGHT
    d3d = np.maximum(d3d, np.sqrt(10.0**2 + (h_bs - h_ut) ** 2))
    pl1 = 32.4 + 21.0 * np.log10(d3d) + 20.0 * np.log10(fc_ghz)
    pl2 = (
        32.4
        + 40.0 * np.log10(d3d)
        + 20.0 * np.log10(fc_ghz)
        - 9.5 * np.log10(d_bp**2 + (h_bs - h_ut) ** 2)
    )
    return np.where(d2d <= d_bp, pl1, pl2)


def umi_nlos_path_loss(
    d2d: np.ndarray, d3d: np.ndarray, fc_ghz: float, h_bs: float, h_ut: float
) -> np.ndarray:
    """TR 38.901 UMi street-canyon NLOS path loss (dB): ``max(PL_LOS, PL'_NLOS)``."""
    d3d_c = np.maximum(d3d, np.sqrt(10.0**2 + (h_bs - h_ut) ** 2))
    pl_nlos = 35.3 * np.log10(d3d_c) + 22.4 + 21.3 * np.log10(fc_ghz) - 0.3 * (h_ut - 1.5)
    return np.maximum(umi_los_path_loss(d2d, d3d, fc_ghz, h_bs, h_ut), pl_nlos)


def uma_nlos_path_loss(d3d: np.ndarray, fc_ghz: float, h_ut: float) -> np.ndarray:
    """TR 38.901 UMa NLOS path loss (dB), the PL' term (dominant at macro distances)."""
    return 13.54 + 39.08 * np.log10(d3d) + 20.0 * np.log10(fc_ghz) - 0.6 * (h_ut - 1.5)


def sector_gain_db(bearing_deg: np.ndarray, azimuth_deg: float, beamwidth_deg: float) -> np.ndarray:
    """TR 38.901 Table 7.3-1 horizontal pattern relative to boresight: ``-min(12 (phi/phi3dB)^2, 30)``."""
    phi = (bearing_deg - azimuth_deg + 180.0) % 360.0 - 180.0
    return -np.minimum(12.0 * (phi / beamwidth_deg) ** 2, 30.0)


def gaussian_field(
    shape: tuple[int, int], res: float, decorrelation: float, rng: np.random.Generator
) -> np.ndarray:
    """Unit-variance Gaussian random field with exponential correlation ``exp(-d / decorrelation)``.

    Circulant embedding on a periodic grid (spectral synthesis); the caller pads
    the grid so that the wrap-around is several decorrelation lengths away.
    """
    ny, nx = shape
    dy = np.minimum(np.arange(ny), ny - np.arange(ny)) * res
    dx = np.minimum(np.arange(nx), nx - np.arange(nx)) * res
    cov = np.exp(-np.sqrt(dy[:, None] ** 2 + dx[None, :] ** 2) / decorrelation)
    psd = np.maximum(np.fft.rfft2(cov).real, 0.0)
    noise = rng.standard_normal(shape)
    return np.fft.irfft2(np.sqrt(psd) * np.fft.rfft2(noise), s=shape)


@dataclass
class World:
    """Static radio maps of a scenario on a 1 m grid of loop positions.

    Attributes
    ----------
    u
        Arc length of each grid position (m), ``(P,)``.
    xy
        Local coordinates ``(P, 2)``.
    cell_tower
        Index into ``scenario.towers`` of each cell (sector), ``(C,)``.
    tower_ids
        Tower id of each cell, ``(C,)``.
    rx_static
        SS-RSRP without body/vehicle/blocker losses and fading, dBm, ``(C, P)``.
    bearing_to_cell
        Compass bearing from the UE to the cell's tower, degrees, ``(C, P)``.
    los
        Line of sight to each cell's tower, ``(C, P)``.
    path_loss
        TR 38.901 path loss to each cell's tower (dB, no shadowing), ``(C, P)``.
    lte_rsrp_static
        LTE RSRP without fading, dBm, ``(P,)``.
    noise_dbm_per_re
        Thermal noise per NR resource element incl. noise figure, dBm.
    light_u, light_phase
        Loop position of each traffic light and its phase offset (s).
    corner_u
        Loop positions of the corners.
    """

    scenario: Scenario
    u: np.ndarray
    xy: np.ndarray
    cell_tower: np.ndarray
    tower_ids: np.ndarray
    rx_static: np.ndarray
    bearing_to_cell: np.ndarray
    los: np.ndarray
    path_loss: np.ndarray
    lte_rsrp_static: np.ndarray
    noise_dbm_per_re: float
    lte_noise_dbm_per_re: float
    light_u: np.ndarray
    light_phase: np.ndarray
    light_cycle: np.ndarray
    light_red: np.ndarray
    corner_u: np.ndarray
    heading_cw: np.ndarray

    @property
    def n_pos(self) -> int:
        return len(self.u)

    def index(self, u: np.ndarray) -> np.ndarray:
        """Grid index of loop positions ``u`` (nearest metre, wrapped)."""
        return (
            np.rint(np.mod(u, self.scenario.route.length) / ROUTE_RES_M).astype(np.int64)
            % self.n_pos
        )

    def heading(self, u: np.ndarray, acw: np.ndarray | bool) -> np.ndarray:
        """Compass heading of travel at loop positions ``u`` (precomputed per metre, smoothed at corners)."""
        return np.mod(
            self.heading_cw[self.index(u)] + 180.0 * np.asarray(acw, dtype=np.float64), 360.0
        )


def build_world(scenario: Scenario) -> World:
    """Precompute the static radio maps of ``scenario`` (deterministic in ``world_seed``)."""
    rng = np.random.default_rng(scenario.world_seed)
    radio = scenario.radio
    route = scenario.route
    u = np.arange(0.0, route.length, ROUTE_RES_M)
    xy = route.position(u)
    edges = polygon_edges([b.polygon for b in scenario.buildings])
    fields = _FieldSampler(scenario.bounds, rng)
    fc, h_ut = radio["frequency_ghz"], radio["ue_height_m"]

    cell_tower, tower_ids, rx, bearing, los_rows, pl_rows = [], [], [], [], [], []
    for ti, tower in enumerate(scenario.towers):
        delta = tower.position[None, :] - xy
        d2d = np.sqrt((delta**2).sum(axis=1))
        d3d = np.sqrt(d2d**2 + (tower.height_m - h_ut) ** 2)
        los = ~segments_blocked(xy, np.broadcast_to(tower.position, xy.shape), edges)
        pl = np.where(
            los,
            umi_los_path_loss(d2d, d3d, fc, tower.height_m, h_ut),
            umi_nlos_path_loss(d2d, d3d, fc, tower.height_m, h_ut),
        )
        sf = np.where(
            los,
            radio["sf_sigma_los_db"] * fields.sample(xy, radio["sf_decorrelation_los_m"]),
            radio["sf_sigma_nlos_db"] * fields.sample(xy, radio["sf_decorrelation_nlos_m"]),
        )
        to_tower = np.degrees(np.arctan2(delta[:, 0], delta[:, 1])) % 360.0
        from_tower = (to_tower + 180.0) % 360.0
        for sector in tower.sectors:
            gain = sector_gain_db(from_tower, sector.azimuth_deg, sector.beamwidth_deg)
            rx.append(tower.ssb_re_eirp_dbm + gain + radio["ue_antenna_gain_dbi"] - pl - sf)
            bearing.append(to_tower)
            los_rows.append(los)
            pl_rows.append(pl)
            cell_tower.append(ti)
            tower_ids.append(tower.id)

    lte = scenario.lte
    d3d_lte = np.sqrt(((lte.position[None, :] - xy) ** 2).sum(axis=1) + (lte.height_m - h_ut) ** 2)
    lte_rsrp = (
        lte.re_eirp_dbm
        - uma_nlos_path_loss(d3d_lte, lte.frequency_ghz, h_ut)
        - radio["lte_sf_sigma_db"] * fields.sample(xy, radio["lte_sf_decorrelation_m"])
    )
    light_u, _ = route.project(np.array([tl.position for tl in scenario.traffic_lights]))
    cycle = np.array([tl.cycle_s for tl in scenario.traffic_lights])
    return World(
        scenario=scenario,
        u=u,
        xy=xy,
        cell_tower=np.array(cell_tower),
        tower_ids=np.array(tower_ids),
        rx_static=np.array(rx),
        bearing_to_cell=np.array(bearing),
        los=np.array(los_rows),
        path_loss=np.array(pl_rows),
        lte_rsrp_static=lte_rsrp,
        noise_dbm_per_re=-174.0
        + 10.0 * np.log10(radio["subcarrier_spacing_khz"] * 1e3)
        + radio["noise_figure_db"],
        lte_noise_dbm_per_re=-174.0 + 10.0 * np.log10(15e3) + 7.0,
        light_u=light_u,
        light_phase=rng.uniform(0.0, cycle),
        light_cycle=cycle,
        light_red=np.array([tl.red_s for tl in scenario.traffic_lights]),
        corner_u=route.corner_positions(),
        heading_cw=route.heading(u),
    )


class _FieldSampler:
    """Draws independent unit Gaussian fields over the map and samples them at points."""

    def __init__(self, bounds: np.ndarray, rng: np.random.Generator) -> None:
        self.bounds = bounds
        self.rng = rng

    def sample(self, xy: np.ndarray, decorrelation: float) -> np.ndarray:
        pad = 5.0 * decorrelation
        nx = int(np.ceil((self.bounds[2] - self.bounds[0] + 2 * pad) / GRID_RES_M)) + 1
        ny = int(np.ceil((self.bounds[3] - self.bounds[1] + 2 * pad) / GRID_RES_M)) + 1
        field = gaussian_field((ny, nx), GRID_RES_M, decorrelation, self.rng)
        rows = (xy[:, 1] - self.bounds[1] + pad) / GRID_RES_M
        cols = (xy[:, 0] - self.bounds[0] + pad) / GRID_RES_M
        return bilinear(field, rows, cols)
