"""Shared fixtures of the twin tests (generated once per worker)."""

from __future__ import annotations

import pandas as pd
import pytest

from netal.twin import generate
from netal.twin.generator import resolve_world
from netal.twin.world import World


@pytest.fixture(scope="session")
def world() -> World:
    return resolve_world(None)


@pytest.fixture(scope="session")
def twin_data() -> pd.DataFrame:
    return generate(rows=12000, seed=7)
