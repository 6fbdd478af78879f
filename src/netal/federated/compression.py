"""Compression of what crosses the client boundary, both ways.

Uplink (client to server), :data:`UPLINK_CODECS`:

``none``
    the client's new parameter arrays, float32.
``int8``
    the update ``w_client - w_global`` quantized to 8 bits per array (one
    float32 offset and step per array, all codes in one ``uint8`` array), as in
    QSGD-style schemes (Alistarh et al., "QSGD: Communication-Efficient SGD via
    Gradient Quantization and Encoding", NeurIPS 2017).
``int8z``
    ``int8`` with the codes deflated (zlib, lossless): a quantized update is
    mostly codes near its zero point, which an entropy coder stores in fewer
    than 8 bits each; QSGD pairs its quantizer with Elias coding for the same
    reason.  Same model, same error as ``int8``, fewer bytes.
``topk``
    top-k sparsification with error feedback (Stich, Cordonnier, Jaggi,
    "Sparsified SGD with Memory", NeurIPS 2018; Sattler et al., "Robust and
    Communication-Efficient Federated Learning From Non-i.i.d. Data", IEEE TNNLS
    2019): the client adds the residual it kept from earlier rounds to its
    update, sends the ``fraction`` of entries largest in magnitude (their
    positions as ``uint16``/``uint32`` and their values quantized to 8 bits) and
    keeps what it did not send (including the quantization error) for the next
    round, in its own state.

Downlink (server to clients), :data:`DOWNLINK_CODECS`:

``none``
    the global model, float32, every round.
``int8``
    every round the change from the model the clients already hold (zeros
    before the first), quantized to 8 bits; the server tracks that held model,
    and keeps its own full-precision model, so the quantization error of one
    round is sent in the next (error feedback).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from typing import Protocol

import numpy as np

from netal.errors import InvalidInputError
from netal.registry import Registry

Arrays = list[np.ndarray]


def quantize_update(update: Arrays) -> Arrays:
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


def dequantize_update(coded: Arrays, shapes: list[tuple[int, ...]]) -> Arrays:
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


def deflate_codes(coded: Arrays) -> Arrays:
    """``[codes, scales]`` with ``codes`` deflated (zlib level 9) into a ``uint8`` array."""
    codes, scales = coded
    packed = zlib.compress(np.ascontiguousarray(codes, dtype=np.uint8).tobytes(), 9)
    return [np.frombuffer(packed, dtype=np.uint8), scales]


def inflate_codes(packed: Arrays, shapes: list[tuple[int, ...]]) -> Arrays:
    """Inverse of :func:`deflate_codes` for arrays of ``shapes``; never inflates past their size.

    Raises ``ValueError`` for a payload that is not ``[deflated codes, scales]``
    of exactly that many codes (a damaged or oversized message).
    """
    if len(packed) != 2:
        raise ValueError("a deflated update is [codes, scales]")
    expected = sum(int(np.prod(shape)) for shape in shapes)
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(np.asarray(packed[0], dtype=np.uint8).tobytes(), expected)
    except zlib.error as exc:
        raise ValueError(f"deflated codes do not inflate: {exc}") from None
    if len(raw) != expected or not inflater.eof or inflater.unconsumed_tail:
        raise ValueError(f"deflated codes do not hold exactly {expected} values")
    return [np.frombuffer(raw, dtype=np.uint8), packed[1]]


def _difference(new: Arrays, base: Arrays) -> Arrays:
    return [
        np.asarray(n, dtype=np.float32) - np.asarray(b, dtype=np.float32)
        for n, b in zip(new, base, strict=True)
    ]


def _add(base: Arrays, update: Arrays) -> Arrays:
    return [np.asarray(b, dtype=np.float32) + u for b, u in zip(base, update, strict=True)]


class UplinkCodec(Protocol):
    """How a client's new weights travel to the server."""

    def encode(self, new: Arrays, base: Arrays, memory: dict[str, np.ndarray]) -> Arrays:
        """The payload of ``new`` (trained from the global ``base``); may update ``memory``."""
        ...

    def decode(self, payload: Arrays, base: Arrays) -> Arrays:
        """The client's new weights as the server sees them."""
        ...


