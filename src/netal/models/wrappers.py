"""Learner wrappers that keep the learner protocol."""

from __future__ import annotations

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
