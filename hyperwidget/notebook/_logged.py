"""Which metric names a ``%%sweep`` cell logs, and whether that list is certain (pure; no IPython).

The magic refuses ``--metric acuracy`` before any trial starts when the cell
logs ``accuracy`` and nothing else can log. "Nothing else" must be certain, so
:func:`cell_logs` reports the literal names of the cell's logging calls
(``log("acc", v)``, ``Run.get_context().log("acc", v)``, ``run.log_metrics({"acc": v})``,
``mlflow.log_metric("acc", v)``) together with the first reason why more names
may be logged at run time, if there is one:

* a logging call whose name is computed (``log(f"acc_{k}", v)``, ``log_metrics(d)``);
* a logging function passed around or renamed (``train(callback=log)``, ``lg = log``);
* code run dynamically (``exec``, ``eval``, ``get_ipython()``, a relative import);
* an import of MLflow, whose calls inside a trial report to it (autologging too);
* a notebook value that may log when called: anything defined in the notebook
  (functions, classes, their instances, also inside lists, dicts, partials and
  attributes), or coming from a module that is not the standard library and not
  an installed package independent of hyperwidget (local modules, editable
  installs, packages that require or import hyperwidget).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib.metadata
import json
import re
import sys
import types
from collections.abc import Iterator, Mapping
from typing import Any

#: hyperwidget's logging functions and methods (``log``, ``Run.log``, ``Run.log_metrics``, ``mlflow.log_metric(s)``).
LOG_FUNCTIONS = ("log", "log_metric", "log_metrics")
#: Calls that run code the analysis cannot see.
DYNAMIC_CALLS = ("exec", "eval", "compile", "__import__", "get_ipython", "import_module", "run_path", "run_module")
#: How deep and how many objects :func:`_value_may_log` inspects before it gives up (and calls the cell uncertain).
MAX_DEPTH = 4
MAX_OBJECTS = 100_000

_HW = "hyperwidget"
#: Packages whose logging reaches the trial although they do not depend on hyperwidget: MLflow reports to the
#: sweep through its tracking-store plugin (``hyperwidget.tracking``), and its autologging logs names it picks
#: at run time.
_LOGGING_PACKAGES = frozenset({"mlflow"})
_PRIMITIVES = (int, float, complex, str, bytes, bool, type(None), range)


@dataclasses.dataclass(frozen=True)
class CellLogs:
    """The metric names a cell logs by literal name, and why it may log others (``None``: it cannot)."""

    names: tuple[str, ...]
    uncertain: str | None

    def never_logs(self, metric: str) -> bool:
        """True only when ``metric`` is certainly never logged by the cell."""
        return self.uncertain is None and metric not in self.names


def cell_logs(source: str, trial_globals: Mapping[str, Any]) -> CellLogs:
    """Read the metric names ``source`` logs and whether other names may be logged.

    Parameters
    ----------
    source : str
        The cell as Python (IPython's transform of it); it must parse.
    trial_globals : mapping
        The notebook values the trial reads (the trial function's globals),
        including the fallbacks ``log`` and ``Run``.

    Returns
    -------
    CellLogs
        The literal names, in order of appearance, and the first reason why the
        list may be incomplete, or ``None`` when it is complete.
    """
    tree = ast.parse(source)
    _module_kind.cache_clear()  # modules loaded since the last cell count
    scanner = _Scanner(_import_origins(tree), trial_globals)
    scanner.visit(tree)
    names = tuple(dict.fromkeys(scanner.names))
    if scanner.reasons:
        return CellLogs(names, scanner.reasons[0])
    return CellLogs(names, next(_global_reasons(trial_globals, scanner.imported), None))


def literal_names(tree: ast.Module) -> tuple[str, ...]:
    """The metric names ``tree``'s logging calls give as literal text, in order of first appearance.

    ``log("acc", v)``, ``run.log("acc", v)``, ``mlflow.log_metric("acc", v)`` and
    ``log_metrics({"acc": v})`` all count; calls of functions from modules that
    cannot log (``np.log``) do not. Whether other names may be logged is
    :func:`cell_logs`'s question.
    """
    scanner = _Scanner(_import_origins(tree), {})
    scanner.visit(tree)
    return tuple(dict.fromkeys(scanner.text_names))


def is_logging_call(node: ast.expr) -> bool:
    """True for a call of a logging function or method (``log(...)``, ``mlflow.log_metric(...)``): it has no value."""
    return isinstance(node, ast.Call) and _called_name(node.func) in LOG_FUNCTIONS


# ------------------------------------------------------------------------------------------- the source


def _import_origins(tree: ast.Module) -> dict[str, str]:
    """Names bound by the cell's imports -> the module they come from (``""`` for a relative import)."""
    origins: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.partition(".")[0]
                origins[bound] = alias.name if alias.asname else alias.name.partition(".")[0]
        elif isinstance(node, ast.ImportFrom):
            module = "" if node.level else (node.module or "")
            for alias in node.names:
                origins[alias.asname or alias.name] = module
    return origins


class _Scanner(ast.NodeVisitor):
    """Collect literal logged names and the reasons why the cell may log more."""

    def __init__(self, imported: dict[str, str], trial_globals: Mapping[str, Any]) -> None:
        self.imported = imported
        self.trial_globals = trial_globals
        self.names: list[str] = []
        self.text_names: list[str] = []  # the names given as text (``math.log(2)`` names no metric)
        self.reasons: list[str] = []
        self._callees: set[int] = set()

    def _root_origin(self, node: ast.expr) -> str | None:
        """The module the root name of ``a.b.c`` comes from; ``None`` when it is a local variable."""
        while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
            node = node.func if isinstance(node, ast.Call) else node.value
        if not isinstance(node, ast.Name):
            return None
        if node.id in self.imported:
            return self.imported[node.id]
        if node.id in self.trial_globals:
            return _origin(self.trial_globals[node.id]) or ""
        return None

    def _is_inert(self, node: ast.expr) -> bool:
        """True when the object ``node`` names comes from a module that cannot log (``np.log``)."""
        origin = self._root_origin(node)
        return origin is not None and _module_kind(origin) == "inert"

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if _module_kind(alias.name) == "may log":
                self.reasons.append(f"it imports {alias.name}, which may log")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self.reasons.append("it makes a relative import, which may log")
        elif _module_kind(node.module or "") == "may log":
            self.reasons.append(f"it imports from {node.module}, which may log")

    def visit_Call(self, node: ast.Call) -> None:
        self._callees.add(id(node.func))
        called = _called_name(node.func)
        if called in DYNAMIC_CALLS:
            self.reasons.append(f"it calls {called}(), which runs code that may log")
        elif called == "getattr" and not _is_plain_getattr(node):
            self.reasons.append("it looks up an attribute by a computed or log name (getattr), which may log")
        elif called in LOG_FUNCTIONS and not self._is_inert(node.func):
            self._logging_call(called, node)
        self.generic_visit(node)

    def _logging_call(self, called: str, node: ast.Call) -> None:
        text = ast.unparse(node)
        if called == "log_metrics":
            metrics = node.args[0] if node.args else _keyword(node, "metrics")
            if not isinstance(metrics, ast.Dict) or any(k is None for k in metrics.keys):
                self.reasons.append(f"{text} logs names computed at run time")
                return
            keys: list[ast.expr | None] = list(metrics.keys)
        else:
            keys = [node.args[0] if node.args else _keyword(node, "name", "key")]
            if keys[0] is None:
                return  # no name at all: the call fails with a TypeError, logging nothing
        for key in keys:
            if not (isinstance(key, ast.Constant) and isinstance(key.value, (str, int, float))):
                self.reasons.append(f"{text} logs a name computed at run time")
                return
            self.names.append(str(key.value))
            if isinstance(key.value, str):
                self.text_names.append(key.value)

    def _passed_around(self, node: ast.Name | ast.Attribute, name: str) -> None:
        if name in LOG_FUNCTIONS and id(node) not in self._callees and not self._is_inert(node):
            self.reasons.append(f"it passes the logging function {ast.unparse(node)} around")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Load):
            self._passed_around(node, node.attr)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._passed_around(node, node.id)


def _called_name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _keyword(node: ast.Call, *names: str) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg in names), None)


