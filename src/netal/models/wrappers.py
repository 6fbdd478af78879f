"""Learner wrappers that keep the learner protocol."""

from __future__ import annotations

import json
from typing import Any

import numpy as np


class FixedValidation:
    """Early-stop every ``fit`` / ``partial_fit`` of a learner on the same validation data.

    The loop calls ``fit(X, y)``; the seed paper keeps one validation set for
    every training, so this wrapper passes ``validation_data=(X_val, y_val)``
    along.  Every other attribute (``predict``, ``predict_dist``, ``embed``,
    ``get_state``, ...) is the wrapped learner's, so the wrapper has exactly the
    capabilities of the learner it wraps.

    Parameters
    ----------
    learner
        A learner whose ``fit`` and ``partial_fit`` accept ``validation_data``
        (the torch learners of :mod:`netal.models`).
    X_val, y_val
        The validation inputs and targets.
    """

    def __init__(self, learner: Any, X_val: np.ndarray, y_val: np.ndarray) -> None:
        self.learner = learner
        self._validation = (X_val, y_val)

    def fit(self, X: Any, y: Any) -> FixedValidation:
        self.learner.fit(X, y, validation_data=self._validation)
        return self

    def partial_fit(self, X: Any, y: Any) -> FixedValidation:
        self.learner.partial_fit(X, y, validation_data=self._validation)
        return self

    def __getattr__(self, name: str) -> Any:
        # only called for attributes not found on the wrapper; __dict__ avoids recursion while unpickling
        return getattr(self.__dict__["learner"], name)


class RecentWindow:
    """Train a learner on the most recent labels only (a sliding window with a reset point).

    The engine hands ``fit`` the whole labeled set in the order it grew, so
    the newest labels are last.  The wrapper drops the first ``skip`` rows
    (labels from before a detected change) and keeps at most the last
    ``keep`` of the rest, but never fewer than ``min_rows`` rows (taken from
    the end of the whole set) -- the usual remedy for concept drift (Gama et
    al., "A survey on concept drift adaptation", ACM CSUR 46(4), 2014).

    Parameters
    ----------
    learner
        Any learner of :mod:`netal.models` (``fit``, ``predict``, ``predict_dist``).
    skip
        Leading rows of the labeled set to leave out.
    keep
        Most rows to train on (None: all after ``skip``).
    min_rows
        Fewest rows to train on.

    Notes
    -----
    ``get_state``/``set_state`` store the window with the learner's own state,
    so a restored model version trains and predicts as it did.
    """

    def __init__(
        self, learner: Any, skip: int = 0, keep: int | None = None, min_rows: int = 1
    ) -> None:
        self.learner = learner
        self.skip = int(skip)
        self.keep = None if keep is None else int(keep)
        self.min_rows = int(min_rows)

    def window(self, n: int) -> slice:
        """The rows of an ``n``-row labeled set this learner trains on."""
        start = min(self.skip, n)
        if self.keep is not None:
            start = max(start, n - self.keep)
        start = min(start, max(0, n - self.min_rows))
        return slice(start, n)

    def fit(self, X: Any, y: Any) -> RecentWindow:
        rows = self.window(len(X))
        self.learner.fit(np.asarray(X)[rows], np.asarray(y)[rows])
        return self

    def get_state(self) -> bytes:
        header = json.dumps({"skip": self.skip, "keep": self.keep, "min_rows": self.min_rows})
        return header.encode() + b"\n" + self.learner.get_state()

    def set_state(self, state: bytes) -> None:
        header, _, inner = state.partition(b"\n")
        window = json.loads(header.decode())
        self.skip, self.keep, self.min_rows = window["skip"], window["keep"], window["min_rows"]
        self.learner.set_state(inner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["learner"], name)
