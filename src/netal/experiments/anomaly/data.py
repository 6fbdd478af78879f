"""The sutd5g anomaly task: rows, scenario split, the anomaly rate of pool and test.

sutd5g (``netal.data``, MANIFEST) is a 2 Hz walk test in four scenarios with
manual labels: ``lab_anom`` (any anomaly), and two kinds of it, ``lab_bs``
(black spot: coverage holes) and ``lab_inf`` (interference); any of them is the
target (:data:`ANOMALY_LABELS`).  Two quirks decide the protocol:

* consecutive rows are half a second apart, so a random row split puts near
  copies of test rows in training; the split is by scenario (train on three
  walk tests, test on the fourth);
* anomalies are *not* rare there: 36 % to 59 % of the rows per scenario are
  labeled anomalous (measured, see ``docs/anomaly.md``).  Anomaly detection
  assumes rare anomalies, so each seed keeps every normal row and a random
  subset of the anomalous ones such that they are ``anomaly_rate`` of the
  rows (the usual down-sampling of anomaly benchmarks); ``anomaly_rate=None``
  keeps the labels' own rate.

Rows with a missing radio feature (1.2 %) are left out.

On the twin (:func:`twin_split`) the normal rows are ordinary twin runs and the anomalies are
rare conditions the scenario generating function induces (own-body blockage, a crowd of
blockers; :func:`netal.twin.induce`), the test rows another run with other seeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from netal.data import load_dataset
from netal.data.sutd5g import SUTD_FEATURES, SUTD_SCENARIOS
from netal.errors import DataError, InvalidInputError
from netal.twin import generate
from netal.twin.induce import induce

LABEL = "lab_anom"
"""The default anomaly label of sutd5g (0 normal, 1 anomalous)."""

ANOMALY_LABELS: tuple[str, ...] = ("lab_anom", "lab_bs", "lab_inf")
"""The 0/1 anomaly labels of sutd5g: any anomaly, black spot, interference."""

TWIN = "twin"
"""The dataset name (and the one test scenario) of the twin's anomaly task."""

TWIN_FEATURES: tuple[str, ...] = ("lte_rsrp", "lte_rsrq", "lte_rssi", "movingSpeed", "Throughput")
"""What the twin's operator sees of a sample (no NR fields: NaN when not NR-connected)."""

TWIN_ANOMALIES: tuple[str, ...] = ("body_blockage", "crowd")
"""Induced rare conditions that are the twin's anomalies."""

TWIN_ROWS = 3000
"""Normal rows of the twin's pool (the test run has half as many)."""


@dataclass(frozen=True)
class AnomalySplit:
    """Pool (the analyst's unlabeled rows) and test rows of one scenario split."""

    X_pool: np.ndarray
    y_pool: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    features: tuple[str, ...]
    test_scenario: str


def check_binary_labels(labels: Any, source: str, column: str = LABEL) -> np.ndarray:
    """Labels as a 0/1 float array; anything else is one :class:`DataError` naming the value."""
    values = np.asarray(labels, dtype=np.float64)
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(source, f"anomaly label must be 0 or 1, got {values[row]:g}", column=column)
    return values


def check_label_name(label: str, parameter: str = "label") -> str:
    """``label`` if it is an anomaly label of sutd5g, else one line listing them."""
    if label not in ANOMALY_LABELS:
        raise InvalidInputError(
            parameter,
            f"sutd5g has no anomaly label {label!r}; its labels: {', '.join(ANOMALY_LABELS)}",
        )
    return label


def check_scenario(name: str, parameter: str = "test_scenarios") -> str:
    """``name`` if it is a sutd5g scenario, else one line listing them."""
    if name not in SUTD_SCENARIOS:
        raise InvalidInputError(parameter, f"has {name!r}, not one of {list(SUTD_SCENARIOS)}")
    return name


