"""Turn a ``%%sweep`` cell into a search space and a picklable trial function (pure; no IPython).

A cell is read in two parts, with :mod:`ast`:

* the **header**: the leading assignments whose value is a search-space expression,
  ``lr = loguniform(-9, -2)``; they are evaluated once, in the notebook's namespace,
  and become the sweep's search space;
* the **body**: every statement after the header. It becomes the body of
  ``def trial(**params)``; each hyperparameter is bound to a local variable of the
  same name, and the value of a final expression statement is returned (the metric).

The trial's globals are only the names the body reads, copied from the notebook's
namespace, and the function's module is not importable, so cloudpickle pickles it
*by value*: data loaded in earlier cells reaches loky and dask worker processes.
Line numbers are those of the notebook cell (the ``%%sweep`` line is line 1), in
error messages and in the tracebacks of failing trials.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import functools
import hashlib
import inspect
import keyword
import linecache
import symtable
import traceback
import types
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

from hyperwidget import space as _space
from hyperwidget.errors import HyperwidgetError
from hyperwidget.notebook._logged import is_logging_call, literal_names
from hyperwidget.objective import kwarg_name

#: Module name given to trial functions: absent from ``sys.modules``, so cloudpickle copies them by value.
TRIAL_MODULE = "__hyperwidget_cell__"
#: Name of the ``**params`` argument of the generated trial function.
PARAMS_ARG = "params"
#: Start of every cell's pseudo file name (tracebacks are trimmed to the frames from there on).
CELL_PREFIX = "<%%sweep cell "


class CellError(HyperwidgetError):
    """A ``%%sweep`` cell cannot be turned into a sweep; ``lineno`` is the cell line at fault.

    IPython shows it through ``_render_traceback_``: the offending line and the
    message, without the magic's own frames.
    """

    def __init__(self, message: str, *, lineno: int | None = None, details: str | None = None) -> None:
        where = f"line {lineno}: " if lineno is not None else ""
        super().__init__(f"%%sweep cell, {where}{message}")
        self.lineno = lineno
        self.details = details

    def _render_traceback_(self) -> list[str]:
        lines = self.details.rstrip("\n").splitlines() if self.details else []
        return [*lines, f"{type(self).__name__}: {self}"]


@dataclasses.dataclass(frozen=True)
class CellParts:
    """A cell split into its search-space header and its trial body (AST nodes, cell line numbers)."""

    header: tuple[ast.Assign | ast.AnnAssign, ...]
    body: tuple[ast.stmt, ...]

    @property
    def returns_value(self) -> bool:
        """True when the body ends with an expression statement (its value is the metric)."""
        return bool(self.body) and isinstance(self.body[-1], ast.Expr) and not is_logging_call(self.body[-1].value)


@dataclasses.dataclass(frozen=True)
class CompiledCell:
    """What the magic needs from a cell: the space, the trial, and what the trial logs."""

    space: dict[str, Any]
    trial: CellTrial
    returns_value: bool
    logged_metrics: tuple[str, ...]

    @property
    def default_metric(self) -> str | None:
        """The primary metric to use when ``--metric`` is not given, or ``None`` when ambiguous.

        ``"metric"`` when the cell ends with a value and logs nothing by name; the
        name logged with ``log("name", value)`` (or ``mlflow.log_metric``) when it is the only one and the cell
        does not end with a value; else ``None`` (the user must say).
        """
        if self.returns_value:
            return None if self.logged_metrics else "metric"
        return self.logged_metrics[0] if len(self.logged_metrics) == 1 else None


class CellTrial:
    """The trial built from a cell body: call it as ``trial(**params)``.

    It pickles as its *source*, not as a code object: the generated function's AST,
    the cell's text and the notebook values it reads travel to the worker, which
    compiles the function there under the cell's pseudo file name and puts the
    cell's text into :mod:`linecache`. Tracebacks from loky and Dask workers thus
    show the cell's lines whatever cloudpickle does to the file names of the code
    objects it pickles (cloudpickle 3.1 renames them ``<dynamic-code>``).
    """

    def __init__(self, function: Callable[..., Any], filename: str, source: str, module: ast.Module) -> None:
        self.function = function
        self.filename = filename
        self.source = source
        self.module = module
        self.__name__ = self.__qualname__ = "trial"
        self.__doc__ = "The body of a %%sweep cell, called once per trial with the hyperparameters."

    def __call__(self, **params: Any) -> Any:
        register_source(self.filename, self.source)
        return self.function(**params)

    def __reduce__(self) -> tuple[Callable[..., CellTrial], tuple[Any, ...]]:
        captured = {k: v for k, v in self.function.__globals__.items() if k not in _SCOPE_NAMES}
        return _define_trial, (self.module, self.filename, self.source, captured)

    @property
    def global_names(self) -> tuple[str, ...]:
        """The notebook names the trial carries with it (sorted)."""
        return tuple(sorted(k for k in self.function.__globals__ if not k.startswith("__")))

    def check_picklable(self) -> None:
        """Raise :class:`CellError` naming the notebook variables that cannot go to worker processes.

        Worker backends (loky, dask) receive the trial with cloudpickle; a lock, an
        open file or a database connection cannot travel.
        """
        import cloudpickle

        try:
            cloudpickle.dumps(self)
        except Exception as exc:  # noqa: BLE001 - pickling a user's object can raise anything
            bad = [name for name in self.global_names if not _picklable(self.function.__globals__[name])]
            culprits = ", ".join(repr(n) for n in bad) or "a value it uses"
            raise CellError(
                f"the trial cannot be sent to worker processes: {culprits} cannot be pickled "
                f"({type(exc).__name__}: {exc}); create it inside the cell, or run in this process "
                "with --backend threads or --backend sequential."
            ) from None

    def __repr__(self) -> str:
        return f"<CellTrial {self.filename} globals={list(self.global_names)}>"


def _picklable(value: Any) -> bool:
    import cloudpickle

    try:
        cloudpickle.dumps(value)
    except Exception:  # noqa: BLE001 - as above
        return False
    return True


def register_source(filename: str, source: str) -> None:
    """Make ``source`` the text of ``filename`` for tracebacks (``linecache``)."""
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)


def cell_filename(source: str) -> str:
    """A stable pseudo file name for a cell, e.g. ``<%%sweep cell 1a2b3c4d>``."""
    return f"{CELL_PREFIX}{hashlib.sha1(source.encode()).hexdigest()[:8]}>"


@functools.lru_cache(maxsize=1)
def expression_factories() -> Mapping[str, Callable[..., Any]]:
    """The search-space functions a cell header may call without importing them (``choice``, ...)."""
    found = {}
    for name, value in vars(_space).items():
        if name.startswith("_") or not inspect.isfunction(value) or not _is_hyperwidget_object(value):
            continue
        returned = getattr(_space, str(value.__annotations__.get("return", "")), None)
        if isinstance(returned, type) and issubclass(returned, _space.Expression) and returned is not _space.Expression:
            found[name] = value
    return types.MappingProxyType(found)


# ----------------------------------------------------------------------------------------------- parsing


def parse_cell(source: str, *, line_offset: int = 1, filename: str = "<%%sweep cell>") -> ast.Module:
    """Parse ``source`` with cell line numbers (``line_offset`` lines come before it).

    Raises
    ------
    CellError
        For a syntax error, with the cell line and the usual caret display.
    """
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        lineno = (exc.lineno or 1) + line_offset
        end = exc.end_lineno + line_offset if exc.end_lineno is not None else None
        moved = type(exc)(exc.msg, (filename, lineno, exc.offset, exc.text, end, exc.end_offset))
        details = "".join(traceback.format_exception_only(type(moved), moved))
        raise CellError(f"{type(exc).__name__}: {exc.msg}", lineno=lineno, details=details) from None
    return ast.increment_lineno(tree, line_offset)


def split_cell(tree: ast.Module, namespace: Mapping[str, Any]) -> CellParts:
    """Split a parsed cell into its leading search-space assignments and the rest.

    A header statement is ``name = f(...)`` (or ``name: T = f(...)``) where ``f`` is a
    search-space function (:func:`expression_factories`) that ``namespace`` does not
    bind to something else, or ``module.f(...)`` where ``module`` is a hyperwidget module.

    Raises
    ------
    CellError
        When such an assignment comes after the first ordinary statement (it would
        silently be a constant of the trial, not a hyperparameter).
    """
    statements = list(tree.body)
    count = 0
    while count < len(statements) and _is_space_assignment(statements[count], namespace):
        count += 1
    for statement in statements[count:]:
        if _is_space_assignment(statement, namespace):
            name = _target_name(statement)
            raise CellError(
                f"{name!r} is declared as a hyperparameter after the first trial statement (line "
                f"{statements[count].lineno}); move the declaration to the top of the cell, above every other "
                "statement.",
                lineno=statement.lineno,
            )
    return CellParts(header=tuple(statements[:count]), body=tuple(statements[count:]))  # type: ignore[arg-type]


def _target_name(statement: ast.stmt) -> str | None:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        target = statement.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def _is_space_assignment(statement: ast.stmt, namespace: Mapping[str, Any]) -> bool:
    if _target_name(statement) is None:
        return False
    return _is_space_value(statement.value, namespace)  # type: ignore[attr-defined]


def _is_space_value(value: ast.expr, namespace: Mapping[str, Any]) -> bool:
    """A call of a search-space function, or a dict literal holding one (a group: ``opt = {"lr": uniform(0, 1)}``)."""
    if isinstance(value, ast.Dict):
        return any(v is not None and _is_space_value(v, namespace) for v in value.values)
    if not isinstance(value, ast.Call):
        return False
    factories = expression_factories()
    func = value.func
    if isinstance(func, ast.Name) and func.id in factories:
        bound = namespace.get(func.id, factories[func.id])
        return _is_hyperwidget_object(bound)
    if isinstance(func, ast.Attribute) and func.attr in factories:
        return _is_hyperwidget_object(_resolve_attribute(func.value, namespace))
    return False


def _resolve_attribute(node: ast.expr, namespace: Mapping[str, Any]) -> Any:
    """The object a dotted name such as ``hw.space`` denotes in ``namespace`` (``None`` if unknown)."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        return getattr(_resolve_attribute(node.value, namespace), node.attr, None)
    return None


