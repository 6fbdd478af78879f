"""The page of an anomaly-detection study (``netal anomaly``), from the tables it wrote.

Inputs in ``OUT`` (written by the study; nothing else is read, no study is imported):

``summary.json``
    ``{"experiment": "anomaly", "dataset", "label", "settings", "test_scenarios", "seeds",
    "arms": [per-arm rows], "reference": [per-split rows], "run": identity}``.
``curves.parquet``
    Per ``strategy`` and ``n_labels``: ``runs`` and, per metric of :data:`PANELS`, the mean
    and its 95 % t band (``<m>``, ``<m>_low``, ``<m>_high``; NaN ends below two runs).
``reference.parquet``
    Per run (test scenario x seed): ``supervised_f1``, ``supervised_pr_auc``.

``summary.json`` may also hold ``"paired"``: per arm, its difference to random run by run.

The page (``OUT/report.html``, self-contained like every netal report) shows the facts,
a note on the seeds, the figure of anomalies found, precision@k, test F1 and PR-AUC against
labels per arm with their bands (``fig-anomaly-curves``), the per-arm and per-split tables
and the run identity.  A missing or malformed input is one :class:`~netal.errors.DataError`
naming the file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from netal.atomic import write_text
from netal.errors import DataError
from netal.report.conclusions import MIN_PAIRED_SEEDS, describe_seeds, plural
from netal.report.figures import _save
from netal.report.html import FigureBlock, PageHead, markdown_to_html, render_page
from netal.report.identity import identity_rows, run_identity
from netal.report.numbers import markdown_table

PANELS: dict[str, str] = {
    "found_frac": "share of the pool's anomalies found",
    "precision": "precision@k (anomalies among the first k labels)",
    "f1": "test F1 (threshold 0.5)",
    "pr_auc": "test PR-AUC",
}
"""Metrics drawn, one panel each, with their axis labels."""

SUPERVISED = {"f1": "supervised_f1", "pr_auc": "supervised_pr_auc"}
"""Panels with the fully supervised classifier's score as a dashed line (mean over runs)."""

CURVES_FILE, REFERENCE_FILE, SUMMARY_FILE = "curves.parquet", "reference.parquet", "summary.json"


