"""Quality of AI service (QoAIS): a scorecard of a model's indicators checked against per-tier SLAs.

Pure functions over learners and arrays, so the studies and the architecture
search above can score what they train or pick:

* :func:`scorecard` measures every indicator of :data:`INDICATORS` for one
  model: accuracy (RMSE, MAE, q95 absolute error, normalized RMSE),
  calibration of its Gaussian predictive intervals (coverage at 80/90/95 %),
  training time, labels used, inference latency (p50/p99 per row at batch 1
  and per batch, one torch thread), parameters and FLOPs, robustness (error
  under feature noise and with features missing) and drift resilience (error
  on a shifted domain);
* the pieces on their own: :func:`accuracy`, :func:`interval_coverage`,
  :func:`calibration`, :func:`inference_latency`, :func:`count_parameters`,
  :func:`count_flops`, :func:`robustness`, :func:`drift`;
* :func:`load_sla` reads an SLA file (a table of thresholds per deployment
  tier: ``device``, ``edge``, ``cloud``) and :func:`check_sla` checks a
  scorecard against one tier: pass/fail per indicator and overall
  (:func:`check_tiers`: against every tier of a file).

References
----------
The QoAIS indicator systems of "QoAIS assurance for 6G networks" (Huawei
Communicate 2024, Tables 1-2) and of "AI and Communication for 6G" (survey,
section 5.2, Table 3).
"""

from netal.qoais.card import scorecard
from netal.qoais.compute import (
    count_flops,
    count_parameters,
    inference_latency,
    one_torch_thread,
    prediction_call,
    torch_modules,
)
from netal.qoais.indicators import (
    BATCH_ROWS,
    INDICATORS,
    MISSING_SHARE,
    NOISE_LEVELS,
    NOMINAL_LEVELS,
    Indicator,
    indicator_unit,
)
from netal.qoais.measures import (
    accuracy,
    calibration,
    drift,
    has_intervals,
    interval_coverage,
    robustness,
)
from netal.qoais.sla import (
    FAIL,
    NOT_MEASURED,
    PASS,
    SLA,
    TIERS,
    Check,
    SLAResult,
    check_sla,
    check_tiers,
    load_sla,
    parse_sla,
)

__all__ = [
    "BATCH_ROWS",
    "FAIL",
    "INDICATORS",
    "MISSING_SHARE",
    "NOISE_LEVELS",
    "NOMINAL_LEVELS",
    "NOT_MEASURED",
    "PASS",
    "SLA",
    "TIERS",
    "Check",
    "Indicator",
    "SLAResult",
    "accuracy",
    "calibration",
    "check_sla",
    "check_tiers",
    "count_flops",
    "count_parameters",
    "drift",
    "has_intervals",
    "indicator_unit",
    "inference_latency",
    "interval_coverage",
    "load_sla",
    "one_torch_thread",
    "parse_sla",
    "prediction_call",
    "robustness",
    "scorecard",
    "torch_modules",
]
