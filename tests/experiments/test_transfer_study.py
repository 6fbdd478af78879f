"""The transfer study: settings checked before work, outputs per task, reruns resume every cell."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from netal.errors import ConfigError, InvalidInputError, KnowledgeBaseError, UnknownNameError
from netal.experiments.transfer import (
    TransferSettings,
    load_transfer,
    run_transfer_experiment,
    share_table,
)

TINY = {
    "tasks": ("twin-walking-driving",),
    "arms": ("transfer_al",),
    "seeds": 2,
    "iterations": 2,
    "batch_size": 4,
    "n_initial": 5,
    "hidden": (8, 8),
    "epochs": 10,
    "n_passes": 5,
    "pretrain_epochs": 3,
    "twin_rows": 7000,
    "max_source": 300,
    "max_pool": 100,
    "max_test": 80,
}


def test_the_example_file_holds_the_defaults() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "transfer.toml"
    assert load_transfer(example) == TransferSettings()


def test_settings_refuse_bad_values_by_name(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="transfer task"):
        TransferSettings(tasks=("twin-flying",))
    with pytest.raises(UnknownNameError, match="strategy"):
        TransferSettings(strategy="oracle")
    with pytest.raises(InvalidInputError, match="n_trainable"):
        TransferSettings(n_trainable=5)
    with pytest.raises(InvalidInputError, match="max-pool"):
        TransferSettings(iterations=100, batch_size=50)
    config = tmp_path / "t.toml"
    config.write_text("[transfer]\nbatchsize = 3\n")
    with pytest.raises(ConfigError, match=r"\[transfer\.batchsize\]"):
        load_transfer(config)
    config.write_text('[transfer]\nhidden = [8, 8]\npolicy = "l2sp"\n')
    settings = load_transfer(config, {"seeds": 4})
    assert settings.hidden == (8, 8) and settings.policy == "l2sp" and settings.seeds == 4
    assert settings.run_arms[0] == "scratch_random"  # the baseline always runs


@pytest.mark.slow
def test_study_writes_reports_and_a_rerun_resumes_every_cell(tmp_path: Path) -> None:
    settings = TransferSettings(**TINY)
    out = tmp_path / "out"
    first = run_transfer_experiment(settings, out)
    assert (first.ran, first.skipped) == (4, 0)
    task = out / "twin-walking-driving"
    for name in ("report.html", "summary.json", "summary.md", "results.parquet"):
        assert (task / name).is_file(), name
    assert len(list((out / "pretrained").glob("*.npy"))) == 2  # one source model per seed
    summary = json.loads((task / "summary.json").read_text())
    assert set(summary["arms"]) == {"scratch_random", "transfer_al"}
    assert any(title.startswith("Target labels to reach") for title in summary["tables"])
    assert summary["data"][0]["source"] == "twin walking"
    before = pd.read_parquet(task / "results.parquet")
    again = run_transfer_experiment(settings, out)
    assert (again.ran, again.skipped) == (0, 4)
    pd.testing.assert_frame_equal(pd.read_parquet(task / "results.parquet"), before)
    with pytest.raises(KnowledgeBaseError, match="policy"):
        run_transfer_experiment(TransferSettings(**{**TINY, "policy": "l2sp"}), out)


def test_share_table_counts_seeds_within_the_goal() -> None:
    rows = []
    for seed in (0, 1):
        for arm, curve in {
            "scratch_random": [9.0, 6.0, 4.0, 2.0],
            "transfer_al": [5.0, 2.0, 1.5, 1.0] if seed == 0 else [5.0, 4.0, 3.0, 3.0],
        }.items():
            for i, rmse in enumerate(curve):
                rows.append(
                    {"dataset": "t", "strategy": arm, "seed": seed, "iteration": i,
                     "n_labels": 10 * (i + 1), "rmse": rmse}
                )  # fmt: skip
    table, reach = share_table(pd.DataFrame(rows))
    mine = reach[reach["strategy"] == "transfer_al"].set_index("seed")
    assert mine.loc[0, "needed"] == pytest.approx(20.0) and mine.loc[0, "status"] == "reached"
    assert mine.loc[1, "status"] == "not reached"
    assert "| transfer_al | 2 | 1 | 20 | 0.5 | 0 |" in table
