"""Tiny synthetic output directories of every report kind, for any number of seeds.

``write_kind(kind, out_dir, n_seeds, rng)`` writes what a study of that kind
writes for the report (no study runs): ``casestudy`` (summary.json, query and
uncertainty maps), ``acquire`` (curves against agent time, agent routes),
``bench`` (a results store of two datasets, no summary.json) and ``mapek``
(error over time with change points, alarms and promotions).

Errors are noisy on purpose: each seed scales every curve by a shared
log-normal factor (sd 0.35), so with two seeds the t band of the mean
reaches far below zero before the report clips it, while the paired
differences between strategies stay clear.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from _report_inputs import CENTER, route

from netal.harness import Cell, CellOutput, CellStore
from netal.report import summary_from_results, write_summary
from netal.schemas import QUERY_COLUMNS, ROUTE_COLUMNS

KINDS = ("casestudy", "acquire", "bench", "mapek")
SPEED = {"random": 0.08, "uncertainty": 0.2, "coreset": 0.14, "periodic": 0.1, "netal": 0.2}
UNITS = {"rmse": "Mbit/s", "cost": "agent s"}


def noisy_records(
    rng: np.random.Generator, strategies: tuple[str, ...], n_seeds: int, dataset: str = "twin"
) -> pd.DataFrame:
    """Per (strategy, seed, iteration) records with seed-level noise shared by the strategies."""
    rows = []
    iterations = np.arange(7)
    for seed in range(n_seeds):
        seed_scale = np.exp(0.35 * rng.normal())
        for strategy in strategies:
            noise = np.exp(0.03 * rng.normal(size=len(iterations)))
            rmse = 8.0 * seed_scale * (1 + 2 * np.exp(-SPEED[strategy] * iterations)) * noise
            for it, value in zip(iterations, rmse, strict=True):
                rows.append(
                    {
                        "dataset": dataset,
                        "strategy": strategy,
                        "seed": seed,
                        "iteration": int(it),
                        "n_labels": 20 + 4 * int(it),
                        "cost": 1500.0 + 950.0 * it + rng.uniform(0, 40),
                        "rmse": float(value),
                        "mae": 0.8 * float(value),
                        "q95": 2.0 * float(value),
                        "wall_time_s": 0.1,
                    }
                )
    return pd.DataFrame(rows)


def _queries(rng: np.random.Generator, arms: tuple[str, ...], n_seeds: int) -> pd.DataFrame:
    lat, lon = route(300, rng)
    rows = []
    for arm in arms:
        for seed in range(min(n_seeds, 2)):
            for k, sample in enumerate(rng.choice(300, size=18, replace=False)):
                rows.append(
                    {
                        "arm": arm,
                        "seed": seed,
                        "iteration": 0 if k < 6 else 1 + (k - 6) // 4,
                        "sample_id": int(sample),
                        "latitude": lat[sample],
                        "longitude": lon[sample],
                        "mobility_mode": "driving" if sample % 3 else "walking",
                        "score": float(rng.uniform()),
                    }
                )
    return pd.DataFrame(rows)[list(QUERY_COLUMNS)]


def _casestudy(out: Path, n_seeds: int, rng: np.random.Generator) -> None:
    records = noisy_records(rng, ("random", "uncertainty"), n_seeds)
    summary = summary_from_results(
        records, experiment="casestudy", dataset="twin", protocol="rigorous", units=UNITS
    )
    write_summary(out, summary)
    _queries(rng, ("random", "uncertainty"), n_seeds).to_parquet(out / "queries.parquet")
    lat, lon = route(300, rng)
    variance = 0.2 + np.sin((lon - CENTER[1]) * 900.0) ** 2
    frame = pd.DataFrame({"latitude": lat, "longitude": lon, "epistemic_var": variance})
    frame.to_parquet(out / "uncertainty.parquet")


def _acquire(out: Path, n_seeds: int, rng: np.random.Generator) -> None:
    records = noisy_records(rng, ("random", "uncertainty", "coreset"), n_seeds)
    summary = summary_from_results(
        records, experiment="joint-acquisition", dataset="twin", protocol="budget", units=UNITS
    )
    write_summary(out, summary)
    lat, lon = route(40, rng)
    routes = pd.DataFrame(
        {
            "policy": "uncertainty",
            "seed": 0,
            "iteration": np.repeat(np.arange(8), 5),
            "stop": np.arange(40),
            "kind": np.where(np.arange(40) % 2, "annotate", "acquire"),
            "latitude": lat,
            "longitude": lon,
        }
    )
    routes[list(ROUTE_COLUMNS)].to_parquet(out / "routes.parquet")


def _bench(out: Path, n_seeds: int, rng: np.random.Generator) -> None:
    store = CellStore(out / "cells")
    for dataset in ("twin", "ucc5g"):
        records = noisy_records(rng, ("random", "uncertainty", "coreset"), n_seeds, dataset)
        for (strategy, seed), part in records.groupby(["strategy", "seed"]):
            cell = Cell(dataset, str(strategy), int(seed), {"batch_size": 4})
            curve = part.drop(columns=["dataset", "strategy", "seed"]).reset_index(drop=True)
            store.write(CellOutput.curve(cell, curve, np.arange(44, dtype=np.int64)))


def _mapek(out: Path, n_seeds: int, rng: np.random.Generator) -> None:
    records = noisy_records(rng, ("periodic", "netal"), n_seeds)
    records["cost"] = records["iteration"] * 0.5  # hours of stream time
    summary = summary_from_results(
        records,
        experiment="mapek",
        dataset="twin",
        protocol="closed loop",
        baseline="periodic",
        units={"rmse": "Mbit/s"},
    )
    for arm in summary["arms"].values():
        arm["cost"] = []
    write_summary(out, summary)
    periods = records.rename(columns={"strategy": "policy", "iteration": "period"})
    periods["time_s"] = periods["period"] * 1800.0
    periods.to_parquet(out / "periods.parquet")
    pd.DataFrame({"time_s": [5400.0]}).to_parquet(out / "changes.parquet")
    events = pd.DataFrame(
        {
            "policy": ["netal", "netal", "periodic"],
            "seed": [0, 0, 0],
            "time_s": [5400.0, 7200.0, 9000.0],
            "kind": ["alarm", "promote", "decision"],
            "value": [0.0, 0.0, 5.0],
        }
    )
    events.to_parquet(out / "events.parquet")


def write_kind(kind: str, out_dir: Path, n_seeds: int, rng: np.random.Generator) -> Path:
    """Write the inputs of a ``kind`` report with ``n_seeds`` seeds into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    {"casestudy": _casestudy, "acquire": _acquire, "bench": _bench, "mapek": _mapek}[kind](
        out_dir, n_seeds, rng
    )
    return out_dir
