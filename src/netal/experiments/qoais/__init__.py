"""``netal qoais``: the QoAIS scorecard study (issue 15, item 5).

:class:`QoaisSettings` holds every knob (the ``[qoais]`` TOML table);
:func:`run_qoais_experiment` runs model x seed cells through
:func:`netal.harness.run_study` and writes the scorecard files and report;
:func:`make_model` builds a netal learner or the LightGBM reference by name.
"""

from netal.experiments.qoais.data import (
    ScoringData,
    restored_run,
    run_knowledge_base,
    scoring_data,
)
from netal.experiments.qoais.models import (
    DEFAULT_PARAMS,
    REFERENCE_MODELS,
    make_model,
    model_names,
)
from netal.experiments.qoais.settings import DEFAULT_DRIFT, QoaisSettings, load_qoais
from netal.experiments.qoais.study import (
    QoaisOutcome,
    QoaisStudy,
    mean_interval,
    run_qoais_experiment,
)

__all__ = [
    "DEFAULT_DRIFT",
    "DEFAULT_PARAMS",
    "REFERENCE_MODELS",
    "QoaisOutcome",
    "QoaisSettings",
    "QoaisStudy",
    "ScoringData",
    "load_qoais",
    "make_model",
    "mean_interval",
    "model_names",
    "restored_run",
    "run_knowledge_base",
    "run_qoais_experiment",
    "scoring_data",
]
