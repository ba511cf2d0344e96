"""Name tables: one per concept, read by every front end.

``hyperwidget.samplers.SAMPLERS``, ``hyperwidget.policies.POLICIES`` and
``hyperwidget.executor.BACKENDS`` are :class:`Registry` objects: the only places
where a word such as ``"sobol"``, ``"bandit"`` or ``"loky"`` is tied to code. The
API (``run_sweep(sampler="sobol", policy="median", backend="threads")``), the
``%%sweep`` magic's options, the Azure v2 ``sampling_algorithm`` names, stored
sweeps and the command line all read them, so a new sampler, policy or backend
is one entry there (see the README's "Extending" paragraph).

A value is a name or a call with literal keywords, ``"bandit(slack_factor=0.1)"``:
it is read with :mod:`ast` and :func:`ast.literal_eval`, so nothing is evaluated.
Errors are :class:`~hyperwidget.errors.SweepConfigError` naming the setting, the
value and the choices; the magic turns them into one-line ``UsageError``.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
from collections.abc import Mapping
from typing import Any

from hyperwidget.errors import HyperwidgetError, SweepConfigError


@dataclasses.dataclass(frozen=True)
class Entry:
    """What a registered name leads to: ``target(*args, **fixed, **keywords)``.

    Parameters
    ----------
    target : str or class
        ``"package.module:Name"`` (imported on first use, so an entry may name
        code whose dependencies are optional) or the class itself.
    fixed : mapping
        Keywords always passed, e.g. ``{"rule": "sobol"}`` for the ``sobol`` sampler.
    """

    target: str | type
    fixed: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def path(self) -> str:
        """``module.Name`` of the target, for messages."""
        if isinstance(self.target, str):
            return self.target.replace(":", ".")
        return f"{self.target.__module__}.{self.target.__qualname__}"

    def load(self) -> Any:
        """The target itself (imported when given as a string)."""
        if not isinstance(self.target, str):
            return self.target
        module_name, _, attribute = self.target.partition(":")
        return getattr(importlib.import_module(module_name), attribute)


@dataclasses.dataclass(frozen=True)
class Call:
    """A parsed ``name`` or ``name(key=literal, ...)`` value."""

    name: str
    kwargs: Mapping[str, Any]


class Registry(dict[str, Entry]):
    """Names of one concept (``kind``, e.g. ``"sampler"``) -> :class:`Entry`, in the order shown to users.

    Examples
    --------
    >>> table = Registry("color", {"red": Entry("builtins:str", {"object": "#f00"})})
    >>> table.build("red")
    '#f00'
    >>> table.check("blue")
    Traceback (most recent call last):
    ...
    hyperwidget.errors.SweepConfigError: unknown color 'blue'; choose one of: red.
    """

    def __init__(self, kind: str, entries: Mapping[str, Entry] | None = None) -> None:
        super().__init__(entries or {})
        self.kind = kind

    def register(self, name: str, target: str | type, **fixed: Any) -> None:
        """Add (or replace) ``name``: ``target`` built with ``fixed`` keywords (see :class:`Entry`)."""
        if not isinstance(name, str) or not name.replace("-", "_").isidentifier():
            raise SweepConfigError(f"a {self.kind} name must be a word such as 'mine', got {name!r}.")
        self[name.lower()] = Entry(target, fixed)

    def check(self, name: Any, setting: str | None = None) -> str:
        """``name`` lower-cased when registered, else a ``SweepConfigError`` listing the names."""
        key = name.strip().lower() if isinstance(name, str) else name
        if key not in self:
            raise SweepConfigError(f"unknown {setting or self.kind} {name!r}; choose one of: {', '.join(self)}.")
        return str(key)

    def load(self, name: str, setting: str | None = None) -> Any:
        """The class registered under ``name`` (a checked name), importing it if needed."""
        entry, setting = self[name], setting or self.kind
        try:
            return entry.load()
        except (ImportError, AttributeError) as exc:
            raise SweepConfigError(
                f"{setting} {name} needs {entry.path}, which cannot be imported ({exc}); choose another {setting}."
            ) from None

    def parse(self, text: str, setting: str | None = None) -> Call:
        """Read ``name`` or ``name(key=literal, ...)`` with :mod:`ast` (nothing is evaluated).

        Raises
        ------
        SweepConfigError
            For a value of another shape, an unknown name, positional arguments
            or non-literal values.
        """
        setting = setting or self.kind
        first = next(iter(self), "name")
        example = f'{setting} "{first}(...)"' if setting.startswith("-") else f'{setting}="{first}(...)"'
        try:
            node = ast.parse(text.strip(), mode="eval").body
        except SyntaxError as exc:
            raise SweepConfigError(f"cannot read {setting} {text!r}: {exc.msg}; write it like {example}.") from None
        name_node = node.func if isinstance(node, ast.Call) else node
        if not isinstance(name_node, ast.Name):
            raise SweepConfigError(f"cannot read {setting} {text!r}; write a name or a call like {example}.")
        name = self.check(name_node.id, setting)
        if not isinstance(node, ast.Call):
            return Call(name, {})
        if node.args or any(k.arg is None for k in node.keywords):
            raise SweepConfigError(f"{setting} {text!r}: give the arguments by name, as in {name}(key=value, ...).")
        return Call(name, {k.arg: _literal(setting, text, k) for k in node.keywords if k.arg is not None})

    def build(
        self, spec: str | Call, *args: Any, setting: str | None = None, defaults: Mapping[str, Any] | None = None
    ) -> Any:
        """Construct what ``spec`` (a value as typed, or a parsed :class:`Call`) names.

        ``args`` go first (a sampler's search space); ``defaults`` are passed
        when the class accepts them and the value does not set them (a seed).
        """
        call = self.parse(spec, setting) if isinstance(spec, str) else spec
        cls = self.load(call.name, setting)
        kwargs = {**self[call.name].fixed, **call.kwargs}
        accepted = _parameters(cls)
        kwargs.update(
            {k: v for k, v in (defaults or {}).items() if v is not None and k not in kwargs and k in accepted}
        )
        return _construct(setting or self.kind, call.name, cls, kwargs, args)


def _literal(setting: str, text: str, keyword: ast.keyword) -> Any:
    try:
        return ast.literal_eval(keyword.value)
    except ValueError:
        raise SweepConfigError(
            f"{setting} {text!r}: the value of {keyword.arg} must be a literal (number, string, "
            f"True/False/None, list), got {ast.unparse(keyword.value)!r}."
        ) from None


def _parameters(cls: Any) -> list[str]:
    try:
        return list(inspect.signature(cls).parameters)
    except (TypeError, ValueError):
        return []


def _construct(setting: str, name: str, cls: Any, kwargs: dict[str, Any], args: tuple[Any, ...]) -> Any:
    try:
        return cls(*args, **kwargs)
    except TypeError as exc:
        accepted = [p for p in _parameters(cls) if p not in ("parameter_space", "properties", "space")]
        raise SweepConfigError(
            f"{setting} {name}: {exc}; {cls.__name__} accepts: {', '.join(accepted) or 'no arguments'}."
        ) from None
    except (HyperwidgetError, ValueError) as exc:
        raise SweepConfigError(f"{setting} {name}: {exc}") from None
