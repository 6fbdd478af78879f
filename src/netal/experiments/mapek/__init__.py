"""The closed-loop (MAPE-K) study: ``netal mapek run`` on a twin timeline or a replayed dataset.

Modules
-------
twin
    :func:`twin_stream`: a twin timeline's stream with its known change points.
replays
    :func:`replay_stream`: real datasets replayed in time order (ucc5g, barcelona-lte, umn-mmwave).
study
    :class:`MapekStudy`: policies x seeds, one knowledge base per cell, scores and report.
"""

from netal.experiments.mapek.study import MapekOutcome, MapekPolicies, MapekStudy
from netal.experiments.mapek.twin import twin_stream

__all__ = ["MapekOutcome", "MapekPolicies", "MapekStudy", "twin_stream"]
