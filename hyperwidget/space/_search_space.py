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
from hyperwidget.space._base import Expression, _check_plain, _holds_expression, node_to_json
from hyperwidget.space._gaussian import LogNormal, Normal, QLogNormal, QNormal
from hyperwidget.space._hyperdrive import (
    Choice,
    LogUniform,
    QLogUniform,
    QUniform,
    Randint,
    Uniform,
    _check_branch_entries,
)
from hyperwidget.space._natural import FinRange, IntRange, LogFinRange, LogScaleRandint, LogScaleUniform
from hyperwidget.space._points import MISSING, check_node
from hyperwidget.space._tree import Dimension, Tree

#: Deepest nesting of groups and branches :meth:`SearchSpace.from_json` reads (stored data may be hostile).
MAX_DEPTH = 32

# --------------------------------------------------------------------------- JSON


def _positional(cls: type[Expression]) -> Callable[[list[Any]], Expression]:
    """The factory ``args -> cls(*args)``; a function per class, so each lambda keeps its own ``cls``."""
    return lambda args: cls(*args)


_FACTORIES: dict[str, Callable[[list[Any]], Expression]] = {
    "choice": lambda args: Choice(tuple(args[0])),
    "branches": lambda args: _branches_from_json(args, 0),
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


def node_from_json(data: Any, depth: int = 0) -> Any:
    """Rebuild a space entry from :func:`~hyperwidget.space._base.node_to_json` output (plain data, no code)."""
    if depth > MAX_DEPTH:
        raise SearchSpaceError(f"groups and branches nest more than {MAX_DEPTH} levels deep; flatten the space.")
    if isinstance(data, Mapping) and set(data) == {"constant"}:
        return data["constant"]
    if isinstance(data, Mapping) and set(data) == {"group"} and isinstance(data["group"], Mapping):
        return {_key_from_json(k): node_from_json(v, depth + 1) for k, v in data["group"].items()}
    if isinstance(data, Sequence) and not isinstance(data, str) and len(data) == 2 and data[0] == "branches":
        if not isinstance(data[1], Sequence):
            raise SearchSpaceError(f"a choice of branches is stored as ['branches', [[...]]], got {data!r}.")
        return _branches_from_json(list(data[1]), depth + 1)
    if isinstance(data, Sequence) and not isinstance(data, str):
        return expression_from_json(data)
    raise SearchSpaceError(
        "a space entry is stored as [kind, [args...]], {'constant': value} or {'group': {...}}, "
        f"got {str(data)[:200]}."
    )


def _branches_from_json(args: list[Any], depth: int) -> Choice:
    if len(args) != 1 or not isinstance(args[0], Sequence) or not all(isinstance(o, Mapping) for o in args[0]):
        raise SearchSpaceError(
            f"a choice of branches is stored as ['branches', [[{{key: entry}}, ...]]], got {args!r}."
        )
    options = [{_key_from_json(k): node_from_json(v, depth + 1) for k, v in o.items()} for o in args[0]]
    return Choice(tuple(options))


def _key_from_json(key: Any) -> str:
    if not isinstance(key, str):
        raise SearchSpaceError(f"a stored hyperparameter name must be a string, got {key!r}.")
    return check_param_name(key)


def register_expression(kind: str, factory: Callable[[list[Any]], Expression]) -> None:
    """Let :func:`expression_from_json` rebuild an expression of ``kind`` from its args list."""
    _FACTORIES[kind] = factory


# --------------------------------------------------------------------------- SearchSpace


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

    A dict holding expressions is a group, and a ``choice`` among such dicts a
    choice of branches (see :mod:`hyperwidget.space._tree` for the rules). Each
    expression is a dimension named by its keys joined with ``"."``, and each
    choice of branches a dimension holding the index of the branch taken; a trial
    gets nested dicts without the parameters of the branches not taken:

    >>> from hyperwidget.space import uniform
    >>> svm = SearchSpace(
    ...     {
    ...         "model": choice({"kernel": "rbf", "gamma": uniform(0, 1)}, {"kernel": "linear"}),
    ...         "optimizer": {"lr": loguniform(-9, -2)},
    ...     }
    ... )
    >>> svm.names
    ('model', 'model.gamma', 'optimizer.lr')
    >>> svm.from_unit([0.9, 0.5, 0.0])  # branch 1: its coordinate for gamma is ignored
    {'model': {'kernel': 'linear'}, 'optimizer': {'lr': 0.000123...}}
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
            if isinstance(value, Mapping) and _holds_expression(value):
                _check_branch_entries(f"group {name!r}", value)
            elif not isinstance(value, Expression):
                _check_plain(
                    f"hyperparameter {name!r}",
                    value,
                    "wrap the options in choice(...) or pass a name and build the object in the trial.",
                )
            self._items[name] = value
        self._tree = Tree(self._items)
        #: The flat dimensions: one per expression, one per choice of branches (see :class:`Dimension`).
        self.dimensions: tuple[Dimension, ...] = tuple(self._tree.dimensions)
        #: The dimensions' flat names (``"model.gamma"``; a choice of branches is named by its own path).
        self.names: tuple[str, ...] = tuple(d.name for d in self.dimensions)
        self.expressions: tuple[Expression, ...] = tuple(d.expression for d in self.dimensions)

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
        """The pass-through constant entries (top level)."""
        return {n: v for n, v in self._items.items() if not _holds_expression(v)}

    @property
    def is_flat(self) -> bool:
        """True when every entry is a top-level expression or constant (no group, no choice of branches)."""
        return self._tree.is_flat

    @property
    def is_conditional(self) -> bool:
        """True when the space holds a choice of branches (some parameters are absent from some trials)."""
        return any(d.is_branch for d in self.dimensions)

    @property
    def dims(self) -> int:
        """The number of non-constant hyperparameters."""
        return len(self.names)

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """One configuration drawn from every expression's law (a branch first, then only its parameters)."""
        return self._tree.assemble(lambda i: self.expressions[i].sample(rng))

    def from_unit(self, point: Sequence[float] | npt.NDArray[np.float64]) -> dict[str, Any]:
        """The configuration at ``point`` of the unit cube (one coordinate per dimension, in ``names`` order).

        A choice of branches reads its coordinate first; the coordinates of the
        branches not taken are ignored (they may be anything, ``nan`` included).
        """
        if len(point) != self.dims:
            raise SearchSpaceError(f"from_unit: expected a point with {self.dims} coordinates, got {len(point)}.")
        return self._tree.assemble(lambda i: self.expressions[i].from_unit(float(point[i])))

    def to_unit(self, params: Mapping[str, Any]) -> np.ndarray:
        """The unit-cube point of a configuration (``from_unit`` maps it back to ``params``); ``nan`` for
        each inactive dimension (a parameter of a branch not taken)."""
        missing = [n for n in self.names if n not in params] if self.is_flat else []
        if missing:
            raise SearchSpaceError(f"to_unit: the configuration has no value for {', '.join(map(repr, missing))}.")
        values = self.flat_values(params)
        return np.array(
            [
                e.to_unit(values[n]) if n in values else np.nan
                for n, e in zip(self.names, self.expressions, strict=True)
            ],
            dtype=float,
        )

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
        In a nested space, a group is given as a dict of its parameters and a choice
        of branches as the dict of one branch (its constants as declared pick it;
        left out, the first branch), each checked the same way.

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
        >>> svm = SearchSpace({"model": choice({"kernel": "rbf", "gamma": uniform(0, 1)}, {"kernel": "linear"})})
        >>> svm.check_config({"model": {"kernel": "rbf"}}), svm.check_config({"model": {"kernel": "linear"}})
        ({'model': {'kernel': 'rbf', 'gamma': 0.5}}, {'model': {'kernel': 'linear'}})
        """
        if not isinstance(params, Mapping):
            raise SearchSpaceError(
                f"a configuration is a dict of hyperparameter name -> value, got {type(params).__name__} "
                f"{params!r:.80}; e.g. {{{self.names[0] if self.names else next(iter(self))!r}: ...}}."
            )
        given = {self._own_name(name): value for name, value in params.items()}
        return {name: check_node(name, item, given.get(name, MISSING)) for name, item in self._items.items()}

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

    def flat_values(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The value of each active dimension of a configuration, by flat name (a branching's: the index
        of the branch taken).

        Raises
        ------
        SearchSpaceError
            When a parameter is missing or a nested value matches no branch.

        Examples
        --------
        >>> from hyperwidget.space import choice, uniform
        >>> space = SearchSpace({"model": choice({"kernel": "rbf", "gamma": uniform(0, 1)}, {"kernel": "linear"})})
        >>> space.names
        ('model', 'model.gamma')
        >>> space.flat_values({"model": {"kernel": "rbf", "gamma": 0.5}})
        {'model': 0, 'model.gamma': 0.5}
        >>> space.flat_values({"model": {"kernel": "linear"}})
        {'model': 1}
        """
        try:
            by_index = self._tree.flat_values(params)
        except KeyError as error:
            raise SearchSpaceError(f"the configuration {dict(params)!r} has no value for {error}.") from None
        return {self.names[i]: by_index[i] for i in sorted(by_index)}

    def grid_size(self) -> int | None:
        """The number of distinct configurations (each distinct branch counts its own grid), or ``None``
        when an expression is continuous."""
        return self._tree.grid_size()

    def grid_point(self, index: int) -> dict[str, Any]:
        """Configuration ``index`` of the grid (``itertools.product`` order; branches one after the other)."""
        return self._tree.grid_point(index)

    def to_json(self) -> dict[str, Any]:
        """Plain data: ``{name: [kind, args]}`` for expressions, ``{name: {"constant": v}}`` for constants,
        ``{name: {"group": {...}}}`` for groups and ``["branches", [[...]]]`` for a choice of branches."""
        return {n: node_to_json(v) for n, v in self._items.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SearchSpace:
        """Rebuild a space from ``to_json`` output; an error names the hyperparameter.

        Stored data is read as data: anything malformed raises ``SearchSpaceError``.
        """
        if not isinstance(data, Mapping):
            raise SearchSpaceError(f"a stored search space is a dict of name -> entry, got {type(data).__name__}.")
        items: dict[str, Any] = {}
        for name, value in data.items():
            try:
                items[name] = node_from_json(value)
            except (SearchSpaceError, TypeError, IndexError, RecursionError) as error:
                raise SearchSpaceError(f"hyperparameter {name!r}: {error}") from error
        return cls(items)
