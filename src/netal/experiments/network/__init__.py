"""Runners of the network-centric settings (issue 5): joint acquisition, stream, query synthesis.

Each runner loops over seeds (and arms), writes ``OUT/summary.json`` in the
report format (:func:`netal.report.summary_from_results`), the per-seed
curves in ``OUT/results.parquet`` (one row per arm, seed and iteration, with
``cost``), a ``queries.parquet`` where samples have positions (and, for joint
acquisition, ``routes.parquet``: the agent's stops in the order it went), and ``OUT/report.html``
(:func:`netal.report.build_report`).  Every curve is drawn against cost as
well as labels.

* :func:`run_joint`: :mod:`netal.acquisition.joint` policies on the twin
  (``joint`` vs ``annotate_only`` vs ``random``), cost = agent seconds;
* :func:`run_stream_experiment`: stream budget managers vs ``random``
  (fixed-rate sampling) at the same label rate, on the twin or a real dataset;
* :func:`run_synthesis_experiment`: membership query synthesis (GMM or cVAE
  generator + density guard) vs pool sampling on the twin, with the guard's
  rejection rate and the coverage of rare conditions per arm.
"""

from netal.experiments.network._outputs import NetworkOutcome
from netal.experiments.network.joint import fleet_makespan, run_joint
from netal.experiments.network.stream import run_stream_experiment
from netal.experiments.network.synthesis import (
    BLOCKAGE_DB,
    GENERATOR_COLUMNS,
    RARE_COLUMNS,
    STATIONARY_SPEED,
    SYNTHESIS_ARMS,
    TURN_RADIUS_M,
    condition_features,
    rare_at_cost,
    rare_flags,
    run_synthesis_experiment,
)

__all__ = [
    "BLOCKAGE_DB",
    "GENERATOR_COLUMNS",
    "RARE_COLUMNS",
    "STATIONARY_SPEED",
    "SYNTHESIS_ARMS",
    "TURN_RADIUS_M",
    "NetworkOutcome",
    "condition_features",
    "fleet_makespan",
    "rare_at_cost",
    "rare_flags",
    "run_joint",
    "run_stream_experiment",
    "run_synthesis_experiment",
]
