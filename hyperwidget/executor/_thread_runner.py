"""Trial tasks in daemon threads, at most ``n_jobs`` at once; a trial the sweep has ended is let go at once.

joblib's threading ``Parallel`` call waits for every task it started: a trial
stuck in C (``time.sleep``, a long native call) only sees the asynchronous
exception that ends it (:mod:`~hyperwidget.executor._interrupt`) when the call
returns, and held the sweep until then. Here each trial runs in its own daemon
thread; when the sweep abandons a trial (it recorded it ``TimedOut`` or
``Canceled``), its slot is given to the next trial at once. The abandoned thread
runs on until its call returns, its late reports ignored (its record is
finished), and, being a daemon thread, does not keep the process alive.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from collections.abc import Callable, Iterator

from hyperwidget.executor._worker import LATER, Later, TrialOutcome, TrialTask

#: Seconds between two checks for a Ctrl-C while the sweep's thread waits for its trials.
_TICK = 0.5
#: Seconds before asking again when the sweep said LATER and no trial of this runner runs.
_LATER_TICK = 0.02


class ThreadRunner:
    """Runs trial tasks in daemon threads, at most ``n_jobs`` not abandoned ones at once.

    Parameters
    ----------
    n_jobs : int
        How many trials run at once (abandoned ones not counted).
    """

    def __init__(self, n_jobs: int) -> None:
        self._n_jobs = max(1, n_jobs)
        # an outcome from a trial's thread, or the id of a trial abandoned by the sweep's watchdog
        self._events: queue.SimpleQueue[TrialOutcome | str] = queue.SimpleQueue()

    def abandon(self, trial_id: str) -> None:
        """Stop waiting for ``trial_id`` and free its slot (its thread may run on)."""
        self._events.put(trial_id)

    def run(
        self, next_task: Callable[[], TrialTask | Later | None], execute: Callable[[TrialTask], TrialOutcome]
    ) -> Iterator[TrialOutcome]:
        """Yield each trial's outcome in completion order until ``next_task`` returns ``None``.

        :data:`~hyperwidget.executor._worker.LATER` leaves the slot free until the
        next trial's end (or a tick, when none runs), then ``next_task`` is asked again.

        An abandoned trial yields a skipped ``Canceled`` outcome (the sweep already
        recorded how it ended); the outcome its thread returns later is dropped.
        """
        running: set[str] = set()
        exhausted = False
        while True:
            later = False
            while not exhausted and not later and len(running) < self._n_jobs:
                task = next_task()
                if task is None:
                    exhausted = True
                elif task is LATER:
                    later = True
                else:
                    running.add(task.trial_id)
                    self._start(execute, task)
            if not running:
                if exhausted:
                    return
                time.sleep(_LATER_TICK)  # nothing runs here, yet the sweep waits (e.g. for a late outcome)
                continue
            item = self._next_event()
            trial_id = item.trial_id if isinstance(item, TrialOutcome) else item
            if trial_id not in running:
                continue  # the late end of an abandoned trial, or a trial abandoned twice
            running.discard(trial_id)
            yield item if isinstance(item, TrialOutcome) else TrialOutcome(trial_id, "Canceled", skipped=True)

    def _next_event(self) -> TrialOutcome | str:
        """The next event; waits in ticks so that a Ctrl-C reaches the sweep's thread."""
        while True:
            try:
                return self._events.get(timeout=_TICK)
            except queue.Empty:
                continue

    def _start(self, execute: Callable[[TrialTask], TrialOutcome], task: TrialTask) -> None:
        def target() -> None:
            try:
                outcome = execute(task)
            except BaseException:  # execute_trial reports a trial's own failures: this is hyperwidget's
                outcome = TrialOutcome(task.trial_id, "Failed", traceback.format_exc())
            self._events.put(outcome)

        thread = threading.Thread(target=target, name=f"hyperwidget-trial-{task.trial_id}", daemon=True)
        thread.start()
