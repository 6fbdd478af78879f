"""What ``netal anomaly`` writes from all cells: results, curves with confidence bands, tables, figures.

A *run* is one (test scenario, seed) pair; means and t intervals (95 %) are over runs.
Files in ``OUT``: ``results.parquet`` (every checkpoint of every cell), ``reference.parquet``
(per run: sizes, fully supervised F1 and PR-AUC), ``curves.parquet`` (mean and band per arm
and label count), ``summary.json`` (with the run identity), ``summary.md``,
``anomaly_curves.png`` and ``report.html`` (:func:`netal.report.build_report`, which
``netal report OUT`` reruns).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from netal.atomic import write_parquet, write_text
from netal.harness.stats import to_markdown
from netal.harness.study import StudyRun, concat_tables
from netal.report import build_report
from netal.report.anomaly import PANELS, anomaly_curves_figure
from netal.report.identity import identity_rows, run_identity

METRICS = PANELS
"""Curves drawn and tabulated (found share, precision@k, F1, PR-AUC), with their axis labels."""

PRECISION_AT = 100
"""``k`` of the precision@k column: the share of anomalies among the first ``k`` labels."""

FIND_SHARE = 0.8
"""The discovery goal of issue 16: queries needed to find 80 % of the anomalies."""


@dataclass(frozen=True)
class AnomalyOutcome:
    """What the study wrote: the summary, the results and where."""

    summary: dict[str, Any]
    results: pd.DataFrame
    out_dir: Path


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and t interval of ``values`` (NaN-free); the interval is NaN below two values."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = float(scipy_stats.t.ppf((1 + level) / 2, len(values) - 1)) * float(
        values.std(ddof=1) / math.sqrt(len(values))
    )
    return mean, mean - half, mean + half


def curves(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95 % band of every metric per arm and label count, over runs."""
    rows = []
    for (arm, n), group in results.groupby(["strategy", "n_labels"], sort=True):
        row: dict[str, Any] = {"strategy": arm, "n_labels": int(n), "runs": len(group)}
        for metric in METRICS:
            row[metric], row[f"{metric}_low"], row[f"{metric}_high"] = mean_ci(group[metric])
        rows.append(row)
    return pd.DataFrame(rows)


def first_at_least(run: pd.DataFrame, column: str, target: float) -> float:
    """The fewest labels at which ``column`` reaches ``target`` in one run (NaN if never)."""
    hits = run.loc[run[column] >= target - 1e-12, "n_labels"]
    return float(hits.min()) if len(hits) else math.nan


