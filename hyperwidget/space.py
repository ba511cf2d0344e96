"""Search-space expressions (HyperDrive's ten, plus natural-bound types) and ``SearchSpace``.

Every expression can ``sample`` from its law, map a point of the unit interval
to a value (``from_unit``, the inverse CDF used by Sobol and model-based
samplers) and back (``to_unit``), report its ``bounds`` and ``value_type``,
list its finite support (``grid_values``) and serialise itself to plain JSON
(``to_json``), as Azure does: ``["uniform", [0.05, 0.1]]``.

Three spellings build the same objects:

* HyperDrive v1 functions: ``choice(16, 32)``, ``uniform(0.05, 0.1)``,
  ``loguniform(-9, -2)`` ... (the ten of ``azureml.train.hyperdrive``);
* Azure ML v2 classes, which *are* the expression classes, with keyword
  arguments: ``Choice(values=[16, 32])``, ``Randint(upper=10)``,
  ``Uniform(min_value=0.05, max_value=0.1)``, ``QUniform(min_value=0,
  max_value=10, q=2)``, ``LogUniform``, ``QLogUniform``, ``Normal(mu=0,
  sigma=1)``, ``QNormal``, ``LogNormal``, ``QLogNormal``;
* natural-bound types in the style of Syne Tune (the d2l chapter), under names
  that cannot be mistaken for HyperDrive's exponent-bounded ``loguniform``:
  ``log_uniform(1e-5, 1e-1)``, ``log_randint(8, 512)``, ``intrange(1, 6)``,
  ``finrange(0.1, 0.5, 5)`` and ``logfinrange(8, 256, 6)``.

Validation happens at declaration and raises :class:`SearchSpaceError` naming
the expression, the argument, the value given and the fix. Hyperwidget is
stricter than Azure's SDK on two points, on purpose: every range needs
``min < max`` (Azure allows ``loguniform(a, a)``) and ``sigma > 0`` (Azure
allows 0); a degenerate range is a constant, written ``choice(a)``. It is more
lenient on one: ``q`` may be any positive number (Azure wants an integral one).
Quantised values use ``numpy.round`` (round half to even), as hyperopt does;
for the bounded ``quniform`` / ``qloguniform`` a bound that rounds to a value of
probability 0 (``quniform(0.5, 3.5, 1)`` at exactly 0.5) is kept in the support,
so ``bounds`` and ``grid_values`` list every value ``from_unit`` can return.
"""

from __future__ import annotations

import abc
import dataclasses
import json
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from scipy.special import ndtr, ndtri

from hyperwidget.errors import HyperwidgetWarning, SearchSpaceError

_EPS = 1e-12
_MAX_EXPONENT = 709.0  # exp(709.8) overflows a float64
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


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
    frame, level = sys._getframe(1), 1
    while frame is not None:
        name = frame.f_code.co_filename
        if not (name.startswith(_PACKAGE_DIR) or name == "<string>"):  # "<string>": dataclass __init__
            return level
        frame, level = frame.f_back, level + 1
    return level


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
        return len(other) == len(self) and all(a == b for a, b in zip(self, other))

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
        return f"{self.kind}({', '.join(f'{n}={a!r}' for n, a in zip(fields, self.args()))})"


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


# --------------------------------------------------------------------------- HyperDrive's ten


