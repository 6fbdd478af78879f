"""The Parquet results store: round trip, resume bookkeeping, crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from netal.errors import DataError
from netal.harness import Cell, CellResult, ResultStore
from netal.harness import store as store_module


def _result(n_rows: int, offset: float = 0.0) -> CellResult:
    it = np.arange(n_rows)
    rmse = 2.0 + np.sin(it + offset)
    records = pd.DataFrame(
        {
            "iteration": it,
            "n_labels": 5 + it,
            "cost": 0.5 * it,
            "rmse": rmse,
            "mae": rmse / 2,
            "q95": rmse * 3,
            "wall_time_s": 0.1,
            "nll": -rmse,
        }
    )
    return CellResult(records=records, final_labeled_ids=np.arange(7, 7 + n_rows) * 3)


def test_round_trip_and_load_columns(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "cells")
    a = Cell("twin", "random", 0, {"learner": "mlp", "batch_size": 4})
    b = Cell("lumos", "lcmd", 1, {"learner": "ens"})
    store.append(a, _result(4))
    store.append(b, _result(3, offset=1.0))
    assert store.done_keys() == {a.key, b.key} and len(store) == 2 and a in store

    cell, result = store.get(a.key)
    assert cell == a
    pd.testing.assert_frame_equal(result.records, _result(4).records)
    assert np.array_equal(result.final_labeled_ids, _result(4).final_labeled_ids)

    frame = store.load()
    assert len(frame) == 7
    assert frame.attrs["params"] == ["batch_size", "learner"]
    for column in ("key", "dataset", "strategy", "seed", "learner", "batch_size", "nll"):
        assert column in frame.columns
    rows_a = frame[frame["key"] == a.key]
    assert set(rows_a["dataset"]) == {"twin"} and set(rows_a["learner"]) == {"mlp"}
    assert rows_a["iteration"].tolist() == [0, 1, 2, 3]
    assert frame.loc[frame["key"] == b.key, "batch_size"].isna().all()


def test_empty_store_loads_an_empty_frame(tmp_path: Path) -> None:
    frame = ResultStore(tmp_path).load()
    assert frame.empty and {"key", "dataset", "strategy", "seed"} <= set(frame.columns)


def test_store_path_must_be_a_directory(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(DataError, match="not a directory"):
        ResultStore(path)


def test_failed_write_leaves_previous_result_and_no_temp_file(tmp_path, monkeypatch) -> None:
    store = ResultStore(tmp_path)
    cell = Cell("twin", "random", 0)
    store.append(cell, _result(3))

    def torn_write(table, handle) -> None:
        handle.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(store_module.pq, "write_table", torn_write)
    with pytest.raises(OSError, match="disk full"):
        store.append(cell, _result(5))
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{cell.key}.parquet"]
    assert len(store.get(cell.key)[1].records) == 3


def test_stray_temp_files_are_ignored(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    cell = Cell("twin", "random", 0)
    store.append(cell, _result(3))
    (tmp_path / f".{Cell('twin', 'random', 1).key}.parquet.123.abcd.tmp").write_bytes(b"PAR1")
    assert store.done_keys() == {cell.key}
    assert len(store.load()) == 3


def test_corrupt_or_misnamed_files_raise_data_error_naming_them(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    cell = Cell("twin", "random", 0)
    bad = tmp_path / "0123456789abcdef.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(DataError) as info:
        store.load()
    assert info.value.path == str(bad)
    bad.unlink()
    store.append(cell, _result(2))
    moved = tmp_path / "fedcba9876543210.parquet"
    os.replace(store.path_of(cell.key), moved)
    with pytest.raises(DataError, match="not the one its name says"):
        store.load()
    plain = pd.DataFrame({"iteration": [0]})
    pq.write_table(__import__("pyarrow").Table.from_pandas(plain), moved)
    with pytest.raises(DataError, match="cell metadata"):
        store.load()
    with pytest.raises(DataError, match="no stored result"):
        store.get("0000000000000000")


WRITER = textwrap.dedent(
    """
    import sys, numpy as np, pandas as pd
    from netal.harness import Cell, CellResult, ResultStore
    store = ResultStore(sys.argv[1])
    n = 50_000
    it = np.arange(n)
    records = pd.DataFrame({"iteration": it, "n_labels": it, "cost": it * 1.0,
        "rmse": it + 1.0, "mae": it + 1.0, "q95": it + 1.0, "wall_time_s": 0.0})
    result = CellResult(records=records, final_labeled_ids=np.arange(5))
    seed = 0
    while True:
        store.append(Cell("big", "random", seed), result)
        print(seed, flush=True)
        seed += 1
    """
)


def test_sigkill_mid_write_never_leaves_a_torn_result(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    directory = tmp_path / "cells"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(directory)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # one cell stored: the writer is in its loop
        time.sleep(0.05 + 0.1 * np.random.default_rng().random())
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    store = ResultStore(directory)
    frame = store.load()
    keys = store.done_keys()
    assert len(keys) >= 1
    assert frame.groupby("key").size().eq(50_000).all()
    assert set(frame["key"]) == keys
