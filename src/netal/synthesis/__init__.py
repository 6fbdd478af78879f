"""Membership query synthesis (seed paper, sec. II.C and IV, Fig. 3).

Instead of picking queries from a pool, a generative model of the real
feature distribution proposes new inputs; a :class:`DensityGuard` rejects the
unrealistic ones; the learner's epistemic variance picks the most informative;
:func:`to_twin_conditions` turns them into measurement requests for the
digital twin (or a measurement agent in the network).

* :class:`GaussianMixtureGenerator` (``"gmm"``): BIC-selected Gaussian mixture per label;
* :class:`ConditionalVAE` (``"cvae"``): a small PyTorch conditional VAE;
* :func:`propose_candidates`: propose and guard (the candidates of a round);
* :func:`synthesize_queries`: propose, guard, score, select.

Example::

    cols = list(netal.schemas.LUMOS5G_MOTION)  # latitude, longitude, movingSpeed, compassDirection
    gen = GaussianMixtureGenerator().fit(frame[cols], frame["mobility_mode"])
    guard = DensityGuard(gen).fit(frame[cols], frame["mobility_mode"])
    result = synthesize_queries(gen, learner, 2000, 10, guard, rng,
                                constraint=lambda X, m: twin_feasible(samples_frame(X, cols, m)))
    requests = to_twin_conditions(samples_frame(result.X, cols, result.labels))
    TwinOracle(seed=0).measure(requests)
"""

from netal.synthesis.base import GENERATORS, DensityModel, Generator
from netal.synthesis.cvae import ConditionalVAE
from netal.synthesis.gmm import GaussianMixtureGenerator
from netal.synthesis.guard import DensityGuard, GuardResult
from netal.synthesis.query import (
    Proposal,
    SynthesisResult,
    propose_candidates,
    synthesize_queries,
)
from netal.synthesis.twin_requests import (
    REQUEST_COLUMNS,
    samples_frame,
    to_twin_conditions,
    twin_feasible,
)

__all__ = [
    "GENERATORS",
    "REQUEST_COLUMNS",
    "ConditionalVAE",
    "DensityGuard",
    "DensityModel",
    "GaussianMixtureGenerator",
    "Generator",
    "GuardResult",
    "Proposal",
    "SynthesisResult",
    "propose_candidates",
    "samples_frame",
    "synthesize_queries",
    "to_twin_conditions",
    "twin_feasible",
]
