"""The sweep: the one place that wires sampler, policy, executor, storage and observers.

:func:`run_sweep` runs a sweep to its end in the calling thread;
:func:`start_sweep` runs it on a background thread and returns at once; both
return a :class:`SweepRun`. :func:`resume_sweep` goes on with a stored sweep and
:func:`load_sweep` opens one read-only (also while another process runs it).
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import os
import secrets
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import cloudpickle

from hyperwidget.errors import HyperwidgetWarning, SweepConfigError
from hyperwidget.executor import TrialExecutor, TrialOutcome, TrialTask, WorkerLost, check_backend, is_in_process
from hyperwidget.executor._channel import ChannelServer, register_local_host, unregister_local_host
from hyperwidget.objective import FunctionObjective, Script
from hyperwidget.policies import EarlyTerminationPolicy, NoTerminationPolicy
from hyperwidget.results import Constraint, SweepResults
from hyperwidget.samplers import RandomParameterSampling, Sampler
from hyperwidget.space import SearchSpace
from hyperwidget.storage import SqliteStorage
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

logger = logging.getLogger("hyperwidget")

DEFAULT_STORAGE = "hyperwidget.db"
#: Seconds a canceled or timed-out trial gets to reach its next ``log`` call before its worker is killed.
GRACE_SECONDS = 2.0
_MAX_ATTEMPTS = 3


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """A validated sweep definition (see :func:`run_sweep` for the meaning of each field)."""

    name: str
    metric: str
    goal: Goal
    sampler: Sampler
    policy: EarlyTerminationPolicy
    max_total_runs: int
    max_concurrent_runs: int
    max_duration_minutes: float | None
    trial_timeout: float | None
    backend: str
    constraints: tuple[Constraint, ...] = ()

    def to_json(self, objective_label: str = "") -> dict[str, Any]:
        """Plain data stored with the sweep (the objective itself is never stored)."""
        return {"name": self.name, "metric": self.metric, "goal": self.goal.value,
                "sampler": self.sampler.to_json(), "policy": self.policy.to_json(),
                "max_total_runs": self.max_total_runs, "max_concurrent_runs": self.max_concurrent_runs,
                "max_duration_minutes": self.max_duration_minutes, "trial_timeout": self.trial_timeout,
                "backend": self.backend, "constraints": [str(c) for c in self.constraints],
                "objective": objective_label}


def _positive_int(setting: str, value: Any, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SweepConfigError(f"{setting} must be an int >= 1, got {setting}={value!r}; {fix}")
    return value


def _positive_float(setting: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise SweepConfigError(f"{setting} must be a number > 0 (or None for no limit), got {setting}={value!r}.")
    return float(value)


def make_config(space: Mapping[str, Any] | None, *, metric: str, goal: Any, sampler: Sampler | None,
                policy: EarlyTerminationPolicy | None, max_total_runs: int | None, max_concurrent_runs: int | None,
                max_duration_minutes: float | None, trial_timeout: float | None, backend: str,
                seed: int | None, name: str | None, constraints: Sequence[str | Constraint]) -> SweepConfig:
    """Validate every setting, naming the setting and the fix in each error."""
    if not isinstance(metric, str) or not metric:
        raise SweepConfigError(f"metric must be the non-empty name the trial logs, got metric={metric!r}.")
    goal = Goal.parse(goal)
    sampler = _make_sampler(space, sampler, seed)
    if policy is not None and not isinstance(policy, EarlyTerminationPolicy):
        raise SweepConfigError(f"policy must be an early-termination policy such as BanditPolicy(...) or None, "
                               f"got {policy!r}.")
    if max_total_runs is None:
        max_total_runs = sampler.max_trials() or 20
    max_total_runs = _positive_int("max_total_runs", max_total_runs, "it is the number of trials to run.")
    grid = sampler.max_trials()
    if grid is not None and grid < max_total_runs:
        warnings.warn(f"the grid has {grid} points but max_total_runs={max_total_runs}; running {grid}.",
                      HyperwidgetWarning, stacklevel=3)
    check_backend(backend)
    if max_concurrent_runs is None:
        max_concurrent_runs = 1 if backend == "sequential" else min(max_total_runs, os.cpu_count() or 1)
    max_concurrent_runs = _positive_int("max_concurrent_runs", max_concurrent_runs,
                                        "use 1 to run one trial at a time.")
    if backend == "sequential" and max_concurrent_runs > 1:
        raise SweepConfigError(f"backend='sequential' runs one trial at a time, but max_concurrent_runs="
                               f"{max_concurrent_runs}; use backend='loky' (processes) or 'threads'.")
    return SweepConfig(
        name=name or _new_name(), metric=metric, goal=goal, sampler=sampler, policy=policy or NoTerminationPolicy(),
        max_total_runs=max_total_runs, max_concurrent_runs=max_concurrent_runs,
        max_duration_minutes=_positive_float("max_duration_minutes", max_duration_minutes),
        trial_timeout=_positive_float("trial_timeout", trial_timeout), backend=backend,
        constraints=tuple(Constraint.parse(c) for c in constraints))


def _make_sampler(space: Mapping[str, Any] | None, sampler: Sampler | None, seed: int | None) -> Sampler:
    if sampler is None:
        if space is None:
            raise SweepConfigError("give a search space (space={...}) or a sampler built on one.")
        return RandomParameterSampling(space, seed=seed)
    if not isinstance(sampler, Sampler):
        raise SweepConfigError(f"sampler must be a sampler object such as RandomParameterSampling(space), got "
                               f"{sampler!r}.")
    if space is not None and SearchSpace(space) != sampler.space:
        raise SweepConfigError("space differs from the sampler's own search space; pass only one of them.")
    return sampler


def _new_name() -> str:
    return f"sweep_{datetime.datetime.now():%Y%m%d_%H%M%S}_{secrets.token_hex(2)}"


def _make_objective(objective: Any, space: SearchSpace) -> FunctionObjective | Script:
    if isinstance(objective, Script):
        return objective
    if not callable(objective):
        raise SweepConfigError(f"objective must be a function or a Script(...), got {objective!r}.")
    return FunctionObjective.wrap(objective, space.names + tuple(space.constants))


class _Engine:
    """Runs one sweep: hands out trials, records what they report, applies the policy."""

    def __init__(self, config: SweepConfig, objective: FunctionObjective | Script,
                 storage: SqliteStorage | None, trials: Sequence[TrialRecord] = (),
                 observers: Sequence[Any] = (), runs_dir: Path | None = None) -> None:
        self.config = config
        self.objective = objective
        self.storage = storage
        self.observers = list(observers)
        self.runs_dir = runs_dir
        self.lock = threading.RLock()
        self.records: list[TrialRecord] = list(trials)
        self._by_id = {r.id: r.index for r in self.records}
        self._requeue = [r.index for r in self.records if not r.status.is_finished]
        self._inflight: set[str] = set()
        self._lost: dict[str, float] = {}
        self._attempts: dict[str, int] = {}
        self._stops: dict[str, str] = {}
        self.cancel_reason: str | None = None
        self._canceled_at = 0.0
        self.status = "NotStarted"
        self.error: BaseException | None = None
        self.started_at = self.ended_at = None  # type: float | None
        self.done = threading.Event()
        self._warned_policy = False
        self.handle: SweepRun | None = None

    # -- records ------------------------------------------------------------------------------
    def _get(self, trial_id: str) -> TrialRecord:
        return self.records[self._by_id[trial_id]]

    def _update(self, record: TrialRecord) -> None:
        self.records[record.index] = record
        if self.storage is not None:
            self.storage.save_trial(self.config.name, record)
        self._emit("on_trial_update", record)

    def _finish(self, record: TrialRecord, status: TrialStatus, error: str | None) -> None:
        self._inflight.discard(record.id)
        self._update(record.replace(status=status, error=error, ended_at=time.time()))

    def _emit(self, event: str, *args: Any) -> None:
        for observer in self.observers:
            method = getattr(observer, event, None)
            if method is None:
                continue
            try:
                method(*args)
            except Exception:  # an observer (e.g. a widget) must never break the sweep
                logger.exception("hyperwidget observer %r failed in %s", observer, event)

    # -- handing out trials (called from joblib's dispatch thread) ---------------------------
    def next_task(self) -> TrialTask | None:
        """The next trial to run, or ``None`` when the sweep has nothing more to start."""
        with self.lock:
            if self.cancel_reason or self._out_of_time():
                return None
            record = self._next_record()
            if record is None:
                return None
            self._inflight.add(record.id)
            return self._task(record)

    def _out_of_time(self) -> bool:
        limit = self.config.max_duration_minutes
        if limit is not None and self.started_at is not None and time.time() - self.started_at > 60 * limit:
            self.cancel(f"canceled: max_duration_minutes={limit:g} reached")
            return True
        return False

    def _next_record(self) -> TrialRecord | None:
        if self._requeue:
            return self.records[self._requeue.pop(0)]
        index = len(self.records)
        if index >= self.config.max_total_runs:
            return None
        try:
            params = self.config.sampler.suggest(self.records, self.config.metric, self.config.goal)
        except Exception as error:
            self.error = error
            self.cancel(f"canceled: the sampler failed: {type(error).__name__}: {error}")
            return None
        if params is None:
            return None
        record = TrialRecord(id=f"{self.config.name}_{index}", index=index, params=params)
        self.records.append(record)
        self._by_id[record.id] = index
        self._update(record)
        return record

    def _task(self, record: TrialRecord) -> TrialTask:
        return TrialTask(
            trial_id=record.id, params=dict(record.params), metric=self.config.metric,
            objective=self.objective if self._in_process else None,
            objective_blob=None if self._in_process else self._blob, timeout=self.config.trial_timeout,
            local_key=self._local_key, address=self._server.address if self._server else None,
            token=self._server.token if self._server else None,
            workdir=str(self.runs_dir / record.id) if self.runs_dir else None)

    # -- the trial host (called by trials, possibly from several threads) ---------------------
    def trial_started(self, trial_id: str, worker: str) -> bool:
        with self.lock:
            record = self._get(trial_id)
            if record.status.is_finished or trial_id not in self._inflight:
                return False
            if self.cancel_reason:
                self._finish(record, TrialStatus.CANCELED, self.cancel_reason)
                return False
            self._update(record.replace(status=TrialStatus.RUNNING, started_at=time.time(), worker=worker))
            return True

    def trial_value(self, trial_id: str, name: str, value: float) -> str | None:
        with self.lock:
            record = self._get(trial_id)
            if record.status.is_finished:
                return record.error or "canceled: the trial already ended"
            record = self._append(record, name, value)
            reason = self._stops.get(trial_id) or self.cancel_reason
            if not reason and name == self.config.metric:
                reason = self._apply_policy(record)
            if reason:
                self._stops[trial_id] = reason
            self._update(record)
            return reason

    def _append(self, record: TrialRecord, name: str, value: float) -> TrialRecord:
        record = record.with_value(name, value)
        if self.storage is not None:
            self.storage.append_value(self.config.name, record.id, name, len(record.series(name)) - 1, value)
        self.records[record.index] = record
        return record

    def _apply_policy(self, record: TrialRecord) -> str | None:
        try:
            return self.config.policy.on_report(record, self.records, self.config.metric, self.config.goal)
        except Exception:
            logger.exception("hyperwidget: policy %r failed; the trial goes on", self.config.policy)
            return None

    def trial_poll(self, trial_id: str) -> str | None:
        with self.lock:
            return self._stops.get(trial_id) or self.cancel_reason

    def trial_ended(self, trial_id: str, status: str, error: str | None, returned: Mapping[str, float]) -> None:
        with self.lock:
            record = self._get(trial_id)
            if record.status.is_finished:
                return
            for name, value in returned.items():
                series = record.series(name)
                if not series or series[-1] != value:
                    record = self._append(record, name, value)
            final, error = self._judge(record, TrialStatus(status), error)
            self._finish(record, final, error)
            self._check_policy_use(record, final)

    def _judge(self, record: TrialRecord, status: TrialStatus, error: str | None) -> tuple[TrialStatus, str | None]:
        """A completed trial without a finite final primary metric is a failure, said as such."""
        if status is not TrialStatus.COMPLETED:
            return status, error
        metric, series = self.config.metric, record.series(self.config.metric)
        if not series:
            logged = sorted(record.metrics) or "nothing"
            return TrialStatus.FAILED, (f"the primary metric {metric!r} was never logged (logged: {logged}); "
                                        f"log it with log({metric!r}, value) or return it.")
        if series[-1] != series[-1] or series[-1] in (float("inf"), float("-inf")):
            return TrialStatus.FAILED, f"the primary metric {metric!r} ended as {series[-1]}"
        return status, error

    def _check_policy_use(self, record: TrialRecord, status: TrialStatus) -> None:
        if self._warned_policy or isinstance(self.config.policy, NoTerminationPolicy):
            return
        if status is TrialStatus.COMPLETED and len(record.series(self.config.metric)) <= 1:
            self._warned_policy = True
            warnings.warn(
                f"{type(self.config.policy).__name__} needs intermediate values, but trial {record.id} logged "
                f"{self.config.metric!r} only once: log it at every epoch/step (log({self.config.metric!r}, "
                "value) inside the training loop) for early termination to act.", HyperwidgetWarning,
                stacklevel=2)

    def trial_lost(self, trial_id: str) -> None:
        with self.lock:
            record = self._get(trial_id)
            if record.status.is_finished:
                return
            if self.config.backend == "loky":  # loky then kills every worker: judged in _on_worker_lost
                self._lost[trial_id] = time.monotonic()
            else:
                self._finish(record, TrialStatus.CRASHED, "the worker process running this trial died")

    # -- outcomes from the executor (called on the sweep's thread) -----------------------------
    def _on_outcome(self, outcome: TrialOutcome) -> None:
        if not outcome.skipped:
            self.trial_ended(outcome.trial_id, outcome.status, outcome.error, dict(outcome.returned))
        with self.lock:
            self._inflight.discard(outcome.trial_id)

    def _on_worker_lost(self, lost: WorkerLost) -> None:
        """One worker died and loky took the others down: blame the first lost trial, rerun the rest."""
        with self.lock:
            victims = [self._get(t) for t in sorted(self._inflight) if not self._get(t).status.is_finished]
            ordered = sorted((self._lost[v.id], v.id) for v in victims if v.id in self._lost)
            culprits = {ordered[0][1]} if ordered else {v.id for v in victims if v.status is TrialStatus.RUNNING}
            for record in victims:
                attempts = self._attempts.get(record.id, 1)
                if self.cancel_reason:
                    self._finish(record, TrialStatus.CANCELED, self.cancel_reason)
                elif record.id in culprits or attempts >= _MAX_ATTEMPTS:
                    self._finish(record, TrialStatus.CRASHED, f"the worker process running this trial died "
                                                              f"({lost.message.splitlines()[0][:300]})")
                else:
                    self._rerun(record, attempts)
            self._inflight.clear()
            self._lost.clear()

    def _rerun(self, record: TrialRecord, attempts: int) -> None:
        """Queue an innocent trial again, from the start, with the same hyperparameters."""
        self._attempts[record.id] = attempts + 1
        if self.storage is not None:
            self.storage.clear_values(self.config.name, record.id)
        self._update(record.replace(status=TrialStatus.QUEUED, metrics={}, started_at=None, worker=None))
        self._requeue.append(record.index)

    # -- control ------------------------------------------------------------------------------
    def cancel(self, reason: str = "canceled by the user") -> None:
        """Stop handing out trials and ask running ones to stop at their next ``log``."""
        with self.lock:
            if self.cancel_reason is None:
                self.cancel_reason = reason if reason.startswith("canceled") else f"canceled: {reason}"
                self._canceled_at = time.monotonic()

    def stop_trial(self, trial_id: str, reason: str) -> None:
        """Ask one trial to stop at its next ``log`` call."""
        with self.lock:
            if trial_id not in self._by_id:
                raise KeyError(f"no trial {trial_id!r} in sweep {self.config.name!r}")
            self._stops.setdefault(trial_id, reason)

    def _watch(self, stop: threading.Event) -> None:
        """Enforce the sweep's budget, trial timeouts and cancellation while the sweep runs."""
        while not stop.wait(0.1):
            with self.lock:
                self._out_of_time()
                now = time.time()
                for record in list(self.records):
                    if record.status is TrialStatus.RUNNING:
                        self._enforce(record, now)

    def _enforce(self, record: TrialRecord, now: float) -> None:
        timeout = self.config.trial_timeout
        overdue = timeout is not None and record.started_at is not None and \
            now - record.started_at > timeout + max(GRACE_SECONDS, 0.1 * timeout)
        canceled = self.cancel_reason is not None and time.monotonic() - self._canceled_at > GRACE_SECONDS
        if not (overdue or canceled) or isinstance(self.objective, Script):
            return  # a script's own supervisor ends it
        if overdue:
            self._finish(record, TrialStatus.TIMED_OUT, f"stopped after trial_timeout={timeout:g} s "
                                                        "(its worker was ended)")
        else:
            self._finish(record, TrialStatus.CANCELED, self.cancel_reason)
        _interrupt_worker(record.worker, self.config.backend)

    # -- the run ------------------------------------------------------------------------------
    def run(self) -> None:
        """Run to the end; record the final status; re-raise an interruption or an engine error."""
        self.started_at = self.started_at or time.time()
        self.status = "Running"
        watch_stop = threading.Event()
        self._open_channel()
        threading.Thread(target=self._watch, args=(watch_stop,), daemon=True, name="hyperwidget-watch").start()
        self._emit("on_sweep_start", self.handle)
        try:
            executor = TrialExecutor(self.config.backend, self.config.max_concurrent_runs)
            for item in executor.run(self.next_task):
                if isinstance(item, WorkerLost):
                    self._on_worker_lost(item)
                else:
                    self._on_outcome(item)
            self.status = "Failed" if self.error else ("Canceled" if self.cancel_reason else "Completed")
        except KeyboardInterrupt:
            self.cancel("canceled: interrupted (KeyboardInterrupt)")
            self.status = "Canceled"
            raise
        except BaseException as error:
            self.error, self.status = error, "Failed"
            raise
        finally:
            watch_stop.set()
            self._close()

    def _open_channel(self) -> None:
        self._in_process = is_in_process(self.config.backend)
        self._local_key = register_local_host(self)
        # Trials in other processes report over a socket; in-process trials (and the pipe relay of a
        # script's child process, which runs in-process too) call this engine directly.
        self._server = None if self._in_process else ChannelServer(self, *_channel_hosts(self.config.backend))
        self._blob = None if self._in_process else cloudpickle.dumps(self.objective)

    def _close(self) -> None:
        with self.lock:
            for trial_id in list(self._inflight):
                record = self._get(trial_id)
                if not record.status.is_finished:
                    self._finish(record, TrialStatus.CANCELED, self.cancel_reason or "canceled: the sweep ended")
                    _interrupt_worker(record.worker, self.config.backend)
            for index in self._requeue:
                record = self.records[index]
                if not record.status.is_finished:
                    self._finish(record, TrialStatus.CANCELED, self.cancel_reason or "canceled: the sweep ended")
            self.ended_at = time.time()
            if self.storage is not None:
                self.storage.update_sweep(self.config.name, status=self.status,
                                          error=None if self.error is None else repr(self.error))
        if self._server is not None:
            self._server.close()
        unregister_local_host(self._local_key)
        self._emit("on_sweep_end", self.handle)
        self.done.set()