def _is_hyperwidget_object(value: Any) -> bool:
    module = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
    return isinstance(module, str) and (module == "hyperwidget" or module.startswith("hyperwidget."))


def logged_metrics(statements: tuple[ast.stmt, ...]) -> tuple[str, ...]:
    """The metric names logged with a literal name (``log``, ``mlflow.log_metric(s)``), in order of first appearance."""
    return literal_names(ast.Module(body=list(statements), type_ignores=[]))


# ----------------------------------------------------------------------------------------- search space


def evaluate_space(
    header: tuple[ast.Assign | ast.AnnAssign, ...],
    namespace: Mapping[str, Any],
    *,
    filename: str = "<%%sweep cell>",
) -> dict[str, Any]:
    """Evaluate the header's expressions in ``namespace`` (the search-space functions as fallback).

    Warnings raised while building an expression (e.g. ``loguniform`` taking
    exponents) are re-issued at the cell line that declares it.

    Raises
    ------
    CellError
        When a declaration raises, is declared twice, or is not an expression.
    """
    scope = {**expression_factories(), **namespace}
    space: dict[str, Any] = {}
    for statement in header:
        name = str(_target_name(statement))
        if name in space:
            raise CellError(f"{name!r} is declared twice; keep one declaration.", lineno=statement.lineno)
        space[name] = _evaluate_declaration(statement, name, scope, filename)
    return space


