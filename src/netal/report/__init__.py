"""Reports: PNG figures and one self-contained HTML page from an output directory.

``build_report(out_dir) -> Path`` reads the inputs below, draws the figures
(matplotlib, Agg canvas) into ``out_dir/figures/*.png`` and writes
``out_dir/report.html``: inline CSS, every figure embedded as a base64
``data:`` URI, no script and no external resource, so the file can be mailed
or archived on its own.  A missing or malformed input raises
:class:`netal.errors.DataError` naming the file (and key or column).

Inputs
------
``summary.json`` (required unless ``cells/`` exists)
    A JSON object::

        {
          "experiment": "casestudy",            # non-empty string
          "dataset": "lumos5g",                 # non-empty string
          "protocol": "rigorous",               # non-empty string
          "seeds": [0, 1, 2],                   # non-empty list of integers
          "arms": {                             # non-empty; one entry per arm
            "random": {
              "labels": [20, 24, 28],           # mean #labels per iteration (non-decreasing)
              "cost":   [31.0, 36.2, 41.9],     # optional: [] or one per iteration
              "rmse":   [[..], [..], [..]],     # per seed: RMSE per iteration (may stop early)
              "mean":   [..],                   # mean RMSE per iteration
              "ci_low": [..], "ci_high": [..]   # 95 % band; null where undefined
            },
            "uncertainty": {...}
          },
          "tables": {"Title": "| a | b |\\n| --- | --- |\\n| 1 | 2 |\\n"}   # optional
        }

    :func:`summary_from_results` builds it from a results table and
    :func:`write_summary` writes it.

``queries.parquet`` (optional)
    One row per queried sample with columns ``arm`` (str), ``seed``,
    ``iteration``, ``sample_id`` (integers), ``latitude``, ``longitude``
    (finite floats), ``mobility_mode`` (str, e.g. ``"walking"``/``"driving"``)
    and ``score`` (float, NaN allowed, e.g. for random).  Iteration 0 may hold
    the initial labeled set.  Drawn as small multiples per arm (lowest seed),
    for up to four iterations: new queries coloured by mobility mode, earlier
    ones grey (the seed paper's Fig. 6).

``uncertainty.parquet`` (optional)
    One row per pool point: ``latitude``, ``longitude``, ``epistemic_var``
    (finite, >= 0).  Drawn as a map coloured by variance; also the faint route
    behind the query maps.

``cells/`` (a bench)
    A :class:`netal.harness.CellStore` directory (its ``records`` tables, in
    either the current or the earlier layout).  Used when there is no
    ``summary.json``: one learning-curve figure per dataset and the statistics
    tables of :mod:`netal.harness.stats` (scores with standard errors,
    labels and cost to reach random's final RMSE, paired tests vs random).

Element ids in the page: ``fig-learning-curves-<dataset>``,
``fig-query-map-<arm>``, ``fig-uncertainty-map``, ``tables`` and
``table-<title>`` (slugs: lowercase letters, digits and dashes).
"""

from netal.report.build import build_report
from netal.report.inputs import Arm, Summary, load_queries, load_summary, load_uncertainty
from netal.report.summary import comparison_tables, summary_from_results, write_summary

__all__ = [
    "Arm",
    "Summary",
    "build_report",
    "comparison_tables",
    "load_queries",
    "load_summary",
    "load_uncertainty",
    "summary_from_results",
    "write_summary",
]
