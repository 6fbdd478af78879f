"""Uncertainty sampling for classification: the rows of largest predictive entropy."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.strategies._classification import (
    CLASSIFICATION,
    ClassificationTopK,
    class_scores_in_chunks,
)
from netal.strategies.base import STRATEGIES


@STRATEGIES.register("entropy")
class EntropySampling(ClassificationTopK):
    """Top-k entropy of the mean class probabilities.

    Shannon-entropy uncertainty sampling (Lewis and Gale, SIGIR 1994;
    Settles, "Active Learning Literature Survey", 2009): the score of a row is
    ``-sum_k p_k log p_k`` of the learner's (mean) probabilities, largest
    near the decision boundary.  It mixes epistemic and aleatoric uncertainty
    (compare ``bald_cls``).  Works with any classifier with ``predict_proba``.

    References
    ----------
    Lewis and Gale, "A Sequential Algorithm for Training Text Classifiers",
    SIGIR 1994; Settles 2009.
    """

    name = "entropy"
    task = CLASSIFICATION

    def _scores(self, learner: Any, pool: np.ndarray, labeled: np.ndarray) -> np.ndarray:
        return class_scores_in_chunks(learner, pool, self.name, lambda dist: dist.entropy)
