"""``netal twin`` through typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from netal.cli.main import app
from netal.schemas import LUMOS5G_COLUMNS

runner = CliRunner()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_generate_writes_the_schema(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"twin{suffix}"
    result = runner.invoke(
        app, ["twin", "generate", "--rows", "500", "--seed", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert tuple(frame.columns) == LUMOS5G_COLUMNS and len(frame) == 500


def test_same_seed_same_file(tmp_path: Path) -> None:
    paths = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for path in paths:
        assert (
            runner.invoke(
                app, ["twin", "generate", "-n", "300", "-s", "9", "-o", str(path)]
            ).exit_code
            == 0
        )
    assert paths[0].read_bytes() == paths[1].read_bytes()


def _fails_cleanly(args: list[str], fragment: str) -> None:
    result = runner.invoke(app, ["twin", "generate", *args])
    assert result.exit_code == 1
    assert fragment in result.output
    assert "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0  # one line


def test_unknown_suffix(tmp_path: Path) -> None:
    _fails_cleanly(["--rows", "5", "--out", str(tmp_path / "x.txt")], "unknown file type '.txt'")


def test_bad_rows(tmp_path: Path) -> None:
    _fails_cleanly(["--rows", "0", "--out", str(tmp_path / "x.csv")], "rows: must be >= 1")


def test_bad_scenario_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario\nname = 1\n", encoding="utf-8")
    _fails_cleanly(
        ["--rows", "5", "--out", str(tmp_path / "x.csv"), "--scenario", str(bad)],
        "[file] not valid TOML",
    )


def test_missing_output_directory(tmp_path: Path) -> None:
    _fails_cleanly(["--rows", "5", "--out", str(tmp_path / "no" / "x.csv")], "does not exist")


def test_scenario_command_copies_the_default(tmp_path: Path) -> None:
    out = tmp_path / "mine.toml"
    result = runner.invoke(app, ["twin", "scenario", "--out", str(out)])
    assert result.exit_code == 0 and "[[towers]]" in out.read_text(encoding="utf-8")