def _channel_hosts(backend: str) -> tuple[str, str | None]:
    """Where the channel listens, and the address workers should use."""
    if backend != "dask":
        return "127.0.0.1", None
    from hyperwidget.executor._joblib import dask_client

    scheduler = dask_client().scheduler.address
    host = scheduler.split("://")[-1].rsplit(":", 1)[0]
    if host in ("127.0.0.1", "localhost", "::1"):
        return "127.0.0.1", None
    from distributed.utils import get_ip

    return "0.0.0.0", get_ip(host)


def _interrupt_worker(worker: str | None, backend: str) -> None:
    """End a trial that will not stop by itself: kill its worker process, or interrupt its thread."""
    if not worker:
        return
    import signal
    import socket

    host, pid, thread = worker.split(":")
    if host != socket.gethostname():
        return
    if int(pid) != os.getpid():
        if backend == "loky":
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
    elif backend == "threads":
        import ctypes

        from hyperwidget.errors import TrialStopped

        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(int(thread)), ctypes.py_object(TrialStopped))


class SweepRun(SweepResults):
    """A running or finished sweep (HyperDrive's ``HyperDriveRun``): review calls plus control.

    Everything of :class:`~hyperwidget.results.SweepResults` (children, sorted by
    primary metric, best run, DataFrame, Pareto front) works while the sweep runs.
    """

    def __init__(self, engine: _Engine) -> None:
        c = engine.config
        super().__init__(c.name, c.metric, c.goal, constraints=c.constraints, runs_dir=engine.runs_dir)
        self._engine = engine
        self.config = c
        self._thread: threading.Thread | None = None
        engine.handle = self

    @property
    def trials(self) -> list[TrialRecord]:
        with self._engine.lock:
            return list(self._engine.records)

    @property
    def status(self) -> str:
        return self._engine.status

    @property
    def started_at(self) -> float | None:
        """When the sweep started (seconds since the epoch)."""
        return self._engine.started_at

    @property
    def ended_at(self) -> float | None:
        """When the sweep ended, or ``None`` while it runs."""
        return self._engine.ended_at

    @property
    def cancel_reason(self) -> str | None:
        """Why the sweep was canceled, if it was."""
        return self._engine.cancel_reason

    @property
    def storage_path(self) -> str | None:
        """The sweep file, or ``None`` for an in-memory sweep."""
        return self._engine.storage.path if self._engine.storage is not None else None

    def cancel(self) -> bool:
        """Cancel the sweep: no new trials; running ones stop at their next log (or are ended)."""
        self._engine.cancel("canceled by the user")
        return True

    def stop_trial(self, trial_id: str, reason: str | None = None) -> None:
        """Stop one trial at its next ``log`` call (status ``StoppedEarly``)."""
        self._engine.stop_trial(trial_id, reason or "stopped by the user")

    def wait(self, timeout: float | None = None) -> SweepRun:
        """Block until the sweep ends (or ``timeout`` seconds pass); re-raise an engine error."""
        if not self._engine.done.wait(timeout):
            raise TimeoutError(f"sweep {self.name!r} still running after {timeout} s")
        if self._thread is not None and self._engine.error is not None:
            raise self._engine.error
        return self

    def wait_for_completion(self, show_output: bool = False, wait_post_processing: bool = False,
                            raise_on_error: bool = True) -> dict[str, Any]:
        """Azure's name for :meth:`wait`; returns a details dict."""
        self.wait()
        if show_output:
            print(self)
        return {"runId": self.name, "status": self.status}

    @property
    def is_running(self) -> bool:
        """True until the sweep has ended."""
        return not self._engine.done.is_set()


