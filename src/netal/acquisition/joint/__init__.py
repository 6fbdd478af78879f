"""Joint data acquisition and annotation under one cost budget: a pool that grows.

Pool-based active learning assumes the unlabeled pool is given.  In a network
the pool itself must be *acquired*: a measurement agent has to go somewhere
to log radio features (cheap) before anyone can decide to run a throughput
test there (expensive).  This module lets the acquisition function choose,
every iteration, between

(a) **annotating** a pool sample: a throughput measurement at that sample's
    place and condition, priced by :meth:`netal.twin.TwinOracle.cost`;
(b) **acquiring** ``acquire_size`` new unlabeled samples in a *region* of the
    input space (a cell of loop position x mobility mode x direction,
    optionally x speed bin, see :class:`RegionGrid`) with
    :meth:`netal.twin.TwinOracle.observe`, priced as travel + observation,

and how many of each, to maximize expected error reduction per unit cost.

Utility (documented, simple, defensible)
----------------------------------------
* Annotating pool sample ``x`` in region ``r``: ``v(x) = sigma^2_epi(x) / (1 + a_r)``,
  the learner's epistemic variance (the variance-reduction criterion of Cohn,
  Ghahramani and Jordan, JAIR 1996: labeling ``x`` removes roughly its
  epistemic variance), discounted by the ``a_r`` annotations already planned
  in ``r`` this iteration (redundancy within the batch).
* Acquiring ``k`` samples in region ``r``:
  ``w * k * vbar_r / (1 + n_r)``, where ``vbar_r`` is the mean epistemic
  variance of the samples observed in ``r`` and ``n_r`` how many were observed
  there (sparsity).  A region never visited has no ``vbar_r``: it gets the
  optimistic ``explore_bonus * max_r vbar_r`` (unknown unknowns; optimism in
  the face of uncertainty, as in UCB-style exploration).
* An acquired sample reduces error only once it is annotated, so an
  acquisition's ratio divides its value by its own cost *plus* the cost of
  one later measurement in that region (``follow_up``, priced by the oracle).
* Greedy knapsack: repeatedly take the action with the largest value / cost
  whose cost (priced from where the agent will be after the actions already
  planned) fits in the iteration's budget slice, until nothing fits or
  ``max_actions`` annotations are planned (acquisitions are bounded by
  the slice and by ``n_regions`` per round) (Settles 2009, sec. 6.4, cost-sensitive active
  learning; the density of value per cost is the classic greedy knapsack rule).

Budget guarantee: before executing, the planned sequence is priced exactly
with the oracle's own :meth:`cost` and trimmed from the end until it fits the
slice; the total spent (initial data included) never exceeds ``budget`` as
long as the oracle charges what it quotes (the twin does; a different charge
raises :class:`~netal.errors.BudgetError`).

Policies (:data:`JOINT_POLICIES`): ``joint`` (both kinds), ``annotate_only``
(greedy annotation on the fixed initial pool) and ``random`` (random regions
and random annotation), all with the same interface and accounting.

References
----------
Settles, "Active learning literature survey", 2009, sec. 6.4 (cost) and 6.5
(alternative query types); Attenberg and Provost, "Why label when you can
search?", KDD 2010 (guided acquisition of new examples); Lomasky et al.,
"Active class selection", ECML 2007 (choosing where to acquire); the seed
paper (Active ML for 6G), sec. III, the cost of acquisition and not only of
labeling.

Modules
-------
features
    :func:`twin_features`, the learner's inputs from twin rows.
regions
    :class:`RegionGrid`, the cells of the input space acquisitions go to.
pricing
    :class:`Action` and what a plan costs (:func:`price_blocks`, :func:`sequence_cost`).
policies
    :class:`PlanningState` and :data:`JOINT_POLICIES`.
config
    :class:`JointConfig` and :class:`JointResult`.
run
    :func:`run_joint_acquisition` and :func:`make_test_set`.
"""

from netal.acquisition.joint.config import JointConfig, JointResult
from netal.acquisition.joint.features import (
    FEATURE_NAMES,
    NR_RSRP_MISSING,
    NR_SINR_MISSING,
    twin_features,
)
from netal.acquisition.joint.policies import (
    JOINT_POLICIES,
    PlanningState,
    Policy,
    acquisition_values,
    annotate_only_policy,
    joint_policy,
    random_policy,
)
from netal.acquisition.joint.pricing import (
    ACQUIRE,
    ANNOTATE,
    KIND_NAMES,
    Action,
    price_blocks,
    sequence_cost,
)
from netal.acquisition.joint.regions import CONDITION_COLUMNS, RegionGrid
from netal.acquisition.joint.run import make_test_set, run_joint_acquisition

__all__ = [
    "ACQUIRE",
    "ANNOTATE",
    "CONDITION_COLUMNS",
    "FEATURE_NAMES",
    "JOINT_POLICIES",
    "KIND_NAMES",
    "NR_RSRP_MISSING",
    "NR_SINR_MISSING",
    "Action",
    "JointConfig",
    "JointResult",
    "PlanningState",
    "Policy",
    "RegionGrid",
    "acquisition_values",
    "annotate_only_policy",
    "joint_policy",
    "make_test_set",
    "price_blocks",
    "random_policy",
    "run_joint_acquisition",
    "sequence_cost",
    "twin_features",
]
