"""Pareto fronts and hypervolumes of loss vectors: the maths of multi-objective sweeps, on plain numbers.

Every point here is a tuple of *losses* (smaller is better in every
coordinate): the callers turn a maximized metric into a loss by its sign
(:meth:`hyperwidget.trial.Goal.sign`). Nothing here knows trials or metrics,
so the results, the monitor and the samplers can share it.

A point *dominates* another when it is no worse in every coordinate and better
in one; equal points do not dominate each other, so both stay on the front.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

Point = tuple[float, ...]


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether loss vector ``a`` dominates ``b`` (no worse everywhere, better somewhere)."""
    better = False
    for x, y in zip(a, b, strict=True):
        if x > y:
            return False
        better = better or x < y
    return better


def non_dominated(points: Sequence[Sequence[float]]) -> list[int]:
    """Indices (ascending) of the points no other point dominates.

    In lexicographic order a point can only be dominated by one before it, and
    if it is dominated at all, then by a point of the front (dominance is
    transitive), so each point is compared with the front found so far. Two
    coordinates need only the front's lowest second coordinate: O(n log n). More
    compare each point with the front at once (numpy): O(n * front size), in C.

    Examples
    --------
    >>> non_dominated([(1, 3), (2, 2), (2, 3), (3, 1), (1, 3)])
    [0, 1, 3, 4]
    """
    if not points:
        return []
    order = sorted(range(len(points)), key=lambda i: tuple(points[i]))
    if len(points[0]) == 2:
        return sorted(_non_dominated_2d(points, order))
    import numpy as np

    ordered = np.asarray(points, dtype=float)[order]
    kept = np.empty_like(ordered)  # the front so far, in its first `size` rows
    front, size = [], 0
    for position, index in enumerate(order):
        point, members = ordered[position], kept[:size]
        if size and ((members <= point).all(axis=1) & (members < point).any(axis=1)).any():
            continue
        kept[size], size = point, size + 1
        front.append(index)
    return sorted(front)


def _non_dominated_2d(points: Sequence[Sequence[float]], order: list[int]) -> list[int]:
    """The front of 2-D points visited in lexicographic ``order``: a point is on it when its second
    coordinate is below every earlier one's, or it equals the front's last point."""
    front: list[int] = []
    lowest, last = math.inf, None
    for index in order:
        point = (float(points[index][0]), float(points[index][1]))
        if point[1] < lowest or point == last:
            front.append(index)
            lowest, last = point[1], point
    return front


def hypervolume(points: Sequence[Sequence[float]], reference: Sequence[float]) -> float:
    """The volume dominated by ``points`` and bounded by ``reference`` (all losses).

    Points that are not strictly better than ``reference`` in every coordinate
    add nothing. Exact in any dimension: two coordinates are one sweep over the
    points sorted by the first, O(n log n); more are cut into slabs along the
    last coordinate, each the (d-1)-dimensional volume of the points below it
    times its thickness (the "hypervolume by slicing objectives" scheme): three
    coordinates keep the slabs' points sorted, O(n²); four or more recurse on
    each slab's front, O(n^(d-1)), fine for the fronts of hyperparameter sweeps.

    Examples
    --------
    >>> hypervolume([(1, 3), (2, 2), (3, 1)], (4, 4))
    6.0
    >>> hypervolume([(1, 1, 1)], (2, 3, 4))
    6.0
    """
    ref = tuple(float(r) for r in reference)
    inside = [tuple(float(x) for x in p) for p in points if all(x < r for x, r in zip(p, ref, strict=True))]
    return _volume(inside, ref)


def _front(points: list[Point]) -> list[Point]:
    """The distinct non-dominated points of ``points``."""
    distinct = sorted(set(points))
    return [distinct[i] for i in non_dominated(distinct)]


def _area(points: list[Point], ref: Point) -> float:
    """The area dominated by 2-D ``points`` sorted by their first coordinate (dominated ones add nothing)."""
    total, lowest = 0.0, ref[1]
    for x, y in points:
        if y < lowest:
            total += (ref[0] - x) * (lowest - y)
            lowest = y
    return total


def _volume(points: list[Point], ref: Point) -> float:
    """The hypervolume of ``points``, each strictly inside ``ref``."""
    if not points:
        return 0.0
    if len(ref) == 1:
        return ref[0] - min(p[0] for p in points)
    if len(ref) == 2:
        return _area(sorted(points), ref)
    by_last = sorted(points, key=lambda p: p[-1])
    below: list[Point] = []  # the points of the slabs so far, without their last coordinate (sorted for d = 3)
    total = 0.0
    for i, point in enumerate(by_last):
        if len(ref) == 3:
            bisect.insort(below, point[:2])
        else:
            below.append(point[:-1])
        upper = by_last[i + 1][-1] if i + 1 < len(by_last) else ref[-1]
        if upper > point[-1]:
            section = _area(below, ref[:2]) if len(ref) == 3 else _volume(_front(below), ref[:-1])
            total += section * (upper - point[-1])
    return total


__all__ = ["dominates", "hypervolume", "non_dominated"]
