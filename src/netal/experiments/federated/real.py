"""Federations of measured data: umn-mmwave campaigns and barcelona-lte cells.

================  ==============================================================================
``umn-mmwave``    Verizon mmWave walking tests in Minneapolis (``s20`` file, downlink rows): one
                  client per measurement campaign (a day of walks: 6 campaigns, 62 to 747 rows);
                  target ``Throughput`` (Mbit/s) from LTE/NR signal strength and ``nrStatus``
``barcelona-lte`` LTE base stations in Barcelona (El Born, Les Corts, Poble Sec): one client per
                  cell; target the cell's downlink load of the next 2-minute step (``down``, in
                  MB) from time of day and week and lagged load (2, 4, 6 min and 1 h before),
                  uplink load and active users of the step before; the pool comes from the
                  earlier series (``<cell>.csv``), the test rows from its continuation
                  (``<cell>_test.csv``), so no test step precedes a pool step
================  ==============================================================================

The ``combined`` umn-mmwave file is not a client: its columns differ from ``s20``'s
(no averaged signal, no test direction, and its ``downlink_Mbps`` is near zero on
uplink tests), so it shares no feature space with the campaigns without guessing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from netal.data import Dataset, load_dataset
from netal.experiments.federated.prepare import FEDERATIONS, FederationSpec, federate
from netal.federated import Federation, group_partition

STEP = pd.Timedelta(minutes=2)
"""The Barcelona series' step."""

LOAD_LAGS = (1, 2, 3, 30)
"""Lags of the downlink load, in 2-minute steps (2, 4, 6 minutes and one hour)."""


@FEDERATIONS.register("umn-mmwave")
def umn_campaigns(spec: FederationSpec, seed: int) -> Federation:
    """One client per walking campaign (day) of the s20 downlink tests."""
    dataset = load_dataset("umn-mmwave", spec.data_dir, file="s20", direction="downlink")
    days = pd.to_datetime(dataset.frame[dataset.time]).dt.strftime("%Y-%m-%d").to_numpy()
    parts = group_partition(days, min_rows=2 * spec.n_initial + 2)
    return federate(dataset, parts, spec, seed, "umn-mmwave campaigns")


def load_features(frame: pd.DataFrame) -> pd.DataFrame:
    """One cell's series as rows to learn from: time and lag features, target ``down_mb``.

    A lag is taken by time (the step ``k * 2`` minutes before), not by row, so a gap
    in the series gives a missing lag; rows missing any lag are dropped.
    """
    frame = frame.sort_values("time").drop_duplicates("time")
    times = pd.DatetimeIndex(frame["time"])
    series = frame.set_index("time")
    out = pd.DataFrame(
        {
            "time": times,
            "down_mb": series["down"].to_numpy() / 1e6,
            "hour_sin": np.sin(2 * np.pi * (times.hour + times.minute / 60) / 24),
            "hour_cos": np.cos(2 * np.pi * (times.hour + times.minute / 60) / 24),
            "week_sin": np.sin(2 * np.pi * times.dayofweek / 7),
            "week_cos": np.cos(2 * np.pi * times.dayofweek / 7),
        }
    )
    for lag in LOAD_LAGS:
        out[f"down_mb_lag{lag}"] = series["down"].reindex(times - lag * STEP).to_numpy() / 1e6
    out["up_mb_lag1"] = series["up"].reindex(times - STEP).to_numpy() / 1e6
    out["users_lag1"] = series["rnti_count"].reindex(times - STEP).to_numpy()
    return out.dropna().reset_index(drop=True)


BARCELONA_FEATURES = [
    "hour_sin",
    "hour_cos",
    "week_sin",
    "week_cos",
    *(f"down_mb_lag{lag}" for lag in LOAD_LAGS),
    "up_mb_lag1",
    "users_lag1",
]
"""Inputs of the per-cell load regression."""


@FEDERATIONS.register("barcelona-lte")
def barcelona_cells(spec: FederationSpec, seed: int) -> Federation:
    """One client per LTE cell: next-step downlink load from time and lag features."""
    raw = load_dataset("barcelona-lte", spec.data_dir, split="all")
    frames = []
    for (station, split), part in raw.frame.groupby(["station", "split"], sort=True):
        frames.append(load_features(part).assign(station=station, split=split))
    frame = pd.concat(frames, ignore_index=True)
    dataset = Dataset(
        frame=frame,
        name="barcelona-lte",
        target="down_mb",
        features=list(BARCELONA_FEATURES),
        categorical=[],
        group="station",
        coords=None,
        time="time",
        units={"down_mb": "MB per 2-minute step (downlink load)"},
        task="regression",
        source=raw.source,
    )
    stations = frame["station"].to_numpy()
    is_test = (frame["split"] == "test").to_numpy()
    parts = {name: rows[~is_test[rows]] for name, rows in group_partition(stations).items()}
    tests = {name: rows[is_test[rows]] for name, rows in group_partition(stations).items()}
    return federate(dataset, parts, spec, seed, "barcelona-lte cells", tests=tests)
