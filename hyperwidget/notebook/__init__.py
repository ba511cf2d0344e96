"""Jupyter layer of hyperwidget: the live sweep monitor and its helpers.

Names are loaded on first use, so importing this package (for instance from
the ``%%sweep`` magic) does not import anywidget until a monitor is needed.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Browser", "RunDetails", "SweepMonitor", "browse", "print_final_table", "run_with_monitor", "show_run"]

_WHERE = {
    "Browser": "hyperwidget.notebook.browser",
    "browse": "hyperwidget.notebook.browser",
    "RunDetails": "hyperwidget.notebook.live",
    "SweepMonitor": "hyperwidget.notebook.monitor",
    "print_final_table": "hyperwidget.notebook.live",
    "run_with_monitor": "hyperwidget.notebook.live",
    "show_run": "hyperwidget.notebook.live",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'hyperwidget.notebook' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