def anomaly_curves_figure(curves: pd.DataFrame, reference: pd.DataFrame, path: Path) -> Path:
    """One panel per metric of :data:`PANELS`: mean per arm against labels with its 95 % band."""
    figure = Figure(figsize=(4.4 * len(PANELS), 4.0), layout="constrained")
    axes = figure.subplots(1, len(PANELS))
    for ax, (metric, label) in zip(axes, PANELS.items(), strict=True):
        for i, (arm, group) in enumerate(curves.groupby("strategy", sort=True)):
            rows = group.sort_values("n_labels")
            x = rows["n_labels"].to_numpy()
            ax.plot(x, rows[metric], marker="o", markersize=3, color=f"C{i}", label=str(arm))
            low, high = rows[f"{metric}_low"].to_numpy(), rows[f"{metric}_high"].to_numpy()
            ok = np.isfinite(low) & np.isfinite(high)
            if ok.any():
                ax.fill_between(x, low, high, where=ok, color=f"C{i}", alpha=0.2, linewidth=0)
        if metric in SUPERVISED and SUPERVISED[metric] in reference:
            value = float(reference[SUPERVISED[metric]].mean())
            ax.axhline(value, color="black", linestyle="--", linewidth=1, label="fully supervised")
        ax.set_xlabel("labels (queries, cold start included)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    handles, labels = [], []
    for ax in axes:
        for handle, text in zip(*ax.get_legend_handles_labels(), strict=True):
            if text not in labels:
                handles.append(handle)
                labels.append(text)
    figure.legend(handles, labels, loc="outside right upper", fontsize="small")
    return _save(figure, path)


def lowest_band_value(curves: pd.DataFrame) -> str:
    """The lowest band value drawn (``none`` without a band), for ``data-band-min``."""
    lows = np.concatenate([curves[f"{m}_low"].to_numpy(dtype=np.float64) for m in PANELS])
    lows = lows[np.isfinite(lows)]
    return repr(float(lows.min())) if len(lows) else "none"


def _read_table(path: Path, columns: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise DataError(str(path), f"cannot be read ({type(exc).__name__}: {exc})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(str(path), f"lacks the columns {missing}")
    return frame


def _read_summary(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(str(path), f"cannot be read ({exc})") from None
    for key, kind in (("seeds", list), ("arms", list), ("reference", list)):
        if not isinstance(data.get(key), kind) or not data[key]:
            raise DataError(str(path), f"key {key!r} must be a non-empty list")
    return data


def _note(n_seeds: int, n_splits: int) -> str:
    runs = f"{plural(n_seeds, 'seed')} x {plural(n_splits, 'test scenario')}"
    if n_seeds < MIN_PAIRED_SEEDS:
        return (
            f"{runs}: bands are 95 % t intervals over runs; fewer than {MIN_PAIRED_SEEDS} "
            "seeds, so read the differences between arms as indications only."
        )
    return (
        f"{runs}: bands are 95 % t intervals over the runs (test scenario x seed); an arm "
        "differs from another only where their bands do not overlap."
    )


def _tables(summary: dict[str, Any], source: str) -> list[tuple[str, str]]:
    out = []
    for title, key in (
        ("Arms at the full budget (means over runs, 95 % t intervals)", "arms"),
        ("Paired differences to random per run (mean, 95 % t interval)", "paired"),
        ("Splits and references (means over seeds)", "reference"),
    ):
        if not summary.get(key):
            continue  # "paired" is absent without a random arm (and in older folders)
        markdown = markdown_table(pd.DataFrame(summary[key]))
        out.append((title, markdown_to_html(markdown, source, title)))
    return out


def build_anomaly_report(out_dir: str | Path) -> Path:
    """Draw the anomaly study's figure and write ``out_dir/report.html``.

    Returns
    -------
    pathlib.Path
        The page.

    Raises
    ------
    DataError
        An input is missing or malformed (the message names the file).
    """
    out = Path(out_dir)
    summary = _read_summary(out / SUMMARY_FILE)
    columns = ["strategy", "n_labels"] + [
        f"{m}{end}" for m in PANELS for end in ("", "_low", "_high")
    ]
    curves = _read_table(out / CURVES_FILE, columns)
    reference = _read_table(out / REFERENCE_FILE, ["test_scenario", "seed"])
    png = anomaly_curves_figure(curves, reference, out / "figures" / "anomaly-curves.png")
    seeds = [int(s) for s in summary["seeds"]]
    splits = summary.get("test_scenarios") or sorted(set(reference["test_scenario"]))
    settings = summary.get("settings") or {}
    caption = (
        "Anomalies found (share of the pool's), precision@k, test F1 and test PR-AUC of the "
        "classifier trained on the labels so far, against the number of labels, per arm: mean "
        f"over {plural(len(seeds) * len(splits), 'run')} (test scenario x seed) with the 95 % t "
        "band of the mean where two or more runs ran; dashed: the fully supervised classifier "
        "(every pool label), mean over runs."
    )
    block = FigureBlock("fig-anomaly-curves", png, caption, {"band-min": lowest_band_value(curves)})
    recorded = summary.get("run")
    heading = (
        "Run identity"
        if isinstance(recorded, dict)
        else ("Run identity (not recorded by the run; of the process that built this report)")
    )
    identity = recorded if isinstance(recorded, dict) else run_identity()
    rate = settings.get("anomaly_rate")
    meta = {
        "experiment": str(summary.get("experiment", "anomaly")),
        "dataset": str(summary.get("dataset", "sutd5g")),
        "anomaly label": str(summary.get("label", "lab_anom")),
        "protocol": "train on the other walk tests, test on one (one split per test scenario); "
        + (
            "anomalies kept at their own rate"
            if rate is None or (isinstance(rate, float) and math.isnan(rate))
            else f"anomalies down-sampled to {float(rate):.0%} of the rows"
        ),
        "test scenarios": ", ".join(map(str, splits)),
        "seeds": describe_seeds(seeds),
        "arms": ", ".join(str(row.get("arm")) for row in summary["arms"]),
        "budget": f"{settings.get('budget', 'n/a')} labels per arm, cold start included",
    }
    head = PageHead(
        meta=meta,
        note=_note(len(seeds), len(splits)),
        identity_heading=heading,
        identity=identity_rows(identity),
    )
    sections = [("anomaly-curves", "Anomalies found and test scores against labels", [block])]
    page = render_page(
        "netal report: anomaly", head, sections, _tables(summary, str(out / SUMMARY_FILE))
    )
    target = out / "report.html"
    write_text(target, page)
    return target