class PlainWeights:
    """Uplink ``none``: the new weights as they are."""

    def __init__(self, fraction: float = 1.0) -> None:
        self.fraction = fraction

    def encode(self, new: Arrays, base: Arrays, memory: dict[str, np.ndarray]) -> Arrays:
        """``new``."""
        return [np.asarray(a, dtype=np.float32) for a in new]

    def decode(self, payload: Arrays, base: Arrays) -> Arrays:
        """``payload``."""
        return list(payload)


class Int8Update:
    """Uplink ``int8``: the update quantized to 8 bits (:func:`quantize_update`)."""

    def __init__(self, fraction: float = 1.0) -> None:
        self.fraction = fraction

    def encode(self, new: Arrays, base: Arrays, memory: dict[str, np.ndarray]) -> Arrays:
        """``[codes, scales]`` of ``new - base``."""
        return quantize_update(_difference(new, base))

    def decode(self, payload: Arrays, base: Arrays) -> Arrays:
        """``base`` plus the dequantized update."""
        return _add(base, dequantize_update(payload, [np.shape(b) for b in base]))


class DeflatedInt8Update:
    """Uplink ``int8z``: :class:`Int8Update` with its codes deflated (lossless)."""

    def __init__(self, fraction: float = 1.0) -> None:
        self.fraction = fraction

    def encode(self, new: Arrays, base: Arrays, memory: dict[str, np.ndarray]) -> Arrays:
        """``[deflated codes, scales]`` of ``new - base``."""
        return deflate_codes(quantize_update(_difference(new, base)))

    def decode(self, payload: Arrays, base: Arrays) -> Arrays:
        """``base`` plus the inflated, dequantized update."""
        shapes = [np.shape(b) for b in base]
        return _add(base, dequantize_update(inflate_codes(payload, shapes), shapes))


class TopKUpdate:
    """Uplink ``topk``: the largest ``fraction`` of the update (plus residual), 8-bit values.

    Parameters
    ----------
    fraction
        Share of the parameters sent per round, in (0, 1].
    """

    def __init__(self, fraction: float = 0.1) -> None:
        if not 0.0 < fraction <= 1.0:
            raise InvalidInputError("topk_fraction", f"must be in (0, 1], got {fraction}")
        self.fraction = fraction

    def encode(self, new: Arrays, base: Arrays, memory: dict[str, np.ndarray]) -> Arrays:
        """``[positions, codes, scales]``; the part not sent stays in ``memory["residual"]``."""
        flat = np.concatenate([d.ravel() for d in _difference(new, base)])
        residual = memory.get("residual")
        if residual is not None and residual.shape == flat.shape:
            flat = flat + residual
        k = max(1, math.ceil(self.fraction * flat.size))
        positions = np.sort(np.argpartition(-np.abs(flat), k - 1)[:k])
        codes, scales = quantize_update([flat[positions]])
        sent = dequantize_update([codes, scales], [(k,)])[0]
        rest = flat.copy()
        rest[positions] -= sent
        memory["residual"] = rest.astype(np.float32)
        index = np.uint16 if flat.size <= np.iinfo(np.uint16).max + 1 else np.uint32
        return [positions.astype(index), codes, scales]

    def decode(self, payload: Arrays, base: Arrays) -> Arrays:
        """``base`` plus the sparse update."""
        positions, codes, scales = payload
        sizes = [int(np.prod(np.shape(b))) for b in base]
        flat = np.zeros(sum(sizes), dtype=np.float32)
        flat[positions.astype(np.int64)] = dequantize_update([codes, scales], [(len(codes),)])[0]
        parts = np.split(flat, np.cumsum(sizes)[:-1])
        return _add(base, [p.reshape(np.shape(b)) for p, b in zip(parts, base, strict=True)])