def _open_storage(storage: str | os.PathLike[str] | SqliteStorage | None) -> SqliteStorage | None:
    if storage is None or isinstance(storage, SqliteStorage):
        return storage
    return SqliteStorage(storage)


def _runs_dir(storage: SqliteStorage | None, name: str) -> Path:
    base = Path(storage.path).resolve().parent if storage is not None and storage.path != ":memory:" else Path.cwd()
    return base / "hyperwidget_runs" / name


def prepare_sweep(objective: Any, space: Mapping[str, Any] | None = None, *, metric: str, goal: Any = "maximize",
                  sampler: Sampler | None = None, policy: EarlyTerminationPolicy | None = None,
                  max_total_runs: int | None = None, max_concurrent_runs: int | None = None,
                  max_duration_minutes: float | None = None, trial_timeout: float | None = None,
                  backend: str = "loky", seed: int | None = None, name: str | None = None,
                  storage: str | os.PathLike[str] | SqliteStorage | None = DEFAULT_STORAGE,
                  constraints: Sequence[str | Constraint] = (), observers: Sequence[Any] = (),
                  resume: bool = False) -> SweepRun:
    """Validate everything and return a :class:`SweepRun` that has not started (see :func:`run_sweep`)."""
    store = _open_storage(storage)
    if resume:
        if store is None or not name:
            raise SweepConfigError("resume=True needs the sweep's name and its storage file.")
        return _prepare_resume(objective, store, name, observers=observers, max_total_runs=max_total_runs,
                               max_concurrent_runs=max_concurrent_runs, backend=backend,
                               max_duration_minutes=max_duration_minutes, trial_timeout=trial_timeout)
    config = make_config(space, metric=metric, goal=goal, sampler=sampler, policy=policy,
                         max_total_runs=max_total_runs, max_concurrent_runs=max_concurrent_runs,
                         max_duration_minutes=max_duration_minutes, trial_timeout=trial_timeout,
                         backend=backend, seed=seed, name=name, constraints=constraints)
    wrapped = _make_objective(objective, config.sampler.space)
    if store is not None:
        store.create_sweep(config.name, config.to_json(wrapped.label))
    runs_dir = _runs_dir(store, config.name) if isinstance(wrapped, Script) else None
    return SweepRun(_Engine(config, wrapped, store, observers=observers, runs_dir=runs_dir))


