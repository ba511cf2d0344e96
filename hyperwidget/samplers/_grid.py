"""Grid sampling: every combination of finite values, in a stable order, each proposed once."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from hyperwidget.errors import SearchSpaceError
from hyperwidget.samplers._base import Sampler
from hyperwidget.space import Expression, SearchSpace
from hyperwidget.trial import Goal, TrialRecord

_MISSING = object()


def _canonical(value: Any) -> Any:
    """``1.0`` and ``1`` are the same grid value (storage may turn one into the other); ``True`` is not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class GridParameterSampling(Sampler):
    """Every combination of the hyperparameters' values (HyperDrive's grid sampling).

    Parameters
    ----------
    parameter_space : mapping
        Names to expressions with a finite support, or constants. HyperDrive
        allows only ``choice``; hyperwidget allows every finite expression:
        ``choice``, ``randint``, ``quniform``, ``qloguniform``, ``intrange``,
        ``log_randint``, ``finrange`` and ``logfinrange``. A continuous
        expression (``uniform``, ``loguniform``, ``normal``, ...) raises
        :class:`SearchSpaceError` naming the hyperparameter and the fix.
    properties : dict, optional
        HyperDrive v1's opaque properties; ignored (grid sampling has no setting).

    Notes
    -----
    - Order: ``itertools.product`` of each expression's ``grid_values()`` in
      space order, so the last hyperparameter varies fastest. Point ``i`` is
      computed by mixed-radix index arithmetic (:meth:`point`), so a grid of
      10**12 points is never materialised.
    - ``suggest`` returns the first point, in that order, whose values are not
      the parameters of any trial in ``history`` (queued, running or finished,
      whatever their status), and ``None`` once every point was proposed. A grid
      point is therefore never proposed twice, and a resumed sweep continues
      where it stopped. Values compare as plain data (``1 == 1.0``).
    - ``max_total_runs`` below :meth:`max_trials` cuts the grid short: the
      first ``max_total_runs`` points are run.
    - Repeated ``choice`` options are one grid point.
    - The sweep's constraints and objectives (``self.task``) are ignored: the
      order does not depend on any metric.

    Examples
    --------
    >>> from hyperwidget.space import choice
    >>> grid = GridParameterSampling({"bs": choice(16, 32), "layers": choice(1, 2, 3)})
    >>> grid.max_trials(), grid.point(0), grid.point(1)
    (6, {'bs': 16, 'layers': 1}, {'bs': 16, 'layers': 2})
    """

    name = "grid"

    def __init__(self, parameter_space: Mapping[str, Any], properties: Mapping[str, Any] | None = None) -> None:
        super().__init__(parameter_space, seed=None)
        self._axes = [_support(name, expr) for name, expr in zip(self.space.names, self.space.expressions, strict=True)]
        self._sizes = [len(axis) for axis in self._axes]
        self._size = math.prod(self._sizes)
        self._lock = threading.Lock()
        self._reset()

    def validate_space(self) -> None:
        """Raise ``SearchSpaceError`` for the first expression without a finite support."""
        for name, expr in zip(self.space.names, self.space.expressions, strict=True):
            _support(name, expr)

    def max_trials(self) -> int:
        """The number of grid points."""
        return self._size

    def point(self, index: int) -> dict[str, Any]:
        """Grid point ``index`` (0-based, ``itertools.product`` order), with the constants."""
        if not 0 <= index < self._size:
            raise IndexError(f"grid point {index} out of range: the grid has {self._size} points.")
        digits = []
        for size in reversed(self._sizes):
            index, digit = divmod(index, size)
            digits.append(digit)
        values = [axis[digit] for axis, digit in zip(self._axes, reversed(digits), strict=True)]
        return self._assemble(values)

    def _assemble(self, values: list[Any]) -> dict[str, Any]:
        by_name = dict(zip(self.space.names, values, strict=True))
        return {name: by_name.get(name, value) for name, value in self.space.items()}

    def suggest(self, history: Sequence[TrialRecord], metric: str, goal: Goal) -> dict[str, Any] | None:
        """The first grid point no trial of ``history`` has, or ``None`` when the grid is exhausted."""
        with self._lock:
            self._absorb(history)
            while self._cursor < self._size and self._key(self.point(self._cursor)) in self._seen:
                self._cursor += 1
            return self.point(self._cursor) if self._cursor < self._size else None

    # -- history bookkeeping: incremental, since history only grows during a sweep --------------
    def _reset(self) -> None:
        self._seen: set[str] = set()
        self._absorbed = 0
        self._last_id: str | None = None
        self._cursor = 0  # every point before it is in _seen

    def _absorb(self, history: Sequence[TrialRecord]) -> None:
        n = self._absorbed
        if n > len(history) or (n and history[n - 1].id != self._last_id):
            self._reset()  # not an extension of what was seen: start over
            n = 0
        for record in history[n:]:
            self._seen.add(self._key(record.params))
        self._absorbed = len(history)
        self._last_id = history[-1].id if history else None

    def _key(self, params: Mapping[str, Any]) -> str:
        values = []
        for name in self.space.names:
            value = params.get(name, params.get(name.lstrip("-"), _MISSING))
            values.append(math.nan if value is _MISSING else _canonical(value))  # NaN: never an option
        return json.dumps(values, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GridParameterSampling:
        """Rebuild a sampler from ``to_json`` output."""
        return cls(SearchSpace.from_json(data["space"]))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.space)!r})"


class GridSamplingAlgorithm:
    """Azure ML v2's ``GridSamplingAlgorithm()``: grid settings without a space (see :meth:`build`)."""

    type = "grid"

    def build(self, parameter_space: Mapping[str, Any]) -> GridParameterSampling:
        """The grid sampler for ``parameter_space``."""
        return GridParameterSampling(parameter_space)

    def __repr__(self) -> str:
        return "GridSamplingAlgorithm()"


def _support(name: str, expr: Expression) -> Sequence[Any]:
    """The grid values of ``expr``; ``SearchSpaceError`` for a continuous one."""
    values = expr.grid_values()
    if values is None:
        raise SearchSpaceError(
            "GridParameterSampling needs a finite set of values for every hyperparameter, but "
            f"{name!r} is {expr!r}, which is continuous; use choice(...) (or quniform, randint, "
            f"intrange, finrange, logfinrange) for {name!r}, or use RandomParameterSampling or "
            "BayesianParameterSampling."
        )
    return values