def _evaluate_declaration(
    statement: ast.Assign | ast.AnnAssign, name: str, scope: dict[str, Any], filename: str
) -> Any:
    code = compile(ast.Expression(body=statement.value), filename, "eval")  # type: ignore[arg-type]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = eval(code, scope)  # the user's own cell, in the user's own kernel
        except Exception as exc:
            raise CellError(f"declaring {name!r} failed: {type(exc).__name__}: {exc}", lineno=statement.lineno) from exc
    for warning in caught:
        warnings.warn_explicit(warning.message, warning.category, filename, statement.lineno)
    if not isinstance(value, (_space.Expression, dict)):
        raise CellError(
            f"{name!r} must be a search-space expression such as choice(...) or uniform(...), "
            f"got {type(value).__name__} {value!r}.",
            lineno=statement.lineno,
        )
    return value


# ---------------------------------------------------------------------------------------- trial function


def build_trial(
    body: tuple[ast.stmt, ...],
    param_names: list[str] | tuple[str, ...],
    namespace: Mapping[str, Any],
    *,
    fallbacks: Mapping[str, Any] | None = None,
    filename: str = "<%%sweep cell>",
    source: str = "",
) -> CellTrial:
    """Compile ``body`` into ``def trial(**params)``; globals are the names it reads from ``namespace``.

    Parameters
    ----------
    body : tuple of ast.stmt
        The cell's trial statements, with cell line numbers.
    param_names : sequence of str
        Hyperparameter names as the engine passes them (leading ``-`` already
        stripped); the ones that are identifiers become local variables.
    namespace : mapping
        The notebook's namespace (``shell.user_ns``).
    fallbacks : mapping, optional
        Names used when ``namespace`` lacks them (``log``, ``Run``).
    filename, source : str
        Pseudo file name and full cell text, for tracebacks.

    Raises
    ------
    CellError
        When the body is empty, reads a name defined nowhere, or does not compile.
    """
    if not body:
        raise CellError(
            "the cell declares hyperparameters but has no trial code; add the training code after the "
            "declarations, ending with log('accuracy', value) calls or with the metric as the last line."
        )
    function_node = _function_node(body, param_names)
    module = ast.fix_missing_locations(ast.Module(body=[function_node], type_ignores=[]))
    try:
        code = compile(module, filename, "exec")
    except SyntaxError as exc:  # e.g. 'from m import *' inside a function, or 'nonlocal' at top level
        hint = ""
        if "import *" in exc.msg:
            hint = "; the cell runs as a function: import the names you need, or do the import in an earlier cell"
        raise CellError(f"SyntaxError: {exc.msg}{hint}.", lineno=exc.lineno) from None
    referenced = _global_reads(module)
    trial_globals = _capture(referenced, namespace, fallbacks or {}, function_node.body)
    return _define_trial(module, filename, source, trial_globals, code=code)


