"""One arm of the anomaly study on one scenario split and seed: who picks the analyst's queries.

* ``random``: queries uniformly at random (the passive analyst), from the first label on;
* ``detector``: the top of the unweighted PyOD ensemble, never re-weighted (cold start only);
* ``aad``: active anomaly discovery (:mod:`~netal.experiments.anomaly.aad`): the top of the
  ensemble, re-weighted after every batch of answers;
* any classification strategy of :data:`netal.strategies.STRATEGIES` (``entropy``,
  ``margin``, ``bald_cls``, ``badge``, ``coreset``): the ensemble's top rows as the cold
  start, then the strategy on the classifier, run by the engine
  (:class:`netal.loop.ActiveLearningLoop`) unchanged, with its knowledge base in the
  study's folder (``OUT/kb/<cell key>.sqlite``): a cell killed mid-curve resumes from its
  last model version.  The first three stay outside the engine: their picks need no
  classifier (a ranking fixed up front, or AAD's own weights), and a cell of them takes
  seconds.

Every arm gets the same number of labels (the cold start included), and at every checkpoint
the same classifier (``learner``, trained on the labels so far) is tested on the held-out
scenario, so arms differ only in which rows were labeled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal.experiments.anomaly.aad import ActiveAnomalyDiscovery
from netal.experiments.anomaly.data import AnomalySplit
from netal.experiments.anomaly.detectors import DetectorScores
from netal.experiments.anomaly.metrics import (
    AnomalyMetrics,
    anomaly_probability,
    classification_scores,
    score_pr_auc,
)
from netal.harness.progress import report
from netal.loop import ActiveLearningLoop, Budget, ReplayOracle
from netal.models import make_learner

DETECTOR_ARMS = ("random", "detector", "aad")
"""Arms run outside the engine (their picks need no classifier)."""


@dataclass(frozen=True)
class ArmSettings:
    """What every arm of a cell shares."""

    learner: str
    learner_params: dict[str, Any]
    n_initial: int
    batch_size: int
    budget: int
    tau: float
    lam: float

    def make_learner(self, seed: int) -> Any:
        """The classifier every arm trains (classes fixed to 0/1: the first labels may all be normal)."""
        return make_learner(
            self.learner, **{"classes": (0, 1), "random_state": seed, **self.learner_params}
        )

    def checkpoints(self) -> list[int]:
        """Label counts at which the arms are evaluated: the cold start, then every batch."""
        return list(range(self.n_initial, self.budget + 1, self.batch_size))


def classifier_features(
    split: AnomalySplit, scores: DetectorScores
) -> tuple[np.ndarray, np.ndarray]:
    """Radio features plus each detector's score: what the classifier sees, pool and test."""
    return (
        np.hstack([split.X_pool, scores.per_detector()]),
        np.hstack([split.X_test, scores.per_detector(test=True)]),
    )


def _evaluate(
    settings: ArmSettings, order: np.ndarray, split: AnomalySplit, features: Any, seed: int
) -> list[dict[str, float]]:
    """Train the classifier on the first ``n`` picks at every checkpoint; test it."""
    F_pool, F_test = features
    rows = []
    for step, n in enumerate(settings.checkpoints()):
        report(step, len(settings.checkpoints()), "checkpoints")
        labeled = order[:n]
        learner = settings.make_learner(seed).fit(F_pool[labeled], split.y_pool[labeled])
        scores = classification_scores(split.y_test, anomaly_probability(learner, F_test))
        rows.append({"iteration": step, "n_labels": n, **scores})
    return rows


def run_detector_arm(
    arm: str,
    settings: ArmSettings,
    split: AnomalySplit,
    scores: DetectorScores,
    seed: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``random``, ``detector`` or ``aad``: the order of the queries, then the checkpoints."""
    n_pool, budget = len(split.y_pool), settings.budget
    test_score: list[float] = []
    if arm == "random":
        order = rng.permutation(n_pool)[:budget]
    elif arm == "detector":
        order = np.argsort(-scores.ensemble(), kind="stable")[:budget]
        test_score = [score_pr_auc(split.y_test, scores.ensemble(test=True))] * len(
            settings.checkpoints()
        )
    else:
        aad = ActiveAnomalyDiscovery(
            scores.pool, scores.prior_weights(), settings.tau, settings.lam
        )
        order = aad.next_queries(np.zeros(0, dtype=np.int64), settings.n_initial)
        for n in settings.checkpoints():
            aad.update(order, split.y_pool[order])
            test_score.append(score_pr_auc(split.y_test, aad.scores(scores.test)))
            if n < budget:
                picks = aad.next_queries(order, min(settings.batch_size, budget - n))
                order = np.concatenate([order, picks])
    rows = _evaluate(settings, order, split, classifier_features(split, scores), seed)
    frame = pd.DataFrame(rows)
    frame["score_pr_auc"] = test_score or np.nan
    return frame.assign(found=[split.y_pool[order[:n]].sum() for n in frame["n_labels"]]), order


def run_engine_arm(
    strategy: str,
    settings: ArmSettings,
    split: AnomalySplit,
    scores: DetectorScores,
    seed: int,
    knowledge_base: str | Path | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """A netal strategy on the classifier, on the engine, from the ensemble's top rows.

    With ``knowledge_base`` (a SQLite path) the engine records every query, label and
    model version there and a rerun continues from it (the same curve as an uninterrupted run).
    """
    F_pool, F_test = classifier_features(split, scores)
    initial = np.argsort(-scores.ensemble(), kind="stable")[: settings.n_initial]
    if knowledge_base is not None:
        Path(knowledge_base).parent.mkdir(parents=True, exist_ok=True)
    loop = ActiveLearningLoop(
        F_pool,
        ReplayOracle(split.y_pool),
        settings.make_learner,
        strategy,
        initial_ids=initial,
        batch_size=settings.batch_size,
        budget=Budget(labels=settings.budget - settings.n_initial),
        callbacks=[AnomalyMetrics(F_test, split.y_test)],
        seed=seed,
        knowledge_base=knowledge_base,
    )
    try:
        result = loop.run()
    finally:
        loop.knowledge_base.close()
    metrics = result.metrics
    frame = pd.DataFrame(
        {
            "iteration": np.arange(len(metrics)),
            "n_labels": metrics["n_labeled"].to_numpy(dtype=np.int64),
            "f1": metrics["f1"].to_numpy(),
            "pr_auc": metrics["pr_auc"].to_numpy(),
            "score_pr_auc": np.nan,
            "found": metrics["found"].to_numpy(),
        }
    )
    return frame, np.asarray(result.labeled_ids, dtype=np.int64)
