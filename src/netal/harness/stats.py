"""Statistics of a benchmark, on the results DataFrame of :meth:`CellStore.load`.

The protocol follows Holzmueller, Zaverkin, Kaestner and Steinwart, "A
Framework and Benchmark for Deep Batch Active Learning for Regression", JMLR
24(164), 2023 (bmdal_reg):

* the main score of a run is the **mean over steps of the log RMSE** (also of
  log MAE and log q95), averaged over seeds with its standard error;
* **labels (and cost) to reach random's final RMSE**, per seed, read off the
  linearly interpolated learning curve; a seed whose curve never gets there is
  reported as not reached, never extrapolated;
* the **normalized area under the learning curve** (trapezoid rule divided by
  the width of the label range: the curve's average height);
* **paired tests against random over seeds** (paired t-test and Wilcoxon
  signed-rank test, :mod:`scipy.stats`) with the mean paired difference and its
  t-distribution 95 % confidence interval;
* **95 % confidence bands per iteration** (mean +- t * sem) for learning curves.

Every function takes the results DataFrame (columns ``seed``, ``iteration``,
``n_labels``, ``cost``, the metrics, and the grouping columns ``by``) and
returns a DataFrame.  ``by`` names the columns that identify an *arm*
(default ``("dataset", "strategy")``); it must contain ``"strategy"`` for the
comparisons with the baseline, which pair arms that agree on every other
column of ``by`` and on the seed.  Each ``(by, seed)`` must be one run: if two
runs share them (e.g. two learners), add the column that tells them apart to
``by`` -- a clear error says so.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from netal.errors import InvalidInputError

METRICS: tuple[str, ...] = ("rmse", "mae", "q95")
"""Error metrics summarized by default."""

DEFAULT_BY: tuple[str, ...] = ("dataset", "strategy")
"""Default columns identifying an arm."""

_RUN_ORDER = ("seed", "iteration")


def _check(df: pd.DataFrame, by: Sequence[str], columns: Sequence[str]) -> list[str]:
    if not isinstance(df, pd.DataFrame):
        raise InvalidInputError("results", f"must be a pandas DataFrame, got {type(df).__name__}")
    by = list(by)
    missing = [c for c in [*by, *_RUN_ORDER, *columns] if c not in df.columns]
    if missing:
        raise InvalidInputError("results", f"missing column(s) {missing}")
    if df.empty:
        raise InvalidInputError("results", "has no rows")
    for column in columns:
        values = df[column].to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise InvalidInputError("results", f"column {column!r} has non-finite values")
    duplicated = df.duplicated([*by, *_RUN_ORDER])
    if duplicated.any():
        row = df.loc[duplicated].iloc[0]
        where = ", ".join(f"{c}={row[c]!r}" for c in [*by, *_RUN_ORDER])
        raise InvalidInputError(
            "by",
            f"several runs share {where}; add the column that tells them apart "
            f"(e.g. a learner or batch-size parameter) to by={by}",
        )
    return by


ARM_IDENTITY = frozenset({"strategy", "strategy_params"})
"""Columns that tell arms apart within a context: an arm is compared with the
baseline of the same dataset and settings, whatever its own strategy parameters
(e.g. ``cost_aware`` with ``{"base": "lcmd"}`` is paired with plain ``random``)."""


def _context(by: Sequence[str]) -> list[str]:
    if "strategy" not in by:
        raise InvalidInputError(
            "by", f"must contain 'strategy' to compare with a baseline, got {by}"
        )
    return [c for c in by if c not in ARM_IDENTITY]


def _sem(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return math.nan
    return float(np.std(values, ddof=1) / math.sqrt(len(values)))


def _t_quantile(n: int, level: float) -> float:
    return float(sps.t.ppf(0.5 + level / 2.0, n - 1)) if n >= 2 else math.nan


def normalized_auc(x: np.ndarray, y: np.ndarray) -> float:
    """Area under ``y(x)`` by the trapezoid rule divided by ``x[-1] - x[0]``.

    This is the curve's average height over the label range; for a single
    point it is that point's value.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    width = x[-1] - x[0]
    if len(x) == 1 or width == 0:
        return float(np.mean(y))
    return float(np.trapezoid(y, x) / width)


