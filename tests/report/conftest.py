"""Fixtures of the report tests: output directories with synthetic inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _report_inputs import synthetic_results, write_case_inputs

from netal.harness import CellStore


@pytest.fixture
def case_dir(tmp_path: Path, rng: np.random.Generator) -> Path:
    """A case-study output directory with all three inputs."""
    return write_case_inputs(tmp_path / "case", rng)


@pytest.fixture
def bench_dir(tmp_path: Path, rng: np.random.Generator) -> Path:
    """A bench output directory: a results store in cells/ with two datasets."""
    out = tmp_path / "bench"
    store = CellStore(out / "cells")
    for dataset in ("twin", "lumos5g"):
        for output in synthetic_results(
            rng, ("random", "uncertainty", "coreset"), n_seeds=3, dataset=dataset
        ):
            store.write(output)
    return out
