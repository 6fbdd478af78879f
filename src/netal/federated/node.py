"""A client's netal engine: its pool, its label budget and its knowledge base, on the node.

Each client of a federation drives netal's active-learning engine
(:class:`~netal.loop.ActiveLearningLoop`, ask/tell) over its own pool with its own
:class:`~netal.loop.Budget` and its own annotator (a :class:`~netal.loop.ReplayOracle`
of its labels).  The engine's knowledge base is a SQLite file in the node's own
storage (``storage_dir/client-<partition>.sqlite``): it records every query,
label and model version, and nothing of it is ever sent.  A node opens the engine
again every round (the engine resumes from its knowledge base), so a client's
rounds may run in any worker process of the node.

Per round (:func:`select_and_label`): the engine's next model version is the
global model the server sent (loaded into the engine's learner,
:class:`~netal.federated.learner.GlobalModel`) or, for the ``local`` arm, a model
trained from scratch on the client's labels; the engine asks its acquisition
function (the arm's) for up to ``batch`` rows within the budget; the client's
annotator labels them and the engine is told.  The labeled set the client then
trains on is the engine's (:meth:`~netal.loop.ActiveLearningLoop.training_set`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from netal.federated.clients import ClientData
from netal.federated.config import FederatedConfig
from netal.federated.learner import FederatedMLP, GlobalModel
from netal.federated.selection import SELECTORS, LoGoStrategy
from netal.loop import ActiveLearningLoop, Answer, Budget, KnowledgeBase, ReplayOracle


@dataclass
class EngineLearners:
    """The engine's learner factory (``make_learner(seed)``) for one client and arm.

    ``weights`` is the global model of the current round (set by the client before
    it trains a version); it is state, not part of the run's configuration.
    """

    config: FederatedConfig
    engine_model: str
    weights: list[np.ndarray] | None = None

    def __call__(self, seed: int) -> FederatedMLP:
        """A fresh learner: the global model's holder, or the local model."""
        if self.engine_model == "local":
            return self.config.learner(self.config.local_model_epochs, random_state=seed)
        model = self.config.learner(self.config.local_epochs, random_state=seed, kind=GlobalModel)
        model.source_weights = self.weights
        return model


def client_seed(seed: int, partition: int) -> int:
    """The engine seed of client ``partition`` in a run of ``seed``."""
    return int(np.random.SeedSequence([int(seed), int(partition), 0xC11E]).generate_state(1)[0])


@dataclass
class RoundLabels:
    """What the client's engine holds after its round: the training set and the counts."""

    X: np.ndarray
    y: np.ndarray
    n_queried: int
    model_version: int


def open_engine(
    data: ClientData, config: FederatedConfig, partition: int, run: int, storage_dir: Path
) -> tuple[ActiveLearningLoop, EngineLearners, Any]:
    """The client's engine over its pool, resumed from its knowledge base in ``storage_dir``."""
    arm = SELECTORS[config.arm]()
    learners = EngineLearners(config, arm.engine_model)
    strategy = arm.make_strategy(config.strategy)
    initial = np.asarray(data.initial, dtype=np.int64)
    loop = ActiveLearningLoop(
        data.X,
        ReplayOracle(data.y),
        learners,
        strategy,
        initial_ids=initial,
        initial_labels=data.y[initial],
        batch_size=min(config.batch, len(data) - len(initial)),
        budget=Budget(labels=config.client_budget),
        retrain_every="manual",
        seed=client_seed(config.seed, partition),
        knowledge_base=KnowledgeBase(Path(storage_dir) / f"client-{partition}.sqlite"),
        run_name=f"run-{run}-{config.arm}",
        learner_name=f"federated-{arm.engine_model}",
    )
    return loop, learners, strategy


def select_and_label(
    data: ClientData,
    config: FederatedConfig,
    partition: int,
    run: int,
    storage_dir: Path,
    global_weights: list[np.ndarray],
    server_round: int,
) -> RoundLabels:
    """One round of the client's engine: a model version, ask, label, tell (round 1: version 0)."""
    loop, learners, strategy = open_engine(data, config, partition, run, storage_dir)
    try:
        learners.weights = global_weights
        if server_round == 1 or loop.model_version < 0:
            loop.train()  # version 0 on the initial set (the global model as sent)
        if server_round > 1 and not loop.done:
            loop.train(force=True)  # this round's version: the new global (or local) model
            if isinstance(strategy, LoGoStrategy):
                X_lab, y_lab = loop.training_set()
                strategy.local_model = config.learner(config.local_model_epochs).fit(X_lab, y_lab)
            queries = loop.ask(config.batch)
            if queries:
                ids = np.asarray([q.sample_id for q in queries], dtype=np.int64)
                answer = loop.oracle.query(ids)  # the client's own annotator
                loop.tell(
                    Answer(q.query_id, float(label))
                    for q, label in zip(queries, np.asarray(answer.labels).reshape(-1), strict=True)
                )
        X, y = loop.training_set()
        return RoundLabels(X, y, loop.spent_labels, loop.model_version)
    finally:
        loop.knowledge_base.close()
