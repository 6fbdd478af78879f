"""The study driver: cells on any executor, atomic per-cell outputs, resume, configuration guard."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _harness_legacy import write_legacy

from netal.errors import DataError, InvalidInputError, KnowledgeBaseError
from netal.harness import (
    ALL_ARMS,
    Cell,
    CellOutput,
    CellStore,
    SeedStudy,
    SerialExecutor,
    Study,
    StudyRun,
    concat_tables,
    make_cells,
    run_study,
)
from netal.harness.executors import LocalExecutor


@dataclass(frozen=True)
class NoiseStudy(SeedStudy):
    """A seed's output is a deterministic function of (scale, seed); every arm in one cell."""

    scale: float = 1.0
    fail_on: int | None = None

    def fingerprint(self) -> dict[str, Any]:
        return {"study": "noise", "scale": self.scale}

    def run_seed(self, seed: int) -> dict[str, pd.DataFrame]:
        if seed == self.fail_on:
            raise RuntimeError(f"seed {seed} failed")
        values = np.random.default_rng(seed).normal(size=5) * self.scale
        records = pd.DataFrame({"seed": seed, "iteration": np.arange(5), "value": values})
        return {"records": records, "queries": records.head(2)}


CALLS: list[str] = []


def _curve(cell: Cell) -> CellOutput:
    it = np.arange(3)
    rmse = 1.0 / (1 + it) + cell.seed + cell.param("batch_size", 0)
    records = pd.DataFrame(
        {
            "iteration": it,
            "n_labels": 10 + 2 * it,
            "cost": 1.5 * (10 + 2 * it),
            "rmse": rmse,
            "mae": rmse / 2,
            "q95": rmse * 2,
            "wall_time_s": 0.01,
        }
    )
    return CellOutput.curve(cell, records, np.arange(14))


@dataclass(frozen=True)
class GridStudy:
    """A bench-like grid: strategies and seeds are axes, ``batch_size`` is configuration."""

    strategies: tuple[str, ...] = ("random", "lcmd")
    batch_size: int = 4
    reply: str = "curve"

    def fingerprint(self) -> dict[str, Any]:
        return {"study": "grid", "batch_size": self.batch_size}

    def cells(self, seeds: Any) -> list[Cell]:
        return make_cells(["d"], self.strategies, seeds, batch_size=self.batch_size)

    def run_cell(self, cell: Cell) -> Any:
        CALLS.append(cell.key)
        if cell.strategy == "boom":
            raise RuntimeError("cell failed")
        if self.reply == "dict":
            return {"rmse": 1.0}
        if self.reply == "other cell":
            return _curve(Cell("elsewhere", cell.strategy, cell.seed))
        return _curve(cell)

    def finish(self, run: StudyRun) -> StudyRun:
        return run


def test_seed_study_cells_come_back_in_seed_order_and_stored(tmp_path: Path) -> None:
    run = run_study(NoiseStudy(), [3, 1, 2], tmp_path)
    assert isinstance(NoiseStudy(), Study) and isinstance(run, StudyRun)
    assert [c.seed for c in run.cells] == [3, 1, 2]
    assert {c.strategy for c in run.cells} == {ALL_ARMS} and {c.dataset for c in run.cells} == {
        "twin"
    }
    stored = sorted(p.name for p in (tmp_path / "cells").iterdir())
    assert stored == sorted([*(c.key for c in run.cells), "study.json"])
    for cell in run.cells:
        assert sorted(p.name for p in (tmp_path / "cells" / cell.key).iterdir()) == [
            "cell.json",
            "queries.parquet",
            "records.parquet",
        ]
    records = concat_tables(run.outputs, "records")
    assert records["seed"].tolist() == [3] * 5 + [1] * 5 + [2] * 5
    assert run.ran and not run.skipped


def test_a_failed_seed_keeps_the_finished_ones_and_a_rerun_does_only_the_rest(
    tmp_path: Path,
) -> None:
    with pytest.raises(RuntimeError, match="seed 2 failed") as info:
        run_study(NoiseStudy(fail_on=2), [0, 1, 2, 3], tmp_path)
    assert any('"seed":2' in note for note in info.value.__notes__)
    done = CellStore(tmp_path / "cells").done_keys()
    assert done == {c.key for c in NoiseStudy().cells([0, 1])}
    seen: list[int] = []
    skipped: list[int] = []
    run = run_study(
        NoiseStudy(),
        [0, 1, 2, 3],
        tmp_path,
        on_cell=lambda cell, output: seen.append(cell.seed),
        on_skipped=lambda cell: skipped.append(cell.seed),
    )
    reference = run_study(NoiseStudy(), [0, 1, 2, 3], tmp_path / "fresh")
    assert sorted(seen) == [2, 3] and sorted(skipped) == [0, 1]
    assert len(run.ran) == 2 and len(run.skipped) == 2
    for out, ref in zip(run.outputs, reference.outputs, strict=True):
        pd.testing.assert_frame_equal(out.table("records"), ref.table("records"))


