"""Search-space expressions (HyperDrive's ten, plus natural-bound types) and ``SearchSpace``.

Every expression can ``sample`` from its law, map a point of the unit interval
to a value (``from_unit``, the inverse CDF used by Sobol and model-based
samplers) and back (``to_unit``), list its finite support (``grid_values``)
and serialise itself to plain JSON (``to_json``), as Azure does:
``["uniform", [0.05, 0.1]]``.
"""

from __future__ import annotations

import abc
import dataclasses
import json
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from scipy.special import ndtr, ndtri

from hyperwidget.errors import HyperwidgetWarning, SearchSpaceError

_EPS = 1e-12


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _check_number(kind: str, name: str, value: Any) -> float:
    if not _is_number(value) or not math.isfinite(float(value)):
        raise SearchSpaceError(f"{kind}: {name} must be a finite number, got {value!r}.")
    return value


def _check_q(kind: str, q: Any) -> None:
    _check_number(kind, "q", q)
    if q <= 0:
        raise SearchSpaceError(f"{kind}: q must be > 0, got q={q!r}; q is the rounding step.")


def _quantize(value: float, q: float, as_int: bool) -> Any:
    # np.round is round-half-to-even, as in hyperopt (HyperDrive's reference implementation).
    rounded = float(np.round(value / q) * q)
    return int(rounded) if as_int else rounded


def _plain(value: Any) -> Any:
    """Numpy scalars to Python scalars, so values are JSON data."""
    return value.item() if isinstance(value, np.generic) else value


class Expression(abc.ABC):
    """A hyperparameter's distribution. Subclasses are frozen dataclasses."""

    kind: ClassVar[str]

    @abc.abstractmethod
    def from_unit(self, u: float) -> Any:
        """The value at quantile ``u`` in [0, 1] (inverse CDF)."""

    @abc.abstractmethod
    def to_unit(self, value: Any) -> float:
        """The quantile in [0, 1] of ``value`` (inverse of ``from_unit``)."""

    @abc.abstractmethod
    def args(self) -> list[Any]:
        """The arguments, in declaration order, as plain data."""

    def sample(self, rng: np.random.Generator) -> Any:
        """Draw one value."""
        return self.from_unit(float(rng.random()))

    def grid_values(self) -> list[Any] | None:
        """The finite support in a stable order, or ``None`` for an infinite one."""
        return None

    @property
    def is_categorical(self) -> bool:
        """True for unordered choices."""
        return False

    @property
    def is_integer(self) -> bool:
        """True when every value is an integer (or a rounded float)."""
        return False

    @property
    def is_log(self) -> bool:
        """True when the natural scale of the value is logarithmic."""
        return False

    def to_json(self) -> list[Any]:
        """Azure's serialisation: ``[kind, [args...]]``."""
        return [self.kind, self.args()]

    def __repr__(self) -> str:
        return f"{self.kind}({', '.join(repr(a) for a in self.args())})"


@dataclasses.dataclass(frozen=True, repr=False)
class Choice(Expression):
    """One of a discrete set: ``choice(16, 32, 64)``, ``choice([...])`` or ``choice(range(...))``."""

    kind: ClassVar[str] = "choice"
    options: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not self.options:
            raise SearchSpaceError("choice: needs at least one option, got none; e.g. choice(16, 32, 64).")
        for option in self.options:
            try:
                json.dumps(option)
            except (TypeError, ValueError):
                raise SearchSpaceError(
                    f"choice: option {option!r} is not plain data (number, string, bool, None, "
                    "list or dict); store a name or an index instead and look the object up in the trial."
                ) from None

    def from_unit(self, u: float) -> Any:
        n = len(self.options)
        return self.options[min(int(u * n), n - 1)]

    def to_unit(self, value: Any) -> float:
        return (self.options.index(value) + 0.5) / len(self.options)

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]

    def grid_values(self) -> list[Any]:
        return list(self.options)

    @property
    def is_categorical(self) -> bool:
        return True

    def args(self) -> list[Any]:
        return [list(self.options)]


