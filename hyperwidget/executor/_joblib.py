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

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterator
from typing import Any

from joblib import Parallel, delayed, parallel_config

from hyperwidget.errors import SweepConfigError
from hyperwidget.executor._worker import TrialOutcome, TrialTask, execute_trial

BACKENDS = ("sequential", "threads", "loky", "dask")
_JOBLIB_NAMES = {"sequential": "sequential", "threads": "threading", "loky": "loky", "dask": "dask"}


@dataclasses.dataclass(frozen=True)
class WorkerLost:
    """A worker process died and joblib aborted the call; in-flight trials need a verdict."""

    message: str


def check_backend(backend: str) -> str:
    """Validate a backend name (``SweepConfigError`` naming the choices)."""
    if backend not in BACKENDS:
        raise SweepConfigError(f"backend: unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}.")
    if backend == "dask":
        dask_client()
    return backend


def dask_client() -> Any:
    """The active ``dask.distributed`` client, or a ``SweepConfigError`` saying how to make one."""
    try:
        from distributed import get_client
    except ImportError:
        raise SweepConfigError("backend='dask' needs dask.distributed: pip install 'dask[distributed]'.") from None
    try:
        return get_client()
    except ValueError:
        raise SweepConfigError(
            "backend='dask' needs a running dask.distributed Client: e.g. `from dask.distributed import Client, "
            "LocalCluster; client = Client(LocalCluster())`, or Client('tcp://scheduler:8786') for a cluster."
        ) from None


def is_in_process(backend: str) -> bool:
    """True when trials run in the sweep's own process."""
    return backend in ("sequential", "threads")


class TrialExecutor:
    """Runs :class:`TrialTask` objects on a joblib backend, yielding outcomes in completion order.

    Parameters
    ----------
    backend : {"sequential", "threads", "loky", "dask"}
        ``loky`` (worker processes) is the default of the sweep; ``dask`` uses
        joblib's Dask backend on the active ``distributed.Client``.
    n_jobs : int
        How many trials run at once.
    """

    def __init__(self, backend: str = "loky", n_jobs: int = 1) -> None:
        self.backend = check_backend(backend)
        self.n_jobs = 1 if backend == "sequential" else n_jobs

    def run(self, next_task: Callable[[], TrialTask | None]) -> Iterator[TrialOutcome | WorkerLost]:
        """Yield each trial's outcome; ``next_task`` returning ``None`` ends the run.

        ``next_task`` is called from joblib's dispatch thread, so it must be
        thread-safe. A :class:`WorkerLost` item means the in-flight trials were
        lost with a dying worker; the run then goes on with a fresh pool.
        """
        while True:
            try:
                with self._config():
                    parallel = Parallel(n_jobs=self.n_jobs, return_as="generator_unordered", batch_size=1,
                                        pre_dispatch=str(self.n_jobs))
                    yield from parallel(self._tasks(next_task))
                return
            except Exception as error:
                if not _is_worker_loss(error):
                    raise
                yield WorkerLost(f"{type(error).__name__}: {error}")

    @staticmethod
    def _tasks(next_task: Callable[[], TrialTask | None]) -> Iterator[Any]:
        while (task := next_task()) is not None:
            yield delayed(execute_trial)(task)

    def _config(self) -> contextlib.AbstractContextManager[Any]:
        if self.backend == "loky":
            return parallel_config(backend="loky", inner_max_num_threads=None)
        if self.backend == "threads" and self.n_jobs > 1:
            stack = contextlib.ExitStack()
            stack.enter_context(parallel_config(backend="threading"))
            stack.enter_context(_blas_share(self.n_jobs))
            return stack
        return parallel_config(backend=_JOBLIB_NAMES[self.backend])


def _blas_share(n_jobs: int) -> contextlib.AbstractContextManager[Any]:
    """Limit BLAS/OpenMP pools to ``cpu_count // n_jobs`` threads while concurrent trials share the process.

    What joblib's loky backend does for each worker process; without it, every
    thread's BLAS calls start a pool as wide as the machine and they
    oversubscribe the cores. The limit is process-wide and lifted when the
    sweep ends; scipy's BLAS is loaded first so that it is limited too.
    """
    import scipy.linalg  # noqa: F401  (loads scipy's BLAS so that the limit reaches it)
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=max(1, (os.cpu_count() or 1) // n_jobs))


def _is_worker_loss(error: BaseException) -> bool:
    names = {type(error).__name__, *(type(c).__name__ for c in (error.__cause__, error.__context__) if c)}
    return bool(names & {"TerminatedWorkerError", "BrokenProcessPool", "KilledWorker"})
