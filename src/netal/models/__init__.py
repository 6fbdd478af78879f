"""Learners with epistemic and aleatoric uncertainty."""

from netal.models.base import (
    Learner,
    PredictiveDistribution,
    SupportsEmbedding,
    SupportsState,
    SupportsWarmStart,
    UncertaintyRegressor,
)

__all__ = [
    "Learner",
    "PredictiveDistribution",
    "SupportsEmbedding",
    "SupportsState",
    "SupportsWarmStart",
    "UncertaintyRegressor",
]
