"""Write ``drives/``: four drive-test exports in an operator's style, from the digital twin.

The files look like what users bring: their own column names and units, a
``ctime``-style timestamp (not ISO 8601), ``0`` meaning "no 5G" in the NR
columns, an uplink/downlink column, and the target in two units (a leak if both
are used).  Regenerate (deterministic) with::

    python examples/own-data/make_drives.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from netal.twin import generate

HERE = Path(__file__).resolve().parent
ROWS_PER_RUN = 300
RUNS = 4


def drive_export(seed: int = 7) -> pd.DataFrame:
    """The twin's samples renamed and reshaped as an operator's drive-test table."""
    twin = generate(ROWS_PER_RUN * RUNS, seed=seed)
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2021-12-15 16:05:11")
    seconds = np.arange(len(twin))
    nr_rsrp = twin["nr_ssRsrp"].fillna(0.0).round(1)  # the export writes 0 when there is no 5G
    return pd.DataFrame(
        {
            "timestamp": (start + pd.to_timedelta(seconds, unit="s")).strftime(
                "%a %b %d %H:%M:%S UTC %Y"
            ),
            "lat": twin["latitude"].round(6),
            "lon": twin["longitude"].round(6),
            "speed_kmh": (twin["movingSpeed"] * 3.6).round(2),
            "heading_deg": twin["compassDirection"].round(0),
            "lte_rsrp_dbm": twin["lte_rsrp"].round(1),
            "lte_rsrq_db": twin["lte_rsrq"].round(1),
            "nr_rsrp_dbm": nr_rsrp,
            "nr_sinr_db": twin["nr_ssSinr"].fillna(0.0).round(1),
            "mode": twin["mobility_mode"].str.lower(),
            "direction": rng.choice(["dl", "ul"], size=len(twin), p=[0.8, 0.2]),
            "dl_mbps": twin["Throughput"].round(3),
            "dl_kbps": (twin["Throughput"] * 1000).round(0),
        }
    )


def main() -> None:
    """One CSV per drive under ``drives/``; each drive has a stretch of every twin run (walking and driving)."""
    folder = HERE / "drives"
    folder.mkdir(exist_ok=True)
    export = drive_export()
    twin_run = generate(ROWS_PER_RUN * RUNS, seed=7)["run_num"].to_numpy()
    drive = np.zeros(len(export), dtype=int)
    for run in np.unique(twin_run):
        rows = np.flatnonzero(twin_run == run)
        drive[rows] = (
            np.arange(len(rows)) * RUNS // len(rows)
        )  # the run's k-th quarter goes to drive k
    start = pd.Timestamp("2021-12-15 16:05:11")
    for k in range(RUNS):
        part = export[drive == k].copy()
        stamps = start + pd.Timedelta(hours=k) + pd.to_timedelta(np.arange(len(part)), unit="s")
        part["timestamp"] = stamps.strftime("%a %b %d %H:%M:%S UTC %Y")
        part.to_csv(folder / f"drive-{k + 1:02d}.csv", index=False)


if __name__ == "__main__":
    main()
