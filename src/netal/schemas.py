"""Column schemas: the one definition of every list of column names netal reads or writes.

Data (the Lumos5G-v1.0 schema, which the digital twin writes too), the mobility
vocabulary, and the tables a study writes for the report (``results.parquet``
records, ``queries.parquet``, ``routes.parquet``, ``uncertainty.parquet``).
A module that needs one of these lists imports it from here; it never spells the
names again.  Base layer: imports nothing from netal.
"""

from __future__ import annotations

# ------------------------------------------------------------------ Lumos5G-v1.0

LUMOS5G_COLUMNS: tuple[str, ...] = (
    "run_num",
    "seq_num",
    "abstractSignalStr",
    "latitude",
    "longitude",
    "movingSpeed",
    "compassDirection",
    "nrStatus",
    "lte_rssi",
    "lte_rsrp",
    "lte_rsrq",
    "lte_rssnr",
    "nr_ssRsrp",
    "nr_ssRsrq",
    "nr_ssSinr",
    "Throughput",
    "mobility_mode",
    "trajectory_direction",
    "tower_id",
)
"""The 19 columns of Lumos5G-v1.0.csv, left to right (18 features + ``Throughput``).

The Lumos5G-v1.0 schema (Narayanan et al., IMC 2020): the digital twin writes
exactly these columns, in this order, with these units, so that anything that
runs on the twin runs unchanged on a user's ``Lumos5G-v1.0.csv``.
"""

LUMOS5G_UNITS: dict[str, str] = {
    "run_num": "run id",
    "seq_num": "second within run",
    "abstractSignalStr": "Android signal level 0-4",
    "latitude": "degrees (WGS84)",
    "longitude": "degrees (WGS84)",
    "movingSpeed": "m/s",
    "compassDirection": "degrees from north, 0-360",
    "nrStatus": "CONNECTED / NOT_RESTRICTED / NONE",
    "lte_rssi": "dBm",
    "lte_rsrp": "dBm",
    "lte_rsrq": "dB",
    "lte_rssnr": "dB (2147483647 = unavailable)",
    "nr_ssRsrp": "dBm (NaN when not NR-connected)",
    "nr_ssRsrq": "dB",
    "nr_ssSinr": "dB",
    "Throughput": "Mbit/s (downlink)",
    "mobility_mode": "walking / driving",
    "trajectory_direction": "CW / ACW",
    "tower_id": "serving mmWave tower id",
}

LUMOS5G_TARGET = "Throughput"
LUMOS5G_CATEGORICAL: tuple[str, ...] = ("nrStatus", "mobility_mode", "trajectory_direction")
LUMOS5G_SENTINEL = 2147483647
"""The value Lumos5G-v1.0 writes for an unavailable ``lte_rssnr``."""

LUMOS5G_NUMERIC: tuple[str, ...] = tuple(c for c in LUMOS5G_COLUMNS if c not in LUMOS5G_CATEGORICAL)
"""Every numeric column, in file order (ids and the target included)."""

LUMOS5G_FEATURES: tuple[str, ...] = tuple(
    c for c in LUMOS5G_NUMERIC if c not in ("run_num", "seq_num", "tower_id", LUMOS5G_TARGET)
)
"""The 12 numeric features, in file order: no run id, sequence number, tower id or target.

``abstractSignalStr``, ``latitude``, ``longitude``, ``movingSpeed``,
``compassDirection``, ``lte_rssi``, ``lte_rsrp``, ``lte_rsrq``, ``lte_rssnr``,
``nr_ssRsrp``, ``nr_ssRsrq``, ``nr_ssSinr``: the numeric inputs of both
case-study protocols (the seed's notebook imputes them with 0 and standardizes).
"""

LUMOS5G_MOTION: tuple[str, ...] = ("latitude", "longitude", "movingSpeed", "compassDirection")
"""Where the phone is and how it moves: what a measurement request (or a generator) chooses."""

LUMOS5G_LTE: tuple[str, ...] = ("lte_rsrp", "lte_rsrq", "lte_rssi")
"""The LTE radio features every Lumos5G row has (no NaN when the phone is not NR-connected)."""

LUMOS5G_NR: tuple[str, ...] = ("nr_ssRsrp", "nr_ssSinr")
"""The NR radio features used as learner inputs (NaN when the phone is not NR-connected)."""

STREAM_FEATURES: tuple[str, ...] = (*LUMOS5G_MOTION, *LUMOS5G_LTE)
"""Numeric inputs of the stream study on Lumos5G-schema data (``mobility_mode`` comes one-hot)."""

# ---------------------------------------------------------------------- mobility

MOBILITY_MODES: tuple[str, ...] = ("walking", "driving")
"""Values of ``mobility_mode``: a pedestrian or a driver (also the kinds of measurement agent)."""

DIRECTIONS: tuple[str, ...] = ("CW", "ACW")
"""Values of ``trajectory_direction``: clockwise or anticlockwise around the loop."""

# ----------------------------------------------------------------------- outputs

RECORD_COLUMNS: tuple[str, ...] = (
    "iteration",
    "n_labels",
    "cost",
    "rmse",
    "mae",
    "q95",
    "wall_time_s",
)
"""Columns every per-iteration record of a learning curve has (``results.parquet``, cell files).

``cost`` is the cumulative labeling cost; ``rmse``, ``mae`` and ``q95`` are
test errors (``q95`` is the 95th percentile of the absolute error, except in
the stream study, where it is the 95th percentile of the prequential absolute
error of a stream segment).
"""

QUERY_COLUMNS: tuple[str, ...] = (
    "arm",
    "seed",
    "iteration",
    "sample_id",
    "latitude",
    "longitude",
    "mobility_mode",
    "score",
)
"""Columns of ``queries.parquet``: one row per queried sample."""

ROUTE_COLUMNS: tuple[str, ...] = (
    "policy",
    "seed",
    "iteration",
    "stop",
    "kind",
    "latitude",
    "longitude",
)
"""Columns of ``routes.parquet``: one row per place a measurement agent stopped, in the order it went."""

UNCERTAINTY_COLUMNS: tuple[str, ...] = ("latitude", "longitude", "epistemic_var")
"""Columns ``uncertainty.parquet`` must have: one row per pool point."""
