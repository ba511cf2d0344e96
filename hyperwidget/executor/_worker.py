"""Code that runs inside a worker: call the trial, time it, catch everything, report.

:func:`execute_trial` never raises for a trial's own failure (joblib would abort
every other trial): it returns a :class:`TrialOutcome`. Only an interruption of
the sweep's own process (``KeyboardInterrupt`` in the sequential backend) is
let through, after the trial is reported canceled.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import json
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from hyperwidget.context import CHECKPOINT_DIR, RESUME_FILE, Run, enter_trial, leave_trial
from hyperwidget.errors import TrialInterrupted, TrialStopped, TrialTimeout
from hyperwidget.executor import _interrupt
from hyperwidget.executor._channel import Channel, SocketChannel, connect
from hyperwidget.executor._dask import DaskChannel
from hyperwidget.executor._outputs import ShippedFiles, collect_files, restore_files
from hyperwidget.objective import Script, normalize_returned, stop_status
from hyperwidget.tracking import function_trial_tracking

_OBJECTIVE_CACHE: dict[str, Any] = {}
#: Seconds between two looks of a worker process at its parent (see :func:`watch_parent`).
PARENT_WATCH_SECONDS = 0.5
_WATCHED: dict[int, int] = {}  # pid of this process -> the parent it watches (a forked child starts over)
_WATCHED_LOCK = threading.Lock()


class Later(enum.Enum):
    """What ``next_task`` returns when it has nothing to start now, but may have once a running trial ends.

    ASHA's promotion variant: a trial that pauses may make another one (or
    itself) promotable. The runners ask again after the next trial's end, or a
    moment later; ``None`` still means that the sweep starts nothing more.
    """

    LATER = "later"


LATER = Later.LATER
#: Seconds an idle task waits in a joblib worker, whose slot had nothing to run, before the slot asks again.
IDLE_SECONDS = 0.05


@dataclasses.dataclass(frozen=True)
class TrialTask:
    """Everything a worker needs to run one trial (picklable)."""

    trial_id: str
    params: Mapping[str, Any]
    metric: str
    objective: Any = None
    objective_blob: bytes | None = None
    timeout: float | None = None
    local_key: str = ""
    address: tuple[str, int] | None = None
    token: str | None = None
    dask_channel: str | None = None
    workdir: str | None = None
    #: When set (Dask), the trial runs in a temporary folder of its worker and at most this many bytes of
    #: its files come back with its outcome (:mod:`~hyperwidget.executor._outputs`); else it runs in ``workdir``.
    ship_files_limit: int | None = None
    #: A resumed (promoted) trial: how many values of each metric it has recorded; ``None`` at its first start.
    resume: Mapping[str, int] | None = None
    #: Files to put in the trial's folder before it runs (a resumed Dask trial's checkpoint).
    inbound: ShippedFiles | None = None


@dataclasses.dataclass(frozen=True)
class TrialOutcome:
    """How a trial ended, as seen by its worker."""

    trial_id: str
    status: str
    error: str | None = None
    returned: Mapping[str, float] = dataclasses.field(default_factory=dict)
    skipped: bool = False
    shipped: ShippedFiles | None = None  # the trial's files, when they travel with its outcome (Dask)


class _ChannelReporter:
    def __init__(self, channel: Channel, trial_id: str) -> None:
        self._channel, self._trial_id = channel, trial_id
        self._lock = threading.Lock()

    def report(self, name: str, value: float, step: int | None = None) -> str | None:
        with self._lock:
            return self._channel.value(self._trial_id, name, value, step)

    def poll(self) -> str | None:
        with self._lock:
            return self._channel.poll(self._trial_id)


_HOST = socket.gethostname()


class WorkerLabel(NamedTuple):
    """Where a trial runs, as recorded in ``TrialRecord.worker`` (``host:pid:thread``)."""

    host: str
    pid: int
    thread: int


def worker_label() -> str:
    """``host:pid:thread`` of the code calling it."""
    return f"{_HOST}:{os.getpid()}:{threading.get_ident()}"


def parse_worker_label(label: str | None) -> WorkerLabel | None:
    """Read a :func:`worker_label` back; ``None`` for no label or one of another shape."""
    parts = (label or "").rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return WorkerLabel(parts[0], int(parts[1]), int(parts[2]))


def _load_objective(task: TrialTask) -> Any:
    if task.objective is not None:
        return task.objective
    return _unpickled(task.objective_blob or b"")


def _unpickled(blob: bytes) -> Any:
    """The objective pickled in ``blob``, unpickled once per worker (which imports its module here)."""
    key = hashlib.sha1(blob).hexdigest()
    if key not in _OBJECTIVE_CACHE:
        import cloudpickle

        _OBJECTIVE_CACHE.clear()  # keep one: a worker serves one sweep at a time
        _OBJECTIVE_CACHE[key] = cloudpickle.loads(blob)
    return _OBJECTIVE_CACHE[key]


def warm_up(objective_blob: bytes | None) -> int:
    """A worker's first task when the sweep starts its pool early: load the objective; returns the worker's pid.

    Loading it imports the objective's module (torch, sklearn...) before any trial
    is handed to this worker. A failure is left to the trials, which record it.
    """
    if objective_blob is not None:
        with contextlib.suppress(Exception):
            _unpickled(objective_blob)
    return os.getpid()


def idle(seconds: float = IDLE_SECONDS) -> TrialOutcome:
    """A joblib worker's task when the sweep has nothing to start yet (:data:`LATER`): wait, run nothing."""
    time.sleep(seconds)
    return TrialOutcome("", "Skipped", skipped=True)


