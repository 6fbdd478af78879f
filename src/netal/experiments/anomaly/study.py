"""The ``netal anomaly`` study: analyst-in-the-loop anomaly detection on sutd5g, by scenario split.

Cells are ``test scenario x seed x arm`` (:mod:`~netal.experiments.anomaly.arms`), run and
resumed by :func:`netal.harness.run_study`: each finished cell is stored at once
(``OUT/cells/``), so a killed run continues with the cells still to do, and a cell of a
classification strategy keeps the engine's knowledge base in ``OUT/kb/<key>.sqlite``, so a
cell killed mid-curve continues from its last model version.  A cell writes
``records`` (one row per checkpoint: labels, anomalies found, test F1 and PR-AUC),
``queries`` (the rows it labeled, in order) and ``reference`` (the split's sizes, the fully
supervised classifier's test F1 and PR-AUC, the unweighted detectors' test PR-AUC).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal.data.sutd5g import SUTD_SCENARIOS
from netal.experiments.anomaly.arms import (
    DETECTOR_ARMS,
    ArmSettings,
    classifier_features,
    run_detector_arm,
    run_engine_arm,
)
from netal.experiments.anomaly.data import LABEL, TWIN, load_frame, scenario_split, twin_split
from netal.experiments.anomaly.detectors import detector_scores
from netal.experiments.anomaly.metrics import (
    anomaly_probability,
    classification_scores,
    score_pr_auc,
)
from netal.experiments.anomaly.outputs import AnomalyOutcome, write_anomaly_outputs
from netal.harness.grid import Cell
from netal.harness.store import CellOutput
from netal.harness.study import StudyRun, cell_knowledge_base, check_seeds, run_study

DATASET = "sutd5g"


@dataclass(frozen=True)
class AnomalyStudy:
    """Frozen configuration of ``netal anomaly`` (fields: see :class:`AnomalySettings`)."""

    arms: tuple[str, ...]
    test_scenarios: tuple[str, ...]
    detectors: tuple[str, ...]
    learner: str
    learner_params: str
    n_initial: int
    batch_size: int
    budget: int
    anomaly_rate: float | None
    tau: float
    lam: float
    data_dir: str | None = None
    dataset: str = DATASET
    """``sutd5g`` (scenario splits) or ``twin`` (induced anomalies; one split named ``twin``)."""
    label: str = LABEL
    """The sutd5g label column that is the target (``lab_anom``, ``lab_bs``, ``lab_inf``)."""
    out_dir: str = ""
    """Where the study writes (the cells' knowledge bases go to ``OUT/kb/``); not fingerprinted."""

    def arm_settings(self) -> ArmSettings:
        """What the arms of a cell share."""
        return ArmSettings(
            learner=self.learner,
            learner_params=json.loads(self.learner_params),
            n_initial=self.n_initial,
            batch_size=self.batch_size,
            budget=self.budget,
            tau=self.tau,
            lam=self.lam,
        )

    def fingerprint(self) -> dict[str, Any]:
        """Every setting but the grid axes (arms, test scenarios, seeds) and ``data_dir``."""
        kept = dataclasses.asdict(self)
        for axis in ("arms", "test_scenarios", "data_dir", "out_dir"):
            del kept[axis]
        if kept["dataset"] == DATASET:
            del kept["dataset"]  # fingerprints written before the twin source still match
        if kept["label"] == LABEL:
            del kept["label"]  # and those written before the label choice
        return {"study": "anomaly", **kept}

    def cells(self, seeds: Sequence[int]) -> list[Cell]:
        """One cell per test scenario, seed and arm."""
        return [
            Cell(self.dataset, arm, seed, {"test_scenario": scenario})
            for scenario in self.test_scenarios
            for seed in seeds
            for arm in self.arms
        ]

    def run_cell(self, cell: Cell) -> CellOutput:
        """One arm on one scenario split and seed (module-level code: runs in workers)."""
        scenario = str(cell.param("test_scenario"))
        if self.dataset == TWIN:
            split = twin_split(self.anomaly_rate, cell.seed)
        else:
            split = scenario_split(
                load_frame(self.data_dir, self.label),
                scenario,
                self.anomaly_rate,
                cell.seed,
                self.label,
            )
        scores = detector_scores(self.detectors, split.X_pool, split.X_test, cell.seed)
        settings = self.arm_settings()
        if cell.strategy in DETECTOR_ARMS:
            index = SUTD_SCENARIOS.index(scenario) if scenario in SUTD_SCENARIOS else 0
            rng = np.random.default_rng([cell.seed, index, 7])
            records, order = run_detector_arm(
                cell.strategy, settings, split, scores, cell.seed, rng
            )
        else:
            kb = cell_knowledge_base(self.out_dir, cell) if self.out_dir else None
            records, order = run_engine_arm(cell.strategy, settings, split, scores, cell.seed, kb)
        n_anomalies = float(split.y_pool.sum())
        records = records.assign(
            dataset=self.dataset,
            strategy=cell.strategy,
            seed=cell.seed,
            test_scenario=scenario,
            cost=records["n_labels"].astype(np.float64),
            found_frac=records["found"] / n_anomalies,
            precision=records["found"] / records["n_labels"],
        )
        F_pool, F_test = classifier_features(split, scores)
        full = settings.make_learner(cell.seed).fit(F_pool, split.y_pool)
        supervised = classification_scores(split.y_test, anomaly_probability(full, F_test))
        reference = pd.DataFrame(
            [
                {
                    "test_scenario": scenario,
                    "seed": cell.seed,
                    "n_pool": len(split.y_pool),
                    "pool_anomalies": n_anomalies,
                    "n_test": len(split.y_test),
                    "test_anomalies": float(split.y_test.sum()),
                    "supervised_f1": supervised["f1"],
                    "supervised_pr_auc": supervised["pr_auc"],
                    "detectors_pr_auc": score_pr_auc(split.y_test, scores.ensemble(test=True)),
                }
            ]
        )
        queries = pd.DataFrame({"order": np.arange(len(order)), "pool_row": order})
        return CellOutput(cell, {"records": records, "queries": queries, "reference": reference})

    def finish(self, run: StudyRun) -> AnomalyOutcome:
        """Tables, figures with confidence bands, ``summary.md`` and ``summary.json``."""
        return write_anomaly_outputs(run, self)


def run_anomaly_experiment(
    out_dir: str | Path,
    *,
    arms: Sequence[str] = ("random", "detector", "aad", "entropy", "bald_cls"),
    test_scenarios: Sequence[str] = SUTD_SCENARIOS,
    detectors: Sequence[str] = ("iforest", "ecod", "copod"),
    learner: str = "bagged_trees",
    learner_params: dict[str, Any] | None = None,
    n_initial: int = 20,
    batch_size: int = 20,
    budget: int = 400,
    anomaly_rate: float | None = 0.05,
    tau: float = 0.05,
    lam: float = 0.5,
    seeds: Sequence[int] = (0, 1, 2),
    data_dir: str | Path | None = None,
    dataset: str = DATASET,
    label: str = LABEL,
    executor: Any = None,
    on_cell: Any = None,
) -> AnomalyOutcome:
    """Run (or resume) the anomaly study into ``out_dir``; see :class:`AnomalySettings`.

    With ``dataset="twin"`` the one split is the twin's (``test_scenarios`` is ``("twin",)``).
    """
    if dataset == TWIN:
        test_scenarios = (TWIN,)
    study = AnomalyStudy(
        arms=tuple(arms),
        test_scenarios=tuple(test_scenarios),
        detectors=tuple(detectors),
        learner=learner,
        learner_params=json.dumps(dict(learner_params or {}), sort_keys=True),
        n_initial=n_initial,
        batch_size=batch_size,
        budget=budget,
        anomaly_rate=anomaly_rate,
        tau=tau,
        lam=lam,
        data_dir=None if data_dir is None else str(data_dir),
        dataset=dataset,
        label=label,
        out_dir=str(Path(out_dir).resolve()),
    )
    return run_study(
        study, check_seeds(seeds), out_dir, executor, on_cell=on_cell, on_skipped=on_cell
    )
