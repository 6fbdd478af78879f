"""What ``netal search`` writes: per dataset the trials, the front, the picks, a plot and a summary.

``OUT/<dataset>/trials.parquet`` (every complete or pruned trial of every
tier's search and seed), ``front.parquet``, ``choices.parquet`` (per tier and
seed: the pick, its validation and test RMSE, LightGBM's test RMSE),
``front.png`` (validation RMSE against p99 latency at batch 1, marker area
growing with the parameter count, the front and the picks marked) and
``summary.md``; ``OUT/summary.md`` holds every dataset's tables.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from netal.atomic import atomic_path, write_parquet, write_text
from netal.harness import StudyRun, cell_frame
from netal.report.numbers import markdown_table
from netal.search import REFERENCE_POINT

CARD_COLUMNS: tuple[str, ...] = (
    "rmse",
    "mae",
    "q95_abs_error",
    "coverage_90",
    "latency_p99_row_ms",
    "latency_p99_batch_ms",
    "n_params",
    "flops_per_row",
    "noise_50_rmse_ratio",
    "missing_20_rmse_ratio",
)
"""The QoAIS indicators shown per pick in ``summary.md`` (every one is in ``choices.parquet``)."""


def _plot(trials: pd.DataFrame, front: pd.DataFrame, choices: pd.DataFrame, path: Any) -> None:
    full = trials[trials["fidelity"] == "full"]
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    size = 8 + 30 * np.log10(full["params"].clip(lower=10)) / 2
    ax.scatter(full["latency_ms"], full["rmse"], s=size, alpha=0.35, label="trials (full)")
    ax.scatter(
        front["latency_ms"],
        front["rmse"],
        s=8 + 30 * np.log10(front["params"].clip(lower=10)) / 2,
        facecolors="none",
        edgecolors="black",
        label="Pareto front",
    )
    picked = choices.dropna(subset=["trial"])
    for row in picked.to_dict("records"):
        ax.annotate(
            f"{row['tier']} (seed {row['seed']})", (row["latency_ms"], row["rmse"]), fontsize=7
        )
    ax.set_xscale("log")
    ax.set_xlabel("p99 latency per row at batch 1 (ms, one thread)")
    ax.set_ylabel("validation RMSE")
    ax.set_title("error vs latency (marker area grows with log parameter count)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


def _dataset_markdown(
    dataset: str, about: pd.DataFrame, choices: pd.DataFrame, front: pd.DataFrame
) -> str:
    unit = str(about["unit"].iloc[0]) if len(about) else ""
    per_seed = about[
        [
            "seed",
            "trials",
            "full_trials",
            "pruned_trials",
            "infeasible_trials",
            "front_size",
            "hypervolume",
            "search_seconds",
            "load_average",
            "split",
        ]
    ]
    table = choices[
        [
            "seed",
            "tier",
            "limits",
            "family",
            "params",
            "latency_ms",
            "batch_latency_ms",
            "rmse",
            "test_rmse",
            "lightgbm_test_rmse",
        ]
    ].rename(columns={"rmse": "val_rmse"})
    card = [c for c in CARD_COLUMNS if f"qoais_{c}" in choices.columns]
    scores = choices.dropna(subset=["family"])[
        ["seed", "tier", *(f"qoais_{c}" for c in card)]
    ].rename(columns={f"qoais_{c}": c for c in card})
    columns = ["family", "params", "latency_ms", "batch_latency_ms", "rmse", "config"]
    reference = ", ".join(f"{k} {v}" for k, v in REFERENCE_POINT.items())
    return "\n".join(
        [
            f"## {dataset}\n",
            f"RMSE in {unit or 'the target unit'}; latency p99 in ms on one thread; hypervolume "
            f"on normalized objectives (reference point {reference}; see netal.search.pareto).\n",
            "### Searches\n",
            markdown_table(per_seed),
            "\n### Chosen model per tier (lowest validation RMSE within the tier's limits)\n",
            markdown_table(table),
            "\n### QoAIS scorecard of each pick on the test rows (netal.qoais.scorecard)\n",
            markdown_table(scores),
            "\n### Pareto front (first seed)\n",
            markdown_table(front[front["seed"] == front["seed"].min()][columns]),
            "",
        ]
    )


def write_outputs(run: StudyRun, settings: Any) -> str:
    """Write every dataset's files (module docstring); return the Markdown of all."""
    tables = {
        name: cell_frame(run.outputs, name) for name in ("trials", "front", "choices", "about")
    }
    parts = []
    for dataset in settings.datasets:
        mine = {k: v[v["dataset"] == dataset].reset_index(drop=True) for k, v in tables.items()}
        out = run.out_dir / dataset
        out.mkdir(parents=True, exist_ok=True)
        for name in ("trials", "front", "choices"):
            write_parquet(mine[name], out / f"{name}.parquet")
        _plot(mine["trials"], mine["front"], mine["choices"], out / "front.png")
        text = _dataset_markdown(dataset, mine["about"], mine["choices"], mine["front"])
        write_text(out / "summary.md", text)
        parts.append(text)
    joint = cell_frame(run.outputs, "joint")
    if len(joint):
        write_parquet(joint, run.out_dir / "joint.parquet")
        shown = ["dataset", "seed", "arm", "params", "latency_ms", "source_val_rmse"]
        parts.append(
            "## Joint search + transfer (target test RMSE at equal target labels)\n\n"
            + markdown_table(joint[[*shown, "target_labels", "target_test_rmse"]])
            + "\n"
        )
    markdown = "\n".join(parts)
    write_text(run.out_dir / "summary.md", markdown)
    return markdown
