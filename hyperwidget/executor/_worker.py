"""Code that runs inside a worker: call the trial, time it, catch everything, report.

:func:`execute_trial` never raises for a trial's own failure (joblib would abort
every other trial): it returns a :class:`TrialOutcome`. Only an interruption of
the sweep's own process (``KeyboardInterrupt`` in the sequential backend) is
let through, after the trial is reported canceled.
"""

from __future__ import annotations

import ctypes
import dataclasses
import hashlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hyperwidget.context import ENV_ACK_FD, ENV_PARAMS, ENV_REPORT_FD, ENV_TRIAL_ID, Run, set_thread_run
from hyperwidget.errors import TrialStopped, TrialTimeout
from hyperwidget.executor._channel import Channel, connect
from hyperwidget.objective import Script, normalize_returned

_OBJECTIVE_CACHE: dict[str, Any] = {}


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
    workdir: str | None = None


@dataclasses.dataclass(frozen=True)
class TrialOutcome:
    """How a trial ended, as seen by its worker."""

    trial_id: str
    status: str
    error: str | None = None
    returned: Mapping[str, float] = dataclasses.field(default_factory=dict)
    skipped: bool = False


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


def worker_label() -> str:
    """``host:pid:thread`` of the code calling it."""
    return f"{_HOST}:{os.getpid()}:{threading.get_ident()}"


def _load_objective(task: TrialTask) -> Any:
    if task.objective is not None:
        return task.objective
    key = hashlib.sha1(task.objective_blob or b"").hexdigest()
    if key not in _OBJECTIVE_CACHE:
        import cloudpickle

        _OBJECTIVE_CACHE.clear()  # keep one: a worker serves one sweep at a time
        _OBJECTIVE_CACHE[key] = cloudpickle.loads(task.objective_blob)
    return _OBJECTIVE_CACHE[key]


def _stop_status(reason: str) -> str:
    return "Canceled" if reason.startswith("canceled") else "StoppedEarly"


def execute_trial(task: TrialTask) -> TrialOutcome:
    """Run one trial and report it; returns its outcome and never raises for a trial failure."""
    channel = connect(task.local_key, task.address, task.token)
    try:
        if not channel.start(task.trial_id, worker_label()):
            return TrialOutcome(task.trial_id, "Skipped", skipped=True)
        reporter = _ChannelReporter(channel, task.trial_id)
        run = Run(reporter, task.trial_id, task.params)
        try:
            objective = _load_objective(task)
            if isinstance(objective, Script):
                outcome = _run_script(objective, task, run, reporter)
            else:
                outcome = _run_function(objective, task, run)
        except KeyboardInterrupt:
            channel.end(task.trial_id, "Canceled", "canceled: the sweep was interrupted", {})
            raise
        except BaseException:  # e.g. an objective that cannot be unpickled in this worker
            outcome = TrialOutcome(task.trial_id, "Failed", traceback.format_exc())
        channel.end(task.trial_id, outcome.status, outcome.error, dict(outcome.returned))
        return outcome
    finally:
        channel.close()


def _run_function(objective: Any, task: TrialTask, run: Run) -> TrialOutcome:
    set_thread_run(run)
    timer = _TimeoutWatchdog(run, task.timeout)
    try:
        with timer:
            value = objective(task.params)
        return TrialOutcome(task.trial_id, "Completed", returned=normalize_returned(value, task.metric))
    except TrialStopped as stop:
        return TrialOutcome(task.trial_id, _stop_status(stop.reason), stop.reason)
    except TrialTimeout:
        return TrialOutcome(task.trial_id, "TimedOut", f"stopped after trial_timeout={task.timeout} s")
    except KeyboardInterrupt:
        if timer.fired:
            return TrialOutcome(task.trial_id, "TimedOut", f"stopped after trial_timeout={task.timeout} s")
        raise
    except Exception as exc:
        return TrialOutcome(task.trial_id, "Failed", format_trial_error(exc))
    finally:
        set_thread_run(None)


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
    an asynchronous exception takes effect at the next Python bytecode. Code stuck
    inside C for ever is then ended by the sweep killing the worker process.
    """

    def __init__(self, run: Run, timeout: float | None) -> None:
        self._run, self._timeout = run, timeout
        self._lock = threading.Lock()
        self._done = False
        self.fired = False
        self._ident = threading.get_ident()
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
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._ident), ctypes.py_object(TrialTimeout))

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


def _run_script(script: Script, task: TrialTask, run: Run, reporter: _ChannelReporter) -> TrialOutcome:
    workdir = Path(task.workdir or Path.cwd() / "hyperwidget_runs" / task.trial_id)
    script.prepare_workdir(workdir)
    report_r, report_w = os.pipe()
    ack_r, ack_w = os.pipe()
    env = {**os.environ, **(script.environment or {}), ENV_TRIAL_ID: task.trial_id,
           ENV_REPORT_FD: str(report_w), ENV_ACK_FD: str(ack_r), ENV_PARAMS: json.dumps(dict(task.params))}
    with open(workdir / "std_log.txt", "wb") as log_file:
        process = subprocess.Popen(script.command(task.params), cwd=workdir, env=env, stdout=log_file,
                                   stderr=subprocess.STDOUT, pass_fds=(report_w, ack_r), start_new_session=True)
    os.close(report_w)
    os.close(ack_r)
    relay = threading.Thread(target=_relay, args=(report_r, ack_w, run), daemon=True)
    relay.start()
    status, error = _supervise(process, run, reporter, task.timeout)
    relay.join(timeout=5)
    if status == "Completed" and process.returncode != 0:
        tail = (workdir / "std_log.txt").read_text(errors="replace")[-4000:]
        status = "Crashed" if process.returncode < 0 else "Failed"
        error = f"{script.path.name} exited with code {process.returncode}:\n{tail}"
    return TrialOutcome(task.trial_id, status, error)


def _relay(report_r: int, ack_w: int, run: Run) -> None:
    """Forward the script's reports to the sweep and the sweep's answers back."""
    with os.fdopen(report_r, "r") as reports, os.fdopen(ack_w, "w", buffering=1) as acks:
        for line in reports:
            message = json.loads(line)
            try:
                reason = run._reporter.report(message["name"], message["value"], message.get("step"))
            except Exception as error:  # the sweep went away
                reason = f"canceled: {error}"
            if reason:
                run.request_stop(reason)
            try:
                acks.write(json.dumps({"stop": reason}) + "\n")
            except BrokenPipeError:
                return


def _supervise(process: subprocess.Popen[bytes], run: Run, reporter: _ChannelReporter,
               timeout: float | None) -> tuple[str, str | None]:
    """Wait for the script, ending it when it is stopped, canceled or past its timeout."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            process.wait(timeout=0.25)
            break
        except subprocess.TimeoutExpired:
            pass
        reason = run._stop_reason or reporter.poll()
        if reason:
            run.request_stop(reason)
        if deadline is not None and time.monotonic() > deadline:
            _terminate(process)
            return "TimedOut", f"stopped after trial_timeout={timeout} s"
        if reason and not _wait(process, 5.0):  # give it until its next log call, then end it
            _terminate(process)
    if run._stop_reason and process.returncode != 0:
        return _stop_status(run._stop_reason), run._stop_reason
    return "Completed", None  # exit code 0: the script ran to its end by itself, so a late stop saved nothing


def _wait(process: subprocess.Popen[bytes], seconds: float) -> bool:
    try:
        process.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        return False


def _terminate(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        if not _wait(process, 3.0):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    except ProcessLookupError:
        pass
