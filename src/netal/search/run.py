"""One tier's multi-objective search on Optuna, resumable from its SQLite storage.

:func:`run_tier_search` drives an Optuna study (``directions`` all
``minimize``) whose trials sample a configuration of a
:class:`~netal.search.space.SearchSpace`, train it on the training rows
(early stopping on the validation rows) and return the objectives of
:data:`~netal.search.pareto.OBJECTIVES`: validation RMSE, parameter count and
p99 latency per row at batch 1.  The tier's limits are the trial's
constraints (``Trial.set_constraint``, Optuna 5's successor of ``constraints_func``:
``metric - limit <= 0`` is feasible), which NSGA-II and TPE use.

Two fidelities keep 200 trials affordable on a laptop-class CPU:

1. every trial first trains ``stage1_share`` of its epochs; its size and
   latency are measured then (they depend on the architecture only);
2. a trial that breaks its tier's limits stops there: it is told to Optuna
   with its first-stage error (``fidelity = "stage1"``), so the constrained
   sampler learns where the infeasible region is, but it is never on a front
   nor chosen;
3. a feasible trial whose first-stage (error, size, latency) is dominated by
   the first-stage values of an earlier full trial is pruned (the first-stage
   error is the low-fidelity estimate of the final one, as in successive
   halving: Jamieson and Talwalkar, AISTATS 2016; Li et al., "Hyperband",
   JMLR 2018), since a model that a finished one beats on every count early on
   rarely reaches the front; the rest train to the end (``fidelity = "full"``).

Optuna does not support ``Trial.report`` (and so its pruners) in
multi-objective studies, hence this rule.  The storage is an SQLite file
(``sqlite:///PATH`` through SQLAlchemy): a run killed with SIGKILL keeps its
finished trials; the trial that was running is marked failed and the search
continues until ``trials`` trials are complete or pruned.

References
----------
Akiba et al., KDD 2019 (Optuna); Deb et al., IEEE TEC 2002 (NSGA-II);
Ozaki et al., "Multiobjective Tree-Structured Parzen Estimator", JAIR 2022.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.models.seeding import derive_seed
from netal.qoais import count_parameters, inference_latency
from netal.registry import Registry
from netal.search.pareto import OBJECTIVES
from netal.search.space import SearchSpace, build_learner
from netal.search.tiers import Tier

SAMPLERS: Registry[optuna.samplers.BaseSampler] = Registry("sampler")
"""Optuna samplers by name: ``nsga2`` (default), ``tpe`` (multi-objective TPE), ``random``,
``grid`` (every configuration of a finite space, once: ``BruteForceSampler``)."""


@SAMPLERS.register("nsga2")
def _nsga2(seed: int, population: int) -> Any:
    return optuna.samplers.NSGAIISampler(population_size=population, seed=seed)


@SAMPLERS.register("tpe")
def _tpe(seed: int, population: int) -> Any:
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, population))


@SAMPLERS.register("random")
def _random(seed: int, population: int) -> Any:
    return optuna.samplers.RandomSampler(seed=seed)


@SAMPLERS.register("grid")
def _grid(seed: int, population: int) -> Any:
    return optuna.samplers.BruteForceSampler(seed=seed)


@dataclass(frozen=True)
class SearchData:
    """The rows a search sees: training rows and a validation split of the training data.

    The test rows are not here: they are for the final report only.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray

    def __post_init__(self) -> None:
        if len(self.y_train) < 2 or len(self.y_val) < 1:
            raise InvalidInputError(
                "data",
                f"needs >= 2 training and >= 1 validation rows, got "
                f"{len(self.y_train)} and {len(self.y_val)}",
            )

    @property
    def baseline_rmse(self) -> float:
        """Validation RMSE of the training mean (the hypervolume's error scale)."""
        return rmse(np.full(len(self.y_val), float(np.mean(self.y_train))), self.y_val)


def rmse(prediction: np.ndarray, y: np.ndarray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean((np.asarray(prediction).ravel() - np.asarray(y).ravel()) ** 2)))


