"""``netal data`` through typer's CliRunner."""

from __future__ import annotations

import json
import socket

from typer.testing import CliRunner

from netal.cli.main import app

runner = CliRunner()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_list_reports_found_and_missing(data_dir, tmp_path):
    result = runner.invoke(app, ["data", "list", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert set(lines) == {"barcelona-lte", "csv", "lumos5g", "sutd5g", "ucc5g", "umn-mmwave"}
    assert "found:" in lines["ucc5g"] and "5G-production-dataset.zip" in lines["ucc5g"]
    assert "missing:" in lines["lumos5g"] and "ieee-dataport" in lines["lumos5g"]
    empty = runner.invoke(app, ["data", "list", "--data-dir", str(tmp_path)])
    assert empty.exit_code == 0
    assert "missing:" in next(
        line for line in empty.output.splitlines() if line.startswith("sutd5g")
    )


def test_describe_json_on_a_real_dataset(data_dir):
    result = runner.invoke(
        app, ["data", "describe", "sutd5g", "--json", "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 8_736
    assert (
        summary["target"] == "lab_anom"
        and summary["group"] == "scenario"
        and summary["n_groups"] == 4
    )
    assert summary["missing"]["PDSCH_MCS"] > 0


def test_describe_text_with_option(data_dir):
    result = runner.invoke(
        app, ["data", "describe", "umn-mmwave", "-o", "file=combined", "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "rows: 17,060" in result.output and "missing values per column" in result.output


def test_errors_are_one_line_and_nonzero(tmp_path):
    cases = [
        ["data", "describe", "nope"],
        ["data", "describe", "ucc5g", "--data-dir", str(tmp_path)],
        ["data", "describe", "umn-mmwave", "-o", "bogus=1", "--data-dir", str(tmp_path)],
        ["data", "fetch", "lumos5g", "--data-dir", str(tmp_path)],
        [
            "data",
            "fetch",
            "ucc5g",
            "-d",
            str(tmp_path),
            "--mirror",
            f"http://127.0.0.1:{_closed_port()}",
        ],
    ]
    for args in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)
        assert "Traceback" not in result.output


def test_bad_data_file_is_one_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,y\n1,2\n3\n")
    result = runner.invoke(app, ["data", "describe", "csv", "-o", f"path={path}", "-o", "target=y"])
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        == f"error: {path}, line 3: line has 1 field(s), the header has 2 (truncated or malformed file)"
    )


def test_boolean_options_are_parsed(data_dir):
    result = runner.invoke(
        app,
        ["data", "describe", "umn-mmwave", "--json", "-o", "direction=all", "-d", str(data_dir)],
    )
    assert json.loads(result.stdout)["rows"] == 8_056
    from netal.cli.data import _options

    assert _options(["mask_sentinels=false", "file=s20"]) == {
        "mask_sentinels": False,
        "file": "s20",
    }