def execute_trial(task: TrialTask) -> TrialOutcome:
    """Run one trial and report it; returns its outcome and never raises for a trial failure."""
    # Before connecting: unpickling the objective imports its module in a fresh worker (torch, sklearn...), which
    # is the worker's start-up, not the trial's time (the trial stays Queued meanwhile), and can take longer than
    # the channel gives a new connection to authenticate (AUTH_SECONDS): a worker that connected first was
    # dropped, and its trial never ran.
    objective, load_error = _loaded(task)
    channel = (
        connect(task.local_key, task.address, task.token)
        if task.dask_channel is None
        else DaskChannel(task.dask_channel)
    )
    if isinstance(channel, SocketChannel):  # a worker process of a sweep on this machine (loky)
        watch_parent()
    try:
        if not channel.start(task.trial_id, worker_label()):
            return TrialOutcome(task.trial_id, "Skipped", skipped=True)
        with _trial_folder(task) as folder:
            _prepare_checkpoints(folder, task, isinstance(objective, Script))
            outcome = _run_in(folder, task, channel, objective, load_error)
            if task.ship_files_limit is not None:
                outcome = dataclasses.replace(outcome, shipped=collect_files(Path(folder), task.ship_files_limit))
        return outcome
    finally:
        channel.close()


@contextlib.contextmanager
def _trial_folder(task: TrialTask) -> Iterator[str]:
    """The trial's folder: ``task.workdir``, or a temporary one of this worker removed after the trial (Dask).

    A string, not a ``Path``: pathlib would cost a no-op trial several microseconds.
    """
    if task.ship_files_limit is None:
        yield task.workdir or os.path.join(os.getcwd(), "hyperwidget_runs", task.trial_id)
        return
    folder = tempfile.mkdtemp(prefix=f"hyperwidget-{task.trial_id[-40:]}-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _prepare_checkpoints(folder: str, task: TrialTask, script: bool) -> None:
    """Before a trial runs: at its first start, no checkpoint of an older trial of that id is left in its folder;
    a resumed trial gets its checkpoint (shipped, on Dask), and a script's process learns that it resumes."""
    if task.resume is None:
        if os.path.isdir(os.path.join(folder, CHECKPOINT_DIR)):
            shutil.rmtree(os.path.join(folder, CHECKPOINT_DIR), ignore_errors=True)
    elif task.inbound is not None:
        restore_files(task.inbound, Path(folder))
    if not script:  # a function's Run is told directly (see _run_in)
        return
    marker = os.path.join(folder, RESUME_FILE)
    if task.resume is None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(marker)
    else:
        os.makedirs(folder, exist_ok=True)
        with open(marker, "w") as file:
            json.dump(dict(task.resume), file)


def _loaded(task: TrialTask) -> tuple[Any, str | None]:
    """The task's objective, or ``None`` and the traceback of why it cannot be loaded in this worker."""
    try:
        return _load_objective(task), None
    except (Exception, SystemExit):  # e.g. its module is missing here: the trial fails with this traceback
        return None, traceback.format_exc()


def _run_in(folder: str, task: TrialTask, channel: Channel, objective: Any, load_error: str | None) -> TrialOutcome:
    """Run the trial with ``folder`` as its folder (its ``output_dir`` is ``folder/outputs``) and report its end."""
    outputs = os.path.join(folder, "outputs")
    run = Run(
        _ChannelReporter(channel, task.trial_id), task.trial_id, task.params, output_dir=outputs, resumed=task.resume
    )
    try:
        if load_error is not None:
            outcome = TrialOutcome(task.trial_id, "Failed", load_error)
        elif isinstance(objective, Script):
            outcome = _run_script(objective, folder, task, run)
        else:
            outcome = _run_function(objective, task, run)
    except KeyboardInterrupt:
        run.end()
        channel.end(task.trial_id, "Canceled", "canceled: the sweep was interrupted", {})
        raise
    except BaseException:  # anything else the trial raised past its own handlers: recorded, never raised
        outcome = TrialOutcome(task.trial_id, "Failed", traceback.format_exc())
    run.end()  # values of threads the trial started, reported before, count; later ones are dropped
    channel.end(task.trial_id, outcome.status, outcome.error, dict(outcome.returned))
    return outcome


def watch_parent(parent: int | None = None) -> None:
    """End this worker process soon after its parent (the sweep, process ``parent``) dies.

    Started once per process: by loky when it starts a worker (the backend's
    ``initializer``), and by the first trial any worker process on this machine
    runs. A loky worker whose sweep was killed is adopted by another process
    (``os.getppid()`` changes); without this watch it runs its trial to the end
    and then idles for minutes, and loky's resource trackers, which wait for the
    workers, stay too. (Dask's worker processes watch their parent themselves.)
    The processes of its script trials end with it, through their reapers
    (:func:`hyperwidget.objective.start_reaper`).

    ``parent`` (the loky initializer's argument: the sweep's pid) matters for a
    worker still starting when the sweep dies: by the time it runs this, it was
    already adopted, and watching ``os.getppid()`` would then watch its adopter
    forever; given the sweep's pid, it sees the change and exits at once.
    Without it (a trial's own call), the current parent is watched.
    """
    with _WATCHED_LOCK:
        if os.getpid() in _WATCHED:
            return
        parent = _WATCHED[os.getpid()] = os.getppid() if parent is None else parent
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="hyperwidget-parent-watch").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_WATCH_SECONDS)
    os._exit(1)


