"""Faults and bad inputs that commands must refuse in one ``error:`` line, before any work.

A damaged knowledge base, a learner parameter of the wrong type, a configuration that is not
UTF-8, ``--out`` naming an existing file, an unreachable Dask scheduler; and, with real
processes, a second command on the same output folder and worker processes outliving a main
process killed with ``kill -9``.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netal.cli.main import app
from netal.loop.knowledge import KnowledgeBase

runner = CliRunner()
NETAL = str(Path(sys.executable).with_name("netal"))

RUN_CONFIG = """
[data]
dataset = "twin"
rows = {rows}
max_pool = {pool}
max_test = 100

[learner]
name = "mc_dropout_mlp"

[learner.params]
hidden = [8]
epochs = {epochs}
n_passes = 3

[strategy]
name = "random"

[loop]
n_initial = 10
batch_size = 5
iterations = {iterations}
"""


def _config(tmp_path: Path, *, epochs: int = 3, iterations: int = 2, rows: int = 600) -> Path:
    path = tmp_path / "run.toml"
    text = RUN_CONFIG.format(epochs=epochs, iterations=iterations, rows=rows, pool=rows // 2)
    path.write_text(text, encoding="utf-8")
    return path


def _one_error_line(stderr: str, *fragments: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def _invoke(args: list[str]) -> tuple[int, str, str]:
    result = runner.invoke(app, args)
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.stdout, result.stderr


# ------------------------------------------------------------------ knowledge-base faults


def _many_page_kb(path: Path) -> Path:
    with KnowledgeBase(path) as kb:
        for k in range(150):
            kb.open_run(f"run-{k}", {"padding": "x" * 600}, seed=k)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return path


def _damage(kb: Path, how: str) -> None:
    if how == "folder":
        kb.mkdir(parents=True)
        return
    kb.parent.mkdir(parents=True, exist_ok=True)
    if how == "garbage":
        kb.write_bytes(b"\x89PNG not a database" * 500)
        return
    data = bytearray(_many_page_kb(kb).read_bytes())
    if how == "truncated":
        data = data[: len(data) // 2]
    else:  # zeroed page in the middle
        middle = len(data) // 4096 // 2
        data[middle * 4096 : (middle + 1) * 4096] = bytes(4096)
    kb.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["garbage", "truncated", "zeroed page", "folder"])
@pytest.mark.parametrize("command", [["run"], ["loop", "status"], ["loop", "ask"]])
def test_a_damaged_knowledge_base_is_one_line_before_the_data_is_loaded(
    tmp_path: Path, how: str, command: list[str]
) -> None:
    out = tmp_path / "out"
    _damage(out / "kb.sqlite", how)
    code, stdout, stderr = _invoke([*command, str(_config(tmp_path)), "--out", str(out)])
    assert code == 1
    line = _one_error_line(stderr, str(out / "kb.sqlite"))
    assert ("is not a file" in line) if how == "folder" else ("move it away" in line)
    assert "data:" not in stdout and "candidates" not in stdout  # nothing was loaded


def test_a_knowledge_base_whose_folder_is_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file")
    config = _config(tmp_path)
    config.write_text(
        config.read_text() + '\n[output]\nknowledge_base = "taken/kb.sqlite"\n', encoding="utf-8"
    )
    code, _, stderr = _invoke(["run", str(config), "--out", str(tmp_path / "out")])
    assert code == 1
    _one_error_line(stderr, "kb.sqlite", "taken")


# ------------------------------------------------------------------ configuration faults


def test_a_learner_parameter_of_the_wrong_type_is_refused_when_the_config_is_read(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path)
    config.write_text(config.read_text().replace("hidden = [8]", 'hidden = "big"'))
    for command in (["run"], ["loop", "ask"]):
        code, stdout, stderr = _invoke([*command, str(config), "--out", str(tmp_path / "out")])
        assert code == 1
        _one_error_line(stderr, str(config), "[learner.params.hidden]", "list of integers")
        assert "data:" not in stdout
    assert not (tmp_path / "out").exists()


def test_a_bench_strategy_parameter_of_the_wrong_type_names_its_table(tmp_path: Path) -> None:
    config = tmp_path / "bench.toml"
    config.write_text(
        '[bench]\ndatasets = ["twin"]\nstrategies = ["random", "bald"]\nseeds = 1\n'
        '[bench.strategy_params.bald]\nnoise_floor = "low"\n',
        encoding="utf-8",
    )
    code, _, stderr = _invoke(["bench", "--config", str(config), "--out", str(tmp_path / "b")])
    assert code == 1
    _one_error_line(stderr, str(config), "[bench.strategy_params.bald.noise_floor]")


@pytest.mark.parametrize(
    "command",
    [["run", "{config}"], ["loop", "status", "{config}"], ["casestudy", "--config", "{config}"]],
)
def test_a_config_that_is_not_utf8_is_one_line_naming_it(
    tmp_path: Path, command: list[str]
) -> None:
    config = tmp_path / "latin1.toml"
    config.write_bytes('[data]\ndataset = "Köln"\n'.encode("latin-1"))
    args = [part.format(config=config) for part in command]
    code, _, stderr = _invoke([*args, "--out", str(tmp_path / "out")])
    assert code == 1
    _one_error_line(stderr, str(config), "not UTF-8")


# ------------------------------------------------------------------ --out names a file

OUT_FILE_COMMANDS = {
    "run": ["run", "{config}"],
    "loop ask": ["loop", "ask", "{config}"],
    "casestudy": ["casestudy", "--seeds", "1"],
    "bench": ["bench", "--datasets", "twin", "--strategies", "random", "--seeds", "1"],
    "acquire": ["acquire", "--seeds", "1"],
    "stream": ["stream", "--seeds", "1"],
    "synth": ["synth", "--seeds", "1"],
    "mapek run": ["mapek", "run", "--seeds", "1"],
}


@pytest.mark.parametrize("name", list(OUT_FILE_COMMANDS))
def test_out_naming_an_existing_file_is_refused_before_any_work(tmp_path: Path, name: str) -> None:
    target = tmp_path / "results.txt"
    target.write_text("keep me")
    args = [part.format(config=_config(tmp_path)) for part in OUT_FILE_COMMANDS[name]]
    started = time.monotonic()
    code, _, stderr = _invoke([*args, "--out", str(target)])
    assert code == 1
    _one_error_line(stderr, str(target), "file")
    assert target.read_text() == "keep me"
    assert time.monotonic() - started < 30.0


@pytest.mark.parametrize("command", [["twin", "generate", "--rows", "20"], ["twin", "timeline"]])
def test_a_twin_output_that_is_a_folder_is_refused_before_simulating(
    tmp_path: Path, command: list[str]
) -> None:
    folder = tmp_path / "twin.csv"
    folder.mkdir()
    code, _, stderr = _invoke([*command, "--out", str(folder)])
    assert code == 1
    _one_error_line(stderr, str(folder), "is a folder")


# ------------------------------------------------------------------ Dask


def test_an_unreachable_scheduler_fails_fast_naming_its_address(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    started = time.monotonic()
    code, _, stderr = _invoke(
        ["bench", "--datasets", "twin", "--strategies", "random", "--seeds", "1",
         "--scheduler", address, "--out", str(tmp_path / "b")]
    )  # fmt: skip
    assert code == 1
    _one_error_line(stderr, address, "Dask scheduler")
    assert time.monotonic() - started < 20.0
    assert not (tmp_path / "b" / "cells").exists()


# ------------------------------------------------------------------ real processes


def _wait_for_lock(lock: Path, pid: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lock.exists() and lock.read_text().startswith(f"pid {pid}:"):
            return
        time.sleep(0.1)
    raise AssertionError(f"{lock} was not taken by pid {pid}")


@pytest.mark.slow
def test_a_second_process_on_the_same_run_gets_one_line_and_the_first_is_intact(
    tmp_path: Path,
) -> None:
    # long enough (about 40 s alone) that the second processes start (import, config, data
    # check) while it runs, also on a fast machine running other tests beside it
    config, out = _config(tmp_path, epochs=30, iterations=300, rows=4000), tmp_path / "out"
    first = subprocess.Popen(
        [NETAL, "run", str(config), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_lock(out / ".netal.lock", first.pid)
        seconds = [
            subprocess.Popen(
                [NETAL, *command, str(config), "--out", str(out)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for command in (["run"], ["loop", "ask"])
        ]
        for second in seconds:
            _, second_stderr = second.communicate(timeout=300)
            assert second.returncode == 1
            _one_error_line(
                second_stderr, str(out), f"in use by another netal process (pid {first.pid}"
            )
        assert first.poll() is None, "the first run ended before the others tried"
        _, stderr = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr
    with KnowledgeBase(out / "kb.sqlite") as kb:
        runs = kb.runs()
        assert runs["status"].tolist() == ["finished"]
        assert kb.queries("run")["sample_id"].is_unique  # no sample bought twice
        assert len(kb.labeled("run")) == 10 + 300 * 5  # every label of the budget, once


def _children(pid: int) -> list[int]:
    """Worker processes (multiprocessing spawn) whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_kill_9_of_a_bench_leaves_no_worker_behind(tmp_path: Path) -> None:
    config = tmp_path / "bench.toml"
    config.write_text(
        '[bench]\ndatasets = ["twin"]\nstrategies = ["random", "max_variance"]\nseeds = 2\n'
        "[learner.params]\nhidden = [16]\nepochs = 60\nn_passes = 5\n",
        encoding="utf-8",
    )
    main = subprocess.Popen(
        [NETAL, "bench", "--config", str(config), "--iterations", "30", "--jobs", "2",
         "--out", str(tmp_path / "b")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        workers: list[int] = []
        while time.monotonic() < deadline and len(workers) < 2:
            workers = _children(main.pid)
            time.sleep(0.2)
        assert len(workers) == 2, "the bench did not start its two workers"
        time.sleep(1.0)
    finally:
        os.kill(main.pid, signal.SIGKILL)
        main.wait(timeout=30)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and any(_running(pid) for pid in workers):
        time.sleep(0.05)
    alive = [pid for pid in workers if _running(pid)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert alive == [], f"workers {alive} outlived their killed parent"
