"""The engine of one sweep: hands out trials, records what they report, applies the policy.

It reads as collect -> decide -> schedule -> notify: trials report through the
channel (``trial_*`` methods, the :class:`~hyperwidget.executor._channel.TrialHost`
interface), the policy decides on each primary-metric value, the executor asks
:meth:`SweepEngine.next_task` for work whenever a slot frees, and observers hear
every change. A watchdog thread enforces the time budget, trial timeouts and
cancellation.
"""

from __future__ import annotations

import difflib
import logging
import os
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cloudpickle

from hyperwidget.config import SweepConfig
from hyperwidget.context import CHECKPOINT_DIR, has_checkpoint
from hyperwidget.errors import HyperwidgetWarning, SweepConfigError
from hyperwidget.executor import (
    ENV_SHIPPED_BYTES,
    LATER,
    Interruption,
    Later,
    ShippedFiles,
    TrialExecutor,
    TrialOutcome,
    TrialTask,
    WorkerLost,
    backend_names,
    collect_files,
    get_backend,
    register_local_host,
    restore_files,
    shipped_bytes_limit,
    unregister_local_host,
)
from hyperwidget.objective import FunctionObjective, Script
from hyperwidget.storage import SqliteStorage
from hyperwidget.tracking import SCHEME, plugin_installed
from hyperwidget.trial import TrialRecord, TrialStatus
from hyperwidget.verdict import FAIL_FAST_AFTER, FirstFailures, how_to_fix, sweep_verdict

if TYPE_CHECKING:
    from hyperwidget.results import SweepResults

logger = logging.getLogger("hyperwidget")

#: Seconds a canceled or timed-out trial gets to reach its next ``log`` call before its worker is killed.
GRACE_SECONDS = 2.0
_MAX_ATTEMPTS = 3
#: How the error of a trial paused by ASHA's promotion variant, and never promoted, begins once the sweep ended
#: (status ``StoppedEarly``); a sweep resumed with a promotion policy makes such a trial ``Paused`` again.
NOT_PROMOTED = "not promoted before the sweep ended; "
_OPEN_RUNS = (TrialStatus.QUEUED, TrialStatus.RUNNING)


