"""Compression both ways: top-k with error feedback loses nothing over rounds; the 8-bit downlink tracks the model;
deflating the 8-bit codes is lossless and refuses a damaged or oversized payload."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from flwr.app import ArrayRecord, Message, RecordDict

from netal.federated import DOWNLINK_CODECS, UPLINK_CODECS, FederatedConfig, message_bytes
from netal.federated.compression import (
    FULL,
    INT8_DELTA,
    INT8Z_DELTA,
    decode_downlink,
    inflate_codes,
)


def _model(rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.normal(size=(40, 6)).astype(np.float32), rng.normal(size=40).astype(np.float32)]


def test_topk_sends_a_tenth_and_error_feedback_keeps_the_rest_for_later() -> None:
    rng = np.random.default_rng(0)
    base = _model(rng)
    codec = UPLINK_CODECS["topk"](0.1)
    memory: dict[str, np.ndarray] = {}
    sent_total = np.zeros(280, dtype=np.float64)
    true_total = np.zeros(280, dtype=np.float64)
    for _ in range(5):
        new = [b + rng.normal(scale=0.1, size=b.shape).astype(np.float32) for b in base]
        payload = codec.encode(new, base, memory)
        positions, codes, _ = payload
        assert positions.dtype == np.uint16 and codes.dtype == np.uint8 and len(positions) == 28
        decoded = codec.decode(payload, base)
        sent_total += np.concatenate([(d - b).ravel() for d, b in zip(decoded, base, strict=True)])
        true_total += np.concatenate([(n - b).ravel() for n, b in zip(new, base, strict=True)])
    # what was not sent (nor lost to quantization) is exactly the residual the client keeps
    np.testing.assert_allclose(sent_total + memory["residual"], true_total, atol=1e-5)
    assert np.abs(memory["residual"]).max() > 0


def test_int8_downlink_tracks_the_server_model_and_feeds_back_its_error() -> None:
    rng = np.random.default_rng(1)
    model = _model(rng)
    codec = DOWNLINK_CODECS["int8"]()
    payload, encoding, held = codec.encode(model, None)
    assert encoding == INT8_DELTA and payload[0].dtype == np.uint8  # 8 bits from the first round
    client = decode_downlink(payload, encoding, [np.zeros_like(m) for m in model])
    gaps = []
    for _ in range(3):  # the same server model sent again: the held copy closes in on it
        for c, h in zip(client, held, strict=True):
            np.testing.assert_array_equal(c, h)  # the server knows exactly what clients hold
        gaps.append(max(float(np.abs(m - h).max()) for m, h in zip(model, held, strict=True)))
        payload, encoding, held = codec.encode(model, held)
        client = decode_downlink(payload, encoding, client)
    assert gaps[0] < 0.02 and gaps[-1] < 1e-3 * gaps[0] + 1e-6
    plain, full, _ = DOWNLINK_CODECS["none"]().encode(model, None)
    assert full == FULL and all(np.array_equal(p, m) for p, m in zip(plain, model, strict=True))


def test_compressed_messages_are_smaller_as_serialized_by_flower() -> None:
    weights = FederatedConfig(hidden=(64, 64)).learner(1).build(11).weights()
    rng = np.random.default_rng(2)
    new = [w + rng.normal(scale=0.01, size=w.shape).astype(np.float32) for w in weights]

    def size(arrays: list[np.ndarray]) -> int:
        record = RecordDict({"arrays": ArrayRecord([np.ascontiguousarray(a) for a in arrays])})
        return message_bytes(Message(record, dst_node_id=1, message_type="train"))

    plain = size(UPLINK_CODECS["none"](0.1).encode(new, weights, {}))
    assert plain / size(UPLINK_CODECS["int8"](0.1).encode(new, weights, {})) > 3.5
    assert plain / size(UPLINK_CODECS["topk"](0.1).encode(new, weights, {})) > 8
    int8 = size(UPLINK_CODECS["int8"](0.1).encode(new, weights, {}))
    assert size(UPLINK_CODECS["int8z"](0.1).encode(new, weights, {})) < int8


def _trained_update(rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    weights = FederatedConfig(hidden=(64, 64)).learner(1).build(11).weights()
    # a local round's update: most entries move little, a few move a lot (heavy tails)
    new = [w + 0.01 * rng.standard_t(3, size=w.shape).astype(np.float32) for w in weights]
    return weights, new


def test_deflated_int8_is_lossless_over_int8_both_ways() -> None:
    base, new = _trained_update(np.random.default_rng(3))
    plain_up = UPLINK_CODECS["int8"](1.0).decode(
        UPLINK_CODECS["int8"](1.0).encode(new, base, {}), base
    )
    codec = UPLINK_CODECS["int8z"](1.0)
    payload = codec.encode(new, base, {})
    for got, want in zip(codec.decode(payload, base), plain_up, strict=True):
        np.testing.assert_array_equal(got, want)
    sent, _, held = DOWNLINK_CODECS["int8"]().encode(new, base)
    sent_z, encoding, held_z = DOWNLINK_CODECS["int8z"]().encode(new, base)
    assert encoding == INT8Z_DELTA and sent_z[0].nbytes < sent[0].nbytes
    client = decode_downlink(sent_z, encoding, base)
    for c, h, hz in zip(client, held, held_z, strict=True):
        np.testing.assert_array_equal(c, h)
        np.testing.assert_array_equal(hz, h)


def test_deflated_codes_refuse_a_damaged_or_oversized_payload() -> None:
    shapes = [(4, 3)]
    good = np.frombuffer(zlib.compress(bytes(12)), dtype=np.uint8)
    scales = np.zeros((1, 2), dtype=np.float32)
    assert len(inflate_codes([good, scales], shapes)[0]) == 12
    bomb = np.frombuffer(zlib.compress(bytes(10_000_000)), dtype=np.uint8)
    with pytest.raises(ValueError, match="exactly 12 values"):
        inflate_codes([bomb, scales], shapes)
    with pytest.raises(ValueError, match="exactly 12 values"):
        inflate_codes([np.frombuffer(zlib.compress(bytes(11)), dtype=np.uint8), scales], shapes)
    with pytest.raises(ValueError, match="do not inflate"):
        inflate_codes([good[::-1].copy(), scales], shapes)