def test_worker_processes_give_the_same_tables(tmp_path: Path) -> None:
    serial = run_study(NoiseStudy(scale=2.0), [0, 1, 2], tmp_path / "serial")
    with LocalExecutor(2) as executor:
        parallel = run_study(NoiseStudy(scale=2.0), [0, 1, 2], tmp_path / "par", executor)
    for a, b in zip(serial.outputs, parallel.outputs, strict=True):
        pd.testing.assert_frame_equal(a.table("records"), b.table("records"))


def test_another_configuration_is_refused_before_any_work(tmp_path: Path) -> None:
    run_study(NoiseStudy(scale=1.0), [0], tmp_path)
    with pytest.raises(KnowledgeBaseError, match=r"different configuration \(changed: scale\)"):
        run_study(NoiseStudy(scale=2.0, fail_on=0), [0, 1], tmp_path)


def test_grid_skips_stored_cells_and_grows_with_more_seeds_or_strategies(tmp_path: Path) -> None:
    CALLS.clear()
    first = run_study(GridStudy(), range(2), tmp_path)
    assert len(first.ran) == 4 and first.skipped == ()
    grown = GridStudy(strategies=("random", "lcmd", "coreset"))
    second = run_study(grown, range(3), tmp_path, SerialExecutor())
    assert sorted(second.skipped) == sorted(first.ran)
    assert len(second.ran) == 9 - 4 and len(CALLS) == 9 and len(set(CALLS)) == 9
    assert [c.key for c in second.cells] == [c.key for c in grown.cells(range(3))]
    assert CellStore(tmp_path / "cells").done_keys() == {c.key for c in second.cells}
    with pytest.raises(KnowledgeBaseError, match=r"\(changed: batch_size\)"):
        run_study(GridStudy(batch_size=8), range(2), tmp_path)


def test_grid_keeps_finished_cells_when_a_cell_fails(tmp_path: Path) -> None:
    study = GridStudy(strategies=("random", "boom"))
    with pytest.raises(RuntimeError, match="cell failed") as info:
        run_study(study, [0, 1], tmp_path)
    assert any('"strategy":"boom"' in note for note in info.value.__notes__)
    assert CellStore(tmp_path / "cells").done_keys() == {study.cells([0])[0].key}


def test_duplicate_cells_and_bad_outputs_are_refused(tmp_path: Path) -> None:
    @dataclass(frozen=True)
    class Twice(GridStudy):
        def cells(self, seeds: Any) -> list[Cell]:
            return [*super().cells(seeds), Cell("d", "random", 0, {"batch_size": 4})]

    with pytest.raises(InvalidInputError, match="duplicate cells"):
        run_study(Twice(), [0], tmp_path)
    for reply in ("dict", "other cell"):
        with pytest.raises(InvalidInputError) as info:
            run_study(GridStudy(reply=reply), [0], tmp_path)
        assert info.value.parameter == "run_cell"
    assert len(CellStore(tmp_path / "cells")) == 0


def test_leftovers_of_a_killed_writer_are_ignored_and_cleaned(tmp_path: Path) -> None:
    cells = tmp_path / "cells"
    torn = cells / ".tmp-dead"
    torn.mkdir(parents=True)
    (torn / "records.parquet").write_bytes(b"half a file")
    assert CellStore(cells).done_keys() == set()
    run_study(NoiseStudy(), [0], tmp_path)
    assert not torn.exists()


def test_the_per_seed_layout_before_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "seeds" / "0").mkdir(parents=True)
    (tmp_path / "seeds" / "study.json").write_text('{"study": "noise", "scale": 1.0}')
    with pytest.raises(DataError, match="results layout before OUT/cells/") as info:
        run_study(NoiseStudy(), [0], tmp_path)
    assert info.value.path == str(tmp_path / "seeds") and "\n" not in str(info.value)
    assert not (tmp_path / "cells").exists()


def test_cells_of_the_layout_before_resume_only_studies_that_read_them(tmp_path: Path) -> None:
    study = GridStudy()
    old = study.cells([0])[0]
    write_legacy(tmp_path / "cells", old, _curve(old).table("records"), np.arange(14))
    with pytest.raises(DataError, match="does not resume") as info:
        run_study(study, [0], tmp_path)
    assert info.value.path == str(tmp_path / "cells")
    assert not (tmp_path / "cells" / "study.json").exists()

    @dataclass(frozen=True)
    class Reading(GridStudy):
        reads_legacy_cells = True

    run = run_study(Reading(), [0], tmp_path)
    assert run.skipped == (old.key,) and len(run.ran) == 1
    pd.testing.assert_frame_equal(run.outputs[0].table("records"), _curve(old).table("records"))


@pytest.mark.parametrize("seeds", [[], [1, 1], [-1], [1.5]])
def test_bad_seed_lists_are_named(tmp_path: Path, seeds: list[Any]) -> None:
    with pytest.raises(InvalidInputError, match=r"^seeds:"):
        run_study(NoiseStudy(), seeds, tmp_path)


def test_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(InvalidInputError, match="is a file"):
        run_study(NoiseStudy(), [0], target)
    assert os.path.isfile(target)
