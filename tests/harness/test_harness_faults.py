"""Faults around the harness: workers die with their parent, a study folder has one writer,
a damaged cell knowledge base stops a study before any work, an unreachable Dask scheduler
fails fast."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from netal.errors import BusyError, KnowledgeBaseError, NetalError
from netal.harness import SeedStudy, cell_knowledge_base, make_executor, run_study

POOL_SCRIPT = """
import os, sys, time
from netal.harness.executors import LocalExecutor

def work(item):
    print("worker", os.getpid(), flush=True)
    time.sleep(300)
    return item

if __name__ == "__main__":
    with LocalExecutor(2) as pool:
        for _ in pool.map_unordered(work, [1, 2]):
            pass
"""

WATCH_SCRIPT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE, text=True)
child.stdout.readline()  # the child watches this process
print(child.pid, flush=True)
time.sleep(300)
"""

WATCHED_CHILD = """
import os, threading, time
from netal.harness.executors import _watch_parent
threading.Thread(target=_watch_parent, args=(os.getppid(), 0.1), daemon=True).start()
print("watching", flush=True)
time.sleep(300)
"""


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped does not)."""
    stat = Path(f"/proc/{pid}/stat")
    if stat.parent.parent.is_dir() and Path("/proc/self").exists():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (FileNotFoundError, ProcessLookupError):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _gone_within(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    alive = [pid for pid in pids if _alive(pid)]
    for pid in alive:  # do not leave them behind if the test fails
        os.kill(pid, signal.SIGKILL)
    return alive


def test_pool_workers_die_within_seconds_of_a_kill_9_of_their_parent(tmp_path: Path) -> None:
    script = tmp_path / "pool.py"
    script.write_text(POOL_SCRIPT)
    main = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert main.stdout is not None
    workers = [int(main.stdout.readline().split()[1]) for _ in range(2)]
    assert all(_alive(pid) for pid in workers)
    os.kill(main.pid, signal.SIGKILL)
    main.wait(timeout=30)
    assert _gone_within(workers, 3.0) == []


def test_the_polling_fallback_ends_a_child_whose_parent_was_killed() -> None:
    middle = subprocess.Popen(
        [sys.executable, "-c", WATCH_SCRIPT, WATCHED_CHILD], stdout=subprocess.PIPE, text=True
    )
    assert middle.stdout is not None
    # the middle sends the pid once the child polls (a loaded machine imports slowly)
    child = int(middle.stdout.readline())
    assert _alive(child)
    os.kill(middle.pid, signal.SIGKILL)
    middle.wait(timeout=30)
    assert _gone_within([child], 10.0) == []


def test_a_worker_whose_parent_is_already_gone_ends_at_once() -> None:
    code = (
        "import time; from netal.harness.executors import die_with_parent; "
        "die_with_parent(1); time.sleep(30); print('still alive')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1 and "still alive" not in result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_dask_scheduler_fails_fast_in_one_line() -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    with pytest.raises(NetalError) as info, make_executor("dask", address=address):
        pass
    assert time.monotonic() - started < 15.0
    message = str(info.value)
    assert message.startswith(f"cannot connect to the Dask scheduler at '{address}'")
    assert "\n" not in message


@dataclass(frozen=True)
class CountingStudy(SeedStudy):
    """Writes a marker file when a cell runs, so a test can tell that no work was done."""

    marker: str

    def fingerprint(self) -> dict[str, Any]:
        return {"study": "counting"}

    def run_seed(self, seed: int) -> dict[str, pd.DataFrame]:
        Path(self.marker).write_text(f"ran seed {seed}")
        return {"records": pd.DataFrame({"seed": [seed], "value": [np.float64(seed)]})}


def test_a_damaged_knowledge_base_of_a_cell_to_run_stops_the_study_before_any_work(
    tmp_path: Path,
) -> None:
    out, marker = tmp_path / "out", tmp_path / "ran"
    study = CountingStudy(str(marker))
    run_study(study, [0], out)
    marker.unlink()
    (cell,) = study.cells([1])
    kb = cell_knowledge_base(out, cell)
    kb.parent.mkdir()
    kb.write_bytes(b"SQLite format 3\x00" + b"\x01" * 5000)
    with pytest.raises(KnowledgeBaseError, match=f"{kb}: not a usable SQLite knowledge base"):
        run_study(study, [0, 1], out)
    assert not marker.exists()


HOLD_FOLDER = """
import sys, time
from netal.locks import hold_folder
with hold_folder(sys.argv[1]):
    print("held", flush=True)
    time.sleep(300)
"""


def test_a_second_process_on_a_study_folder_gets_one_line_and_changes_nothing(
    tmp_path: Path,
) -> None:
    out, marker = tmp_path / "out", tmp_path / "ran"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_FOLDER, str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(BusyError, match="in use by another netal process"):
            run_study(CountingStudy(str(marker)), [0], out)
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    assert not marker.exists() and not (out / "cells").exists()
    run_study(CountingStudy(str(marker)), [0], out)  # free again once the holder is gone
    assert marker.exists()
