"""Seeds of the engine's random streams, derived from the run seed."""

from __future__ import annotations

import numpy as np

from netal.errors import InvalidInputError

_PHASES = {"train": 0, "evaluate": 1, "select": 2}


def derive_seed(seed: int, iteration: int, phase: str) -> int:
    """The learner seed of ``phase`` (``train``/``evaluate``/``select``) in ``iteration``.

    A 32-bit integer from ``np.random.SeedSequence([seed, iteration, phase])``,
    so phases and iterations get independent, reproducible streams.
    """
    if phase not in _PHASES:
        raise InvalidInputError("phase", f"must be one of {sorted(_PHASES)}, got {phase!r}")
    sequence = np.random.SeedSequence([int(seed), int(iteration), _PHASES[phase]])
    return int(sequence.generate_state(1, dtype=np.uint32)[0])
