"""The side tables of a case study: query logs and uncertainty maps, per cell and gathered.

:func:`side_tables` makes a cell's queries and the epistemic variance over its
remaining pool (when the data has positions), stored with the cell's records;
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
from netal.harness.store import CellOutput
from netal.metrics import per_sample_epistemic_var

QUERIES = "queries"
"""A cell's query log: arm, seed, iteration, sample id, place, score."""

UNCERTAINTY = "uncertainty"
"""The epistemic variance over a cell's remaining pool, with the places."""


def side_tables(cell: Cell, result: Any, prepared: Prepared) -> dict[str, pd.DataFrame]:
    """A cell's query log and the epistemic variance over its remaining pool, by table name.

    Empty when the data has no positions (``prepared.places`` is None).
    """
    if prepared.places is None:
        return {}
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
    return {QUERIES: frame, UNCERTAINTY: uncertainty}


def gather_side_outputs(
    out: Path, outputs: Sequence[CellOutput], strategies: Sequence[str]
) -> None:
    """Write ``queries.parquet`` (every cell's, in cell order) and ``uncertainty.parquet``.

    The uncertainty map is the first active arm's at the lowest seed (the
    first arm's when only ``random`` ran).  Nothing is written for tables no
    cell has.
    """
    frames = [o.table(QUERIES) for o in outputs if len(o.table(QUERIES).columns)]
    if frames:
        write_parquet(pd.concat(frames, ignore_index=True), out / "queries.parquet")
    active = [s for s in strategies if s != "random"] or list(strategies)

    def order(output: CellOutput) -> tuple[int, int]:
        strategy = output.cell.strategy
        return output.cell.seed, active.index(strategy) if strategy in active else 99

    for output in sorted(outputs, key=order):
        frame = output.table(UNCERTAINTY)
        if output.cell.strategy in active and len(frame.columns):
            columns = ["latitude", "longitude", "epistemic_var"]
            write_parquet(frame[columns], out / "uncertainty.parquet")
            return