def _prepare_resume(objective: Any, store: SqliteStorage, name: str, *, observers: Sequence[Any],
                    **overrides: Any) -> SweepRun:
    from hyperwidget.policies import policy_from_json
    from hyperwidget.samplers import sampler_from_json

    data, _status, created_at, _updated, trials = store.load_sweep(name)
    settings = {k: data[k] for k in ("max_total_runs", "max_concurrent_runs", "max_duration_minutes",
                                     "trial_timeout", "backend")}
    settings.update({k: v for k, v in overrides.items() if v is not None and not (k == "backend" and v == "loky")})
    sampler = sampler_from_json(data["sampler"])
    config = make_config(None, metric=data["metric"], goal=data["goal"], sampler=sampler,
                         policy=policy_from_json(data["policy"]), seed=None, name=name,
                         constraints=data.get("constraints", ()), **settings)
    wrapped = _make_objective(objective, sampler.space)
    trials = [t.replace(status=TrialStatus.QUEUED, metrics={}, started_at=None, worker=None)
              if not t.status.is_finished else t for t in trials]
    for t in trials:
        if t.status is TrialStatus.QUEUED:
            store.clear_values(name, t.id)
    store.update_sweep(name, status="Running", config=config.to_json(wrapped.label))
    runs_dir = _runs_dir(store, name) if isinstance(wrapped, Script) else None
    return SweepRun(_Engine(config, wrapped, store, trials=trials, observers=observers, runs_dir=runs_dir))


