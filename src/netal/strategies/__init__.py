"""Acquisition strategies, one private module each, found by name in :data:`STRATEGIES`.

========================  ================================================================
name                      rule
========================  ================================================================
``random``                uniform sampling (passive baseline)
``max_variance``          top-k epistemic variance
``paper``                 the seed paper's trimmed top-k MC-dropout variance
``paper_notebook``        the same rule with the authors' notebook indexing (reproduction)
``qbc``                   query by committee: variance of the committee members
``bald``                  BALD, ``0.5 log(1 + epistemic / aleatoric)``
``coreset``               greedy k-center in embedding space
``kmeanspp``              BADGE-style k-means++ seeding on scaled embeddings
``lcmd``                  largest-cluster maximum-distance (Holzmueller et al. 2023)
``bait``                  BAIT: greedy posterior-trace minimization (Ash et al. 2021, bmdal-reg's form)
``hybrid``                variance pre-filter + diverse pick (Zhdanov 2019)
``cost_aware``            utility per unit cost under a budget, wrapping any of the above
``entropy``               classification: top-k predictive entropy (Lewis and Gale 1994)
``margin``                classification: smallest top-two probability margin (Scheffer et al. 2001)
``bald_cls``              classification: BALD mutual information (Houlsby et al. 2011)
``badge``                 classification: k-means++ on gradient embeddings (Ash et al. 2020)
``clue``                  uncertainty-weighted k-means in the embedding (Prabhu et al. 2021)
``auto``                  random below 256 labels or without embeddings, else LCMD (what the benches show)
========================  ================================================================
"""

from netal.strategies import (  # noqa: F401  (each import registers its strategy)
    _auto,
    _badge,
    _bait,
    _bald,
    _bald_classification,
    _clue,
    _coreset,
    _cost_aware,
    _entropy,
    _hybrid,
    _kmeanspp,
    _lcmd,
    _margin,
    _max_variance,
    _paper,
    _qbc,
    _random,
)
from netal.strategies._auto import AutoStrategy
from netal.strategies._badge import BADGE
from netal.strategies._bait import BAIT
from netal.strategies._bald import BALD
from netal.strategies._bald_classification import BALDClassification
from netal.strategies._clue import CLUE
from netal.strategies._coreset import CoreSet
from netal.strategies._cost_aware import CostAware
from netal.strategies._entropy import EntropySampling
from netal.strategies._hybrid import Hybrid
from netal.strategies._kmeanspp import KMeansPP
from netal.strategies._lcmd import LCMD
from netal.strategies._margin import MarginSampling
from netal.strategies._max_variance import MaxVariance
from netal.strategies._paper import PaperNotebookVariance, PaperVariance
from netal.strategies._qbc import QueryByCommittee
from netal.strategies._random import RandomSampling
from netal.strategies.base import (
    STRATEGIES,
    Selection,
    Strategy,
    SupportsScores,
    make_strategy,
    strategy_names,
)

__all__ = [
    "BADGE",
    "BAIT",
    "BALD",
    "CLUE",
    "LCMD",
    "STRATEGIES",
    "AutoStrategy",
    "BALDClassification",
    "CoreSet",
    "CostAware",
    "EntropySampling",
    "Hybrid",
    "KMeansPP",
    "MarginSampling",
    "MaxVariance",
    "PaperNotebookVariance",
    "PaperVariance",
    "QueryByCommittee",
    "RandomSampling",
    "Selection",
    "Strategy",
    "SupportsScores",
    "make_strategy",
    "strategy_names",
]
