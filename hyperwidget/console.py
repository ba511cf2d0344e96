"""Progress as text, for terminals, plain scripts and logs: THE text progress observer (no Jupyter needed).

The command line, ``run_sweep(monitor=True)`` outside a notebook and
``RunDetails(run).show()`` in a terminal all print through
:class:`ConsoleProgress`.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

from hyperwidget.names import escape_control, flat_params
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

#: Least seconds between two lines of trials that did not improve the best (new bests always print).
CONSOLE_INTERVAL = 1.0


class ConsoleProgress:
    """An observer that prints finished trials and a summary at the end.

    A trial that improves the best value is always printed; the others at most
    one line every ``interval`` seconds, so that a sweep of thousands of quick
    trials prints a readable log (the line then says how many finished since).

    Parameters
    ----------
    stream : file, optional
        Where to print (default ``sys.stdout`` at print time).
    interval : float
        Least seconds between two lines of trials that did not improve the best;
        ``0`` prints every finished trial.

    Examples
    --------
    >>> import io
    >>> from hyperwidget import run_sweep, uniform
    >>> out = io.StringIO()
    >>> run = run_sweep(
    ...     lambda x: x,
    ...     {"x": uniform(0, 1)},
    ...     metric="x",
    ...     goal="maximize",
    ...     max_total_runs=3,
    ...     backend="sequential",
    ...     storage=None,
    ...     observers=[ConsoleProgress(out, 0)],
    ... )
    >>> print(out.getvalue().splitlines()[0])
    sweep sweep...: up to 3 trials, 1 at a time (sequential); maximize 'x'
    >>> len(out.getvalue().splitlines())  # the header, a line per trial, the summary and the best
    6
    """

    def __init__(self, stream: TextIO | None = None, interval: float = CONSOLE_INTERVAL) -> None:
        self._stream = stream
        self._interval = interval
        self._lock = threading.Lock()
        self._metric, self._goal = "metric", Goal.MAXIMIZE
        self._others: list[str] = []  # the objectives after the primary metric (multi-objective sweeps)
        self._best: float | None = None
        self._done = 0
        self._unprinted = 0
        self._last_line = -float("inf")
        self._started = time.time()

    def on_sweep_start(self, run: Any) -> None:
        """Engine hook: print what the sweep will do."""
        self._metric, self._goal = str(run.metric), Goal.parse(run.goal)
        objectives = list(getattr(run, "objectives", ()))[1:]
        self._others = [str(name) for name, _ in objectives]
        self._started = _time_of(getattr(run, "started_at", None)) or time.time()
        config = getattr(run, "config", None)
        limits = (
            f"up to {config.max_total_runs} trials, {config.max_concurrent_runs} at a time ({config.backend}); "
            if config is not None and hasattr(config, "max_concurrent_runs")
            else ""
        )
        aims = "".join(f", {Goal.parse(goal).value} {name!r}" for name, goal in objectives)
        self._print(f"sweep {run.name}: {limits}{self._goal.value} {self._metric!r}{aims}")
        notice = getattr(run, "notice", None)
        if notice:  # e.g. "starting 2 worker processes…": said once, the first trials wait for it
            self._print(str(notice))

    def on_trial_update(self, record: TrialRecord) -> None:
        """Engine hook: print a finished trial (throttled unless it is a new best)."""
        if not record.status.is_finished:
            return
        with self._lock:
            self._done += 1
            value = record.best(self._metric, self._goal)
            improved = self._improves(record, value)
            now = time.monotonic()
            if not improved and now - self._last_line < self._interval:
                self._unprinted += 1
                return
            self._last_line, since, self._unprinted = now, self._unprinted, 0
        self._print(self._trial_line(record, value, improved, since))

    def on_sweep_end(self, run: Any) -> None:
        """Engine hook: print the counts by status and the best trial."""
        counts: dict[str, int] = {}
        for r in run.trials:
            counts[r.status.value] = counts.get(r.status.value, 0) + 1
        ended = _time_of(getattr(run, "ended_at", None)) or time.time()
        self._print(f"sweep {run.name} {run.status} in {ended - self._started:.1f} s: {counts}")
        best = run.get_best_run_by_primary_metric()
        if best is not None:
            self._print(f"best: {best.id}  {run.metric}={best.best_primary_metric:.6g}  {best.get_hyperparameters()}")
        if self._others:
            self._print(_front_line(run))

    def _improves(self, record: TrialRecord, value: float) -> bool:
        useful = record.status in (TrialStatus.COMPLETED, TrialStatus.STOPPED_EARLY) and value == value
        if useful and (self._best is None or self._goal.better(value, self._best)):
            self._best = value
            return True
        return False

    def _trial_line(self, record: TrialRecord, value: float, improved: bool, since: int) -> str:
        params = ", ".join(f"{k}={_short(v)}" for k, v in flat_params(record.params).items())  # model.gamma=...
        mark = "  * new best" if improved else ""
        detail = f"  ({_exception_line(record.error)})" if record.error and not improved else ""
        skipped = f"  (+{since} more finished)" if since else ""
        others = "".join(f" {name}={record.last(name):.5g}" for name in self._others)
        return (
            f"[{self._done:>4}] {record.id:<28} {record.status.value:<12} "
            f"{self._metric}={value:.5g}{others}  {params}{mark}{detail}{skipped}"
        )

    def _print(self, line: str) -> None:
        # names, parameters and errors may come from a sweep file: no terminal escape sequences
        print(escape_control(line), file=self._stream or sys.stdout, flush=True)


def _front_line(run: Any) -> str:
    """The Pareto front of a multi-objective sweep in one line: its size and its members' ids."""
    front = run.pareto_front()
    names = ", ".join(child.id for child in front[:10]) + (", …" if len(front) > 10 else "")
    return f"Pareto front: {len(front)} trial{'s' if len(front) != 1 else ''}" + (f" ({names})" if front else "")


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _time_of(value: Any) -> float | None:
    """A POSIX time from a float or a datetime (``None`` when absent)."""
    if value is None:
        return None
    return float(value.timestamp()) if hasattr(value, "timestamp") else float(value)


def _exception_line(text: str | None) -> str:
    """The last non-blank line of a traceback (the exception and its message), cut at 120 characters."""
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:120] if lines else ""