#: Names :func:`_define_trial` puts into a trial's globals (not notebook values).
_SCOPE_NAMES = frozenset({"__builtins__", "__name__"})


def _define_trial(
    module: ast.Module, filename: str, source: str, trial_globals: dict[str, Any], code: types.CodeType | None = None
) -> CellTrial:
    """Compile ``module`` (``def trial(**params)``) under ``filename`` and wrap it; also how a trial unpickles."""
    register_source(filename, source)
    scope = {**trial_globals, "__builtins__": builtins, "__name__": TRIAL_MODULE}
    exec(code or compile(module, filename, "exec"), scope)  # noqa: S102 - defines the function, runs nothing
    return CellTrial(scope.pop("trial"), filename, source, module)


def _function_node(body: tuple[ast.stmt, ...], param_names: list[str] | tuple[str, ...]) -> ast.FunctionDef:
    template = cast(ast.FunctionDef, ast.parse(f"def trial(**{PARAMS_ARG}):\n    pass").body[0])
    first = body[0].lineno
    names = [n for n in param_names if n.isidentifier() and not keyword.iskeyword(n) and n != PARAMS_ARG]
    if PARAMS_ARG in param_names:
        names.append(PARAMS_ARG)  # rebinding 'params' must come last
    prologue = [_bind_param(name, first) for name in names]
    statements = list(body)
    last = statements[-1]
    if isinstance(last, ast.Expr) and not is_logging_call(last.value):
        statements[-1] = ast.copy_location(ast.Return(value=last.value), last)
    template.body = [*prologue, *statements]
    template.lineno, template.end_lineno = first, statements[-1].end_lineno
    return template


def _bind_param(name: str, lineno: int) -> ast.stmt:
    statement = ast.parse(f"{name} = {PARAMS_ARG}[{name!r}]").body[0]
    for node in ast.walk(statement):
        if hasattr(node, "lineno"):
            node.lineno = node.end_lineno = lineno  # type: ignore[attr-defined]
    return statement


def _walk_tables(table: symtable.SymbolTable) -> Iterator[symtable.SymbolTable]:
    yield table
    for child in table.get_children():
        yield from _walk_tables(child)


