"""Trial tasks as Dask futures, at most ``n_jobs`` at once; a trial the sweep has ended is let go at once.

joblib's Dask backend waits for every task it submitted; a trial stuck in C
(see :mod:`~hyperwidget.executor._dask`) would hold the sweep until the call
returns. Here the sweep cancels such a task's future and goes on.
"""

from __future__ import annotations

import asyncio
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from hyperwidget.executor._worker import LATER, Later, TrialOutcome, TrialTask

#: Seconds the sweep waits, after a trial's task returned, for its values and end to come through the channel.
END_SECONDS = 30.0


class DaskRunner:
    """Runs trial tasks as Dask futures, at most ``n_jobs`` at once, and lets go of abandoned ones."""

    def __init__(self, client: Any, n_jobs: int, has_ended: Callable[[str], bool]) -> None:
        self._client, self._n_jobs, self._has_ended = client, n_jobs, has_ended
        self._abandoned: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._wake = threading.Event()

    def abandon(self, trial_id: str) -> None:
        """Stop waiting for ``trial_id``: its task is cancelled (it may run on in its worker thread)."""
        self._abandoned.put(trial_id)
        self._wake.set()

    def run(
        self, next_task: Callable[[], TrialTask | Later | None], execute: Callable[[TrialTask], TrialOutcome]
    ) -> Iterator[TrialOutcome]:
        """Yield each trial's outcome in completion order until ``next_task`` returns ``None``.

        :data:`~hyperwidget.executor._worker.LATER` leaves the slot free until the next round.
        """
        futures: dict[str, Any] = {}
        finishing: dict[str, tuple[TrialOutcome, float]] = {}  # done, its values maybe not all recorded yet
        exhausted = False
        try:
            while True:
                later = False
                while not exhausted and not later and len(futures) + len(finishing) < self._n_jobs:
                    task = next_task()
                    if task is None:
                        exhausted = True
                    elif task is LATER:
                        later = True
                    else:
                        futures[task.trial_id] = self._submit(execute, task)
                if not futures and not finishing and exhausted:
                    return
                self._wake.wait(0.02 if finishing or not futures else 0.5)
                self._wake.clear()
                while not self._abandoned.empty():
                    trial_id = self._abandoned.get()
                    if (future := futures.pop(trial_id, None)) is not None:
                        future.cancel()
                        yield TrialOutcome(trial_id, "Canceled", skipped=True)
                for trial_id, future in list(futures.items()):
                    if future.done():
                        del futures[trial_id]
                        finishing[trial_id] = (_outcome(trial_id, future), time.monotonic() + END_SECONDS)
                yield from self._finished(finishing)
        finally:
            for future in futures.values():
                future.cancel()

    def _finished(self, finishing: dict[str, tuple[TrialOutcome, float]]) -> Iterator[TrialOutcome]:
        """The outcomes whose trial's end came through the channel (values and end travel apart from results)."""
        now = time.monotonic()
        for trial_id, (outcome, deadline) in list(finishing.items()):
            if outcome.skipped or outcome.status == "Crashed" or self._has_ended(trial_id) or now > deadline:
                del finishing[trial_id]
                yield outcome

    def _submit(self, execute: Callable[[TrialTask], TrialOutcome], task: TrialTask) -> Any:
        key = f"hyperwidget-{task.trial_id}-{secrets.token_hex(4)}"
        future = self._client.submit(execute, task, pure=False, key=key)
        future.add_done_callback(lambda _: self._wake.set())
        return future


def _outcome(trial_id: str, future: Any) -> TrialOutcome:
    """A finished future's outcome; a task that raised (its worker died again and again) is ``Crashed``."""
    try:
        return future.result()
    except (Exception, asyncio.CancelledError) as error:
        return TrialOutcome(
            trial_id, "Crashed", f"the Dask task of this trial failed: {type(error).__name__}: {str(error)[:300]}"
        )
