"""The QoAIS indicators a scorecard measures: names, units, which way is better, what they mean.

Every indicator an SLA file may name is in :data:`INDICATORS`; a scorecard
(:func:`netal.qoais.scorecard`) returns one value per indicator (NaN where a
model cannot be measured, e.g. the interval coverage of a model without
predictive intervals).  Direction decides how an SLA threshold reads:
``"lower"`` (errors, times, sizes) means the value must be at most the
threshold, ``"higher"`` (coverage) at least.

The indicator set follows the performance and computation dimensions of the
QoAIS indicator systems: "Inference speed, concurrency, inference error,
inference accuracy" and "training duration" (Table 1 and 2 of the QoAIS
paper in the Huawei Communicate 2024 collection, "QoAIS assurance for 6G
networks"), and "boundary of performance metrics, training time,
generalization, robustness" (Table 3 of the survey "AI and Communication for
6G", section 5.2).  Robustness is measured as the error under Gaussian
feature noise and with features missing; generalization as the error on a
shifted domain (drift resilience).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

NOMINAL_LEVELS: tuple[float, ...] = (0.80, 0.90, 0.95)
"""Nominal levels of the central Gaussian predictive intervals whose coverage is measured."""

NOISE_LEVELS: tuple[float, ...] = (0.10, 0.50)
"""Standard deviations of the Gaussian feature noise, in units of each feature's training std."""

MISSING_SHARE = 0.20
"""Share of test feature values set to their training mean (missing at random)."""

BATCH_ROWS = 256
"""Rows per call of the batched latency measurement."""


@dataclass(frozen=True)
class Indicator:
    """One QoAIS indicator.

    Attributes
    ----------
    name
        Key in scorecards and SLA files.
    group
        Dimension: accuracy, calibration, training, latency, size, robustness, drift.
    unit
        ``"target"`` (the unit of the predicted quantity), or a fixed unit.
    better
        ``"lower"`` or ``"higher"``: how an SLA threshold reads (max or min).
    description
        One line on what is measured.
    """

    name: str
    group: str
    unit: str
    better: Literal["lower", "higher"]
    description: str

    @property
    def bound(self) -> str:
        """``"max"`` when lower is better (the threshold is an upper bound), else ``"min"``."""
        return "max" if self.better == "lower" else "min"


def percent_tag(value: float) -> int:
    return round(value * 100)


_LIST: tuple[Indicator, ...] = (
    Indicator("rmse", "accuracy", "target", "lower", "root mean squared error on the test rows"),
    Indicator("mae", "accuracy", "target", "lower", "mean absolute error on the test rows"),
    Indicator(
        "q95_abs_error", "accuracy", "target", "lower", "95th percentile of the absolute error"
    ),
    Indicator(
        "nrmse", "accuracy", "1", "lower", "RMSE over the standard deviation of the test targets"
    ),
    *(
        Indicator(
            f"coverage_{percent_tag(level)}",
            "calibration",
            "share",
            "higher",
            f"share of test targets inside the central {level:.0%} Gaussian predictive interval",
        )
        for level in NOMINAL_LEVELS
    ),
    Indicator(
        "calibration_error",
        "calibration",
        "share",
        "lower",
        "largest |coverage - nominal level| over the "
        + "/".join(f"{percent_tag(v)}" for v in NOMINAL_LEVELS)
        + " % intervals",
    ),
    Indicator("train_time_s", "training", "s", "lower", "wall time of fit on the training rows"),
    Indicator(
        "train_cpu_s",
        "training",
        "s",
        "lower",
        "CPU time of this process during fit on the training rows",
    ),
    Indicator(
        "labels_used", "training", "labels", "lower", "labeled rows the model was trained on"
    ),
    Indicator(
        "latency_p50_row_ms",
        "latency",
        "ms",
        "lower",
        "median latency of one prediction of one row",
    ),
    Indicator("latency_p99_row_ms", "latency", "ms", "lower", "99th percentile latency of one row"),
    Indicator(
        "latency_p50_batch_ms",
        "latency",
        "ms",
        "lower",
        f"median latency of one prediction of a batch of {BATCH_ROWS} rows",
    ),
    Indicator(
        "latency_p99_batch_ms",
        "latency",
        "ms",
        "lower",
        f"99th percentile latency of a batch of {BATCH_ROWS} rows",
    ),
    Indicator(
        "cpu_p50_row_ms",
        "latency",
        "ms",
        "lower",
        "median CPU time of the predicting thread for one row (the work, without waiting for a core)",
    ),
    Indicator(
        "cpu_p50_batch_ms",
        "latency",
        "ms",
        "lower",
        f"median CPU time of the predicting thread for a batch of {BATCH_ROWS} rows",
    ),
    Indicator(
        "n_params", "size", "parameters", "lower", "trainable parameters (tree models: nodes)"
    ),
    Indicator(
        "flops_per_row",
        "size",
        "FLOP",
        "lower",
        "matrix-multiply FLOPs of one prediction per row, all passes or members (torch models)",
    ),
    *(
        Indicator(
            f"rmse_noise_{percent_tag(level)}",
            "robustness",
            "target",
            "lower",
            f"RMSE with Gaussian noise of {level:g} training std added to every feature",
        )
        for level in NOISE_LEVELS
    ),
    Indicator(
        f"noise_{percent_tag(NOISE_LEVELS[-1])}_rmse_ratio",
        "robustness",
        "1",
        "lower",
        f"rmse_noise_{percent_tag(NOISE_LEVELS[-1])} over rmse",
    ),
    Indicator(
        f"rmse_missing_{percent_tag(MISSING_SHARE)}",
        "robustness",
        "target",
        "lower",
        f"RMSE with {MISSING_SHARE:.0%} of the feature values set to their training mean",
    ),
    Indicator(
        f"missing_{percent_tag(MISSING_SHARE)}_rmse_ratio",
        "robustness",
        "1",
        "lower",
        f"rmse_missing_{percent_tag(MISSING_SHARE)} over rmse",
    ),
    Indicator(
        "rmse_missing_worst_feature",
        "robustness",
        "target",
        "lower",
        "largest RMSE when one feature column is set to its training mean",
    ),
    Indicator("drift_rmse", "drift", "target", "lower", "RMSE on the shifted domain's test rows"),
    Indicator("drift_rmse_ratio", "drift", "1", "lower", "drift_rmse over rmse"),
)

INDICATORS: MappingProxyType[str, Indicator] = MappingProxyType({i.name: i for i in _LIST})
"""Every indicator by name, in scorecard order (read-only)."""


def indicator_unit(name: str, target_unit: str | None) -> str:
    """The unit of indicator ``name``, with ``"target"`` replaced by ``target_unit`` (or ``""``)."""
    unit = INDICATORS[name].unit
    return (target_unit or "") if unit == "target" else unit
