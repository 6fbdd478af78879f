"""Analyze: drift on the error stream (river), drift of the inputs (frouros), epistemic uncertainty.

Three signals, each from a well-kept library or the learner itself:

* **error drift** -- the deployed model's residuals (label minus prediction)
  on the spot-checked samples, divided by their root mean square over the
  model's first ``calibration_errors`` spot checks (so thresholds mean the same
  on every dataset), feed a river detector: a change of the network shows as
  a bias of the residuals (e.g. a cell goes down: the model over-predicts) or
  a wider spread
  (:class:`river.drift.ADWIN`, Bifet & Gavalda 2007; :class:`~river.drift.PageHinkley`,
  Page 1954; :class:`~river.drift.KSWIN`, Raab et al. 2020), registered in
  :data:`ERROR_DETECTORS`;
* **input drift** -- each period's features against the deployed model's
  training inputs, with frouros' two-sample Kolmogorov-Smirnov test per feature
  (Bonferroni-corrected) or its MMD with a permutation test (Gretton et al.
  2012), registered in :data:`FEATURE_DETECTORS`;
* **uncertainty** -- the deployed learner's mean epistemic standard deviation
  on the period's inputs against its median over the first periods it served
  (known unknowns: the seed paper, sec. III; its own training inputs would be
  a biased reference, the model is surer there).

:class:`Analyzer` runs them for one period and returns an :class:`Analysis`
with the alarms it raised.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from river import drift

from netal.errors import InvalidInputError
from netal.mapek._frouros import MMD, KSTest, PermutationTestDistanceBased
from netal.registry import Registry


class ErrorDriftDetector(Protocol):
    """Watches a stream of scaled errors; says when its distribution changed."""

    name: str

    def update(self, values: np.ndarray) -> bool:
        """Feed values in order; True if a change was detected among them."""
        ...


class RiverDetector:
    """A river drift detector fed value by value (re-created by :meth:`reset`).

    Parameters
    ----------
    name
        Registered name.
    make
        ``() -> river detector`` with ``update(x)`` and ``drift_detected``.
    """

    def __init__(self, name: str, make: Callable[[], Any]) -> None:
        self.name = name
        self._make = make
        self._detector = make()

    def update(self, values: np.ndarray) -> bool:
        fired = False
        for value in np.asarray(values, dtype=np.float64):
            self._detector.update(float(value))
            fired = fired or bool(self._detector.drift_detected)
        return fired

    def reset(self) -> None:
        """Forget everything seen (after the model it watched was replaced)."""
        self._detector = self._make()


ERROR_DETECTORS: Registry[RiverDetector] = Registry("error detector")
"""Detectors of the error stream: ``adwin``, ``page_hinkley``, ``kswin``."""


@ERROR_DETECTORS.register("adwin")
def adwin(delta: float = 0.002, seed: int = 0) -> RiverDetector:
    """ADWIN (Bifet & Gavalda, SDM 2007): adaptive windows, change in the mean."""
    return RiverDetector("adwin", lambda: drift.ADWIN(delta=delta))


@ERROR_DETECTORS.register("page_hinkley")
def page_hinkley(threshold: float = 20.0, delta: float = 0.3, seed: int = 0) -> RiverDetector:
    """Page-Hinkley (Page, Biometrika 1954): cumulative deviation from the running mean, both ways.

    On standardized residuals, threshold 20 and delta 0.3 kept 40 of 40
    stationary streams of 1,500 values quiet and caught 40 of 40 biases of
    0.7 standard deviations (median delay 42 values).
    """
    return RiverDetector(
        "page_hinkley",
        lambda: drift.PageHinkley(min_instances=20, delta=delta, threshold=threshold, mode="both"),
    )


@ERROR_DETECTORS.register("kswin")
def kswin(alpha: float = 1e-5, seed: int = 0) -> RiverDetector:
    """KSWIN (Raab et al., Neurocomputing 2020): KS test of a sliding window.

    It tests at every value, so ``alpha`` is far below the usual 0.005: with a
    300-value window (100 recent), 1e-5 kept 40 of 40 stationary streams of
    1,500 standardized residuals quiet and caught 35 of 40 biases of 0.7
    standard deviations (median delay 88 values).
    """
    return RiverDetector(
        "kswin", lambda: drift.KSWIN(alpha=alpha, window_size=300, stat_size=100, seed=seed)
    )


class FeatureDriftDetector(Protocol):
    """Compares a period's inputs with reference inputs."""

    name: str

    def fit(self, reference: np.ndarray) -> None: ...

    def p_value(self, X: np.ndarray) -> float: ...


