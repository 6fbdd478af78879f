"""Turn a benchmark's results table into report inputs (``summary.json`` dicts, tables)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from netal.atomic import write_text
from netal.errors import InvalidInputError
from netal.harness import stats


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


def _plus_minus(mean: float, sem: float) -> str:
    return f"{mean:.4g} ± {sem:.2g}" if math.isfinite(sem) else f"{mean:.4g}"


def comparison_tables(
    df: pd.DataFrame,
    by: Sequence[str] = stats.DEFAULT_BY,
    baseline: str = "random",
) -> dict[str, str]:
    """The Markdown tables of a report: scores, labels to reach the baseline, paired tests.

    Parameters
    ----------
    df
        Results of one dataset (columns as from :meth:`CellStore.load`).
    by
        Columns identifying an arm (must include ``"strategy"``).
    baseline
        Strategy every arm is compared with.  When it is absent only the score
        table is produced.
    """
    by = list(by)
    summary = stats.summarize(df, by)
    scores = summary[[*by, "n_seeds"]].copy()
    for label, name in (
        ("mean log RMSE", "mean_log_rmse"),
        ("mean log MAE", "mean_log_mae"),
        ("mean log q95", "mean_log_q95"),
        ("final RMSE", "final_rmse"),
        ("AUC RMSE", "auc_rmse"),
    ):
        scores[label] = [
            _plus_minus(m, s) for m, s in zip(summary[name], summary[f"{name}_sem"], strict=True)
        ]
    tables = {"Scores (mean over seeds ± standard error)": stats.to_markdown(scores)}
    if baseline not in set(df["strategy"]):
        return tables
    for x, what in (("n_labels", "Labels"), ("cost", "Cost")):
        reach = stats.summarize_reach(stats.labels_to_reach(df, by, baseline, "rmse", x), by)
        title = f"{what} to reach {baseline}'s final RMSE (seeds that reached it)"
        tables[title] = stats.to_markdown(reach)
    paired = pd.concat(
        [stats.paired_tests(df, by, baseline, score) for score in ("mean_log_rmse", "final_rmse")],
        ignore_index=True,
    )
    if not paired.empty:
        tables[f"Paired differences vs {baseline} over seeds (95 % t CI)"] = stats.to_markdown(
            paired
        )
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
) -> dict[str, Any]:
    """Build the ``summary.json`` dict of one dataset from a results table.

    Arms are named after their strategy (plus the other ``by`` columns in
    parentheses when ``by`` has more than dataset and strategy).  Label and
    cost curves are means over seeds; the band is the t interval of
    :func:`netal.harness.stats.learning_curves`.
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
            "ci_low": [_json_float(v) for v in group["ci_low"]],
            "ci_high": [_json_float(v) for v in group["ci_high"]],
        }
    return {
        "experiment": experiment,
        "dataset": dataset,
        "protocol": protocol,
        "seeds": sorted(int(s) for s in set(df["seed"])),
        "arms": arms,
        "tables": comparison_tables(df, by, baseline),
    }


def write_summary(out_dir: str | Path, summary: dict[str, Any]) -> Path:
    """Write ``summary.json`` into ``out_dir`` atomically (:mod:`netal.atomic`)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return write_text(out / "summary.json", json.dumps(summary, indent=1, allow_nan=False))


def arm_columns(df: pd.DataFrame) -> list[str]:
    """``by`` for a bench: dataset, every parameter that varies, then strategy.

    Parameters come from ``df.attrs["params"]`` (set by
    :meth:`netal.harness.CellStore.load` and :func:`netal.harness.cell_frame`).
    """
    params = [
        p for p in df.attrs.get("params", []) if p in df.columns and df[p].nunique(dropna=False) > 1
    ]
    return ["dataset", *params, "strategy"]
