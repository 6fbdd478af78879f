"""Acquisition strategies, one private module each, found by name in :data:`STRATEGIES`."""

from netal.strategies import _random  # noqa: F401  (registers the strategy)
from netal.strategies._random import RandomSampling
from netal.strategies.base import STRATEGIES, Selection, Strategy, make_strategy

__all__ = ["STRATEGIES", "RandomSampling", "Selection", "Strategy", "make_strategy"]
