"""The typed settings of ``netal transfer`` (the ``[transfer]`` table of a TOML file, flags on top)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netal._validation import check_positive_int
from netal.configfile import read_section
from netal.errors import InvalidInputError
from netal.experiments.settings import Replication
from netal.strategies import STRATEGIES
from netal.transfer import ARMS, FINETUNE_POLICIES, TRANSFER_TASKS

ALL_ARMS: tuple[str, ...] = (
    "scratch_random",
    "scratch_al",
    "transfer_random",
    "transfer_al",
    "no_adaptation",
    "lightgbm",
)
"""Every arm, in report order (see :mod:`netal.transfer.arms`)."""


@dataclass(frozen=True)
class TransferSettings(Replication):
    """Everything ``netal transfer`` runs.

    Parameters
    ----------
    tasks
        Names of :data:`netal.transfer.TRANSFER_TASKS`.
    arms
        Names of :data:`netal.transfer.ARMS` (``scratch_random`` always runs:
        it is the baseline).
    strategy
        The AL strategy of the ``*_al`` arms (a name of
        :data:`netal.strategies.STRATEGIES`).
    policy, alpha, n_trainable
        Fine-tuning policy of the transfer arms (:data:`netal.transfer.FINETUNE_POLICIES`),
        the L2-SP strength and the trainable layers of ``last_layers``.
    rescale_target
        Fine-tune on the target labels' standardization, the head rescaled
        (:class:`netal.transfer.FineTunedMLP`), instead of the source's.
    n_initial, batch_size, iterations
        Free initial target labels (the same for every arm), labels per round,
        rounds (budget: ``batch_size * iterations`` target labels).
    hidden, epochs, n_passes
        The MC-dropout MLP of every neural arm (width, epochs with early
        stopping, MC passes at prediction).
    pretrain_epochs
        Epochs of the source pretraining (early stopping on source rows).
    twin_rows, max_source, max_pool, max_test
        Rows generated per twin data set; caps on source rows, target pool and
        target test rows.
    data_dir
        Directory of the real datasets (default ``$NETAL_DATA_DIR``).
    seeds, first_seed
        Replication seeds (paired across arms).
    """

    tasks: tuple[str, ...] = ("twin-walking-driving",)
    arms: tuple[str, ...] = ALL_ARMS
    strategy: str = "clue"
    policy: str = "full"
    alpha: float = 0.01
    n_trainable: int = 2
    rescale_target: bool = False
    n_initial: int = 10
    batch_size: int = 10
    iterations: int = 10
    hidden: tuple[int, ...] = (64, 64)
    epochs: int = 200
    n_passes: int = 20
    pretrain_epochs: int = 40
    twin_rows: int = 12_000
    max_source: int = 4000
    max_pool: int = 2000
    max_test: int = 1000
    data_dir: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.tasks:
            raise InvalidInputError("tasks", "names no task")
        for name in self.tasks:
            TRANSFER_TASKS.get(name)
        for name in self.arms:
            ARMS.get(name)
        if len(set(self.tasks)) != len(self.tasks) or len(set(self.arms)) != len(self.arms):
            raise InvalidInputError("tasks", "or arms name an entry twice")
        STRATEGIES.get(self.strategy)
        if not isinstance(self.rescale_target, bool):
            raise InvalidInputError(
                "rescale_target", f"must be true or false, got {self.rescale_target!r}"
            )
        FINETUNE_POLICIES.get(self.policy)
        if (
            isinstance(self.alpha, bool)
            or not isinstance(self.alpha, int | float)
            or self.alpha < 0
        ):
            raise InvalidInputError("alpha", f"must be a number >= 0, got {self.alpha!r}")
        for name in ("n_initial", "batch_size", "iterations", "epochs", "n_passes"):
            check_positive_int(getattr(self, name), name)
        for name in ("pretrain_epochs", "max_source", "max_pool", "max_test"):
            check_positive_int(getattr(self, name), name)
        check_positive_int(self.twin_rows, "twin_rows", minimum=100)
        if not self.hidden:
            raise InvalidInputError("hidden", "names no layer")
        for width in self.hidden:
            check_positive_int(width, "hidden")
        check_positive_int(self.n_trainable, "n_trainable")
        if self.n_trainable > len(self.hidden) + 1:
            raise InvalidInputError(
                "n_trainable",
                f"is {self.n_trainable} but the network has {len(self.hidden) + 1} layers",
            )
        if self.n_initial + self.batch_size * self.iterations > self.max_pool:
            raise InvalidInputError(
                "iterations",
                f"{self.n_initial} initial + {self.batch_size} x {self.iterations} labels exceed "
                f"--max-pool {self.max_pool}",
            )

    @property
    def run_arms(self) -> tuple[str, ...]:
        """The arms to run: the baseline first, then the others in report order."""
        wanted = {"scratch_random", *self.arms}
        return tuple(arm for arm in ALL_ARMS if arm in wanted)

    def mlp_params(self) -> dict[str, Any]:
        """Parameters of the MC-dropout MLP of every neural arm."""
        return {"hidden": tuple(self.hidden), "epochs": self.epochs, "n_passes": self.n_passes}

    def policy_params(self) -> dict[str, Any]:
        """Parameters of the fine-tuning policy (:class:`netal.transfer.FineTunedMLP`)."""
        params: dict[str, Any] = {"alpha": self.alpha, "n_trainable": self.n_trainable}
        if self.rescale_target:
            params["rescale_target"] = True
        return params

    def caps(self) -> dict[str, int]:
        """The caps of :func:`netal.transfer.load_task`."""
        return {"max_source": self.max_source, "max_pool": self.max_pool, "max_test": self.max_test}


def load_transfer(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> TransferSettings:
    """``[transfer]`` of ``path`` (optional) with ``overrides`` (the given flags) on top."""
    (settings,) = read_section(
        path,
        "transfer",
        (TransferSettings,),
        overrides,
        flags={
            "tasks": "--tasks",
            "arms": "--arms",
            "strategy": "--strategy",
            "policy": "--policy",
            "iterations": "--iterations",
            "batch_size": "--batch-size",
            "n_initial": "--n-initial",
            "seeds": "--seeds",
        },
        path_fields=("data_dir",),
    )
    return settings
