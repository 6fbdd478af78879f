"""The ``netal federated`` study: federated active learning on Flower, arms x seeds.

:class:`~netal.experiments.federated.study.FederatedStudy` (one cell per seed,
every arm of the seed in one Flower simulation), the federations it runs on
(:data:`~netal.experiments.federated.prepare.FEDERATIONS`) and the command's
settings (:class:`FederatedRunSettings`, :func:`load_federated`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netal._validation import check_positive_int
from netal.configfile import read_section
from netal.errors import InvalidInputError
from netal.experiments.federated import real as real  # registers the measured federations
from netal.experiments.federated.prepare import FEDERATIONS, FederationSpec, federate
from netal.experiments.federated.study import DEFAULT_ARMS, FederatedStudy, arm_settings
from netal.federated import FederatedConfig

FLAGS = {
    "source": "--source",
    "arms": "--arms",
    "seeds": "--seeds",
    "first_seed": "--first-seed",
    "rounds": "--rounds",
    "batch": "--batch",
    "pool_size": "--pool-size",
    "n_initial": "--n-initial",
    "compression": "--compression",
    "aggregation": "--aggregation",
    "local_epochs": "--local-epochs",
    "workers": "--workers",
    "data_dir": "--data-dir",
}
"""Setting -> the flag that sets it (errors in flag values name the flag)."""


@dataclass(frozen=True)
class FederatedRunSettings:
    """Which arms on how many seeds, with how many Ray workers."""

    arms: tuple[str, ...] = DEFAULT_ARMS
    seeds: int = 3
    first_seed: int = 0
    workers: int = 1

    def __post_init__(self) -> None:
        check_positive_int(self.seeds, "seeds")
        check_positive_int(self.workers, "workers")
        if isinstance(self.first_seed, bool) or self.first_seed < 0:
            raise InvalidInputError("first_seed", f"must be >= 0, got {self.first_seed}")
        if not self.arms:
            raise InvalidInputError("arms", "give at least one arm")
        for arm in self.arms:
            arm_settings(arm)

    def seed_list(self) -> list[int]:
        """The seeds to run."""
        return list(range(self.first_seed, self.first_seed + self.seeds))


def load_federated(
    path: str | Path | None, overrides: Mapping[str, Any]
) -> tuple[FederationSpec, FederatedConfig, FederatedRunSettings]:
    """The ``[federated]`` table of ``path`` (or defaults) with the flags' ``overrides`` on top."""
    return read_section(
        path,
        "federated",
        [FederationSpec, FederatedConfig, FederatedRunSettings],
        overrides,
        flags=FLAGS,
        path_fields=("data_dir",),
    )


__all__ = [
    "DEFAULT_ARMS",
    "FEDERATIONS",
    "FederatedRunSettings",
    "FederatedStudy",
    "FederationSpec",
    "arm_settings",
    "federate",
    "load_federated",
]
