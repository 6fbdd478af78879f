"""Events of a closed loop around a run: record them (one transaction per batch), read them back."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from netal.loop.knowledge._values import now
from netal.loop.knowledge.runs import RunStore
from netal.loop.knowledge.tables import EventRecord

EVENT_COLUMNS = ("period", "time_s", "kind", "name", "value", "details")
"""Columns of :meth:`EventLog.events` (``details`` parsed from JSON)."""


@dataclass(frozen=True)
class Event:
    """One event of a closed loop (see :class:`~netal.loop.knowledge.tables.EventRecord`)."""

    period: int
    time_s: float
    kind: str
    name: str
    value: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _plain(value: Any) -> Any:
    """JSON-ready: NumPy scalars as Python numbers, NaN and infinities as None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


class EventLog(RunStore):
    """Records and reads a run's events (a part of the knowledge base)."""

    def record_events(self, run_name: str, events: Iterable[Event]) -> None:
        """Commit ``events`` of run ``run_name`` in one transaction."""
        stamp = now()
        with Session(self.engine) as session:
            run_id = self._run_id(session, run_name)
        rows = [
            {
                "run_id": run_id,
                "period": int(e.period),
                "time_s": float(e.time_s),
                "kind": e.kind,
                "name": e.name,
                "value": None if e.value is None or math.isnan(e.value) else float(e.value),
                "details": json.dumps(_plain(e.details), sort_keys=True, allow_nan=False),
                "created": stamp,
            }
            for e in events
        ]
        if rows:
            with self.engine.begin() as connection:
                connection.execute(insert(EventRecord), rows)

    def events(self, run_name: str, kind: str | None = None) -> pd.DataFrame:
        """The events of run ``run_name`` (optionally of one kind) in the order they were recorded."""
        with Session(self.engine) as session:
            run_id = self._run_id(session, run_name)
            query = select(
                EventRecord.period,
                EventRecord.time_s,
                EventRecord.kind,
                EventRecord.name,
                EventRecord.value,
                EventRecord.details,
            ).where(EventRecord.run_id == run_id)
            if kind is not None:
                query = query.where(EventRecord.kind == kind)
            rows = session.execute(query.order_by(EventRecord.id)).all()
        frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
        frame["details"] = [json.loads(text) for text in frame["details"]]
        frame["value"] = frame["value"].astype(float)
        return frame