def first_reach(x: np.ndarray, y: np.ndarray, target: float) -> float:
    """The smallest ``x`` at which the linearly interpolated curve ``y(x)`` is <= ``target``.

    ``NaN`` when no point of the curve reaches ``target`` (no extrapolation).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    hits = np.flatnonzero(y <= target)
    if not len(hits):
        return math.nan
    i = int(hits[0])
    if i == 0:
        return float(x[0])
    x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
    return float(x0 + (target - y0) * (x1 - x0) / (y1 - y0))


def per_seed_scores(
    df: pd.DataFrame,
    by: Sequence[str] = DEFAULT_BY,
    metrics: Sequence[str] = METRICS,
    x: str = "n_labels",
) -> pd.DataFrame:
    """One row per run (arm and seed) with its scalar scores.

    Columns: ``*by``, ``seed``, ``n_steps``, ``final_<x>`` and, per metric
    ``m``, ``mean_log_<m>`` (mean over steps of ``log m``), ``final_<m>`` and
    ``auc_<m>`` (:func:`normalized_auc` over ``x``).
    """
    by = _check(df, by, [x, *metrics])
    if (df[list(metrics)].to_numpy(dtype=float) <= 0).any():
        raise InvalidInputError("results", f"metrics {list(metrics)} must be > 0 to take logs")
    rows = []
    ordered = df.sort_values([*by, *_RUN_ORDER], kind="stable")
    for keys, run in ordered.groupby([*by, "seed"], sort=True, dropna=False):
        row = dict(zip([*by, "seed"], keys, strict=True))
        row["n_steps"] = len(run)
        row[f"final_{x}"] = float(run[x].iloc[-1])
        for m in metrics:
            values = run[m].to_numpy(dtype=float)
            row[f"mean_log_{m}"] = float(np.mean(np.log(values)))
            row[f"final_{m}"] = float(values[-1])
            row[f"auc_{m}"] = normalized_auc(run[x].to_numpy(), values)
        rows.append(row)
    return pd.DataFrame(rows)


def summarize(
    df: pd.DataFrame,
    by: Sequence[str] = DEFAULT_BY,
    metrics: Sequence[str] = METRICS,
    x: str = "n_labels",
) -> pd.DataFrame:
    """Per arm: the mean over seeds of each per-seed score and its standard error.

    Columns: ``*by``, ``n_seeds``, and for every score ``s`` of
    :func:`per_seed_scores` (``mean_log_rmse``, ``final_rmse``, ``auc_rmse``,
    ... ) the columns ``s`` (mean over seeds) and ``s_sem``.
    """
    scores = per_seed_scores(df, by, metrics, x)
    names = [c for c in scores.columns if c not in (*by, "seed", "n_steps")]
    rows = []
    for keys, group in scores.groupby(list(by), sort=True, dropna=False):
        row = dict(zip(by, keys if isinstance(keys, tuple) else (keys,), strict=True))
        row["n_seeds"] = len(group)
        for name in names:
            row[name] = float(group[name].mean())
            row[f"{name}_sem"] = _sem(group[name].to_numpy())
        rows.append(row)
    return pd.DataFrame(rows)


def learning_curves(
    df: pd.DataFrame,
    by: Sequence[str] = DEFAULT_BY,
    metric: str = "rmse",
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean learning curve per arm with a t-distribution confidence band per iteration.

    Columns: ``*by``, ``iteration``, ``n_seeds``, ``n_labels`` and ``cost``
    (means over seeds), ``mean``, ``sem``, ``ci_low``, ``ci_high``
    (``mean -+ t_{(1+level)/2, n-1} * sem``; ``NaN`` with a single seed).
    """
    by = _check(df, by, ["n_labels", "cost", metric])
    if not 0.0 < level < 1.0:
        raise InvalidInputError("level", f"must be in (0, 1), got {level}")
    grouped = df.groupby([*by, "iteration"], sort=True, dropna=False)
    out = grouped.agg(
        n_seeds=("seed", "nunique"),
        n_labels=("n_labels", "mean"),
        cost=("cost", "mean"),
        mean=(metric, "mean"),
        std=(metric, "std"),
    ).reset_index()
    n = out["n_seeds"].to_numpy()
    sem = out["std"].to_numpy() / np.sqrt(n)
    sem = np.where(n >= 2, sem, np.nan)
    t = np.array([_t_quantile(int(k), level) for k in n])
    out["sem"] = sem
    out["ci_low"] = out["mean"] - t * sem
    out["ci_high"] = out["mean"] + t * sem
    return out.drop(columns="std")