def _run_function(objective: Any, task: TrialTask, run: Run) -> TrialOutcome:
    enter_trial(run)  # the threads the trial starts log to it too (see hyperwidget.context)
    timer = _TimeoutWatchdog(run, task.timeout, task.trial_id)
    try:
        return _call_function(objective, task, run, timer)
    except (TrialInterrupted, TrialTimeout) as late:
        # Delivered after the trial's own handlers (a second interruption, e.g. a cancel right after a timeout,
        # can arrive as the interruptible span is left, before it is forgotten): still this trial's, never further.
        return _interrupted(late, task, run)
    finally:
        _leave_for_good(task.trial_id)
        leave_trial(run)


def _interrupted(exc: BaseException, task: TrialTask, run: Run) -> TrialOutcome:
    """The outcome of a trial ended by an interruption ``exc``."""
    if isinstance(exc, TrialTimeout):
        return _timed_out(task)
    reason = run.pending_stop() or getattr(exc, "reason", None) or "canceled: the sweep ended"
    return TrialOutcome(task.trial_id, stop_status(reason), reason)


def _timed_out(task: TrialTask) -> TrialOutcome:
    return TrialOutcome(task.trial_id, "TimedOut", f"stopped after trial_timeout={task.timeout} s")


def _leave_for_good(trial_id: str) -> None:
    """Leave the trial's interruptible span; an interruption still arriving is dropped (the outcome is decided)."""
    while True:
        try:
            _interrupt.leave(trial_id)
            return
        except (TrialInterrupted, TrialTimeout):
            continue


