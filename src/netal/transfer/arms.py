"""The arms of a transfer + active-learning comparison, each run on the engine.

Every arm labels target rows through :class:`~netal.loop.ActiveLearningLoop`
from the same initial target labels, with the same batch size and budget, and
is scored on the same target test rows; they differ in the learner and in how
the next labels are chosen:

===================  ====================================  ================================
arm                  learner                               selection
===================  ====================================  ================================
``scratch_random``   MC-dropout MLP, target labels only    ``random``
``scratch_al``       MC-dropout MLP, target labels only    the AL strategy
``transfer_random``  the source model fine-tuned           ``random``
``transfer_al``      the source model fine-tuned           the AL strategy
``no_adaptation``    the source model as is                ``random`` (labels unused)
``lightgbm``         LightGBM, CV-tuned per fit            ``random`` (the same labels as
                                                           ``scratch_random``)
===================  ====================================  ================================

The random arms draw the same rows for a seed whatever their learner (the
random strategy's generator depends on the seed and the round only), so
``lightgbm`` is the classical reference on exactly the labels
``scratch_random`` and ``transfer_random`` got.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.loop import ActiveLearningLoop, Budget, ReplayOracle, TestSetMetrics
from netal.models import MCDropoutMLP
from netal.registry import Registry
from netal.strategies import make_strategy
from netal.transfer.finetune import FINETUNE_POLICIES, FineTunedMLP
from netal.transfer.reference import LightGBMReference
from netal.transfer.tasks import TransferData


@dataclass(frozen=True)
class Arm:
    """One arm: which learner (``scratch``, ``transfer``, ``source``, ``lightgbm``) and selection."""

    name: str
    learner: str
    active: bool

    @property
    def needs_source(self) -> bool:
        """Whether the arm starts from the pretrained source model."""
        return self.learner in ("transfer", "source")


ARMS: Registry[Arm] = Registry("transfer arm")
"""The arms by name (see the module docstring)."""

for _arm in (
    Arm("scratch_random", "scratch", False),
    Arm("scratch_al", "scratch", True),
    Arm("transfer_random", "transfer", False),
    Arm("transfer_al", "transfer", True),
    Arm("no_adaptation", "source", False),
    Arm("lightgbm", "lightgbm", False),
):
    ARMS.register(_arm.name)(lambda arm=_arm: arm)

BASELINE_ARM = "scratch_random"
"""The arm every other one is compared with (its final error is the one to reach)."""


def initial_target_ids(n_pool: int, n_initial: int, seed: int) -> np.ndarray:
    """The initial labeled target rows of a seed, the same for every arm."""
    n_initial = check_positive_int(n_initial, "n_initial")
    if n_initial >= n_pool:
        raise InvalidInputError(
            "n_initial", f"is {n_initial} but the target pool has only {n_pool} rows"
        )
    rng = np.random.default_rng([seed, 0x1A17])
    return np.sort(rng.choice(n_pool, size=n_initial, replace=False))


def learner_factory(
    arm: Arm,
    source_state: np.ndarray | None,
    *,
    policy: str = "full",
    policy_params: Mapping[str, Any] = MappingProxyType({}),
    mlp_params: Mapping[str, Any] = MappingProxyType({}),
) -> Callable[[int], Any]:
    """``make_learner(seed)`` of ``arm`` (the engine builds one per phase and round)."""
    if arm.needs_source and source_state is None:
        raise InvalidInputError("source_state", f"arm {arm.name!r} needs a pretrained source model")
    chosen = "none" if arm.learner == "source" else policy
    FINETUNE_POLICIES.get(chosen)

    def make_learner(seed: int) -> Any:
        if arm.learner == "lightgbm":
            return LightGBMReference(random_state=seed)
        if arm.learner == "scratch":
            return MCDropoutMLP(**mlp_params, random_state=seed)
        return FineTunedMLP(
            source_state,
            policy=chosen,
            **policy_params,
            **mlp_params,
            random_state=seed,
        )

    make_learner.__name__ = f"{arm.learner}_{chosen}" if arm.needs_source else arm.learner
    return make_learner


def build_arm_loop(
    data: TransferData,
    arm: str,
    *,
    seed: int,
    source_state: np.ndarray | None = None,
    strategy: str = "clue",
    strategy_params: Mapping[str, Any] = MappingProxyType({}),
    policy: str = "full",
    policy_params: Mapping[str, Any] = MappingProxyType({}),
    mlp_params: Mapping[str, Any] = MappingProxyType({}),
    n_initial: int = 10,
    batch_size: int = 10,
    iterations: int = 10,
    knowledge_base: str | Path | None = None,
    on_iteration: Callable[[int], None] | None = None,
) -> ActiveLearningLoop:
    """The engine of one arm on one seed's target (not run yet; ``.run()`` runs or resumes it).

    Parameters
    ----------
    data
        The task's split (:func:`~netal.transfer.tasks.load_task`).
    arm
        A name of :data:`ARMS`.
    seed
        Root seed of the run (initial labels, learners, selection).
    source_state
        The pretrained source model (:func:`~netal.transfer.finetune.pretrain`)
        for the transfer and no-adaptation arms.
    strategy, strategy_params
        The AL strategy of the ``*_al`` arms (any name of
        :data:`netal.strategies.STRATEGIES`).
    policy, policy_params
        Fine-tuning policy of the transfer arms and its parameters
        (``alpha``, ``n_trainable``).
    mlp_params
        Parameters of the MC-dropout MLP shared by every neural arm.
    n_initial, batch_size, iterations
        Initial target labels (free, the same for every arm), labels per
        round, rounds: the budget is ``batch_size * iterations`` labels.
    knowledge_base
        SQLite file of the run (resume after a kill), or None for memory.
    on_iteration
        Called with each finished iteration (progress).
    """
    chosen = ARMS.create(arm)
    ids = initial_target_ids(len(data.y_pool), n_initial, seed)
    metrics = TestSetMetrics(data.X_test, data.y_test)
    if on_iteration is not None:
        measure = metrics.on_iteration_end

        def hooked(context: Any) -> Mapping[str, float]:
            values = measure(context)
            on_iteration(context.iteration)
            return values

        metrics.on_iteration_end = hooked  # type: ignore[method-assign]
    selection = (
        make_strategy(strategy, **dict(strategy_params))
        if chosen.active
        else make_strategy("random")
    )
    return ActiveLearningLoop(
        data.X_pool,
        ReplayOracle(data.y_pool),
        learner_factory(
            chosen,
            source_state,
            policy=policy,
            policy_params=policy_params,
            mlp_params=mlp_params,
        ),
        selection,
        initial_ids=ids,
        initial_labels=data.y_pool[ids],
        batch_size=batch_size,
        budget=Budget(labels=batch_size * iterations),
        max_iterations=iterations,
        callbacks=[metrics],
        seed=seed,
        knowledge_base=knowledge_base,
        run_name=f"{data.task}/{arm}",
    )
