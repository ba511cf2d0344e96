"""Run a sweep with a live monitor: the one entry point of the magic and the
Python API in notebooks; and :class:`RunDetails` for a run started elsewhere.

In a kernel with a widget front end, :func:`run_with_monitor` displays a
:class:`~hyperwidget.notebook.monitor.SweepMonitor`, starts the sweep on a
background thread and keeps the cell waiting, while the widget's messages are
handled on a kernel subshell thread (ipykernel 7) or by polling the kernel's
queue from the waiting cell (``jupyter_ui_poll``, ipykernel 6), so the stop
buttons work while the cell is busy: see :mod:`hyperwidget.notebook._kernel`.

Elsewhere (terminal IPython, a plain script) it prints progress through
:class:`~hyperwidget.console.ConsoleProgress` and, at the end, the final table. When the sweep ends in a notebook, a
static HTML table is displayed as well, so a saved notebook keeps the final
table even where widgets are not rendered (reopened without a kernel,
nbconvert, GitHub).
"""

from __future__ import annotations

import logging
import shutil
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from hyperwidget.console import ConsoleProgress
from hyperwidget.notebook import _kernel, _snapshot
from hyperwidget.trial import Goal

#: Seconds between two checks of the run while the cell waits.
WAIT_STEP = 0.05

StartFn = Callable[[list], Any]

logger = logging.getLogger(__name__)


def widget_frontend_available() -> bool:
    """True inside a Jupyter kernel (ipykernel), where widgets can be shown.

    A kernel cannot tell whether a browser is attached: under nbconvert or
    nbclient the widget is created too and its state saved; the static final
    table covers the text view there.
    """
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def run_with_monitor(start: StartFn, *, show: bool = True) -> Any:
    """Start a sweep with a live monitor and wait for it to end.

    Parameters
    ----------
    start : callable
        Called once as ``start(observers)``; must start the sweep in the
        background and return its run at once, e.g.
        ``lambda obs: start_sweep(objective, space, observers=obs, ...)``.
    show : bool
        Display the monitor (default). False runs the sweep without any
        display and still waits for it.

    Returns
    -------
    SweepRun
        The finished run. Interrupting the kernel (the notebook's stop button,
        Ctrl-C) cancels the sweep, waits for it, keeps finished trials and
        returns the run instead of raising.
    """
    if not show:
        return _wait_text(start([]), print_table=False)
    if widget_frontend_available():
        return _run_in_notebook(start)
    return _wait_text(start([ConsoleProgress()]), print_table=True)


def _run_in_notebook(start: StartFn) -> Any:
    from IPython.display import display

    from hyperwidget.notebook.monitor import SweepMonitor

    monitor = SweepMonitor()
    routed = _kernel.route_to_subshell(monitor)
    display(monitor)
    try:
        run = start([monitor])
    except BaseException:  # e.g. a bad setting: no sweep, so no empty monitor either
        monitor.close()
        raise
    try:
        if routed or not _kernel.can_poll():
            _wait_plain(run, monitor)
        else:
            _wait_polling_ui(run, monitor)
    except KeyboardInterrupt:
        _cancel_after_interrupt(run)
    finally:  # also when the engine failed (run.wait() re-raises): show what was done
        monitor.wait_ended(timeout=10.0)
        display_final_table(monitor)
    return run


def _wait_polling_ui(run: Any, monitor: Any) -> None:
    """Wait for the run to end, processing widget messages meanwhile."""
    from jupyter_ui_poll import ui_events

    with ui_events() as poll:
        while not _finished(run, monitor):
            poll(20)
            monitor.wait_ended(WAIT_STEP)
    run.wait()


def _wait_plain(run: Any, monitor: Any | None) -> None:
    while not _finished(run, monitor):
        if monitor is not None:
            monitor.wait_ended(WAIT_STEP)
        else:
            time.sleep(WAIT_STEP)
    run.wait()