class KSPerFeature:
    """Two-sample KS test per feature (frouros), Bonferroni-corrected minimum p-value."""

    name = "ks"

    def __init__(self, seed: int = 0) -> None:
        self._detectors: list[tuple[int, KSTest]] = []

    def fit(self, reference: np.ndarray) -> None:
        self._detectors = []
        for column in range(reference.shape[1]):
            values = reference[:, column]
            if np.ptp(values) == 0:  # constant in the reference: KS is undefined, skip
                continue
            detector = KSTest()
            detector.fit(X=values)
            self._detectors.append((column, detector))

    def p_value(self, X: np.ndarray) -> float:
        if not self._detectors or len(X) < 2:
            return 1.0
        with warnings.catch_warnings():  # scipy's note that it used the asymptotic distribution
            warnings.simplefilter("ignore", RuntimeWarning)
            p = min(float(d.compare(X=X[:, c])[0].p_value) for c, d in self._detectors)
        return min(1.0, p * len(self._detectors))


class MMDPermutation:
    """Maximum mean discrepancy (frouros, RBF kernel) with a permutation test."""

    name = "mmd"

    def __init__(self, seed: int = 0, permutations: int = 200) -> None:
        self.seed = seed
        self.permutations = permutations
        self._detector: MMD | None = None
        self._scale: tuple[np.ndarray, np.ndarray] | None = None

    def fit(self, reference: np.ndarray) -> None:
        mean, std = reference.mean(axis=0), reference.std(axis=0)
        self._scale = (mean, np.where(std > 0, std, 1.0))
        self._detector = MMD(
            callbacks=[
                PermutationTestDistanceBased(
                    num_permutations=self.permutations, random_state=self.seed, num_jobs=1
                )
            ]
        )
        self._detector.fit(X=(reference - mean) / self._scale[1])

    def p_value(self, X: np.ndarray) -> float:
        if self._detector is None or self._scale is None or len(X) < 2:
            return 1.0
        _, logs = self._detector.compare(X=(X - self._scale[0]) / self._scale[1])
        return float(logs["PermutationTestDistanceBased"]["p_value"])


FEATURE_DETECTORS: Registry[FeatureDriftDetector] = Registry("feature detector")
"""Detectors of input drift: ``ks`` (per feature, Bonferroni) and ``mmd``."""
FEATURE_DETECTORS.register("ks")(KSPerFeature)
FEATURE_DETECTORS.register("mmd")(MMDPermutation)


@dataclass(frozen=True)
class Alarm:
    """A signal that crossed its threshold in a period."""

    source: str
    """``"error"``, ``"features"`` or ``"uncertainty"``."""
    name: str
    """The detector's name."""
    value: float
    """p-value (features), uncertainty ratio, or mean absolute spot-check error of the period."""


@dataclass(frozen=True)
class Analysis:
    """What one period's analysis found."""

    alarms: tuple[Alarm, ...] = ()
    spot_error: float = float("nan")
    """Mean absolute error of the deployed model on the period's spot checks."""
    feature_p: float = 1.0
    uncertainty_ratio: float = float("nan")
    details: dict[str, float] = field(default_factory=dict)

    @property
    def drift(self) -> bool:
        """Whether any signal raised an alarm."""
        return bool(self.alarms)


@dataclass(frozen=True)
class AnalyzeConfig:
    """Which detectors and thresholds the analysis uses.

    Parameters
    ----------
    error_detectors
        Names in :data:`ERROR_DETECTORS` (empty: no error-stream detection).
    feature_detector
        Name in :data:`FEATURE_DETECTORS`, or ``None``.
    feature_alpha
        Significance level of the input-drift test per period.
    feature_margin
        The input test also needs ``-log10 p`` to exceed its largest value in
        the ``reference_periods`` periods after the reference was set by this
        many (orders of magnitude): real logs are autocorrelated, so a period
        never looks like a random draw of the reference and the bare test
        would alarm every period; the margin asks for more evidence than the
        quiet periods gave.  On exchangeable data those periods give
        ``-log10 p`` near 0 and ``feature_alpha`` decides.
    uncertainty_ratio
        Alarm when the period's mean epistemic std exceeds this multiple of
        its median over the deployed model's first ``reference_periods``
        periods (``None``: off).
    reference_periods
        Periods after each deployment (or alarm) that set the input-evidence
        and uncertainty references.
    calibration_errors
        Spot-check residuals of a newly deployed model that set its error
        scale before the error detectors start.
    min_rows
        Periods with fewer rows are not tested for input drift.
    """

    error_detectors: tuple[str, ...] = ("adwin", "page_hinkley")
    feature_detector: str | None = "ks"
    feature_alpha: float = 0.001
    feature_margin: float = 2.0
    uncertainty_ratio: float | None = 1.5
    reference_periods: int = 3
    calibration_errors: int = 15
    min_rows: int = 20

    def __post_init__(self) -> None:
        for name in self.error_detectors:
            ERROR_DETECTORS.get(name)
        if self.feature_detector is not None:
            FEATURE_DETECTORS.get(self.feature_detector)
        if not 0.0 < self.feature_alpha < 1.0:
            raise InvalidInputError(
                "feature_alpha", f"must lie in (0, 1), got {self.feature_alpha}"
            )
        if not (math.isfinite(self.feature_margin) and self.feature_margin >= 0):
            raise InvalidInputError(
                "feature_margin", f"must be a finite number >= 0, got {self.feature_margin}"
            )
        if self.uncertainty_ratio is not None and not self.uncertainty_ratio > 1.0:
            raise InvalidInputError(
                "uncertainty_ratio", f"must be > 1 (or absent), got {self.uncertainty_ratio}"
            )