def _is_plain_getattr(node: ast.Call) -> bool:
    """``getattr(obj, "literal", ...)`` with a literal attribute that is not a logging function."""
    if len(node.args) < 2 or not isinstance(node.args[1], ast.Constant):
        return False
    return node.args[1].value not in LOG_FUNCTIONS


# ----------------------------------------------------------------------------------- the notebook values


def _global_reasons(trial_globals: Mapping[str, Any], imported: Mapping[str, str]) -> Iterator[str]:
    """Why the notebook values the cell reads may log (the cell's own imports shadow them)."""
    budget = [MAX_OBJECTS]
    for name, value in trial_globals.items():
        if name in imported or name.startswith("__"):
            continue
        if _is_hw(value):
            renamed = getattr(value, "__name__", name) in LOG_FUNCTIONS and getattr(value, "__name__", name) != name
            if renamed:
                yield f"{name!r} is hyperwidget's {value.__name__} under another name"
            continue
        culprit = _value_may_log(value, MAX_DEPTH, set(), budget)
        if culprit is not None:
            yield f"{name!r} {culprit}"


def _origin(value: Any) -> str | None:
    """The module ``value`` comes from: a module's name, a function's or class's module, else its type's."""
    if isinstance(value, types.ModuleType):
        return value.__name__
    if isinstance(value, type) or (callable(value) and isinstance(getattr(value, "__module__", None), str)):
        module = getattr(value, "__module__", None)
        return module if isinstance(module, str) else None
    module = type(value).__module__
    return module if isinstance(module, str) else None


def _is_hw(value: Any) -> bool:
    origin = _origin(value)
    return origin is not None and _top(origin) == _HW


