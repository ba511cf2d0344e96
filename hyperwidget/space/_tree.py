"""Nested and conditional spaces: groups (dicts holding expressions) and choices of branches, flattened.

A space is a tree: a **group** (a dict) maps keys to expressions, constants,
nested groups or **branchings** (a ``choice`` among dicts holding expressions).
Samplers see it flat, as a list of :class:`Dimension`: one per expression, named
by its path joined with ``"."`` (``"model.gamma"``), plus one per branching,
named by the choice's path (``"model"``) and holding the index of the branch.
A dimension is *active* in a configuration when every branching above it chose
the branch it belongs to; an inactive dimension takes no value and the trial
does not receive the parameter.

Rules, checked when the space is built:

- every flat name has one declaration: a top-level key ``"model.gamma"`` next to
  a group ``"model"`` holding ``"gamma"`` is refused, naming both;
- a name repeated in several branches of one choice is one parameter (one
  dimension, one column of the results) and must be declared identically in each
  (the same expression, or the same choice of branches); constants may differ
  between branches (they typically tell the branch), but a name cannot be a
  constant in one branch and an expression or a group in another.

Branches declared identically are one branch for grid sampling, as repeated
options of a plain choice are one grid point, so no configuration is
enumerated twice.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from hyperwidget.errors import SearchSpaceError
from hyperwidget.names import SEPARATOR
from hyperwidget.space._base import Expression, _holds_expression, _plain, node_to_json
from hyperwidget.space._hyperdrive import Choice, Randint

#: One branch decision: (index of the branching's dimension, index of the branch taken).
Step = tuple[int, int]


@dataclasses.dataclass(frozen=True, repr=False)
class BranchIndex(Randint):
    """The dimension of a choice of branches: the index of the branch taken (categorical)."""

    kind = "branch"

    def __repr__(self) -> str:
        return f"branch index (one of {self.upper} branches)"


@dataclasses.dataclass(frozen=True)
class Dimension:
    """One coordinate of the flat space.

    Attributes
    ----------
    name : str
        The flat name: the path of keys joined with ``"."``.
    expression : Expression
        Its law; a :class:`BranchIndex` for a choice of branches.
    paths : tuple of tuple of (int, int)
        The branch decisions under which it is active, one tuple per place it is
        declared (several when a name is shared by branches); ``((),)`` when it
        is always active.
    """

    name: str
    expression: Expression
    paths: tuple[tuple[Step, ...], ...]

    @property
    def is_branch(self) -> bool:
        """True for the dimension of a choice of branches."""
        return isinstance(self.expression, BranchIndex)


class _Const(NamedTuple):
    value: Any


class _Leaf(NamedTuple):
    dim: int


class _Group(NamedTuple):
    entries: tuple[tuple[str, Any], ...]


class _Branching(NamedTuple):
    dim: int
    branches: tuple[_Group, ...]
    distinct: tuple[int, ...]  # the first branch of each set of identical ones


class _Declaration(NamedTuple):
    kind: str  # "expression", "branches", "group" or "constant"
    identity: str  # the declaration's JSON, compared across branches
    path: tuple[Step, ...]
    where: str


class Tree:
    """The parsed space: its :class:`Dimension` list and the walks that build configurations."""

    def __init__(self, items: Mapping[str, Any]) -> None:
        self.dimensions: list[Dimension] = []
        self._declared: dict[str, list[_Declaration]] = {}
        self._dims: dict[str, int] = {}
        self._paths: list[list[tuple[Step, ...]]] = []
        self.root = self._group(items, "", "", ())
        self.dimensions = [
            dataclasses.replace(d, paths=tuple(p)) for d, p in zip(self.dimensions, self._paths, strict=True)
        ]
        self._grid_cache: _Grid | None = None
        self.is_flat = all(isinstance(node, (_Leaf, _Const)) for _, node in self.root.entries)

    # -- parsing ------------------------------------------------------------------------------
    def _group(self, items: Mapping[str, Any], prefix: str, where: str, path: tuple[Step, ...]) -> _Group:
        return _Group(tuple((key, self._node(key, value, prefix, where, path)) for key, value in items.items()))

    def _node(self, key: str, value: Any, prefix: str, where: str, path: tuple[Step, ...]) -> Any:
        name, here = prefix + key, f"{where}[{key!r}]"
        if isinstance(value, Choice) and value.is_branching:
            self._declare(name, "branches", json.dumps(value.to_json(), sort_keys=True), path, here)
            dim = self._dimension(name, BranchIndex(len(value.values)), path)
            branches = tuple(
                self._group(option, name + SEPARATOR, f"{here}[branch {b}]", (*path, (dim, b)))
                for b, option in enumerate(value.values)
            )
            keys = [json.dumps(node_to_json(o), sort_keys=True) for o in value.values]
            return _Branching(dim, branches, tuple(keys.index(k) for k in dict.fromkeys(keys)))
        if isinstance(value, Expression):
            self._declare(name, "expression", json.dumps(value.to_json()), path, here)
            return _Leaf(self._dimension(name, value, path))
        if isinstance(value, Mapping) and _holds_expression(value):
            self._declare(name, "group", "", path, here)
            return self._group(value, name + SEPARATOR, here, path)
        self._declare(name, "constant", "", path, here)
        return _Const(value)

    def _declare(self, name: str, kind: str, identity: str, path: tuple[Step, ...], where: str) -> None:
        """Record a declaration of the flat ``name``, refusing a clash with an earlier one."""
        earlier = self._declared.setdefault(name, [])
        for other in earlier:
            if not _exclusive(other.path, path):
                raise SearchSpaceError(
                    f"hyperparameters {other.where} and {where} have the same flat name {name!r} (nested keys are "
                    f"joined with {SEPARATOR!r}), so their values and results columns would be confused; rename one."
                )
            if other.kind != kind or other.identity != identity:
                raise SearchSpaceError(
                    f"{where} is declared differently from {other.where}: a name shared by branches of a choice is "
                    "one parameter, so give it the same declaration in every branch (constants may differ), or "
                    "give each branch its own name."
                )
        earlier.append(_Declaration(kind, identity, path, where))

    def _dimension(self, name: str, expression: Expression, path: tuple[Step, ...]) -> int:
        """The dimension of ``name`` (new, or the one branches share), now also active under ``path``."""
        dim = self._dims.setdefault(name, len(self.dimensions))
        if dim == len(self.dimensions):
            self.dimensions.append(Dimension(name, expression, ()))
            self._paths.append([])
        self._paths[dim].append(path)
        return dim

    # -- walks ----------------------------------------------------------------------------------
    def assemble(self, value_of: Callable[[int], Any]) -> dict[str, Any]:
        """The configuration whose dimension ``i`` has value ``value_of(i)``, asked in tree order for the
        active dimensions only (a branching's own dimension before its branch's)."""
        return _assemble(self.root, value_of)  # type: ignore[no-any-return]

    def flat_values(self, params: Mapping[str, Any]) -> dict[int, Any]:
        """The value of each active dimension of a configuration (a branching's: the branch index).

        Raises ``KeyError`` for a missing parameter and ``SearchSpaceError`` for a
        value matching no branch.
        """
        out: dict[int, Any] = {}
        _flatten(self.root, params, out, self.root)
        return out

    def grid_size(self) -> int | None:
        """The number of distinct configurations, or ``None`` when an active dimension is continuous."""
        return self._grid().size

    def grid_point(self, index: int) -> dict[str, Any]:
        """Configuration ``index`` (0-based) of the grid: a group varies its last key fastest; a branching
        lists its distinct branches' grids one after the other."""
        grid = self._grid()
        if grid.size is None or not 0 <= index < grid.size:
            raise IndexError(f"grid point {index} out of range: the grid has {grid.size} points.")
        return grid.point(self.root, index)  # type: ignore[no-any-return]

    def _grid(self) -> _Grid:
        if self._grid_cache is None:
            self._grid_cache = _Grid(self)
        return self._grid_cache


def _exclusive(a: tuple[Step, ...], b: tuple[Step, ...]) -> bool:
    """Whether two places can never be active together: they part at one branching, in different branches."""
    for (choice_a, branch_a), (choice_b, branch_b) in zip(a, b, strict=False):
        if choice_a != choice_b:
            return False
        if branch_a != branch_b:
            return True
    return False


def _assemble(node: Any, value_of: Callable[[int], Any]) -> Any:
    if isinstance(node, _Const):
        return node.value
    if isinstance(node, _Leaf):
        return _plain(value_of(node.dim))
    if isinstance(node, _Branching):
        return _assemble(node.branches[int(value_of(node.dim))], value_of)
    return {key: _assemble(child, value_of) for key, child in node.entries}


def _flatten(node: Any, value: Any, out: dict[int, Any], root: Any = None) -> None:
    """Collect the values of the active dimensions; a nested group (not the top level, which may hold more
    keys) must have exactly its keys and constants, and a choice's value must match one branch."""
    if isinstance(node, _Leaf):
        out[node.dim] = value
    elif isinstance(node, _Branching):
        branch = _branch_of(node, value)
        out[node.dim] = branch
        _flatten(node.branches[branch], value, out, root)
    elif isinstance(node, _Group):
        if not isinstance(value, Mapping) or (node is not root and not _matches(node, value)):
            raise SearchSpaceError(
                f"expected a dict of {[k for k, _ in node.entries]} (constants as declared), got {value!r}."
            )
        for key, child in node.entries:
            if not isinstance(child, _Const):
                _flatten(child, value[key], out, root)


def _branch_of(node: _Branching, value: Any) -> int:
    for b, branch in enumerate(node.branches):
        if _matches(branch, value):
            return b
    raise SearchSpaceError(f"{value!r} matches no branch of the choice (keys and constants differ from each).")


def _matches(node: Any, value: Any) -> bool:
    """Whether a configuration's value has the shape of ``node``: the same keys, constants and branches."""
    if isinstance(node, _Const):
        return bool(_same(node.value, value))
    if isinstance(node, _Branching):
        return any(_matches(branch, value) for branch in node.branches)
    if isinstance(node, _Group):
        return (
            isinstance(value, Mapping)
            and set(value) == {k for k, _ in node.entries}
            and all(_matches(child, value[key]) for key, child in node.entries)
        )
    return True


def _same(a: Any, b: Any) -> bool:
    try:
        return json.dumps(a, sort_keys=True, default=_plain) == json.dumps(b, sort_keys=True, default=_plain)
    except (TypeError, ValueError):
        return False


def _children(node: _Group | _Branching) -> list[Any]:
    if isinstance(node, _Branching):
        return [node.branches[b] for b in node.distinct]
    return [child for _, child in node.entries]


class _Grid:
    """Random access to a tree's grid; sizes and supports are computed once per node."""

    def __init__(self, tree: Tree) -> None:
        self.values = [d.expression.grid_values() for d in tree.dimensions]
        self.sizes: dict[int, int | None] = {}
        self.size = self._size(tree.root)

    def _size(self, node: Any) -> int | None:
        if id(node) in self.sizes:
            return self.sizes[id(node)]
        if isinstance(node, _Const):
            size: int | None = 1
        elif isinstance(node, _Leaf):
            values = self.values[node.dim]
            size = None if values is None else len(values)
        else:
            sizes = [self._size(child) for child in _children(node)]
            known = [s for s in sizes if s is not None]
            size = None if len(known) < len(sizes) else sum(known) if isinstance(node, _Branching) else math.prod(known)
        self.sizes[id(node)] = size
        return size

    def point(self, node: Any, index: int) -> Any:
        if isinstance(node, _Const):
            return node.value
        if isinstance(node, _Leaf):
            return self.values[node.dim][index]  # type: ignore[index]
        children = _children(node)
        sizes = [self.sizes[id(child)] or 0 for child in children]
        if isinstance(node, _Branching):
            for child, size in zip(children, sizes, strict=True):
                if index < size:
                    return self.point(child, index)
                index -= size
            raise IndexError(index)
        digits = []
        for size in reversed(sizes):
            index, digit = divmod(index, size)
            digits.append(digit)
        values = [self.point(child, d) for child, d in zip(children, reversed(digits), strict=True)]
        return {key: v for (key, _), v in zip(node.entries, values, strict=True)}
