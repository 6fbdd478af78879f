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
              "ci_low": [..], "ci_high": [..]   # 95 % band; null where undefined (< 2 seeds),
            },                                  #   ci_low clipped at zero
            "uncertainty": {...}
          },
          "tables": {"Title": "| a | b |\\n| --- | --- |\\n| 1 | 2 |\\n"},  # optional
          "units": {"rmse": "Mbit/s", "cost": "agent s"},  # optional: where the study knows them
          "conclusions": {"baseline": "random", "arms": [...]},  # optional: verdicts, see below
          "run": {"netal": "0.1.0", "git_commit": ..., "command": ..., "date": ...,
                  "platform": ..., "python": ..., "libraries": {...}}  # optional: run identity
        }

    :func:`summary_from_results` builds it from a results table and
    :func:`write_summary` writes it, adding the run identity of the writing
    process (:mod:`netal.report.identity`) when ``run`` is absent, and
    writes ``summary.md`` next to it: the same facts, seeds note, run
    identity, conclusions and tables in Markdown.

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

``scorecard.json`` (a QoAIS scorecard of ``netal qoais``)
    When present, the page is the scorecard's (:mod:`netal.report.scorecard`):
    pass/fail per SLA tier, indicator and model, and every indicator's mean
    and interval over seeds.

``cells/`` (a bench)
    A :class:`netal.harness.CellStore` directory (its ``records`` tables, in
    either the current or the earlier layout).  Used when there is no
    ``summary.json``: one learning-curve figure per dataset and the statistics
    tables of :mod:`netal.harness.stats` (scores with standard errors,
    labels and cost to reach random's final RMSE, paired tests vs random).

What every page shows
---------------------
* the facts: experiment, dataset, protocol, **seeds as "N seeds: list"**
  (``1 seed: 0``, ``10 seeds: 0–9``), arms and units;
* a note on whether the seeds allow a conclusion, under the rule of
  :mod:`netal.report.conclusions` (at least 5 paired seeds and a 95 % CI of
  the paired difference in mean log RMSE that excludes zero), and the
  verdict per arm against the baseline;
* learning curves with units on the axes, a 95 % t band only where two or
  more seeds ran, clipped at zero, and a caption that says which;
* tables in one number format (:mod:`netal.report.numbers`: thousands
  separators, four significant digits, no scientific notation) with units
  in the headers; the "to reach the baseline" tables leave the baseline out;
* the run identity (netal version, git commit, command line, date,
  platform, Python and library versions); a summary written before netal
  recorded it shows the identity of the process that built the report,
  labelled as such.

Element ids in the page: ``seeds-note``, ``conclusions``,
``fig-learning-curves-<dataset>``, ``fig-query-map-<arm>``,
``fig-uncertainty-map``, ``tables``, ``table-<title>`` (slugs: lowercase
letters, digits and dashes) and ``run-identity``.  Figures with confidence
bands carry ``data-band-min``: the lowest band value drawn (``none`` when
no band is drawn).
"""

from netal.report.build import build_report
from netal.report.inputs import Arm, Summary, load_queries, load_summary, load_uncertainty
from netal.report.scorecard import build_scorecard_report, load_scorecard, scorecard_markdown
from netal.report.summary import comparison_tables, summary_from_results, write_summary

__all__ = [
    "Arm",
    "Summary",
    "build_report",
    "build_scorecard_report",
    "comparison_tables",
    "load_queries",
    "load_scorecard",
    "load_summary",
    "load_uncertainty",
    "scorecard_markdown",
    "summary_from_results",
    "write_summary",
]