def _fmt(mean: float, low: float, high: float, digits: int = 3) -> str:
    if math.isnan(mean):
        return "n/a"
    if math.isnan(low):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def arm_table(results: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Per arm: final discovery, precision, F1 and PR-AUC, labels to find 80 % and to match supervised.

    "Labels to match" is the mean, over the runs that got there, of the fewest labels at which
    the arm's test F1 (PR-AUC) reached the fully supervised classifier's on that run, with the
    number of runs that got there within the budget.
    """
    supervised = reference.set_index(["test_scenario", "seed"])
    rows = []
    for arm, group in results.groupby("strategy", sort=True):
        finals = group.sort_values("n_labels").groupby(["test_scenario", "seed"]).tail(1)
        find, match, match_pr = [], [], []
        for key, run in group.groupby(["test_scenario", "seed"]):
            find.append(first_at_least(run, "found_frac", FIND_SHARE))
            match.append(first_at_least(run, "f1", float(supervised.loc[key, "supervised_f1"])))
            target = float(supervised.loc[key, "supervised_pr_auc"])
            match_pr.append(first_at_least(run, "pr_auc", target))
        find_arr, match_arr, match_pr_arr = (
            np.asarray(find),
            np.asarray(match),
            np.asarray(match_pr),
        )
        rows.append(
            {
                "arm": arm,
                "labels": int(finals["n_labels"].max()),
                "found share": _fmt(*mean_ci(finals["found_frac"])),
                f"precision@{PRECISION_AT}": _fmt(
                    *mean_ci(group.loc[group["n_labels"] == PRECISION_AT, "precision"])
                ),
                "precision of all queries": _fmt(*mean_ci(finals["precision"])),
                "test F1": _fmt(*mean_ci(finals["f1"])),
                "test PR-AUC": _fmt(*mean_ci(finals["pr_auc"])),
                "labels to find 80 %": f"{_fmt(*mean_ci(find_arr), digits=0)} "
                f"({np.isfinite(find_arr).sum()}/{len(find_arr)} runs)",
                "labels to match supervised F1": f"{_fmt(*mean_ci(match_arr), digits=0)} "
                f"({np.isfinite(match_arr).sum()}/{len(match_arr)} runs)",
                "labels to match supervised PR-AUC": f"{_fmt(*mean_ci(match_pr_arr), digits=0)} "
                f"({np.isfinite(match_pr_arr).sum()}/{len(match_pr_arr)} runs)",
            }
        )
    return pd.DataFrame(rows)


PAIRED = {"f1": "test F1", "pr_auc": "test PR-AUC", "found_frac": "found share"}
"""Scores compared run by run with the baseline arm."""


def paired_table(results: pd.DataFrame, baseline: str = "random") -> pd.DataFrame:
    """Per arm, the mean over runs of (arm - ``baseline``) at the full budget and over the curve.

    The runs (test scenario x seed) are paired: both arms share the split, the test rows and
    the classifier, so the scenario-to-scenario spread of the scores (supervised F1 0.17 to
    0.58 on sutd5g) cancels in the difference; 95 % t intervals.  "Over the curve" is the mean
    of the difference over every checkpoint (an area between the learning curves).
    """
    if baseline not in set(results["strategy"]):
        return pd.DataFrame()
    keys = ["test_scenario", "seed", "n_labels"]
    base = results[results["strategy"] == baseline].set_index(keys)
    last = results["n_labels"].max()
    rows = []
    for arm, group in results[results["strategy"] != baseline].groupby("strategy", sort=True):
        diff = group.set_index(keys)[list(PAIRED)] - base[list(PAIRED)]
        diff = diff.dropna(how="all")
        final = diff[diff.index.get_level_values("n_labels") == last]
        curve = diff.groupby(level=["test_scenario", "seed"]).mean()
        row: dict[str, Any] = {"arm": arm, "vs": baseline, "runs": len(final)}
        for metric, label in PAIRED.items():
            row[f"{label} at {last}"] = _fmt(*mean_ci(final[metric]))
            row[f"{label} over the curve"] = _fmt(*mean_ci(curve[metric]))
        rows.append(row)
    return pd.DataFrame(rows)


def reference_table(reference: pd.DataFrame) -> pd.DataFrame:
    """Per test scenario: sizes and the fully supervised and unsupervised references (means over seeds)."""
    table = (
        reference.groupby("test_scenario", sort=True).mean(numeric_only=True).drop(columns="seed")
    )
    table["random needs for 80 %"] = FIND_SHARE * table["n_pool"]
    return table.reset_index().round(3)


def write_anomaly_outputs(run: StudyRun, study: Any) -> AnomalyOutcome:
    """Every file of ``OUT`` from the cells' tables (see the module docstring)."""
    out = run.out_dir
    results = concat_tables(run.outputs, "records")
    reference = concat_tables(run.outputs, "reference").drop_duplicates(
        ["test_scenario", "seed"], ignore_index=True
    )
    curve = curves(results)
    arms, refs = arm_table(results, reference), reference_table(reference)
    paired = paired_table(results)
    write_parquet(results, out / "results.parquet")
    write_parquet(reference, out / "reference.parquet")
    write_parquet(curve, out / "curves.parquet")
    anomaly_curves_figure(curve, reference, out / "anomaly_curves.png")
    identity = run_identity()
    summary = {
        "experiment": "anomaly",
        "dataset": str(getattr(study, "dataset", "sutd5g")),
        "label": str(getattr(study, "label", "lab_anom")),
        "settings": study.fingerprint(),
        "test_scenarios": sorted(set(results["test_scenario"])),
        "seeds": sorted(int(s) for s in set(results["seed"])),
        "arms": json.loads(arms.to_json(orient="records")),
        "reference": json.loads(refs.to_json(orient="records")),
        "paired": json.loads(paired.to_json(orient="records")) if len(paired) else [],
        "run": identity,
    }
    write_text(out / "summary.json", json.dumps(summary, indent=2, default=str) + "\n")
    runs = results.groupby(["test_scenario", "seed"]).ngroups
    markdown = [
        f"# Anomaly detection on {getattr(study, 'dataset', 'sutd5g')} (netal anomaly)\n",
        f"{runs} runs (test scenario x seed); means with 95 % t intervals over runs.\n",
        "## Arms at the full budget\n",
        to_markdown(arms),
        "\n## Splits and references (means over seeds)\n",
        to_markdown(refs),
        "\n## Paired differences to random (same run: split and seed)\n",
        to_markdown(paired) if len(paired) else "(no random arm)",
        "\n![curves](anomaly_curves.png)\n",
        "\n## Run identity\n",
        *(f"- {key}: {value}" for key, value in identity_rows(identity)),
        "",
    ]
    write_text(out / "summary.md", "\n".join(markdown))
    build_report(out)
    return AnomalyOutcome(summary, results, out)
