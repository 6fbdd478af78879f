"""Margin sampling: the rows whose two most probable classes are closest."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.models.base import ClassDistribution
from netal.strategies._classification import (
    CLASSIFICATION,
    ClassificationTopK,
    class_scores_in_chunks,
)
from netal.strategies.base import STRATEGIES


@STRATEGIES.register("margin")
class MarginSampling(ClassificationTopK):
    """Top-k ``1 - (p_(1) - p_(2))``: the smallest margin between the two likeliest classes.

    Margin sampling (Scheffer, Decomain and Wrobel, "Active Hidden Markov
    Models for Information Extraction", IDA 2001).  For two classes it ranks
    exactly like entropy; with more classes it looks at the top two only.
    Works with any classifier with ``predict_proba``.

    References
    ----------
    Scheffer, Decomain and Wrobel, IDA 2001; Settles 2009.
    """

    name = "margin"
    task = CLASSIFICATION

    def _scores(self, learner: Any, pool: np.ndarray, labeled: np.ndarray) -> np.ndarray:
        return class_scores_in_chunks(learner, pool, self.name, _one_minus_margin)


def _one_minus_margin(dist: ClassDistribution) -> np.ndarray:
    proba = np.asarray(dist.proba, dtype=np.float64)
    if proba.shape[1] < 2:
        return np.zeros(len(proba))
    top = np.sort(proba, axis=1)[:, -2:]
    return 1.0 - (top[:, 1] - top[:, 0])
