"""The ``netal search`` study: per dataset and seed, one Optuna search per tier, then the picks on test.

A cell is one (dataset, seed).  It splits the data without leakage (by run or
session where the data has them, else in time, else at random) into training
rows, a validation part of the training data (the search's error objective
and early stopping) and test rows (only for the final report); runs one
search per deployment tier (:func:`netal.search.run_tier_search`, the tier's
limits as constraints) in the SQLite file ``OUT/optuna/<dataset>-<seed>.sqlite``
(a killed run resumes with its finished trials); and then, over the full
trials of all tiers, takes the Pareto front, its hypervolume and the model
chosen per tier, retrains each chosen configuration and scores it on the test
rows beside a CV-tuned LightGBM (:class:`netal.transfer.LightGBMReference`,
fitted on the training and validation rows) on the same split.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal.errors import InvalidInputError
from netal.experiments.search.joint import JOINT_ARM, run_joint
from netal.experiments.search.outputs import write_outputs
from netal.experiments.search.settings import SearchSettings
from netal.experiments.sources import cached_source, encode_features
from netal.experiments.tabular.splits import SPLITS, auto_split
from netal.harness import ALL_ARMS, Cell, CellOutput, StudyRun, check_seeds, run_study
from netal.harness.progress import report
from netal.qoais import scorecard
from netal.search import (
    SearchData,
    build_learner,
    choose_per_tier,
    config_seed,
    hypervolume,
    normalize,
    pareto_front,
    rmse,
    run_tier_search,
    storage_url,
    trials_frame,
)
from netal.transfer import LightGBMReference

OPTUNA_DIR = "optuna"
"""Where the study keeps each cell's Optuna storage inside its output directory."""


@dataclass(frozen=True)
class _SplitKnobs:
    """The fields the splitters of :data:`netal.experiments.tabular.splits.SPLITS` read."""

    test_fraction: float
    val_fraction: float
    seed: int
    block_size_m: float = 250.0


@dataclass(frozen=True)
class SearchSplit:
    """One seed's arrays: what the search sees, and the test rows for the report."""

    data: SearchData
    X_test: np.ndarray
    y_test: np.ndarray
    split: str
    unit: str | None


def _cap(rows: np.ndarray, cap: int, seed: int, tag: int) -> np.ndarray:
    if len(rows) <= cap:
        return rows
    rng = np.random.default_rng([seed, tag])
    return np.sort(rng.choice(rows, size=cap, replace=False))


_SPLITS: dict[str, SearchSplit] = {}


def _split(settings: SearchSettings, dataset: str, seed: int) -> SearchSplit:
    """The seed's split of ``dataset`` (cached per process: the tiers' searches share it)."""
    key = json.dumps([dataset, seed, dataclasses.asdict(settings)], sort_keys=True, default=str)
    if key not in _SPLITS:
        _SPLITS.clear()
        _SPLITS[key] = _make_split(settings, dataset, seed)
    return _SPLITS[key]


def _make_split(settings: SearchSettings, dataset: str, seed: int) -> SearchSplit:
    source = cached_source(
        dataset,
        data_dir=settings.data_dir,
        rows=settings.twin_rows,
        twin_seed=seed,
        options=settings.dataset_options,
    )
    y = source.y
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise InvalidInputError(
            "dataset", f"{dataset!r} target has {bad.size} missing value(s), first at row {bad[0]}"
        )
    method = auto_split(source)
    parts = SPLITS[method](source, _SplitKnobs(settings.test_fraction, settings.val_fraction, seed))
    if len(parts.validation) == 0:
        raise InvalidInputError("val_fraction", f"left no validation rows in {dataset!r}")
    train = _cap(parts.train, settings.max_train, seed, 1)
    val = _cap(parts.validation, settings.max_val, seed, 2)
    test = _cap(parts.test, settings.max_test, seed, 3)
    X, _ = encode_features(source, fit_rows=parts.train)
    data = SearchData(X[train], y[train], X[val], y[val])
    unit = source.units.get(source.target)
    return SearchSplit(data, X[test], y[test], method, unit.split(" (")[0] if unit else None)


@dataclass(frozen=True)
class SearchOutcome:
    """What the study wrote: the Markdown summary, the cells run and resumed."""

    out_dir: Path
    markdown: str
    ran: int
    skipped: int