def labels_to_reach(
    df: pd.DataFrame,
    by: Sequence[str] = DEFAULT_BY,
    baseline: str = "random",
    metric: str = "rmse",
    x: str = "n_labels",
) -> pd.DataFrame:
    """Per run: the ``x`` (labels, or ``"cost"``) needed to reach the baseline's final metric.

    For each seed the target is the final ``metric`` of the baseline arm of the
    same context and seed; the run's curve ``metric(x)`` is interpolated
    linearly (:func:`first_reach`).

    Columns: ``*by``, ``seed``, ``target``, ``baseline_final`` (the baseline's
    final ``x``), ``needed`` (``NaN`` unless reached), ``status``
    (``"reached"``, ``"not reached"``, or ``"no baseline"`` when that seed has
    no baseline run), ``savings`` (``1 - needed / baseline_final``).
    """
    by = _check(df, by, [x, metric])
    context = _context(by)
    ordered = df.sort_values([*by, *_RUN_ORDER], kind="stable")
    base = ordered[ordered["strategy"] == baseline]
    if base.empty:
        raise InvalidInputError("baseline", f"no runs of strategy {baseline!r} in the results")
    finals = base.groupby([*context, "seed"], sort=False, dropna=False).tail(1)
    target_of = {
        tuple(r[[*context, "seed"]]): (float(r[metric]), float(r[x])) for _, r in finals.iterrows()
    }
    rows = []
    for keys, run in ordered.groupby([*by, "seed"], sort=True, dropna=False):
        row = dict(zip([*by, "seed"], keys, strict=True))
        found = target_of.get(tuple(row[c] for c in [*context, "seed"]))
        if found is None:
            row.update(
                target=math.nan,
                baseline_final=math.nan,
                needed=math.nan,
                status="no baseline",
                savings=math.nan,
            )
        else:
            target, final_x = found
            needed = first_reach(run[x].to_numpy(), run[metric].to_numpy(), target)
            reached = not math.isnan(needed)
            row.update(
                target=target,
                baseline_final=final_x,
                needed=needed,
                status="reached" if reached else "not reached",
                savings=1.0 - needed / final_x if reached else math.nan,
            )
        rows.append(row)
    return pd.DataFrame(rows)


def summarize_reach(reach: pd.DataFrame, by: Sequence[str] = DEFAULT_BY) -> pd.DataFrame:
    """Per arm summary of :func:`labels_to_reach`.

    Columns: ``*by``, ``n_seeds``, ``n_reached``, ``needed`` and ``needed_sem``
    (over the seeds that reached the target only), ``savings``,
    ``savings_sem`` (same seeds).  ``n_reached < n_seeds`` is the honest
    signal that some seeds never got there.
    """
    rows = []
    for keys, group in reach.groupby(list(by), sort=True, dropna=False):
        row = dict(zip(by, keys if isinstance(keys, tuple) else (keys,), strict=True))
        ok = group[group["status"] == "reached"]
        row.update(
            n_seeds=len(group),
            n_reached=len(ok),
            needed=float(ok["needed"].mean()) if len(ok) else math.nan,
            needed_sem=_sem(ok["needed"].to_numpy()),
            savings=float(ok["savings"].mean()) if len(ok) else math.nan,
            savings_sem=_sem(ok["savings"].to_numpy()),
        )
        rows.append(row)
    return pd.DataFrame(rows)


