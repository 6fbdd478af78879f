"""Hooks that let an outer layer watch an inner loop without changing it (progress displays).

:func:`epoch_hook` sets, for the current thread, a function that every
training loop of :mod:`netal.models` calls after each epoch; the study driver
(:mod:`netal.harness`) uses it to show the epochs of long trainings.  The hook
is not a learner parameter: it never changes a learner's configuration, state
or results.  This module imports nothing heavy, so setting a hook does not
load PyTorch.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

EpochHook = Callable[[int, int], None]
"""``hook(epoch, max_epochs)``, called after each finished epoch (1-based)."""

_state = threading.local()


def current_epoch_hook() -> EpochHook | None:
    """The hook set for this thread, or None."""
    return getattr(_state, "epoch", None)


@contextlib.contextmanager
def epoch_hook(hook: EpochHook | None) -> Iterator[None]:
    """Call ``hook(epoch, max_epochs)`` after every training epoch in this thread while the block runs."""
    previous = current_epoch_hook()
    _state.epoch = hook
    try:
        yield
    finally:
        _state.epoch = previous
