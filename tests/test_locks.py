"""Process locks: a second process on a held folder or file gets BusyError; kill -9 frees it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netal.errors import BusyError, DataError
from netal.locks import FOLDER_LOCK, hold_file, hold_folder

HOLDER = """
import sys, time
from netal.locks import hold_file, hold_folder
target, kind = sys.argv[1], sys.argv[2]
with (hold_folder(target) if kind == "folder" else hold_file(target)):
    print("held", flush=True)
    time.sleep(120)
"""


def _start_holder(target: Path, kind: str) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(target), kind], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def _kill(holder: subprocess.Popen[str]) -> None:
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)


def test_a_second_process_is_refused_and_kill_9_frees_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = _start_holder(out, "folder")
    try:
        with pytest.raises(BusyError) as info, hold_folder(out):
            pass
        message = str(info.value)
        assert message.startswith(f"{out}: in use by another netal process (pid {holder.pid}")
        assert "another --out" in message and "\n" not in message
    finally:
        _kill(holder)
    with hold_folder(out):  # the kernel released the lock of the killed holder
        assert (out / FOLDER_LOCK).read_text().startswith(f"pid {os.getpid()}")


def test_a_held_file_is_refused_to_another_process(tmp_path: Path) -> None:
    kb = tmp_path / "kb.sqlite"
    holder = _start_holder(kb, "file")
    try:
        with pytest.raises(BusyError, match=r"kb\.sqlite: in use by another netal process"):
            with hold_file(kb):
                pass
    finally:
        _kill(holder)


def test_locks_are_reentrant_within_a_process(tmp_path: Path) -> None:
    with hold_folder(tmp_path / "out"), hold_folder(tmp_path / "out"):
        with hold_file(tmp_path / "out" / "kb.sqlite"), hold_file(tmp_path / "out" / "kb.sqlite"):
            pass
    start = time.monotonic()
    with hold_folder(tmp_path / "out"):  # released: taken again at once
        pass
    assert time.monotonic() - start < 1.0


def test_a_file_where_the_folder_should_be_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "results"
    path.write_text("not a folder")
    with pytest.raises(DataError, match="is a file; give a folder for the outputs"):
        hold_folder(path)
