"""Small signal helpers (kept here so that the twin does not import scipy.signal, ~1 s of start-up)."""

from __future__ import annotations

import numpy as np


def exp_smooth(x: np.ndarray, alpha: float, y_prev: np.ndarray) -> np.ndarray:
    """First-order recursive filter ``y[t] = alpha x[t] + (1 - alpha) y[t-1]`` along the last axis.

    ``y_prev`` is the state before the first sample (broadcast to ``x.shape[:-1]``).
    The loop runs over time steps only; each step is vectorized over all other axes.
    """
    time_major = np.ascontiguousarray(np.moveaxis(np.asarray(x, dtype=np.float64), -1, 0))
    out = np.empty_like(time_major)
    y = np.broadcast_to(np.asarray(y_prev, dtype=np.float64), x.shape[:-1]).copy()
    for t in range(time_major.shape[0]):
        y *= 1.0 - alpha
        y += alpha * time_major[t]
        out[t] = y
    return np.moveaxis(out, 0, -1)


def bilinear(grid: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bilinear interpolation of ``grid`` at fractional indices (clamped to the grid)."""
    rows = np.clip(rows, 0.0, grid.shape[0] - 1.000001)
    cols = np.clip(cols, 0.0, grid.shape[1] - 1.000001)
    r0 = np.floor(rows).astype(np.int64)
    c0 = np.floor(cols).astype(np.int64)
    fr, fc = rows - r0, cols - c0
    top = grid[r0, c0] * (1 - fc) + grid[r0, c0 + 1] * fc
    bottom = grid[r0 + 1, c0] * (1 - fc) + grid[r0 + 1, c0 + 1] * fc
    return top * (1 - fr) + bottom * fr
