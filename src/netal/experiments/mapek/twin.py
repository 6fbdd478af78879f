"""The twin timeline as a closed-loop stream: simulated rows, encoded features, known change points."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from netal.data.lumos5g import lumos5g_dataset
from netal.experiments.sources import encode_features
from netal.mapek import NetworkStream
from netal.twin.timeline import load_timeline

REFERENCE_SHARE = 0.2
"""Share of the stream (its beginning) whose statistics impute missing values: no look-ahead."""


def twin_stream(timeline: str | Path | None = None, seed: int = 0) -> NetworkStream:
    """The stream of a twin timeline (None: the packaged default) for ``seed``.

    Features are the Lumos5G-schema inputs (one-hot categoricals, missing
    values imputed with medians of the first :data:`REFERENCE_SHARE` of the
    stream, missingness indicators); the target is throughput (Mbit/s); the
    change points are the timeline's events (a temporary one gives two).
    """
    data = load_timeline(timeline).simulate(seed)
    frame = data.frame.reset_index(drop=True)
    dataset = lumos5g_dataset(frame, source=f"twin timeline (seed {seed})", name="twin")
    n_reference = max(1, int(REFERENCE_SHARE * len(frame)))
    X, names = encode_features(dataset, fit_rows=np.arange(n_reference))
    y = dataset.frame[dataset.target].to_numpy(dtype=np.float64)
    changes = data.changes[["time_s", "kind", "description"]]
    return NetworkStream(
        "twin timeline", frame["time_s"].to_numpy(dtype=np.float64), X, y, tuple(names), changes
    )
