"""Run a sweep with a live monitor: the one entry point of the magic and the
Python API in notebooks; and :class:`RunDetails` for a run started elsewhere.

In a kernel with a widget front end, :func:`run_with_monitor` displays a
:class:`~hyperwidget.notebook.monitor.SweepMonitor`, starts the sweep on a
background thread and keeps the cell waiting, while the widget's messages are
handled on a kernel subshell thread (ipykernel 7) or by polling the kernel's
queue from the waiting cell (``jupyter_ui_poll``, ipykernel 6), so the stop
buttons work while the cell is busy: see :mod:`hyperwidget.notebook._kernel`.

Elsewhere (terminal IPython, a plain script) it prints a throttled progress
line and, at the end, the final table. When the sweep ends in a notebook, a
static HTML table is displayed as well, so a saved notebook keeps the final
table even where widgets are not rendered (reopened without a kernel,
nbconvert, GitHub).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from hyperwidget.notebook import _kernel, _snapshot
from hyperwidget.trial import Goal, TrialRecord

#: Seconds between two progress lines of the text fallback.
TEXT_INTERVAL = 2.0
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
        return _wait_text(start([]), None)
    if widget_frontend_available():
        return _run_in_notebook(start)
    progress = TextProgress()
    return _wait_text(start([progress]), progress)


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


def _wait_text(run: Any, progress: TextProgress | None) -> Any:
    try:
        _wait_plain(run, None)
    except KeyboardInterrupt:
        _cancel_after_interrupt(run)
    if progress is not None:
        progress.finish(run)
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
    progress = TextProgress()
    progress.on_sweep_start(run)
    for record in list(run.trials):
        progress.on_trial_update(record)
    progress.finish(run)
    return None


def _update_when_ended(monitor: Any, handle: Any) -> None:
    while not monitor.ended:
        time.sleep(0.25)
    handle.update(monitor.static_bundle(), raw=True)


class TextProgress:
    """Observer for terminals and scripts: a progress line at most every
    ``interval`` seconds, and the final table.

    Parameters
    ----------
    stream : file-like, optional
        Where to write (default ``sys.stdout`` at write time).
    interval : float
        Least seconds between two progress lines.
    """

    def __init__(self, stream: TextIO | None = None, interval: float = TEXT_INTERVAL) -> None:
        self.stream = stream
        self.interval = interval
        self._lock = threading.Lock()
        self._run: Any = None
        self._table = _snapshot.Table("metric", Goal.MAXIMIZE)
        self._latest: dict[str, TrialRecord] = {}  # records not yet folded into the table (see _catch_up)
        self._started_at = time.time()
        self._last_line = 0.0
        self._finished = False

    def _write(self, text: str) -> None:
        stream = self.stream or sys.stdout
        stream.write(text + "\n")
        stream.flush()

    def on_sweep_start(self, run: Any) -> None:
        """Engine hook: remember the run's metric and goal."""
        self._run = run
        goal = Goal.parse(getattr(run, "goal", Goal.MAXIMIZE))
        self._table = _snapshot.Table(
            str(getattr(run, "metric", "") or "metric"), goal, getattr(run, "is_feasible", None)
        )
        self._latest = {}
        self._started_at = _snapshot.time_of(getattr(run, "started_at", None)) or self._started_at

    def on_trial_update(self, record: TrialRecord) -> None:
        """Engine hook: note the record; print a line if ``interval`` has passed.

        The engine calls it for every logged value: a row (whose cost grows with the
        trial's series) is built only when a line is printed, from each trial's latest record.
        """
        try:
            with self._lock:
                self._latest[record.id] = record
                due = time.monotonic() - self._last_line >= self.interval
                if due:
                    self._last_line = time.monotonic()
            if due:
                self._write(self.line())
        except Exception:  # never break the sweep over a progress line
            logger.debug("hyperwidget: progress line failed", exc_info=True)

    def _catch_up(self) -> None:
        """Fold the records noted since the last line into the table (under ``_lock``)."""
        if self._latest:
            latest, self._latest = self._latest, {}
            self._table.update(latest.values())

    def on_sweep_end(self, run: Any) -> None:
        """Engine hook (the final table is printed by :meth:`finish`)."""
        self._run = run

    def rows(self) -> list[dict[str, Any]]:
        """The rows seen so far, in trial order."""
        with self._lock:
            self._catch_up()
            return self._table.sorted_rows()

    def _summary(self, status: str) -> tuple[dict[str, Any], dict[str, Any]]:
        with self._lock:
            self._catch_up()
            table = self._table
            info = _snapshot.sweep_info(self._run, table.metric, table.goal, table.param_names)
            return table.summary(status, self._started_at, budget=_snapshot.budget_of(self._run)), info

    def line(self, status: str = "Running") -> str:
        """The current progress line."""
        return _snapshot.progress_line(*self._summary(status))

    def finish(self, run: Any) -> None:
        """Print the final table, under its progress line (once)."""
        if self._finished:
            return
        self._finished = True
        self._run = run
        with self._lock:
            self._catch_up()
            self._table.update(list(getattr(run, "trials", ()) or ()))
            self._table.settle()
        summary, info = self._summary(str(getattr(run, "status", "") or "Completed"))
        with self._lock:
            rows, total = self._table.static_rows(), len(self._table.rows)
        self._write(_snapshot.static_bundle(rows, summary, info, total)["text/plain"])
