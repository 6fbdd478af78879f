"""The runs of a knowledge base: open (or resume) a run by name, read its config, finish it.

:class:`RunStore` is also the base of the knowledge base's other parts: it declares
the SQLAlchemy engine and file they share and resolves run names to ids.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from netal.errors import KnowledgeBaseError
from netal.loop.knowledge._values import now
from netal.loop.knowledge.records import canonical_json
from netal.loop.knowledge.tables import RunRecord


def _config_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    keys = sorted(set(old) | set(new))
    return [
        f"{key}: {old.get(key, '<missing>')!r} -> {new.get(key, '<missing>')!r}"
        for key in keys
        if old.get(key) != new.get(key)
    ]


class RunStore:
    """The runs of a knowledge base (a part of :class:`~netal.loop.knowledge.KnowledgeBase`)."""

    engine: Engine
    path: Path | None

    def open_run(self, name: str, config: Mapping[str, Any], seed: int) -> int:
        """Return the id of run ``name``, creating it if new.

        Raises
        ------
        KnowledgeBaseError
            If the run exists with a different configuration or seed.
        """
        text = canonical_json({**config, "seed": int(seed)})
        with Session(self.engine) as session, session.begin():
            run = session.scalars(select(RunRecord).where(RunRecord.name == name)).one_or_none()
            if run is None:
                run = RunRecord(
                    name=name,
                    config=text,
                    seed=int(seed),
                    status="running",
                    stop_reason=None,
                    created=now(),
                    updated=now(),
                )
                session.add(run)
                session.flush()
                return run.id
            if run.config != text:
                changes = _config_differences(json.loads(run.config), json.loads(text))
                raise KnowledgeBaseError(
                    f"run {name!r} in {self.path or ':memory:'} was created with a different "
                    f"configuration ({'; '.join(changes)}); resume it with the original "
                    "configuration or choose another run name"
                )
            return run.id

    def _run_id(self, session: Session, name: str) -> int:
        run_id = session.scalars(select(RunRecord.id).where(RunRecord.name == name)).one_or_none()
        if run_id is None:
            raise KnowledgeBaseError(f"no run named {name!r} in {self.path or ':memory:'}")
        return run_id

    def run_config(self, name: str) -> dict[str, Any]:
        """The stored configuration of run ``name``."""
        with Session(self.engine) as session:
            run_id = self._run_id(session, name)
            return json.loads(session.get_one(RunRecord, run_id).config)

    def finish_run(self, run_id: int, stop_reason: str) -> None:
        """Mark a run finished with the reason it stopped."""
        with Session(self.engine) as session, session.begin():
            run = session.get_one(RunRecord, run_id)
            run.status = "finished"
            run.stop_reason = stop_reason
            run.updated = now()
