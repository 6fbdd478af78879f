"""The seed paper's mmWave case study, reproduced and done properly.

Alhussein et al., "Active ML for 6G", section V: a sequence-to-sequence LSTM
with MC dropout forecasts the throughput of the next 20 seconds from the last
20 seconds of measurements; the active arm labels the 4 pool windows of
highest (trimmed) MC-dropout variance per iteration, the passive arm 4 random
ones, for 10 iterations.  Two protocols (see ``../shared/docs/CASE-STUDY.md``):

``paper``
    The authors' exact procedure: preprocessing fitted on the whole file
    (sentinels standardized as values), windows slid over the whole file across
    run boundaries, a random split of the overlapping windows (random states
    42/48/3), continued training of the same model (no re-initialization after
    the initial fit, as in the notebook).  Kept to reproduce its numbers and to make its leak visible
    (:func:`netal.data.leakage_report`).
``rigorous`` (default)
    Split by run (or by time when the data has no runs), windows made inside
    each run and each part, sentinels masked, imputation fitted on training
    rows only, no run id as feature, the same training schedule, initial set
    and initialization for every arm of a seed, many seeds, paired differences.

Each (arm, seed) is one :class:`~netal.harness.grid.Cell` run through the
active-learning loop with its own SQLite knowledge base, so an interrupted case
study resumes (finished cells are skipped, a running cell continues from its
knowledge base) and cells can run in worker processes or on a Dask cluster.

Modules
-------
config
    :class:`CaseStudyConfig` and the protocols it names.
prepare
    The windows of one seed under either protocol (:func:`prepare`).
cells
    The grid of cells and :func:`run_casestudy_cell`, one (arm, seed) through the loop.
outputs
    The query logs and uncertainty maps, per cell and gathered.
tables
    :func:`paper_comparison_table`, the RMSE before and after next to the paper.
study
    :func:`run_casestudy`: the cells on an executor, the summary and the report.
"""

from netal.experiments.casestudy.cells import (
    casestudy_cells,
    make_learner_factory,
    run_casestudy_cell,
)
from netal.experiments.casestudy.config import PROTOCOLS, CaseStudyConfig
from netal.experiments.casestudy.prepare import Prepared, prepare, prepare_paper, prepare_rigorous
from netal.experiments.casestudy.study import CaseStudyOutcome, run_casestudy
from netal.experiments.casestudy.tables import PAPER_REFERENCE, paper_comparison_table

__all__ = [
    "PAPER_REFERENCE",
    "PROTOCOLS",
    "CaseStudyConfig",
    "CaseStudyOutcome",
    "Prepared",
    "casestudy_cells",
    "make_learner_factory",
    "paper_comparison_table",
    "prepare",
    "prepare_paper",
    "prepare_rigorous",
    "run_casestudy",
    "run_casestudy_cell",
]
