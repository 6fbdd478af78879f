"""Multi-objective architecture search over netal learners (Optuna): error, size and latency per deployment tier.

* :mod:`netal.search.space`: the model families (:data:`FAMILIES`: MC-dropout
  MLP, deep ensemble) and the ranges a trial samples (:class:`SearchSpace`);
* :mod:`netal.search.tiers`: deployment tiers (device, edge, cloud) and their
  limits on size and latency (:class:`Tier`);
* size and latency are measured by :mod:`netal.qoais` (``count_parameters``,
  ``inference_latency``: the deployment call, one torch thread, p50/p99);
* :mod:`netal.search.run`: one tier's Optuna study (NSGA-II, multi-objective
  TPE, random, grid; the tier's limits as ``constraints_func``; first-stage
  pruning; SQLite storage so a killed search resumes);
* :mod:`netal.search.pareto`: the Pareto front, its hypervolume at a fixed
  reference point and the chosen model per tier.

Example
-------
>>> from netal.search import DEFAULT_TIERS, SearchConfig, SearchData, SearchSpace  # doctest: +SKIP
>>> study = run_tier_search(SearchData(X, y, X_val, y_val), SearchSpace(), DEFAULT_TIERS["edge"],
...                         SearchConfig(trials=30), seed=0, storage=storage_url("s.sqlite"),
...                         study_name="edge")  # doctest: +SKIP
"""

from netal.search.pareto import (
    OBJECTIVES,
    REFERENCE_POINT,
    choose_per_tier,
    hypervolume,
    non_dominated,
    normalize,
    pareto_front,
)
from netal.search.run import (
    SAMPLERS,
    TRIAL_COLUMNS,
    SearchConfig,
    SearchData,
    config_seed,
    rmse,
    run_tier_search,
    storage_url,
    trials_frame,
)
from netal.search.space import (
    FAMILIES,
    FamilySpace,
    SearchSpace,
    build_learner,
    default_space,
)
from netal.search.tiers import DEFAULT_TIERS, Tier, check_tiers, default_tiers

__all__ = [
    "DEFAULT_TIERS",
    "FAMILIES",
    "OBJECTIVES",
    "REFERENCE_POINT",
    "SAMPLERS",
    "TRIAL_COLUMNS",
    "FamilySpace",
    "SearchConfig",
    "SearchData",
    "SearchSpace",
    "Tier",
    "build_learner",
    "check_tiers",
    "choose_per_tier",
    "config_seed",
    "default_space",
    "default_tiers",
    "hypervolume",
    "non_dominated",
    "normalize",
    "pareto_front",
    "rmse",
    "run_tier_search",
    "storage_url",
    "trials_frame",
]
