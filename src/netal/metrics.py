"""Metrics: the one implementation of every error and uncertainty number netal reports.

Two families, kept apart on purpose because their ``q95`` means different things:

* **test errors** of a learner on held-out data, pooled over all samples and all
  outputs (e.g. all steps of a forecasting horizon): :func:`regression_errors`
  (loop metric names: ``rmse``, ``mae``, ``q95_abs_error``) and
  :func:`record_errors` (the same numbers under the records' column names
  ``rmse``, ``mae``, ``q95``; :data:`netal.schemas.RECORD_COLUMNS`);
* **prequential errors** of a stream (test-then-train), one value per arriving
  sample (mean over its outputs): :func:`per_sample_errors`, and
  :func:`segment_q95`, the 95th percentile of those absolute errors per stream
  segment (the stream study's ``q95``).

:func:`per_sample_epistemic_var` reduces a per-output epistemic variance to one
number per sample (the mean over outputs), which is what strategies, stream
budget managers and reports rank or draw.  Base layer: arrays in, arrays out;
imports nothing from netal but the error types.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.errors import ShapeMismatchError


def regression_errors(y_true: Any, y_pred: Any) -> dict[str, float]:
    """RMSE, MAE and 95th-percentile absolute error over all samples and outputs.

    Returns ``{"rmse", "mae", "q95_abs_error"}`` (the loop's metric names).
    ``y_true`` and ``y_pred`` must have the same shape.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ShapeMismatchError(
            "y_true", f"has shape {y_true.shape} but the predictions have {y_pred.shape}"
        )
    errors = np.abs(y_true - y_pred).ravel()
    return {
        "rmse": float(np.sqrt(np.mean(errors**2))),
        "mae": float(np.mean(errors)),
        "q95_abs_error": float(np.quantile(errors, 0.95)),
    }


def record_errors(y_true: Any, y_pred: Any) -> dict[str, float]:
    """:func:`regression_errors` under the records' column names: ``rmse``, ``mae``, ``q95``."""
    errors = regression_errors(y_true, y_pred)
    return {"rmse": errors["rmse"], "mae": errors["mae"], "q95": errors["q95_abs_error"]}


def per_sample_errors(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Squared and absolute error of each sample, each the mean over the sample's outputs.

    Returns two ``(n,)`` arrays (the prequential errors of a stream).
    """
    diff = (y_pred - y_true).reshape(len(y_true), -1)
    return (diff**2).mean(axis=1), np.abs(diff).mean(axis=1)


def segment_q95(abs_error: np.ndarray, checkpoints: np.ndarray) -> np.ndarray:
    """95th percentile of the prequential absolute error of each stream segment.

    ``checkpoints`` are stream positions; segment ``i`` ends at checkpoint ``i``
    and starts at the previous one (the first segment, for checkpoint 0, is the
    start of the stream up to the later of the first two checkpoints).
    """
    ends = np.maximum(checkpoints, checkpoints[1] if len(checkpoints) > 1 else 1)
    starts = np.concatenate([[0], checkpoints[:-1]])
    starts = np.where(ends == starts, 0, starts)
    return np.array([np.quantile(abs_error[a:b], 0.95) for a, b in zip(starts, ends, strict=True)])


def per_sample_epistemic_var(epistemic_var: Any, *, clip_negative: bool = False) -> np.ndarray:
    """Epistemic variance per sample: the mean over its outputs, ``(n, ...) -> (n,)``.

    With ``clip_negative`` tiny negative values (round-off of a variance
    computed as a difference) become 0.
    """
    var = np.asarray(epistemic_var, dtype=np.float64)
    per_sample = var.reshape(len(var), -1).mean(axis=1)
    return np.maximum(per_sample, 0.0) if clip_negative else per_sample
