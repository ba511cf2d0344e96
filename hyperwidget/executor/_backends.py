"""THE table of backends: where trials run, and what that implies, as small objects with capability flags.

In the spirit of joblib's ``ParallelBackendBase`` subclasses: each backend says
whether its trials run in the sweep's own process (then they report by direct
calls, and the objective is not pickled), whether one worker's death takes the
others down (loky), how a trial that will not stop by itself is ended, where the
trial channel listens, and which exceptions mean a lost worker. The engine asks
the backend object and knows no backend name; adding a backend is one class here
and one line in :data:`BACKENDS`.
"""

from __future__ import annotations

import contextlib
import enum
import os
import signal
import socket
from typing import Any, ClassVar

from joblib import parallel_config

from hyperwidget.errors import SweepConfigError, TrialInterrupted
from hyperwidget.executor import _interrupt
from hyperwidget.executor._worker import parse_worker_label
from hyperwidget.registry import Entry, Registry

#: The backend of a sweep that names none (Azure's ``"local"`` compute target too).
DEFAULT_BACKEND = "loky"
_LOCAL_TARGETS = (None, "local", "cpu-cluster")


class Interruption(enum.Enum):
    """How the sweep ends a trial that is canceled or past its timeout and does not stop by itself."""

    #: Nothing more: the trial stops at its next ``log`` call or by its own timeout watchdog.
    WAIT = "wait"
    #: An asynchronous :class:`~hyperwidget.errors.TrialInterrupted` in the trial's thread.
    THREAD = "thread"
    #: ``SIGKILL`` to the worker process (on this machine).
    KILL_WORKER = "kill-worker"


class Backend:
    """Where trials run: the base of every backend (its defaults are those of worker processes).

    Attributes
    ----------
    name : str
        The registered name (``backend="threads"``).
    joblib_backend : str
        The joblib backend that runs the trials.
    in_process : bool
        Trials run in the sweep's own process: they report by direct calls and
        the objective is passed as it is, not pickled.
    loses_all_workers : bool
        One worker's death takes every worker down (loky): a lost connection is
        not yet a verdict, the trials in flight are judged when the pool breaks.
    max_concurrency : int or None
        The most trials at once (``None``: no limit of its own).
    caps_at_cores : bool
        Concurrency above this machine's cores is capped at the cores, with a warning.
    interruption : Interruption
        How a trial that will not stop by itself is ended.
    """

    name: ClassVar[str]
    joblib_backend: ClassVar[str]
    in_process: ClassVar[bool] = False
    loses_all_workers: ClassVar[bool] = False
    max_concurrency: ClassVar[int | None] = None
    caps_at_cores: ClassVar[bool] = True
    interruption: ClassVar[Interruption] = Interruption.WAIT

    def check(self) -> None:
        """Raise ``SweepConfigError`` when the backend cannot run here (e.g. no Dask client)."""

    @property
    def channel(self) -> str:
        """Where the trial channel listens: ``"local"`` (direct calls) or ``"tcp"`` (a socket)."""
        return "local" if self.in_process else "tcp"

    def channel_hosts(self) -> tuple[str, str | None]:
        """The interface the TCP channel binds to, and the address workers use (``None``: the same)."""
        return "127.0.0.1", None

    def default_concurrency(self, max_total_runs: int) -> int:
        """Trials at once when the sweep does not say: one per core, at most ``max_total_runs``."""
        return min(max_total_runs, self.max_concurrency or os.cpu_count() or 1)

    def limit_concurrency(self, requested: int) -> int:
        """``requested``, or :attr:`max_concurrency` when that is lower (silently: the Azure layers' rule)."""
        return min(requested, self.max_concurrency or requested)

    def parallel_config(self, n_jobs: int) -> contextlib.AbstractContextManager[Any]:
        """The joblib configuration a call with ``n_jobs`` runs under."""
        return parallel_config(backend=self.joblib_backend)

    def worker_loss_errors(self) -> tuple[type[BaseException], ...]:
        """The exceptions by which joblib says a worker died (none for in-process backends)."""
        return ()

    def is_worker_loss(self, error: BaseException) -> bool:
        """True when ``error`` (or its cause or context) is one of :meth:`worker_loss_errors`."""
        kinds = self.worker_loss_errors()
        chain = (error, error.__cause__, error.__context__)
        return bool(kinds) and any(isinstance(e, kinds) for e in chain if e is not None)

    def interrupt(self, trial_id: str, worker: str | None) -> None:
        """End a trial that will not stop by itself, as :attr:`interruption` says (the sweep recorded why)."""
        if self.interruption is Interruption.THREAD:
            _interrupt.interrupt(trial_id, TrialInterrupted)
        elif self.interruption is Interruption.KILL_WORKER:
            _kill_local_worker(worker)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class SequentialBackend(Backend):
    """One trial at a time, in the thread running the sweep."""

    name = "sequential"
    joblib_backend = "sequential"
    in_process = True
    max_concurrency = 1
    caps_at_cores = False