@dataclass(frozen=True)
class SearchConfig:
    """How a tier's search runs.

    Parameters
    ----------
    trials
        Trials to complete or prune in this study.
    sampler
        A name of :data:`SAMPLERS`.
    population
        NSGA-II's population size (TPE: its random start-up trials, at most 10).
    objectives
        Names of :data:`~netal.search.pareto.OBJECTIVES` (``rmse`` first).
    stage1_share
        Share of a trial's epochs trained before its size, latency and
        pruning check.
    prune
        Prune trials dominated at the first stage (see the module docstring).
    min_full_trials
        Full trials a study needs before it prunes.
    batch_rows, latency_repeats
        Rows of the batch latency and timed calls at batch 1.
    """

    trials: int = 60
    sampler: str = "nsga2"
    population: int = 20
    objectives: tuple[str, ...] = OBJECTIVES
    stage1_share: float = 0.25
    prune: bool = True
    min_full_trials: int = 5
    batch_rows: int = 1024
    latency_repeats: int = 100

    def __post_init__(self) -> None:
        check_positive_int(self.trials, "trials")
        SAMPLERS.get(self.sampler)
        check_positive_int(self.population, "population", minimum=2)
        if not self.objectives or self.objectives[0] != "rmse":
            raise InvalidInputError(
                "objectives", f"must start with 'rmse', got {self.objectives!r}"
            )
        for name in self.objectives:
            if name not in OBJECTIVES:
                raise InvalidInputError(
                    "objectives", f"unknown objective {name!r}; known: {', '.join(OBJECTIVES)}"
                )
        if len(set(self.objectives)) != len(self.objectives):
            raise InvalidInputError("objectives", f"names one twice: {list(self.objectives)}")
        share = self.stage1_share
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            raise InvalidInputError("stage1_share", f"must be in (0, 1], got {share!r}")
        check_positive_int(self.min_full_trials, "min_full_trials")
        check_positive_int(self.batch_rows, "batch_rows")
        check_positive_int(self.latency_repeats, "latency_repeats", minimum=10)


def config_seed(seed: int, family: str, params: Mapping[str, Any]) -> int:
    """The learner seed of a configuration: the same configuration trains the same way."""
    text = json.dumps({"family": family, **params}, sort_keys=True, default=list)
    return derive_seed(int(seed), zlib.crc32(text.encode()))


