"""Model lifecycle: transfer between network domains combined with active learning.

A model trained where data is plentiful (a source domain) is moved to where it is
scarce (the target) and asks only for the labels it needs there (paper: "Active ML
for 6G", section VII, "Transfer and multi-task active learning").

* :mod:`netal.transfer.tasks`: named tasks (source -> target) in :data:`TRANSFER_TASKS`
  and their leakage-free split (:func:`load_task`);
* :mod:`netal.transfer.finetune`: source pretraining and the fine-tuning policies
  (``full``, ``last_layers``, ``l2sp``, ``none``) of :class:`FineTunedMLP`;
* :mod:`netal.transfer.arms`: the arms (scratch / transfer x random / AL, no
  adaptation, LightGBM) as engine runs (:func:`build_arm_loop`);
* the target-aware selector is the strategy ``clue`` of :mod:`netal.strategies`.

Example
-------
>>> from netal.transfer import build_arm_loop, load_task, pretrain  # doctest: +SKIP
>>> data = load_task("twin-walking-driving", seed=0)  # doctest: +SKIP
>>> source = pretrain(data.X_source, data.y_source, data.X_source_val, data.y_source_val,
...                   seed=0, epochs=40)  # doctest: +SKIP
>>> result = build_arm_loop(data, "transfer_al", seed=0, source_state=source,
...                         strategy="clue", policy="l2sp").run()  # doctest: +SKIP
>>> result.metrics["test_rmse"]  # doctest: +SKIP
"""

from netal.transfer.arms import ARMS, BASELINE_ARM, Arm, build_arm_loop, initial_target_ids
from netal.transfer.domains import Domain, shifted_scenario
from netal.transfer.finetune import FINETUNE_POLICIES, FineTunedMLP, pretrain
from netal.transfer.reference import LightGBMReference
from netal.transfer.tasks import (
    TRANSFER_TASKS,
    TransferData,
    TransferTask,
    check_task_data,
    load_task,
    split_task,
)

__all__ = [
    "ARMS",
    "BASELINE_ARM",
    "FINETUNE_POLICIES",
    "TRANSFER_TASKS",
    "Arm",
    "Domain",
    "FineTunedMLP",
    "LightGBMReference",
    "TransferData",
    "TransferTask",
    "build_arm_loop",
    "check_task_data",
    "initial_target_ids",
    "load_task",
    "pretrain",
    "shifted_scenario",
    "split_task",
]
