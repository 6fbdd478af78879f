"""The knowledge base (the "K" of MAPE-K): runs, queries, labels, metrics, model versions."""

from netal.loop.knowledge.events import EVENT_COLUMNS, Event
from netal.loop.knowledge.migrate import current_revision, head_revision
from netal.loop.knowledge.store import (
    PENDING_COLUMNS,
    AskedQuery,
    KnowledgeBase,
    QueryLog,
    RunProgress,
    TellRecord,
    canonical_json,
    check_knowledge_base,
)
from netal.loop.knowledge.tables import QUERY_STATUSES

__all__ = [
    "EVENT_COLUMNS",
    "PENDING_COLUMNS",
    "QUERY_STATUSES",
    "AskedQuery",
    "Event",
    "KnowledgeBase",
    "QueryLog",
    "RunProgress",
    "TellRecord",
    "canonical_json",
    "check_knowledge_base",
    "current_revision",
    "head_revision",
]