class ThreadBackend(Backend):
    """Trials in threads of the sweep's process (cheap to start; Python code shares the GIL)."""

    name = "threads"
    joblib_backend = "threading"
    in_process = True
    interruption = Interruption.THREAD

    def parallel_config(self, n_jobs: int) -> contextlib.AbstractContextManager[Any]:
        if n_jobs == 1:
            return super().parallel_config(n_jobs)
        stack = contextlib.ExitStack()
        stack.enter_context(parallel_config(backend=self.joblib_backend))
        stack.enter_context(_blas_share(n_jobs))
        return stack


class LokyBackend(Backend):
    """Trials in loky worker processes on this machine (the default)."""

    name = "loky"
    joblib_backend = "loky"
    loses_all_workers = True
    interruption = Interruption.KILL_WORKER

    def parallel_config(self, n_jobs: int) -> contextlib.AbstractContextManager[Any]:
        return parallel_config(backend=self.joblib_backend, inner_max_num_threads=None)

    def worker_loss_errors(self) -> tuple[type[BaseException], ...]:
        from concurrent.futures.process import BrokenProcessPool

        from joblib.externals.loky.process_executor import TerminatedWorkerError

        return TerminatedWorkerError, BrokenProcessPool


class DaskBackend(Backend):
    """Trials on the active ``dask.distributed`` client's workers, through joblib's Dask backend."""

    name = "dask"
    joblib_backend = "dask"
    caps_at_cores = False  # joblib starts no worker: the cluster's own (which may scale) run the trials

    def check(self) -> None:
        dask_client()

    def channel_hosts(self) -> tuple[str, str | None]:
        """On a remote cluster, listen on every interface and advertise this machine's address."""
        scheduler = dask_client().scheduler.address
        host = scheduler.split("://")[-1].rsplit(":", 1)[0]
        if host in ("127.0.0.1", "localhost", "::1"):
            return "127.0.0.1", None
        from distributed.utils import get_ip

        return "0.0.0.0", get_ip(host)

    def worker_loss_errors(self) -> tuple[type[BaseException], ...]:
        from distributed import KilledWorker

        return (KilledWorker,)


#: Backend name -> backend class, in the order shown to users. Read by ``run_sweep(backend=...)``,
#: the ``%%sweep --backend`` option, the command line and the Azure layers.
BACKENDS = Registry(
    "backend", {cls.name: Entry(cls) for cls in (SequentialBackend, ThreadBackend, LokyBackend, DaskBackend)}
)


def get_backend(name: str) -> Backend:
    """The backend object registered as ``name`` (``SweepConfigError`` listing the names when unknown)."""
    return BACKENDS.load(BACKENDS.check(name))()


def backend_names(**flags: Any) -> list[str]:
    """The registered backends whose capability flags have the given values, e.g. ``in_process=True``."""
    return [
        name for name in BACKENDS if all(getattr(BACKENDS.load(name), flag) == value for flag, value in flags.items())
    ]


def check_backend(backend: str) -> str:
    """Validate a backend name and that it can run here; returns the name."""
    name = BACKENDS.check(backend)
    get_backend(name).check()
    return name


def backend_for_compute_target(target: Any) -> str:
    """The backend an Azure compute target maps to: ``None``, ``"local"`` or ``"cpu-cluster"`` -> the default."""
    target = getattr(target, "name", target)
    return DEFAULT_BACKEND if target in _LOCAL_TARGETS else str(target)


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


def _kill_local_worker(worker: str | None) -> None:
    """``SIGKILL`` the worker process named by a worker label, when it is another process on this machine."""
    label = parse_worker_label(worker)
    if label is None or label.host != socket.gethostname() or label.pid == os.getpid():
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(label.pid, signal.SIGKILL)


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
