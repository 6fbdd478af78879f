"""Feature and target standardization shared by the learners."""

from __future__ import annotations

import numpy as np

_MIN_SCALE = 1e-12


class Standardizer:
    """Zero-mean, unit-variance scaling per feature (last axis).

    Statistics are reduced over every axis but the last one, so ``(n, d)``
    tables are scaled per column and ``(n, t, d)`` windows per feature over
    samples and time steps.  A one-dimensional array is treated as one column.
    Constant columns get scale 1 (they are only centred), so they never
    produce NaN or infinite values.

    Parameters
    ----------
    enabled
        When ``False`` the transform is the identity (mean 0, scale 1); the
        learners use this to reproduce models trained on raw targets.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, array: np.ndarray) -> Standardizer:
        """Learn the per-feature mean and scale of ``array``."""
        values = np.asarray(array, dtype=np.float64)
        flat = values.reshape(-1, 1) if values.ndim == 1 else values.reshape(-1, values.shape[-1])
        width = flat.shape[1]
        if not self.enabled:
            self.mean_ = np.zeros(width)
            self.scale_ = np.ones(width)
            return self
        self.mean_ = flat.mean(axis=0)
        scale = flat.std(axis=0)
        self.scale_ = np.where(scale > _MIN_SCALE, scale, 1.0)
        return self

    def _stats(self, array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.mean_ is None or self.scale_ is None:
            raise RuntimeError("Standardizer used before fit")
        if np.ndim(array) == 1:
            return self.mean_[0], self.scale_[0]
        return self.mean_, self.scale_

    def transform(self, array: np.ndarray) -> np.ndarray:
        """Scale ``array`` (float32 result)."""
        mean, scale = self._stats(array)
        return ((np.asarray(array, dtype=np.float64) - mean) / scale).astype(np.float32)

    def inverse_transform(self, array: np.ndarray) -> np.ndarray:
        """Map scaled values back to original units (float64 result)."""
        mean, scale = self._stats(array)
        return np.asarray(array, dtype=np.float64) * scale + mean

    def inverse_variance(self, variance: np.ndarray) -> np.ndarray:
        """Map a variance in scaled units back to original units."""
        _, scale = self._stats(variance)
        return np.asarray(variance, dtype=np.float64) * np.square(scale)

    def get_state(self) -> dict[str, object]:
        """The fitted statistics as plain lists (safe to serialize)."""
        return {
            "enabled": self.enabled,
            "mean": None if self.mean_ is None else self.mean_.tolist(),
            "scale": None if self.scale_ is None else self.scale_.tolist(),
        }

    @classmethod
    def from_state(cls, state: dict[str, object]) -> Standardizer:
        """Rebuild a standardizer saved by :meth:`get_state`."""
        scaler = cls(enabled=bool(state["enabled"]))
        if state["mean"] is not None:
            scaler.mean_ = np.asarray(state["mean"], dtype=np.float64)
            scaler.scale_ = np.asarray(state["scale"], dtype=np.float64)
        return scaler
