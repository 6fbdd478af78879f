"""Learners with epistemic and aleatoric uncertainty.

Every learner follows the protocols of :mod:`netal.models.base`: ``fit``,
``predict(X, return_std=False)``, ``predict_dist``, ``partial_fit``,
``get_state``/``set_state`` and, for the neural networks, ``embed``.
Every learner is also a scikit-learn regressor (``RegressorMixin``,
``BaseEstimator``): ``score`` (R^2 of the mean), ``get_params``/``set_params``,
``clone``, ``n_features_in_`` after ``fit``, and the scikit-learn
``NotFittedError`` before it.  The classifiers derive ``ClassifierMixin``
instead and expose ``predict_proba`` and ``predict_proba_dist``
(:class:`ClassDistribution`; labels may be the engine's floats).
:data:`LEARNERS` maps configuration names to the classes:

==============================  ======================================================================
``mc_dropout_mlp``              :class:`MCDropoutMLP` (Gal and Ghahramani 2016)
``deep_ensemble``               :class:`DeepEnsemble` (Lakshminarayanan et al. 2017)
``bagging_committee``           :class:`BaggingCommittee` (Seung et al. 1992; Burbidge et al. 2007)
``boosted_ensemble``            :class:`BoostedEnsemble` (LightGBM, Ke et al. 2017, bagged; Breiman 1996)
``tabm``                        :class:`TabMRegressor` (Gorishniy et al. 2025)
``laplace_mlp``                 :class:`LaplaceMLP` (last-layer Laplace, Daxberger et al. 2021)
``seq2seq_mc_dropout``          :class:`Seq2SeqMCDropout` (the seed paper's case-study model)
``mc_dropout_classifier``       :class:`MCDropoutClassifier` (Gal and Ghahramani 2016; classification)
``deep_ensemble_classifier``    :class:`DeepEnsembleClassifier` (Lakshminarayanan et al. 2017; classification)
``bagged_trees``                :class:`BaggedTreesClassifier` (Breiman 1996, 2001; classification)
``mc_dropout_forecaster``       :class:`MCDropoutForecaster` (MC dropout, lag masking; forecasting)
==============================  ======================================================================

:mod:`netal.models.seeding` (public) derives the seeds of networks and their
generators; the generators of :mod:`netal.synthesis` use it too.
"""

from netal.models._registry import LEARNERS, make_learner
from netal.models._scaling import Standardizer
from netal.models.bagged_trees import BaggedTreesClassifier
from netal.models.base import (
    ClassDistribution,
    Learner,
    PredictiveDistribution,
    ProbabilisticClassifier,
    SupportsEmbedding,
    SupportsState,
    SupportsWarmStart,
    UncertaintyClassifier,
    UncertaintyRegressor,
)
from netal.models.boosted_ensemble import BoostedEnsemble
from netal.models.committee import BaggingCommittee
from netal.models.ensemble import DeepEnsemble
from netal.models.ensemble_classifier import DeepEnsembleClassifier
from netal.models.forecaster import MCDropoutForecaster
from netal.models.laplace_mlp import LaplaceMLP
from netal.models.mlp import MCDropoutMLP
from netal.models.mlp_classifier import MCDropoutClassifier
from netal.models.seq2seq import Seq2SeqMCDropout
from netal.models.tabm_learner import TabMRegressor
from netal.models.wrappers import FixedValidation, RecentWindow

__all__ = [
    "LEARNERS",
    "BaggedTreesClassifier",
    "BaggingCommittee",
    "BoostedEnsemble",
    "ClassDistribution",
    "DeepEnsemble",
    "DeepEnsembleClassifier",
    "FixedValidation",
    "LaplaceMLP",
    "Learner",
    "MCDropoutClassifier",
    "MCDropoutForecaster",
    "MCDropoutMLP",
    "PredictiveDistribution",
    "ProbabilisticClassifier",
    "RecentWindow",
    "Seq2SeqMCDropout",
    "Standardizer",
    "SupportsEmbedding",
    "SupportsState",
    "SupportsWarmStart",
    "TabMRegressor",
    "UncertaintyClassifier",
    "UncertaintyRegressor",
    "make_learner",
]
