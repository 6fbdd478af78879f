"""The ``netal qoais`` study: a scorecard per model and seed, resumable, summarized against SLAs.

Every cell is one model (a learner or the LightGBM reference) on one seed:
it loads the seed's rows (:func:`~netal.experiments.qoais.data.scoring_data`),
builds the model and measures :func:`netal.qoais.scorecard` on them (torch
and LightGBM on one thread).  ``finish`` reduces the seeds to a mean and a
95 % t interval per indicator, checks the means against each tier of the SLA
file (:func:`netal.qoais.check_sla`), and writes ``OUT/scorecard.json``,
``OUT/scorecard.csv`` (one row per model and indicator), ``OUT/scores.csv``
(one row per model and seed), ``OUT/summary.md`` and ``OUT/report.html``
(rendered by :func:`netal.report.build_scorecard_report` from those files).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from netal.atomic import write_text
from netal.experiments.qoais.data import restored_run, scoring_data
from netal.experiments.qoais.models import VARIANT, make_model
from netal.experiments.qoais.settings import QoaisSettings
from netal.harness import Cell, CellOutput, StudyRun, cell_frame, check_seeds, run_study
from netal.harness.progress import report
from netal.qoais import (
    INDICATORS,
    TIERS,
    check_sla,
    has_intervals,
    indicator_unit,
    load_sla,
    one_torch_thread,
    scorecard,
)
from netal.report import build_scorecard_report, scorecard_markdown
from netal.report.identity import run_identity

SCORES_TABLE = "scores"
CONFIDENCE = 0.95


@dataclass(frozen=True)
class QoaisOutcome:
    """What the study wrote: the scorecard (as in ``scorecard.json``), its Markdown, cells run/resumed."""

    out_dir: Path
    card: dict[str, Any]
    markdown: str
    ran: int
    skipped: int


@dataclass(frozen=True)
class QoaisStudy:
    """The study of :func:`run_qoais_experiment` (see the module docstring)."""

    settings: QoaisSettings

    def fingerprint(self) -> dict[str, Any]:
        """Every setting but the grid axes (models, their parameters, seeds), the SLA and the data's place."""
        kept = dataclasses.asdict(self.settings)
        for name in ("learners", "learner_params", "seeds", "first_seed", "data_dir", "sla"):
            kept.pop(name)
        kept["drift"] = self.settings.drift_task or "none"
        return {"study": "qoais", **kept}

    def cells(self, seeds: Sequence[int]) -> list[Cell]:
        """Seed x model; a model's parameters are part of its cell's key (a run's model: one cell)."""
        s = self.settings
        if s.from_run is not None:
            spec = s.run_spec()
            run = {"run": str(Path(s.from_run).resolve())}
            return [Cell(spec.dataset, f"{spec.learner}{VARIANT}run", spec.seed, run)]
        return [
            Cell(
                s.dataset,
                name,
                int(seed),
                {"model_params": json.dumps(s.params_of(name), sort_keys=True, default=list)},
            )
            for seed in seeds
            for name in s.learners
        ]

    def run_cell(self, cell: Cell) -> CellOutput:
        """Fit one model on one seed's rows and measure its scorecard."""
        s = self.settings
        report(0, 2, "loading data")
        if s.from_run is not None:
            model, data = restored_run(s)
        else:
            data = scoring_data(s, cell.seed)
            params = json.loads(str(cell.param("model_params")))
            model = make_model(cell.strategy, params, cell.seed)
        report(1, 2, "fitting and scoring")
        with one_torch_thread():
            card = scorecard(
                model,
                data.X_train,
                data.y_train,
                data.X_test,
                data.y_test,
                X_shift=data.X_shift,
                y_shift=data.y_shift,
                fit=s.from_run is None,
                seed=cell.seed,
                latency_repeats=s.latency_repeats,
            )
        row = {**card, **data.describe(), "intervals": has_intervals(model)}
        return CellOutput(cell, {SCORES_TABLE: pd.DataFrame([row])})

    def finish(self, run: StudyRun) -> QoaisOutcome:
        """Mean and interval per model and indicator, SLA checks, files, report."""
        scores = cell_frame(run.outputs, SCORES_TABLE)
        card = _scorecard_document(scores, self.settings)
        out = run.out_dir
        write_text(out / "scorecard.json", json.dumps(card, indent=2, allow_nan=False) + "\n")
        write_text(out / "scorecard.csv", _long_table(card).to_csv(index=False))
        per_seed = scores.drop(columns=["key", "dataset", "model_params"], errors="ignore")
        per_seed = per_seed.rename(columns={"strategy": "model"})
        write_text(out / "scores.csv", per_seed.to_csv(index=False))
        markdown = scorecard_markdown(card)
        write_text(out / "summary.md", markdown)
        build_scorecard_report(out)
        return QoaisOutcome(out, card, markdown, len(run.ran), len(run.skipped))


