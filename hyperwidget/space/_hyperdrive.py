"""HyperDrive's bounded expressions: ``choice``, ``randint``, ``uniform``, ``quniform``, ``loguniform`` and
``qloguniform``.

Each is a frozen dataclass (the Azure ML v2 spelling, ``Uniform(min_value=0.05,
max_value=0.1)``) with a v1 factory function beside it (``uniform(0.05, 0.1)``).
The four normal-law expressions of HyperDrive's ten live in :mod:`._gaussian`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from hyperwidget.errors import HyperwidgetWarning, SearchSpaceError
from hyperwidget.names import check_param_name
from hyperwidget.space._base import (
    _MAX_EXPONENT,
    _MIN_EXPONENT,
    Expression,
    GridValues,
    _check_number,
    _check_order,
    _check_plain,
    _check_q,
    _check_span,
    _check_steps,
    _Finite,
    _holds_expression,
    _index,
    _is_int,
    _key,
    _plain,
    _quantize,
    _step_range,
    _user_stacklevel,
    node_to_json,
)

# --------------------------------------------------------------------------- HyperDrive's bounded six


def _check_branches(options: tuple[Any, ...]) -> None:
    """Every option of a choice of branches is a non-empty dict of string keys and valid entries."""
    for i, option in enumerate(options):
        if not isinstance(option, Mapping):
            raise SearchSpaceError(
                f"choice: option {i} ({option!r}) is not a dict, but other options are branches (dicts holding "
                "expressions); make every option a dict, e.g. {'kind': " + repr(option) + "}."
            )
        _check_branch_entries(f"choice option {i}", option)


def _check_branch_entries(where: str, mapping: Mapping[Any, Any]) -> None:
    if not mapping:
        raise SearchSpaceError(
            f"{where}: an empty dict declares no parameter; give it a key, e.g. {{'kind': 'none'}}, or drop it."
        )
    for key, value in mapping.items():
        if not isinstance(key, str):
            raise SearchSpaceError(
                f"{where}: key {key!r} is a {type(key).__name__}; hyperparameter names are strings, e.g. {str(key)!r}."
            )
        check_param_name(key)
        if isinstance(value, Mapping) and _holds_expression(value):
            _check_branch_entries(f"{where}, group {key!r}", value)
        elif not isinstance(value, Expression):
            _check_plain(f"{where}, key {key!r}", value, "wrap the options in choice(...).")


@dataclasses.dataclass(frozen=True, repr=False)
class Choice(Expression):
    """One of a discrete set: ``choice(16, 32, 64)`` or v2's ``Choice(values=[16, 32, 64])``.

    Options must be plain data (they are stored as JSON). A repeated option is
    drawn more often by random sampling, but is one grid point.

    A choice among dicts that hold expressions is a choice of **branches** (a
    conditional space): the trial receives the chosen dict with its expressions
    sampled, and the other branches' parameters are absent. Every option must then
    be a non-empty dict with string keys (a plain option such as ``"none"`` is
    written as a branch, ``{"kind": "none"}``); values may be expressions,
    constants, nested dicts (groups) and further choices of branches. A choice
    of plain dicts (no expression inside) stays a plain choice.

    Examples
    --------
    >>> svm = choice({"kernel": "rbf", "gamma": loguniform(-9, 0)}, {"kernel": "linear"})
    >>> svm.is_branching, len(svm.options)
    (True, 2)
    >>> choice({"kernel": "rbf"}, {"kernel": "linear"}).is_branching  # plain dicts: a plain choice
    False
    """

    kind: ClassVar[str] = "choice"
    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        if isinstance(self.values, np.ndarray):
            object.__setattr__(self, "values", tuple(self.values.tolist()))
        if isinstance(self.values, (list, range)):
            object.__setattr__(self, "values", tuple(self.values))
        if not isinstance(self.values, tuple):
            raise SearchSpaceError(
                f"Choice: values must be a list of options, got values={self.values!r}; "
                "e.g. Choice(values=[16, 32, 64]) or choice(16, 32, 64)."
            )
        if not self.values:
            raise SearchSpaceError("choice: needs at least one option, got none; e.g. choice(16, 32, 64).")
        object.__setattr__(self, "values", tuple(_plain(v) for v in self.values))
        if any(isinstance(o, Mapping) and _holds_expression(o) for o in self.values):
            _check_branches(self.values)
            return
        for option in self.values:
            _check_plain("choice", option, "store a name or an index instead and look the object up in the trial.")

    @property
    def is_branching(self) -> bool:
        """True for a choice of branches (dicts holding expressions): a conditional space."""
        return any(isinstance(o, Mapping) and _holds_expression(o) for o in self.values)

    @property
    def options(self) -> tuple[Any, ...]:
        """The options, in declaration order (same as ``values``)."""
        return self.values

    def from_unit(self, u: float) -> Any:
        return self.values[_index(u, len(self.values))]

    def to_unit(self, value: Any) -> float:
        keys = self._keys()
        if self._key_of(value) not in keys:
            raise SearchSpaceError(f"{self!r}: {value!r} is not one of the options.")
        return (keys.index(self._key_of(value)) + 0.5) / len(self.values)

    def sample(self, rng: np.random.Generator) -> Any:
        return self.values[_index(float(rng.random()), len(self.values))]

    def grid_values(self) -> list[Any]:
        """The distinct options (for a choice of branches: the distinct branch declarations)."""
        distinct: dict[str, Any] = {}
        for key, option in zip(self._keys(), self.values, strict=True):
            distinct.setdefault(key, option)
        return list(distinct.values())

    def _key_of(self, option: Any) -> str:
        return json.dumps(node_to_json(option), sort_keys=True) if self.is_branching else _key(option)

    def _keys(self) -> list[str]:
        return [self._key_of(option) for option in self.values]

    def to_json(self) -> list[Any]:
        """``["choice", [options]]``; a choice of branches is ``["branches", [[{key: node}, ...]]]``."""
        if self.is_branching:
            return ["branches", [[{k: node_to_json(v) for k, v in o.items()} for o in self.values]]]
        return super().to_json()

    @property
    def bounds(self) -> None:
        return None

    @property
    def is_categorical(self) -> bool:
        return True

    def args(self) -> list[Any]:
        return [list(self.values)]

    def __repr__(self) -> str:
        return f"choice({', '.join(repr(v) for v in self.values)})"


@dataclasses.dataclass(frozen=True, repr=False)
class Randint(_Finite):
    """A random integer in ``[0, upper)``, with no order assumed between values (e.g. seeds)."""

    kind: ClassVar[str] = "randint"
    upper: int

    def __post_init__(self) -> None:
        if not _is_int(self.upper) or self.upper < 1:
            raise SearchSpaceError(
                f"randint: upper must be a positive int, got upper={self.upper!r}; randint(upper) samples "
                "from [0, upper). For integers in [lower, upper] use intrange(lower, upper)."
            )
        object.__setattr__(self, "upper", int(self.upper))

    def grid_values(self) -> GridValues:
        return GridValues(self.upper, int)

    def _position(self, value: Any) -> int:
        return min(max(int(value), 0), self.upper - 1)

    @property
    def is_categorical(self) -> bool:
        return True

    @property
    def is_integer(self) -> bool:
        return True

    def args(self) -> list[Any]:
        return [self.upper]


@dataclasses.dataclass(frozen=True, repr=False)
class Uniform(Expression):
    """A real value uniformly distributed in ``[min_value, max_value]`` (both inclusive)."""

    kind: ClassVar[str] = "uniform"
    min_value: float
    max_value: float

    def __post_init__(self) -> None:
        _check_number(self.kind, "min_value", self.min_value)
        _check_number(self.kind, "max_value", self.max_value)
        _check_order(self, "min_value", "max_value")
        _check_span(self, "min_value", "max_value")

    def _uniform(self, u: float) -> float:
        return float(self.min_value + u * (self.max_value - self.min_value))

    def from_unit(self, u: float) -> Any:
        return self._uniform(u)

    def to_unit(self, value: Any) -> float:
        return float(np.clip((float(value) - self.min_value) / (self.max_value - self.min_value), 0.0, 1.0))

    @property
    def bounds(self) -> tuple[float, float]:
        return _plain(self.min_value), _plain(self.max_value)

    def args(self) -> list[Any]:
        return [_plain(self.min_value), _plain(self.max_value)]


@dataclasses.dataclass(frozen=True, repr=False)
class QUniform(Uniform):
    """``round(uniform(min_value, max_value) / q) * q``; ints when all three arguments are ints.

    Values can fall outside ``[min_value, max_value]`` when the bounds are not
    multiples of ``q`` (a consequence of the formula, as in HyperDrive).
    """

    kind: ClassVar[str] = "quniform"
    q: float

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_q(self.kind, self.q)
        _check_steps(self, self.min_value, self.max_value, self.q)

    @property
    def is_integer(self) -> bool:
        return all(_is_int(v) for v in (self.min_value, self.max_value, self.q))

    def from_unit(self, u: float) -> Any:
        steps = _step_range(self.min_value, self.max_value, self.q)
        return _quantize(self._uniform(u), self.q, self.is_integer, steps)

    def grid_values(self) -> GridValues:
        lo, hi = _step_range(self.min_value, self.max_value, self.q)
        return GridValues(hi - lo + 1, lambda i: _quantize((lo + i) * self.q, self.q, self.is_integer))

    @property
    def bounds(self) -> tuple[float, float]:
        values = self.grid_values()
        return values[0], values[-1]

    def args(self) -> list[Any]:
        return [*super().args(), _plain(self.q)]


@dataclasses.dataclass(frozen=True, repr=False)
class LogUniform(Expression):
    """``exp(uniform(min_value, max_value))``: the bounds are *exponents* (HyperDrive's meaning).

    ``loguniform(-4.6, 0)`` samples in ``[exp(-4.6), 1] ~ [0.01, 1]``. For natural
    bounds use :func:`log_uniform`; declaring ``loguniform(1e-5, 1e-1)`` (which
    samples in ``[1.00001, 1.105]``) warns with that fix.
    """

    kind: ClassVar[str] = "loguniform"
    min_value: float
    max_value: float

    def __post_init__(self) -> None:
        _check_number(self.kind, "min_value", self.min_value)
        _check_number(self.kind, "max_value", self.max_value)
        _check_order(self, "min_value", "max_value")
        if self.max_value > _MAX_EXPONENT:
            raise SearchSpaceError(
                f"{self!r}: exp(max_value) overflows, got max_value={self.max_value!r}; the bounds of "
                f"loguniform are exponents. For values up to {self.max_value!r} write "
                f"log_uniform(lower, {self.max_value!r})."
            )
        if self.min_value < _MIN_EXPONENT:
            raise SearchSpaceError(
                f"{self!r}: exp(min_value) underflows, got min_value={self.min_value!r} (exp of it is "
                f"{math.exp(self.min_value)!r}); the bounds of loguniform are exponents and min_value must be >= "
                f"{_MIN_EXPONENT:g}. For values from 1e-300 up write loguniform({math.log(1e-300):.6g}, ...)."
            )
        if self.min_value > 0 and self.max_value / self.min_value >= 10:
            self._warn_natural_bounds()

    def _warn_natural_bounds(self) -> None:
        lo, hi = self.min_value, self.max_value
        warnings.warn(
            f"{self!r} takes exponents, as in HyperDrive: it samples exp(uniform({lo!r}, {hi!r})), i.e. "
            f"values in [{math.exp(lo):.6g}, {math.exp(hi):.6g}]. For values between {lo!r} and {hi!r} "
            f"write log_uniform({lo!r}, {hi!r}), or loguniform({math.log(lo):.6g}, {math.log(hi):.6g}) "
            "(exponents). Silence with warnings.filterwarnings('ignore', category=HyperwidgetWarning).",
            HyperwidgetWarning,
            stacklevel=_user_stacklevel(),
        )

    def _loguniform(self, u: float) -> float:
        return math.exp(self.min_value + u * (self.max_value - self.min_value))

    def from_unit(self, u: float) -> Any:
        return self._loguniform(u)

    def to_unit(self, value: Any) -> float:
        log = math.log(max(float(value), 1e-300))
        return float(np.clip((log - self.min_value) / (self.max_value - self.min_value), 0.0, 1.0))

    @property
    def bounds(self) -> tuple[float, float]:
        return math.exp(self.min_value), math.exp(self.max_value)

    @property
    def is_log(self) -> bool:
        return True

    def args(self) -> list[Any]:
        return [_plain(self.min_value), _plain(self.max_value)]


@dataclasses.dataclass(frozen=True, repr=False)
class QLogUniform(LogUniform):
    """``round(exp(uniform(min_value, max_value)) / q) * q``; ints when ``q`` is an int."""

    kind: ClassVar[str] = "qloguniform"
    q: float

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_q(self.kind, self.q)
        _check_steps(self, math.exp(self.min_value), math.exp(self.max_value), self.q)

    @property
    def is_integer(self) -> bool:
        return _is_int(self.q)

    def from_unit(self, u: float) -> Any:
        steps = _step_range(math.exp(self.min_value), math.exp(self.max_value), self.q)
        return _quantize(self._loguniform(u), self.q, self.is_integer, steps)

    def to_unit(self, value: Any) -> float:
        # The value 0 stands for exp(.) in (0, q/2): map it inside that cell.
        return super().to_unit(max(float(value), min(self.q / 4, math.exp(self.min_value))))

    def grid_values(self) -> GridValues:
        lo, hi = _step_range(math.exp(self.min_value), math.exp(self.max_value), self.q)
        return GridValues(hi - lo + 1, lambda i: _quantize((lo + i) * self.q, self.q, self.is_integer))

    @property
    def bounds(self) -> tuple[float, float]:
        values = self.grid_values()
        return values[0], values[-1]

    def args(self) -> list[Any]:
        return [*super().args(), _plain(self.q)]


# --------------------------------------------------------------------------- v1 factory functions


def choice(*options: Any) -> Choice:
    """One of ``options``: ``choice(16, 32, 64)``, ``choice([16, 32, 64])`` or ``choice(range(1, 10))``.

    >>> choice(16, 32, 64).grid_values()
    [16, 32, 64]
    """
    if len(options) == 1 and isinstance(options[0], (list, tuple, range, np.ndarray)):
        return Choice(tuple(options[0].tolist()) if isinstance(options[0], np.ndarray) else tuple(options[0]))
    if any(isinstance(o, range) for o in options):
        raise SearchSpaceError("choice: a range must be the only argument, e.g. choice(range(1, 10)).")
    return Choice(tuple(options))


def randint(upper: int, *more: Any) -> Randint:
    """A random integer in ``[0, upper)``.

    >>> list(randint(3).grid_values())
    [0, 1, 2]

    Raises
    ------
    SearchSpaceError
        When given two bounds (Syne Tune's and Ray's ``randint(lower, upper)``),
        naming the spellings that take them.
    """
    if more:
        bounds = ", ".join(repr(v) for v in (upper, *more))
        raise SearchSpaceError(
            f"randint({bounds}): HyperDrive's randint(upper) takes one bound and draws from [0, upper). For an "
            f"integer between two bounds, both included, use intrange({bounds}), or Syne Tune's spelling: "
            "from hyperwidget.syne_tune import randint."
        )
    return Randint(upper)


def uniform(min_value: float, max_value: float) -> Uniform:
    """A real value uniformly distributed in ``[min_value, max_value]``.

    >>> uniform(0.0, 2.0).from_unit(0.25)  # the value at quantile 0.25
    0.5
    """
    return Uniform(min_value, max_value)


def quniform(min_value: float, max_value: float, q: float) -> QUniform:
    """``round(uniform(min_value, max_value) / q) * q``.

    >>> list(quniform(0, 10, 2.5).grid_values())
    [0.0, 2.5, 5.0, 7.5, 10.0]
    """
    return QUniform(min_value, max_value, q)


def loguniform(min_value: float, max_value: float) -> LogUniform:
    """``exp(uniform(min_value, max_value))``: the bounds are exponents (see :func:`log_uniform`).

    >>> [round(bound, 6) for bound in loguniform(-9, -2).bounds]  # exp(-9), exp(-2)
    [0.000123, 0.135335]
    """
    return LogUniform(min_value, max_value)


def qloguniform(min_value: float, max_value: float, q: float) -> QLogUniform:
    """``round(exp(uniform(min_value, max_value)) / q) * q``.

    >>> list(qloguniform(0, 3, 5).grid_values())  # multiples of 5 up to exp(3) = 20.1
    [0, 5, 10, 15, 20]
    """
    return QLogUniform(min_value, max_value, q)
