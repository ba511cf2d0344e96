"""Known configurations checked against a space: one value (:func:`check_value`), a default
(:func:`default_value`), or a whole entry of a nested space (:func:`check_node`).

A sweep's ``points_to_evaluate`` and ``run.enqueue`` hand the engine configurations
written by hand; :meth:`SearchSpace.check_config` reads each through these two
functions. They use only the public interface of :class:`Expression`
(``grid_values``, ``bounds``, ``to_unit``/``from_unit``, ``is_integer``,
``is_log``), so an expression registered from outside is checked too.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from typing import Any

from hyperwidget.errors import SearchSpaceError
from hyperwidget.names import SEPARATOR
from hyperwidget.space._base import Expression, _holds_expression, _is_number, _key, _snap
from hyperwidget.space._hyperdrive import Choice

#: Relative slack when a value is compared with a bound or a value of a finite support: ``math.exp(-9)``
#: given for ``loguniform(-9, -2)``'s lower bound, or ``0.3`` for ``finrange(0.1, 0.5, 5)``'s ``0.30000000000000004``.
_REL_TOL = 1e-9


def default_value(expression: Expression) -> Any:
    """The value a configuration that leaves ``expression`` out takes (Syne Tune's rule for ``points_to_evaluate``).

    A ``choice`` takes its first option; every other expression its median,
    ``from_unit(0.5)``: the midpoint of ``uniform``, the geometric midpoint of a
    log range, the middle value of a finite range, ``mu`` of a normal law.
    """
    if isinstance(expression, Choice):
        return expression.values[0]
    return expression.from_unit(0.5)


def check_value(name: str, expression: Expression, value: Any) -> Any:
    """``value`` as the space holds it (``2.0`` becomes ``2`` for an integer range), else ``SearchSpaceError``.

    The error names the hyperparameter, the value given and the values allowed.
    """
    if isinstance(expression, Choice):
        return _option(name, expression, value)
    if not _is_number(value) or not math.isfinite(float(value)):
        raise SearchSpaceError(
            f"hyperparameter {name!r}: {value!r} is not a finite number, but {expression!r} takes "
            f"{_allowed(expression)}; give a number."
        )
    if expression.grid_values() is not None:
        return _support_value(name, expression, value)
    return _range_value(name, expression, value)


def _option(name: str, expression: Choice, value: Any) -> Any:
    """The option equal to ``value`` (``1 == 1.0``, but ``True`` is not ``1``)."""
    for option in expression.grid_values():
        if _key(option) == _key(value) or (_is_number(option) and _is_number(value) and option == value):
            return option
    raise SearchSpaceError(
        f"hyperparameter {name!r}: {value!r} is not one of the options of {expression!r}; give one of "
        f"{_listed(expression.grid_values())}."
    )


def _support_value(name: str, expression: Expression, value: Any) -> Any:
    """The value of the finite support nearest ``value``, when it is ``value`` (up to float noise)."""
    nearest = expression.from_unit(expression.to_unit(value))
    if math.isclose(float(nearest), float(value), rel_tol=_REL_TOL, abs_tol=1e-12):
        return nearest
    raise SearchSpaceError(
        f"hyperparameter {name!r}: {value!r} is not a value of {expression!r}, which takes {_allowed(expression)}; "
        f"the nearest is {nearest!r}."
    )


def _range_value(name: str, expression: Expression, given: Any) -> Any:
    """``given`` inside the bounds (a bound itself up to float noise), on the ``q`` lattice of a rounded law."""
    value = float(given)
    low, high = expression.bounds or (-math.inf, math.inf)
    low_ok = value > low or (math.isclose(value, low, rel_tol=_REL_TOL) and not (expression.is_log and low == 0))
    high_ok = value <= high or math.isclose(value, high, rel_tol=_REL_TOL)
    q = getattr(expression, "q", None)
    if q is not None and low == 0:  # qlognormal: 0 stands for exp(.) in (0, q/2)
        low_ok = value >= 0
    if not (low_ok and high_ok):
        raise SearchSpaceError(
            f"hyperparameter {name!r}: {given!r} is outside {expression!r}, which takes {_allowed(expression)}."
        )
    value = min(max(value, low), high)
    if q is None:
        return int(value) if expression.is_integer else value
    steps = round(value / q)
    if not math.isclose(steps * q, value, rel_tol=_REL_TOL, abs_tol=1e-12):
        raise SearchSpaceError(
            f"hyperparameter {name!r}: {given!r} is not a multiple of q={q!r}, but {expression!r} takes only "
            f"multiples of it; the nearest is {_snap(steps * q)!r}."
        )
    return round(steps * q) if expression.is_integer else _snap(steps * q)


def _allowed(expression: Expression) -> str:
    """The values ``expression`` takes, in words: ``values in [0, 1]``, ``one of 16, 32, 64``."""
    values = expression.grid_values()
    if values is not None:
        return f"one of {_listed(values)}"
    low, high = expression.bounds or (-math.inf, math.inf)
    kind = "ints" if expression.is_integer else "values"
    if expression.is_log and low == 0:
        return f"{kind} > 0" + ("" if math.isinf(high) else f" up to {high:.6g}")
    if math.isinf(low) and math.isinf(high):
        return f"any finite {kind[:-1]}" + ("" if getattr(expression, "q", None) is None else " on its q lattice")
    return f"{kind} in [{low:.6g}, {high:.6g}]"


def _listed(values: Sequence[Any]) -> str:
    """``16, 32, 64``, or ``0, 1, 2, ..., 99 (100 values)`` for a long support."""
    if len(values) <= 8:
        return ", ".join(repr(v) for v in values)
    head = ", ".join(repr(v) for v in values[:3])
    return f"{head}, ..., {values[-1]!r} ({len(values)} values)"


#: A value the configuration leaves out (``None`` is a value a constant may hold).
MISSING: Any = object()


def same_constant(given: Any, constant: Any) -> bool:
    """Whether a configuration's value is the space's constant (``1 == 1.0``, but ``True`` is not ``1``)."""
    return isinstance(given, bool) == isinstance(constant, bool) and bool(given == constant)


def check_node(path: str, node: Any, value: Any = MISSING) -> Any:
    """One entry of a space given by hand (``MISSING`` when left out), as the space holds it.

    ``node`` is an expression, a constant, a group (a dict holding expressions) or a
    choice of branches. A group is checked key by key; a choice of branches takes the
    first branch whose keys hold every key given and whose constants agree with the
    values given (the first branch when nothing is given), then is checked as a group.
    Left-out parameters take their defaults (:func:`default_value`).
    """
    if isinstance(node, Choice) and node.is_branching:
        return _check_branching(path, node, _as_dict(path, value, "a choice of branches"))
    if isinstance(node, Expression):
        return default_value(node) if value is MISSING else check_value(path, node, value)
    if isinstance(node, Mapping) and _holds_expression(node):
        return check_group(path, node, _as_dict(path, value, "a group"))
    if value is not MISSING and not same_constant(value, node):
        raise SearchSpaceError(
            f"hyperparameter {path!r} is the constant {node!r} in the space, got {value!r}; "
            f"leave it out of the configuration, or make it an expression such as choice({node!r}, ...)."
        )
    return node


def check_group(path: str, group: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """A group's (or a branch's) configuration: every key of ``group``, each checked; unknown keys refused."""
    unknown = [key for key in given if key not in group]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), [str(k) for k in group], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SearchSpaceError(
            f"{path!r} has no parameter {unknown[0]!r}{hint}; its keys are {', '.join(map(repr, group))}."
        )
    return {key: check_node(f"{path}{SEPARATOR}{key}", child, given.get(key, MISSING)) for key, child in group.items()}


def _check_branching(path: str, choice: Choice, given: Mapping[str, Any]) -> dict[str, Any]:
    for branch in choice.options:
        if set(given) <= set(branch) and all(
            same_constant(given[key], value)
            for key, value in branch.items()
            if key in given and not _holds_expression(value)
        ):
            return check_group(path, branch, given)
    described = "; ".join(_describe_branch(branch) for branch in choice.options)
    raise SearchSpaceError(
        f"hyperparameter {path!r}: {dict(given)!r} matches none of its branches ({described}); give the keys of "
        "one branch, with its constants as declared."
    )


def _describe_branch(branch: Mapping[str, Any]) -> str:
    constants = {k: v for k, v in branch.items() if not _holds_expression(v)}
    return f"keys {sorted(branch)}" + (f" with {constants!r}" if constants else "")


def _as_dict(path: str, value: Any, what: str) -> Mapping[str, Any]:
    if value is MISSING:
        return {}
    if not isinstance(value, Mapping):
        raise SearchSpaceError(
            f"hyperparameter {path!r} is {what} in the space: give a dict of its parameters, got {value!r}."
        )
    return value
