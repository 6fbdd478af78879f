"""Turn a benchmark's results table into report inputs (``summary.json`` dicts, tables)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from netal.atomic import write_text
from netal.errors import InvalidInputError
from netal.harness import stats
from netal.report.conclusions import MIN_PAIRED_SEEDS, RULE, arm_verdicts
from netal.report.document import summary_markdown
from netal.report.identity import run_identity
from netal.report.inputs import parse_summary
from netal.report.numbers import format_interval, format_plus_minus, markdown_table, with_unit


def _param_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an int parameter stored next to missing values
    return str(value)


def _arm_name(row: pd.Series | dict[str, Any], by: Sequence[str]) -> str:
    extras = [f"{c}={_param_text(row[c])}" for c in by if c not in ("dataset", "strategy")]
    return str(row["strategy"]) + (f" ({', '.join(extras)})" if extras else "")


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


_SCORES: tuple[tuple[str, str, bool], ...] = (
    ("mean log RMSE", "mean_log_rmse", True),
    ("mean log MAE", "mean_log_mae", True),
    ("mean log q95", "mean_log_q95", True),
    ("final RMSE", "final_rmse", False),
    ("AUC RMSE", "auc_rmse", False),
)
"""Score table columns: header, column of :func:`stats.summarize`, whether in log units."""


def _score_table(df: pd.DataFrame, by: list[str], unit: str | None) -> str:
    summary = stats.summarize(df, by)
    scores = summary[[*by, "n_seeds"]].copy()
    headers = {"n_seeds": "seeds"}
    for label, name, in_logs in _SCORES:
        scores[label] = [
            format_plus_minus(m, s)
            for m, s in zip(summary[name], summary[f"{name}_sem"], strict=True)
        ]
        headers[label] = with_unit(label, f"log {unit}" if in_logs and unit else unit)
    return markdown_table(scores, headers)


def _reach_table(df: pd.DataFrame, by: list[str], baseline: str, x: str, unit: str | None) -> str:
    """Labels (or cost) each arm needs to reach the baseline's final RMSE; the baseline is left out."""
    reach = stats.summarize_reach(stats.labels_to_reach(df, by, baseline, "rmse", x), by)
    reach = reach[reach["strategy"] != baseline]
    what = "labels" if x == "n_labels" else "cost"
    table = reach[by].copy()
    table["seeds"] = reach["n_seeds"].to_numpy()
    table["reached"] = reach["n_reached"].to_numpy()
    table[with_unit(f"{what} needed", unit)] = [
        format_plus_minus(m, s) for m, s in zip(reach["needed"], reach["needed_sem"], strict=True)
    ]
    table[f"saved (% of {baseline}'s {what})"] = [
        format_plus_minus(100 * m, 100 * s)
        for m, s in zip(reach["savings"], reach["savings_sem"], strict=True)
    ]
    return markdown_table(table)


def _paired_table(df: pd.DataFrame, by: list[str], baseline: str, unit: str | None) -> str:
    paired = pd.concat(
        [stats.paired_tests(df, by, baseline, score) for score in ("mean_log_rmse", "final_rmse")],
        ignore_index=True,
    )
    if paired.empty:
        return ""
    table = paired[[*by, "score"]].copy()
    table["unit"] = [
        (f"log {unit}" if unit else "log") if s.startswith("mean_log") else (unit or "n/a")
        for s in paired["score"]
    ]
    table["pairs"] = paired["n_pairs"].to_numpy()
    table["difference [95 % CI]"] = [
        format_interval(m, lo, hi)
        for m, lo, hi in zip(paired["mean_diff"], paired["ci_low"], paired["ci_high"], strict=True)
    ]
    table["t p-value"] = paired["t_pvalue"].to_numpy()
    table["Wilcoxon p-value"] = paired["wilcoxon_pvalue"].to_numpy()
    return markdown_table(table)


