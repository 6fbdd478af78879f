"""Map synthesized feature vectors back to measurement requests the twin (or a network) can execute.

A synthesized Lumos5G-style vector holds ``latitude``, ``longitude``,
``movingSpeed``, ``compassDirection`` and, as its label or a column,
``mobility_mode``.  The twin's oracle (:class:`netal.twin.TwinOracle`) takes
``latitude``/``longitude`` (snapped to its loop), ``mobility_mode``,
``trajectory_direction`` and ``movingSpeed``; the direction is read from the
synthesized heading (whichever travel direction of the loop at that point is
closer to ``compassDirection``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal._validation import as_float_array
from netal.errors import InvalidInputError
from netal.schemas import MOBILITY_MODES
from netal.twin.generator import resolve_world
from netal.twin.oracle import parse_conditions

REQUEST_COLUMNS = (
    "latitude",
    "longitude",
    "mobility_mode",
    "trajectory_direction",
    "movingSpeed",
)
"""Columns of the requests built by :func:`to_twin_conditions`, in order."""


def samples_frame(
    X: Any, columns: Sequence[str], labels: Any = None, label_column: str = "mobility_mode"
) -> pd.DataFrame:
    """Synthesized vectors ``(n, d)`` as a frame with named columns (+ the label column)."""
    X_arr = as_float_array(X, "X", ndim=2, allow_empty=True)
    if X_arr.shape[1] != len(columns):
        raise InvalidInputError(
            "columns", f"names {len(columns)} columns but X has {X_arr.shape[1]}"
        )
    frame = pd.DataFrame(X_arr, columns=list(columns))
    if labels is not None:
        frame[label_column] = np.asarray(labels).astype(str)
    return frame


def _world(scenario: Any) -> Any:
    return resolve_world(scenario)


def _angle_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs((a - b + 180.0) % 360.0 - 180.0)


def to_twin_conditions(
    samples: pd.DataFrame, scenario: str | Path | Any | None = None
) -> pd.DataFrame:
    """Measurement requests for the twin's oracle from synthesized samples.

    Parameters
    ----------
    samples
        Columns ``latitude``, ``longitude``, ``movingSpeed``, ``mobility_mode``
        and either ``trajectory_direction`` or ``compassDirection``.
    scenario
        The twin's scenario (path, :class:`~netal.twin.Scenario`, world, or
        ``None`` for the packaged default).

    Returns
    -------
    pandas.DataFrame
        :data:`REQUEST_COLUMNS`, one row per sample, in order; validated with
        the oracle's own parser, so positions off the loop or impossible
        speeds raise :class:`InvalidInputError` naming the row (filter first
        with :func:`twin_feasible`).
    """
    world = _world(scenario)
    required = ["latitude", "longitude", "movingSpeed", "mobility_mode"]
    missing = [c for c in required if c not in samples.columns]
    if missing:
        raise InvalidInputError("samples", f"lacks column(s): {', '.join(missing)}")
    frame = samples.reset_index(drop=True)
    if "trajectory_direction" in frame:
        direction = frame["trajectory_direction"].astype(str).to_numpy()
    elif "compassDirection" in frame:
        direction = _direction_from_heading(world, frame)
    else:
        raise InvalidInputError(
            "samples", "needs a trajectory_direction or a compassDirection column"
        )
    conditions = pd.DataFrame(
        {
            "latitude": frame["latitude"].to_numpy(dtype=np.float64),
            "longitude": frame["longitude"].to_numpy(dtype=np.float64),
            "mobility_mode": frame["mobility_mode"].astype(str).to_numpy(),
            "trajectory_direction": direction,
            "movingSpeed": frame["movingSpeed"].to_numpy(dtype=np.float64),
        }
    )
    parse_conditions(world, conditions)
    return conditions


def _direction_from_heading(world: Any, frame: pd.DataFrame) -> np.ndarray:
    scen = world.scenario
    xy = scen.to_xy(frame["latitude"].to_numpy(float), frame["longitude"].to_numpy(float))
    u, _ = scen.route.project(xy)
    compass = frame["compassDirection"].to_numpy(dtype=np.float64)
    cw_gap = _angle_gap(compass, world.heading(u, False))
    acw_gap = _angle_gap(compass, world.heading(u, True))
    return np.where(acw_gap < cw_gap, "ACW", "CW")


def twin_feasible(samples: pd.DataFrame, scenario: str | Path | Any | None = None) -> np.ndarray:
    """Which samples the twin can measure: near its loop, a known mode, a possible speed.

    Returns a boolean mask ``(n,)``; use it as the ``constraint`` of
    :func:`netal.synthesis.synthesize_queries` before :func:`to_twin_conditions`.
    """
    world = _world(scenario)
    scen, m = world.scenario, world.scenario.mobility
    xy = scen.to_xy(samples["latitude"].to_numpy(float), samples["longitude"].to_numpy(float))
    _, offset = scen.route.project(xy) if len(xy) else (np.zeros(0), np.zeros(0))
    modes = samples["mobility_mode"].astype(str).to_numpy()
    speed = samples["movingSpeed"].to_numpy(dtype=np.float64)
    limit = np.where(modes == "walking", m["walking_speed_max"], m["driving_speed_max"])
    return (
        np.isin(modes, MOBILITY_MODES)
        & np.isfinite(offset)
        & (offset <= scen.max_request_offset_m)
        & np.isfinite(speed)
        & (speed >= 0.0)
        & (speed <= limit)
    )
