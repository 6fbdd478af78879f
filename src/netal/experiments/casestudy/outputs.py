"""The side outputs of a case study: query logs and uncertainty maps, per cell and gathered.

:func:`write_side_outputs` writes a cell's queries and the epistemic variance
over its remaining pool (when the data has positions);
:func:`gather_side_outputs` puts them together as the study's
``queries.parquet`` and ``uncertainty.parquet``, which the report draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal.atomic import write_parquet
from netal.experiments.casestudy.prepare import Prepared
from netal.harness.grid import Cell
from netal.metrics import per_sample_epistemic_var


def write_side_outputs(workdir: Path, cell: Cell, result: Any, prepared: Prepared) -> None:
    """Write a cell's query log and the epistemic variance over its remaining pool under ``workdir``.

    Nothing is written when the data has no positions (``prepared.places`` is None).
    """
    if prepared.places is None:
        return
    queries = result.queries
    ids = queries["sample_id"].to_numpy(dtype=np.int64)
    places = prepared.places.iloc[ids].reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "arm": cell.strategy,
            "seed": cell.seed,
            "iteration": queries["iteration"].to_numpy(dtype=np.int64),
            "sample_id": ids,
            "latitude": places["latitude"],
            "longitude": places["longitude"],
            "mobility_mode": places["mobility_mode"],
            "score": queries["score"].to_numpy(dtype=np.float64),
        }
    )
    _write_parquet(frame, workdir / "queries" / f"{cell.key}.parquet")
    pool = np.setdiff1d(np.arange(len(prepared.X)), result.labeled_ids)
    dist = result.learner.predict_dist(prepared.X[pool])
    epistemic = per_sample_epistemic_var(dist.epistemic_var)
    pool_places = prepared.places.iloc[pool].reset_index(drop=True)
    uncertainty = pd.DataFrame(
        {
            "arm": cell.strategy,
            "seed": cell.seed,
            "latitude": pool_places["latitude"],
            "longitude": pool_places["longitude"],
            "epistemic_var": epistemic,
        }
    )
    _write_parquet(uncertainty, workdir / "uncertainty" / f"{cell.key}.parquet")


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_parquet(frame, path)


def gather_side_outputs(out: Path, cells: Sequence[Cell], strategies: Sequence[str]) -> None:
    """Concatenate per-cell query logs; keep the uncertainty map of the first active arm's first seed."""
    queries = [out / "queries" / f"{c.key}.parquet" for c in cells]
    frames = [pd.read_parquet(p) for p in queries if p.exists()]
    if frames:
        _write_parquet(pd.concat(frames, ignore_index=True), out / "queries.parquet")
    active = [s for s in strategies if s != "random"] or list(strategies)
    for cell in sorted(
        cells, key=lambda c: (c.seed, active.index(c.strategy) if c.strategy in active else 99)
    ):
        path = out / "uncertainty" / f"{cell.key}.parquet"
        if cell.strategy in active and path.exists():
            frame = pd.read_parquet(path)[["latitude", "longitude", "epistemic_var"]]
            _write_parquet(frame, out / "uncertainty.parquet")
            return
