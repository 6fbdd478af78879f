"""Shared test fixtures.

Real-data tests read ``NETAL_DATA_DIR`` (CI points it at ``../shared/data``).
When it is unset they fall back to ``../shared/data`` beside the repository;
when the data is missing they FAIL, they never skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

try:  # one thread per test process: CI runs two pytest workers on two cores
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass


def real_data_dir() -> Path:
    """The directory holding the real datasets (see ../shared/data/MANIFEST.md)."""
    configured = os.environ.get("NETAL_DATA_DIR")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"
    if not path.is_dir():
        pytest.fail(
            f"real data directory {path} does not exist "
            f"(NETAL_DATA_DIR={configured!r}); real-data tests must not be skipped"
        )
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Path of the real data directory; fails the test when it is missing."""
    return real_data_dir()


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator for tests."""
    return np.random.default_rng(12345)
