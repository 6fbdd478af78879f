"""Named transfer tasks (source domain -> target domain) and their leakage-free split.

A task (:data:`TRANSFER_TASKS`, by name) reads two :class:`~netal.transfer.domains.Domain`
objects; :func:`load_task` splits them for one seed into

* the **source** training rows and a source validation part (early stopping of
  the pretraining), split by group;
* the target **pool** (the rows an active learner may ask labels for) and the
  target **test** rows, split by group: a run, session or block is in the pool
  or in the test set, never both.

No target test row is ever in the source, the source validation part or the
pool, and every statistic of the input encoding (medians that fill missing
values) comes from the source training rows only: the pretrained model's
inputs are fixed before the target is seen.  :meth:`TransferData.check_leakage`
asserts it, and the tests run it for every task.

Registered tasks
----------------
=========================  ===================================================================
``twin-walking-driving``   the twin's walking runs -> its driving runs (same loop, same seed)
``twin-scenario``          the default twin scenario -> :func:`~netal.transfer.domains.shifted_scenario`
``ucc5g-static-driving``   ucc5g Static sessions -> Driving sessions (all apps)
``ucc5g-download-netflix`` ucc5g Download sessions -> Netflix sessions (static and driving)
``umn-combined-s20``       umn-mmwave ``mn-vz-hb_combined.csv`` -> ``s20_verizon_nsahigh_all.csv``
=========================  ===================================================================

References
----------
Pan and Yang, "A Survey on Transfer Learning", IEEE TKDE 2010 (source and
target domains); the seed paper "Active ML for 6G", section VII.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from netal._validation import check_positive_int
from netal.data import DATASETS, resolve_data_dir
from netal.errors import InvalidInputError
from netal.registry import Registry
from netal.transfer.domains import (
    Domain,
    twin_mobility_domains,
    twin_scenario_domains,
    ucc5g_domains,
    umn_domain,
)

DomainPair = tuple[Domain, Domain]


@dataclass(frozen=True)
class TransferTask:
    """A named task: how to read its two domains.

    Attributes
    ----------
    name, description
        Registry name and one line on the shift.
    read
        ``read(seed, rows, data_dir) -> (source, target)``; ``rows`` sizes the
        twin's data sets (real data ignore it).
    files
        The real datasets it reads, as ``(dataset, loader options)`` pairs
        (empty for the twin): :func:`check_task_data` locates them before any work.
    """

    name: str
    description: str
    read: Callable[[int, int, str | None], DomainPair]
    files: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    @property
    def real(self) -> bool:
        """Whether the task reads real measurements."""
        return bool(self.files)


TRANSFER_TASKS: Registry[TransferTask] = Registry("transfer task")
"""Transfer tasks by name; ``TRANSFER_TASKS.create(name)`` returns a :class:`TransferTask`."""


def _register(
    name: str, description: str, *files: tuple[str, tuple[tuple[str, str], ...]]
) -> Callable[..., Any]:
    def wrap(read: Callable[[int, int, str | None], DomainPair]) -> Callable[..., Any]:
        task = TransferTask(name, description, read, tuple(files))
        TRANSFER_TASKS.register(name)(lambda: task)
        return read

    return wrap


@_register("twin-walking-driving", "twin: walking runs -> driving runs of the same loop")
def _walking_driving(seed: int, rows: int, data_dir: str | None) -> DomainPair:
    return twin_mobility_domains(rows, seed)


@_register(
    "twin-scenario",
    "twin: default scenario -> another site (other world seed, tower 3 off air, 2x blockers)",
)
def _scenario(seed: int, rows: int, data_dir: str | None) -> DomainPair:
    return twin_scenario_domains(rows, seed)


_UCC5G = ("ucc5g", ())
_UMN_COMBINED = ("umn-mmwave", (("file", "combined"),))
_UMN_S20 = ("umn-mmwave", (("file", "s20"),))


@_register("ucc5g-static-driving", "ucc5g: static sessions -> driving sessions", _UCC5G)
def _static_driving(seed: int, rows: int, data_dir: str | None) -> DomainPair:
    return ucc5g_domains(data_dir, "mobility", "Static", "Driving")


@_register("ucc5g-download-netflix", "ucc5g: Download sessions -> Netflix sessions", _UCC5G)
def _download_netflix(seed: int, rows: int, data_dir: str | None) -> DomainPair:
    return ucc5g_domains(data_dir, "app", "Download", "Netflix")


@_register(
    "umn-combined-s20",
    "umn-mmwave: mn-vz-hb_combined.csv -> s20 downlink tests",
    _UMN_COMBINED,
    _UMN_S20,
)
def _umn(seed: int, rows: int, data_dir: str | None) -> DomainPair:
    return umn_domain(data_dir, "combined"), umn_domain(data_dir, "s20")


def task_names() -> list[str]:
    """Names of the registered tasks, sorted."""
    return list(TRANSFER_TASKS)


def check_task_data(name: str, data_dir: str | None = None) -> None:
    """Raise (one line) unless task ``name`` exists and its real data files are found; reads none.

    Raises
    ------
    UnknownNameError
        ``name`` is not a registered task.
    DataError
        A file the task reads is missing (the message names it).
    """
    task = TRANSFER_TASKS.create(name)
    for dataset, options in task.files:
        DATASETS.create(dataset).locate(resolve_data_dir(data_dir), **dict(options))


# ------------------------------------------------------------------------------ the split


@dataclass(frozen=True)
class TransferData:
    """One seed's arrays of a task (features encoded, ids and groups kept for checks).

    ``X_*`` are float64 ``(n, d)`` in the column order of ``feature_names``;
    ``*_ids`` and ``*_groups`` are the rows' ids and groups (strings).
    """

    task: str
    X_source: np.ndarray
    y_source: np.ndarray
    X_source_val: np.ndarray
    y_source_val: np.ndarray
    X_pool: np.ndarray
    y_pool: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: tuple[str, ...]
    source_ids: np.ndarray
    source_val_ids: np.ndarray
    pool_ids: np.ndarray
    test_ids: np.ndarray
    source_groups: np.ndarray
    pool_groups: np.ndarray
    test_groups: np.ndarray
    unit: str
    source_name: str
    target_name: str

    def check_leakage(self) -> None:
        """Raise :class:`~netal.errors.InvalidInputError` if a target test row or group leaks.

        A test row must not be a source, source-validation or pool row, and no
        test group (run, session, block) may have rows in the pool or source.
        """
        test = set(self.test_ids)
        for name, ids in (
            ("source", self.source_ids),
            ("source validation", self.source_val_ids),
            ("pool", self.pool_ids),
        ):
            shared = test.intersection(ids)
            if shared:
                raise InvalidInputError(
                    "task", f"{self.task}: {len(shared)} target test row(s) in the {name}"
                )
        groups = set(self.test_groups)
        for name, other in (("pool", self.pool_groups), ("source", self.source_groups)):
            shared = groups.intersection(other)
            if shared:
                raise InvalidInputError(
                    "task", f"{self.task}: test group(s) {sorted(shared)[:3]} also in the {name}"
                )

    def describe(self) -> dict[str, Any]:
        """Sizes and names, for ``summary.json``."""
        return {
            "task": self.task,
            "source": self.source_name,
            "target": self.target_name,
            "unit": self.unit,
            "source_rows": len(self.y_source),
            "source_val_rows": len(self.y_source_val),
            "pool_rows": len(self.y_pool),
            "test_rows": len(self.y_test),
            "features": list(self.feature_names),
        }


def _group_split(
    domain: Domain, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the groups not held out, and of a random ``fraction`` of the groups (at least one)."""
    groups = domain.groups
    names = np.unique(groups)
    if len(names) < 2:
        raise InvalidInputError(
            "twin_rows",
            f"{domain.name} has {len(names)} run/session/block(s); at least 2 are needed to "
            "split it (generate more twin rows)",
        )
    n_held = min(len(names) - 1, max(1, round(fraction * len(names))))
    held = rng.choice(names, size=n_held, replace=False)
    mask = np.isin(groups, held)
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def _cap(rows: np.ndarray, cap: int, rng: np.random.Generator) -> np.ndarray:
    return rows if len(rows) <= cap else np.sort(rng.choice(rows, size=cap, replace=False))


