"""The ``netal search`` study: multi-objective architecture search per deployment tier (issue 15)."""

from netal.experiments.search.settings import SearchSettings, load_search
from netal.experiments.search.study import SearchOutcome, SearchStudy, run_search_experiment

__all__ = ["SearchOutcome", "SearchSettings", "SearchStudy", "load_search", "run_search_experiment"]
