"""Progress and results as text, for terminals, plain scripts and logs (no Jupyter needed)."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

from hyperwidget.names import escape_control
from hyperwidget.trial import TrialRecord, TrialStatus


class ConsoleProgress:
    """An observer that prints one line per finished trial and a summary at the end.

    Parameters
    ----------
    stream : file, optional
        Where to print (default ``sys.stdout``).
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._run: Any = None
        self._best: float | None = None
        self._done = 0
        self._started = time.time()

    def on_sweep_start(self, run: Any) -> None:
        self._run, self._started = run, time.time()
        self._print(
            f"sweep {run.name}: up to {run.config.max_total_runs} trials, "
            f"{run.config.max_concurrent_runs} at a time ({run.config.backend}); "
            f"{run.goal.value} {run.metric!r}"
        )

    def on_trial_update(self, record: TrialRecord) -> None:
        if not record.status.is_finished or self._run is None:
            return
        with self._lock:
            self._done += 1
            value = record.best(self._run.metric, self._run.goal)
            improved = (
                record.status in (TrialStatus.COMPLETED, TrialStatus.STOPPED_EARLY)
                and value == value
                and (self._best is None or self._run.goal.better(value, self._best))
            )
            if improved:
                self._best = value
            params = ", ".join(f"{k}={_short(v)}" for k, v in record.params.items())
            mark = "  * new best" if improved else ""
            detail = f"  ({_exception_line(record.error)})" if record.error and not improved else ""
            self._print(
                f"[{self._done:>4}] {record.id:<28} {record.status.value:<12} "
                f"{self._run.metric}={value:.5g}  {params}{mark}{detail}"
            )

    def on_sweep_end(self, run: Any) -> None:
        counts: dict[str, int] = {}
        for r in run.trials:
            counts[r.status.value] = counts.get(r.status.value, 0) + 1
        self._print(f"sweep {run.name} {run.status} in {time.time() - self._started:.1f} s: {counts}")
        best = run.get_best_run_by_primary_metric()
        if best is not None:
            self._print(f"best: {best.id}  {run.metric}={best.best_primary_metric:.6g}  {best.get_hyperparameters()}")

    def _print(self, line: str) -> None:
        # names, parameters and errors may come from a sweep file: no terminal escape sequences
        print(escape_control(line), file=self._stream, flush=True)


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _exception_line(text: str | None) -> str:
    """The last non-blank line of a traceback (the exception and its message), cut at 120 characters."""
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:120] if lines else ""
