"""Synthetic report inputs (summary.json, queries.parquet, uncertainty.parquet, a bench store).

A uniquely named helper module (not ``conftest``) so test modules can import it
without clashing with the other ``conftest.py`` files of the suite.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from netal.harness import Cell, CellOutput, CellStore

CENTER = (44.9765, -93.2713)  # downtown Minneapolis, where Lumos5G was measured


def route(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points along a rectangular loop (about 400 m x 250 m) with GPS-like jitter."""
    t = rng.uniform(0.0, 4.0, n)
    side = np.floor(t).astype(int)
    frac = t - side
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
    xy = corners[side] + frac[:, None] * (corners[side + 1] - corners[side])
    lat = CENTER[0] + 0.0022 * xy[:, 1] + rng.normal(0, 2e-5, n)
    lon = CENTER[1] + 0.0050 * xy[:, 0] + rng.normal(0, 2e-5, n)
    return lat, lon


def synthetic_results(
    rng: np.random.Generator,
    strategies: tuple[str, ...] = ("random", "uncertainty"),
    n_seeds: int = 4,
    n_iterations: int = 6,
    dataset: str = "twin",
) -> list[CellOutput]:
    """Learning curves where 'uncertainty' improves faster than 'random'."""
    speed = {"random": 0.10, "uncertainty": 0.18, "coreset": 0.14}
    out = []
    for seed in range(n_seeds):
        start = 400.0 + rng.normal(0, 10)
        for strategy in strategies:
            it = np.arange(n_iterations + 1)
            rmse = start * np.exp(-speed[strategy] * it) + 150 + rng.normal(0, 3, len(it))
            records = pd.DataFrame(
                {
                    "iteration": it,
                    "n_labels": 20 + 4 * it,
                    "cost": 30.0 + 5.5 * it + rng.uniform(0, 1, len(it)),
                    "rmse": rmse,
                    "mae": 0.8 * rmse,
                    "q95": 2.0 * rmse,
                    "wall_time_s": rng.uniform(0.1, 0.2, len(it)),
                }
            )
            cell = Cell(dataset, strategy, seed, {"learner": "mc_dropout", "batch_size": 4})
            ids = np.arange(20 + 4 * n_iterations, dtype=np.int64) * (seed + 1)
            out.append(CellOutput.curve(cell, records, ids))
    return out


def write_case_inputs(out_dir: Path, rng: np.random.Generator) -> Path:
    """Write summary.json, queries.parquet and uncertainty.parquet into ``out_dir``."""
    from netal.report import summary_from_results, write_summary

    store = CellStore(out_dir / "bench-cells")
    for output in synthetic_results(rng):
        store.write(output)
    summary = summary_from_results(
        store.load(), experiment="casestudy", dataset="twin", protocol="rigorous"
    )
    write_summary(out_dir, summary)

    lat, lon = route(600, rng)
    var = 0.2 + np.sin((lon - CENTER[1]) * 900.0) ** 2
    pd.DataFrame({"latitude": lat, "longitude": lon, "epistemic_var": var}).to_parquet(
        out_dir / "uncertainty.parquet"
    )
    rows = []
    for arm in ("random", "uncertainty"):
        for seed in (0, 1):
            ids = rng.choice(600, size=10 + 4 * 5, replace=False)
            for k, sample in enumerate(ids):
                iteration = 0 if k < 10 else 1 + (k - 10) // 4
                rows.append(
                    {
                        "arm": arm,
                        "seed": seed,
                        "iteration": iteration,
                        "sample_id": int(sample),
                        "latitude": lat[sample],
                        "longitude": lon[sample],
                        "mobility_mode": "driving" if sample % 3 else "walking",
                        "score": float("nan") if arm == "random" else float(var[sample]),
                    }
                )
    pd.DataFrame(rows).to_parquet(out_dir / "queries.parquet")
    return out_dir


def read_summary(out_dir: Path) -> dict:
    return json.loads((out_dir / "summary.json").read_text())
