"""Anomaly metrics: F1 and PR-AUC against labels, discovery of the queries, a classifier callback.

PR-AUC is the average precision of the anomaly probability (scikit-learn's
``average_precision_score``, the step-wise area under the precision-recall
curve; Davis and Goadrich, ICML 2006); F1 is that of the predicted class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, f1_score

from netal.loop import IterationContext


def anomaly_probability(learner: Any, X: np.ndarray) -> np.ndarray:
    """The classifier's probability of class 1 (zero when it knows only class 0)."""
    proba = np.asarray(learner.predict_proba(X), dtype=np.float64)
    classes = np.asarray(learner.classes_, dtype=np.float64)
    if 1.0 not in classes:
        return np.zeros(len(X))
    return proba[:, int(np.flatnonzero(classes == 1.0)[0])]


def classification_scores(y: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """``f1`` (threshold 0.5) and ``pr_auc`` of an anomaly probability against 0/1 labels."""
    predicted = (probability >= 0.5).astype(np.float64)
    return {
        "f1": float(f1_score(y, predicted, zero_division=0.0)),
        "pr_auc": float(average_precision_score(y, probability)) if y.any() else float("nan"),
    }


def score_pr_auc(y: np.ndarray, scores: np.ndarray) -> float:
    """PR-AUC of an unbounded anomaly score (higher = more anomalous)."""
    return float(average_precision_score(y, scores)) if y.any() else float("nan")


class AnomalyMetrics:
    """Engine callback: test F1 and PR-AUC of the learner, anomalies among the labels so far.

    Parameters
    ----------
    X_test, y_test
        Held-out rows (another scenario) and their 0/1 labels.
    """

    def __init__(self, X_test: np.ndarray, y_test: np.ndarray) -> None:
        self.X_test = X_test
        self.y_test = y_test

    def on_iteration_end(self, context: IterationContext) -> Mapping[str, float]:
        """Metrics of the model version trained on ``context``'s labels."""
        scores = classification_scores(
            self.y_test, anomaly_probability(context.learner, self.X_test)
        )
        return {**scores, "found": float(np.sum(context.y_labeled == 1))}
