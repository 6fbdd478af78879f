"""The typed settings of ``netal search``: the ``[search]`` table of a TOML file, flags on top.

``[search]`` holds the run's knobs (:class:`SearchSettings`);
``[search.space.FAMILY]`` the ranges of a model family
(:class:`netal.search.FamilySpace`) and ``[search.tiers.NAME]`` a deployment
tier's limits (:class:`netal.search.Tier`).  Without them the shipped space
(MC-dropout MLP and deep ensemble) and tiers (device, edge, cloud) are used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netal._validation import check_positive_int
from netal.configfile import read_section
from netal.errors import InvalidInputError
from netal.experiments.settings import Replication
from netal.experiments.sources import check_source
from netal.search import (
    FAMILIES,
    SAMPLERS,
    FamilySpace,
    SearchConfig,
    SearchSpace,
    Tier,
    check_tiers,
    default_space,
    default_tiers,
)
from netal.transfer import TRANSFER_TASKS


def _fraction(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise InvalidInputError(name, f"must be in (0, 1), got {value!r}")


@dataclass(frozen=True)
class SearchSettings(Replication):
    """Everything ``netal search`` runs.

    Parameters
    ----------
    datasets
        ``"twin"``, names of :data:`netal.data.DATASETS` or a user table's name.
    dataset_options
        Loader options of a single dataset (a user table's fields, ``file`` of umn-mmwave).
    trials
        Trials per (dataset, seed), split evenly over the tiers' searches.
    sampler, population
        A name of :data:`netal.search.SAMPLERS` (``nsga2``, ``tpe``, ``random``,
        ``grid``) and NSGA-II's population.
    objectives
        ``rmse`` first, then ``params`` and/or ``latency_ms``.
    prune, stage1_share
        The first-stage pruning of :mod:`netal.search.run`.
    test_fraction, val_fraction
        Shares of the test part and of the validation part of the training
        data (split by run/session where the data has them, else in time or at random).
    max_train, max_val, max_test
        Caps on the rows of each part (subsampled per seed).
    twin_rows
        Rows of the twin data set.
    space, tiers
        Model families with their ranges; deployment tiers with their limits.
    data_dir
        Directory of real datasets (default ``$NETAL_DATA_DIR``).
    transfer_tasks
        Names of :data:`netal.transfer.TRANSFER_TASKS` for the joint search +
        transfer comparison (:mod:`netal.experiments.search.joint`; none by default).
    transfer_trials, transfer_carry
        Trials of each of its two searches; front members carried to the target.
    transfer_initial, transfer_batch, transfer_iterations
        Target labels: initial, per round, rounds (the target-only search gets as many).
    seeds, first_seed
        Replication seeds.
    """

    datasets: tuple[str, ...] = ("twin",)
    dataset_options: dict[str, Any] = field(default_factory=dict)
    trials: int = 60
    sampler: str = "nsga2"
    population: int = 12
    objectives: tuple[str, ...] = ("rmse", "params", "latency_ms")
    prune: bool = True
    stage1_share: float = 0.25
    test_fraction: float = 0.2
    val_fraction: float = 0.15
    max_train: int = 2000
    max_val: int = 1000
    max_test: int = 5000
    twin_rows: int = 20_000
    space: dict[str, FamilySpace] = field(default_factory=default_space)
    tiers: dict[str, Tier] = field(default_factory=default_tiers)
    data_dir: str | None = None
    transfer_tasks: tuple[str, ...] = ()
    transfer_trials: int = 20
    transfer_carry: int = 3
    transfer_initial: int = 10
    transfer_batch: int = 10
    transfer_iterations: int = 5
    seeds: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.datasets:
            raise InvalidInputError("datasets", "names no dataset")
        if len(set(self.datasets)) != len(self.datasets):
            raise InvalidInputError("datasets", f"names one twice: {list(self.datasets)}")
        if self.dataset_options and len(self.datasets) != 1:
            raise InvalidInputError("dataset_options", "need exactly one dataset")
        for name in self.datasets:
            check_source(name, self.dataset_options)
        check_positive_int(self.trials, "trials")
        SAMPLERS.get(self.sampler)
        for name in self.space:
            FAMILIES.get(name)
        SearchSpace(dict(self.space))
        check_tiers(self.tiers)
        if self.trials < len(self.tiers):
            raise InvalidInputError(
                "trials",
                f"is {self.trials} but there are {len(self.tiers)} tiers (one search each)",
            )
        _fraction(self.test_fraction, "test_fraction")
        _fraction(self.val_fraction, "val_fraction")
        for name in ("max_train", "max_val", "max_test"):
            check_positive_int(getattr(self, name), name, minimum=10)
        check_positive_int(self.twin_rows, "twin_rows", minimum=500)
        self.config_for(self.trials)  # objectives, sampler, population, pruning
        for name in self.transfer_tasks:
            TRANSFER_TASKS.get(name)
        for name in ("transfer_trials", "transfer_carry", "transfer_batch", "transfer_iterations"):
            check_positive_int(getattr(self, name), name)
        check_positive_int(self.transfer_initial, "transfer_initial", minimum=2)

    def config_for(self, trials: int) -> SearchConfig:
        """The :class:`netal.search.SearchConfig` of one tier's search of ``trials`` trials."""
        return SearchConfig(
            trials=trials,
            sampler=self.sampler,
            population=self.population,
            objectives=tuple(self.objectives),
            stage1_share=self.stage1_share,
            prune=self.prune,
        )

    def trials_per_tier(self) -> dict[str, int]:
        """The trials of each tier's search: ``trials`` split evenly, the remainder to the first."""
        names = list(self.tiers)
        base, extra = divmod(self.trials, len(names))
        return {name: base + (1 if i < extra else 0) for i, name in enumerate(names)}

    def search_space(self) -> SearchSpace:
        """The families and ranges to sample."""
        return SearchSpace(dict(self.space))


def load_search(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> SearchSettings:
    """``[search]`` of ``path`` (optional) with ``overrides`` (the given flags) on top."""
    (settings,) = read_section(
        path,
        "search",
        (SearchSettings,),
        overrides,
        flags={
            "datasets": "--datasets",
            "trials": "--trials",
            "sampler": "--sampler",
            "seeds": "--seeds",
            "dataset_options": "--data",
            "transfer_tasks": "--transfer-tasks",
        },
        path_fields=("data_dir",),
    )
    return settings