def epistemic_std(dist: Any) -> float:
    """Mean over rows of a predictive distribution's epistemic standard deviation (NaN for no rows)."""
    var = np.asarray(dist.epistemic_var, dtype=np.float64)
    if len(var) == 0:
        return float("nan")
    var = var.reshape(len(var), -1).mean(axis=1)
    return float(np.sqrt(np.maximum(var, 0.0)).mean())


def mean_epistemic_std(learner: Any, X: np.ndarray) -> float:
    """Mean over rows of the learner's epistemic standard deviation."""
    if len(X) == 0:
        return float("nan")
    return epistemic_std(learner.predict_dist(X))


class Analyzer:
    """Runs the configured detectors period by period for the deployed model.

    Parameters
    ----------
    config
        Detectors and thresholds.
    seed
        Seed of detectors with randomness (KSWIN, permutation tests).
    """

    def __init__(self, config: AnalyzeConfig, seed: int = 0) -> None:
        self.config = config
        self.error_detectors = [
            ERROR_DETECTORS.create(n, seed=seed) for n in config.error_detectors
        ]
        self.feature_detector = (
            FEATURE_DETECTORS.create(config.feature_detector, seed=seed)
            if config.feature_detector is not None
            else None
        )
        self.error_scale: float | None = None
        self.calibration: list[float] = []
        self.uncertainties: list[float] = []
        self.feature_evidence: list[float] = []

    def deploy(self, X_train: np.ndarray) -> None:
        """Start watching a newly deployed model (its training inputs are the input reference)."""
        for detector in self.error_detectors:
            detector.reset()
        if self.feature_detector is not None:
            self.feature_detector.fit(X_train)
        self.error_scale = None
        self.calibration = []
        self.uncertainties = []
        self.feature_evidence = []

    def _feed_residuals(self, residuals: np.ndarray) -> list[str]:
        """Standardize and feed residuals (after calibration); names of the detectors that fired."""
        if self.error_scale is None:
            self.calibration.extend(float(e) for e in residuals)
            if len(self.calibration) < self.config.calibration_errors:
                return []
            rms = float(np.sqrt(np.mean(np.square(self.calibration))))
            self.error_scale = rms if rms > 0 else 1.0
            residuals = np.asarray(self.calibration)
        scaled = np.asarray(residuals, dtype=np.float64) / self.error_scale
        return [d.name for d in self.error_detectors if len(scaled) and d.update(scaled)]

    def _inputs_changed(self, p: float) -> bool:
        """Record the period's input evidence; whether it exceeds the quiet periods' by the margin."""
        evidence = -math.log10(max(p, 1e-300))
        quiet = self.feature_evidence[: self.config.reference_periods]
        self.feature_evidence.append(evidence)
        if len(quiet) < self.config.reference_periods:
            return False
        return p < self.config.feature_alpha and evidence > max(quiet) + self.config.feature_margin

    @property
    def reference_uncertainty(self) -> float:
        """Median uncertainty of the deployed model's first periods (NaN until there are enough)."""
        first = [u for u in self.uncertainties[: self.config.reference_periods] if np.isfinite(u)]
        if len(first) < self.config.reference_periods:
            return float("nan")
        return float(np.median(first))

    def analyze(self, residuals: np.ndarray, X_period: np.ndarray, uncertainty: float) -> Analysis:
        """One period: its spot-check residuals, its inputs and the model's uncertainty on them.

        A signal that raised an alarm takes the new state as its reference (the
        input test is refitted on the period's inputs, the uncertainty
        reference restarts; river's error detectors adapt on their own), so a
        lasting change is reported once, not every period until the next
        deployment.  Deterministic: a resumed run feeds finished periods again.
        """
        alarms: list[Alarm] = []
        residuals = np.asarray(residuals, dtype=np.float64)
        spot = float(np.abs(residuals).mean()) if len(residuals) else float("nan")
        for name in self._feed_residuals(residuals):
            alarms.append(Alarm("error", name, spot))
        p = 1.0
        if self.feature_detector is not None and len(X_period) >= self.config.min_rows:
            p = self.feature_detector.p_value(X_period)
            if self._inputs_changed(p):
                alarms.append(Alarm("features", self.feature_detector.name, p))
                self.feature_detector.fit(X_period)  # the new inputs are the reference now
                self.feature_evidence = []
        reference = self.reference_uncertainty
        self.uncertainties.append(float(uncertainty))
        ratio = uncertainty / reference if reference > 0 else np.nan
        limit = self.config.uncertainty_ratio
        if limit is not None and np.isfinite(ratio) and ratio > limit:
            alarms.append(Alarm("uncertainty", "epistemic_std", float(ratio)))
            self.uncertainties = []  # the next periods set a new reference
        return Analysis(tuple(alarms), spot, p, float(ratio))
