"""The typed settings of ``netal anomaly``: the ``[anomaly]`` TOML table and the flags."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netal._validation import check_positive_int
from netal.configfile import read_section
from netal.data.sutd5g import SUTD_SCENARIOS
from netal.errors import InvalidInputError
from netal.experiments.anomaly.arms import DETECTOR_ARMS
from netal.experiments.anomaly.data import LABEL, check_scenario
from netal.experiments.anomaly.detectors import DETECTORS
from netal.models import LEARNERS
from netal.strategies import STRATEGIES, strategy_names

ARMS = ("random", "detector", "aad", "entropy", "bald_cls")
"""The default arms."""

DEFAULT_LEARNER_PARAMS: dict[str, dict[str, Any]] = {
    "bagged_trees": {"n_estimators": 50, "min_samples_leaf": 3},
}
"""Parameters under the given ones: 50 trees with leaves of at least 3 rows, so a tree's
probabilities are not all 0 or 1 and BALD (mutual information) differs from entropy."""


def _check_names(values: tuple[str, ...], parameter: str, check: Any) -> None:
    if not values:
        raise InvalidInputError(parameter, "names no entry")
    if len(set(values)) != len(values):
        raise InvalidInputError(parameter, f"names an entry twice: {list(values)}")
    for value in values:
        check(value)


def check_arm(name: str) -> str:
    """An arm: ``random``, ``detector``, ``aad`` or a classification strategy, else one line."""
    if name in DETECTOR_ARMS:
        return name
    STRATEGIES.get(name)  # unknown names: one line listing the known strategies
    known = strategy_names("classification")
    if name not in known:
        raise InvalidInputError(
            "arms", f"{name!r} is a regression strategy; use one of {[*DETECTOR_ARMS, *known]}"
        )
    return name


@dataclass(frozen=True)
class AnomalySettings:
    """Everything ``netal anomaly`` runs (see :func:`~netal.experiments.anomaly.run_anomaly_experiment`).

    Parameters
    ----------
    arms
        ``random``, ``detector`` (unweighted PyOD ensemble), ``aad`` and classification
        strategies (``entropy``, ``margin``, ``bald_cls``, ``badge``, ``coreset``).
    test_scenarios
        The scenarios tested on, one split each (the others are the pool).
    detectors
        PyOD detectors of the cold start (``iforest``, ``ecod``, ``copod``).
    learner, learner_params
        The classifier every arm trains (a name of ``LEARNERS``) and its parameters (on top
        of :data:`DEFAULT_LEARNER_PARAMS`).
    n_initial, batch_size, budget
        Cold-start labels, labels per round, labels in all (cold start included).
    anomaly_rate
        Share of anomalies kept in pool and test (``None``: the labels' own rate).
    tau, lam
        AAD's anomaly quantile and its pull towards the prior weights.
    seeds, first_seed
        Replication seeds.
    data_dir
        Directory of the real datasets (default ``$NETAL_DATA_DIR``).
    dataset
        ``sutd5g`` (default) or ``twin`` (ordinary twin runs plus induced body blockage and
        crowds as the anomalies; ``test_scenarios`` is then ignored).
    label
        The sutd5g label that marks an anomaly: ``lab_anom`` (default, any anomaly),
        ``lab_bs`` (black spot) or ``lab_inf`` (interference); checked against the data
        (a missing or non-0/1 column is one error line) before any cell runs.
    """

    arms: tuple[str, ...] = ARMS
    test_scenarios: tuple[str, ...] = SUTD_SCENARIOS
    detectors: tuple[str, ...] = ("iforest", "ecod", "copod")
    learner: str = "bagged_trees"
    learner_params: dict[str, Any] = field(default_factory=dict)
    n_initial: int = 20
    batch_size: int = 20
    budget: int = 400
    anomaly_rate: float | None = 0.05
    tau: float = 0.05
    lam: float = 0.5
    seeds: int = 3
    first_seed: int = 0
    data_dir: str | None = None
    dataset: str = "sutd5g"
    label: str = LABEL

    def __post_init__(self) -> None:
        if self.dataset not in ("sutd5g", "twin"):
            raise InvalidInputError("dataset", f"must be 'sutd5g' or 'twin', got {self.dataset!r}")
        if not isinstance(self.label, str) or not self.label:
            raise InvalidInputError("label", f"must name a label column, got {self.label!r}")
        if self.dataset == "twin" and self.label != LABEL:
            raise InvalidInputError(
                "label", "applies to sutd5g only (the twin marks its anomalies)"
            )
        _check_names(self.arms, "arms", check_arm)
        _check_names(self.test_scenarios, "test_scenarios", check_scenario)
        _check_names(self.detectors, "detectors", DETECTORS.get)
        factory = LEARNERS.get(self.learner)
        if not hasattr(factory, "predict_proba"):
            raise InvalidInputError("learner", f"{self.learner!r} is not a classifier")
        accepted = inspect.signature(factory).parameters
        for key in self.learner_params:
            if key not in accepted:
                raise InvalidInputError(
                    "learner_params", f"{self.learner!r} takes no parameter {key!r}"
                )
        learner = factory(**{"classes": (0, 1), **self.learner_params})
        if callable(getattr(learner, "check_params", None)):
            learner.check_params()
        for name in ("n_initial", "batch_size", "seeds"):
            check_positive_int(getattr(self, name), name)
        check_positive_int(self.first_seed, "first_seed", minimum=0)
        check_positive_int(self.budget, "budget", minimum=self.n_initial + self.batch_size)
        if self.anomaly_rate is not None and not 0.0 < self.anomaly_rate < 1.0:
            raise InvalidInputError(
                "anomaly_rate", f"must be in (0, 1) or none, got {self.anomaly_rate!r}"
            )
        if not 0.0 < self.tau < 1.0:
            raise InvalidInputError("tau", f"must be in (0, 1), got {self.tau!r}")
        if self.lam < 0:
            raise InvalidInputError("lam", f"must be >= 0, got {self.lam!r}")

    def seed_list(self) -> list[int]:
        """The seeds, in order."""
        return list(range(self.first_seed, self.first_seed + self.seeds))

    def study_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`~netal.experiments.anomaly.run_anomaly_experiment`."""
        return {
            "arms": self.arms,
            "test_scenarios": self.test_scenarios,
            "detectors": self.detectors,
            "learner": self.learner,
            "learner_params": {
                **DEFAULT_LEARNER_PARAMS.get(self.learner, {}),
                **self.learner_params,
            },
            "n_initial": self.n_initial,
            "batch_size": self.batch_size,
            "budget": self.budget,
            "anomaly_rate": self.anomaly_rate,
            "tau": self.tau,
            "lam": self.lam,
            "seeds": self.seed_list(),
            "data_dir": self.data_dir,
            "dataset": self.dataset,
            "label": self.label,
        }


FLAGS = {
    "arms": "--arms",
    "test_scenarios": "--test-scenarios",
    "budget": "--budget",
    "batch_size": "--batch-size",
    "n_initial": "--n-initial",
    "anomaly_rate": "--anomaly-rate",
    "learner": "--learner",
    "seeds": "--seeds",
    "first_seed": "--first-seed",
    "data_dir": "--data-dir",
    "dataset": "--dataset",
    "label": "--label",
}
"""Settings given as flags, so errors in their values name the flag."""


def load_anomaly(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> AnomalySettings:
    """``[anomaly]`` of ``path`` (optional) with ``overrides`` (the flags) on top."""
    (settings,) = read_section(
        path, "anomaly", (AnomalySettings,), overrides, flags=FLAGS, path_fields=("data_dir",)
    )
    return settings
