"""Vectorized 2-D geometry for the twin: the loop route, projections, line of sight."""

from __future__ import annotations

import numpy as np


def _cross(ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray) -> np.ndarray:
    return ax * by - ay * bx


def points_in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Even-odd ray casting: which of ``points`` ``(n, 2)`` lie inside ``polygon`` ``(m, 2)``."""
    x = points[:, 0:1]
    y = points[:, 1:2]
    x1, y1 = polygon[:, 0], polygon[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    straddles = (y1 > y) != (y2 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    return (straddles & (x < x_cross)).sum(axis=1) % 2 == 1


def segment_distance_to_polyline(points: np.ndarray, polyline: np.ndarray) -> np.ndarray:
    """Distance of each point ``(n, 2)`` to an open polyline ``(m, 2)``."""
    a = polyline[:-1]
    b = polyline[1:]
    ab = b - a
    ap = points[:, None, :] - a[None, :, :]
    denom = np.maximum((ab**2).sum(axis=1), 1e-12)
    t = np.clip((ap * ab[None]).sum(axis=2) / denom, 0.0, 1.0)
    closest = a[None] + t[..., None] * ab[None]
    return np.sqrt(((points[:, None, :] - closest) ** 2).sum(axis=2)).min(axis=1)


def polygon_edges(polygons: list[np.ndarray]) -> np.ndarray:
    """All edges of closed polygons as an ``(e, 4)`` array ``x1, y1, x2, y2``."""
    edges = [np.hstack([p, np.roll(p, -1, axis=0)]) for p in polygons]
    return np.vstack(edges) if edges else np.zeros((0, 4))


def segments_blocked(p: np.ndarray, q: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Whether each segment ``p[i] -> q[i]`` properly crosses any polygon edge.

    Orientation test of every segment against every edge at once
    (``(n, e)`` boolean matrix), so line of sight over a whole route is one call.
    """
    px, py = p[:, 0:1], p[:, 1:2]
    rx, ry = q[:, 0:1] - px, q[:, 1:2] - py
    ex, ey = edges[None, :, 0], edges[None, :, 1]
    sx, sy = edges[None, :, 2] - ex, edges[None, :, 3] - ey
    denom = _cross(rx, ry, sx, sy)
    qpx, qpy = ex - px, ey - py
    with np.errstate(divide="ignore", invalid="ignore"):
        t = _cross(qpx, qpy, sx, sy) / denom
        u = _cross(qpx, qpy, rx, ry) / denom
    hit = (np.abs(denom) > 1e-12) & (t > 1e-9) & (t < 1 - 1e-9) & (u >= 0) & (u <= 1)
    return hit.any(axis=1)


class Route:
    """A closed polyline traversed clockwise, parameterised by arc length ``u`` in metres.

    The waypoints may be given in either orientation; they are reordered so
    that increasing ``u`` goes clockwise seen from above (x east, y north).
    """

    def __init__(self, waypoints: np.ndarray) -> None:
        pts = np.asarray(waypoints, dtype=np.float64)
        if np.allclose(pts[0], pts[-1]):
            pts = pts[:-1]
        x, y = pts[:, 0], pts[:, 1]
        signed_area = 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)
        if signed_area > 0:  # anticlockwise -> reverse to clockwise
            pts = pts[::-1].copy()
        self.vertices = pts
        closed = np.vstack([pts, pts[:1]])
        seg = np.diff(closed, axis=0)
        self.seg_len = np.sqrt((seg**2).sum(axis=1))
        self.seg_start = np.concatenate([[0.0], np.cumsum(self.seg_len)[:-1]])
        self.length = float(self.seg_len.sum())
        self._closed = closed

    def position(self, u: np.ndarray) -> np.ndarray:
        """Points ``(..., 2)`` at arc lengths ``u`` (wrapped around the loop)."""
        u = np.mod(np.asarray(u, dtype=np.float64), self.length)
        k = np.clip(np.searchsorted(self.seg_start, u, side="right") - 1, 0, len(self.seg_len) - 1)
        frac = (u - self.seg_start[k]) / self.seg_len[k]
        a = self._closed[k]
        b = self._closed[k + 1]
        return a + frac[..., None] * (b - a)

    def heading(
        self, u: np.ndarray, reverse: np.ndarray | bool = False, chord: float = 4.0
    ) -> np.ndarray:
        """Compass heading (degrees from north, clockwise) of travel at ``u``.

        Uses the chord between ``u - chord`` and ``u + chord`` so headings turn
        smoothly through corners; ``reverse`` flips it for anticlockwise travel.
        """
        d = self.position(np.asarray(u) + chord) - self.position(np.asarray(u) - chord)
        heading = np.degrees(np.arctan2(d[..., 0], d[..., 1]))
        return np.mod(heading + 180.0 * np.asarray(reverse, dtype=np.float64), 360.0)

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest arc length on the loop and distance for each point ``(n, 2)``."""
        a = self._closed[:-1]
        ab = self._closed[1:] - a
        ap = points[:, None, :] - a[None]
        t = np.clip((ap * ab[None]).sum(axis=2) / (self.seg_len**2)[None], 0.0, 1.0)
        closest = a[None] + t[..., None] * ab[None]
        dist = np.sqrt(((points[:, None, :] - closest) ** 2).sum(axis=2))
        k = dist.argmin(axis=1)
        rows = np.arange(len(points))
        u = self.seg_start[k] + t[rows, k] * self.seg_len[k]
        return np.mod(u, self.length), dist[rows, k]

    def corner_positions(self, min_turn_deg: float = 30.0) -> np.ndarray:
        """Arc lengths of the vertices where the loop turns by more than ``min_turn_deg``."""
        seg = np.diff(self._closed, axis=0)
        ang = np.degrees(np.arctan2(seg[:, 0], seg[:, 1]))
        turn = np.abs((ang - np.roll(ang, 1) + 180.0) % 360.0 - 180.0)
        return self.seg_start[turn > min_turn_deg]
