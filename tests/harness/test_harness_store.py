"""The results store: round trip, resume bookkeeping, crash safety, the layout before."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _harness_legacy import write_legacy

from netal.errors import DataError, InvalidInputError, KnowledgeBaseError
from netal.harness import Cell, CellOutput, CellStore, cell_frame, check_records
from netal.harness import store as store_module


def _records(n_rows: int, offset: float = 0.0) -> pd.DataFrame:
    it = np.arange(n_rows)
    rmse = 2.0 + np.sin(it + offset)
    return pd.DataFrame(
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


def _output(cell: Cell, n_rows: int, offset: float = 0.0, **tables: pd.DataFrame) -> CellOutput:
    ids = np.arange(7, 7 + n_rows) * 3
    return CellOutput.curve(cell, _records(n_rows, offset), ids, **tables)


def test_round_trip_and_load_columns(tmp_path: Path) -> None:
    store = CellStore(tmp_path / "cells")
    a = Cell("twin", "random", 0, {"learner": "mlp", "batch_size": 4})
    b = Cell("lumos", "lcmd", 1, {"learner": "ens"})
    queries = pd.DataFrame({"arm": ["random"], "sample_id": [3]})
    path = store.write(_output(a, 4, queries=queries))
    store.write(_output(b, 3, offset=1.0))
    assert path == tmp_path / "cells" / a.key
    assert sorted(p.name for p in path.iterdir()) == [
        "cell.json",
        "labeled.parquet",
        "queries.parquet",
        "records.parquet",
    ]
    assert store.done_keys() == {a.key, b.key} and len(store) == 2 and a in store

    back = store.read(a.key)
    assert back.cell == a
    pd.testing.assert_frame_equal(back.table("records"), _records(4))
    pd.testing.assert_frame_equal(back.table("queries"), queries)
    assert back.table("labeled")["sample_id"].tolist() == (np.arange(7, 11) * 3).tolist()
    assert set(store.read(a.key, ["records"]).tables) == {"records"}

    frame = store.load()
    assert len(frame) == 7
    assert frame.attrs["params"] == ["batch_size", "learner"]
    assert list(frame.columns[:6]) == [
        "key",
        "dataset",
        "strategy",
        "seed",
        "batch_size",
        "learner",
    ]
    for column in ("iteration", "rmse", "nll"):
        assert column in frame.columns
    rows_a = frame[frame["key"] == a.key]
    assert set(rows_a["dataset"]) == {"twin"} and set(rows_a["learner"]) == {"mlp"}
    assert rows_a["iteration"].tolist() == [0, 1, 2, 3]
    assert frame.loc[frame["key"] == b.key, "batch_size"].isna().all()
    side = store.load("queries")
    assert len(side) == 1 and side["key"].tolist() == [a.key]


def test_cell_frame_of_outputs_equals_the_store_load(tmp_path: Path) -> None:
    store = CellStore(tmp_path)
    outputs = [
        _output(Cell("twin", s, seed, {"batch_size": 4}), 3, seed) for seed in (0, 1) for s in "ab"
    ]
    for output in outputs:
        store.write(output)
    stored = [store.read(o.cell.key) for o in outputs]
    pd.testing.assert_frame_equal(cell_frame(stored), store.load())
    assert cell_frame(stored).attrs == store.load().attrs


def test_cell_frame_refuses_tables_with_cell_columns(tmp_path: Path) -> None:
    records = pd.DataFrame({"strategy": ["random"], "seed": [0], "rmse": [1.0]})
    output = CellOutput(Cell("twin", "all", 0), {"records": records})
    with pytest.raises(InvalidInputError, match="clash with the fields of cell"):
        cell_frame([output])
    store = CellStore(tmp_path)
    store.write(output)
    with pytest.raises(DataError, match="clash with the cell fields") as info:
        store.load()
    assert info.value.path == str(tmp_path / output.cell.key / "records.parquet")


def test_empty_store_loads_an_empty_frame(tmp_path: Path) -> None:
    frame = CellStore(tmp_path).load()
    assert frame.empty and {"key", "dataset", "strategy", "seed"} <= set(frame.columns)


def test_store_path_must_be_a_directory(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(DataError, match="not a directory"):
        CellStore(path)


def test_check_records_and_curve_outputs() -> None:
    good = _records(3)
    with pytest.raises(InvalidInputError, match="missing column"):
        check_records(good.drop(columns="q95"))
    with pytest.raises(InvalidInputError, match="strictly increasing"):
        check_records(good.iloc[[0, 0, 1]])
    with pytest.raises(InvalidInputError, match="numeric"):
        check_records(good.assign(note="x"))
    with pytest.raises(InvalidInputError, match="reserved"):
        check_records(good.assign(seed=1))
    with pytest.raises(InvalidInputError, match="no rows"):
        check_records(good.iloc[:0])
    assert check_records(good.to_dict("records")).equals(good)
    cell = Cell("twin", "random", 0)
    with pytest.raises(InvalidInputError) as info:
        CellOutput.curve(cell, good, np.zeros((2, 2), dtype=int))
    assert info.value.parameter == "labeled_ids"
    with pytest.raises(InvalidInputError, match="curve's own tables"):
        CellOutput.curve(cell, good, np.arange(3), labeled=good)
    with pytest.raises(InvalidInputError, match="not an identifier"):
        CellOutput(cell, {"bad name": good})
    with pytest.raises(InvalidInputError, match="must be a DataFrame"):
        CellOutput(cell, {"records": {"rmse": [1.0]}})


def test_fingerprint_is_recorded_and_another_one_refused(tmp_path: Path) -> None:
    CellStore(tmp_path / "cells", {"study": "s", "lr": 0.1, "epochs": 3})
    assert json.loads((tmp_path / "cells" / "study.json").read_text())["lr"] == 0.1
    CellStore(tmp_path / "cells", {"epochs": 3, "lr": 0.1, "study": "s"})  # same, any order
    with pytest.raises(KnowledgeBaseError) as info:
        CellStore(tmp_path / "cells", {"study": "s", "lr": 0.2, "epochs": 3, "n": 1})
    message = str(info.value)
    assert message == (
        f"{tmp_path}: holds results of a different configuration (changed: lr, n); "
        "use another --out or remove it"
    )
    CellStore(tmp_path / "cells").load()  # reading only: not checked


def test_failed_write_leaves_previous_result_and_no_temp_files(tmp_path, monkeypatch) -> None:
    store = CellStore(tmp_path)
    cell = Cell("twin", "random", 0)
    store.write(_output(cell, 3))

    def torn_write(table, handle) -> None:
        handle.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(store_module.pq, "write_table", torn_write)
    with pytest.raises(OSError, match="disk full"):
        store.write(_output(cell, 5))
    assert sorted(p.name for p in tmp_path.iterdir()) == [cell.key]
    assert len(store.read(cell.key).table("records")) == 3


def test_rewriting_a_cell_replaces_it(tmp_path: Path) -> None:
    store = CellStore(tmp_path)
    cell = Cell("twin", "random", 0)
    store.write(_output(cell, 3, queries=pd.DataFrame({"a": [1]})))
    store.write(_output(cell, 5))
    assert set(store.read(cell.key).tables) == {"records", "labeled"}
    assert len(store.load()) == 5 and sorted(p.name for p in tmp_path.iterdir()) == [cell.key]


def test_stray_temp_files_are_ignored_and_cleaned(tmp_path: Path) -> None:
    store = CellStore(tmp_path)
    cell = Cell("twin", "random", 0)
    store.write(_output(cell, 3))
    torn = tmp_path / ".tmp-0123abcd"
    torn.mkdir()
    (torn / "records.parquet").write_bytes(b"PAR1")
    (torn / "cell.json").write_text(Cell("twin", "random", 1).canonical_json())
    old_temp = tmp_path / f".{Cell('twin', 'random', 2).key}.parquet.123.abcd.tmp"
    old_temp.write_bytes(b"PAR1")
    assert store.done_keys() == {cell.key}
    assert len(store.load()) == 3
    store.clean()
    assert sorted(p.name for p in tmp_path.iterdir()) == [cell.key]


def test_corrupt_or_misnamed_files_raise_data_error_naming_them(tmp_path: Path) -> None:
    store = CellStore(tmp_path)
    cell = Cell("twin", "random", 0)
    store.write(_output(cell, 2))
    records = tmp_path / cell.key / "records.parquet"
    records.write_bytes(b"not parquet at all")
    with pytest.raises(DataError) as info:
        store.load()
    assert info.value.path == str(records)
    assert "\n" not in str(info.value)

    store.write(_output(cell, 2))
    moved = tmp_path / "fedcba9876543210"
    os.replace(tmp_path / cell.key, moved)
    with pytest.raises(DataError, match="not the one its folder says") as info:
        store.load()
    assert info.value.path == str(moved / "cell.json")
    (moved / "cell.json").write_text("{not json")
    with pytest.raises(DataError, match="bad cell file"):
        store.load()
    (moved / "cell.json").unlink()
    with pytest.raises(DataError, match="bad cell file"):
        store.read(moved.name)
    with pytest.raises(DataError, match="no stored result"):
        store.read("0000000000000000")


def test_cells_of_the_layout_before_are_read_as_records_and_labeled_ids(tmp_path: Path) -> None:
    """An old bench directory still resumes and reports: its files count as finished cells."""
    cells = [Cell("twin", s, 0, {"learner": "mlp", "batch_size": 4}) for s in ("a", "b")]
    ids = np.arange(5, dtype=np.int64)
    write_legacy(tmp_path / "old", cells[0], _records(3), ids)
    write_legacy(tmp_path / "old", cells[1], _records(4, 1.0), ids)
    old = CellStore(tmp_path / "old")
    assert old.legacy_keys() == old.done_keys() == {c.key for c in cells}
    back = old.read(cells[0].key)
    assert back.cell == cells[0]
    pd.testing.assert_frame_equal(back.table("records"), _records(3))
    assert back.table("labeled")["sample_id"].tolist() == ids.tolist()

    new = CellStore(tmp_path / "new")
    new.write(CellOutput.curve(cells[0], _records(3), ids))
    new.write(CellOutput.curve(cells[1], _records(4, 1.0), ids))
    pd.testing.assert_frame_equal(old.load(), new.load())
    assert old.load().attrs == new.load().attrs

    old.write(CellOutput.curve(cells[0], _records(3), ids))  # rewritten: the new layout only
    assert old.legacy_keys() == {cells[1].key} and len(old) == 2
    bad = tmp_path / "old" / "0123456789abcdef.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(DataError) as info:
        old.load()
    assert info.value.path == str(bad)
    pq.write_table(pa.Table.from_pandas(pd.DataFrame({"iteration": [0]})), bad)
    with pytest.raises(DataError, match="cell metadata"):
        old.load()


WRITER = textwrap.dedent(
    """
    import sys, numpy as np, pandas as pd
    from netal.harness import Cell, CellOutput, CellStore
    store = CellStore(sys.argv[1])
    n = 50_000
    it = np.arange(n)
    records = pd.DataFrame({"iteration": it, "n_labels": it, "cost": it * 1.0,
        "rmse": it + 1.0, "mae": it + 1.0, "q95": it + 1.0, "wall_time_s": 0.0})
    side = pd.DataFrame({"value": np.arange(3 * n, dtype=float)})
    seed = 0
    while True:
        store.write(CellOutput.curve(Cell("big", "random", seed), records, np.arange(5), side=side))
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
    store = CellStore(directory)
    frame = store.load()
    keys = store.done_keys()
    assert len(keys) >= 1
    assert frame.groupby("key").size().eq(50_000).all()
    assert set(frame["key"]) == keys
    for key in keys:
        tables = store.read(key).tables
        assert set(tables) == {"records", "labeled", "side"} and len(tables["side"]) == 150_000
