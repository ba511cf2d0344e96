"""Exact hypervolume of a set of points to minimise, with respect to a reference point.

Two objectives: a sweep over the points sorted by the first objective,
O(n log n). Three or more: slicing along the last objective, each slab being
the hypervolume of the points below it in one objective fewer (O(n^2 log n)
for three objectives), which is fast enough for the benchmark's few hundred
points. Only points that strictly dominate the reference point count.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def nondominated(points: np.ndarray) -> np.ndarray:
    """The rows of ``points`` (n × m, minimised) that no other row dominates, duplicates kept once."""
    points = np.unique(np.asarray(points, dtype=float).reshape(len(points), -1), axis=0)
    keep = []
    for i, p in enumerate(points):
        others = np.delete(points, i, axis=0)
        dominated = np.any(np.all(others <= p, axis=1) & np.any(others < p, axis=1))
        keep.append(not dominated)
    return points[np.array(keep, dtype=bool)] if len(points) else points


def hypervolume(points: np.ndarray | Sequence[Sequence[float]], reference: Sequence[float]) -> float:
    """The volume dominated by ``points`` (n × m, every objective minimised) and bounded by ``reference``.

    Examples
    --------
    >>> hypervolume([[0.25, 0.75], [0.75, 0.25]], [1.0, 1.0])
    0.3125
    >>> hypervolume([[0.5, 0.5, 0.5]], [1.0, 1.0, 1.0])
    0.125
    """
    ref = np.asarray(reference, dtype=float)
    pts = np.asarray(points, dtype=float).reshape(-1, len(ref))
    pts = pts[np.all(np.isfinite(pts), axis=1) & np.all(pts < ref, axis=1)]
    if len(pts) == 0:
        return 0.0
    return float(_volume(pts, ref))


def _volume(pts: np.ndarray, ref: np.ndarray) -> float:
    if pts.shape[1] == 1:
        return float(ref[0] - pts[:, 0].min())
    if pts.shape[1] == 2:
        return _volume_2d(pts, ref)
    order = np.argsort(pts[:, -1], kind="stable")
    pts = pts[order]
    heights = np.append(pts[1:, -1], ref[-1]) - pts[:, -1]
    total = 0.0
    for i in range(len(pts)):
        if heights[i] > 0:
            total += heights[i] * _volume(pts[: i + 1, :-1], ref[:-1])
    return total


def _volume_2d(pts: np.ndarray, ref: np.ndarray) -> float:
    """Horizontal bands: a point that lowers the best second objective so far (scanning by the first)
    adds the band between its value and the previous best, from its first objective to the reference."""
    pts = pts[np.lexsort((pts[:, 1], pts[:, 0]))]
    total, best_y = 0.0, ref[1]
    for x, y in pts:
        if y < best_y:
            total += (ref[0] - x) * (best_y - y)
            best_y = y
    return float(total)