def _record(trial: optuna.trial.Trial, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        trial.set_user_attr(name, value)


def _dominated(point: np.ndarray, others: np.ndarray) -> bool:
    if len(others) == 0:
        return False
    no_worse = np.all(others <= point, axis=1)
    better = np.any(others < point, axis=1)
    return bool(np.any(no_worse & better))


def _first_stage_points(study: optuna.Study, objectives: Sequence[str]) -> np.ndarray:
    names = ["rmse_stage1", *objectives[1:]]
    points = [
        [t.user_attrs[n] for n in names]
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if t.user_attrs.get("fidelity") == "full"
    ]
    return np.asarray(points, dtype=np.float64).reshape(-1, len(names))


def make_objective(
    data: SearchData, space: SearchSpace, tier: Tier, config: SearchConfig, seed: int
) -> Callable[[optuna.trial.Trial], tuple[float, ...]]:
    """The trial function of a tier's study (see the module docstring)."""

    def objective(trial: optuna.trial.Trial) -> tuple[float, ...]:
        started = time.perf_counter()
        family, params = space.suggest(trial)
        learner = build_learner(family, params, config_seed(seed, family, params))
        total = int(params["epochs"])
        first = max(1, min(total, round(total * float(config.stage1_share))))
        validation = (data.X_val, data.y_val)
        learner.set_params(epochs=first)
        learner.fit(data.X_train, data.y_train, validation_data=validation)
        error_first = rmse(learner.predict(data.X_val), data.y_val)
        latency = inference_latency(
            learner,
            data.X_val,
            batch_rows=config.batch_rows,
            repeats_row=config.latency_repeats,
            repeats_batch=max(10, config.latency_repeats // 6),
        )
        metrics = {
            "rmse_stage1": error_first,
            "params": int(count_parameters(learner)),
            "latency_ms": latency["latency_p99_row_ms"],
            "latency_p50_ms": latency["latency_p50_row_ms"],
            "batch_latency_ms": latency["latency_p99_batch_ms"],
            "batch_latency_p50_ms": latency["latency_p50_batch_ms"],
        }
        _record(trial, {"family": family, "config": json.dumps(params, default=list), **metrics})
        for limit, bound in tier.limits.items():  # the tier's constraints (<= 0: met)
            trial.set_constraint(limit, float(metrics[limit]) - bound)
        if not tier.admits(metrics):
            _record(trial, {"fidelity": "stage1", "rmse": error_first})
            _record(trial, {"seconds": time.perf_counter() - started})
            return tuple(float(metrics.get(n, error_first)) for n in config.objectives)
        if config.prune:
            earlier = _first_stage_points(trial.study, config.objectives)
            point = np.array([error_first, *(metrics[n] for n in config.objectives[1:])])
            if len(earlier) >= config.min_full_trials and _dominated(point, earlier):
                _record(trial, {"fidelity": "pruned", "seconds": time.perf_counter() - started})
                raise optuna.TrialPruned("dominated at the first stage")
        if total > first:
            learner.set_params(epochs=total - first)
            learner.partial_fit(data.X_train, data.y_train, validation_data=validation)
        error = rmse(learner.predict(data.X_val), data.y_val)
        _record(trial, {"fidelity": "full", "rmse": error})
        _record(trial, {"seconds": time.perf_counter() - started})
        return (error, *(float(metrics[n]) for n in config.objectives[1:]))

    return objective


def storage_url(path: str | Path) -> str:
    """SQLAlchemy URL of the SQLite file ``path`` (Optuna's RDB storage)."""
    return f"sqlite:///{Path(path).resolve()}"


def open_study(storage: str, name: str, config: SearchConfig, seed: int) -> optuna.Study:
    """Create or load the study ``name`` in ``storage`` with the configured sampler."""
    sampler = SAMPLERS.create(config.sampler, seed=int(seed), population=config.population)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(
        storage=storage,
        study_name=name,
        sampler=sampler,
        directions=["minimize"] * len(config.objectives),
        load_if_exists=True,
    )


def _settled(study: optuna.Study) -> int:
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return len(study.get_trials(deepcopy=False, states=states))


def run_tier_search(
    data: SearchData,
    space: SearchSpace,
    tier: Tier,
    config: SearchConfig,
    *,
    seed: int,
    storage: str,
    study_name: str,
    on_trial: Callable[[int, int], None] | None = None,
) -> optuna.Study:
    """Run (or resume) one tier's search until ``config.trials`` trials are complete or pruned.

    Parameters
    ----------
    data
        Training rows and the validation split of the training data.
    space
        The families and ranges to sample.
    tier
        The tier whose limits are the constraints (an unconstrained tier has none).
    config
        Trials, sampler, objectives, pruning, latency settings.
    seed
        Seed of the sampler and of every trial's learner.
    storage, study_name
        Optuna RDB storage URL (:func:`storage_url`) and the study's name in it.
    on_trial
        Called with ``(settled trials, trials)`` after each trial (progress).
    """
    study = open_study(storage, study_name, config, seed)
    for stale in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(stale.number, state=optuna.trial.TrialState.FAIL)  # killed mid-trial
    remaining = config.trials - _settled(study)
    if remaining > 0:
        objective = make_objective(data, space, tier, config, seed)

        def progress(study: optuna.Study, _: optuna.trial.FrozenTrial) -> None:
            if on_trial is not None:
                on_trial(_settled(study), config.trials)
            if _settled(study) >= config.trials:
                study.stop()  # a finite grid may also stop the study earlier

        study.optimize(objective, n_trials=remaining, callbacks=[progress], catch=())
    return study


TRIAL_COLUMNS: tuple[str, ...] = (
    "trial",
    "state",
    "fidelity",
    "family",
    "config",
    "rmse",
    "rmse_stage1",
    "params",
    "latency_ms",
    "latency_p50_ms",
    "batch_latency_ms",
    "batch_latency_p50_ms",
    "seconds",
)
"""Columns of :func:`trials_frame`."""


def trials_frame(study: optuna.Study) -> pd.DataFrame:
    """One row per finished trial of ``study`` (complete or pruned), in trial order."""
    rows = []
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    for t in study.get_trials(deepcopy=False, states=states):
        attrs = t.user_attrs
        rows.append(
            {
                "trial": t.number,
                "state": t.state.name.lower(),
                **{c: attrs.get(c) for c in TRIAL_COLUMNS[2:]},
            }
        )
    frame = pd.DataFrame(rows, columns=list(TRIAL_COLUMNS))
    for column in TRIAL_COLUMNS[5:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame
