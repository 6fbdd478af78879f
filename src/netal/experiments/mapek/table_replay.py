"""A user's own table replayed as a closed-loop stream (``netal mapek run --data ...``).

The replay rules (clock, no look-ahead encoding, change points) are those of
:mod:`netal.experiments.mapek.replays`; only the order and the sessions come
from the table's own columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from netal.data import Dataset
from netal.errors import InvalidInputError
from netal.experiments.mapek.replays import REFERENCE_SHARE, _check_options, _Ordered, _stream
from netal.mapek import NetworkStream


def table_replay(
    dataset: Dataset,
    *,
    max_rows: int | None = None,
    change_on: Sequence[str] = (),
    step_s: float = 1.0,
    gap_s: float = 10.0,
    reference_share: float = REFERENCE_SHARE,
) -> NetworkStream:
    """A user's own table (:mod:`netal.data.table`) replayed as a closed-loop stream.

    Order
        Sessions (the table's ``group`` column, else its file column when it
        has several files, else one session) one after another by their first
        time, rows by ``time`` within a session (stable); without a time
        column, file order.
    Clock
        :func:`replay_clock`: ``step_s`` between rows, ``gap_s`` more between
        sessions.
    Target, features
        The table's target, its numeric features (missing values imputed by
        the medians of the first ``reference_share`` of the stream, with
        indicators) and its one-hot categoricals.
    Changes
        Where one of the ``change_on`` columns (e.g. a mode, a cell id, a
        direction) differs from the previous row; none without ``change_on``
        (detection is then not scored; error over time still is).

    Parameters
    ----------
    dataset
        The table, as :func:`netal.data.load_dataset` (``"csv"``) returns it.
    max_rows
        Keep the first ``max_rows`` rows in replay order.
    change_on
        Columns whose change is a change point.
    step_s, gap_s
        Replay clock.
    reference_share
        Share of the stream whose medians impute missing values.
    """
    _check_options(max_rows, reference_share, step_s, gap_s)
    frame = dataset.frame
    missing = [c for c in change_on if c not in frame.columns]
    if missing:
        raise InvalidInputError("change_on", f"names no column of {dataset.name!r}: {missing}")
    session = _table_sessions(dataset)
    order = np.arange(len(frame))
    recorded = pd.Series(np.arange(len(frame)), index=frame.index)
    if dataset.time is not None:
        times = frame[dataset.time]
        if times.isna().any():
            raise InvalidInputError("time", f"{dataset.name!r} has rows without a time")
        starts = times.groupby(session.to_numpy(), sort=False).transform("min")
        order = np.lexsort((order, times.to_numpy(), starts.to_numpy()))
        recorded = times
    frame = frame.iloc[order].reset_index(drop=True)
    ordered = _Ordered(
        dataset=replace(dataset, frame=frame),
        session=session.iloc[order].reset_index(drop=True),
        recorded=recorded.iloc[order].reset_index(drop=True),
        context=tuple(change_on),
        step_s=step_s,
        gap_s=gap_s,
    )
    return _stream(dataset.name, ordered, max_rows, reference_share)


def _table_sessions(dataset: Dataset) -> pd.Series:
    """Session key of each row of a user table: its group, else its file, else one session."""
    frame = dataset.frame
    for column in (dataset.group, "source_file"):
        if column is not None and column in frame.columns:
            return frame[column].astype("string").fillna("<NA>")
    return pd.Series(["all"] * len(frame), index=frame.index, dtype="string")
