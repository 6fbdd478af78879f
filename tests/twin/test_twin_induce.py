"""The scenario generating function: induced samples have their condition."""

from __future__ import annotations

import numpy as np
import pytest

from netal.errors import UnknownNameError
from netal.schemas import LUMOS5G_COLUMNS
from netal.twin.induce import INDUCERS, induce
from netal.twin.world import World


@pytest.mark.parametrize("kind", INDUCERS.names())
def test_induced_rows_are_labeled_and_flagged(kind: str, world: World) -> None:
    result = induce(kind, 40, seed=1, scenario=world)
    assert len(result.conditions) == len(result.data) == 40
    assert tuple(result.data.columns[: len(LUMOS5G_COLUMNS)]) == LUMOS5G_COLUMNS
    assert (result.data["induced"] == kind).all()
    assert result.data["Throughput"].notna().all()


def test_body_blockage(world: World) -> None:
    data = induce("body_blockage", 200, seed=2, scenario=world).data
    assert data["body_loss_db"].median() > 15.0
    assert (data["mobility_mode"] == "walking").all()


def test_stationary(world: World) -> None:
    data = induce("stationary", 100, seed=3, scenario=world).data
    assert data["movingSpeed"].max() < 0.6


def test_turning_car(world: World) -> None:
    result = induce("turning_car", 100, seed=4, scenario=world)
    u = result.conditions["route_pos_m"].to_numpy()
    gap = np.abs((u[:, None] - world.corner_u[None, :] + 650.0) % 1300.0 - 650.0).min(axis=1)
    assert (gap <= 6.0 + 1e-9).all() and (result.data["mobility_mode"] == "driving").all()
    assert result.data["movingSpeed"].median() < 6.0


def test_braking_car(world: World) -> None:
    result = induce("braking_car", 100, seed=5, scenario=world)
    assert (result.conditions["acceleration"] < 0).all()
    assert (result.data["mobility_mode"] == "driving").all()


def test_crowd_has_more_blockage(world: World) -> None:
    crowd = induce("crowd", 300, seed=6, scenario=world).data
    normal = induce("stationary", 300, seed=6, scenario=world).data
    assert (crowd["blocker_loss_db"] > 0).mean() > 3 * (normal["blocker_loss_db"] > 0).mean()


def test_unknown_kind() -> None:
    with pytest.raises(UnknownNameError, match="unknown induced scenario 'alien'"):
        induce("alien", 3)