@dataclasses.dataclass(frozen=True, repr=False)
class Randint(Expression):
    """A random integer in ``[0, upper)``, with no order assumed between values (e.g. seeds)."""

    kind: ClassVar[str] = "randint"
    upper: int

    def __post_init__(self) -> None:
        if not isinstance(self.upper, (int, np.integer)) or isinstance(self.upper, bool) or self.upper < 1:
            raise SearchSpaceError(
                f"randint: upper must be a positive int, got upper={self.upper!r}; "
                "randint(upper) samples from [0, upper)."
            )

    def from_unit(self, u: float) -> int:
        return min(int(u * self.upper), int(self.upper) - 1)

    def to_unit(self, value: Any) -> float:
        return (int(value) + 0.5) / self.upper

    def grid_values(self) -> list[int]:
        return list(range(int(self.upper)))

    @property
    def is_categorical(self) -> bool:
        return True

    @property
    def is_integer(self) -> bool:
        return True

    def args(self) -> list[Any]:
        return [int(self.upper)]


@dataclasses.dataclass(frozen=True, repr=False)
class Uniform(Expression):
    """A real value uniformly distributed in ``[min_value, max_value]``."""

    kind: ClassVar[str] = "uniform"
    min_value: float
    max_value: float

    def __post_init__(self) -> None:
        _check_number(self.kind, "min_value", self.min_value)
        _check_number(self.kind, "max_value", self.max_value)
        if not self.min_value < self.max_value:
            raise SearchSpaceError(
                f"{self!r}: min_value must be < max_value, got min_value={self.min_value!r}, "
                f"max_value={self.max_value!r}; swap the bounds, or use choice({self.min_value!r}) for a constant."
            )

    def from_unit(self, u: float) -> float:
        return float(self.min_value + u * (self.max_value - self.min_value))

    def to_unit(self, value: Any) -> float:
        return float(np.clip((float(value) - self.min_value) / (self.max_value - self.min_value), 0.0, 1.0))

    def args(self) -> list[Any]:
        return [_plain(self.min_value), _plain(self.max_value)]


@dataclasses.dataclass(frozen=True, repr=False)
class QUniform(Uniform):
    """``round(uniform(min_value, max_value) / q) * q``; ints when all three arguments are ints."""

    kind: ClassVar[str] = "quniform"
    q: float = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_q(self.kind, self.q)

    @property
    def _as_int(self) -> bool:
        return all(isinstance(v, (int, np.integer)) for v in (self.min_value, self.max_value, self.q))

    def from_unit(self, u: float) -> Any:
        return _quantize(super().from_unit(u), self.q, self._as_int)

    def grid_values(self) -> list[Any]:
        lo, hi = (np.round(np.array([self.min_value, self.max_value]) / self.q)).astype(int)
        return [_quantize(k * self.q, self.q, self._as_int) for k in range(lo, hi + 1)]

    @property
    def is_integer(self) -> bool:
        return self._as_int

    def args(self) -> list[Any]:
        return [*super().args(), _plain(self.q)]


