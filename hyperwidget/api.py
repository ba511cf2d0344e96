"""The package-level ``hyperwidget.run_sweep`` and ``hyperwidget.resume_sweep``.

They are the engine's functions (:mod:`hyperwidget.sweep`) plus the one thing the
engine must not know about: inside a Jupyter kernel they show the live monitor
under the cell and wait for the sweep while the monitor's stop buttons work.
This module sits above both the engine and the notebook layer; the engine never
imports it, and it imports the notebook layer only inside a kernel.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from hyperwidget import sweep
from hyperwidget.objective import Script


def run_sweep(objective: Callable[..., Any] | Script, space: Any = None, *, metric: str, goal: Any = "maximize",
              monitor: bool | None = None, **settings: Any) -> sweep.SweepRun:
    """Run a sweep to its end; in a notebook, with the live monitor.

    Takes every argument of :func:`hyperwidget.sweep.run_sweep`, plus:

    Parameters
    ----------
    monitor : bool, optional
        ``None`` (default): show the live monitor when running inside a Jupyter
        kernel with a widget front end, else run silently. ``True``: always
        (outside Jupyter it prints progress lines and the final table).
        ``False``: never (e.g. for sweeps in a loop).

    Notes
    -----
    With the monitor, interrupting the kernel cancels the sweep, keeps every
    finished trial and returns the canceled run instead of raising
    ``KeyboardInterrupt``, so the results stay in the cell's variable.
    """
    if not _wants_monitor(monitor):
        return sweep.run_sweep(objective, space, metric=metric, goal=goal, **settings)
    observers = list(settings.pop("observers", ()))
    return _with_monitor(lambda extra: sweep.start_sweep(objective, space, metric=metric, goal=goal,
                                                         observers=[*observers, *extra], **settings))


def resume_sweep(name: str, objective: Callable[..., Any] | Script,
                 storage: str | os.PathLike[str] = sweep.DEFAULT_STORAGE, *, monitor: bool | None = None,
                 **overrides: Any) -> sweep.SweepRun:
    """Go on with a stored sweep (see :func:`hyperwidget.sweep.resume_sweep`); ``monitor`` as in :func:`run_sweep`."""
    if not _wants_monitor(monitor):
        return sweep.resume_sweep(name, objective, storage, **overrides)
    observers = list(overrides.pop("observers", ()))

    def start(extra: list[Any]) -> sweep.SweepRun:
        prepared = sweep.prepare_sweep(objective, None, metric="", name=name, storage=storage, resume=True,
                                       observers=[*observers, *extra], **overrides)
        return sweep.launch(prepared)

    return _with_monitor(start)


def _wants_monitor(monitor: bool | None) -> bool:
    if monitor is not None:
        return monitor
    if "ipykernel" not in sys.modules:  # not in a Jupyter kernel: do not even import IPython
        return False
    from hyperwidget.notebook.live import widget_frontend_available

    return widget_frontend_available()


def _with_monitor(start: Callable[[list[Any]], sweep.SweepRun]) -> sweep.SweepRun:
    from hyperwidget.notebook.live import run_with_monitor

    return run_with_monitor(start)
