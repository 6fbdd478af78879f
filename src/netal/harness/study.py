"""One driver for every study: seeds on any executor, per-seed outputs stored atomically, resume.

A *study* is a frozen, picklable configuration with ``run_seed(seed)``
returning a :class:`SeedOutput` (named tables, e.g. per-iteration records,
queries, routes).  :func:`run_study` runs the seeds a previous, interrupted
call did not finish, on a :mod:`~netal.harness.executors` backend, and writes
each seed's tables to ``<out>/seeds/<seed>/`` the moment the seed finishes:
written to a temporary directory, then renamed into place (atomic on POSIX),
so a process killed at any moment leaves either a complete seed or none.  A
rerun with the same configuration finishes the missing seeds only and returns
the same outputs as an uninterrupted run (a seed's output depends only on the
configuration and the seed).

The configuration's fingerprint (:meth:`Study.fingerprint`, canonical JSON) is
stored in ``<out>/seeds/study.json``; resuming into a directory written with a
different configuration is refused with one line, before any work.
"""

from __future__ import annotations

import json
import numbers
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from netal.atomic import fsync_directory, write_text
from netal.errors import InvalidInputError, KnowledgeBaseError
from netal.harness.executors import Executor, SerialExecutor

SEEDS_DIR = "seeds"
FINGERPRINT_FILE = "study.json"
_TMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class SeedOutput:
    """The tables one seed of a study produced.

    Attributes
    ----------
    seed
        The seed.
    tables
        Table name -> frame (stored as ``<name>.parquet``).  Names are plain
        identifiers; frames must be Parquet-serializable.
    """

    seed: int
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        """One table (an empty frame if the seed produced none of that name)."""
        return self.tables.get(name, pd.DataFrame())


@runtime_checkable
class Study(Protocol):
    """A frozen study configuration that knows how to run one seed."""

    def fingerprint(self) -> dict[str, Any]:
        """JSON-ready configuration; equal fingerprints give equal seed outputs."""
        ...

    def run_seed(self, seed: int) -> SeedOutput:
        """Everything the study computes for ``seed`` (module-level picklable code)."""
        ...


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def concat_tables(outputs: Iterable[SeedOutput], name: str) -> pd.DataFrame:
    """Table ``name`` of every seed, stacked in seed order."""
    frames = [out.table(name) for out in outputs]
    frames = [frame for frame in frames if len(frame.columns)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


class SeedStore:
    """``<directory>/<seed>/<table>.parquet`` plus the study's fingerprint.

    Parameters
    ----------
    directory
        Created if missing.
    fingerprint
        The study's configuration; a directory holding another one is refused.
    """

    def __init__(self, directory: str | os.PathLike[str], fingerprint: Mapping[str, Any]) -> None:
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise InvalidInputError("out", f"{self.directory} exists and is not a directory")
        self.directory.mkdir(parents=True, exist_ok=True)
        self._check_fingerprint(dict(fingerprint))

    def _check_fingerprint(self, fingerprint: dict[str, Any]) -> None:
        path = self.directory / FINGERPRINT_FILE
        text = _canonical(fingerprint)
        if path.exists():
            stored = path.read_text(encoding="utf-8")
            if stored != text:
                old, new = json.loads(stored), json.loads(text)
                changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
                raise KnowledgeBaseError(
                    f"{self.directory.parent}: holds results of a different configuration "
                    f"(changed: {', '.join(changed) or 'format'}); use another --out or remove it"
                )
            return
        write_text(path, text)

    def done(self) -> set[int]:
        """Seeds whose outputs are complete."""
        return {
            int(entry.name)
            for entry in self.directory.iterdir()
            if entry.is_dir() and entry.name.isdigit()
        }

    def write(self, output: SeedOutput) -> None:
        """Store one seed's tables atomically (a temporary directory renamed into place)."""
        target = self.directory / str(int(output.seed))
        if target.exists():
            return
        tmp = self.directory / f"{_TMP_PREFIX}{uuid.uuid4().hex}"
        tmp.mkdir()
        try:
            for name, frame in output.tables.items():
                if not name.isidentifier():
                    raise InvalidInputError("tables", f"table name {name!r} is not an identifier")
                path = tmp / f"{name}.parquet"
                frame.to_parquet(path, index=False)
                with open(path, "rb") as handle:
                    os.fsync(handle.fileno())
            os.replace(tmp, target)
            fsync_directory(self.directory)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    def read(self, seed: int) -> SeedOutput:
        """The stored tables of ``seed``."""
        folder = self.directory / str(int(seed))
        tables = {path.stem: pd.read_parquet(path) for path in sorted(folder.glob("*.parquet"))}
        return SeedOutput(int(seed), tables)

    def clean(self) -> None:
        """Remove temporary directories a killed writer left."""
        for entry in self.directory.glob(f"{_TMP_PREFIX}*"):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _run_seed(item: tuple[Study, int]) -> SeedOutput:
    study, seed = item
    return study.run_seed(seed)


def check_seeds(seeds: Sequence[int]) -> list[int]:
    """Distinct non-negative integer seeds, in the given order."""
    values = []
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise InvalidInputError("seeds", f"must be non-negative integers, got {list(seeds)!r}")
        values.append(int(seed))
    if not values:
        raise InvalidInputError("seeds", "is empty; give at least one seed")
    if len(set(values)) != len(values):
        raise InvalidInputError("seeds", f"contains duplicates: {values}")
    return values


def run_study(
    study: Study,
    seeds: Sequence[int],
    out_dir: str | os.PathLike[str],
    executor: Executor | None = None,
    on_seed: Callable[[int], None] | None = None,
) -> list[SeedOutput]:
    """Run (or resume) ``study`` over ``seeds``; the outputs of every seed, in seed order.

    Parameters
    ----------
    study
        The study (picklable: it travels to worker processes or Dask workers).
    seeds
        Distinct non-negative seeds.
    out_dir
        Output directory; seed outputs go to ``out_dir/seeds``.
    executor
        Backend running the seeds (default: this process).
    on_seed
        Called with each seed once its output is stored (or found stored).
    """
    seeds = check_seeds(seeds)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidInputError("out", f"{out} is a file; give a directory for the outputs")
    store = SeedStore(out / SEEDS_DIR, study.fingerprint())
    store.clean()
    done = store.done()
    for seed in seeds:
        if seed in done and on_seed is not None:
            on_seed(seed)
    todo = [(study, seed) for seed in seeds if seed not in done]
    if todo:
        pool = executor if executor is not None else SerialExecutor()
        for (_, seed), output in pool.map_unordered(_run_seed, todo):
            store.write(output)
            if on_seed is not None:
                on_seed(seed)
    return [store.read(seed) for seed in seeds]