def _finished(run: Any, monitor: Any | None) -> bool:
    if monitor is not None and monitor.ended:
        return True
    return not _snapshot.run_is_running(run)


def _cancel_after_interrupt(run: Any) -> None:
    print(
        "Interrupted: canceling the sweep; finished trials are kept. Waiting for running trials to stop...",
        file=sys.stderr,
    )
    run.cancel()
    run.wait()


def _wait_text(run: Any, *, print_table: bool) -> Any:
    try:
        _wait_plain(run, None)
    except KeyboardInterrupt:
        _cancel_after_interrupt(run)
    if print_table:
        print_final_table(run)
    return run


def display_final_table(monitor: Any) -> None:
    """Display the monitor's final table as static HTML (plus plain text)."""
    from IPython.display import display

    display(monitor.static_bundle(), raw=True)


class RunDetails:
    """Show the monitor for an existing sweep run, like Azure's
    ``RunDetails(hyperdrive_run).show()``.

    Parameters
    ----------
    run : SweepRun
        A running or finished sweep (``start_sweep``, ``run_sweep`` or ``load_sweep``).
    """

    def __init__(self, run: Any) -> None:
        if not hasattr(run, "trials"):
            raise TypeError(
                f"RunDetails(run): expected a sweep run with a .trials list (from start_sweep, run_sweep or "
                f"load_sweep), got {type(run).__name__}."
            )
        self.run = run

    def show(self) -> None:
        """Display the live monitor (or a text table outside a widget front end).

        Returns None, like Azure's, so that ``RunDetails(run).show()`` as the
        last line of a cell does not display the monitor twice; use
        :func:`show_run` to get the monitor object.
        """
        show_run(self.run)


def show_run(run: Any) -> Any:
    """Show an existing run: the live monitor in a notebook, text elsewhere.

    Returns the monitor, or None when only text was printed.
    """
    if widget_frontend_available():
        from IPython.display import display

        from hyperwidget.notebook.monitor import SweepMonitor

        monitor = SweepMonitor().follow(run)
        display(monitor)
        if monitor.ended:
            display_final_table(monitor)
        else:  # Azure's pattern: submit, show, wait. The final table replaces a note when the run ends.
            handle = display(
                {"text/plain": "hyperwidget: the final table appears here when the sweep ends."},
                raw=True,
                display_id=True,
            )
            threading.Thread(
                target=_update_when_ended, args=(monitor, handle), daemon=True, name="hyperwidget-final-table"
            ).start()
        return monitor
    print_final_table(run)
    return None


def _update_when_ended(monitor: Any, handle: Any) -> None:
    while not monitor.ended:
        time.sleep(0.25)
    handle.update(monitor.static_bundle(), raw=True)


def print_final_table(run: Any, stream: TextIO | None = None, width: int | None = None) -> None:
    """Print the run's final table as text, best first by the primary metric, fitting the terminal.

    Every row of a sweep of at most 60 trials, else the 25 best; ``width``
    defaults to the terminal's (``shutil.get_terminal_size``, 100 when unknown).
    """
    goal = Goal.parse(getattr(run, "goal", Goal.MAXIMIZE))
    objectives = _snapshot.objectives_of(run)
    table = _snapshot.Table(
        str(getattr(run, "metric", "") or "metric"), goal, getattr(run, "is_feasible", None), objectives
    )
    table.update(list(getattr(run, "trials", ()) or ()))
    table.settle()
    started = _snapshot.time_of(getattr(run, "started_at", None)) or time.time()
    summary = table.summary(str(getattr(run, "status", "") or "Completed"), started, budget=_snapshot.budget_of(run))
    info = _snapshot.sweep_info(run, table.metric, table.goal, table.param_names, objectives)
    width = width or shutil.get_terminal_size((100, 24)).columns
    text = _snapshot.static_bundle(table.static_rows(), summary, info, len(table.rows), width)["text/plain"]
    (stream or sys.stdout).write(text + "\n")
