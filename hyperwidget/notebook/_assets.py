"""Find the front-end files and build the widget's ES module text.

``js/`` at the repository root is the single source of truth. A wheel ships a
copy of it as ``hyperwidget/static/`` (configured in ``pyproject.toml``). This
module is the only code that knows both places.

anywidget loads ``_esm`` as one module text, so relative imports cannot be
resolved in the browser. ``monitor.js`` imports its pure helpers from
``./format.js`` (which keeps them testable with ``node --test``);
:func:`esm_source` inlines ``format.js`` in front of ``monitor.js`` and drops
that import line. ``format.js`` itself imports nothing.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_SOURCE_JS = _PACKAGE_DIR.parent / "js"
_STATIC = _PACKAGE_DIR / "static"
_FILES = ("monitor.js", "format.js", "monitor.css")
_FORMAT_IMPORT = re.compile(r"^import\s*\{[^}]*\}\s*from\s*[\"']\./format\.js[\"'];?[ \t]*$", re.MULTILINE)


def asset_dir() -> Path:
    """The folder holding ``monitor.js``, ``format.js`` and ``monitor.css``.

    A source checkout (``pyproject.toml`` beside ``js/``, which also covers
    editable installs) uses ``js/``; an installed wheel uses
    ``hyperwidget/static/``.

    Raises
    ------
    FileNotFoundError
        When neither folder has all three files.
    """
    in_checkout = (_SOURCE_JS.parent / "pyproject.toml").is_file()
    candidates = (_SOURCE_JS, _STATIC) if in_checkout else (_STATIC, _SOURCE_JS)
    for folder in candidates:
        if all((folder / name).is_file() for name in _FILES):
            return folder
    raise FileNotFoundError(
        f"hyperwidget's front-end files {', '.join(_FILES)} were found neither in {_SOURCE_JS} "
        f"(source checkout) nor in {_STATIC} (installed wheel); reinstall hyperwidget, or "
        "check that the wheel build copies js/* into hyperwidget/static/."
    )


def bundle(monitor_js: str, format_js: str) -> str:
    """One ES module: ``format_js`` followed by ``monitor_js`` minus its
    ``import ... from "./format.js"`` line.

    Raises
    ------
    ValueError
        When ``monitor_js`` does not have exactly one such import, or
        ``format_js`` imports something (it must stay dependency-free).
    """
    found = len(_FORMAT_IMPORT.findall(monitor_js))
    if found != 1:
        raise ValueError(
            f"monitor.js must import its helpers with exactly one `import {{...}} from \"./format.js\";` "
            f"statement, found {found}; keep that single import so it can be inlined."
        )
    if re.search(r"^\s*import\s", format_js, re.MULTILINE):
        raise ValueError("format.js must not import anything: it is inlined into the widget module as is.")
    body = _FORMAT_IMPORT.sub("// (format.js is inlined above)", monitor_js)
    return f"// ---- format.js ----\n{format_js}\n// ---- monitor.js ----\n{body}"


@functools.lru_cache(maxsize=1)
def esm_source() -> str:
    """The widget's ES module text (read once per process)."""
    folder = asset_dir()
    return bundle((folder / "monitor.js").read_text("utf-8"), (folder / "format.js").read_text("utf-8"))


@functools.lru_cache(maxsize=1)
def css_source() -> str:
    """The widget's stylesheet."""
    return (asset_dir() / "monitor.css").read_text("utf-8")
