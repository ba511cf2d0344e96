"""Natural-bound types in the style of Syne Tune: ``log_uniform``, ``log_randint``, ``intrange``,
``finrange`` and ``logfinrange``.

Their bounds are the values themselves (``log_uniform(1e-5, 1e-1)``), under
names that cannot be mistaken for HyperDrive's exponent-bounded ``loguniform``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import numpy as np

from hyperwidget.errors import SearchSpaceError
from hyperwidget.space._base import (
    _MAX_EXPONENT,
    Expression,
    GridValues,
    _check_int,
    _check_number,
    _check_order,
    _Finite,
    _is_int,
    _plain,
    _snap,
)

# --------------------------------------------------------------------------- natural-bound types


@dataclasses.dataclass(frozen=True, repr=False)
class LogScaleUniform(Expression):
    """A real value in ``[lower, upper]`` whose logarithm is uniform: natural bounds.

    ``log_uniform(1e-5, 1e-1)`` is Syne Tune's ``loguniform(1e-5, 1e-1)`` and
    HyperDrive's ``loguniform(math.log(1e-5), math.log(1e-1))``.
    """

    kind: ClassVar[str] = "log_uniform"
    lower: float
    upper: float

    def __post_init__(self) -> None:
        _check_number(self.kind, "lower", self.lower)
        _check_number(self.kind, "upper", self.upper)
        if self.lower <= 0:
            raise SearchSpaceError(
                f"{self!r}: lower must be > 0 (a log scale), got lower={self.lower!r}; "
                "use uniform(...) for a range that includes 0 or negative values."
            )
        _check_order(self, "lower", "upper")

    def from_unit(self, u: float) -> float:
        lo, hi = math.log(self.lower), math.log(self.upper)
        return float(np.clip(math.exp(lo + u * (hi - lo)), self.lower, self.upper))

    def to_unit(self, value: Any) -> float:
        lo, hi = math.log(self.lower), math.log(self.upper)
        return float(np.clip((math.log(max(float(value), 1e-300)) - lo) / (hi - lo), 0.0, 1.0))

    @property
    def bounds(self) -> tuple[float, float]:
        return _plain(self.lower), _plain(self.upper)

    @property
    def is_log(self) -> bool:
        return True

    def args(self) -> list[Any]:
        return [_plain(self.lower), _plain(self.upper)]


@dataclasses.dataclass(frozen=True, repr=False)
class LogScaleRandint(_Finite):
    """An int in ``[lower, upper]`` (both inclusive) on a log scale, as Syne Tune's ``lograndint``:
    ``round(exp(x))`` with ``x`` uniform in ``[log(lower - 0.5), log(upper + 0.5)]``."""

    kind: ClassVar[str] = "log_randint"
    lower: int
    upper: int

    def __post_init__(self) -> None:
        _check_int(self.kind, "lower", self.lower)
        _check_int(self.kind, "upper", self.upper)
        if self.lower < 1:
            raise SearchSpaceError(
                f"{self!r}: lower must be >= 1 (a log scale), got lower={self.lower!r}; "
                "use intrange(lower, upper) for a range that includes 0 or negative values."
            )
        _check_order(self, "lower", "upper")

    def _log_span(self) -> tuple[float, float]:
        return math.log(self.lower - 0.5), math.log(self.upper + 0.5)

    def from_unit(self, u: float) -> int:
        lo, hi = self._log_span()
        return min(max(int(np.round(math.exp(lo + u * (hi - lo)))), int(self.lower)), int(self.upper))

    def to_unit(self, value: Any) -> float:
        lo, hi = self._log_span()
        return float(np.clip((math.log(float(value)) - lo) / (hi - lo), 0.0, 1.0))

    def grid_values(self) -> GridValues:
        return GridValues(self.upper - self.lower + 1, lambda i: int(self.lower) + i)

    @property
    def is_integer(self) -> bool:
        return True

    @property
    def is_log(self) -> bool:
        return True

    def args(self) -> list[Any]:
        return [int(self.lower), int(self.upper)]


@dataclasses.dataclass(frozen=True, repr=False)
class IntRange(_Finite):
    """A uniform int in ``[lower, upper]``, both inclusive (Syne Tune's ``randint(lower, upper)``)."""

    kind: ClassVar[str] = "intrange"
    lower: int
    upper: int

    def __post_init__(self) -> None:
        _check_int(self.kind, "lower", self.lower)
        _check_int(self.kind, "upper", self.upper)
        _check_order(self, "lower", "upper")

    def grid_values(self) -> GridValues:
        return GridValues(self.upper - self.lower + 1, lambda i: int(self.lower) + i)

    def _position(self, value: Any) -> int:
        return min(max(round(float(value)) - int(self.lower), 0), int(self.upper - self.lower))

    @property
    def is_integer(self) -> bool:
        return True

    def args(self) -> list[Any]:
        return [int(self.lower), int(self.upper)]


@dataclasses.dataclass(frozen=True, repr=False)
class FinRange(_Finite):
    """``size`` equally spaced values from ``lower`` to ``upper`` (both included), drawn uniformly.

    ``finrange(0.5, 1.5, 3)`` is ``0.5, 1.0, 1.5``; ``cast_int=True`` rounds to ints.
    """

    kind: ClassVar[str] = "finrange"
    lower: float
    upper: float
    size: int
    cast_int: bool = False

    def __post_init__(self) -> None:
        _check_number(self.kind, "lower", self.lower)
        _check_number(self.kind, "upper", self.upper)
        _check_order(self, "lower", "upper")
        if not _is_int(self.size) or self.size < 2:
            raise SearchSpaceError(
                f"{self.kind}: size must be an int >= 2 (both bounds are values), got size={self.size!r}."
            )
        if not isinstance(self.cast_int, bool):
            raise SearchSpaceError(f"{self.kind}: cast_int must be True or False, got {self.cast_int!r}.")
        values = self.grid_values()
        if self.cast_int and len({values[i] for i in range(len(values))}) < self.size:
            raise SearchSpaceError(
                f"{self!r}: with cast_int=True the {self.size} values are not distinct ints, got "
                f"{list(values)}; lower size or set cast_int=False."
            )

    def _scale(self, x: float) -> float:
        return float(x)

    def _unscale(self, x: float) -> float:
        return float(x)

    def _value(self, i: int) -> Any:
        lo, hi = self._scale(self.lower), self._scale(self.upper)
        x = self._unscale(lo + i * (hi - lo) / (self.size - 1))
        x = float(self.upper) if i == self.size - 1 else float(self.lower) if i == 0 else _snap(x)
        return round(x) if self.cast_int else x

    def grid_values(self) -> GridValues:
        return GridValues(int(self.size), self._value)

    @property
    def is_integer(self) -> bool:
        return self.cast_int

    def args(self) -> list[Any]:
        return [_plain(self.lower), _plain(self.upper), int(self.size), self.cast_int]


@dataclasses.dataclass(frozen=True, repr=False)
class LogFinRange(FinRange):
    """``size`` values from ``lower`` to ``upper`` equally spaced on a log scale, drawn uniformly.

    ``logfinrange(8, 256, 6, cast_int=True)`` is ``8, 16, 32, 64, 128, 256``.
    """

    kind: ClassVar[str] = "logfinrange"

    def __post_init__(self) -> None:
        _check_number(self.kind, "lower", self.lower)
        if self.lower <= 0:
            raise SearchSpaceError(
                f"{self.kind}: lower must be > 0 (a log scale), got lower={self.lower!r}; "
                "use finrange(...) for a range that includes 0 or negative values."
            )
        super().__post_init__()

    def _scale(self, x: float) -> float:
        return math.log(x)

    def _unscale(self, x: float) -> float:
        return math.exp(min(x, _MAX_EXPONENT))  # a float64 cap, not an error, for huge sigma

    @property
    def is_log(self) -> bool:
        return True


# --------------------------------------------------------------------------- v1 factory functions


def log_uniform(lower: float, upper: float) -> LogScaleUniform:
    """A real value in ``[lower, upper]`` with a uniform logarithm (natural bounds, e.g. 1e-5, 1e-1).

    >>> log_uniform(1e-5, 1e-1).bounds
    (1e-05, 0.1)
    """
    return LogScaleUniform(lower, upper)


def log_randint(lower: int, upper: int) -> LogScaleRandint:
    """An int in ``[lower, upper]`` (inclusive) on a log scale, e.g. ``log_randint(8, 512)``.

    >>> log_randint(8, 512).from_unit(0.5)  # the median, near the geometric mean 64
    62
    """
    return LogScaleRandint(lower, upper)


def intrange(lower: int, upper: int) -> IntRange:
    """A uniform int in ``[lower, upper]``, both inclusive (unlike ``randint(upper)``).

    >>> list(intrange(1, 4).grid_values())
    [1, 2, 3, 4]
    """
    return IntRange(lower, upper)


def finrange(lower: float, upper: float, size: int, cast_int: bool = False) -> FinRange:
    """``size`` equally spaced values from ``lower`` to ``upper`` (both included).

    >>> list(finrange(0, 1, 5).grid_values())
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    return FinRange(lower, upper, size, cast_int)


def logfinrange(lower: float, upper: float, size: int, cast_int: bool = False) -> LogFinRange:
    """``size`` values from ``lower`` to ``upper`` equally spaced on a log scale.

    >>> list(logfinrange(1, 100, 3, cast_int=True).grid_values())
    [1, 10, 100]
    """
    return LogFinRange(lower, upper, size, cast_int)
