"""Anomaly detection with an analyst in the loop on sutd5g (issue 16; the seed paper's section VI.B).

PyOD detectors as the cold start (:mod:`.detectors`), active anomaly discovery re-weighting
them (:mod:`.aad`, Das et al., ICDM 2016) and netal's classification strategies on a
classifier through the engine (:mod:`.arms`), compared by scenario split (:mod:`.data`) in a
resumable study (:mod:`.study`, ``netal anomaly``).
"""

from netal.experiments.anomaly.aad import ActiveAnomalyDiscovery
from netal.experiments.anomaly.data import check_binary_labels, scenario_split
from netal.experiments.anomaly.detectors import DETECTORS, detector_scores
from netal.experiments.anomaly.outputs import AnomalyOutcome
from netal.experiments.anomaly.study import AnomalyStudy, run_anomaly_experiment

__all__ = [
    "DETECTORS",
    "ActiveAnomalyDiscovery",
    "AnomalyOutcome",
    "AnomalyStudy",
    "check_binary_labels",
    "detector_scores",
    "run_anomaly_experiment",
    "scenario_split",
]
