"""Real network datasets, leakage-free splits and sliding windows.

Datasets are loaded by name from a data directory (``data_dir`` argument, else
``$NETAL_DATA_DIR``, else ``~/.cache/netal``)::

    from netal.data import load_dataset
    ds = load_dataset("ucc5g")            # Dataset(frame, target, features, group, ...)

Registered names: ``lumos5g``, ``ucc5g``, ``umn-mmwave``, ``barcelona-lte``,
``sutd5g`` and ``csv`` (your own CSV/Parquet).  :func:`fetch` downloads the
public ones and verifies their SHA-256.
"""

from __future__ import annotations

from netal.data import barcelona_lte, lumos5g, sutd5g, ucc5g, umn_mmwave, user_csv  # noqa: F401  (registration)
from netal.data.base import (
    DATASETS,
    Dataset,
    DatasetLoader,
    default_data_dir,
    load_dataset,
    resolve_data_dir,
)
from netal.data.fetch import SOURCES, fetch
from netal.data.leakage import LeakageReport, leakage_report
from netal.data.splits import (
    Split,
    group_split,
    random_split,
    spatial_block_split,
    spatial_blocks,
    split_labels,
    temporal_split,
)
from netal.data.windows import PaperSplit, Windows, make_windows, paper_split, paper_windows

__all__ = [
    "DATASETS",
    "SOURCES",
    "Dataset",
    "DatasetLoader",
    "LeakageReport",
    "PaperSplit",
    "Split",
    "Windows",
    "default_data_dir",
    "fetch",
    "group_split",
    "leakage_report",
    "load_dataset",
    "make_windows",
    "paper_split",
    "paper_windows",
    "random_split",
    "resolve_data_dir",
    "spatial_block_split",
    "spatial_blocks",
    "split_labels",
    "temporal_split",
]