def _global_reads(module: ast.Module) -> dict[str, bool]:
    """Global names used by the function: ``{name: assigned_by_the_body}``."""
    table = symtable.symtable(ast.unparse(module), "<cell>", "exec").get_children()[0]
    found: dict[str, bool] = {}
    for scope in _walk_tables(table):
        for symbol in scope.get_symbols():
            if symbol.is_global():
                name = symbol.get_name()
                assigned = symbol.is_declared_global() and symbol.is_assigned()
                found[name] = found.get(name, False) or assigned
    return found


def _capture(
    referenced: dict[str, bool],
    namespace: Mapping[str, Any],
    fallbacks: Mapping[str, Any],
    body: list[ast.stmt],
) -> dict[str, Any]:
    captured: dict[str, Any] = {}
    for name, assigned in referenced.items():
        if name in namespace:
            captured[name] = namespace[name]
        elif name in fallbacks:
            captured[name] = fallbacks[name]
        elif not assigned and not hasattr(builtins, name):
            raise CellError(
                f"NameError: name {name!r} is not defined in the notebook; define it in an earlier cell "
                "(or check the spelling).",
                lineno=_first_use(name, body),
            )
    return captured


def _first_use(name: str, body: list[ast.stmt]) -> int | None:
    lines = [
        node.lineno
        for statement in body
        for node in ast.walk(statement)
        if isinstance(node, ast.Name) and node.id == name
    ]
    return min(lines) if lines else None


# ------------------------------------------------------------------------------------------------ whole


def _merge_space(
    header: tuple[ast.Assign | ast.AnnAssign, ...], declared: dict[str, Any], space: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The ``--space`` dict's entries, then the cell's declarations; a name in both is an error."""
    merged = dict(space or {})
    from_dict = {kwarg_name(key) for key in merged}
    for statement in header:
        name = str(_target_name(statement))
        if name in from_dict:
            raise CellError(
                f"{name!r} is both in the --space dict and declared in the cell; keep one of the two.",
                lineno=statement.lineno,
            )
        merged[name] = declared[name]
    if not merged:
        raise CellError(
            "no hyperparameters: declare them at the top of the cell (e.g. lr = loguniform(-9, -2)) "
            "or name a dict of them with --space."
        )
    return merged


def _leading_blank_lines(text: str) -> int:
    lines = text.splitlines()
    return next((i for i, line in enumerate(lines) if line.strip()), len(lines))


def compile_cell(
    cell: str,
    namespace: Mapping[str, Any],
    *,
    space: Mapping[str, Any] | None = None,
    fallbacks: Mapping[str, Any] | None = None,
    magic_line: str = "%%sweep",
    typed: str | None = None,
) -> CompiledCell:
    """Build the search space and the trial of a ``%%sweep`` cell.

    Parameters
    ----------
    cell : str
        The cell body (after the ``%%sweep`` line), already transformed by IPython.
    namespace : mapping
        The notebook's namespace.
    space : mapping, optional
        Hyperparameters from ``--space DICT``; merged with the cell's declarations.
    fallbacks : mapping, optional
        Names the body may use without importing them (``log``, ``Run``).
    magic_line : str
        The first line of the cell, so that line numbers and tracebacks match the notebook.
    typed : str, optional
        The cell as the user typed it, when ``cell`` is IPython's transform of it:
        tracebacks show the typed lines, and the blank lines IPython drops at the
        top are counted back into the line numbers.

    Raises
    ------
    CellError
        With the cell line at fault.
    """
    typed = cell if typed is None else typed
    source = f"{magic_line.rstrip()}\n{typed}"
    filename = cell_filename(source)
    register_source(filename, source)
    dropped = _leading_blank_lines(typed) - _leading_blank_lines(cell)
    parts = split_cell(parse_cell(cell, line_offset=1 + dropped, filename=filename), namespace)
    merged = _merge_space(parts.header, evaluate_space(parts.header, namespace, filename=filename), space)
    param_names = [kwarg_name(name) for name in merged]
    trial = build_trial(parts.body, param_names, namespace, fallbacks=fallbacks, filename=filename, source=source)
    return CompiledCell(
        space=merged, trial=trial, returns_value=parts.returns_value, logged_metrics=logged_metrics(parts.body)
    )
