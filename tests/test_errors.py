"""netal's exceptions keep their type and message across pickling (worker processes, Dask)."""

from __future__ import annotations

import pickle

import pytest

from netal.errors import (
    BudgetError,
    ConfigError,
    DataError,
    InvalidInputError,
    NonFiniteError,
    UnknownNameError,
)

ERRORS = [
    InvalidInputError("batch_size", "must be >= 1, got 0"),
    NonFiniteError("X_pool", "contains 1 non-finite value(s)"),
    BudgetError("budget", "cannot pay for one query"),
    UnknownNameError("strategy", "nope", ["random", "lcmd"]),
    DataError("file.csv", "non-numeric value", line=3, column="rsrp"),
    ConfigError("run.toml", "loop.batchsize", "unknown key"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_errors_survive_pickling(error: Exception) -> None:
    restored = pickle.loads(pickle.dumps(error))
    assert type(restored) is type(error)
    assert str(restored) == str(error)
    assert vars(restored) == vars(error)