def load_frame(data_dir: str | None, label: str = LABEL, parameter: str = "label") -> pd.DataFrame:
    """The four scenarios of sutd5g, rows with every radio feature, the ``label`` column checked.

    A column the files lack, or one that is not 0/1 (``Label`` holds codes like 8 and 10),
    is one error line naming the column (and the file of the first bad value).
    """
    dataset = load_dataset("sutd5g", data_dir)
    if label not in dataset.frame.columns:
        check_label_name(label, parameter)
    frame = dataset.frame.dropna(subset=list(SUTD_FEATURES)).reset_index(drop=True)
    values = frame[label].to_numpy(dtype=np.float64)
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        scenario = frame["scenario"].iloc[int(np.flatnonzero(bad)[0])]
        check_binary_labels(values, f"sutd5g/{scenario}_Anomaly_label.csv", column=label)
    return frame


def check_splits(
    frame: pd.DataFrame, label: str, test_scenarios: Any, parameter: str = "test_scenarios"
) -> None:
    """Every split must have an anomaly in its test scenario and in its pool, else one line."""
    for scenario in test_scenarios:
        is_test = (frame["scenario"] == scenario).to_numpy()
        for part, mask in (("test scenario", is_test), ("pool (the other scenarios)", ~is_test)):
            if not (frame.loc[mask, label] == 1).any():
                raise InvalidInputError(
                    parameter,
                    f"the {part} of split {scenario} has no {label} = 1 row; "
                    "choose other test scenarios or another label",
                )


def downsample(y: np.ndarray, rate: float | None, rng: np.random.Generator) -> np.ndarray:
    """Row positions keeping every normal row and enough anomalies to make ``rate`` of the rows."""
    normal, anomalous = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    if rate is None or len(anomalous) / len(y) <= rate:
        return np.arange(len(y))
    keep = round(rate * len(normal) / (1 - rate))
    chosen = rng.choice(anomalous, size=max(keep, 1), replace=False)
    return np.sort(np.concatenate([normal, chosen]))


def scenario_split(
    frame: pd.DataFrame,
    test_scenario: str,
    anomaly_rate: float | None,
    seed: int,
    label: str = LABEL,
) -> AnomalySplit:
    """Pool = the other scenarios, test = ``test_scenario``, each down-sampled to ``anomaly_rate``."""
    check_scenario(test_scenario)
    rng = np.random.default_rng([seed, SUTD_SCENARIOS.index(test_scenario)])
    is_test = (frame["scenario"] == test_scenario).to_numpy()
    parts = []
    for mask in (~is_test, is_test):
        X = frame.loc[mask, list(SUTD_FEATURES)].to_numpy(dtype=np.float64)
        y = frame.loc[mask, label].to_numpy(dtype=np.float64)
        rows = downsample(y, anomaly_rate, rng)
        parts.append((X[rows], y[rows]))
    (X_pool, y_pool), (X_test, y_test) = parts
    return AnomalySplit(X_pool, y_pool, X_test, y_test, SUTD_FEATURES, test_scenario)


def twin_split(anomaly_rate: float | None, seed: int, rows: int = TWIN_ROWS) -> AnomalySplit:
    """Pool and test of the twin: ordinary runs plus induced rare conditions (``anomaly_rate``)."""
    rate = 0.05 if anomaly_rate is None else anomaly_rate
    parts = []
    for offset, n in ((0, rows), (100_003, rows // 2)):
        normal = generate(n, seed=seed + offset)
        per_kind = max(1, round(rate * n / (1 - rate) / len(TWIN_ANOMALIES)))
        anomalous = [
            induce(kind, per_kind, seed=seed + offset + k + 1).data
            for k, kind in enumerate(TWIN_ANOMALIES)
        ]
        frame = pd.concat([normal, *anomalous], ignore_index=True)
        y = np.r_[np.zeros(len(normal)), np.ones(len(frame) - len(normal))]
        parts.append((frame[list(TWIN_FEATURES)].to_numpy(dtype=np.float64), y))
    (X_pool, y_pool), (X_test, y_test) = parts
    return AnomalySplit(X_pool, y_pool, X_test, y_test, TWIN_FEATURES, TWIN)
