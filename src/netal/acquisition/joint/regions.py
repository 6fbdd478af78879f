"""The regions of the twin's input space where joint acquisition observes new samples.

A :class:`RegionGrid` cuts the twin's loop into cells of position x mobility
mode x direction (x speed bin): :meth:`RegionGrid.region_of` says which cell a
condition row (:data:`CONDITION_COLUMNS`) lies in, :meth:`RegionGrid.sample`
draws random conditions inside given cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from netal._validation import check_positive_int
from netal.schemas import DIRECTIONS, MOBILITY_MODES

CONDITION_COLUMNS = ("route_pos_m", "mobility_mode", "trajectory_direction", "movingSpeed")


@dataclass(frozen=True)
class RegionGrid:
    """Cells of the twin's input space: loop position x mobility mode x direction (x speed bin).

    Parameters
    ----------
    length_m
        Length of the loop (m).
    n_position_bins
        Equal-length cells along the loop.
    n_speed_bins
        Speed bins per mode, equal width over ``[0, max_speed[mode]]``; with 1
        (default) acquisitions use the mode's typical speed.
    mobility
        The scenario's ``[mobility]`` parameters (speeds).
    """

    length_m: float
    n_position_bins: int = 13
    n_speed_bins: int = 1
    mobility: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_world(cls, world: Any, n_position_bins: int = 13, n_speed_bins: int = 1) -> RegionGrid:
        """The grid of a twin world (``TwinOracle(...).world``)."""
        check_positive_int(n_position_bins, "n_position_bins")
        check_positive_int(n_speed_bins, "n_speed_bins")
        scen = world.scenario
        return cls(float(scen.route.length), n_position_bins, n_speed_bins, dict(scen.mobility))

    @property
    def n_regions(self) -> int:
        """Number of cells."""
        return self.n_position_bins * len(MOBILITY_MODES) * len(DIRECTIONS) * self.n_speed_bins

    def _max_speed(self, walking: np.ndarray) -> np.ndarray:
        m = self.mobility
        return np.where(walking, m["walking_speed_max"], m["driving_cruise_max"])

    def region_of(self, conditions: pd.DataFrame) -> np.ndarray:
        """Cell index of each condition row (columns :data:`CONDITION_COLUMNS`)."""
        u = conditions["route_pos_m"].to_numpy(dtype=np.float64)
        pos = np.clip(
            (u / self.length_m * self.n_position_bins).astype(np.int64), 0, self.n_position_bins - 1
        )
        walking = conditions["mobility_mode"].astype(str).to_numpy() == "walking"
        acw = conditions["trajectory_direction"].astype(str).to_numpy() == "ACW"
        speed = conditions["movingSpeed"].to_numpy(dtype=np.float64)
        sbin = np.clip(
            (speed / self._max_speed(walking) * self.n_speed_bins).astype(np.int64),
            0,
            self.n_speed_bins - 1,
        )
        mode = np.where(walking, 0, 1)
        return ((pos * 2 + mode) * 2 + acw.astype(np.int64)) * self.n_speed_bins + sbin

    def sample(self, regions: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
        """Random conditions inside the given cells (one row per entry of ``regions``)."""
        regions = np.asarray(regions, dtype=np.int64)
        sbin = regions % self.n_speed_bins
        rest = regions // self.n_speed_bins
        acw = (rest % 2).astype(bool)
        walking = ((rest // 2) % 2) == 0
        pos = rest // 4
        width = self.length_m / self.n_position_bins
        u = np.minimum((pos + rng.random(len(regions))) * width, self.length_m)
        m = self.mobility
        if self.n_speed_bins == 1:
            walk = np.clip(
                rng.normal(m["walking_speed_mean"], m["walking_speed_sd"], len(regions)),
                0.3,
                m["walking_speed_max"],
            )
            drive = rng.uniform(m["driving_cruise_min"], m["driving_cruise_max"], len(regions))
            speed = np.where(walking, walk, drive)
        else:
            top = self._max_speed(walking)
            speed = (sbin + rng.random(len(regions))) * top / self.n_speed_bins
        return pd.DataFrame(
            {
                "route_pos_m": u,
                "mobility_mode": np.where(walking, "walking", "driving"),
                "trajectory_direction": np.where(acw, "ACW", "CW"),
                "movingSpeed": speed,
            }
        )
