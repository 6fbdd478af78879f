"""What crosses the client boundary: bytes of the serialized Flower messages, their audit, compression.

:class:`MeteredGrid` wraps the Flower ``Grid`` a ServerApp is handed: every
message it sends and every reply it receives is serialized with Flower's own
protobuf serde (``flwr.common.serde.message_to_proto``), the bytes are added to
the round's count (down: server to clients, up: clients to server), and the
reply's content is audited (:func:`audit_content`: which record types, array
shapes and metric names reached the server).

Compression of updates (:func:`quantize_update` / :func:`dequantize_update`):
8-bit linear quantization of the update ``w_client - w_global`` per array
(one float32 offset and step per array, all codes in one ``uint8`` array), as in QSGD-style schemes (Alistarh et
al., "QSGD: Communication-Efficient SGD via Gradient Quantization and Encoding",
NeurIPS 2017); the server dequantizes before Flower's FedAvg averages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
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


def quantize_update(update: list[np.ndarray]) -> list[np.ndarray]:
    """8-bit quantization of an update: ``[codes, scales]``.

    ``codes`` holds every array's values as ``uint8``, flattened one after another
    (one array, so the message carries one array header instead of one per layer);
    ``scales`` is ``(n_arrays, 2)`` float32, each array's ``(low, step)``.
    """
    codes, scales = [], []
    for array in update:
        a = np.asarray(array, dtype=np.float32).ravel()
        low, high = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
        step = (high - low) / 255.0 if high > low else 1.0
        codes.append(np.clip(np.rint((a - low) / step), 0, 255).astype(np.uint8))
        scales.append((low, step))
    return [np.concatenate(codes), np.asarray(scales, dtype=np.float32).reshape(-1, 2)]


def dequantize_update(coded: list[np.ndarray], shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    """Inverse of :func:`quantize_update` for arrays of ``shapes`` (error at most half a step)."""
    if len(coded) != 2 or len(coded[1]) != len(shapes):
        raise ValueError(f"a quantized update of {len(shapes)} arrays is [codes, scales]")
    codes, scales = coded
    sizes = [int(np.prod(shape)) for shape in shapes]
    if len(codes) != sum(sizes):
        raise ValueError(f"{len(codes)} codes for arrays of {sum(sizes)} values")
    out, start = [], 0
    for shape, size, (low, step) in zip(shapes, sizes, scales, strict=True):
        values = codes[start : start + size].astype(np.float32) * step + low
        out.append(values.reshape(shape))
        start += size
    return out
