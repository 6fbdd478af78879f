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
``hybrid``                variance pre-filter + diverse pick (Zhdanov 2019)
``cost_aware``            utility per unit cost under a budget, wrapping any of the above
``clue``                  uncertainty-weighted k-means in the embedding (Prabhu et al. 2021)
========================  ================================================================
"""

from netal.strategies import (  # noqa: F401  (each import registers its strategy)
    _bald,
    _clue,
    _coreset,
    _cost_aware,
    _hybrid,
    _kmeanspp,
    _lcmd,
    _max_variance,
    _paper,
    _qbc,
    _random,
)
from netal.strategies._bald import BALD
from netal.strategies._clue import CLUE
from netal.strategies._coreset import CoreSet
from netal.strategies._cost_aware import CostAware
from netal.strategies._hybrid import Hybrid
from netal.strategies._kmeanspp import KMeansPP
from netal.strategies._lcmd import LCMD
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
)

__all__ = [
    "BALD",
    "CLUE",
    "LCMD",
    "STRATEGIES",
    "CoreSet",
    "CostAware",
    "Hybrid",
    "KMeansPP",
    "MaxVariance",
    "PaperNotebookVariance",
    "PaperVariance",
    "QueryByCommittee",
    "RandomSampling",
    "Selection",
    "Strategy",
    "SupportsScores",
    "make_strategy",
]
