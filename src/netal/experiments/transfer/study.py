"""The ``netal transfer`` study: task x seed x arm cells on the engine, resumable, with a report.

Every cell is one arm of :mod:`netal.transfer.arms` on one seed of one task:
it loads the task's split (:func:`netal.transfer.load_task`, cached per
process), takes the seed's pretrained source model from
``OUT/pretrained/<task>-<seed>.npy`` (written atomically by the first cell
that needs it; pretraining is deterministic, so two workers writing it write
the same bytes), and runs the arm's engine with its knowledge base in
``OUT/kb/<key>.sqlite``, so a cell killed mid-curve continues from its last
model version.  ``finish`` writes per task ``OUT/<task>/results.parquet``,
``summary.json``, ``summary.md`` and ``report.html`` (label-budget curves with
95 % t bands), and ``OUT/summary.md`` with every task's tables.
"""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal.atomic import atomic_path, write_parquet, write_text
from netal.experiments.tabular.run import records_of
from netal.experiments.transfer.settings import TransferSettings
from netal.harness import (
    Cell,
    CellOutput,
    StudyRun,
    cell_frame,
    cell_knowledge_base,
    check_seeds,
    run_study,
    stats,
)
from netal.harness.progress import report
from netal.report import build_report, summary_from_results, write_summary
from netal.report.numbers import markdown_table
from netal.transfer import ARMS, BASELINE_ARM, TransferData, build_arm_loop, load_task, pretrain

PRETRAINED_DIR = "pretrained"
"""Where the study keeps each seed's source model inside its output directory."""

GOAL_SHARE = 0.30
"""The issue's goal: transfer + AL reaches the from-scratch final error with <= 30 % of its labels."""


@functools.lru_cache(maxsize=2)
def _task_data(
    task: str, seed: int, data_dir: str | None, twin_rows: int, caps: tuple[tuple[str, int], ...]
) -> TransferData:
    return load_task(task, seed, data_dir=data_dir, twin_rows=twin_rows, **dict(caps))


@dataclass(frozen=True)
class TransferOutcome:
    """What the study wrote: per task its summary; the Markdown of all; the cells run and resumed."""

    out_dir: Path
    summaries: dict[str, dict[str, Any]]
    markdown: str
    ran: int
    skipped: int


@dataclass(frozen=True)
class TransferStudy:
    """The study of :func:`run_transfer_experiment` (see the module docstring)."""

    settings: TransferSettings
    out_dir: str

    def fingerprint(self) -> dict[str, Any]:
        """Every setting but the grid axes (tasks, arms, seeds) and where the data is."""
        kept = dataclasses.asdict(self.settings)
        for name in ("tasks", "arms", "seeds", "first_seed", "data_dir"):
            kept.pop(name)
        kept["hidden"] = list(kept["hidden"])
        if not kept["rescale_target"]:
            del kept["rescale_target"]  # fingerprints written before the option still match
        return {"study": "transfer", **kept}

    def cells(self, seeds: Sequence[int]) -> list[Cell]:
        """Task x seed x arm, the baseline arm of a seed first."""
        return [
            Cell(task, arm, int(seed))
            for task in self.settings.tasks
            for seed in seeds
            for arm in self.settings.run_arms
        ]

    def data(self, task: str, seed: int) -> TransferData:
        """The task's split for ``seed`` (cached per process)."""
        s = self.settings
        return _task_data(task, seed, s.data_dir, s.twin_rows, tuple(sorted(s.caps().items())))

    def source_state(self, data: TransferData, seed: int) -> np.ndarray:
        """The seed's pretrained source model, from ``OUT/pretrained`` or trained and stored there.

        Workers that need the same model at once wait on an ``flock`` of
        ``<task>-<seed>.lock`` instead of pretraining it twice.
        """
        path = Path(self.out_dir) / PRETRAINED_DIR / f"{data.task}-{seed}.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process ends
            if path.is_file():
                return np.load(path, allow_pickle=False)
            report(0, None, "pretraining")
            state = pretrain(
                data.X_source,
                data.y_source,
                data.X_source_val,
                data.y_source_val,
                seed=seed,
                **{**self.settings.mlp_params(), "epochs": self.settings.pretrain_epochs},
            )
            with atomic_path(path) as tmp, open(tmp, "wb") as handle:
                np.save(handle, state, allow_pickle=False)
        return state

    def run_cell(self, cell: Cell) -> CellOutput:
        """One arm on one seed of one task: its learning curve and the split's sizes."""
        s = self.settings
        data = self.data(cell.dataset, cell.seed)
        arm = ARMS.create(cell.strategy)
        state = self.source_state(data, cell.seed) if arm.needs_source else None
        kb = cell_knowledge_base(self.out_dir, cell)
        kb.parent.mkdir(parents=True, exist_ok=True)
        loop = build_arm_loop(
            data,
            cell.strategy,
            seed=cell.seed,
            source_state=state,
            strategy=s.strategy,
            policy=s.policy,
            policy_params=s.policy_params(),
            mlp_params=s.mlp_params(),
            n_initial=s.n_initial,
            batch_size=s.batch_size,
            iterations=s.iterations,
            knowledge_base=kb,
            on_iteration=lambda i: report(i, s.iterations, "rounds"),
        )
        result = loop.run()
        loop.knowledge_base.close()
        sizes = pd.DataFrame([{k: v for k, v in data.describe().items() if k != "features"}])
        sizes["n_features"] = len(data.feature_names)
        return CellOutput(cell, {"records": records_of(result), "data": sizes})

    def finish(self, run: StudyRun) -> TransferOutcome:
        """Per task: results, summary, report; then ``OUT/summary.md``."""
        records = cell_frame(run.outputs, "records")
        sizes = cell_frame(run.outputs, "data")
        summaries, parts = {}, []
        for task in self.settings.tasks:
            df = records[records["dataset"] == task].reset_index(drop=True)
            about = sizes[sizes["dataset"] == task]
            summary = _task_summary(task, df, about, self.settings)
            out = run.out_dir / task
            out.mkdir(parents=True, exist_ok=True)
            write_parquet(df, out / "results.parquet")
            write_summary(out, summary)
            build_report(out)
            summaries[task] = summary
            parts.append(f"## {task}\n\n{summary['description']}\n")
            parts += [f"### {title}\n\n{table}\n" for title, table in summary["tables"].items()]
        markdown = "\n".join(parts)
        write_text(run.out_dir / "summary.md", markdown)
        return TransferOutcome(run.out_dir, summaries, markdown, len(run.ran), len(run.skipped))


