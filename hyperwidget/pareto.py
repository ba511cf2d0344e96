"""Pareto fronts and hypervolumes of loss vectors: the maths of multi-objective sweeps, on plain numbers.

Every point here is a tuple of *losses* (smaller is better in every
coordinate): the callers turn a maximized metric into a loss by its sign
(:meth:`hyperwidget.trial.Goal.sign`). Nothing here knows trials or metrics,
so the results, the monitor and the samplers can share it.

A point *dominates* another when it is no worse in every coordinate and better
in one; equal points do not dominate each other, so both stay on the front.
"""

from __future__ import annotations

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
    transitive), so each point is compared with the front found so far:
    O(n log n + n * front size), not O(n²).

    Examples
    --------
    >>> non_dominated([(1, 3), (2, 2), (2, 3), (3, 1), (1, 3)])
    [0, 1, 3, 4]
    """
    order = sorted(range(len(points)), key=lambda i: tuple(points[i]))
    front: list[int] = []
    for i in order:
        if not any(dominates(points[j], points[i]) for j in front):
            front.append(i)
    return sorted(front)


def hypervolume(points: Sequence[Sequence[float]], reference: Sequence[float]) -> float:
    """The volume dominated by ``points`` and bounded by ``reference`` (all losses).

    Points that are not strictly better than ``reference`` in every coordinate
    add nothing. Exact in any dimension: two coordinates are one sweep over the
    points sorted by the first; more are cut into slabs along the last
    coordinate, each the (d-1)-dimensional volume of the points below it times
    its thickness (the "hypervolume by slicing objectives" scheme, O(n^(d-1) log n):
    fine for the fronts of hyperparameter sweeps, a few hundred points at most).

    Examples
    --------
    >>> hypervolume([(1, 3), (2, 2), (3, 1)], (4, 4))
    6.0
    >>> hypervolume([(1, 1, 1)], (2, 3, 4))
    6.0
    """
    ref = tuple(float(r) for r in reference)
    inside = [tuple(float(x) for x in p) for p in points if all(x < r for x, r in zip(p, ref, strict=True))]
    return _volume(_front(inside), ref)


def _front(points: list[Point]) -> list[Point]:
    """The distinct non-dominated points of ``points``."""
    distinct = sorted(set(points))
    return [distinct[i] for i in non_dominated(distinct)]


def _volume(points: list[Point], ref: Point) -> float:
    """The hypervolume of mutually non-dominated ``points`` (each strictly inside ``ref``)."""
    if not points:
        return 0.0
    if len(ref) == 1:
        return ref[0] - min(p[0] for p in points)
    if len(ref) == 2:
        total, lowest = 0.0, ref[1]
        for x, y in sorted(points):
            if y < lowest:
                total += (ref[0] - x) * (lowest - y)
                lowest = y
        return total
    by_last = sorted(points, key=lambda p: p[-1])
    total = 0.0
    for i, point in enumerate(by_last):
        upper = by_last[i + 1][-1] if i + 1 < len(by_last) else ref[-1]
        if upper > point[-1]:
            total += _volume(_front([p[:-1] for p in by_last[: i + 1]]), ref[:-1]) * (upper - point[-1])
    return total


__all__ = ["dominates", "hypervolume", "non_dominated"]