def _encoder(source: Domain, fit: np.ndarray) -> Callable[[Domain], tuple[np.ndarray, list[str]]]:
    """Encoding fitted on the source training rows ``fit`` only.

    Numeric columns: NaN -> the source-train median, plus a 0/1 flag for each
    column with missing values there; categoricals: one-hot on the source-train
    categories (a category only the target has is all zeros).
    """
    numeric = list(source.numeric)
    train = source.frame.iloc[fit][numeric].apply(pd.to_numeric, errors="coerce")
    medians = train.median().fillna(0.0)
    flagged = [c for c in numeric if train[c].isna().any()]
    categories = {
        c: sorted(source.frame.iloc[fit][c].astype("string").fillna("<NA>").unique())
        for c in source.categorical
    }

    def encode(domain: Domain) -> tuple[np.ndarray, list[str]]:
        values = domain.frame[numeric].apply(pd.to_numeric, errors="coerce").astype("float64")
        parts = [values.fillna(medians).to_numpy(), values[flagged].isna().to_numpy(np.float64)]
        names = numeric + [f"{c}__missing" for c in flagged]
        for column, known in categories.items():
            text = domain.frame[column].astype("string").fillna("<NA>").to_numpy()
            parts.append(np.stack([text == k for k in known], axis=1).astype(np.float64))
            names += [f"{column}={k}" for k in known]
        return np.hstack(parts), names

    return encode


