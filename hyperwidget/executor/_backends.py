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
import logging
import os
import signal
import socket
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from joblib import parallel_config

from hyperwidget.errors import HyperwidgetWarning, SweepConfigError, TrialInterrupted
from hyperwidget.executor import _interrupt
from hyperwidget.executor._channel import ChannelServer
from hyperwidget.executor._thread_runner import ThreadRunner
from hyperwidget.executor._worker import execute_trial, parse_worker_label, warm_up, watch_parent
from hyperwidget.registry import Entry, Registry

if TYPE_CHECKING:
    from hyperwidget.executor._channel import TrialHost
    from hyperwidget.executor._worker import Later, TrialOutcome, TrialTask

#: The backend of a sweep that names none (Azure's ``"local"`` compute target too).
DEFAULT_BACKEND = "loky"
_LOCAL_TARGETS = (None, "local")
_NOTED_TARGETS: set[str] = set()  # compute target names already said to run here (one note each)
logger = logging.getLogger("hyperwidget")
#: The longest the sweep waits for its warm-up tasks to be queued before it queues its first trials.
_WARM_UP_SUBMIT_SECONDS = 2.0


class Interruption(enum.Enum):
    """How the sweep ends a trial that is canceled or past its timeout and does not stop by itself."""

    #: Nothing more: the trial stops at its next ``log`` call or by its own timeout watchdog.
    WAIT = "wait"
    #: An asynchronous :class:`~hyperwidget.errors.TrialInterrupted` in the trial's thread.
    THREAD = "thread"
    #: ``SIGKILL`` to the worker process (on this machine).
    KILL_WORKER = "kill-worker"
    #: Raise :class:`~hyperwidget.errors.TrialInterrupted` in the trial's thread (asking its worker to, on Dask),
    #: and stop waiting for the task: code stuck in C may run on in its thread, the next trial takes its slot.
    ABANDON = "abandon"


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
    channel : str
        How trials report (:attr:`channel`); the sweep never listens on an interface other than loopback.
    ships_files : bool
        Trials may run on another machine: each runs in a temporary folder of its worker, and its files
        come back with its outcome (:mod:`~hyperwidget.executor._outputs`, bounded in size).
    """

    name: ClassVar[str]
    joblib_backend: ClassVar[str]
    in_process: ClassVar[bool] = False
    loses_all_workers: ClassVar[bool] = False
    max_concurrency: ClassVar[int | None] = None
    caps_at_cores: ClassVar[bool] = True
    interruption: ClassVar[Interruption] = Interruption.WAIT
    ships_files: ClassVar[bool] = False

    def check(self) -> None:
        """Raise ``SweepConfigError`` when the backend cannot run here (e.g. no Dask client)."""

    @property
    def channel(self) -> str:
        """How trials report: ``"local"`` (direct calls), ``"tcp"`` (a loopback socket) or ``"dask"``."""
        return "local" if self.in_process else "tcp"

    def open_channel(self, host: TrialHost) -> Any:
        """The sweep side of the channel of trials in other processes: a TCP server on 127.0.0.1.

        It is closed by the sweep (``close()``); its ``address`` and ``token``
        (and ``dask_channel``, if any) go to every trial task.
        """
        return ChannelServer(host, "127.0.0.1")

    def run_tasks(
        self, next_task: Callable[[], TrialTask | Later | None], n_jobs: int
    ) -> Iterator[TrialOutcome] | None:
        """Run the trial tasks without joblib, yielding outcomes; ``None`` (the default): joblib runs them."""
        return None

    def default_concurrency(self, max_total_runs: int) -> int:
        """Trials at once when the sweep does not say: one per core, at most ``max_total_runs``."""
        return min(max_total_runs, self.max_concurrency or os.cpu_count() or 1)

    def limit_concurrency(self, requested: int) -> int:
        """``requested``, or :attr:`max_concurrency` when that is lower (silently: the Azure layers' rule)."""
        return min(requested, self.max_concurrency or requested)

    def parallel_config(self, n_jobs: int) -> contextlib.AbstractContextManager[Any]:
        """The joblib configuration a call with ``n_jobs`` runs under."""
        return parallel_config(backend=self.joblib_backend)

    def start_workers(self, n_jobs: int, objective_blob: bytes | None, on_ready: Callable[[], None]) -> str | None:
        """Start the workers now, in the background, while the sweep makes its first proposals.

        Returns the notice to show while they start (``on_ready`` is called once
        they answered), or ``None`` when there is nothing to start (the default:
        threads start in microseconds; a Dask cluster's workers are already up).
        """
        return None

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
    """Trials in threads of the sweep's process (cheap to start; Python code shares the GIL).

    Each trial runs in its own daemon thread (:mod:`~hyperwidget.executor._thread_runner`,
    not joblib, whose call waits for every thread it started). A trial that will not
    stop is interrupted in its thread (an exception at its next Python bytecode) and
    the sweep stops waiting for it at once: code stuck in C runs on in its thread
    until the call returns, while the next trial takes its slot.
    """

    name = "threads"
    joblib_backend = "threading"
    in_process = True
    interruption = Interruption.ABANDON

    def __init__(self) -> None:
        self._runner: ThreadRunner | None = None

    def run_tasks(
        self, next_task: Callable[[], TrialTask | Later | None], n_jobs: int
    ) -> Iterator[TrialOutcome] | None:
        self._runner = ThreadRunner(n_jobs)
        return self._run(self._runner, next_task, n_jobs)

    @staticmethod
    def _run(
        runner: ThreadRunner, next_task: Callable[[], TrialTask | Later | None], n_jobs: int
    ) -> Iterator[TrialOutcome]:
        """The runner's outcomes, with BLAS pools shared between the concurrent trials (:func:`_blas_share`)."""
        with _blas_share(n_jobs) if n_jobs > 1 else contextlib.nullcontext():
            yield from runner.run(next_task, execute_trial)

    def interrupt(self, trial_id: str, worker: str | None) -> None:
        """Interrupt the trial in its thread, and let its thread go (the sweep recorded why)."""
        _interrupt.interrupt(trial_id, TrialInterrupted)
        if self._runner is not None:
            self._runner.abandon(trial_id)


class LokyBackend(Backend):
    """Trials in loky worker processes on this machine (the default)."""

    name = "loky"
    joblib_backend = "loky"
    loses_all_workers = True
    interruption = Interruption.KILL_WORKER

    def parallel_config(self, n_jobs: int) -> contextlib.AbstractContextManager[Any]:
        # Every worker watches the sweep's process from its start, also one that never gets a trial:
        # an idle worker left behind keeps loky's resource trackers alive too. The sweep's pid is given,
        # not read in the worker: a worker still starting when the sweep is killed has another parent by then.
        return parallel_config(
            backend=self.joblib_backend, inner_max_num_threads=None, initializer=watch_parent, initargs=(os.getpid(),)
        )

    def start_workers(self, n_jobs: int, objective_blob: bytes | None, on_ready: Callable[[], None]) -> str | None:
        """Start the loky pool in a background thread, each worker loading the objective (:func:`warm_up`).

        A fresh worker process takes about a second to start Python, import
        hyperwidget and the objective's module (several seconds for torch): done
        here, in parallel with the first proposals, rather than in the first
        trials. The warm-up is a joblib call with this backend's own configuration,
        so the trials' call reuses the very same pool. ``None`` (nothing started)
        when a pool of ``n_jobs`` live workers is already there, e.g. from the previous sweep,
        and for ``n_jobs=1``, which joblib runs in the sweep's own process.
        """
        if n_jobs < 2 or _loky_pool_is_up(n_jobs):  # joblib runs a call with n_jobs=1 in this process
            return None
        submitted = threading.Event()
        thread = threading.Thread(
            target=self._warm_up,
            args=(n_jobs, objective_blob, on_ready, submitted),
            daemon=True,
            name="hyperwidget-warm-up",
        )
        thread.start()
        # The warm-up tasks go first in the pool's queue (a few ms), so each worker's first task loads the
        # objective and the first trials find it loaded; the processes go on starting in the background.
        submitted.wait(_WARM_UP_SUBMIT_SECONDS)
        return f"starting {n_jobs} worker process{'es' if n_jobs != 1 else ''}\u2026"

    def _warm_up(
        self, n_jobs: int, objective_blob: bytes | None, on_ready: Callable[[], None], submitted: threading.Event
    ) -> None:
        from joblib import Parallel, delayed

        def tasks() -> Iterator[Any]:
            for _ in range(n_jobs):
                yield delayed(warm_up)(objective_blob)
            submitted.set()

        try:
            with self.parallel_config(n_jobs):
                Parallel(n_jobs=n_jobs, batch_size=1, pre_dispatch="all")(tasks())
        except Exception:  # a worker lost here is lost to the trials' call too, which records it
            logger.debug("hyperwidget: warming the loky pool up failed", exc_info=True)
        finally:
            submitted.set()
            on_ready()

    def worker_loss_errors(self) -> tuple[type[BaseException], ...]:
        from concurrent.futures.process import BrokenProcessPool

        from joblib.externals.loky.process_executor import TerminatedWorkerError

        return TerminatedWorkerError, BrokenProcessPool


class DaskBackend(Backend):
    """Trials on the active ``dask.distributed`` client's workers, as Dask futures.

    Trials report through the scheduler (:mod:`~hyperwidget.executor._dask`):
    the sweep opens no listener, wherever the workers are. A trial that will
    not stop is interrupted in its worker thread, and the sweep stops waiting
    for its task (which may run on while stuck in C).
    """

    name = "dask"
    joblib_backend = "dask"
    caps_at_cores = False  # nothing is started here: the cluster's own workers (which may scale) run the trials
    interruption = Interruption.ABANDON
    ships_files = True  # a worker may be on another machine: a trial's files come back with its outcome

    def __init__(self) -> None:
        self._server: Any = None
        self._runner: Any = None

    @property
    def channel(self) -> str:
        return "dask"

    def check(self) -> None:
        dask_client()

    def open_channel(self, host: TrialHost) -> Any:
        from hyperwidget.executor._dask import DaskChannelServer

        self._server = DaskChannelServer(host, dask_client())
        return self._server

    def run_tasks(
        self, next_task: Callable[[], TrialTask | Later | None], n_jobs: int
    ) -> Iterator[TrialOutcome] | None:
        from hyperwidget.executor._dask_runner import DaskRunner

        self._runner = DaskRunner(dask_client(), n_jobs, self._server.has_ended)
        self._server.on_lost = self._runner.abandon
        return self._runner.run(next_task, execute_trial)

    def interrupt(self, trial_id: str, worker: str | None) -> None:
        """Interrupt the trial in its worker thread, and let its task go (the sweep recorded why)."""
        if self._server is not None:
            self._server.interrupt(trial_id)
        if self._runner is not None:
            self._runner.abandon(trial_id)

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
    """The backend an Azure compute target maps to; any name runs on this machine.

    A backend's own name (``"dask"``, ``"threads"``...) selects that backend;
    ``None`` and ``"local"`` the default; any other name (``"aml-cluster"``, a
    v1 ``ComputeTarget`` object's ``name``) the default too, said once per name
    with a :class:`~hyperwidget.errors.HyperwidgetWarning` that tells how to choose another.
    """
    name = getattr(target, "name", target)
    if name in _LOCAL_TARGETS:
        return DEFAULT_BACKEND
    name = str(name)
    if name.strip().lower() in BACKENDS:
        return BACKENDS.check(name.strip().lower())
    if name not in _NOTED_TARGETS:
        _NOTED_TARGETS.add(name)
        warnings.warn(
            f"compute target {name!r}: runs on this machine with the {DEFAULT_BACKEND!r} backend (worker "
            f"processes). To run elsewhere, name a backend instead: compute='dask' (trials on the active "
            f"dask.distributed Client's cluster), or one of {', '.join(map(repr, BACKENDS))}.",
            HyperwidgetWarning,
            stacklevel=3,
        )
    return DEFAULT_BACKEND


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


def _loky_pool_is_up(n_jobs: int) -> bool:
    """True when loky's reusable pool has at least ``n_jobs`` live workers (reads loky's module state)."""
    try:
        from joblib.externals.loky import reusable_executor

        pool = reusable_executor._executor
        if pool is None or pool._flags.broken or pool._flags.shutdown:
            return False
        return sum(p.is_alive() for p in list(pool._processes.values())) >= n_jobs
    except Exception:  # another loky version: say the workers are starting, which is harmless
        return False


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
