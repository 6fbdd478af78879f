"""A small synthetic network stream with one known concept change, shared by the mapek tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from netal.mapek import NetworkStream

CHANGE_AT_S = 18_000.0


def step_stream(seed: int = 0, n: int = 6000, change: bool = True) -> NetworkStream:
    """100 samples per 600-s period; at 18,000 s the mapping from features to target changes."""
    rng = np.random.default_rng(seed)
    times = np.arange(n) * 6.0
    X = rng.normal(size=(n, 4))
    before = np.array([1.0, -2.0, 0.5, 0.0])
    after = np.array([-1.0, 1.0, 0.5, 2.0]) if change else before
    y = np.where(times < CHANGE_AT_S, X @ before, X @ after) * 50 + 300 + rng.normal(0, 5, n)
    changes = pd.DataFrame(
        {
            "time_s": [CHANGE_AT_S] if change else [],
            "kind": ["concept"] if change else [],
            "description": ["weights change"] if change else [],
        }
    )
    return NetworkStream("step", times, X, y, ("a", "b", "c", "d"), changes)