def paired_tests(
    df: pd.DataFrame,
    by: Sequence[str] = DEFAULT_BY,
    baseline: str = "random",
    score: str = "mean_log_rmse",
    level: float = 0.95,
    x: str = "n_labels",
) -> pd.DataFrame:
    """Paired comparison of every arm with the baseline of its context, over seeds.

    ``score`` is a column of :func:`per_seed_scores` (e.g. ``"mean_log_rmse"``,
    ``"final_rmse"``, ``"auc_mae"``); differences are ``arm - baseline`` for
    seeds both ran, so negative means better than the baseline for errors.

    Columns: ``*by``, ``score``, ``n_pairs``, ``n_unpaired`` (seeds of the arm
    without a baseline run), ``mean_diff``, ``ci_low``, ``ci_high`` (t
    interval at ``level``), ``t_stat``, ``t_pvalue``
    (:func:`scipy.stats.ttest_rel`), ``wilcoxon_stat``, ``wilcoxon_pvalue``
    (:func:`scipy.stats.wilcoxon`, two-sided).  Statistics that need two pairs
    (or non-constant differences) are ``NaN`` when undefined.
    """
    metric = score.split("_")[-1]
    scores = per_seed_scores(df, by, (metric,), x)
    if score not in scores.columns:
        raise InvalidInputError("score", f"unknown score {score!r}; known: {list(scores.columns)}")
    context = _context(list(by))
    base = scores[scores["strategy"] == baseline]
    if base.empty:
        raise InvalidInputError("baseline", f"no runs of strategy {baseline!r} in the results")
    base = base[[*context, "seed", score]].rename(columns={score: "_base"})
    rows = []
    for keys, arm in scores[scores["strategy"] != baseline].groupby(list(by), sort=True):
        row = dict(zip(by, keys if isinstance(keys, tuple) else (keys,), strict=True))
        paired = arm.merge(base, on=[*context, "seed"], how="inner")
        diff = (paired[score] - paired["_base"]).to_numpy(dtype=float)
        n = len(diff)
        row.update(score=score, n_pairs=n, n_unpaired=len(arm) - n)
        row.update(_paired_stats(paired[score].to_numpy(), paired["_base"].to_numpy(), level))
        rows.append(row)
    return pd.DataFrame(rows)


def values_at_cost(
    df: pd.DataFrame,
    levels: Sequence[float],
    columns: Sequence[str] = ("rmse",),
    by: Sequence[str] = DEFAULT_BY,
) -> pd.DataFrame:
    """The state of every run at given cumulative costs.

    For each run (``by`` + ``seed``) and cost level, the row of the last
    iteration whose ``cost`` is at most the level: what the run had achieved
    having spent that much.  Runs whose first iteration already costs more
    than a level have no row for it.  Columns: ``*by``, ``seed``,
    ``cost_level``, ``iteration``, ``cost``, ``n_labels`` and ``columns``.
    """
    by = _check(df, by, ["cost", "n_labels", *columns])
    levels = [float(v) for v in levels]
    if not levels or not np.all(np.isfinite(levels)):
        raise InvalidInputError("levels", f"must be a non-empty list of finite costs, got {levels}")
    ordered = df.sort_values([*by, *_RUN_ORDER])
    keep = [*by, "seed", "iteration", "cost", "n_labels", *columns]
    parts = []
    for level in levels:
        within = ordered[ordered["cost"] <= level + 1e-9]
        last = within.groupby([*by, "seed"], sort=True).tail(1)[keep]
        parts.append(last.assign(cost_level=level))
    out = pd.concat(parts, ignore_index=True)
    return out[[*by, "seed", "cost_level", *keep[len(by) + 1 :]]]


