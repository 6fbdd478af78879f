"""Learners with epistemic and aleatoric uncertainty.

Every learner follows the protocols of :mod:`netal.models.base`: ``fit``,
``predict(X, return_std=False)``, ``predict_dist``, ``partial_fit``,
``get_state``/``set_state`` and, for the neural networks, ``embed``.
Every learner is also a scikit-learn regressor (``RegressorMixin``,
``BaseEstimator``): ``score`` (R^2 of the mean), ``get_params``/``set_params``,
``clone``, ``n_features_in_`` after ``fit``, and the scikit-learn
``NotFittedError`` before it.  A classification learner would derive
``ClassifierMixin`` instead (none is registered yet).
:data:`LEARNERS` maps configuration names to the classes:

=======================  ===============================================
``mc_dropout_mlp``       :class:`MCDropoutMLP` (Gal and Ghahramani 2016)
``deep_ensemble``        :class:`DeepEnsemble` (Lakshminarayanan et al. 2017)
``bagging_committee``    :class:`BaggingCommittee` (Seung et al. 1992; Burbidge et al. 2007)
``seq2seq_mc_dropout``   :class:`Seq2SeqMCDropout` (the seed paper's case-study model)
=======================  ===============================================

:mod:`netal.models.seeding` (public) derives the seeds of networks and their
generators; the generators of :mod:`netal.synthesis` use it too.
"""

from netal.models._registry import LEARNERS, make_learner
from netal.models._scaling import Standardizer
from netal.models.base import (
    Learner,
    PredictiveDistribution,
    SupportsEmbedding,
    SupportsState,
    SupportsWarmStart,
    UncertaintyRegressor,
)
from netal.models.committee import BaggingCommittee
from netal.models.ensemble import DeepEnsemble
from netal.models.mlp import MCDropoutMLP
from netal.models.seq2seq import Seq2SeqMCDropout
from netal.models.wrappers import FixedValidation, RecentWindow

__all__ = [
    "LEARNERS",
    "BaggingCommittee",
    "DeepEnsemble",
    "FixedValidation",
    "Learner",
    "MCDropoutMLP",
    "PredictiveDistribution",
    "RecentWindow",
    "Seq2SeqMCDropout",
    "Standardizer",
    "SupportsEmbedding",
    "SupportsState",
    "SupportsWarmStart",
    "UncertaintyRegressor",
    "make_learner",
]
