"""``SearchSpace`` and the JSON form of expressions (``expression_from_json``, ``register_expression``)."""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from hyperwidget.errors import HyperwidgetWarning, SearchSpaceError
from hyperwidget.names import check_param_name, kwarg_name
from hyperwidget.space._base import Expression, _check_plain, _plain
from hyperwidget.space._gaussian import LogNormal, Normal, QLogNormal, QNormal
from hyperwidget.space._hyperdrive import Choice, LogUniform, QLogUniform, QUniform, Randint, Uniform
from hyperwidget.space._natural import FinRange, IntRange, LogFinRange, LogScaleRandint, LogScaleUniform
from hyperwidget.space._points import check_value, default_value

# --------------------------------------------------------------------------- JSON


def _positional(cls: type[Expression]) -> Callable[[list[Any]], Expression]:
    """The factory ``args -> cls(*args)``; a function per class, so each lambda keeps its own ``cls``."""
    return lambda args: cls(*args)


_FACTORIES: dict[str, Callable[[list[Any]], Expression]] = {
    "choice": lambda args: Choice(tuple(args[0])),
    **{
        cls.kind: _positional(cls)
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


def _same_constant(given: Any, constant: Any) -> bool:
    """Whether a configuration's value is the space's constant (``1 == 1.0``, but ``True`` is not ``1``)."""
    return isinstance(given, bool) == isinstance(constant, bool) and bool(given == constant)


class SearchSpace(Mapping[str, Any]):
    """A validated mapping from hyperparameter names to expressions or constants.

    Constants (plain data) are passed through unchanged to every trial, as in
    Syne Tune's config spaces. Names keep their spelling, including HyperDrive's
    ``'--batch_size'`` style; two names that become the same keyword (see
    :func:`~hyperwidget.names.kwarg_name`: ``batch-size`` and ``batch_size``) are
    rejected, since the objective would receive only one of them, and so are names
    with ``=``, whitespace or control characters (a script's ``--flag`` would break).

    Examples
    --------
    >>> from hyperwidget.space import choice, loguniform
    >>> space = SearchSpace({"lr": loguniform(-9, -2), "batch_size": choice(16, 32), "epochs": 10})
    >>> space.names, space.constants
    (('lr', 'batch_size'), {'epochs': 10})
    >>> space.from_unit([0.0, 0.9])  # one unit-cube coordinate per expression
    {'lr': 0.000123..., 'batch_size': 32, 'epochs': 10}
    >>> SearchSpace.from_json(space.to_json()) == space  # plain data, stored with the sweep
    True
    """

    def __init__(self, space: Mapping[str, Any]) -> None:
        if isinstance(space, SearchSpace):
            space = dict(space.items())
        if not isinstance(space, Mapping):
            raise SearchSpaceError(
                f"a search space must be a dict of name -> expression, got {type(space).__name__}; "
                "e.g. {'lr': loguniform(-9, -2), 'batch_size': choice(16, 32)}."
            )
        if not space:
            raise SearchSpaceError(
                f"the search space is empty (got {dict(space)!r}): a sweep needs at least one hyperparameter; "
                "give e.g. {'lr': loguniform(-9, -2), 'batch_size': choice(16, 32)}."
            )
        self._items: dict[str, Any] = {}
        keywords: dict[str, str] = {}
        for name, value in space.items():
            word = kwarg_name(check_param_name(name))
            if word in keywords:
                raise SearchSpaceError(
                    f"hyperparameters {keywords[word]!r} and {name!r} are the same keyword {word!r} once leading "
                    "dashes are dropped, '-' becomes '_' and a Python keyword gets a trailing '_': the objective "
                    "would get only one of them; rename one."
                )
            keywords[word] = name
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
        return isinstance(other, Mapping) and len(other) > 0 and self.to_json() == SearchSpace(other).to_json()

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

    def from_unit(self, point: Sequence[float] | npt.NDArray[np.float64]) -> dict[str, Any]:
        """The configuration at ``point`` of the unit cube (one coordinate per expression, space order)."""
        if len(point) != self.dims:
            raise SearchSpaceError(f"from_unit: expected a point with {self.dims} coordinates, got {len(point)}.")
        return self._assemble([e.from_unit(float(u)) for e, u in zip(self.expressions, point, strict=True)])

    def to_unit(self, params: Mapping[str, Any]) -> np.ndarray:
        """The unit-cube point of a configuration (``from_unit`` maps it back to ``params``)."""
        missing = [n for n in self.names if n not in params]
        if missing:
            raise SearchSpaceError(f"to_unit: the configuration has no value for {', '.join(map(repr, missing))}.")
        return np.array([e.to_unit(params[n]) for n, e in zip(self.names, self.expressions, strict=True)], dtype=float)

    def check_config(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The full configuration a hand-written ``params`` stands for, checked against this space.

        Used for a sweep's ``points_to_evaluate`` and ``run.enqueue``. Each value must be
        one the space can propose: one of a ``choice``'s options, a value of a finite
        range, a number within a continuous range's bounds (on its ``q`` lattice for a
        rounded law). Numbers compare by value and come back as the space holds them
        (``2.0`` becomes ``2`` for an integer range). A hyperparameter left out takes
        its default (Syne Tune's rule): a ``choice``'s first option, else the median
        ``from_unit(0.5)`` (the midpoint of ``uniform``, the geometric midpoint of a
        log range). A constant may be given only with its own value. A name may be
        spelled as the objective's keyword (``batch_size`` for ``--batch-size``).

        Returns
        -------
        dict
            Every name of the space, in space order, constants included.

        Raises
        ------
        SearchSpaceError
            Naming the hyperparameter, the value given and the values allowed; or an
            unknown name, with the space's names.

        Examples
        --------
        >>> from hyperwidget.space import choice, uniform
        >>> space = SearchSpace({"lr": uniform(0, 1), "bs": choice(16, 32), "epochs": 10})
        >>> space.check_config({"bs": 32.0})
        {'lr': 0.5, 'bs': 32, 'epochs': 10}
        """
        if not isinstance(params, Mapping):
            raise SearchSpaceError(
                f"a configuration is a dict of hyperparameter name -> value, got {type(params).__name__} "
                f"{params!r:.80}; e.g. {{{self.names[0] if self.names else next(iter(self))!r}: ...}}."
            )
        given = {self._own_name(name): value for name, value in params.items()}
        config: dict[str, Any] = {}
        for name, item in self._items.items():
            if not isinstance(item, Expression):
                if name in given and not _same_constant(given[name], item):
                    raise SearchSpaceError(
                        f"hyperparameter {name!r} is the constant {item!r} in the space, got {given[name]!r}; "
                        f"leave it out of the configuration, or make it an expression such as choice({item!r}, ...)."
                    )
                config[name] = item
            else:
                config[name] = check_value(name, item, given[name]) if name in given else default_value(item)
        return config

    def _own_name(self, name: Any) -> str:
        """The space's spelling of ``name`` (itself, or the name whose keyword it is); else ``SearchSpaceError``."""
        if isinstance(name, str):
            if name in self._items:
                return name
            for own in self._items:
                if kwarg_name(own) == name:
                    return own
        close = difflib.get_close_matches(str(name), list(self._items), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SearchSpaceError(
            f"{name!r} is not a hyperparameter of the space{hint}; its hyperparameters are "
            f"{', '.join(map(repr, self._items))}."
        )

    def _assemble(self, values: list[Any]) -> dict[str, Any]:
        params = dict(zip(self.names, (_plain(v) for v in values), strict=True))
        return {name: params.get(name, value) for name, value in self._items.items()}

    def to_json(self) -> dict[str, Any]:
        """Plain data: ``{name: [kind, args]}`` for expressions, ``{name: {"constant": v}}`` otherwise."""
        return {n: (v.to_json() if isinstance(v, Expression) else {"constant": v}) for n, v in self._items.items()}

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
