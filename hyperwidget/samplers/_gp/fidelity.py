"""Multi-fidelity training targets: what a partial learning curve tells the model about a configuration.

With an ASHA or Hyperband policy most trials stop at a low rung, and their last
value (an accuracy after one epoch, say) is not comparable with the final value
of a trial trained fully. The sweep's :class:`~hyperwidget.trial.Fidelity` names
the rungs; every trial is read at the rungs it reached (the value at the first
interval whose resource is at or beyond the rung, as ASHA ranks it), and one
level is modelled:

- ``"highest"`` (BOHB, Falkner et al. 2018): the highest level, the full
  training included, that at least ``min_points`` trials reached, each trial
  with its value there; the trials that stopped below it are left out.
- ``"stacked"``: every trial that reached a rung, ordered first by the highest
  level it reached, then by its value's rank among all trials' values at that
  level (Optuna's TPE orders pruned trials the same way).

``benchmarks/multi_fidelity.py`` measured both (tuning half); ``"highest"`` is
the default.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from hyperwidget.trial import Fidelity, Goal, TrialRecord

MODES = ("highest", "stacked")


def resource_at(record: TrialRecord, metric: str, fidelity: Fidelity, interval: int) -> float | None:
    """The resource ``record`` had used at its ``interval``-th value of ``metric`` (``None`` if not logged)."""
    if fidelity.resource_attr is None:
        return float(interval)
    values = record.series(fidelity.resource_attr)
    return float(values[interval - 1]) if len(values) >= interval else None


def level_values(record: TrialRecord, metric: str, fidelity: Fidelity) -> list[float]:
    """The value of ``metric`` at each level ``fidelity.levels + (max_resource,)`` that ``record`` reached, in order.

    The value at a level is the one logged at the first interval whose resource
    is at or beyond it; the list stops at the first level not reached.
    """
    levels = (*fidelity.levels, fidelity.max_resource)
    series = record.series(metric)
    values: list[float] = []
    for interval in range(1, len(series) + 1):
        resource = resource_at(record, metric, fidelity, interval)
        while resource is not None and len(values) < len(levels) and resource >= levels[len(values)]:
            values.append(float(series[interval - 1]))
        if len(values) == len(levels):
            break
    return values


def rung_losses(
    records: Sequence[TrialRecord],
    metric: str,
    goal: Goal,
    fidelity: Fidelity,
    min_points: int,
    mode: str = "highest",
) -> tuple[list[int], np.ndarray]:
    """The trials to model (indices into ``records``) and their losses (lower is better).

    Parameters
    ----------
    records : sequence of TrialRecord
        Finished trials with a finite last value of ``metric``.
    metric, goal : str, Goal
        The primary metric and its goal (``goal.sign() * value`` is the loss).
    fidelity : Fidelity
        The policy's resource and rungs.
    min_points : int
        ``"highest"`` models the highest level at least this many trials reached.
    mode : {"highest", "stacked"}
        See the module's docstring.
    """
    sign = goal.sign()
    reached = [[sign * v for v in level_values(r, metric, fidelity)] for r in records]
    n_levels = len(fidelity.levels) + 1
    if mode == "highest":
        return _highest(reached, n_levels, min_points)
    if mode == "stacked":
        return _stacked(reached, n_levels)
    raise ValueError(f"unknown fidelity mode {mode!r}; use one of {MODES}")


def _highest(reached: list[list[float]], n_levels: int, min_points: int) -> tuple[list[int], np.ndarray]:
    """BOHB's rule: the highest level with ``min_points`` finite values (else the lowest level)."""
    for level in range(n_levels - 1, -1, -1):
        keep = [i for i, values in enumerate(reached) if len(values) > level and math.isfinite(values[level])]
        if len(keep) >= min_points or level == 0:
            return keep, np.array([reached[i][level] for i in keep], dtype=float)
    raise AssertionError("unreachable")  # pragma: no cover


def _stacked(reached: list[list[float]], n_levels: int) -> tuple[list[int], np.ndarray]:
    """``(levels above the highest reached) + (rank of the value there among all values at that level, in [0, 1))``."""
    keep = [i for i, values in enumerate(reached) if values and math.isfinite(values[-1])]
    losses = []
    for i in keep:
        level, value = len(reached[i]) - 1, reached[i][-1]
        peers = np.array([v[level] for v in reached if len(v) > level and math.isfinite(v[level])])
        rank = (np.sum(peers < value) + 0.5 * (np.sum(peers == value) - 1)) / len(peers)
        losses.append(n_levels - 1 - level + float(rank))
    return keep, np.array(losses, dtype=float)