def _json_number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def mean_interval(values: np.ndarray, level: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and two-sided Student-t interval of the finite ``values`` (NaN bounds below 2 values)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(finite.mean())
    if finite.size < 2:
        return mean, math.nan, math.nan
    half = scipy_stats.t.ppf((1 + level) / 2, finite.size - 1) * finite.std(ddof=1)
    half /= math.sqrt(finite.size)
    return mean, mean - float(half), mean + float(half)


def _scorecard_document(scores: pd.DataFrame, settings: QoaisSettings) -> dict[str, Any]:
    """``scorecard.json``: facts, indicators, per model mean/interval per indicator, SLA checks."""
    present = list(dict.fromkeys(scores["strategy"]))
    models = [m for m in settings.learners if m in present] or present
    first = scores.iloc[0]
    unit = str(first["unit"]) or None
    per_model: dict[str, dict[str, Any]] = {}
    means: dict[str, dict[str, float]] = {}
    for model in models:
        part = scores[scores["strategy"] == model]
        per_model[model] = {}
        means[model] = {}
        for name in INDICATORS:
            # a cell stored by a netal with fewer indicators has no column: not measured
            column = part[name] if name in part else pd.Series(np.nan, index=part.index)
            mean, low, high = mean_interval(column.to_numpy(dtype=np.float64))
            means[model][name] = mean
            per_model[model][name] = {
                "mean": _json_number(mean),
                "ci_low": _json_number(low),
                "ci_high": _json_number(high),
                "n": int(np.isfinite(column.to_numpy(dtype=np.float64)).sum()),
            }
    sla: dict[str, Any] | None = None
    if settings.sla is not None:
        tiers = load_sla(settings.sla)
        sla = {
            "file": str(settings.sla),
            "tiers": {
                tier: {model: check_sla(means[model], tiers[tier]).to_dict() for model in models}
                for tier in TIERS
                if tier in tiers
            },
        }
    no_intervals = sorted({str(m) for m in scores.loc[~scores["intervals"], "strategy"]})
    return {
        "experiment": "qoais",
        "dataset": str(first["dataset"]),
        "domain": str(first["domain"]),
        "shift": str(first["shift"]) or None,
        "drift_task": settings.drift_task,
        "unit": unit,
        "seeds": sorted(int(s) for s in scores["seed"].unique()),
        "models": models,
        "rows": {
            key: int(first[key]) for key in ("train_rows", "test_rows", "shift_rows", "n_features")
        },
        "notes": [
            f"{', '.join(no_intervals)}: no predictive intervals, so no coverage"
            if no_intervals
            else "every model gives predictive intervals",
            "latency on this CPU with one torch thread; FLOPs counted by "
            "torch.utils.flop_counter (matrix multiplies only; none for tree models)",
        ],
        "indicators": {
            name: {
                "unit": indicator_unit(name, unit),
                "better": ind.better,
                "group": ind.group,
                "description": ind.description,
            }
            for name, ind in INDICATORS.items()
        },
        "scores": per_model,
        "sla": sla,
        "settings": {
            k: list(v) if isinstance(v, tuple) else v
            for k, v in dataclasses.asdict(settings).items()
        },
        "run": run_identity(),
    }


def _long_table(card: dict[str, Any]) -> pd.DataFrame:
    """One row per model and indicator: unit, mean, interval, seeds, and pass/fail per SLA tier."""
    rows = []
    tiers = (card.get("sla") or {}).get("tiers", {})
    for model in card["models"]:
        for name, about in card["indicators"].items():
            score = card["scores"][model][name]
            row = {
                "model": model,
                "indicator": name,
                "unit": about["unit"],
                "mean": score["mean"],
                "ci_low": score["ci_low"],
                "ci_high": score["ci_high"],
                "seeds": score["n"],
            }
            for tier, results in tiers.items():
                status = {c["indicator"]: c["status"] for c in results[model]["checks"]}
                row[f"sla_{tier}"] = status.get(name, "")
            rows.append(row)
    return pd.DataFrame(rows)


def run_qoais_experiment(
    settings: QoaisSettings,
    out_dir: str | Path,
    *,
    executor: Any = None,
    on_cell: Callable[..., None] | None = None,
) -> QoaisOutcome:
    """Run (or resume) the QoAIS study of ``settings`` into ``out_dir``.

    Parameters
    ----------
    settings
        Dataset, models, drift task, SLA file, seeds (:class:`QoaisSettings`).
    out_dir
        Output directory (cells, scorecard files, report).
    executor
        A :mod:`netal.harness.executors` backend (None: this process).
    on_cell
        Called with each finished (or earlier stored) cell: progress.
    """
    seeds = check_seeds(settings.seed_list())
    return run_study(
        QoaisStudy(settings), seeds, out_dir, executor, on_cell=on_cell, on_skipped=on_cell
    )
