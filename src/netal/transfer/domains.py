"""The domains of the transfer tasks: rows of one network setting, in a common feature space.

A :class:`Domain` is what a task reads from the twin or a real dataset before any
split: the numeric and categorical feature columns both sides of a task share
(under one name), the target, a *group* per row (a run, a session, or a block of
consecutive rows when the data has no run column) and an id per row that is
unique across the two domains of a task.  Splits are made on groups
(:mod:`netal.transfer.tasks`), so rows of one run never end up on two sides.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from netal.data import load_dataset
from netal.errors import DataError
from netal.schemas import LUMOS5G_FEATURES, LUMOS5G_SENTINEL, LUMOS5G_TARGET
from netal.twin import generate, load_scenario
from netal.twin.scenario import Scenario

TWIN_CATEGORICAL: tuple[str, ...] = ("nrStatus", "trajectory_direction")
"""Categorical inputs of the twin domains (``mobility_mode`` is what a task splits on, not an input)."""

UMN_BLOCK_ROWS = 60
"""Rows per group of the umn-mmwave files, which have no run column: one block of consecutive tests."""


@dataclass(frozen=True)
class Domain:
    """One side of a transfer task, before any split.

    Attributes
    ----------
    name
        What the rows are (``"twin walking"``, ``"ucc5g Static"``...).
    frame
        The rows: ``numeric`` and ``categorical`` columns, nothing else needed.
    numeric, categorical
        Input columns, named the same in both domains of a task.
    y
        Target per row (float), in ``unit``.
    groups
        Run, session or block of each row (strings, prefixed with the domain so
        groups of two domains never collide).
    ids
        Row ids, unique across both domains of a task (``"<source>:<row>"``).
    unit
        Unit of the target.
    """

    name: str
    frame: pd.DataFrame
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    y: np.ndarray
    groups: np.ndarray
    ids: np.ndarray
    unit: str

    def __len__(self) -> int:
        return len(self.y)

    def take(self, rows: np.ndarray) -> Domain:
        """The domain restricted to ``rows`` (positions)."""
        return dataclasses.replace(
            self,
            frame=self.frame.iloc[rows].reset_index(drop=True),
            y=self.y[rows],
            groups=self.groups[rows],
            ids=self.ids[rows],
        )


def _domain(
    name: str,
    frame: pd.DataFrame,
    numeric: tuple[str, ...],
    categorical: tuple[str, ...],
    target: str,
    groups: np.ndarray,
    id_prefix: str,
    unit: str,
    rows: np.ndarray | None = None,
) -> Domain:
    rows = np.arange(len(frame)) if rows is None else np.asarray(rows)
    y = pd.to_numeric(frame[target], errors="coerce").to_numpy(dtype=np.float64)
    keep = rows[np.isfinite(y[rows])]
    part = frame.iloc[keep].reset_index(drop=True)
    return Domain(
        name=name,
        frame=part[list(numeric) + list(categorical)],
        numeric=numeric,
        categorical=categorical,
        y=y[keep],
        groups=np.array([f"{id_prefix}:{g}" for g in np.asarray(groups)[keep]], dtype=object),
        ids=np.array([f"{id_prefix}:{r}" for r in keep], dtype=object),
        unit=unit,
    )


# ----------------------------------------------------------------------------------- the twin


def _twin_frame(rows: int, seed: int, scenario: Scenario | None = None) -> pd.DataFrame:
    """Twin rows with the ``lte_rssnr`` sentinel read as missing (it is "unavailable", not a value)."""
    frame = generate(rows, seed=seed, scenario=scenario)
    frame["lte_rssnr"] = (
        frame["lte_rssnr"].astype("float64").mask(frame["lte_rssnr"] == LUMOS5G_SENTINEL)
    )
    return frame


def twin_mobility_domains(rows: int, seed: int) -> tuple[Domain, Domain]:
    """Walking and driving runs of one twin data set (``rows`` rows of the default scenario)."""
    frame = _twin_frame(rows, seed)
    mode = frame["mobility_mode"].to_numpy()
    prefix = f"twin-{seed}"
    parts = []
    for wanted in ("walking", "driving"):
        parts.append(
            _domain(
                f"twin {wanted}",
                frame,
                LUMOS5G_FEATURES,
                TWIN_CATEGORICAL,
                LUMOS5G_TARGET,
                frame["run_num"].to_numpy(),
                prefix,
                "Mbit/s",
                rows=np.flatnonzero(mode == wanted),
            )
        )
    return parts[0], parts[1]


SHIFTED_WORLD_SEED = 7
"""World seed of the shifted twin scenario (another shadow-fading field and light phases)."""

SHIFTED_OFF_AIR_TOWER = 3
"""Tower of the default scenario that is off air in the shifted one (another cell layout)."""

SHIFTED_BLOCKER_FACTOR = 2.0
"""Dynamic blockers per second in the shifted scenario, relative to the default."""


@functools.lru_cache(maxsize=1)
def shifted_scenario() -> Scenario:
    """The default twin scenario moved to another "site": another world, one cell off air, more blockers.

    Built from the packaged default (:func:`netal.twin.load_scenario`): world
    seed :data:`SHIFTED_WORLD_SEED` (shadow fading and traffic-light phases),
    tower :data:`SHIFTED_OFF_AIR_TOWER` removed and the blocker rate multiplied
    by :data:`SHIFTED_BLOCKER_FACTOR`.  Buildings, route and radio model are
    kept, so the inputs mean the same and only the mapping to throughput moves.
    """
    base = load_scenario()
    towers = tuple(t for t in base.towers if int(t.id) != SHIFTED_OFF_AIR_TOWER)
    radio = dict(base.radio)
    radio["blocker_rate_per_s"] = radio["blocker_rate_per_s"] * SHIFTED_BLOCKER_FACTOR
    return dataclasses.replace(
        base,
        name=f"{base.name}-shifted",
        world_seed=SHIFTED_WORLD_SEED,
        towers=towers,
        radio=radio,
    )


def twin_scenario_domains(rows: int, seed: int) -> tuple[Domain, Domain]:
    """All runs of the default scenario (source) and of :func:`shifted_scenario` (target)."""
    out = []
    for tag, scenario, run_seed in (
        ("default", None, seed),
        ("shifted", shifted_scenario(), seed + 1_000_003),
    ):
        frame = _twin_frame(rows, run_seed, scenario)
        out.append(
            _domain(
                f"twin {tag} scenario",
                frame,
                LUMOS5G_FEATURES,
                (*TWIN_CATEGORICAL, "mobility_mode"),
                LUMOS5G_TARGET,
                frame["run_num"].to_numpy(),
                f"twin-{tag}-{run_seed}",
                "Mbit/s",
            )
        )
    return out[0], out[1]


# ------------------------------------------------------------------------------- real data

UCC5G_INPUTS: tuple[str, ...] = (
    "Latitude", "Longitude", "Speed", "RSRP", "RSRQ", "SNR", "CQI", "RSSI", "NRxRSRP", "NRxRSRQ",
)  # fmt: skip
"""Inputs of the ucc5g domains (the loader's features; no cell ids, no PING columns)."""

UCC5G_CATEGORICAL: tuple[str, ...] = ("NetworkMode", "State")
"""Categorical inputs of the ucc5g domains (the column a task splits on is not an input)."""


@functools.lru_cache(maxsize=1)
def _ucc5g(data_dir: str | None) -> pd.DataFrame:
    return load_dataset("ucc5g", data_dir).frame


def ucc5g_domains(
    data_dir: str | None, column: str, source: str, target: str
) -> tuple[Domain, Domain]:
    """Rows of ucc5g whose ``column`` (``mobility`` or ``app``) is ``source``, then ``target``.

    Sessions are the groups; the two sides never share a session (a session
    has one app and one mobility).
    """
    frame = _ucc5g(data_dir)
    values = frame[column].astype(str).to_numpy()
    categorical = tuple(c for c in (*UCC5G_CATEGORICAL, "mobility", "app") if c != column)
    out = []
    for wanted in (source, target):
        rows = np.flatnonzero(values == wanted)
        if rows.size == 0:
            known = ", ".join(sorted(set(values)))
            raise DataError("ucc5g", f"no rows with {column} = {wanted!r}; known: {known}")
        out.append(
            _domain(
                f"ucc5g {column}={wanted}",
                frame,
                UCC5G_INPUTS,
                categorical,
                "DL_bitrate",
                frame["session"].to_numpy(),
                "ucc5g",
                "kbit/s",
                rows=rows,
            )
        )
    return out[0], out[1]


UMN_COMMON: dict[str, dict[str, str]] = {
    "combined": {
        "LTE_RSRP": "lte_rsrp",
        "nr_ssRsrp": "nr_ssRsrp",
        "nr_ssSinr": "nr_ssSinr",
        "nrStatus": "nrStatus",
        "downlink_Mbps": "downlink_mbps",
    },
    "s20": {
        "rsrp": "lte_rsrp",
        "nr_ssRsrp": "nr_ssRsrp",
        "nr_ssSinr": "nr_ssSinr",
        "nrStatus": "nrStatus",
        "Throughput": "downlink_mbps",
    },
}
"""Columns of each umn-mmwave file renamed to the names both share (LTE RSRP, NR RSRP and SINR)."""


def umn_domain(data_dir: str | None, file: str) -> Domain:
    """One umn-mmwave file (downlink tests) in the shared columns; groups are blocks of consecutive rows."""
    dataset = load_dataset("umn-mmwave", data_dir, file=file)
    mapping = UMN_COMMON[file]
    clashing = [c for c in mapping.values() if c in dataset.frame.columns and c not in mapping]
    frame = dataset.frame.drop(columns=clashing).rename(columns=mapping)
    blocks = np.arange(len(frame)) // UMN_BLOCK_ROWS
    return _domain(
        f"umn-mmwave {file}",
        frame,
        ("lte_rsrp", "nr_ssRsrp", "nr_ssSinr"),
        ("nrStatus",),
        "downlink_mbps",
        blocks,
        f"umn-{file}",
        "Mbit/s",
    )


def data_dir_text(data_dir: str | Path | None) -> str | None:
    """``data_dir`` as a string (a cache key), or None."""
    return None if data_dir is None else str(data_dir)
