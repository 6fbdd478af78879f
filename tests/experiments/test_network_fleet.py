"""``fleet_makespan``: a joint run's stops re-planned for several measurement agents."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from netal.experiments.network import fleet_makespan
from netal.twin import TwinOracle, generate


def _stops(n_rounds: int, per_round: int) -> pd.DataFrame:
    rows = generate(3000, seed=3).sample(n=n_rounds * per_round, random_state=0)
    return pd.DataFrame(
        {
            "iteration": np.repeat(np.arange(1, n_rounds + 1), per_round),
            "kind": np.tile(["annotate", "acquire"], n_rounds * per_round // 2),
            "latitude": rows["latitude"].to_numpy(),
            "longitude": rows["longitude"].to_numpy(),
            "mobility_mode": rows["mobility_mode"].astype(str).to_numpy(),
            "cost": np.full(n_rounds * per_round, 30.0),
        }
    )


def test_fleet_makespan_is_bounded_by_the_work_of_each_mode() -> None:
    world = TwinOracle(seed=0).world
    stops = _stops(3, 10)
    oracle = world.scenario.oracle
    executed, makespan = fleet_makespan(stops, world, {"walking": 1, "driving": 1})
    assert executed == pytest.approx(30.0 * len(stops))
    lower = 0.0
    for _, part in stops.groupby("iteration"):
        work = np.where(
            part["kind"] == "annotate", oracle["measure_duration_s"], oracle["observe_duration_s"]
        )
        by_mode = [
            work[part["mobility_mode"].to_numpy() == m].sum() for m in ("walking", "driving")
        ]
        lower += max(by_mode)  # one agent per mode: each does at least its mode's measurements
    assert makespan >= lower > 0
    _, doubled = fleet_makespan(stops, world, {"walking": 4, "driving": 4})
    assert doubled < makespan  # four agents per mode finish these rounds sooner


def test_fleet_without_a_needed_mode_is_a_clear_error() -> None:
    from netal.errors import InvalidInputError

    world = TwinOracle(seed=0).world
    stops = _stops(1, 10)
    assert set(stops["mobility_mode"]) == {"walking", "driving"}
    with pytest.raises(InvalidInputError, match="no driving agent"):
        fleet_makespan(stops, world, {"walking": 2})
