"""Cells of the results layout before the study driver ran cells (``OUT/cells/<key>.parquet``).

A uniquely named helper module (not ``conftest``) so test modules can import it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from netal.harness import Cell


def write_legacy(directory: Path, cell: Cell, records: pd.DataFrame, ids: np.ndarray) -> Path:
    """A cell file of the layout before (``ResultStore.append`` of earlier versions)."""
    fields = {"key": cell.key, **cell.to_dict(), **dict(cell.params)}
    del fields["params"]
    head = pd.DataFrame({name: [value] * len(records) for name, value in fields.items()})
    table = pa.Table.from_pandas(pd.concat([head, records], axis=1), preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[b"netal.cell"] = cell.canonical_json().encode()
    metadata[b"netal.final_labeled_ids"] = json.dumps(ids.tolist()).encode()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{cell.key}.parquet"
    pq.write_table(table.replace_schema_metadata(metadata), path)
    return path