def run_sweep(objective: Callable[..., Any] | Script, space: Mapping[str, Any] | None = None, *,
              metric: str, goal: Any = "maximize", **settings: Any) -> SweepRun:
    """Run a hyperparameter sweep to its end and return its results.

    Parameters
    ----------
    objective : callable or Script
        A function called with the sampled hyperparameters as keyword arguments,
        which logs with ``log(name, value)`` / ``Run.get_context().log(...)``
        and/or returns the primary metric (or a dict of metrics); or a
        :class:`~hyperwidget.objective.Script` run as ``python script --name value ...``.
    space : dict
        Hyperparameter names to expressions (``choice``, ``uniform``, ...) or constants.
    metric : str
        The primary metric, named exactly as the trial logs it.
    goal : {"maximize", "minimize"} or Goal
        Whether larger or smaller values of ``metric`` are better.
    sampler : Sampler, optional
        Default: ``RandomParameterSampling(space, seed=seed)``.
    policy : EarlyTerminationPolicy, optional
        Default: no early termination.
    max_total_runs : int, optional
        How many trials to create (default: the grid size, else 20).
    max_concurrent_runs : int, optional
        How many run at once (default: 1 for ``sequential``, else the number of CPUs).
    max_duration_minutes : float, optional
        Wall-clock budget: when it is reached, the sweep is canceled (finished trials are kept).
    trial_timeout : float, optional
        Seconds one trial may run; past it the trial is stopped (status ``TimedOut``).
    backend : {"loky", "sequential", "threads", "dask"}
        Where trials run: worker processes (default), in this thread, in threads,
        or on the active ``dask.distributed`` client through joblib's Dask backend.
    seed : int, optional
        Seed of the default random sampler.
    name : str, optional
        The sweep's name (default: a timestamped one); trial ids are ``<name>_<index>``.
    storage : str, path or None
        The SQLite file every record goes to as it happens (default
        ``hyperwidget.db`` in the working directory); ``None`` keeps the sweep in memory only.
    constraints : sequence of str
        Bounds on metrics such as ``"latency <= 5"``; violating children are never the best.
    observers : sequence
        Objects with optional ``on_sweep_start(run)``, ``on_trial_update(record)``
        and ``on_sweep_end(run)`` methods (the live monitor is one).
    resume : bool
        Go on with the stored sweep ``name`` in ``storage`` up to its ``max_total_runs``.

    Returns
    -------
    SweepRun
        Also when the sweep was canceled by its time budget; a ``KeyboardInterrupt``
        cancels the sweep, keeps every finished trial and is re-raised.
    """
    run = prepare_sweep(objective, space, metric=metric, goal=goal, **settings)
    run._engine.run()
    return run


