"""Model versions as checkpoints: learner state bytes, or a note to refit.

* ``"state"``: the learner's own ``get_state()`` bytes; netal's learners write
  tensors and plain values with ``torch.save`` and read them back with
  ``weights_only=True``, so loading a checkpoint never runs arbitrary code.
* ``"refit"``: learners without ``get_state`` are not serialized at all; the
  checkpoint is JSON naming the labeled-set size and the training seed, and a
  restore trains a fresh learner again on exactly that data (learners are
  deterministic given their seed).  Within a process the refitted learner is
  cached, so each model version is refitted at most once.

Knowledge bases written before versioning may hold ``"pickle"`` checkpoints
(learners without ``get_state``); they are never unpickled: restoring one
raises :class:`~netal.errors.KnowledgeBaseError` with what to do instead.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from netal.errors import KnowledgeBaseError
from netal.loop.retrain import fit_learner
from netal.models.base import SupportsState

STATE = "state"
REFIT = "refit"
LEGACY_PICKLE = "pickle"


def snapshot(learner: Any, *, n_labeled: int, train_seed: int) -> tuple[str, bytes]:
    """The checkpoint of a trained learner: ``(kind, bytes)``."""
    if isinstance(learner, SupportsState):
        return STATE, learner.get_state()
    note = {"n_labeled": int(n_labeled), "train_seed": int(train_seed)}
    return REFIT, json.dumps(note, sort_keys=True).encode()


@dataclass
class Restorer:
    """Rebuild learners from checkpoints of one run.

    Parameters
    ----------
    make_learner
        The run's learner factory.
    training_data
        ``training_data(iteration, n_labeled) -> (X, y, weights)``: the
        labeled set a model version was trained on and its training weights
        (``None``: unweighted), for refits.
    """

    make_learner: Callable[[int], Any]
    training_data: Callable[[int, int], tuple[np.ndarray, np.ndarray, np.ndarray | None]]
    _refitted: dict[tuple[int, int], Any] = field(default_factory=dict)

    def restore(self, kind: str, state: bytes, iteration: int, seed: int) -> Any:
        """The learner of ``iteration``; ``seed`` seeds a state restore's fresh learner.

        Raises
        ------
        KnowledgeBaseError
            The checkpoint cannot be read back (damaged bytes, a pickle of
            netal 0.1, an unknown kind), in one line.
        """
        if kind == STATE:
            learner = self.make_learner(seed)
            try:
                learner.set_state(state)
            except Exception as exc:
                raise _unreadable(iteration, exc) from None
            return learner
        if kind == REFIT:
            try:
                note = json.loads(state.decode())
                n_labeled, train_seed = int(note["n_labeled"]), int(note["train_seed"])
            except (ValueError, KeyError, TypeError) as exc:
                raise _unreadable(iteration, exc) from None
            return self._refit(iteration, n_labeled, train_seed)
        if kind == LEGACY_PICKLE:
            raise KnowledgeBaseError(
                f"the checkpoint of iteration {iteration} is a pickle written by netal 0.1; "
                "netal no longer unpickles checkpoints: resume this run with a learner that "
                "has get_state()/set_state(), or start a new run"
            )
        raise KnowledgeBaseError(f"unknown checkpoint kind {kind!r} at iteration {iteration}")

    def _refit(self, iteration: int, n_labeled: int, train_seed: int) -> Any:
        key = (iteration, train_seed)
        if key not in self._refitted:
            X, y, weights = self.training_data(iteration, n_labeled)
            learner = self.make_learner(train_seed)
            fit_learner(learner, X, y, weights)
            self._refitted = {key: learner}  # keep only the latest version in memory
        return copy.deepcopy(self._refitted[key])


def _unreadable(iteration: int, exc: Exception) -> KnowledgeBaseError:
    """The error for a checkpoint whose bytes do not restore (the knowledge base is damaged)."""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return KnowledgeBaseError(
        f"the checkpoint of iteration {iteration} cannot be restored ({reason}); the knowledge "
        "base is damaged: restore a backup, or delete it or move it away to start over"
    )
