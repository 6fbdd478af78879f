"""Helpers for the data tests: small synthetic tables with the exact Lumos5G schema."""

from __future__ import annotations

import numpy as np
import pandas as pd

from netal.schemas import LUMOS5G_COLUMNS, LUMOS5G_SENTINEL


def lumos5g_like(n_runs: int = 4, run_length: int = 30, seed: int = 0) -> pd.DataFrame:
    """A small frame with the exact 19 Lumos5G columns, NaN NR fields and the lte_rssnr sentinel."""
    rng = np.random.default_rng(seed)
    n = n_runs * run_length
    run = np.repeat(np.arange(1, n_runs + 1), run_length)
    status = rng.choice(["CONNECTED", "NOT_RESTRICTED", "NONE"], size=n)
    connected = status == "CONNECTED"
    frame = pd.DataFrame(
        {
            "run_num": run,
            "seq_num": np.tile(np.arange(1, run_length + 1), n_runs).astype(float),
            "abstractSignalStr": rng.integers(0, 5, n),
            "latitude": 44.975 + rng.normal(0, 1e-3, n),
            "longitude": -93.259 + rng.normal(0, 1e-3, n),
            "movingSpeed": rng.uniform(0, 15, n),
            "compassDirection": rng.integers(0, 360, n),
            "nrStatus": status,
            "lte_rssi": rng.integers(-90, -50, n).astype(float),
            "lte_rsrp": rng.integers(-120, -80, n),
            "lte_rsrq": rng.integers(-20, -5, n).astype(float),
            "lte_rssnr": np.where(
                rng.random(n) < 0.3, LUMOS5G_SENTINEL, rng.integers(-5, 30, n)
            ).astype(float),
            "nr_ssRsrp": np.where(connected, rng.integers(-110, -70, n), np.nan),
            "nr_ssRsrq": np.where(connected, rng.integers(-14, -8, n), np.nan),
            "nr_ssSinr": np.where(connected, rng.integers(-5, 25, n), np.nan),
            "Throughput": rng.integers(0, 2000, n),
            "mobility_mode": np.where(run % 2 == 0, "walking", "driving"),
            "trajectory_direction": np.where(run % 3 == 0, "ACW", "CW"),
            "tower_id": rng.integers(1, 20, n),
        }
    )
    return frame[list(LUMOS5G_COLUMNS)]


def runs_table(n_rows: int, run_length: int, n_features: int = 2, seed: int = 0) -> pd.DataFrame:
    """A table of consecutive runs with a smooth target, coordinates and time, for split tests."""
    rng = np.random.default_rng(seed)
    run = np.arange(n_rows) // run_length
    t = np.arange(n_rows, dtype=float)
    frame = pd.DataFrame({f"f{i}": rng.normal(size=n_rows) for i in range(n_features)})
    frame["y"] = np.sin(t / 50.0) + 0.1 * rng.normal(size=n_rows)
    frame["run"] = run
    frame["time"] = t
    frame["lat"] = 44.97 + 0.01 * np.sin(t / 300.0)
    frame["lon"] = -93.26 + 0.01 * np.cos(t / 300.0)
    return frame
