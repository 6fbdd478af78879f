"""Values as the knowledge base stores them: UTC time stamps, arrays and labels as JSON, NaN as NULL.

Private to :mod:`netal.loop.knowledge`: the small conversions its writers share.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np


def now() -> datetime:
    """The current time in UTC (every time stamp of the knowledge base)."""
    return datetime.now(UTC)


def array_json(values: np.ndarray) -> str:
    """An array as a JSON list of floats (NaN refused)."""
    return json.dumps(np.asarray(values, dtype=np.float64).tolist(), allow_nan=False)


def label_json(label: np.ndarray) -> str:
    """A label (scalar or vector) as JSON (NaN refused)."""
    return json.dumps(np.asarray(label, dtype=np.float64).tolist(), allow_nan=False)


def float_or_none(value: float) -> float | None:
    """A float, with NaN stored as NULL."""
    value = float(value)
    return None if np.isnan(value) else value
