"""HyperDrive's normal-law expressions: ``normal``, ``qnormal``, ``lognormal``, ``qlognormal``.

One inheritance tree rooted at :class:`Normal`: subclasses only change how a
normal draw becomes a value (``_finish``: exp and/or rounding). Each class is
the Azure ML v2 spelling (``Normal(mu=0, sigma=1)``); its v1 factory function
(``normal(0, 1)``) sits at the end of the module.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import numpy as np
from scipy.special import ndtr, ndtri

from hyperwidget.errors import SearchSpaceError
from hyperwidget.space._base import (
    _EPS,
    _MAX_EXPONENT,
    Expression,
    _check_number,
    _check_q,
    _is_int,
    _plain,
    _quantize,
)

# --------------------------------------------------------------------------- HyperDrive's normal laws


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
                f"{self!r}: sigma must be > 0, got sigma={self.sigma!r}; for a constant use choice({self.mu!r})."
            )
        if not math.isfinite(abs(self.mu) + 40 * self.sigma):
            raise SearchSpaceError(
                f"{self!r}: sigma is too large, got sigma={self.sigma!r}: draws of mu +- a few sigma overflow a "
                "float and sample inf; use sigma below 4e306 (and a mu that leaves room for it)."
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


# --------------------------------------------------------------------------- v1 factory functions


def normal(mu: float, sigma: float) -> Normal:
    """A real value drawn from N(mu, sigma).

    >>> normal(0, 1).from_unit(0.5)  # the median
    0.0
    """
    return Normal(mu, sigma)


def qnormal(mu: float, sigma: float, q: float) -> QNormal:
    """``round(normal(mu, sigma) / q) * q``.

    >>> qnormal(10, 2, 1).from_unit(0.9)  # 10 + 1.28 * 2, rounded to a multiple of 1
    13
    """
    return QNormal(mu, sigma, q)


def lognormal(mu: float, sigma: float) -> LogNormal:
    """``exp(normal(mu, sigma))``.

    >>> lognormal(0, 1).from_unit(0.5)  # exp(0)
    1.0
    """
    return LogNormal(mu, sigma)


def qlognormal(mu: float, sigma: float, q: float) -> QLogNormal:
    """``round(exp(normal(mu, sigma)) / q) * q``.

    >>> qlognormal(0, 1, 0.5).from_unit(0.5)
    1.0
    """
    return QLogNormal(mu, sigma, q)