def share_table(df: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """Per arm: target labels needed to reach ``scratch_random``'s final RMSE, as a share of its labels.

    Returns the Markdown table and the per-seed frame of
    :func:`netal.harness.stats.labels_to_reach`.
    """
    by = ["dataset", "strategy"]
    reach = stats.labels_to_reach(df, by, BASELINE_ARM, "rmse", "n_labels")
    rows = []
    for arm, group in reach.groupby("strategy", sort=False):
        if arm == BASELINE_ARM:
            continue
        ok = group[group["status"] == "reached"]
        share = ok["needed"] / ok["baseline_final"]
        rows.append(
            {
                "arm": arm,
                "seeds": len(group),
                "reached": len(ok),
                "median labels needed": float(ok["needed"].median()) if len(ok) else math.nan,
                "median share of scratch labels": float(share.median()) if len(ok) else math.nan,
                f"seeds within {GOAL_SHARE:.0%}": int((share <= GOAL_SHARE).sum()),
            }
        )
    return markdown_table(pd.DataFrame(rows)), reach


def _task_summary(
    task: str, df: pd.DataFrame, about: pd.DataFrame, settings: TransferSettings
) -> dict[str, Any]:
    first = about.iloc[0] if len(about) else None
    unit = str(first["unit"]) if first is not None else None
    budget = settings.n_initial + settings.batch_size * settings.iterations
    protocol = (
        f"transfer {first['source']} -> {first['target']}; {settings.n_initial} initial + "
        f"{settings.batch_size} x {settings.iterations} target labels; AL = {settings.strategy}, "
        f"fine-tuning = {settings.policy}{' (target rescaled)' if settings.rescale_target else ''}"
        if first is not None
        else task
    )
    summary = summary_from_results(
        df,
        experiment="transfer",
        dataset=task,
        protocol=protocol,
        by=["dataset", "strategy"],
        baseline=BASELINE_ARM,
        units={"rmse": unit, "cost": "labels"} if unit else {"cost": "labels"},
    )
    table, _ = share_table(df)
    summary["tables"] = {
        f"Target labels to reach {BASELINE_ARM}'s final RMSE ({budget} labels), as a share "
        f"(goal: <= {GOAL_SHARE:.0%})": table,
        **summary["tables"],
    }
    summary["description"] = protocol
    summary["data"] = about.drop(columns=["key", "strategy"], errors="ignore").to_dict("records")
    summary["settings"] = {
        k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(settings).items()
    }
    return summary


def run_transfer_experiment(
    settings: TransferSettings,
    out_dir: str | Path,
    *,
    executor: Any = None,
    on_cell: Callable[..., None] | None = None,
) -> TransferOutcome:
    """Run (or resume) the transfer study of ``settings`` into ``out_dir``.

    Parameters
    ----------
    settings
        Tasks, arms, seeds and every knob (:class:`TransferSettings`).
    out_dir
        Output directory (cells, knowledge bases, pretrained models, reports).
    executor
        A :mod:`netal.harness.executors` backend (None: this process).
    on_cell
        Called with each finished (or earlier stored) cell: progress.
    """
    seeds = check_seeds(settings.seed_list())
    study = TransferStudy(settings, str(Path(out_dir).resolve()))
    return run_study(study, seeds, out_dir, executor, on_cell=on_cell, on_skipped=on_cell)
