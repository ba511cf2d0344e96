"""Names that become keywords, command-line flags, folder names and terminal text, checked in one place.

A sweep's name names a folder (``hyperwidget_runs/<name>``), a hyperparameter's name
becomes a Python keyword or a ``--flag``, a metric's name is printed in tables. Each
is checked when declared and, for what a sweep file holds, when read back (a sweep
file is data someone may send you). A leaf module: it imports only the errors.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from hyperwidget.errors import SearchSpaceError, SweepConfigError

__all__ = [
    "SEPARATOR",
    "check_metric_name",
    "check_param_name",
    "check_sweep_name",
    "escape_control",
    "flag_name",
    "flat_params",
    "has_control",
    "kwarg_name",
    "unsafe_name",
]


def kwarg_name(name: str) -> str:
    """The Python keyword for a hyperparameter name.

    ``'--batch-size'`` -> ``'batch_size'``, ``'lambda'`` -> ``'lambda_'``.

    Leading dashes are dropped and inner dashes become underscores; a Python
    keyword gets a trailing underscore (PEP 8's convention, as in ``class_``),
    so ``def f(lambda_)`` receives hyperparameter ``lambda``.
    """
    word = name.lstrip("-").replace("-", "_")
    return f"{word}_" if keyword.iskeyword(word) else word


#: Joins the keys of a nested hyperparameter into its flat name: ``model.gamma``.
SEPARATOR = "."


def flat_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A configuration with nested dicts flattened to names joined by :data:`SEPARATOR`.

    The form of results columns, monitor columns and a script's flags. An empty
    dict is kept as a value (it has no key to name a column).

    >>> flat_params({"model": {"kernel": "rbf", "gamma": 0.01}, "epochs": 10})
    {'model.kernel': 'rbf', 'model.gamma': 0.01, 'epochs': 10}
    """
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flat_params(value, name + SEPARATOR))
        else:
            out[name] = value
    return out


def flag_name(name: str) -> str:
    """The command-line flag for a hyperparameter name: ``'batch_size'`` -> ``'--batch_size'``."""
    return name if name.startswith("-") else f"--{name}"


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")  # C0/C1 controls, bidi overrides, separators


def has_control(text: str) -> bool:
    """Whether ``text`` holds control characters (newlines, ESC, bidi overrides, ...)."""
    return any(_is_control(c) for c in text)


def escape_control(text: str) -> str:
    """``text`` with control characters (ESC, newlines, bidi overrides, ...) written as ``\\x1b``-style escapes.

    For terminal output of names, parameters and errors read from a sweep file: a
    crafted name cannot move the cursor, recolour or rewrite what is printed.
    Newlines and tabs are kept (they are layout, not commands).
    """
    if not any(_is_control(c) and c not in "\n\t" for c in text):
        return text
    return "".join(c if not _is_control(c) or c in "\n\t" else c.encode("unicode_escape").decode("ascii") for c in text)


def unsafe_name(name: object) -> str | None:
    """Why ``name`` cannot name a sweep or a trial (a folder of the runs directory), or ``None`` when it can."""
    if not isinstance(name, str) or not name.strip():
        return "it must be a non-empty string"
    if name in (".", ".."):
        return "'.' and '..' name folders outside the sweep's own"
    if re.search(r"[/\\]", name):
        return "it holds a path separator ('/' or '\\'), which would reach folders outside the runs folder"
    if has_control(name):
        return "it holds control characters (newlines, escapes)"
    if name != name.strip():
        return "it starts or ends with whitespace"
    return None


def check_sweep_name(name: object, setting: str = "name") -> str:
    """Return ``name`` when it can name a sweep, else raise ``SweepConfigError`` with the fix."""
    reason = unsafe_name(name)
    if reason is not None:
        raise SweepConfigError(
            f"{setting}={name!r} cannot name a sweep: {reason}. Use letters, digits, '_', "
            "'-' and '.', e.g. name='lr_search_1'."
        )
    return str(name)


def check_metric_name(name: object, setting: str = "metric") -> str:
    """Return ``name`` when it can name a metric (non-blank, one line, no control characters)."""
    if not isinstance(name, str) or not name.strip() or any(_is_control(c) for c in name):
        raise SweepConfigError(
            f"{setting} must be the name the trial logs: a non-blank string without newlines "
            f"or control characters, got {setting}={name!r}; e.g. {setting}='accuracy'."
        )
    return name


def check_param_name(name: object) -> str:
    """Return ``name`` when it can name a hyperparameter (a keyword and a ``--flag``), else raise."""
    if not isinstance(name, str) or not name.strip("-"):
        raise SearchSpaceError(f"hyperparameter names must be non-empty strings, got {name!r}.")
    if "=" in name or any(c.isspace() or _is_control(c) for c in name):
        fix = re.sub(r"[=\s]+", "_", "".join(c for c in name if not _is_control(c))).strip("_") or "x"
        raise SearchSpaceError(
            f"hyperparameter {name!r}: a name may hold no '=', whitespace or control characters (a script would "
            f"get {flag_name(name)!r} as a broken flag); rename it, e.g. {fix!r}."
        )
    return name