def start_sweep(objective: Callable[..., Any] | Script, space: Mapping[str, Any] | None = None, *,
                metric: str, goal: Any = "maximize", **settings: Any) -> SweepRun:
    """Like :func:`run_sweep`, but run on a background thread and return at once (``run.wait()`` waits)."""
    run = prepare_sweep(objective, space, metric=metric, goal=goal, **settings)
    return launch(run)


def launch(run: SweepRun) -> SweepRun:
    """Start a prepared sweep on a background thread."""
    def target() -> None:
        try:
            run._engine.run()
        except BaseException:  # kept on the engine; SweepRun.wait() re-raises it
            logger.debug("sweep %s ended with an error", run.name, exc_info=True)

    run._thread = threading.Thread(target=target, name=f"hyperwidget-{run.name}", daemon=True)
    run._thread.start()
    return run


def resume_sweep(name: str, objective: Callable[..., Any] | Script,
                 storage: str | os.PathLike[str] | SqliteStorage = DEFAULT_STORAGE, **overrides: Any) -> SweepRun:
    """Go on with stored sweep ``name`` up to its ``max_total_runs``, without repeating finished trials.

    Trials that were queued or running when the sweep's process ended are run
    again from the start with the same hyperparameters; the sampler sees every
    finished trial (warm start). ``overrides`` may change ``max_total_runs``,
    ``max_concurrent_runs``, ``backend``, ``trial_timeout``, ``max_duration_minutes``
    and ``observers``.
    """
    observers = overrides.pop("observers", ())
    run = prepare_sweep(objective, None, metric="", name=name, storage=storage, resume=True,
                        observers=observers, **overrides)
    run._engine.run()
    return run


def load_sweep(name: str | None = None, storage: str | os.PathLike[str] = DEFAULT_STORAGE) -> SweepResults:
    """Open a stored sweep read-only (the newest one when ``name`` is None); works while it runs."""
    store = SqliteStorage(storage, read_only=True)
    try:
        if name is None:
            names = store.sweep_names()
            if not names:
                raise SweepConfigError(f"no sweep in {storage!r}.")
            name = names[-1]
        data, status, _created, _updated, trials = store.load_sweep(name)
    finally:
        store.close()
    return SweepResults(name, data["metric"], Goal.parse(data["goal"]), trials,
                        [Constraint.parse(c) for c in data.get("constraints", ())], status,
                        runs_dir=Path(storage).resolve().parent / "hyperwidget_runs" / name)