def _value_may_log(value: Any, depth: int, seen: set[int], budget: list[int]) -> str | None:
    """Why ``value`` (or what it holds) may log when the cell uses it, or ``None``."""
    try:
        return _inspect_value(value, depth, seen, budget)
    except Exception:  # noqa: BLE001 - a user's object may raise on attribute access
        return "cannot be inspected, and may log"


def _inspect_value(value: Any, depth: int, seen: set[int], budget: list[int]) -> str | None:
    if isinstance(value, _PRIMITIVES):
        return None
    if id(value) in seen:
        return None
    seen.add(id(value))
    budget[0] -= 1
    if budget[0] < 0:
        return "holds too many objects to tell whether any may log"
    origin = _origin(value)
    if origin is None:
        return "comes from an unknown module, and may log"
    if _top(origin) == _HW:
        return "holds hyperwidget's logging function" if getattr(value, "__name__", None) in LOG_FUNCTIONS else None
    if _module_kind(origin) == "may log":
        where = "the notebook" if _top(origin) == "__main__" else origin
        return f"comes from {where}, and may log"
    if isinstance(value, (types.ModuleType, type)):
        return None
    for item in _contents(value):
        if depth == 0 and not isinstance(item, _PRIMITIVES):
            return "holds objects too deep to tell whether any may log"
        culprit = _value_may_log(item, depth - 1, seen, budget)
        if culprit is not None:
            return culprit
    return None


def _contents(value: Any) -> Iterator[Any]:
    """What a value holds: container items, a partial's function and arguments, instance attributes."""
    if isinstance(value, dict):
        yield from value.keys()
        yield from value.values()
    elif isinstance(value, (list, tuple, set, frozenset)):
        yield from value
    elif isinstance(value, functools.partial):
        yield value.func
        yield from value.args
        yield from value.keywords.values()
    if not isinstance(value, (dict, list, tuple, set, frozenset)):
        attributes = getattr(value, "__dict__", None)
        if isinstance(attributes, dict):
            yield from attributes.values()


# ----------------------------------------------------------------------------------------- the modules


def _top(module: str) -> str:
    return module.partition(".")[0]


@functools.cache
def _module_kind(module: str) -> str:
    """``"hyperwidget"``, ``"inert"`` (cannot log: the standard library or an installed package
    independent of hyperwidget) or ``"may log"`` (the notebook, a local module, anything unknown)."""
    top = _top(module)
    if top == _HW:
        return _HW
    if not top or top.startswith("__") or top in _LOGGING_PACKAGES:
        return "may log"
    if top in sys.stdlib_module_names:
        return "inert"
    return "inert" if _independent_package(top) else "may log"


def _independent_package(top: str) -> bool:
    """True for an installed package that neither requires nor imports hyperwidget and is not the user's own."""
    dists = _distributions().get(top)
    if not dists or any(_depends_on_hyperwidget(d) or _installed_from_a_folder(d) for d in dists):
        return False
    loaded = (m for name, m in list(sys.modules.items()) if name == top or name.startswith(top + "."))
    return not any(_holds_hyperwidget(m) for m in loaded)


def _depends_on_hyperwidget(dist: str) -> bool:
    """True when the distribution requires hyperwidget, directly or through other requirements (extras too)."""
    return _normalize(dist) in _dependents_of_hyperwidget()


@functools.lru_cache(maxsize=1)
def _distributions() -> Mapping[str, list[str]]:
    """Top-level module -> installed distributions, read once (a package installed later is unknown: may log)."""
    return importlib.metadata.packages_distributions()


@functools.lru_cache(maxsize=1)
def _dependents_of_hyperwidget() -> frozenset[str]:
    """The installed distributions that require hyperwidget, directly or not, and hyperwidget itself."""
    required_by: dict[str, set[str]] = {}
    for dist in importlib.metadata.distributions():
        # an email.message.Message at run time; the PackageMetadata protocol of the 3.10 stubs has no get()
        name = _normalize(dist.metadata.get("Name") or "")  # type: ignore[attr-defined]
        for requirement in dist.requires or []:
            match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
            if match and name:
                required_by.setdefault(_normalize(match.group(1)), set()).add(name)
    found, todo = {_HW}, [_HW]
    while todo:
        for dependent in required_by.get(todo.pop(), ()):
            if dependent not in found:
                found.add(dependent)
                todo.append(dependent)
    return frozenset(found)


@functools.cache
def _installed_from_a_folder(dist: str) -> bool:
    """True for ``pip install -e .`` or ``pip install ./project``: the user's own code."""
    try:
        text = importlib.metadata.distribution(dist).read_text("direct_url.json")
    except (importlib.metadata.PackageNotFoundError, OSError):
        return False
    if not text:
        return False
    try:
        return str(json.loads(text).get("url", "")).startswith("file:")
    except ValueError:
        return True


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _holds_hyperwidget(module: Any) -> bool:
    """True when a loaded module has imported something from hyperwidget."""
    try:
        values = list(vars(module).values())
    except TypeError:
        return False
    return any(_is_hw(v) for v in values if isinstance(v, (types.ModuleType, type, types.FunctionType)))