def _call_function(objective: Any, task: TrialTask, run: Run, timer: _TimeoutWatchdog) -> TrialOutcome:
    """Call the objective in the interruptible span; its outcome, whatever it raises (but a KeyboardInterrupt)."""
    try:
        # function_trial_tracking: the trial's plain mlflow.log_metric calls report to it (hyperwidget.tracking)
        # the tracking scope outside the interruptible span: an interruption must not land in its bookkeeping
        with function_trial_tracking(), _interrupt.interruptible(task.trial_id), timer:
            value = objective(task.params)
        return TrialOutcome(task.trial_id, "Completed", returned=normalize_returned(value, task.metric))
    except TrialStopped as stop:
        reason = (run.pending_stop() or stop.reason) if isinstance(stop, TrialInterrupted) else stop.reason
        return TrialOutcome(task.trial_id, stop_status(reason), reason)
    except TrialTimeout:
        return _timed_out(task)
    except KeyboardInterrupt:
        if timer.fired:
            return _timed_out(task)
        raise
    except Exception as exc:
        return TrialOutcome(task.trial_id, "Failed", format_trial_error(exc))


_PACKAGE_DIR = str(Path(__file__).resolve().parents[1]) + os.sep


def format_trial_error(exc: BaseException) -> str:
    """The traceback of a trial's exception from the user's first frame on (hyperwidget's own frames dropped).

    When every frame is hyperwidget's (a bug or a check of ours), the whole traceback is kept.
    """
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))


class _TimeoutWatchdog:
    """Interrupts the trial's thread when it runs past its timeout.

    In the main thread a signal interrupts even a blocking call; in other threads
    an asynchronous exception (:mod:`~hyperwidget.executor._interrupt`) takes
    effect at the next Python bytecode. Code stuck inside C for ever is then ended
    by the sweep as its backend says (killing a worker process).
    """

    def __init__(self, run: Run, timeout: float | None, trial_id: str) -> None:
        self._run, self._timeout, self._trial_id = run, timeout, trial_id
        self._lock = threading.Lock()
        self._done = False
        self.fired = False
        self._main = threading.current_thread() is threading.main_thread()
        self._previous: Any = None

    def __enter__(self) -> _TimeoutWatchdog:
        if self._timeout is None:
            return self
        if self._main and hasattr(signal, "SIGALRM"):
            self._previous = signal.signal(signal.SIGALRM, self._on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self._timeout)
        else:
            self._timer = threading.Timer(self._timeout, self._fire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _on_alarm(self, signum: int, frame: Any) -> None:
        self.fired = True
        self._run.timed_out = True
        raise TrialTimeout("trial_timeout")

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            self._run.timed_out = True
            _interrupt.interrupt(self._trial_id, TrialTimeout)

    def __exit__(self, *exc: Any) -> None:
        if self._timeout is None:
            return
        with self._lock:
            self._done = True
        if self._main and hasattr(signal, "SIGALRM"):
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
        else:
            self._timer.cancel()


def _run_script(script: Script, folder: str, task: TrialTask, run: Run) -> TrialOutcome:
    """Run a child-run script in ``folder``; the :class:`~hyperwidget.objective.Script` supervises its process."""
    status, error = script.run_child(task.params, run, workdir=Path(folder), timeout=task.timeout)
    return TrialOutcome(task.trial_id, status, error)
