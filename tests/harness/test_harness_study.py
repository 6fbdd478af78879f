"""The study driver: per-seed atomic outputs, resume, configuration guard."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from netal.errors import InvalidInputError, KnowledgeBaseError
from netal.harness.executors import LocalExecutor
from netal.harness.study import SeedOutput, SeedStore, concat_tables, run_study


@dataclass(frozen=True)
class NoiseStudy:
    """A seed's output is a deterministic function of (scale, seed)."""

    scale: float = 1.0
    fail_on: int | None = None

    def fingerprint(self) -> dict[str, Any]:
        return {"study": "noise", "scale": self.scale}

    def run_seed(self, seed: int) -> SeedOutput:
        if seed == self.fail_on:
            raise RuntimeError(f"seed {seed} failed")
        values = np.random.default_rng(seed).normal(size=5) * self.scale
        records = pd.DataFrame({"seed": seed, "iteration": np.arange(5), "value": values})
        return SeedOutput(seed, {"records": records, "queries": records.head(2)})


def test_outputs_come_back_in_seed_order_and_stored(tmp_path: Path) -> None:
    outputs = run_study(NoiseStudy(), [3, 1, 2], tmp_path)
    assert [out.seed for out in outputs] == [3, 1, 2]
    assert sorted(p.name for p in (tmp_path / "seeds").iterdir()) == ["1", "2", "3", "study.json"]
    records = concat_tables(outputs, "records")
    assert records["seed"].tolist() == [3] * 5 + [1] * 5 + [2] * 5


def test_a_failed_seed_keeps_the_finished_ones_and_a_rerun_does_only_the_rest(
    tmp_path: Path,
) -> None:
    with pytest.raises(RuntimeError, match="seed 2 failed"):
        run_study(NoiseStudy(fail_on=2), [0, 1, 2, 3], tmp_path)
    done = SeedStore(tmp_path / "seeds", NoiseStudy().fingerprint()).done()
    assert done == {0, 1}
    seen: list[int] = []
    outputs = run_study(NoiseStudy(), [0, 1, 2, 3], tmp_path, on_seed=seen.append)
    reference = run_study(NoiseStudy(), [0, 1, 2, 3], tmp_path / "fresh")
    assert sorted(seen) == [0, 1, 2, 3]
    for out, ref in zip(outputs, reference, strict=True):
        pd.testing.assert_frame_equal(out.table("records"), ref.table("records"))


def test_worker_processes_give_the_same_tables(tmp_path: Path) -> None:
    serial = run_study(NoiseStudy(scale=2.0), [0, 1, 2], tmp_path / "serial")
    with LocalExecutor(2) as executor:
        parallel = run_study(NoiseStudy(scale=2.0), [0, 1, 2], tmp_path / "par", executor)
    for a, b in zip(serial, parallel, strict=True):
        pd.testing.assert_frame_equal(a.table("records"), b.table("records"))


def test_another_configuration_is_refused_before_any_work(tmp_path: Path) -> None:
    run_study(NoiseStudy(scale=1.0), [0], tmp_path)
    with pytest.raises(KnowledgeBaseError, match=r"different configuration \(changed: scale\)"):
        run_study(NoiseStudy(scale=2.0, fail_on=0), [0, 1], tmp_path)


def test_leftovers_of_a_killed_writer_are_ignored_and_cleaned(tmp_path: Path) -> None:
    store = SeedStore(tmp_path / "seeds", NoiseStudy().fingerprint())
    torn = tmp_path / "seeds" / ".tmp-dead"
    torn.mkdir()
    (torn / "records.parquet").write_bytes(b"half a file")
    assert store.done() == set()
    run_study(NoiseStudy(), [0], tmp_path)
    assert not torn.exists()


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