def comparison_tables(
    df: pd.DataFrame,
    by: Sequence[str] = stats.DEFAULT_BY,
    baseline: str = "random",
    units: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The Markdown tables of a report: scores, labels to reach the baseline, paired tests.

    Numbers follow :mod:`netal.report.numbers`; headers carry the units of
    ``units`` (``"rmse"``: the target's unit, ``"cost"``: the oracle's cost
    unit) where given.  The tables that compare with the baseline leave the
    baseline itself out.

    Parameters
    ----------
    df
        Results of one dataset (columns as from :meth:`CellStore.load`).
    by
        Columns identifying an arm (must include ``"strategy"``).
    baseline
        Strategy every arm is compared with.  When it is absent only the score
        table is produced.
    units
        Units by quantity (``"rmse"``, ``"cost"``); unknown ones are left out.
    """
    by = list(by)
    units = dict(units or {})
    rmse_unit = units.get("rmse")
    tables = {
        "Scores (mean over seeds ± standard error)": _score_table(df, by, rmse_unit),
    }
    if baseline not in set(df["strategy"]):
        return tables
    for x, what in (("n_labels", "Labels"), ("cost", "Cost")):
        unit = units.get("cost") if x == "cost" else None
        title = f"{what} to reach {baseline}'s final RMSE (seeds that reached it)"
        tables[title] = _reach_table(df, by, baseline, x, unit)
    paired = _paired_table(df, by, baseline, rmse_unit)
    if paired:
        tables[f"Paired differences vs {baseline} over seeds (95 % t CI)"] = paired
    return tables


def summary_from_results(
    df: pd.DataFrame,
    *,
    experiment: str,
    dataset: str,
    protocol: str,
    by: Sequence[str] = stats.DEFAULT_BY,
    baseline: str = "random",
    level: float = 0.95,
    units: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Build the ``summary.json`` dict of one dataset from a results table.

    Arms are named after their strategy (plus the other ``by`` columns in
    parentheses when ``by`` has more than dataset and strategy).  Label and
    cost curves are means over seeds; the band is the t interval of
    :func:`netal.harness.stats.learning_curves`, its lower end clipped at
    zero (an RMSE is never negative) and ``null`` where fewer than two seeds
    ran.  ``units`` (e.g. ``{"rmse": "Mbit/s", "cost": "agent s"}``) is
    stored and labels the report's axes and tables; ``conclusions`` holds the
    verdict on every arm against ``baseline`` under
    :data:`netal.report.conclusions.RULE`.
    """
    if "dataset" in df.columns and set(df["dataset"]) != {dataset}:
        raise InvalidInputError(
            "df", f"holds datasets {sorted(set(df['dataset']))}, expected only {dataset!r}"
        )
    by = list(by)
    curves = stats.learning_curves(df, by, "rmse", level)
    arms: dict[str, Any] = {}
    for _, group in curves.groupby(by, sort=True, dropna=False):
        first = group.iloc[0]
        mask = pd.Series(True, index=df.index)
        for c in by:
            mask &= (df[c] == first[c]) | (df[c].isna() & pd.isna(first[c]))
        runs = df[mask].sort_values(["seed", "iteration"])
        arms[_arm_name(first, by)] = {
            "labels": [float(v) for v in group["n_labels"]],
            "cost": [float(v) for v in group["cost"]],
            "rmse": [[float(v) for v in run["rmse"]] for _, run in runs.groupby("seed")],
            "mean": [float(v) for v in group["mean"]],
            "ci_low": [_json_float(max(v, 0.0)) for v in group["ci_low"]],
            "ci_high": [_json_float(v) for v in group["ci_high"]],
        }
    return {
        "experiment": experiment,
        "dataset": dataset,
        "protocol": protocol,
        "seeds": sorted(int(s) for s in set(df["seed"])),
        "arms": arms,
        "units": dict(units or {}),
        "tables": comparison_tables(df, by, baseline, units),
        "conclusions": {
            "rule": RULE,
            "min_paired_seeds": MIN_PAIRED_SEEDS,
            "baseline": baseline,
            "arms": arm_verdicts(df, by, baseline, _arm_name),
        },
    }


def write_summary(out_dir: str | Path, summary: dict[str, Any]) -> Path:
    """Write ``summary.json`` and ``summary.md`` into ``out_dir`` atomically (:mod:`netal.atomic`).

    The run identity of the calling process (:func:`~netal.report.identity.run_identity`)
    is added under ``"run"`` unless ``summary`` already has one; ``summary.md``
    holds the identity, the seeds and conclusions, and every table, in Markdown.

    Returns
    -------
    pathlib.Path
        The path of ``summary.json``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary.setdefault("run", run_identity())
    path = write_text(out / "summary.json", json.dumps(summary, indent=1, allow_nan=False))
    write_text(out / "summary.md", summary_markdown(parse_summary(summary, path)))
    return path


def arm_columns(df: pd.DataFrame) -> list[str]:
    """``by`` for a bench: dataset, every parameter that varies, then strategy.

    Parameters come from ``df.attrs["params"]`` (set by
    :meth:`netal.harness.CellStore.load` and :func:`netal.harness.cell_frame`).
    """
    params = [
        p for p in df.attrs.get("params", []) if p in df.columns and df[p].nunique(dropna=False) > 1
    ]
    return ["dataset", *params, "strategy"]
