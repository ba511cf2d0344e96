"""Runs trials asynchronously on a joblib backend: a new trial starts as soon as a slot frees.

One joblib ``Parallel`` call in ``generator_unordered`` mode is fed by a
generator that asks the sweep for its next trial; joblib advances that generator
on its callback thread each time a trial completes, so exactly
``max_concurrent_runs`` trials are in flight. Two joblib behaviours shape this
module: any task error aborts the whole call (so trials never raise, see
``_worker``), and a dying loky worker aborts it with ``TerminatedWorkerError``
(so the executor reports the loss and starts a fresh call for the rest).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from joblib import Parallel, delayed

from hyperwidget.executor._backends import DEFAULT_BACKEND, Backend, get_backend
from hyperwidget.executor._worker import LATER, Later, TrialOutcome, TrialTask, execute_trial, idle


@dataclasses.dataclass(frozen=True)
class WorkerLost:
    """A worker process died and joblib aborted the call; in-flight trials need a verdict."""

    message: str


class TrialExecutor:
    """Runs :class:`TrialTask` objects on a joblib backend, yielding outcomes in completion order.

    Parameters
    ----------
    backend : Backend or str
        A backend object or a name registered in
        :data:`~hyperwidget.executor.BACKENDS` (default: worker processes).
    n_jobs : int
        How many trials run at once (at most the backend's ``max_concurrency``).
    """

    def __init__(self, backend: Backend | str = DEFAULT_BACKEND, n_jobs: int = 1) -> None:
        self.backend = get_backend(backend) if isinstance(backend, str) else backend
        self.backend.check()
        self.n_jobs = self.backend.limit_concurrency(n_jobs)

    def run(self, next_task: Callable[[], TrialTask | Later | None]) -> Iterator[TrialOutcome | WorkerLost]:
        """Yield each trial's outcome; ``next_task`` returning ``None`` ends the run.

        :data:`~hyperwidget.executor._worker.LATER` (nothing to start yet) gives
        the free slot an idle task (:func:`~hyperwidget.executor._worker.idle`),
        after which it asks again: joblib's generator must never block.

        ``next_task`` is called from joblib's dispatch thread, so it must be
        thread-safe. A :class:`WorkerLost` item means the in-flight trials were
        lost with a dying worker (an error the backend calls a worker loss); the
        run then goes on with a fresh pool.
        """
        own = self.backend.run_tasks(next_task, self.n_jobs)
        if own is not None:  # a backend that runs its tasks itself (Dask: it may let a stuck trial go)
            yield from own
            return
        while True:
            try:
                with self.backend.parallel_config(self.n_jobs):
                    parallel = Parallel(
                        n_jobs=self.n_jobs, return_as="generator_unordered", batch_size=1, pre_dispatch=str(self.n_jobs)
                    )
                    yield from parallel(self._tasks(next_task))
                return
            except Exception as error:
                if not self.backend.is_worker_loss(error):
                    raise
                yield WorkerLost(f"{type(error).__name__}: {error}")

    @staticmethod
    def _tasks(next_task: Callable[[], TrialTask | Later | None]) -> Iterator[Any]:
        while (task := next_task()) is not None:
            yield delayed(idle)() if task is LATER else delayed(execute_trial)(task)
