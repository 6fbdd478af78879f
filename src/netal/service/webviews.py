"""Geometry of the pages' SVG drawings: a task's map and route, a project's learning curve.

Pure functions from numbers to plotting coordinates; the templates draw them
as inline SVG, so the pages need no tile server, chart library or network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

WIDTH, HEIGHT, MARGIN = 480, 320, 36
METRES_PER_DEGREE = 111_320.0
MIN_EXTENT_M = 200.0
"""The smallest area a map shows (metres across), so one point is not a dot in a void."""


def _nice(value: float) -> float:
    """The largest of 1, 2, 5 x 10^k not above ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (5, 2, 1):
        if step * power <= value:
            return float(step * power)
    return float(power)


def route_map(places: Sequence[dict[str, Any]], *, current: bool) -> dict[str, Any]:
    """Plot coordinates of places (latitude, longitude) on a local equirectangular map.

    Parameters
    ----------
    places
        Dicts with ``latitude`` and ``longitude`` (degrees), oldest first.
    current
        Whether the last place is the current task (drawn apart from the route).

    Returns
    -------
    dict
        ``width``, ``height``, ``route`` (an SVG ``points`` string of the
        earlier places), ``stops`` (their x, y), ``current`` (x, y or None),
        ``scale`` (a scale bar: ``px`` long, ``label``), ``north`` and
        ``south``, ``west`` and ``east`` (the edges, in degrees).
    """
    lats = [float(p["latitude"]) for p in places]
    lons = [float(p["longitude"]) for p in places]
    lat0 = sum(lats) / len(lats)
    cos0 = max(math.cos(math.radians(lat0)), 1e-6)
    xs = [(lon - lons[0]) * METRES_PER_DEGREE * cos0 for lon in lons]
    ys = [(lat - lats[0]) * METRES_PER_DEGREE for lat in lats]
    span = max(max(xs) - min(xs), max(ys) - min(ys), MIN_EXTENT_M) * 1.15
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    inner_w, inner_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    metres_per_px = span / min(inner_w, inner_h)

    def project(x: float, y: float) -> tuple[float, float]:
        return (
            round(WIDTH / 2 + (x - cx) / metres_per_px, 1),
            round(HEIGHT / 2 - (y - cy) / metres_per_px, 1),
        )

    points = [project(x, y) for x, y in zip(xs, ys, strict=True)]
    earlier = points[:-1] if current else points
    bar_m = _nice(span / 4)
    half_w, half_h = inner_w / 2 * metres_per_px, inner_h / 2 * metres_per_px
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "route": " ".join(f"{x},{y}" for x, y in earlier),
        "stops": earlier,
        "current": points[-1] if current else None,
        "scale": {
            "px": round(bar_m / metres_per_px, 1),
            "label": f"{bar_m / 1000:g} km" if bar_m >= 1000 else f"{bar_m:g} m",
        },
        "north": lats[0] + (cy + half_h) / METRES_PER_DEGREE,
        "south": lats[0] + (cy - half_h) / METRES_PER_DEGREE,
        "west": lons[0] + (cx - half_w) / (METRES_PER_DEGREE * cos0),
        "east": lons[0] + (cx + half_w) / (METRES_PER_DEGREE * cos0),
    }


def curve_svg(points: Sequence[dict[str, float]], metric: str) -> dict[str, Any] | None:
    """Plot coordinates of a learning curve: ``metric`` against the labels the model had.

    Parameters
    ----------
    points
        One dict per model version with ``n_labeled`` and (maybe) ``metric``.
    metric
        The error to draw, e.g. ``"test_rmse"``.

    Returns
    -------
    dict or None
        ``width``, ``height``, ``line`` (SVG ``points``), ``dots`` (x, y,
        labels, value), the axes' ends (``x_min``, ``x_max``, ``y_min``,
        ``y_max``) and the ``metric``; None when no version has the metric.
    """
    usable = [p for p in points if metric in p and "n_labeled" in p]
    if not usable:
        return None
    xs = [p["n_labeled"] for p in usable]
    ys = [p[metric] for p in usable]
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = min(ys), max(ys)
    x_span = (x_hi - x_lo) or 1.0
    y_pad = (y_hi - y_lo) * 0.1 or abs(y_hi) * 0.1 or 1.0
    y_lo, y_hi = y_lo - y_pad, y_hi + y_pad
    inner_w, inner_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN

    def project(x: float, y: float) -> tuple[float, float]:
        return (
            round(MARGIN + (x - x_lo) / x_span * inner_w, 1),
            round(HEIGHT - MARGIN - (y - y_lo) / (y_hi - y_lo) * inner_h, 1),
        )

    dots = []
    for p, x, y in zip(usable, xs, ys, strict=True):
        px, py = project(x, y)
        dots.append({"x": px, "y": py, "labels": int(x), "value": y, "version": p.get("version")})
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "margin": MARGIN,
        "line": " ".join(f"{d['x']},{d['y']}" for d in dots),
        "dots": dots,
        "x_min": x_lo,
        "x_max": x_hi,
        "y_min": y_lo,
        "y_max": y_hi,
        "metric": metric,
    }
