"""A user's own table through every data-taking command: --data, [tables.NAME], the shipped example."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from netal.cli.main import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "own-data"

runner = CliRunner()


def _invoke(args: list[str]):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture()
def drives(tmp_path: Path) -> Path:
    """A copy of the shipped example (folder of CSVs with non-ISO times + its TOML)."""
    shutil.copytree(EXAMPLE / "drives", tmp_path / "drives")
    shutil.copy(EXAMPLE / "drives.toml", tmp_path / "drives.toml")
    return tmp_path / "drives.toml"


def _one_error_line(result) -> str:
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_the_example_files_are_what_make_drives_writes(tmp_path):
    """The shipped CSVs are reproducible from the twin (no hand-edited data)."""
    import runpy

    script = tmp_path / "make_drives.py"
    shutil.copy(EXAMPLE / "make_drives.py", script)
    runpy.run_path(str(script), run_name="__main__")
    for shipped in sorted((EXAMPLE / "drives").glob("*.csv")):
        assert (tmp_path / "drives" / shipped.name).read_bytes() == shipped.read_bytes()


def test_describe_shows_the_resolved_table_and_warns_about_the_leak(drives):
    result = _invoke(["data", "describe", "--data", drives])
    assert result.exit_code == 0, result.output
    assert "target: dl_mbps [Mbit/s]" in result.stdout
    assert "group: source_file (4 groups)" in result.stdout
    assert "dl_kbps" not in result.stdout.split("features:")[1].splitlines()[0]
    inline = _invoke(
        [
            "data",
            "describe",
            "--data",
            f"path={drives.parent / 'drives'} target=dl_mbps time=timestamp",
        ]
    )
    assert inline.exit_code == 0, inline.output
    assert "warning:" in inline.stderr and "'dl_kbps' correlates" in inline.stderr
    assert "guessed" in inline.stdout  # the non-ISO time format was guessed and said so


def test_describe_with_loader_options_including_name(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"x": [1, 2, 3, 4], "y": [2.0, 1.0, 4.0, 3.0]}).to_csv(path, index=False)
    result = _invoke(
        ["data", "describe", "csv", "-o", f"path={path}", "-o", "target=y", "-o", "name=mine"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("mine ")


@pytest.mark.slow
def test_casestudy_bench_and_stream_run_on_the_example(drives, tmp_path):
    out = tmp_path / "out"
    case = _invoke(
        ["casestudy", "--data", drives, "--seeds", 1, "--iterations", 1, "--max-epochs", 2,
         "--hidden", 8, "--passes", 3, "--jobs", 1, "--out", out / "cs"]
    )  # fmt: skip
    assert case.exit_code == 0, case.output
    summary = json.loads((out / "cs" / "summary.json").read_text())
    assert summary["data"]["features"] == [
        "speed_kmh", "heading_deg", "lte_rsrp_dbm", "lte_rsrq_db", "nr_rsrp_dbm", "nr_sinr_db",
    ]  # fmt: skip
    assert summary["data"]["units"]["dl_mbps"] == "Mbit/s"
    assert "paper start" not in next(iter(summary["tables"].values()))

    bench = _invoke(
        ["bench", "--data", drives, "--strategies", "random,lcmd", "--seeds", 2,
         "--iterations", 2, "--out", out / "bench"]
    )  # fmt: skip
    assert bench.exit_code == 0, bench.output
    assert "## drives" in (out / "bench" / "summary.md").read_text()
    data = json.loads((out / "bench" / "data.json").read_text())
    assert data["drives"]["rows"] == 958 and data["drives"]["group"] == "source_file"
    identity = json.loads((out / "bench" / "run.json").read_text())
    assert identity["command"].startswith("netal bench") or identity["libraries"]["torch"]
    assert "## Run identity" in (out / "bench" / "summary.md").read_text()
    assert identity["cpu"] in (out / "bench" / "report.html").read_text()

    stream = _invoke(
        ["stream", "--data", drives, "--rows", 300, "--n-test", 100, "--seeds", 1, "--jobs", 1,
         "--out", out / "stream"]
    )  # fmt: skip
    assert stream.exit_code == 0, stream.output
    stream_summary = json.loads((out / "stream" / "summary.json").read_text())
    assert stream_summary["data"]["time"] == "timestamp"


def test_bench_takes_several_named_tables(tmp_path, drives):
    first = f"name=north path={drives.parent / 'drives' / 'drive-0[12].csv'} target=dl_mbps drop=dl_kbps,timestamp"
    second = f"name=south path={drives.parent / 'drives' / 'drive-0[34].csv'} target=dl_mbps drop=dl_kbps,timestamp"
    result = _invoke(
        ["bench", "--data", first, "--data", second, "--strategies", "random", "--seeds", 1,
         "--iterations", 1, "--n-initial", 10, "--batch-size", 5, "--out", tmp_path / "b"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = (tmp_path / "b" / "summary.md").read_text()
    assert "## north" in summary and "## south" in summary and "csv" not in summary.split("\n")[0]


def test_run_config_with_a_tables_section(tmp_path, drives):
    config = tmp_path / "run.toml"
    config.write_text(
        drives.read_text()
        + '\n[data]\ndataset = "drives"\nmax_pool = 200\nmax_test = 200\n'
        + "[loop]\niterations = 1\nbatch_size = 5\nn_initial = 10\n"
    )
    result = _invoke(["run", config, "--out", tmp_path / "run"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["data"]["split"] == "group"
    assert "mode_walking" in summary["data"]["encoded_features"]
    assert summary["data"]["source"].endswith("(4 files)")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["casestudy", "--data", "path=nope.csv target=y"], "nope.csv"),
        (["stream", "--data", "path=DRIVES target=no_such_column"], "no_such_column"),
        (
            [
                "bench",
                "--data",
                "path=DRIVES target=dl_mbps",
                "--data",
                "path=DRIVES target=dl_mbps",
            ],
            "two tables",
        ),
        (["casestudy", "--data", "path=DRIVES target=dl_mbps"], "timestamp"),
        (
            [
                "run",
                "RUN",
                "--data",
                "path=DRIVES target=dl_mbps filters='mode == boat' drop=timestamp",
            ],
            "mode == boat",
        ),
        (
            ["stream", "--data", "path=DRIVES target=dl_mbps time=timestamp time_format=%Y"],
            "time_format",
        ),
        (["bench", "--datasets", "nosuch", "--strategies", "random"], "nosuch"),
        (["data", "describe", "--data", "path=DRIVES target=dl_mbps colour=red"], "colour"),
        (
            [
                "casestudy",
                "--dataset",
                "elsewhere",
                "--data",
                "path=DRIVES target=dl_mbps drop=timestamp",
            ],
            "elsewhere",
        ),
    ],
)
def test_bad_own_data_gets_one_line_before_any_work(args, named, drives, tmp_path):
    run_config = tmp_path / "run.toml"
    run_config.write_text("[loop]\niterations = 1\n")
    folder = str(drives.parent / "drives")
    args = [a.replace("DRIVES", folder).replace("RUN", str(run_config)) for a in args]
    out = [] if args[0] == "data" else ["--out", tmp_path / "out"]
    result = _invoke([*args, *out])
    line = _one_error_line(result)
    assert named in line
    assert not (tmp_path / "out" / "cells").exists()


@pytest.mark.slow
def test_the_closed_loop_replays_the_example(drives, tmp_path):
    result = _invoke(
        ["mapek", "run", "--data", drives, "--change-on", "mode", "--policies", "never,netal",
         "--seeds", 1, "--period-s", 30, "--label-budget", 100, "--jobs", 2, "--out", tmp_path / "mk"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "mk" / "summary.json").read_text())
    assert summary["data"]["name"] == "drives" and summary["config"]["change_on"] == ["mode"]
    changes = pd.read_parquet(tmp_path / "mk" / "changes.parquet")
    assert len(changes) > 0 and set(changes["kind"]) == {"mode"}
