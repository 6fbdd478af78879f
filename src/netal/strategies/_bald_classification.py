"""BALD for classification: mutual information between the label and the model."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.strategies._classification import (
    CLASSIFICATION,
    ClassificationTopK,
    class_scores_in_chunks,
)
from netal.strategies.base import STRATEGIES


@STRATEGIES.register("bald_cls")
class BALDClassification(ClassificationTopK):
    """Top-k mutual information ``I[y; theta | x] = H[E p] - E H[p]`` over passes or members.

    Bayesian Active Learning by Disagreement (Houlsby, Huszar, Ghahramani and
    Lengyel, "Bayesian Active Learning for Classification and Preference
    Learning", 2011) with MC-dropout passes or ensemble members as posterior
    samples (Gal, Islam and Ghahramani, "Deep Bayesian Active Learning with
    Image Data", ICML 2017).  Unlike ``entropy`` it ignores rows that every
    model finds ambiguous (label noise, aleatoric) and prefers rows the models
    disagree on (epistemic).  Needs ``predict_proba_dist`` with samples
    (:class:`~netal.models.base.UncertaintyClassifier`).  The regression
    counterpart is ``bald``.

    References
    ----------
    Houlsby et al. 2011 (arXiv:1112.5745); Gal et al., ICML 2017.
    """

    name = "bald_cls"
    task = CLASSIFICATION

    def _scores(self, learner: Any, pool: np.ndarray, labeled: np.ndarray) -> np.ndarray:
        return class_scores_in_chunks(
            learner, pool, self.name, lambda dist: dist.mutual_information, samples=True
        )
