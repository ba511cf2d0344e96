"""Syne Tune's search-space spellings, with Syne Tune's meanings: natural bounds, inclusive integer bounds.

The search space of the d2l chapter on hyperparameter optimization runs with
only its import changed::

    from hyperwidget.syne_tune import loguniform, randint  # was: from syne_tune.config_space import ...

    search_space = {
        "learning_rate": loguniform(1e-5, 1e-1),  # the values themselves, not exponents
        "batch_size": randint(8, 128),  # 8 and 128 included
    }

HyperDrive's functions of the same names at the top level of ``hyperwidget``
keep HyperDrive's meanings (``loguniform`` takes exponents, ``randint(upper)``
excludes ``upper``); the two families return the same expression types as
``log_uniform``, ``intrange`` and friends, so every sampler handles them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hyperwidget.errors import SearchSpaceError
from hyperwidget.space import (
    Choice,
    FinRange,
    IntRange,
    LogFinRange,
    LogScaleRandint,
    LogScaleUniform,
    Uniform,
)

__all__ = ["choice", "finrange", "logfinrange", "lograndint", "loguniform", "randint", "uniform"]


def uniform(lower: float, upper: float) -> Uniform:
    """A real value uniform in ``[lower, upper]`` (Syne Tune's ``uniform``).

    >>> uniform(0.0, 0.5).bounds
    (0.0, 0.5)
    """
    return Uniform(lower, upper)


def loguniform(lower: float, upper: float) -> LogScaleUniform:
    """A real value in ``[lower, upper]`` whose logarithm is uniform: the bounds are values, not exponents.

    >>> loguniform(1e-5, 1e-1).bounds
    (1e-05, 0.1)
    """
    return LogScaleUniform(lower, upper)


def randint(lower: int, upper: int) -> IntRange:
    """An integer uniform in ``[lower, upper]``, both included (Syne Tune's ``randint``).

    >>> list(randint(1, 4).grid_values())
    [1, 2, 3, 4]
    """
    return IntRange(lower, upper)


def lograndint(lower: int, upper: int) -> LogScaleRandint:
    """An integer in ``[lower, upper]`` (both included) whose logarithm is uniform.

    >>> lograndint(8, 512).bounds
    (8, 512)
    """
    return LogScaleRandint(lower, upper)


def choice(categories: Sequence[Any]) -> Choice:
    """One of ``categories``, a list (Syne Tune's ``choice``; HyperDrive's ``choice`` also takes ``*options``).

    >>> choice(["relu", "tanh"]).grid_values()
    ['relu', 'tanh']

    Dicts holding expressions are branches (a conditional space), as with HyperDrive's ``choice``:

    >>> optimizer = choice([{"name": "sgd", "momentum": uniform(0, 0.99)}, {"name": "adam"}])
    >>> optimizer.is_branching
    True
    """
    if isinstance(categories, (str, bytes)) or not isinstance(categories, Sequence):
        raise SearchSpaceError(
            f'choice({categories!r}): Syne Tune\'s choice takes one list of categories, e.g. choice(["relu", "tanh"]).'
        )
    return Choice(tuple(categories))


def finrange(lower: float, upper: float, size: int, cast_int: bool = False) -> FinRange:
    """``size`` equally spaced values from ``lower`` to ``upper``, both included (Syne Tune's ``finrange``).

    >>> list(finrange(0.0, 1.0, 3).grid_values())
    [0.0, 0.5, 1.0]
    """
    return FinRange(lower, upper, size, cast_int)


def logfinrange(lower: float, upper: float, size: int, cast_int: bool = False) -> LogFinRange:
    """``size`` values from ``lower`` to ``upper`` equally spaced on a log scale (Syne Tune's ``logfinrange``).

    >>> list(logfinrange(1, 100, 3, cast_int=True).grid_values())
    [1, 10, 100]
    """
    return LogFinRange(lower, upper, size, cast_int)
