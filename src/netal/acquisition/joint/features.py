"""The learner's inputs in joint acquisition: twin rows encoded as :data:`FEATURE_NAMES`.

:func:`twin_features` turns Lumos5G-schema rows (observed or measured) into
numbers: position, speed, heading as sine and cosine, LTE and NR radio fields
(a missing NR link gets a floor value and an indicator) and the mobility mode.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from netal.errors import InvalidInputError
from netal.schemas import LUMOS5G_LTE, LUMOS5G_MOTION, LUMOS5G_NR

FEATURE_NAMES = (
    "latitude",
    "longitude",
    "movingSpeed",
    "compass_sin",
    "compass_cos",
    "lte_rsrp",
    "lte_rsrq",
    "lte_rssi",
    "nr_ssRsrp",
    "nr_ssSinr",
    "nr_connected",
    "walking",
)
"""Learner inputs built by :func:`twin_features` from a Lumos5G-schema frame."""

_TWIN_FEATURE_INPUTS = (*LUMOS5G_MOTION, *LUMOS5G_LTE, *LUMOS5G_NR, "mobility_mode")
"""The Lumos5G columns :func:`twin_features` reads."""

NR_RSRP_MISSING = -140.0  # dBm, below any NR cell the twin reports: "no NR link"
NR_SINR_MISSING = -20.0  # dB


def twin_features(frame: pd.DataFrame) -> np.ndarray:
    """Learner inputs (:data:`FEATURE_NAMES`) from Lumos5G-schema rows (labeled or observed).

    NR fields are NaN when the phone is not NR-connected; they are replaced by
    :data:`NR_RSRP_MISSING` / :data:`NR_SINR_MISSING` and the ``nr_connected``
    indicator says which rows had them (nothing is dropped).
    """
    missing = [c for c in _TWIN_FEATURE_INPUTS if c not in frame.columns]
    if missing:
        raise InvalidInputError("frame", f"lacks column(s): {', '.join(missing)}")
    heading = np.deg2rad(frame["compassDirection"].to_numpy(dtype=np.float64))
    rsrp = frame["nr_ssRsrp"].to_numpy(dtype=np.float64)
    sinr = frame["nr_ssSinr"].to_numpy(dtype=np.float64)
    columns = [
        frame["latitude"].to_numpy(dtype=np.float64),
        frame["longitude"].to_numpy(dtype=np.float64),
        frame["movingSpeed"].to_numpy(dtype=np.float64),
        np.sin(heading),
        np.cos(heading),
        frame["lte_rsrp"].to_numpy(dtype=np.float64),
        frame["lte_rsrq"].to_numpy(dtype=np.float64),
        frame["lte_rssi"].to_numpy(dtype=np.float64),
        np.where(np.isnan(rsrp), NR_RSRP_MISSING, rsrp),
        np.where(np.isnan(sinr), NR_SINR_MISSING, sinr),
        (~np.isnan(rsrp)).astype(np.float64),
        (frame["mobility_mode"].astype(str).to_numpy() == "walking").astype(np.float64),
    ]
    return np.stack(columns, axis=1)