class SweepEngine:
    """Runs one sweep: hands out trials, records what they report, applies the policy.

    Where trials run is the business of ``config.backend``'s
    :class:`~hyperwidget.executor.Backend` object: the engine asks it whether
    trials share this process, whether one worker's death takes the others down,
    where the trial channel listens and how to end a trial that will not stop.
    """

    def __init__(
        self,
        config: SweepConfig,
        objective: FunctionObjective | Script,
        storage: SqliteStorage | None,
        trials: Sequence[TrialRecord] = (),
        observers: Sequence[Any] = (),
        runs_dir: Path | None = None,
        points: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.config = config
        config.sampler.set_task(config.task)
        self.objective = objective
        self.storage = storage
        self.observers = list(observers)
        # Bound once: on_trial_update runs several times per trial, on the hot path.
        self._handlers = {
            event: [m for o in self.observers if (m := getattr(o, event, None)) is not None]
            for event in ("on_sweep_start", "on_trial_update", "on_sweep_end")
        }
        self.runs_dir = runs_dir
        self._runs_root = str(runs_dir) if runs_dir is not None else None  # joined per trial without pathlib
        self.backend = get_backend(config.backend)
        self.lock = threading.RLock()
        self.records: list[TrialRecord] = [self._reopened(r) for r in trials]
        self._by_id = {r.id: r.index for r in self.records}
        # Paused trials wait for a promotion (see _promoted), not in this queue.
        self._requeue = [r.index for r in self.records if r.status in _OPEN_RUNS]
        self._pausing: set[str] = set()  # trials told to pause, not yet ended
        self._resumes: dict[str, dict[str, int]] = {}  # promoted trials not yet handed out: their values per metric
        self._warned_restart = False
        self._exhausted = False  # next_task said "nothing more": the executor asks no more (see enqueue)
        self._inflight: set[str] = set()
        self._lost: dict[str, float] = {}
        self._killed_at: float | None = None  # when this engine last ended a worker itself (see _on_worker_lost)
        self._attempts: dict[str, int] = {}
        self._stops: dict[str, str] = {}
        self.cancel_reason: str | None = None
        #: What the sweep is doing that no trial shows, e.g. "starting 2 worker processes…"; ``None`` otherwise.
        self.notice: str | None = None
        self._workers_up = False  # the backend's early-started workers have answered
        self._canceled_at = 0.0
        self.status = "NotStarted"
        self.error: BaseException | None = None
        self.started_at = self.ended_at = None  # type: float | None
        self.done = threading.Event()
        self._warned_policy = False
        self._warned_metric = False
        self._warned_objectives = False
        # Only trials run by this engine count: a resumed sweep's objective may have been fixed since.
        left = config.max_total_runs - sum(r.status.is_finished for r in self.records)
        self._first_failures = FirstFailures(min(FAIL_FAST_AFTER, left))
        self._out_of_budget = False
        self._server: Any = None  # a ChannelServer, or the backend's own (Dask's)
        self._local_key = ""
        self._view: SweepResults | None = None  # what observers' on_sweep_start/on_sweep_end receive (see run)
        # The sweep's known points are its first trials: those a stored sweep has not created yet, then
        # the points a resumed sweep was given.
        for params in (*config.points_to_evaluate[len(self.records) :], *points):
            self._queue_point(params)

    # -- records ------------------------------------------------------------------------------
    def _reopened(self, record: TrialRecord) -> TrialRecord:
        """A stored trial as this engine takes it: one paused and never promoted is ``Paused`` again.

        That is, when this sweep's policy pauses trials (a resumed sweep of ASHA's
        promotion variant): the trial may now be promoted from its checkpoint.
        """
        error = record.error or ""
        if not (
            self.config.policy.pauses and record.status is TrialStatus.STOPPED_EARLY and error.startswith(NOT_PROMOTED)
        ):
            return record
        record = record.replace(status=TrialStatus.PAUSED, error=error[len(NOT_PROMOTED) :])
        if self.storage is not None:
            self.storage.save_trial(self.config.name, record)
        return record

    def _get(self, trial_id: str) -> TrialRecord:
        return self.records[self._by_id[trial_id]]

    def _update(self, record: TrialRecord, values_only: bool = False) -> None:
        """Make ``record`` the trial's current one, store it and tell the observers.

        With ``values_only`` (only values were appended, each already stored by
        :meth:`_append`) the trial's row is not rewritten: a value costs O(1).
        """
        self.records[record.index] = record
        if self.storage is not None and not values_only:
            self.storage.save_trial(self.config.name, record)
        self._emit("on_trial_update", record)

    def _finish(self, record: TrialRecord, status: TrialStatus, error: str | None) -> None:
        self._inflight.discard(record.id)
        # A finished trial's series are final: kept as tuples, which every reader (the monitor, the results,
        # the policies) reads faster than the growing Series a running trial logs into.
        metrics = {name: tuple(series) for name, series in record.metrics.items()}
        steps = {name: tuple(series) for name, series in record.steps.items()}
        record = record.replace(status=status, error=error, ended_at=time.time(), metrics=metrics, steps=steps)
        self._update(record)
        self._fail_fast(record)

    def _fail_fast(self, record: TrialRecord) -> None:
        """Cancel the sweep when its first trials all failed alike: the objective itself is broken.

        Checked after the observers heard of the trial.
        """
        if self.cancel_reason is None and self._first_failures.add(record):
            self.cancel(f"canceled: {self._first_failures.summary()}")

    def _emit(self, event: str, *args: Any) -> None:
        for method in self._handlers[event]:
            try:
                method(*args)
            except Exception:  # an observer (e.g. a widget) must never break the sweep
                logger.exception("hyperwidget observer %r failed in %s", method, event)

    # -- handing out trials (called from joblib's dispatch thread) ---------------------------
    def next_task(self) -> TrialTask | Later | None:
        """The next trial to run, or ``None`` when the sweep has nothing more to start.

        ``LATER`` (a policy that pauses trials only): nothing to start now, but a
        trial still running may pause and make one promotable; ask again later.
        """
        with self.lock:
            if self.cancel_reason or self._out_of_time():
                self._exhausted = True
                return None
            record = self._next_record()
            if record is None and self._may_promote_later():
                return LATER
            self._exhausted = record is None
            if record is None:
                return None
            self._inflight.add(record.id)
            return self._task(record)

    def _may_promote_later(self) -> bool:
        """Whether a trial in flight may yet pause (or end) and make a paused trial promotable."""
        return self.config.policy.pauses and bool(self._inflight)

    def _out_of_time(self) -> bool:
        limit = self.config.max_duration_minutes
        if limit is not None and self.started_at is not None and time.time() - self.started_at > 60 * limit:
            self._out_of_budget = self._out_of_budget or self.cancel_reason is None
            self.cancel(f"canceled: max_duration_minutes={limit:g} reached")
            return True
        return False

    def _next_record(self) -> TrialRecord | None:
        # A promotion goes first, as in ASHA: a paused trial that ranks resumes before any other trial starts (it
        # is no new run). Then queued records: known points (points_to_evaluate, enqueue) and trials to run again;
        # they were counted in max_total_runs when queued. Then the sampler proposes, within the budget.
        promoted = self._promoted()
        if promoted is not None:
            return self._resume(promoted)
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

    # -- pausing and promoting (ASHA's promotion variant) ------------------------------------------
    def _promoted(self) -> TrialRecord | None:
        """The paused trial the policy promotes now, or ``None``; one whose end is not yet through is left."""
        if not self.config.policy.pauses:
            return None
        try:
            ranked = self.config.policy.promotable(self.records, self.config.metric, self.config.goal)
        except Exception:
            logger.exception(
                "hyperwidget: policy %r failed to rank paused trials; none is promoted", self.config.policy
            )
            return None
        return next((r for r in ranked if r.id not in self._inflight and r.status is TrialStatus.PAUSED), None)

    def _resume(self, record: TrialRecord) -> TrialRecord:
        """Queue a promoted trial again: same id, index and series; its task says it resumes (see :meth:`_task`).

        A promotion is no new run: ``max_total_runs`` counts configurations. The
        resumed trial takes a slot like any trial.
        """
        self._resumes[record.id] = {name: len(series) for name, series in record.metrics.items()}
        if not has_checkpoint(self._trial_folder(record.id)):
            self._warn_restart(record)
        record = record.replace(status=TrialStatus.QUEUED, error=None, ended_at=None, worker=None)
        self._update(record)
        return record

    def _trial_folder(self, trial_id: str) -> str:
        """The trial's folder on this machine (where a worker elsewhere sends its files back)."""
        root = self._runs_root if self._runs_root is not None else os.path.join(os.getcwd(), "hyperwidget_runs")
        return os.path.join(root, trial_id)

    def _warn_restart(self, record: TrialRecord) -> None:
        """Warn once: a promoted trial with no checkpoint restarts from the beginning."""
        logger.info("hyperwidget: trial %s has no checkpoint; promoted, it restarts from the beginning", record.id)
        if self._warned_restart:
            return
        self._warned_restart = True
        counts = ", ".join(f"{len(v)} of {k!r}" for k, v in record.metrics.items()) or "none"
        warnings.warn(
            f"trial {record.id} is promoted by {type(self.config.policy).__name__} but saved no checkpoint, so "
            f"it restarts from the beginning; the values it logs again ({counts}) are not recorded twice. "
            "Save its state with Run.get_context().save_checkpoint(state) before each log of the metric and "
            "start from Run.get_context().load_checkpoint() (None at the first start).",
            HyperwidgetWarning,
            stacklevel=2,
        )

    def _pause(self, record: TrialRecord, reason: str) -> None:
        """Record a trial that ended after the policy paused it: ``Paused``, until a promotion resumes it.

        It stays in flight until its outcome is through (a Dask trial's files,
        its checkpoint among them, come back with it).
        """
        self._pausing.discard(record.id)
        self._stops.pop(record.id, None)
        metrics = {name: tuple(series) for name, series in record.metrics.items()}
        steps = {name: tuple(series) for name, series in record.steps.items()}
        self._update(
            record.replace(status=TrialStatus.PAUSED, error=reason, ended_at=time.time(), metrics=metrics, steps=steps)
        )

    def _end_paused(self) -> None:
        """At the sweep's end, the trials still paused were never promoted: ``StoppedEarly``, said so."""
        with self.lock:
            for record in list(self.records):
                if record.status is TrialStatus.PAUSED:
                    self._finish(record, TrialStatus.STOPPED_EARLY, NOT_PROMOTED + (record.error or "paused"))

    def _queue_point(self, params: Mapping[str, Any]) -> TrialRecord:
        """Make a known configuration the next trial: a ``Queued`` record, stored, run before new proposals.

        It takes the next index, so samplers see it in their history like any trial
        (the grid skips its point; the Bayesian model learns from its result).
        Observers hear of it only once the sweep has started (they see it then).
        """
        index = len(self.records)
        record = TrialRecord(id=f"{self.config.name}_{index}", index=index, params=dict(params))
        self.records.append(record)
        self._by_id[record.id] = index
        self._requeue.append(index)
        if self.storage is not None:
            self.storage.save_trial(self.config.name, record)
        if self.status != "NotStarted":
            self._emit("on_trial_update", record)
        return record

    def enqueue(self, params: Mapping[str, Any]) -> TrialRecord:
        """Run ``params`` next, before the sampler proposes anything more; it counts toward ``max_total_runs``.

        Raises
        ------
        SearchSpaceError
            When ``params`` is not a configuration of the space (see :meth:`SearchSpace.check_config`).
        SweepConfigError
            When the sweep has ended, is canceled, or will start no more trials
            (its ``max_total_runs`` are all handed out, or its sampler is exhausted);
            the message says how to run the point by resuming the sweep.
        """
        config = self.config.sampler.space.check_config(params)
        with self.lock:
            refusal = self._enqueue_refusal()
            if refusal:
                raise SweepConfigError(f"run.enqueue({config!r}): {refusal}; {self._resume_hint(config)}")
            return self._queue_point(config)

    def _enqueue_refusal(self) -> str | None:
        """Why the sweep can take no more trials, or ``None``."""
        name, budget = self.config.name, self.config.max_total_runs
        if self.ended_at is not None:
            return f"sweep {name!r} has ended ({self.status}) and runs no more trials"
        if self.cancel_reason:
            return f"sweep {name!r} is {self.cancel_reason}, so it starts no more trials"
        if len(self.records) >= budget:
            running = sum(not r.status.is_finished for r in self.records)
            return f"sweep {name!r} has handed out all of its max_total_runs={budget} trials ({running} not finished)"
        if self._exhausted:
            return f"sweep {name!r} starts no more trials (its sampler has nothing more to propose)"
        return None

    def _resume_hint(self, point: Mapping[str, Any]) -> str:
        """How to run a refused point: resume the sweep with it (a sweep without a file: a new sweep)."""
        if self.storage is None or self.storage.path == ":memory:":
            return f"sweep {self.config.name!r} has no sweep file: run a new sweep with points_to_evaluate=[{point!r}]."
        budget = max(self.config.max_total_runs, len(self.records) + 1)
        when = "" if self.ended_at is not None else "once it has ended, "
        return (
            f"{when}resume it with the point: resume_sweep({self.config.name!r}, objective, "
            f"{self.storage.path!r}, points_to_evaluate=[{point!r}], max_total_runs={budget})."
        )

    def _task(self, record: TrialRecord) -> TrialTask:
        resume = self._resumes.pop(record.id, None)
        return TrialTask(
            trial_id=record.id,
            params=dict(record.params),
            metric=self.config.metric,
            objective=self.objective if self.backend.in_process else None,
            objective_blob=None if self.backend.in_process else self._blob,
            timeout=self.config.trial_timeout,
            local_key=self._local_key,
            address=self._server.address if self._server else None,
            token=self._server.token if self._server else None,
            dask_channel=getattr(self._server, "dask_channel", None),
            workdir=os.path.join(self._runs_root, record.id) if self._runs_root else None,
            ship_files_limit=shipped_bytes_limit() if self.backend.ships_files else None,
            resume=resume,
            inbound=self._checkpoint_files(record.id) if resume is not None and self.backend.ships_files else None,
        )

    def _checkpoint_files(self, trial_id: str) -> ShippedFiles | None:
        """A resumed trial's checkpoint, to go out to the Dask worker that resumes it (within the shipped limit)."""
        folder = Path(self._trial_folder(trial_id), CHECKPOINT_DIR)
        if self.runs_dir is None or not folder.is_dir():
            return None
        shipped = collect_files(folder, shipped_bytes_limit())
        if shipped.left_behind:
            warnings.warn(
                f"trial {trial_id}: its checkpoint is larger than the {shipped_bytes_limit() / 2**20:g} MiB a trial's "
                f"files may take to a Dask worker (${ENV_SHIPPED_BYTES}); it resumes without it.",
                HyperwidgetWarning,
                stacklevel=2,
            )
            return None
        return ShippedFiles(tuple((f"{CHECKPOINT_DIR}/{name}", data) for name, data in shipped.files))

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

    def trial_value(self, trial_id: str, name: str, value: float, step: int | None = None) -> str | None:
        with self.lock:
            record = self._get(trial_id)
            if record.status.is_finished or record.status is TrialStatus.PAUSED:
                return record.error or "canceled: the trial already ended"
            record = self._append(record, name, value, step)
            reason = self._stops.get(trial_id) or self.cancel_reason
            if not reason and name == self.config.metric:
                reason = self._apply_policy(record)
                if not reason and (reason := self._pause_reason(record)):
                    self._pausing.add(trial_id)
            if reason:
                self._stops[trial_id] = reason
            self._update(record, values_only=True)
            return reason

    def _append(self, record: TrialRecord, name: str, value: float, step: int | None = None) -> TrialRecord:
        record = record.with_value(name, value, step)
        if self.storage is not None:
            self.storage.append_value(self.config.name, record.id, name, len(record.series(name)) - 1, value, step)
        self.records[record.index] = record
        return record

    def _apply_policy(self, record: TrialRecord) -> str | None:
        try:
            return self.config.policy.on_report(record, self.records, self.config.metric, self.config.goal)
        except Exception:
            logger.exception("hyperwidget: policy %r failed; the trial goes on", self.config.policy)
            return None

    def _pause_reason(self, record: TrialRecord) -> str | None:
        if not self.config.policy.pauses:
            return None
        try:
            return self.config.policy.pause_reason(record, self.records, self.config.metric, self.config.goal)
        except Exception:
            logger.exception("hyperwidget: policy %r failed; the trial goes on", self.config.policy)
            return None

    def trial_poll(self, trial_id: str) -> str | None:
        with self.lock:
            return self._stops.get(trial_id) or self.cancel_reason

    def trial_ended(self, trial_id: str, status: str, error: str | None, returned: Mapping[str, float]) -> None:
        with self.lock:
            record = self._get(trial_id)
            if record.status.is_finished or record.status is TrialStatus.PAUSED:
                return
            for name, value in returned.items():
                series = record.series(name)
                if not series or series[-1] != value:
                    record = self._append(record, name, value)
            # Paused only when the pause stopped it: a trial that returned (it reached its end first) completed.
            if trial_id in self._pausing and status == TrialStatus.STOPPED_EARLY.value:
                self._pause(record, self._stops.get(trial_id) or "paused")
                return
            self._pausing.discard(trial_id)
            final, error = self._judge(record, TrialStatus(status), error)
            self._finish(record, final, error)
            self._check_policy_use(record, final)
            self._check_objectives(record, final)

    def _judge(self, record: TrialRecord, status: TrialStatus, error: str | None) -> tuple[TrialStatus, str | None]:
        """A completed trial without a finite final primary metric is a failure, said as such."""
        if status is not TrialStatus.COMPLETED:
            return status, error
        metric, series = self.config.metric, record.series(self.config.metric)
        if not series:
            logged = sorted(record.metrics) or "nothing"
            text = f"the primary metric {metric!r} was never logged (logged: {logged})"
            self._warn_metric_once(text, list(record.metrics))
            return TrialStatus.FAILED, f"{text}; log it with log({metric!r}, value) or return it.{_mlflow_hint()}"
        if series[-1] != series[-1] or series[-1] in (float("inf"), float("-inf")):
            return TrialStatus.FAILED, f"the primary metric {metric!r} ended as {series[-1]}"
        return status, error

    def _warn_metric_once(self, text: str, logged: list[str]) -> None:
        """Warn once, and only while no trial has logged the metric: then its name is likely wrong."""
        if self._warned_metric or any(r.series(self.config.metric) for r in self.records):
            return
        self._warned_metric = True
        close = difflib.get_close_matches(self.config.metric, logged, n=1)
        hint = f"did you mean metric={close[0]!r}?" if close else "check the metric name given to the sweep."
        warnings.warn(f"trial failed: {text}; {hint}", HyperwidgetWarning, stacklevel=2)

    def _check_objectives(self, record: TrialRecord, status: TrialStatus) -> None:
        """Warn once when a completed trial lacks a secondary objective's final value.

        The trial stays ``Completed`` (its primary metric is all the best run, the
        policies and single-objective code need); it only cannot be on the Pareto front.
        """
        if self._warned_objectives or status is not TrialStatus.COMPLETED:
            return
        missing = [name for name, _ in self.config.objectives[1:] if not record.series(name)]
        if not missing:
            return
        self._warned_objectives = True
        logged = sorted(record.metrics)
        close = difflib.get_close_matches(missing[0], logged, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        warnings.warn(
            f"trial {record.id} completed without logging the objective {missing[0]!r}{hint} (logged: {logged}); "
            f"it counts for the best {self.config.metric!r} but is left off the Pareto front. Log it with "
            f"log({missing[0]!r}, value) or return it in the trial's dict of metrics.",
            HyperwidgetWarning,
            stacklevel=2,
        )

    def _check_policy_use(self, record: TrialRecord, status: TrialStatus) -> None:
        """Warn once when the policy had no intermediate values to act on (the policy words it)."""
        if self._warned_policy:
            return
        text = self.config.policy.check_trial_end(record.replace(status=status), self.config.metric)
        if text:
            self._warned_policy = True
            warnings.warn(text, HyperwidgetWarning, stacklevel=2)

    def trial_lost(self, trial_id: str) -> None:
        with self.lock:
            record = self._get(trial_id)
            if record.status.is_finished:
                return
            if self.backend.loses_all_workers:  # the others die too: judged in _on_worker_lost
                self._lost[trial_id] = time.monotonic()
            else:
                self._finish(record, TrialStatus.CRASHED, "the worker process running this trial died")

    # -- outcomes from the executor (called on the sweep's thread) -----------------------------
    def _on_outcome(self, outcome: TrialOutcome) -> None:
        if outcome.shipped is not None:
            self._restore(outcome.trial_id, outcome.shipped)
        if not outcome.skipped:
            self.trial_ended(outcome.trial_id, outcome.status, outcome.error, dict(outcome.returned))
        with self.lock:
            self._inflight.discard(outcome.trial_id)

    def _restore(self, trial_id: str, shipped: ShippedFiles) -> None:
        """Write the files a trial's worker sent back into the trial's folder; warn about those left behind."""
        if self.runs_dir is None:
            return
        folder = self.runs_dir / trial_id
        folder.mkdir(parents=True, exist_ok=True)
        refused = restore_files(shipped, folder)
        if shipped.left_behind:
            warnings.warn(
                f"trial {trial_id}: {len(shipped.left_behind)} file(s) stayed on the Dask worker, past the "
                f"{shipped_bytes_limit() / 2**20:g} MiB a trial's files may take back to the sweep "
                f"(set another limit in bytes with ${ENV_SHIPPED_BYTES}): {list(shipped.left_behind)[:5]}; "
                "save big files to shared storage and log or save their location instead.",
                HyperwidgetWarning,
                stacklevel=2,
            )
        if refused:
            logger.warning(
                "hyperwidget: trial %s: refused file names reaching outside its folder: %s", trial_id, refused
            )

    def _on_worker_lost(self, lost: WorkerLost) -> None:
        """A worker died and took the others down (loky): charge the culprit, if any, and rerun the rest.

        A trial whose connection dropped before the sweep itself ended a worker
        (:meth:`_enforce`) crashed its worker; the trials lost after such a kill
        are its bystanders. When the sweep killed a worker of a trial it had
        already judged and no trial was lost before, nobody in flight is guilty:
        each is rerun, and that rerun does not count toward its attempts.
        """
        with self.lock:
            victims = [self._get(t) for t in sorted(self._inflight) if self._get(t).status in _OPEN_RUNS]
            culprits = self._culprits(victims)
            engine_kill = self._killed_at is not None
            for record in victims:
                attempts = self._attempts.get(record.id, 1)
                if self.cancel_reason:
                    self._finish(record, TrialStatus.CANCELED, self.cancel_reason)
                elif record.id in culprits or attempts >= _MAX_ATTEMPTS:
                    self._finish(
                        record,
                        TrialStatus.CRASHED,
                        f"the worker process running this trial died ({lost.message.splitlines()[0][:300]})",
                    )
                else:
                    self._rerun(record, attempts if engine_kill and not culprits else attempts + 1)
            self._inflight.clear()
            self._lost.clear()
            self._killed_at = None

    def _culprits(self, victims: list[TrialRecord]) -> set[str]:
        """The trial ids charged with a worker's death: the first lost, unless the sweep killed a worker first."""
        killed_at = self._killed_at if self._killed_at is not None else float("inf")
        ordered = sorted((self._lost[v.id], v.id) for v in victims if self._lost.get(v.id, killed_at) < killed_at)
        if ordered:
            return {ordered[0][1]}
        if self._killed_at is not None:
            return set()
        return {v.id for v in victims if v.status is TrialStatus.RUNNING}

    def _rerun(self, record: TrialRecord, attempts: int) -> None:
        """Queue an innocent trial again, from the start, with the same hyperparameters (``attempts``: its runs)."""
        self._attempts[record.id] = attempts
        self._pausing.discard(record.id)
        if self.storage is not None:
            self.storage.clear_values(self.config.name, record.id)
        self._update(record.replace(status=TrialStatus.QUEUED, metrics={}, steps={}, started_at=None, worker=None))
        self._requeue.append(record.index)

    # -- control ------------------------------------------------------------------------------
    def cancel(self, reason: str = "canceled by the user") -> None:
        """Stop handing out trials and ask running ones to stop at their next ``log``."""
        with self.lock:
            if self.cancel_reason is None:
                self.cancel_reason = reason if reason.startswith("canceled") else f"canceled: {reason}"
                self._canceled_at = time.monotonic()

    def stop_trial(self, trial_id: str, reason: str) -> None:
        """Ask one trial to stop at its next ``log`` call; a paused trial is stopped at once (never promoted)."""
        with self.lock:
            if trial_id not in self._by_id:
                raise KeyError(f"no trial {trial_id!r} in sweep {self.config.name!r}")
            record = self._get(trial_id)
            if record.status is TrialStatus.PAUSED:
                self._finish(record, TrialStatus.STOPPED_EARLY, reason)
                return
            if trial_id in self._pausing:  # the stop wins over the pause under way
                self._pausing.discard(trial_id)
                self._stops[trial_id] = reason
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
        overdue = (
            timeout is not None
            and record.started_at is not None
            and now - record.started_at > timeout + max(GRACE_SECONDS, 0.1 * timeout)
        )
        canceled = self.cancel_reason is not None and time.monotonic() - self._canceled_at > GRACE_SECONDS
        if not (overdue or canceled) or self.objective.supervises_itself:
            return  # e.g. a script's trial ends its own child process
        if overdue:
            self._finish(
                record, TrialStatus.TIMED_OUT, f"stopped after trial_timeout={timeout:g} s (its worker was ended)"
            )
        else:
            self._finish(record, TrialStatus.CANCELED, self.cancel_reason)
        self._end_worker(record)

    def _end_worker(self, record: TrialRecord) -> None:
        """End a judged trial that will not stop, as the backend says; a worker killed so is no crash."""
        if self.backend.interruption is Interruption.KILL_WORKER and self._killed_at is None:
            self._killed_at = time.monotonic()
        self.backend.interrupt(record.id, record.worker)

    # -- the run ------------------------------------------------------------------------------
    def run(self, view: SweepResults | None = None) -> None:
        """Run to the end; record the final status; re-raise an interruption or an engine error.

        Parameters
        ----------
        view : SweepResults, optional
            What observers' ``on_sweep_start`` and ``on_sweep_end`` receive: the
            sweep's public handle (a :class:`~hyperwidget.sweep.SweepRun`).
        """
        self._view = view
        self.started_at = self.started_at or time.time()
        self.status = "Running"
        watch_stop = threading.Event()
        try:
            self._open_channel()
            executor = TrialExecutor(self.backend, self.config.max_concurrent_runs)
            self._start_workers(executor.n_jobs)
            threading.Thread(target=self._watch, args=(watch_stop,), daemon=True, name="hyperwidget-watch").start()
            self._emit("on_sweep_start", self._view)
            for item in executor.run(self.next_task):
                if isinstance(item, WorkerLost):
                    self._on_worker_lost(item)
                else:
                    self._on_outcome(item)
            if self.cancel_reason is None:  # a canceled sweep leaves them Paused: resume_sweep may promote them
                self._end_paused()
            if self.error is None:  # else the sampler failed: the sweep was canceled, and the error is raised
                self.status, self.error = self._verdict()
            if self.error is not None:
                raise self.error
        except KeyboardInterrupt as interrupt:  # Ctrl-C, or SIGTERM (SweepTerminated)
            self.cancel(f"canceled: interrupted ({interrupt or type(interrupt).__name__})")
            self.status = "Canceled"
            raise
        except BaseException as error:
            self.error, self.status = error, "Failed"
            raise
        finally:
            watch_stop.set()
            self._close()

    def _start_workers(self, n_jobs: int) -> None:
        """Have the backend start its workers now, in parallel with the first proposals; say so meanwhile."""
        notice = self.backend.start_workers(n_jobs, self._blob, self._workers_ready)
        with self.lock:  # the workers may have answered already (a fast machine): then there is nothing to say
            if notice is not None and not self._workers_up:
                self.notice = notice

    def _workers_ready(self) -> None:
        with self.lock:
            self._workers_up, self.notice = True, None

    def _verdict(self) -> tuple[str, BaseException | None]:
        """The final status, and the error of a ``Failed`` sweep (see :func:`hyperwidget.verdict.sweep_verdict`)."""
        storage = self.storage.path if self.storage is not None else None
        return sweep_verdict(
            self.config.name,
            self.records,
            self._first_failures,
            fix=how_to_fix(self.config.name, self.objective.label, storage),
            canceled=self.cancel_reason is not None,
            out_of_budget=self._out_of_budget,
        )

    def _open_channel(self) -> None:
        self._local_key = register_local_host(self)
        # Trials in other processes report over a socket; in-process trials (and the pipe relay of a
        # script's child process, which runs in-process too) call this engine directly.
        in_process = self.backend.in_process
        self._server = None if in_process else self.backend.open_channel(self)
        self._blob = None
        if not in_process:
            try:
                self._blob = cloudpickle.dumps(self.objective)
            except Exception as error:
                raise SweepConfigError(
                    f"the objective cannot be sent to {self.config.backend} worker processes ({type(error).__name__}"
                    f": {error}); define what it uses at module level, or use a backend that runs trials in this "
                    f"process: {', '.join(backend_names(in_process=True))}."
                ) from error

    def _close(self) -> None:
        with self.lock:
            for trial_id in list(self._inflight):
                record = self._get(trial_id)
                if record.status in _OPEN_RUNS:
                    self._finish(record, TrialStatus.CANCELED, self.cancel_reason or "canceled: the sweep ended")
                    self.backend.interrupt(record.id, record.worker)
            for index in self._requeue:
                record = self.records[index]
                if not record.status.is_finished:
                    self._finish(record, TrialStatus.CANCELED, self.cancel_reason or "canceled: the sweep ended")
            self.ended_at = time.time()
            self.notice = None
            if self.storage is not None:
                self.storage.update_sweep(
                    self.config.name, status=self.status, error=None if self.error is None else repr(self.error)
                )
        if self._server is not None:
            self._server.close()
        unregister_local_host(self._local_key)
        self._emit("on_sweep_end", self._view)
        self.done.set()


def _mlflow_hint() -> str:
    """Why ``mlflow.log_metric`` calls may not have reached the sweep, when MLflow cannot find the trial store."""
    if plugin_installed():
        return ""
    return (
        f" MLflow calls (mlflow.log_metric) reach the sweep only through the '{SCHEME}' entry point of the group "
        "mlflow.tracking_store, which is not installed: install hyperwidget with pip "
        '(pip install "hyperwidget[mlflow]"), not only on PYTHONPATH.'
    )