@dataclasses.dataclass(frozen=True, repr=False)
class LogUniform(Expression):
    """``exp(uniform(min_value, max_value))``: the bounds are *exponents* (HyperDrive's meaning).

    ``loguniform(-4.6, 0)`` samples in ``[exp(-4.6), 1] ~ [0.01, 1]``. For natural
    bounds use :func:`log_uniform`.
    """

    kind: ClassVar[str] = "loguniform"
    min_value: float
    max_value: float

    def __post_init__(self) -> None:
        _check_number(self.kind, "min_value", self.min_value)
        _check_number(self.kind, "max_value", self.max_value)
        if self.min_value > self.max_value:
            raise SearchSpaceError(
                f"{self!r}: min_value must be <= max_value, got min_value={self.min_value!r}, "
                f"max_value={self.max_value!r}; swap the bounds."
            )
        if self.min_value > 0 and self.max_value / self.min_value >= 100:
            lo, hi = math.exp(self.min_value), math.exp(self.max_value)
            warnings.warn(
                f"{self!r} takes exponents, as in HyperDrive: it samples exp(uniform({self.min_value!r}, "
                f"{self.max_value!r})), i.e. values in [{lo:.6g}, {hi:.6g}]. For values between "
                f"{self.min_value!r} and {self.max_value!r} write log_uniform({self.min_value!r}, "
                f"{self.max_value!r}) or loguniform(math.log({self.min_value!r}), math.log({self.max_value!r})).",
                HyperwidgetWarning,
                stacklevel=3,
            )

    def from_unit(self, u: float) -> float:
        return float(math.exp(self.min_value + u * (self.max_value - self.min_value)))

    def to_unit(self, value: Any) -> float:
        span = self.max_value - self.min_value
        if span == 0:
            return 0.5
        return float(np.clip((math.log(float(value)) - self.min_value) / span, 0.0, 1.0))

    @property
    def is_log(self) -> bool:
        return True

    def args(self) -> list[Any]:
        return [_plain(self.min_value), _plain(self.max_value)]


@dataclasses.dataclass(frozen=True, repr=False)
class QLogUniform(LogUniform):
    """``round(exp(uniform(min_value, max_value)) / q) * q``; ints when ``q`` is an int."""

    kind: ClassVar[str] = "qloguniform"
    q: float = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_q(self.kind, self.q)

    def from_unit(self, u: float) -> Any:
        return _quantize(super().from_unit(u), self.q, isinstance(self.q, (int, np.integer)))

    def to_unit(self, value: Any) -> float:
        return super().to_unit(max(float(value), math.exp(self.min_value)))

    @property
    def is_integer(self) -> bool:
        return isinstance(self.q, (int, np.integer))

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

    def from_unit(self, u: float) -> Any:
        return self._normal(u)

    def to_unit(self, value: Any) -> float:
        return float(ndtr((float(value) - self.mu) / self.sigma))

    def sample(self, rng: np.random.Generator) -> Any:
        return self._finish(float(rng.normal(self.mu, self.sigma)))

    def _finish(self, x: float) -> Any:
        return x

    def args(self) -> list[Any]:
        return [_plain(self.mu), _plain(self.sigma)]


@dataclasses.dataclass(frozen=True, repr=False)
class QNormal(Normal):
    """``round(normal(mu, sigma) / q) * q``; ints when ``q`` is an int."""

    kind: ClassVar[str] = "qnormal"
    q: float = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_q(self.kind, self.q)

    def from_unit(self, u: float) -> Any:
        return self._finish(self._normal(u))

    def _finish(self, x: float) -> Any:
        return _quantize(x, self.q, isinstance(self.q, (int, np.integer)))

    @property
    def is_integer(self) -> bool:
        return isinstance(self.q, (int, np.integer))

    def args(self) -> list[Any]:
        return [*super().args(), _plain(self.q)]


@dataclasses.dataclass(frozen=True, repr=False)
class LogNormal(Normal):
    """``exp(normal(mu, sigma))``: positive, with a normally distributed logarithm."""

    kind: ClassVar[str] = "lognormal"

    def from_unit(self, u: float) -> Any:
        return self._finish(math.exp(self._normal(u)))

    def to_unit(self, value: Any) -> float:
        return float(ndtr((math.log(max(float(value), 1e-300)) - self.mu) / self.sigma))

    def sample(self, rng: np.random.Generator) -> Any:
        return self._finish(math.exp(float(rng.normal(self.mu, self.sigma))))

    @property
    def is_log(self) -> bool:
        return True


@dataclasses.dataclass(frozen=True, repr=False)
class QLogNormal(LogNormal):
    """``round(exp(normal(mu, sigma)) / q) * q``; ints when ``q`` is an int."""

    kind: ClassVar[str] = "qlognormal"
    q: float = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_q(self.kind, self.q)

    def _finish(self, x: float) -> Any:
        return _quantize(x, self.q, isinstance(self.q, (int, np.integer)))

    def to_unit(self, value: Any) -> float:
        return super().to_unit(max(float(value), self.q / 2))

    @property
    def is_integer(self) -> bool:
        return isinstance(self.q, (int, np.integer))

    def args(self) -> list[Any]:
        return [*super().args(), _plain(self.q)]


