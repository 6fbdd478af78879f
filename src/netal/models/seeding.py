"""Seeds of the learners and generators: derived per purpose, never from global state.

Public so that packages above :mod:`netal.models` (e.g. the generators of
:mod:`netal.synthesis`) seed their own networks exactly like the learners do.

A seed fixes every random draw, but not the float rounding: torch's results
also depend on its intra-op thread count (:func:`torch_threads`; the
executors of :mod:`netal.harness` run every cell on one thread) and on the
CPU kernels it dispatches to (``docs/reproducibility.md``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

_SEED_MODULUS = 2**62


def resolve_seed(random_state: int | None) -> int:
    """An integer seed: ``random_state`` itself, or fresh entropy when it is ``None``."""
    if random_state is None:
        return int(np.random.SeedSequence().entropy % _SEED_MODULUS)
    return int(random_state) % _SEED_MODULUS


def derive_seed(seed: int, *tags: int) -> int:
    """A child seed of ``seed`` for a purpose identified by integer ``tags``."""
    return int(
        np.random.SeedSequence([seed, *tags]).generate_state(1, dtype=np.uint64)[0] % _SEED_MODULUS
    )


@contextmanager
def torch_seeded(seed: int) -> Iterator[None]:
    """Run a block with torch's global CPU generator seeded, restoring it afterwards.

    Layers that draw from the global generator (initializers, ``F.dropout``)
    become reproducible without disturbing the caller's random state.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


@contextmanager
def torch_threads(n_threads: int) -> Iterator[None]:
    """Run a block with ``n_threads`` torch intra-op threads, restoring the count afterwards.

    Results of the same seed differ in the last bits between thread counts
    (a matrix product or a reduction split over more threads adds in another
    order), and the difference grows over training: the case study's LSTM
    gives another RMSE with 2 threads than with 1.  Fixing the count makes a
    seed's result independent of how many cores the machine has.
    """
    previous = torch.get_num_threads()
    # set even when the count looks right: torch.get_num_threads() reads OpenMP's count, which
    # threadpoolctl may have lowered, while MKL keeps the count torch.set_num_threads gave it
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def make_generator(seed: int) -> torch.Generator:
    """A dedicated CPU generator seeded with ``seed``."""
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
