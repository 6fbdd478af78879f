"""Studies: what netal runs end to end, each writing files the report reads.

A study prepares data, drives the engine (or a network-centric part) over seeds
or cells, and writes its outputs (``summary.json``, ``results.parquet``,
``queries.parquet``, ...) and ``report.html``.  The machinery a study runs on
(grids of cells, the results store, executors, statistics) is the study-independent
:mod:`netal.harness`; the column names a study writes are :mod:`netal.schemas`.

Modules
-------
tabular
    Pool-based active learning on tabular data: ``netal run`` (one run from a
    TOML file) and ``netal bench`` (a grid of cells).
casestudy
    The seed paper's mmWave throughput-forecasting case study (``netal casestudy``).
network
    The network-centric settings: joint acquisition (``netal acquire``), stream
    (``netal stream``) and query synthesis (``netal synth``).
sources
    Data sources shared by the studies (twin or registered dataset, encoded features).
synthetic
    :func:`~netal.experiments.synthetic.synthetic_run_cell`, a small
    self-contained cell runner for tests, demos and timing of the harness.
"""