@dataclasses.dataclass(frozen=True, repr=False)
class Choice(Expression):
    """One of a discrete set: ``choice(16, 32, 64)`` or v2's ``Choice(values=[16, 32, 64])``.

    Options must be plain data (they are stored as JSON). A repeated option is
    drawn more often by random sampling, but is one grid point.
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
        for option in self.values:
            _check_plain(
                "choice", option, "store a name or an index instead and look the object up in the trial."
            )

    @property
    def options(self) -> tuple[Any, ...]:
        """The options, in declaration order (same as ``values``)."""
        return self.values

    def from_unit(self, u: float) -> Any:
        return self.values[_index(u, len(self.values))]

    def to_unit(self, value: Any) -> float:
        keys = [_key(v) for v in self.values]
        if _key(value) not in keys:
            raise SearchSpaceError(f"{self!r}: {value!r} is not one of the options.")
        return (keys.index(_key(value)) + 0.5) / len(self.values)

    def sample(self, rng: np.random.Generator) -> Any:
        return self.values[_index(float(rng.random()), len(self.values))]

    def grid_values(self) -> list[Any]:
        distinct: dict[str, Any] = {}
        for option in self.values:
            distinct.setdefault(_key(option), option)
        return list(distinct.values())

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


@dataclasses.dataclass(frozen=True, repr=False)
class Normal(Expression):
    """A real value drawn from N(mu, sigma); unbounded."""

    kind: ClassVar[str] = "normal"
    mu: float
    sigma: float

    def __post_init__(self) -> None:
        _check_number(self.kind, "mu", self.mu)
        _check_number(self.kind, "sigma", self.sigma)
        if self.sigma <= 0:
            raise SearchSpaceError(
                f"{self!r}: sigma must be > 0, got sigma={self.sigma!r}; "
                f"for a constant use choice({self.mu!r})."
            )

    def _normal(self, u: float) -> float:
        return float(self.mu + self.sigma * ndtri(min(max(u, _EPS), 1 - _EPS)))

    def _finish(self, x: float) -> Any:
        """Turn a normal draw into a value (exp and/or rounding in subclasses)."""
        return x

    def from_unit(self, u: float) -> Any:
        return self._finish(self._normal(u))

    def to_unit(self, value: Any) -> float:
        return float(ndtr((float(value) - self.mu) / self.sigma))

    def sample(self, rng: np.random.Generator) -> Any:
        return self._finish(float(rng.normal(self.mu, self.sigma)))

    @property
    def bounds(self) -> tuple[float, float]:
        return -math.inf, math.inf

    def args(self) -> list[Any]:
        return [_plain(self.mu), _plain(self.sigma)]


@dataclasses.dataclass(frozen=True, repr=False)
class QNormal(Normal):
    """``round(normal(mu, sigma) / q) * q``; ints when ``q`` is an int."""

    kind: ClassVar[str] = "qnormal"
    q: float

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_q(self.kind, self.q)

    def _finish(self, x: float) -> Any:
        return _quantize(x, self.q, self.is_integer)

    @property
    def is_integer(self) -> bool:
        return _is_int(self.q)

    def args(self) -> list[Any]:
        return [*super().args(), _plain(self.q)]


@dataclasses.dataclass(frozen=True, repr=False)
class LogNormal(Normal):
    """``exp(normal(mu, sigma))``: positive, with a normally distributed logarithm."""

    kind: ClassVar[str] = "lognormal"

    def _finish(self, x: float) -> Any:
        return math.exp(min(x, _MAX_EXPONENT))  # a float64 cap, not an error, for huge sigma

    def to_unit(self, value: Any) -> float:
        return super().to_unit(math.log(max(float(value), 1e-300)))

    @property
    def bounds(self) -> tuple[float, float]:
        return 0.0, math.inf

    @property
    def is_log(self) -> bool:
        return True


@dataclasses.dataclass(frozen=True, repr=False)
class QLogNormal(LogNormal):
    """``round(exp(normal(mu, sigma)) / q) * q``; ints when ``q`` is an int."""

    kind: ClassVar[str] = "qlognormal"
    q: float

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_q(self.kind, self.q)

    def _finish(self, x: float) -> Any:
        return _quantize(math.exp(min(x, _MAX_EXPONENT)), self.q, self.is_integer)

    def to_unit(self, value: Any) -> float:
        # The value 0 stands for exp(.) in (0, q/2): map it inside that cell.
        return super().to_unit(max(float(value), self.q / 4))

    @property
    def is_integer(self) -> bool:
        return _is_int(self.q)

    def args(self) -> list[Any]:
        return [*super().args(), _plain(self.q)]


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


def choice(*options: Any) -> Choice:
    """One of ``options``: ``choice(16, 32, 64)``, ``choice([16, 32, 64])`` or ``choice(range(1, 10))``."""
    if len(options) == 1 and isinstance(options[0], (list, tuple, range, np.ndarray)):
        return Choice(options[0] if isinstance(options[0], np.ndarray) else tuple(options[0]))
    if any(isinstance(o, range) for o in options):
        raise SearchSpaceError("choice: a range must be the only argument, e.g. choice(range(1, 10)).")
    return Choice(tuple(options))


def randint(upper: int) -> Randint:
    """A random integer in ``[0, upper)``."""
    return Randint(upper)


def uniform(min_value: float, max_value: float) -> Uniform:
    """A real value uniformly distributed in ``[min_value, max_value]``."""
    return Uniform(min_value, max_value)


def quniform(min_value: float, max_value: float, q: float) -> QUniform:
    """``round(uniform(min_value, max_value) / q) * q``."""
    return QUniform(min_value, max_value, q)


def loguniform(min_value: float, max_value: float) -> LogUniform:
    """``exp(uniform(min_value, max_value))``: the bounds are exponents (see :func:`log_uniform`)."""
    return LogUniform(min_value, max_value)


def qloguniform(min_value: float, max_value: float, q: float) -> QLogUniform:
    """``round(exp(uniform(min_value, max_value)) / q) * q``."""
    return QLogUniform(min_value, max_value, q)


def normal(mu: float, sigma: float) -> Normal:
    """A real value drawn from N(mu, sigma)."""
    return Normal(mu, sigma)


def qnormal(mu: float, sigma: float, q: float) -> QNormal:
    """``round(normal(mu, sigma) / q) * q``."""
    return QNormal(mu, sigma, q)


def lognormal(mu: float, sigma: float) -> LogNormal:
    """``exp(normal(mu, sigma))``."""
    return LogNormal(mu, sigma)


def qlognormal(mu: float, sigma: float, q: float) -> QLogNormal:
    """``round(exp(normal(mu, sigma)) / q) * q``."""
    return QLogNormal(mu, sigma, q)


def log_uniform(lower: float, upper: float) -> LogScaleUniform:
    """A real value in ``[lower, upper]`` with a uniform logarithm (natural bounds, e.g. 1e-5, 1e-1)."""
    return LogScaleUniform(lower, upper)


def log_randint(lower: int, upper: int) -> LogScaleRandint:
    """An int in ``[lower, upper]`` (inclusive) on a log scale, e.g. ``log_randint(8, 512)``."""
    return LogScaleRandint(lower, upper)


def intrange(lower: int, upper: int) -> IntRange:
    """A uniform int in ``[lower, upper]``, both inclusive (unlike ``randint(upper)``)."""
    return IntRange(lower, upper)


def finrange(lower: float, upper: float, size: int, cast_int: bool = False) -> FinRange:
    """``size`` equally spaced values from ``lower`` to ``upper`` (both included)."""
    return FinRange(lower, upper, size, cast_int)


def logfinrange(lower: float, upper: float, size: int, cast_int: bool = False) -> LogFinRange:
    """``size`` values from ``lower`` to ``upper`` equally spaced on a log scale."""
    return LogFinRange(lower, upper, size, cast_int)


# --------------------------------------------------------------------------- JSON


def _key(value: Any) -> str:
    """A canonical text of a plain value, for comparing values across storage round trips."""
    return json.dumps(value, sort_keys=True, default=_plain)


_FACTORIES: dict[str, Callable[[list[Any]], Expression]] = {
    "choice": lambda args: Choice(tuple(args[0])),
    **{
        cls.kind: (lambda c: lambda args: c(*args))(cls)
        for cls in (
            Randint,
            Uniform,
            QUniform,
            LogUniform,
            QLogUniform,
            Normal,
            QNormal,
            LogNormal,
            QLogNormal,
            LogScaleUniform,
            LogScaleRandint,
            IntRange,
            FinRange,
            LogFinRange,
        )
    },
}


def expression_from_json(data: Sequence[Any]) -> Expression:
    """Rebuild an expression from its ``to_json`` form (plain data; runs no code, never warns)."""
    if not isinstance(data, Sequence) or len(data) != 2 or not isinstance(data[1], Sequence):
        raise SearchSpaceError(f"an expression is stored as [kind, [args...]], got {data!r}.")
    kind, args = data[0], list(data[1])
    if kind not in _FACTORIES:
        raise SearchSpaceError(f"unknown expression kind {kind!r}; known: {', '.join(sorted(_FACTORIES))}.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HyperwidgetWarning)
        return _FACTORIES[kind](args)


def register_expression(kind: str, factory: Callable[[list[Any]], Expression]) -> None:
    """Let :func:`expression_from_json` rebuild an expression of ``kind`` from its args list."""
    _FACTORIES[kind] = factory


# --------------------------------------------------------------------------- SearchSpace


class SearchSpace(Mapping[str, Any]):
    """A validated mapping from hyperparameter names to expressions or constants.

    Constants (plain data) are passed through unchanged to every trial, as in
    Syne Tune's config spaces. Names keep their spelling, including HyperDrive's
    ``'--batch_size'`` style; two names equal once leading dashes are dropped are
    rejected, since the objective receives them as the same keyword.
    """

    def __init__(self, space: Mapping[str, Any]) -> None:
        if isinstance(space, SearchSpace):
            space = dict(space.items())
        if not isinstance(space, Mapping):
            raise SearchSpaceError(
                f"a search space must be a dict of name -> expression, got {type(space).__name__}; "
                "e.g. {'lr': loguniform(-9, -2), 'batch_size': choice(16, 32)}."
            )
        self._items: dict[str, Any] = {}
        keywords: dict[str, str] = {}
        for name, value in space.items():
            if not isinstance(name, str) or not name.strip("-"):
                raise SearchSpaceError(f"hyperparameter names must be non-empty strings, got {name!r}.")
            if name.lstrip("-") in keywords:
                raise SearchSpaceError(
                    f"hyperparameters {keywords[name.lstrip('-')]!r} and {name!r} are the same keyword "
                    f"{name.lstrip('-')!r} once leading dashes are dropped; keep one of them."
                )
            keywords[name.lstrip("-")] = name
            if not isinstance(value, Expression):
                _check_plain(
                    f"hyperparameter {name!r}",
                    value,
                    "wrap the options in choice(...) or pass a name and build the object in the trial.",
                )
            self._items[name] = value
        self.names: tuple[str, ...] = tuple(n for n, v in self._items.items() if isinstance(v, Expression))
        self.expressions: tuple[Expression, ...] = tuple(self._items[n] for n in self.names)

    def __getitem__(self, name: str) -> Any:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"SearchSpace({self._items!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and self.to_json() == SearchSpace(other).to_json()

    __hash__ = None  # type: ignore[assignment]

    @property
    def constants(self) -> dict[str, Any]:
        """The pass-through constant entries."""
        return {n: v for n, v in self._items.items() if not isinstance(v, Expression)}

    @property
    def dims(self) -> int:
        """The number of non-constant hyperparameters."""
        return len(self.names)

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """One configuration drawn from every expression's law."""
        return self._assemble([e.sample(rng) for e in self.expressions])

    def from_unit(self, point: Sequence[float]) -> dict[str, Any]:
        """The configuration at ``point`` of the unit cube (one coordinate per expression, space order)."""
        if len(point) != self.dims:
            raise SearchSpaceError(
                f"from_unit: expected a point with {self.dims} coordinates, got {len(point)}."
            )
        return self._assemble([e.from_unit(float(u)) for e, u in zip(self.expressions, point)])

    def to_unit(self, params: Mapping[str, Any]) -> np.ndarray:
        """The unit-cube point of a configuration (``from_unit`` maps it back to ``params``)."""
        missing = [n for n in self.names if n not in params]
        if missing:
            raise SearchSpaceError(
                f"to_unit: the configuration has no value for {', '.join(map(repr, missing))}."
            )
        return np.array([e.to_unit(params[n]) for n, e in zip(self.names, self.expressions)], dtype=float)

    def _assemble(self, values: list[Any]) -> dict[str, Any]:
        params = dict(zip(self.names, (_plain(v) for v in values)))
        return {name: params.get(name, value) for name, value in self._items.items()}

    def to_json(self) -> dict[str, Any]:
        """Plain data: ``{name: [kind, args]}`` for expressions, ``{name: {"constant": v}}`` otherwise."""
        return {
            n: (v.to_json() if isinstance(v, Expression) else {"constant": v}) for n, v in self._items.items()
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SearchSpace:
        """Rebuild a space from ``to_json`` output; an error names the hyperparameter."""
        items: dict[str, Any] = {}
        for name, value in data.items():
            if isinstance(value, Mapping):
                items[name] = value["constant"]
                continue
            try:
                items[name] = expression_from_json(value)
            except (SearchSpaceError, TypeError) as error:
                raise SearchSpaceError(f"hyperparameter {name!r}: {error}") from error
        return cls(items)