@dataclass(frozen=True)
class SearchStudy:
    """The study of :func:`run_search_experiment` (see the module docstring)."""

    settings: SearchSettings
    out_dir: str

    def fingerprint(self) -> dict[str, Any]:
        """Every setting but the grid axes (datasets, seeds) and where the data is."""
        kept = dataclasses.asdict(self.settings)
        for name in ("datasets", "seeds", "first_seed", "data_dir", "transfer_tasks"):
            kept.pop(name)
        kept["space"] = self.settings.search_space().to_dict()
        kept["tiers"] = {k: t.to_dict() for k, t in self.settings.tiers.items()}
        kept["objectives"] = list(kept["objectives"])
        return {"study": "search", **kept}

    def cells(self, seeds: Sequence[int]) -> list[Cell]:
        """Dataset x seed (the searches), then transfer task x seed (joint search + transfer)."""
        searches = [Cell(d, ALL_ARMS, int(s)) for d in self.settings.datasets for s in seeds]
        joint = [Cell(t, JOINT_ARM, int(s)) for t in self.settings.transfer_tasks for s in seeds]
        return searches + joint

    def run_cell(self, cell: Cell) -> CellOutput:
        """A dataset's searches (:meth:`run_search`) or a task's joint comparison."""
        runners = {ALL_ARMS: self.run_search, JOINT_ARM: self.run_joint}
        return runners[cell.strategy](cell)

    def run_joint(self, cell: Cell) -> CellOutput:
        """Joint search + transfer on one task and seed (:func:`run_joint`)."""
        path = Path(self.out_dir) / OPTUNA_DIR / f"joint-{cell.dataset}-{cell.seed}.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        return CellOutput(cell, {"joint": run_joint(self.settings, cell.dataset, cell.seed, path)})

    def storage(self, cell: Cell) -> str:
        """The Optuna storage URL of a cell."""
        path = Path(self.out_dir) / OPTUNA_DIR / f"{cell.dataset}-{cell.seed}.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        return storage_url(path)

    def run_search(self, cell: Cell) -> CellOutput:
        """Every tier's search on one dataset and seed, then the picks retrained and tested."""
        s = self.settings
        split = _split(s, cell.dataset, cell.seed)
        space = s.search_space()
        frames = []
        for tier_name, trials in s.trials_per_tier().items():
            study = run_tier_search(
                split.data,
                space,
                s.tiers[tier_name],
                s.config_for(trials),
                seed=cell.seed,
                storage=self.storage(cell),
                study_name=tier_name,
                on_trial=lambda done, total, t=tier_name: report(done, total, f"{t} trials"),
            )
            frame = trials_frame(study)
            frame.insert(0, "search", tier_name)
            frames.append(frame)
        trials = pd.concat(frames, ignore_index=True)
        full = trials[trials["fidelity"] == "full"].reset_index(drop=True)
        objectives = list(s.objectives)
        front = pareto_front(full, objectives)
        points = normalize(front, objectives, split.data.baseline_rmse) if len(front) else []
        volume = hypervolume(np.asarray(points), objectives) if len(front) else 0.0
        choices = self._test_choices(choose_per_tier(full, s.tiers), split, cell.seed)
        about = pd.DataFrame(
            [
                {
                    "hypervolume": volume,
                    "front_size": len(front),
                    "trials": len(trials),
                    "full_trials": len(full),
                    "pruned_trials": int((trials["fidelity"] == "pruned").sum()),
                    "infeasible_trials": int((trials["fidelity"] == "stage1").sum()),
                    "search_seconds": float(trials["seconds"].sum()),
                    "baseline_rmse": split.data.baseline_rmse,
                    "train_rows": len(split.data.y_train),
                    "val_rows": len(split.data.y_val),
                    "test_rows": len(split.y_test),
                    "split": split.split,
                    "unit": split.unit or "",
                    "load_average": os.getloadavg()[0],
                }
            ]
        )
        front = front.assign(on_front=True)
        return CellOutput(
            cell, {"trials": trials, "front": front, "choices": choices, "about": about}
        )

    def _test_choices(self, choices: pd.DataFrame, split: SearchSplit, seed: int) -> pd.DataFrame:
        """Retrain each tier's pick on the training rows and score it, and LightGBM, on test."""
        d = split.data
        reference = LightGBMReference(random_state=seed).fit(
            np.vstack([d.X_train, d.X_val]), np.concatenate([d.y_train, d.y_val])
        )
        lightgbm = rmse(reference.predict(split.X_test), split.y_test)
        tested = []
        for row in choices.to_dict("records"):
            row["lightgbm_test_rmse"] = lightgbm
            if row.get("trial") is None or pd.isna(row.get("trial")):
                row["test_rmse"] = float("nan")
            else:
                params = json.loads(row["config"])
                params["hidden"] = tuple(params["hidden"])
                learner = build_learner(
                    row["family"], params, config_seed(seed, row["family"], params)
                )
                learner.fit(d.X_train, d.y_train, validation_data=(d.X_val, d.y_val))
                row["test_rmse"] = rmse(learner.predict(split.X_test), split.y_test)
                card = scorecard(
                    learner, d.X_train, d.y_train, split.X_test, split.y_test, fit=False, seed=seed
                )
                row.update({f"qoais_{k}": v for k, v in card.items()})
            tested.append(row)
        return pd.DataFrame(tested)

    def finish(self, run: StudyRun) -> SearchOutcome:
        """Per dataset: trials, front, choices, the front's plot and ``summary.md``."""
        markdown = write_outputs(run, self.settings)
        return SearchOutcome(run.out_dir, markdown, len(run.ran), len(run.skipped))


def run_search_experiment(
    settings: SearchSettings,
    out_dir: str | Path,
    *,
    executor: Any = None,
    on_cell: Callable[..., None] | None = None,
) -> SearchOutcome:
    """Run (or resume) the search study of ``settings`` into ``out_dir``.

    Parameters
    ----------
    settings
        Datasets, seeds, trials, sampler, space, tiers (:class:`SearchSettings`).
    out_dir
        Output directory (cells, Optuna storages, reports).
    executor
        A :mod:`netal.harness.executors` backend (None: this process).
    on_cell
        Called with each finished (or earlier stored) cell: progress.
    """
    seeds = check_seeds(settings.seed_list())
    study = SearchStudy(settings, str(Path(out_dir).resolve()))
    return run_study(study, seeds, out_dir, executor, on_cell=on_cell, on_skipped=on_cell)
