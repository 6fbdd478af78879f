"""Joint search + transfer: search on a transfer task's source, carry the front to the target.

For one task of :data:`netal.transfer.TRANSFER_TASKS` and one seed:

1. **search on the source**: an unconstrained search (MC-dropout MLPs, the
   family :class:`netal.transfer.FineTunedMLP` adapts) on the source's
   training rows, validated on the source's validation rows (no target row);
2. **carry the front**: the ``carry`` front members with the lowest source
   validation RMSE are pretrained on the source and adapted in the target by
   the ``transfer_al`` arm of :mod:`netal.transfer.arms` (fine-tuning, CLUE
   selection), ``n_initial + batch_size * iterations`` target labels each;
3. **search on the target alone**: the same number of target labels drawn at
   random (the first ``n_initial`` are the arms' initial labels), three quarters
   to train and a quarter to validate a search with the same trials, its pick
   retrained on those labels.

Every model is scored on the target's test rows, never seen before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal.search import (
    SearchConfig,
    SearchData,
    SearchSpace,
    Tier,
    build_learner,
    config_seed,
    pareto_front,
    rmse,
    run_tier_search,
    storage_url,
    trials_frame,
)
from netal.transfer import build_arm_loop, initial_target_ids, load_task, pretrain

JOINT_ARM = "joint"
"""The ``strategy`` of a joint search + transfer cell."""


def _search(
    data: SearchData, space: SearchSpace, config: SearchConfig, seed: int, path: Path, name: str
) -> pd.DataFrame:
    study = run_tier_search(
        data, space, Tier(), config, seed=seed, storage=storage_url(path), study_name=name
    )
    frame = trials_frame(study)
    return frame[frame["fidelity"] == "full"].reset_index(drop=True)


def _params(row: dict[str, Any]) -> dict[str, Any]:
    params = json.loads(row["config"])
    params["hidden"] = tuple(params["hidden"])
    return params


def run_joint(settings: Any, task: str, seed: int, storage: Path) -> pd.DataFrame:
    """One task and seed of the comparison (module docstring); one row per model.

    Parameters
    ----------
    settings
        A :class:`~netal.experiments.search.SearchSettings` (its ``transfer_*``
        fields, space of the ``mlp`` family, objectives, sampler).
    task, seed
        The transfer task and the seed of its split, searches and runs.
    storage
        SQLite file of the two searches (``source`` and ``target`` studies).
    """
    s = settings
    data = load_task(task, seed, twin_rows=s.twin_rows, max_source=s.max_train,
                     max_pool=2000, max_test=s.max_test)  # fmt: skip
    space = SearchSpace({"mlp": s.space.get("mlp") or SearchSpace().families["mlp"]})
    config = s.config_for(s.transfer_trials)
    source = SearchData(data.X_source, data.y_source, data.X_source_val, data.y_source_val)
    front = pareto_front(_search(source, space, config, seed, storage, "source"), s.objectives)
    rows = []
    for rank, member in enumerate(front.head(s.transfer_carry).to_dict("records")):
        params = _params(member)
        state = pretrain(data.X_source, data.y_source, data.X_source_val, data.y_source_val,
                         seed=seed, **params)  # fmt: skip
        loop = build_arm_loop(data, "transfer_al", seed=seed, source_state=state,
                              mlp_params=params, n_initial=s.transfer_initial,
                              batch_size=s.transfer_batch, iterations=s.transfer_iterations)  # fmt: skip
        result = loop.run()
        rows.append({"arm": f"source front #{rank + 1} + transfer_al", "family": "mlp",
                     "config": member["config"], "params": member["params"],
                     "latency_ms": member["latency_ms"], "source_val_rmse": member["rmse"],
                     "target_labels": len(result.labeled_ids),
                     "target_test_rmse": float(result.metrics["test_rmse"].iloc[-1])})  # fmt: skip
    labels = s.transfer_initial + s.transfer_batch * s.transfer_iterations
    first = initial_target_ids(len(data.y_pool), s.transfer_initial, seed)
    rest = np.setdiff1d(np.arange(len(data.y_pool)), first)
    more = np.random.default_rng([seed, 0x5EA]).choice(rest, labels - len(first), replace=False)
    chosen = np.concatenate([first, more])
    cut = max(1, len(chosen) // 4)
    target = SearchData(data.X_pool[chosen[cut:]], data.y_pool[chosen[cut:]],
                        data.X_pool[chosen[:cut]], data.y_pool[chosen[:cut]])  # fmt: skip
    found = _search(target, space, config, seed, storage, "target")
    if len(found):
        best = found.sort_values(["rmse", "params", "trial"]).iloc[0].to_dict()
        params = _params(best)
        learner = build_learner("mlp", params, config_seed(seed, "mlp", params))
        learner.fit(target.X_train, target.y_train, validation_data=(target.X_val, target.y_val))
        rows.append({"arm": "target-only search", "family": "mlp", "config": best["config"],
                     "params": best["params"], "latency_ms": best["latency_ms"],
                     "source_val_rmse": float("nan"), "target_labels": len(chosen),
                     "target_test_rmse": rmse(learner.predict(data.X_test), data.y_test)})  # fmt: skip
    return pd.DataFrame(rows)
