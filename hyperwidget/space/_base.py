"""Shared pieces of the search-space package: validation, quantisation, ``GridValues`` and ``Expression``.

Everything here is used by more than one family of expressions
(:mod:`._hyperdrive`, :mod:`._gaussian`, :mod:`._natural`) or by
:mod:`._search_space`; nothing here knows a concrete expression.
"""

from __future__ import annotations

import abc
import dataclasses
import json
import math
import os
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from hyperwidget.errors import SearchSpaceError

_EPS = 1e-12
_MAX_EXPONENT = 709.0  # exp(709.8) overflows a float64
_MIN_EXPONENT = -708.0  # exp() of less is subnormal (below sys.float_info.min ~ 2.2e-308), then 0.0
# The hyperwidget package directory (not this sub-package's): warnings skip every hyperwidget frame.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --------------------------------------------------------------------------- helpers


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_number(kind: str, name: str, value: Any) -> None:
    if not _is_number(value) or not math.isfinite(float(value)):
        raise SearchSpaceError(f"{kind}: {name} must be a finite number, got {name}={value!r}.")


def _check_int(kind: str, name: str, value: Any) -> None:
    if not _is_int(value):
        raise SearchSpaceError(f"{kind}: {name} must be an int, got {name}={value!r}.")


def _check_order(expr: Expression, low: str, high: str, fix: str = "swap the bounds") -> None:
    lo, hi = getattr(expr, low), getattr(expr, high)
    if not lo < hi:
        raise SearchSpaceError(
            f"{expr!r}: {low} must be < {high}, got {low}={lo!r}, {high}={hi!r}; {fix}, "
            f"or use choice({lo!r}) for a constant."
        )


def _check_span(expr: Expression, low: str, high: str) -> None:
    """Refuse bounds whose difference overflows a float: ``uniform(-1e308, 1e308)`` would sample inf."""
    lo, hi = float(getattr(expr, low)), float(getattr(expr, high))
    if not math.isfinite(hi - lo):
        raise SearchSpaceError(
            f"{expr!r}: {high} - {low} overflows a float, got {low}={lo!r}, {high}={hi!r}, so samples would be "
            f"inf; narrow the range ({high} - {low} must stay below {sys.float_info.max:.3g})."
        )


def _check_steps(expr: Expression, low: float, high: float, q: float) -> None:
    """A quantized range needs a countable number of steps of ``q`` and at least two values.

    ``low`` and ``high`` are the bounds of the values before rounding (``exp`` of a
    log law's bounds).
    """
    if not (math.isfinite(low / q) and math.isfinite(high / q)):
        raise SearchSpaceError(
            f"{expr!r}: q={q!r} is too small for values up to {max(abs(low), abs(high))!r}: the number of steps "
            "overflows a float; use a larger q, or the law without rounding."
        )
    values = expr.grid_values() or ()
    if len(values) == 1:
        raise SearchSpaceError(
            f"{expr!r}: every value rounds to {values[0]!r} (q={q!r} is too large for values in "
            f"[{low:.6g}, {high:.6g}]); use a smaller q, or choice({values[0]!r}) for a constant."
        )


def _check_q(kind: str, q: Any) -> None:
    _check_number(kind, "q", q)
    if q <= 0:
        raise SearchSpaceError(f"{kind}: q must be > 0, got q={q!r}; q is the rounding step, e.g. q=1.")


def _check_plain(where: str, value: Any, fix: str) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise SearchSpaceError(
            f"{where}: {value!r} is not plain data (a finite number, string, bool, None, or a list or "
            f"dict of those); {fix}"
        ) from None


def _holds_expression(value: Any) -> bool:
    """Whether ``value`` is an expression, or a dict holding one at any depth (a group or a branch)."""
    if isinstance(value, Expression):
        return True
    return isinstance(value, Mapping) and any(_holds_expression(v) for v in value.values())


def node_to_json(value: Any) -> Any:
    """The stored form of a space entry: ``[kind, args]`` for an expression, ``{"group": {...}}`` for a dict
    holding expressions, ``{"constant": value}`` for plain data."""
    if isinstance(value, Expression):
        return value.to_json()
    if isinstance(value, Mapping) and _holds_expression(value):
        return {"group": {key: node_to_json(v) for key, v in value.items()}}
    return {"constant": value}


def _snap(value: float) -> float:
    """Drop float noise of ``k * q`` (``3 * 0.1`` -> ``0.3``): 15 significant digits."""
    return float(f"{value:.15g}")


def _quantize(value: float, q: float, as_int: bool, steps: tuple[int, int] | None = None) -> Any:
    # Round half to even, as hyperopt's np.round (HyperDrive's reference implementation); Python's
    # round() of a float is the same rule and ~10x faster on scalars.
    k = round(value / q)
    if steps is not None:  # only a bound itself can round outside (probability 0): keep it in the support
        k = min(max(k, steps[0]), steps[1])
    return round(k * q) if as_int else _snap(k * q)