def choice(*options: Any) -> Choice:
    """One of ``options``: ``choice(16, 32, 64)``, ``choice([16, 32, 64])`` or ``choice(range(1, 10))``."""
    if len(options) == 1 and isinstance(options[0], (list, tuple, range)):
        options = tuple(options[0])
    elif any(isinstance(o, range) for o in options):
        raise SearchSpaceError("choice: a range must be the only argument, e.g. choice(range(1, 10)).")
    return Choice(tuple(_plain(o) for o in options))


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
    """``exp(uniform(min_value, max_value))``: the bounds are exponents."""
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


_FACTORIES = {
    "choice": lambda args: Choice(tuple(args[0])),
    "randint": lambda args: Randint(*args),
    "uniform": lambda args: Uniform(*args),
    "quniform": lambda args: QUniform(*args),
    "loguniform": lambda args: LogUniform(*args),
    "qloguniform": lambda args: QLogUniform(*args),
    "normal": lambda args: Normal(*args),
    "qnormal": lambda args: QNormal(*args),
    "lognormal": lambda args: LogNormal(*args),
    "qlognormal": lambda args: QLogNormal(*args),
}


def expression_from_json(data: Sequence[Any]) -> Expression:
    """Rebuild an expression from its ``to_json`` form (plain data; runs no code)."""
    kind, args = data[0], list(data[1])
    if kind not in _FACTORIES:
        raise SearchSpaceError(f"unknown expression kind {kind!r}; known: {', '.join(sorted(_FACTORIES))}.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HyperwidgetWarning)
        return _FACTORIES[kind](args)


def register_expression(kind: str, factory: Any) -> None:
    """Let :func:`expression_from_json` rebuild an expression of ``kind`` from its args list."""
    _FACTORIES[kind] = factory


class SearchSpace(Mapping[str, Any]):
    """A validated mapping from hyperparameter names to expressions or constants.

    Constants (plain data) are passed through unchanged to every trial, as in
    Syne Tune's config spaces. Names keep their spelling, including HyperDrive's
    ``'--batch_size'`` style.
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
        for name, value in space.items():
            if not isinstance(name, str) or not name.strip("-"):
                raise SearchSpaceError(f"hyperparameter names must be non-empty strings, got {name!r}.")
            if not isinstance(value, Expression):
                try:
                    json.dumps(value)
                except (TypeError, ValueError):
                    raise SearchSpaceError(
                        f"hyperparameter {name!r}: {value!r} is neither an expression (choice, uniform, ...) "
                        "nor plain data; wrap the options in choice(...)."
                    ) from None
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
        """The configuration at ``point`` of the unit cube (one coordinate per expression)."""
        return self._assemble([e.from_unit(float(u)) for e, u in zip(self.expressions, point)])

    def to_unit(self, params: Mapping[str, Any]) -> np.ndarray:
        """The unit-cube point of a configuration (inverse of ``from_unit``)."""
        return np.array([e.to_unit(params[n]) for n, e in zip(self.names, self.expressions)], dtype=float)

    def _assemble(self, values: list[Any]) -> dict[str, Any]:
        params = {n: (_plain(v)) for n, v in zip(self.names, values)}
        out = {}
        for name, value in self._items.items():
            out[name] = params[name] if name in params else value
        return out

    def to_json(self) -> dict[str, Any]:
        """Plain data: ``{name: [kind, args]}`` for expressions, ``{name: {"constant": v}}`` otherwise."""
        return {
            n: (v.to_json() if isinstance(v, Expression) else {"constant": v}) for n, v in self._items.items()
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SearchSpace:
        """Rebuild a space from ``to_json`` output."""
        return cls(
            {n: (v["constant"] if isinstance(v, dict) else expression_from_json(v)) for n, v in data.items()}
        )
