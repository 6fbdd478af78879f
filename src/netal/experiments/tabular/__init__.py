"""Pool-based active learning on tabular data: one run from a TOML file, or bench cells.

A :class:`RunSpec` says everything about one run: the data (the digital twin
or a registered dataset), how it is split (no row of the test set, and no
statistic of it, reaches the learner), the learner and the strategy by their
registry names, the initial labeled set, batch size, budgets, iterations, the
retraining policy, the seed and the knowledge base.

* :meth:`RunSpec.from_toml` reads a configuration file (see
  ``examples/run-twin.toml``); unknown keys and bad values raise
  :class:`~netal.errors.ConfigError` naming the file and the key.
* :func:`prepare_tabular` loads, splits, encodes (imputation fitted on the
  training rows only) and builds the candidate pool, the initial set
  (:func:`~netal.harness.grid.initial_indices`, identical for every
  strategy of a seed) and the test set.
* :func:`run_active_learning` runs the loop with a
  :class:`~netal.loop.ReplayOracle` and :class:`~netal.loop.TestSetMetrics`;
  with a knowledge-base file a rerun resumes.
* :func:`run_tabular_cell` maps a :class:`~netal.harness.grid.Cell` to a
  spec and returns its learning curve (the ``run_cell`` of ``netal bench``).

The bench protocol (same initial set per seed, paired seeds, scores in log
RMSE) follows Holzmueller et al., "A Framework and Benchmark for Deep Batch
Active Learning for Regression", JMLR 24(164), 2023.

Modules
-------
spec
    :class:`RunSpec`, its field checks and its TOML file.
splits
    The split methods by name (:data:`SPLITS`) and the automatic choice.
prepare
    :func:`prepare_tabular` and its per-process caches.
run
    The loop of a spec (:func:`build_loop`, :func:`run_active_learning`), its
    records and the outputs of ``netal run``.
bench
    Bench cells, :class:`BenchPlan`, the bench tables and :func:`run_bench`.
"""

from netal.experiments.tabular.bench import (
    BENCH_DEFAULTS,
    BENCH_SECTION_NAME,
    CELL_SPEC_FIELDS,
    BenchOutcome,
    BenchPlan,
    bench_tables,
    cell_params,
    run_bench,
    run_tabular_cell,
    spec_from_cell,
)
from netal.experiments.tabular.prepare import PreparedTabular, load_spec_dataset, prepare_tabular
from netal.experiments.tabular.run import (
    build_loop,
    learner_factory,
    records_of,
    run_active_learning,
    run_results_frame,
    write_run_outputs,
)
from netal.experiments.tabular.spec import (
    BENCH_LEARNER_PARAMS,
    RunSpec,
    check_components,
    flatten_toml,
    read_toml,
    spec_from_fields,
    spec_from_mapping,
)
from netal.experiments.tabular.splits import SPLITS

__all__ = [
    "BENCH_DEFAULTS",
    "BENCH_LEARNER_PARAMS",
    "BENCH_SECTION_NAME",
    "CELL_SPEC_FIELDS",
    "SPLITS",
    "BenchOutcome",
    "BenchPlan",
    "PreparedTabular",
    "RunSpec",
    "bench_tables",
    "build_loop",
    "cell_params",
    "check_components",
    "flatten_toml",
    "learner_factory",
    "load_spec_dataset",
    "prepare_tabular",
    "read_toml",
    "records_of",
    "run_active_learning",
    "run_bench",
    "run_results_frame",
    "run_tabular_cell",
    "spec_from_cell",
    "spec_from_fields",
    "spec_from_mapping",
    "write_run_outputs",
]
