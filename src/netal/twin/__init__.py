"""netal.twin: the mmWave digital twin (scenario, generator, oracle, scenario generating function).

The twin is netal's embedded default data source: :func:`generate` writes the
Lumos5G-v1.0 schema, :class:`TwinOracle` answers measurement requests at a
cost, and :func:`induce` produces rare conditions on request (the "scenario
generating function" of the seed paper, Fig. 3). See ``docs/twin.md``.
"""

from netal.twin.generator import generate
from netal.twin.induce import INDUCERS, InducedScenario, induce
from netal.twin.oracle import Measurement, TwinOracle, TwinPoolOracle
from netal.twin.scenario import Scenario, default_scenario_path, load_scenario

__all__ = [
    "INDUCERS",
    "InducedScenario",
    "Measurement",
    "Scenario",
    "TwinOracle",
    "TwinPoolOracle",
    "default_scenario_path",
    "generate",
    "induce",
    "load_scenario",
]
