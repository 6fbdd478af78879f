"""generate(): schema, determinism, NaN/sentinel conventions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from netal.errors import InvalidInputError
from netal.schemas import LUMOS5G_COLUMNS, LUMOS5G_SENTINEL
from netal.twin import generate
from netal.twin.throughput import nr_rate_mbps
from netal.twin.world import World

NR_FIELDS = ["nr_ssRsrp", "nr_ssRsrq", "nr_ssSinr", "tower_id"]


def test_columns_are_exactly_the_lumos5g_schema(twin_data: pd.DataFrame) -> None:
    assert tuple(twin_data.columns) == LUMOS5G_COLUMNS
    assert len(twin_data) == 12000


def test_values_follow_the_schema_conventions(twin_data: pd.DataFrame) -> None:
    assert set(twin_data["nrStatus"]) <= {"CONNECTED", "NOT_RESTRICTED", "NONE"}
    assert set(twin_data["mobility_mode"]) == {"walking", "driving"}
    assert set(twin_data["trajectory_direction"]) == {"CW", "ACW"}
    connected = twin_data["nrStatus"] == "CONNECTED"
    assert 0.6 < connected.mean() < 0.99
    assert twin_data.loc[~connected, NR_FIELDS].isna().all().all()
    assert twin_data.loc[connected, NR_FIELDS].notna().all().all()
    assert (twin_data["lte_rssnr"] == LUMOS5G_SENTINEL).any()
    assert twin_data["abstractSignalStr"].between(0, 4).all()
    assert twin_data["compassDirection"].between(0, 360).all()
    assert (twin_data["Throughput"] >= 0).all() and twin_data["Throughput"].max() < 5000
    assert twin_data[LUMOS5G_COLUMNS[3]].between(44.97, 44.99).all()
    runs = twin_data.groupby("run_num")["seq_num"]
    assert (runs.min() == 1).all() and (runs.diff().dropna() == 1).all()


def test_throughput_never_exceeds_the_configured_peak(
    twin_data: pd.DataFrame, world: World
) -> None:
    peak = float(nr_rate_mbps(np.array([60.0]), world)[0])
    assert twin_data["Throughput"].max() <= peak + 1e-6
    assert twin_data["Throughput"].max() > 0.8 * peak


def test_same_seed_same_data_other_seed_other_data() -> None:
    a = generate(rows=1500, seed=11)
    b = generate(rows=1500, seed=11)
    c = generate(rows=1500, seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["Throughput"], c["Throughput"])


@pytest.mark.parametrize("rows", [0, -5, 2.5, "10"])
def test_bad_rows(rows: object) -> None:
    with pytest.raises(InvalidInputError, match="rows"):
        generate(rows=rows)  # type: ignore[arg-type]


def test_bad_seed() -> None:
    with pytest.raises(InvalidInputError, match="seed"):
        generate(rows=10, seed=-1)
