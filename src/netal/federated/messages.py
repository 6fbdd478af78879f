"""What crosses the client boundary: bytes of the serialized Flower messages, their audit, compression.

:class:`MeteredGrid` wraps the Flower ``Grid`` a ServerApp is handed: every
message it sends and every reply it receives is serialized with Flower's own
protobuf serde (``flwr.common.serde.message_to_proto``), the bytes are added to
the round's count (down: server to clients, up: clients to server), and the
reply's content is audited (:func:`audit_content`: which record types, array
shapes and metric names reached the server).  Compression is
:mod:`netal.federated.compression`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flwr.common import ArrayRecord, ConfigRecord, Message, MetricRecord
from flwr.common.serde import message_to_proto
from flwr.server import Grid


def message_bytes(message: Message) -> int:
    """Size of ``message`` serialized as Flower sends it (its protobuf ``Message``)."""
    return len(message_to_proto(message).SerializeToString())


def audit_content(message: Message) -> dict[str, Any]:
    """What a reply carries, by kind: array shapes per ArrayRecord, metric names, other records.

    Returns ``{"arrays": {record: [shapes]}, "metrics": {record: {name: type}},
    "configs": [record names], "error": bool}``.
    """
    audit: dict[str, Any] = {"arrays": {}, "metrics": {}, "configs": [], "error": False}
    if message.has_error():
        audit["error"] = True
        return audit
    for name, record in message.content.items():
        if isinstance(record, ArrayRecord):
            audit["arrays"][name] = [tuple(a.shape) for a in record.values()]
        elif isinstance(record, MetricRecord):
            audit["metrics"][name] = {k: type(v).__name__ for k, v in record.items()}
        elif isinstance(record, ConfigRecord):
            audit["configs"].append(name)
    return audit


@dataclass
class Traffic:
    """Bytes per round and the audit of every reply, filled by :class:`MeteredGrid`."""

    down: dict[int, int] = field(default_factory=dict)
    up: dict[int, int] = field(default_factory=dict)
    replies: list[dict[str, Any]] = field(default_factory=list)
    round: int = 0


class MeteredGrid(Grid):
    """A Flower ``Grid`` that counts the serialized bytes of what it sends and receives.

    Parameters
    ----------
    grid
        The Grid the ServerApp was given.
    traffic
        Where the counts and audits go; ``traffic.round`` is set by the caller.
    """

    def __init__(self, grid: Grid, traffic: Traffic) -> None:
        self._grid = grid
        self.traffic = traffic

    def set_run(self, run: Any) -> None:
        self._grid.set_run(run)

    @property
    def run(self) -> Any:
        return self._grid.run

    def create_message(self, *args: Any, **kwargs: Any) -> Message:
        return self._grid.create_message(*args, **kwargs)

    def get_node_ids(self) -> Iterable[int]:
        return self._grid.get_node_ids()

    def push_messages(self, messages: Iterable[Message]) -> Iterable[str]:
        messages = list(messages)
        self._count(self.traffic.down, messages)
        return self._grid.push_messages(messages)

    def pull_messages(self, message_ids: Iterable[str]) -> Iterable[Message]:
        replies = list(self._grid.pull_messages(message_ids))
        self._receive(replies)
        return replies

    def send_and_receive(
        self, messages: Iterable[Message], *, timeout: float | None = None
    ) -> Iterable[Message]:
        """Send, wait for the replies, count both ways and audit the replies."""
        messages = list(messages)
        self._count(self.traffic.down, messages)
        replies = list(self._grid.send_and_receive(messages, timeout=timeout))
        self._receive(replies)
        return replies

    def _receive(self, replies: list[Message]) -> None:
        self._count(self.traffic.up, replies)
        self.traffic.replies.extend(audit_content(r) for r in replies)

    def _count(self, where: dict[int, int], messages: list[Message]) -> None:
        r = self.traffic.round
        where[r] = where.get(r, 0) + sum(message_bytes(m) for m in messages)
