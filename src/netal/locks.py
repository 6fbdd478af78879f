"""Process locks: one netal process at a time writes an output folder or a knowledge base.

A lock is an exclusive ``fcntl.flock`` on a small lock file: ``OUT/.netal.lock``
for an output folder, ``NAME.lock`` beside a file (a knowledge base).  The
kernel releases it when the holding process ends, however it ends (``kill -9``
included), so a lock is never stale and nothing has to be cleaned up; the lock
file stays and only records the last holder (pid and command line) for the
message a second process gets: one :class:`~netal.errors.BusyError` line,
before it does any work.

Within one process a lock is re-entrant (a study that holds its folder may
open a knowledge base in it).  Worker processes do not inherit it (they are
spawned) and need not: they die with the process that holds it
(:mod:`netal.harness.executors`).  Platforms without ``fcntl`` (Windows) run
without locks.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder, hold_folder(folder):
...     pass
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from netal.errors import BusyError, DataError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

FOLDER_LOCK = ".netal.lock"
"""The lock file inside a locked output folder."""

_HELD: dict[Path, list[int]] = {}
"""Lock file -> [file descriptor, re-entry count] of the locks this process holds."""
_GUARD = threading.Lock()


def lock_path(path: str | os.PathLike[str], *, folder: bool) -> Path:
    """The lock file of ``path``: ``path/.netal.lock`` for a folder, ``path.lock`` for a file."""
    path = Path(path).absolute()
    return path / FOLDER_LOCK if folder else path.with_name(f"{path.name}.lock")


def _holder(fd: int) -> str:
    """What the lock file says about its holder (``"pid N: command"``)."""
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", errors="replace").strip()
    except OSError:
        text = ""
    return text or "pid unknown"


def _describe_self() -> bytes:
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "python"
    return f"pid {os.getpid()}: {command[:300]}\n".encode()


def _acquire(lock: Path, target: Path, hint: str) -> None:
    with _GUARD:
        if lock in _HELD:
            _HELD[lock][1] += 1
            return
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise DataError(
                str(target), f"cannot create its lock file {lock.name} ({exc.strerror or exc})"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _holder(fd)
            os.close(fd)
            raise BusyError(str(target), holder, hint) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, _describe_self(), 0)
        _HELD[lock] = [fd, 1]


def _release(lock: Path) -> None:
    with _GUARD:
        entry = _HELD.get(lock)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            del _HELD[lock]
            fcntl.flock(entry[0], fcntl.LOCK_UN)
            os.close(entry[0])


@contextlib.contextmanager
def _hold(lock: Path, target: Path, hint: str) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    _acquire(lock, target, hint)
    try:
        yield
    finally:
        _release(lock)


def hold_folder(
    folder: str | os.PathLike[str], hint: str = "wait for it to finish, or use another --out"
) -> contextlib.AbstractContextManager[None]:
    """Create ``folder`` if needed and hold its lock while the ``with`` block runs.

    Raises
    ------
    BusyError
        Another process holds the folder (the message names it, the holder
        and ``hint``).
    DataError
        ``folder`` is a file, or it or its lock file cannot be created.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise DataError(str(folder), "is a file; give a folder for the outputs")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(str(folder), f"cannot create the folder ({exc.strerror or exc})") from None
    return _hold(lock_path(folder, folder=True), folder, hint)


def hold_file(
    path: str | os.PathLike[str],
    hint: str = "wait for it to finish, or point this command at another file",
) -> contextlib.AbstractContextManager[None]:
    """Hold the lock of the file ``path`` (its ``NAME.lock`` sibling) while the block runs.

    The folder of ``path`` must exist.

    Raises
    ------
    BusyError
        Another process holds the file.
    DataError
        The lock file cannot be created.
    """
    path = Path(path)
    return _hold(lock_path(path, folder=False), path, hint)