def _step_range(low: float, high: float, q: float) -> tuple[int, int]:
    """The multipliers ``k`` whose rounding cell ``[(k - 1/2) q, (k + 1/2) q]`` meets ``[low, high]``
    with positive length: the values ``round(x / q) * q`` can take with positive probability."""
    return math.floor(low / q - 0.5) + 1, math.ceil(high / q + 0.5) - 1


def _plain(value: Any) -> Any:
    """Numpy scalars to Python scalars, so values are JSON data."""
    return value.item() if isinstance(value, np.generic) else value


def _index(u: float, size: int) -> int:
    """The cell of ``u`` in [0, 1] when the interval is cut into ``size`` equal cells."""
    return min(max(int(u * size), 0), size - 1)


def _user_stacklevel() -> int:
    """The ``stacklevel`` pointing at the first frame outside hyperwidget (and dataclass code)."""
    frame: types.FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None:
        name = frame.f_code.co_filename
        if not (name.startswith(_PACKAGE_DIR) or name == "<string>"):  # "<string>": dataclass __init__
            return level
        frame, level = frame.f_back, level + 1
    return level


def _key(value: Any) -> str:
    """A canonical text of a plain value, for comparing values across storage round trips."""
    return json.dumps(value, sort_keys=True, default=_plain)


class GridValues(Sequence[Any]):
    """A finite support computed on demand: ``value_at(i)`` for ``i`` in ``range(size)``.

    ``randint(10**9).grid_values()`` costs nothing until indexed, which is what
    lets the grid sampler address huge grids by index arithmetic. Compares equal
    to any sequence with the same items (``randint(3).grid_values() == [0, 1, 2]``).
    """

    def __init__(self, size: int, value_at: Callable[[int], Any]) -> None:
        self._size = max(int(size), 0)
        self._value_at = value_at

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._size))]
        i = int(index) + (self._size if index < 0 else 0)
        if not 0 <= i < self._size:
            raise IndexError(f"grid index {index} out of range for {self._size} values")
        return self._value_at(i)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        head = ", ".join(repr(v) for v in self[:6])
        return f"GridValues([{head}{', ...' if self._size > 6 else ''}], size={self._size})"


# --------------------------------------------------------------------------- base class


class Expression(abc.ABC):
    """A hyperparameter's distribution. Subclasses are frozen dataclasses."""

    kind: ClassVar[str]

    @abc.abstractmethod
    def from_unit(self, u: float) -> Any:
        """The value at quantile ``u`` in [0, 1] (inverse CDF)."""

    @abc.abstractmethod
    def to_unit(self, value: Any) -> float:
        """A quantile in [0, 1] that ``from_unit`` maps back to ``value``."""

    @abc.abstractmethod
    def args(self) -> list[Any]:
        """The arguments, in declaration order, as plain data."""

    @property
    @abc.abstractmethod
    def bounds(self) -> tuple[float, float] | None:
        """The smallest and largest value (``inf`` when unbounded); ``None`` for a categorical."""

    def sample(self, rng: np.random.Generator) -> Any:
        """Draw one value."""
        return self.from_unit(float(rng.random()))

    def grid_values(self) -> Sequence[Any] | None:
        """The finite support in a stable order (no repeats), or ``None`` for an infinite one."""
        return None

    @property
    def value_type(self) -> str:
        """``"categorical"``, ``"int"`` or ``"float"``."""
        if self.is_categorical and not self.is_integer:
            return "categorical"
        return "int" if self.is_integer else "float"

    @property
    def is_categorical(self) -> bool:
        """True for unordered values (``choice``; ``randint``, whose values HyperDrive calls unrelated)."""
        return False

    @property
    def is_integer(self) -> bool:
        """True when every value is a Python ``int``."""
        return False

    @property
    def is_log(self) -> bool:
        """True when the natural scale of the value is logarithmic."""
        return False

    def to_json(self) -> list[Any]:
        """Azure's serialisation: ``[kind, [args...]]``."""
        return [self.kind, self.args()]

    def __repr__(self) -> str:
        fields = [f.name for f in dataclasses.fields(self)]  # type: ignore[arg-type]
        return f"{self.kind}({', '.join(f'{n}={a!r}' for n, a in zip(fields, self.args(), strict=True))})"


class _Finite(Expression):
    """An ordered expression with a finite support: ``from_unit`` cuts [0, 1] into equal cells."""

    @abc.abstractmethod
    def grid_values(self) -> Sequence[Any]:
        """The support, in increasing order."""

    def from_unit(self, u: float) -> Any:
        values = self.grid_values()
        return values[_index(u, len(values))]

    def to_unit(self, value: Any) -> float:
        values = self.grid_values()
        return (self._position(value) + 0.5) / len(values)

    def _position(self, value: Any) -> int:
        values = self.grid_values()
        lo, hi = 0, len(values) - 1
        while lo < hi:  # nearest value by bisection (the support is sorted)
            mid = (lo + hi) // 2
            if values[mid] < value:
                lo = mid + 1
            else:
                hi = mid
        if lo > 0 and abs(values[lo - 1] - value) <= abs(values[lo] - value):
            lo -= 1
        return lo

    @property
    def bounds(self) -> tuple[float, float]:
        values = self.grid_values()
        return values[0], values[-1]