UPLINK_CODECS: Registry[UplinkCodec] = Registry("uplink compression")
"""Uplink codecs by name, each ``factory(fraction) -> codec``."""
UPLINK_CODECS.register("none")(PlainWeights)
UPLINK_CODECS.register("int8")(Int8Update)
UPLINK_CODECS.register("int8z")(DeflatedInt8Update)
UPLINK_CODECS.register("topk")(TopKUpdate)


# ----------------------------------------------------------------------------------- downlink

FULL = "full"
"""Downlink encoding: the global model in float32."""
INT8_DELTA = "int8-delta"
"""Downlink encoding: 8-bit change from the model the client holds."""
INT8Z_DELTA = "int8z-delta"
"""Downlink encoding: 8-bit change from the model the client holds, codes deflated."""


def _int8_delta(payload: Arrays, held: Arrays | None) -> Arrays:
    if held is None:
        raise InvalidInputError("encoding", "a delta arrived but the client holds no model")
    return _add(held, dequantize_update(payload, [np.shape(h) for h in held]))


def _int8z_delta(payload: Arrays, held: Arrays | None) -> Arrays:
    if held is None:
        raise InvalidInputError("encoding", "a delta arrived but the client holds no model")
    return _int8_delta(inflate_codes(payload, [np.shape(h) for h in held]), held)


_DECODERS: dict[str, Callable[[Arrays, Arrays | None], Arrays]] = {
    FULL: lambda payload, held: [np.asarray(a, dtype=np.float32) for a in payload],
    INT8_DELTA: lambda payload, held: _int8_delta(payload, held),
    INT8Z_DELTA: lambda payload, held: _int8z_delta(payload, held),
}


def decode_downlink(payload: Arrays, encoding: str, held: Arrays | None) -> Arrays:
    """The global model a client holds after receiving ``payload`` (client side).

    Parameters
    ----------
    payload
        The arrays of the server's message.
    encoding
        :data:`FULL`, :data:`INT8_DELTA` or :data:`INT8Z_DELTA` (the message's
        ``encoding`` config).
    held
        The global model the client held before (needed for a delta).
    """
    if encoding not in _DECODERS:
        raise InvalidInputError("encoding", f"unknown downlink encoding {encoding!r}")
    return _DECODERS[encoding](payload, held)


class DownlinkCodec(Protocol):
    """How the global model travels to the clients (server side)."""

    def encode(self, model: Arrays, held: Arrays | None) -> tuple[Arrays, str, Arrays]:
        """``(payload, encoding, what the clients hold after decoding it)``."""
        ...


class FullModel:
    """Downlink ``none``: the global model in float32 every round."""

    def encode(self, model: Arrays, held: Arrays | None) -> tuple[Arrays, str, Arrays]:
        """The model itself."""
        arrays = [np.asarray(a, dtype=np.float32) for a in model]
        return arrays, FULL, arrays


class Int8Delta:
    """Downlink ``int8``: 8-bit changes from the held model (zeros before the first round)."""

    def encode(self, model: Arrays, held: Arrays | None) -> tuple[Arrays, str, Arrays]:
        """``quantize_update(model - held)``, and what the clients hold after decoding it."""
        if held is None:
            held = [np.zeros(np.shape(a), dtype=np.float32) for a in model]
        payload = quantize_update(_difference(model, held))
        return payload, INT8_DELTA, decode_downlink(payload, INT8_DELTA, held)


class DeflatedInt8Delta:
    """Downlink ``int8z``: :class:`Int8Delta` with its codes deflated (lossless)."""

    def encode(self, model: Arrays, held: Arrays | None) -> tuple[Arrays, str, Arrays]:
        """Deflated ``quantize_update(model - held)``, and what the clients hold after decoding it."""
        payload, _, holds = Int8Delta().encode(model, held)
        return deflate_codes(payload), INT8Z_DELTA, holds


DOWNLINK_CODECS: Registry[DownlinkCodec] = Registry("downlink compression")
"""Downlink codecs by name, each ``factory() -> codec``."""
DOWNLINK_CODECS.register("none")(FullModel)
DOWNLINK_CODECS.register("int8")(Int8Delta)
DOWNLINK_CODECS.register("int8z")(DeflatedInt8Delta)