def split_task(
    task: str,
    source: Domain,
    target: Domain,
    seed: int,
    *,
    max_source: int = 4000,
    max_pool: int = 2000,
    max_test: int = 1000,
    test_fraction: float = 0.3,
    source_val_fraction: float = 0.15,
) -> TransferData:
    """Split and encode a task's domains for ``seed`` (see the module docstring)."""
    rng = np.random.default_rng([seed, 0x7A5])
    src_train, src_val = _group_split(source, source_val_fraction, rng)
    pool, test = _group_split(target, test_fraction, rng)
    src_train = _cap(src_train, max_source, rng)
    src_val = _cap(src_val, max(1, max_source // 4), rng)
    pool = _cap(pool, max_pool, rng)
    test = _cap(test, max_test, rng)
    encode = _encoder(source, src_train)
    X_src, names = encode(source.take(src_train))
    X_val, _ = encode(source.take(src_val))
    X_target, _ = encode(target)
    return TransferData(
        task=task,
        X_source=X_src,
        y_source=source.y[src_train],
        X_source_val=X_val,
        y_source_val=source.y[src_val],
        X_pool=X_target[pool],
        y_pool=target.y[pool],
        X_test=X_target[test],
        y_test=target.y[test],
        feature_names=tuple(names),
        source_ids=source.ids[src_train],
        source_val_ids=source.ids[src_val],
        pool_ids=target.ids[pool],
        test_ids=target.ids[test],
        source_groups=source.groups[np.concatenate([src_train, src_val])],
        pool_groups=target.groups[pool],
        test_groups=target.groups[test],
        unit=target.unit,
        source_name=source.name,
        target_name=target.name,
    )


def load_task(
    name: str,
    seed: int,
    *,
    data_dir: str | None = None,
    twin_rows: int = 12_000,
    **caps: Any,
) -> TransferData:
    """The arrays of task ``name`` for ``seed``, split and encoded without leakage.

    Parameters
    ----------
    name
        A name of :data:`TRANSFER_TASKS`.
    seed
        Seed of the twin's runs, the group splits and the subsamples.
    data_dir
        Directory of the real datasets (default ``$NETAL_DATA_DIR``).
    twin_rows
        Rows generated per twin data set.
    **caps
        ``max_source``, ``max_pool``, ``max_test``, ``test_fraction``,
        ``source_val_fraction`` of :func:`split_task`.

    Raises
    ------
    UnknownNameError
        ``name`` is not a registered task.
    DataError
        A real dataset's file is missing.
    """
    task = TRANSFER_TASKS.create(name)
    check_positive_int(twin_rows, "twin_rows", minimum=100)
    source, target = task.read(int(seed), int(twin_rows), data_dir)
    data = split_task(name, source, target, int(seed), **caps)
    data.check_leakage()
    return data