def compare_at_cost(
    df: pd.DataFrame,
    levels: Sequence[float],
    column: str = "rmse",
    baseline: str = "random",
    by: Sequence[str] = DEFAULT_BY,
    level: float = 0.95,
) -> pd.DataFrame:
    """Every arm at equal spending: ``column`` at each cost level, and its paired difference vs the baseline.

    Uses :func:`values_at_cost`.  Per arm and cost level: ``n_seeds``,
    ``mean`` with its t interval (``ci_low``, ``ci_high``), and, over the
    seeds both the arm and the baseline reached, ``mean_diff`` (arm minus
    baseline), its t interval (``diff_ci_low``, ``diff_ci_high``),
    ``t_pvalue`` (paired t-test) and ``wilcoxon_pvalue``.  The baseline's own
    rows have no difference columns.
    """
    at = values_at_cost(df, levels, (column,), by)
    by = list(by)
    context = _context(by)
    rows = []
    for keys, group in at.groupby([*by, "cost_level"], sort=True):
        row = dict(zip([*by, "cost_level"], keys, strict=True))
        values = group[column].to_numpy(dtype=float)
        half = _t_quantile(len(values), level) * _sem(values)
        row.update(
            n_seeds=len(values),
            mean=float(values.mean()),
            ci_low=float(values.mean() - half),
            ci_high=float(values.mean() + half),
        )
        if row["strategy"] != baseline:
            base = at[(at["strategy"] == baseline) & (at["cost_level"] == row["cost_level"])]
            for name in context:
                base = base[base[name] == row[name]]
            paired = group.merge(base[[*context, "seed", column]], on=[*context, "seed"])
            stats = _paired_stats(
                paired[f"{column}_x"].to_numpy(), paired[f"{column}_y"].to_numpy(), level
            )
            row.update(
                n_pairs=len(paired),
                mean_diff=stats["mean_diff"],
                diff_ci_low=stats["ci_low"],
                diff_ci_high=stats["ci_high"],
                t_pvalue=stats["t_pvalue"],
                wilcoxon_pvalue=stats["wilcoxon_pvalue"],
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _paired_stats(a: np.ndarray, b: np.ndarray, level: float) -> dict[str, float]:
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    n = len(diff)
    out = dict.fromkeys(
        (
            "mean_diff",
            "ci_low",
            "ci_high",
            "t_stat",
            "t_pvalue",
            "wilcoxon_stat",
            "wilcoxon_pvalue",
        ),
        math.nan,
    )
    if n == 0:
        return out
    out["mean_diff"] = float(diff.mean())
    if n < 2:
        return out
    half = _t_quantile(n, level) * _sem(diff)
    out["ci_low"] = out["mean_diff"] - half
    out["ci_high"] = out["mean_diff"] + half
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if np.ptp(diff) > 0:
            t = sps.ttest_rel(a, b)
            out["t_stat"], out["t_pvalue"] = float(t.statistic), float(t.pvalue)
        if np.any(diff != 0):
            w = sps.wilcoxon(diff, alternative="two-sided")
            out["wilcoxon_stat"], out["wilcoxon_pvalue"] = float(w.statistic), float(w.pvalue)
    return out


def to_markdown(df: pd.DataFrame, floatfmt: str = ".4g", na: str = "n/a") -> str:
    """Render ``df`` as a GitHub-flavoured Markdown pipe table.

    Floats use ``floatfmt``; missing values show as ``na``; ``|`` in cells is
    escaped.  The index is not rendered (reset it first if it matters).
    """
    if not isinstance(df, pd.DataFrame):
        raise InvalidInputError("df", f"must be a pandas DataFrame, got {type(df).__name__}")

    def cell(value: object) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return na
        if isinstance(value, float | np.floating):
            text = format(float(value), floatfmt)
        else:
            text = str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    header = [cell(c) for c in df.columns]
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
    ]
    for values in df.itertuples(index=False, name=None):
        lines.append("| " + " | ".join(cell(v) for v in values) + " |")
    return "\n".join(lines) + "\n"
