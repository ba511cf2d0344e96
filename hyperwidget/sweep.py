"""A sweep as an object: :class:`SweepRun`, and the steps that build and start one.

:func:`prepare_sweep` validates every setting and returns a :class:`SweepRun`
that has not started; :func:`run_prepared` runs it in the calling thread and
:func:`launch` on a background thread; :func:`load_results` opens a stored one
read-only. The public entry points built on these, with their full
documentation, are in :mod:`hyperwidget.api`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from hyperwidget.config import SweepConfig, check_points, make_config, make_objective
from hyperwidget.engine import SweepEngine
from hyperwidget.errors import SearchSpaceError, SweepConfigError, SweepFileError, SweepTerminated
from hyperwidget.executor import DEFAULT_BACKEND
from hyperwidget.names import check_sweep_name, escape_control, has_control
from hyperwidget.policies import EarlyTerminationPolicy
from hyperwidget.results import SweepResults
from hyperwidget.samplers import Sampler
from hyperwidget.storage import SqliteStorage
from hyperwidget.trial import Constraint, Goal, TrialRecord, TrialStatus

logger = logging.getLogger("hyperwidget")

DEFAULT_STORAGE = "hyperwidget.db"

__all__ = [
    "SweepConfig",
    "SweepRun",
    "launch",
    "load_results",
    "prepare_sweep",
    "run_prepared",
    "terminate_as_interrupt",
]


class SweepRun(SweepResults):
    """A running or finished sweep (HyperDrive's ``HyperDriveRun``): review calls plus control.

    Everything of :class:`~hyperwidget.results.SweepResults` (children, sorted by
    primary metric, best run, DataFrame, Pareto front) works while the sweep runs.
    """

    def __init__(self, engine: SweepEngine, keepalive: Any = None) -> None:
        c = engine.config
        super().__init__(
            c.name,
            c.metric,
            c.goal,
            constraints=c.constraints,
            runs_dir=engine.runs_dir,
            keepalive=keepalive,
            objectives=c.objectives,
        )
        self._engine = engine
        self.config = c
        self._thread: threading.Thread | None = None

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
    def notice(self) -> str | None:
        """What the sweep is doing that its trials do not show yet, or ``None``.

        While a new pool of worker processes starts (``backend="loky"``; about a
        second each, more when the objective's module imports torch or similar),
        this says ``"starting 2 worker processes…"``, the trials stay ``Queued``,
        and the monitor and the console show the text; it is ``None`` once the
        workers have answered, and after the sweep.
        """
        return self._engine.notice

    @property
    def storage_path(self) -> str | None:
        """The sweep file, or ``None`` for an in-memory sweep."""
        return self._engine.storage.path if self._engine.storage is not None else None

    def cancel(self) -> bool:
        """Cancel the sweep: no new trials; running ones stop at their next log (or are ended)."""
        self._engine.cancel("canceled by the user")
        return True

    def enqueue(self, params: Mapping[str, Any]) -> str:
        """Run the configuration ``params`` next, before the sampler proposes more; return its trial id.

        Optuna's ``enqueue_trial`` on a running sweep. ``params`` is checked as
        ``points_to_evaluate`` are (:meth:`SearchSpace.check_config`: a name left
        out takes its default). The trial is created at once, ``Queued`` and stored
        (a resumed sweep runs it if it had not started), and starts when a slot
        frees, after the points queued before it. It counts toward
        ``max_total_runs``: the sampler proposes one trial fewer. Samplers see it
        like any trial (the grid does not propose its point again). A configuration
        the sweep already ran is run again: an enqueued point always runs.

        Raises
        ------
        SearchSpaceError
            When ``params`` is not a configuration of the space, naming the hyperparameter.
        SweepConfigError
            When the sweep will start no more trials: it has ended or was canceled,
            all its ``max_total_runs`` trials are handed out (the budget is not raised
            behind your back), or its sampler is exhausted. The message gives the
            call that runs the point: ``resume_sweep(name, objective, storage,
            points_to_evaluate=[params], max_total_runs=...)`` once the sweep has ended.
        """
        return self._engine.enqueue(params).id

    def stop_trial(self, trial_id: str, reason: str | None = None) -> None:
        """Stop one trial at its next ``log`` call (status ``StoppedEarly``)."""
        self._engine.stop_trial(trial_id, reason or "stopped by the user")

    def wait(self, timeout: float | None = None) -> SweepRun:
        """Block until the sweep ends (or ``timeout`` seconds pass); re-raise the error of a ``Failed`` sweep.

        Raises
        ------
        SweepFailedError
            When the sweep's first trials all failed alike, or none completed.
        TimeoutError
            When ``timeout`` seconds passed first.
        """
        if not self._engine.done.wait(timeout):
            raise TimeoutError(f"sweep {self.name!r} still running after {timeout} s")
        if self._thread is not None and self._engine.error is not None:
            raise self._engine.error
        return self

    def wait_for_completion(
        self, show_output: bool = False, wait_post_processing: bool = False, raise_on_error: bool = True
    ) -> dict[str, Any]:
        """Azure's name for :meth:`wait`; returns a details dict (``runId``, ``status``, and ``error`` if any).

        Parameters
        ----------
        show_output : bool
            Print the sweep's summary when it ends.
        wait_post_processing : bool
            Accepted for Azure's signature; has no effect (there is no post-processing to wait for).
        raise_on_error : bool
            Raise the error of a ``Failed`` sweep (as Azure does); ``False`` returns
            its details instead, with ``status="Failed"`` and the error's text.
        """
        self._engine.done.wait()
        if show_output:
            print(self)
        error = self._engine.error
        if error is not None and raise_on_error:
            raise error
        details: dict[str, Any] = {"runId": self.name, "status": self.status}
        if error is not None:
            details["error"] = f"{type(error).__name__}: {error}"
        return details

    @property
    def is_running(self) -> bool:
        """True until the sweep has ended."""
        return not self._engine.done.is_set()

    @property
    def studio_url(self) -> str:
        """Where the sweep is kept (Azure's link to ML Studio): its sweep file, as a ``file:`` URI ending ``#<name>``.

        Open it with ``hyperwidget.load_sweep(name, path)``, the command line
        (``python -m hyperwidget show``) or a new monitor. A sweep without a file
        (``storage=None``) lives only in this process: the text says so.
        """
        storage = self._engine.storage
        if storage is None or storage.path == ":memory:":
            return f"(none: sweep {self.name!r} has no sweep file, storage=None; it lives in this process only)"
        return f"{Path(storage.path).resolve().as_uri()}#{self.name}"


#: Seconds between two looks of :func:`stream_trials` at the sweep's trials.
STREAM_SECONDS = 0.2


def stream_trials(run: SweepRun, write: Callable[[str], None] | None = None) -> None:
    """Write a line when each trial starts and when it ends, until the sweep ends (``jobs.stream``).

    Parameters
    ----------
    run : SweepRun
        A started sweep.
    write : callable, optional
        Receives each line (default: ``print`` with flush).
    """
    write = write or (lambda line: print(line, flush=True))
    said: dict[str, tuple[bool, bool]] = {}  # trial id -> (start said, end said)
    while True:
        running = run.is_running  # read before the trials: their last changes are then seen below
        for trial in run.trials:
            for line in _trial_lines(trial, said, run.metric, [name for name, _ in run.objectives[1:]]):
                write(line)
        if not running:
            return
        time.sleep(STREAM_SECONDS)


def _trial_lines(
    trial: TrialRecord, said: dict[str, tuple[bool, bool]], metric: str, others: Sequence[str] = ()
) -> list[str]:
    """The lines not yet written about ``trial``: its start, its end (with its last value of the primary
    metric and of each other objective, ``others``, it logged)."""
    started, ended = said.get(trial.id, (False, False))
    lines = []
    if not started and trial.started_at is not None:
        lines.append(f"{trial.id} Running {json.dumps(dict(trial.params), default=str)}")
        started = True
    if not ended and trial.status.is_finished:
        series = trial.series(metric)
        value = f" {metric}={series[-1]:.6g}" if series else ""
        value += "".join(f" {name}={trial.last(name):.6g}" for name in others if trial.series(name))
        reason = (
            f" ({escape_control(trial.error.strip().splitlines()[-1][:120])})" if trial.error and not series else ""
        )
        lines.append(f"{trial.id} {trial.status.value}{value}{reason}")
        started = ended = True
    said[trial.id] = (started, ended)
    return lines


def _open_storage(
    storage: str | os.PathLike[str] | SqliteStorage | None, *, create: bool = True
) -> SqliteStorage | None:
    if storage is None or isinstance(storage, SqliteStorage):
        return storage
    return SqliteStorage(storage, create=create)  # resuming (create=False) refuses a missing file


#: The folder, next to the sweep file, that holds one folder per trial: ``<runs>/<sweep name>/<trial id>``.
RUNS_FOLDER = "hyperwidget_runs"


class _TemporaryRuns:
    """The runs folder of a sweep without a file (``storage=None``): a temporary folder removed with its sweep.

    It lives as long as the sweep's run object or any child run taken from it
    (each holds this object), and at the latest until the interpreter exits.
    """

    def __init__(self, name: str) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="hyperwidget-runs-")) / name
        self.path.mkdir()
        weakref.finalize(self, shutil.rmtree, self.path.parent, ignore_errors=True)


def _runs_dir(storage: SqliteStorage | None, name: str) -> tuple[Path, Any]:
    """Where the sweep's trials keep their files, and the object that must outlive them (``None`` for a file's).

    With a sweep file: ``hyperwidget_runs/<name>`` next to it (as :func:`load_results` reads it back);
    without one: a temporary folder, removed once the sweep and its child runs are gone.
    """
    if storage is None or storage.path == ":memory:":
        temporary = _TemporaryRuns(name)
        return temporary.path, temporary
    return Path(storage.path).resolve().parent / RUNS_FOLDER / name, None


def prepare_sweep(
    objective: Any,
    space: Mapping[str, Any] | None = None,
    *,
    metric: str | Sequence[str],
    goal: Any = "maximize",
    sampler: Sampler | str | None = None,
    policy: EarlyTerminationPolicy | str | None = None,
    max_total_runs: int | None = None,
    max_concurrent_runs: int | None = None,
    max_duration_minutes: float | None = None,
    trial_timeout: float | None = None,
    backend: str = DEFAULT_BACKEND,
    seed: int | None = None,
    name: str | None = None,
    storage: str | os.PathLike[str] | SqliteStorage | None = DEFAULT_STORAGE,
    constraints: Sequence[str | Constraint] = (),
    observers: Sequence[Any] = (),
    resume: bool = False,
    if_exists: str = "error",
    points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
) -> SweepRun:
    """Validate everything and return a :class:`SweepRun` that has not started.

    The settings are those of :func:`hyperwidget.api.run_sweep`; ``resume=True`` prepares
    the stored sweep ``name`` instead (as :func:`hyperwidget.api.resume_sweep`, where
    ``points_to_evaluate`` are more points to run first).

    With a storage file, this process takes the sweep's lease first (before reading
    or writing the sweep), and holds it until the sweep ends.

    Raises
    ------
    SweepBusyError
        When another live process runs the sweep (see :meth:`SqliteStorage.acquire`).
    """
    _check_if_exists(if_exists, resume)
    if resume and name:
        check_sweep_name(name)
    store = _open_storage(storage, create=not resume)
    if resume:
        if store is None or not name:
            raise SweepConfigError("resume=True needs the sweep's name and its storage file.")
        return _owned(
            store,
            name,
            lambda owned: _prepare_resume(
                objective,
                store,
                name,
                observers=[*observers, *owned],
                max_total_runs=max_total_runs,
                max_concurrent_runs=max_concurrent_runs,
                backend=backend,
                max_duration_minutes=max_duration_minutes,
                trial_timeout=trial_timeout,
                points=points_to_evaluate,
            ),
        )
    config = make_config(
        space,
        metric=metric,
        goal=goal,
        sampler=sampler,
        policy=policy,
        max_total_runs=max_total_runs,
        max_concurrent_runs=max_concurrent_runs,
        max_duration_minutes=max_duration_minutes,
        trial_timeout=trial_timeout,
        backend=backend,
        seed=seed,
        name=name,
        constraints=constraints,
        points_to_evaluate=points_to_evaluate or (),
    )
    wrapped = make_objective(objective, config.sampler.space)

    def build(owned: list[Any]) -> SweepRun:
        if store is not None and if_exists != "error" and config.name in store.sweep_names():
            if if_exists == "resume":
                _check_same_sweep(config, store)
                return _prepare_resume(
                    objective,
                    store,
                    config.name,
                    observers=[*observers, *owned],
                    backend=backend,
                    max_total_runs=max_total_runs,
                    max_concurrent_runs=max_concurrent_runs,
                    max_duration_minutes=max_duration_minutes,
                    trial_timeout=trial_timeout,
                )
            store.delete_sweep(config.name)  # if_exists="replace"
        if store is not None:
            store.create_sweep(config.name, config.to_json(wrapped.label))
        runs_dir, keep = _runs_dir(store, config.name)
        engine = SweepEngine(config, wrapped, store, observers=[*observers, *owned], runs_dir=runs_dir)
        return SweepRun(engine, keepalive=keep)

    return _owned(store, config.name, build)


def _owned(store: SqliteStorage | None, name: str, build: Callable[[list[Any]], SweepRun]) -> SweepRun:
    """Take sweep ``name``'s lease, then ``build(observers)`` its run; the lease, an observer, ends with it.

    The lease is released at once when building fails; when another process takes it
    over (its heartbeat looked dead), the run is canceled.
    """
    if store is None:
        return build([])
    lease = store.acquire(name)
    try:
        run = build([lease])
    except BaseException:
        lease.release()
        raise
    lease.on_lost = lambda: run._engine.cancel("canceled: another process took the sweep over")
    return run


IF_EXISTS = ("error", "resume", "replace")


def _check_if_exists(if_exists: Any, resume: bool) -> None:
    """Refuse an unknown ``if_exists``, and ``if_exists="replace"`` together with ``resume=True``."""
    if not isinstance(if_exists, str) or if_exists not in IF_EXISTS:
        raise SweepConfigError(
            f"if_exists must be one of {', '.join(map(repr, IF_EXISTS))}, got if_exists={if_exists!r}; 'error' "
            "refuses a sweep name the storage file already holds, 'resume' goes on with the stored sweep, "
            "'replace' deletes it and starts anew."
        )
    if resume and if_exists == "replace":
        raise SweepConfigError(
            "resume=True goes on with the stored sweep, but if_exists='replace' deletes it; "
            "pass one of them (if_exists='resume' also starts the sweep when it is missing)."
        )


def _check_same_sweep(config: SweepConfig, store: SqliteStorage) -> None:
    """For ``if_exists="resume"``: refuse a call that defines another sweep than the stored one of that name."""
    stored = store.load_sweep(config.name, strict=True)[0]
    given = json.loads(json.dumps(config.to_json()))  # the stored form: tuples become lists
    try:
        pairs = {
            "metric": (stored["metric"], given["metric"]),
            "goal": (stored["goal"], given["goal"]),
            "objectives": (stored.get("objectives", [[stored["metric"], stored["goal"]]]), given["objectives"]),
            "space": (stored["sampler"]["space"], given["sampler"]["space"]),
            "sampler": (stored["sampler"]["name"], given["sampler"]["name"]),
            "policy": (stored["policy"], given["policy"]),
            "constraints": (stored.get("constraints", []), given["constraints"]),
            "points_to_evaluate": (stored.get("points_to_evaluate", []), given["points_to_evaluate"]),
        }
    except (KeyError, TypeError) as error:
        raise SweepFileError(
            f"{store.path!r}: sweep {config.name!r}, field 'config': lacks {error} or has the "
            "wrong type; the file was damaged or written by another program: pass "
            "if_exists='replace' to start anew, or choose another name."
        ) from None
    differ = [f"{key} (stored {old!r}, given {new!r})" for key, (old, new) in pairs.items() if old != new]
    if differ:
        raise SweepConfigError(
            f"if_exists='resume': the sweep {config.name!r} stored in {store.path!r} differs from this call in "
            f"{'; '.join(differ)}; pass if_exists='replace' to delete it and start anew with these settings, "
            f"or choose another name{_more_points_hint(config.name, store.path, differ)}."
        )


def _more_points_hint(name: str, path: str, differ: list[str]) -> str:
    """For a resumed sweep given other points: the call that runs more points in the stored sweep."""
    if not any(item.startswith("points_to_evaluate") for item in differ):
        return ""
    return (
        f"; to run more points in the stored sweep, resume it with them: resume_sweep({name!r}, objective, "
        f"{path!r}, points_to_evaluate=[...])"
    )


def _prepare_resume(
    objective: Any,
    store: SqliteStorage,
    name: str,
    *,
    observers: Sequence[Any],
    points: Sequence[Mapping[str, Any]] | None = None,
    **overrides: Any,
) -> SweepRun:
    from hyperwidget.policies import policy_from_json
    from hyperwidget.samplers import sampler_from_json

    data, _status, _created_at, _updated, trials = store.load_sweep(name, strict=True)
    _review_settings(store.path, name, data)
    try:
        settings = {
            k: data[k]
            for k in ("max_total_runs", "max_concurrent_runs", "max_duration_minutes", "trial_timeout", "backend")
        }
        sampler = sampler_from_json(data["sampler"])
        policy = policy_from_json(data["policy"])
        stored_points = _stored_points(store.path, name, sampler, data)
    except SweepFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as error:
        raise SweepFileError(
            f"{store.path!r}: sweep {name!r}, field 'config': cannot rebuild the sweep's settings "
            f"({type(error).__name__}: {error}); the file was damaged or written by another "
            "program: open it with load_sweep, or start a new sweep."
        ) from None
    given = {k: v for k, v in overrides.items() if v is not None}
    if given.get("backend") == DEFAULT_BACKEND:  # the default of the caller's signature: keep the stored one
        del given["backend"]
    settings.update(given)
    objectives = _review_objectives(store.path, name, data)
    config = make_config(
        None,
        metric=[metric for metric, _ in objectives],
        goal=[goal for _, goal in objectives],
        sampler=sampler,
        policy=policy,
        seed=None,
        name=name,
        constraints=data.get("constraints", ()),
        points_to_evaluate=stored_points,
        **settings,
    )
    wrapped = make_objective(objective, sampler.space)
    more = check_points(sampler.space, points)
    needed = max(len(trials), len(config.points_to_evaluate)) + len(more)
    if more and needed > config.max_total_runs:
        raise SweepConfigError(
            f"resuming sweep {name!r}: it has {len(trials)} trials and points_to_evaluate adds {len(more)}, but "
            f"max_total_runs={config.max_total_runs}; pass max_total_runs={needed} (or more) to run them."
        )
    trials = [_to_rerun(t) for t in trials]
    for t in trials:
        if t.status is TrialStatus.QUEUED:
            store.clear_values(name, t.id)
            store.save_trial(name, t)
    store.update_sweep(name, status="Running", config=config.to_json(wrapped.label))
    runs_dir, keep = _runs_dir(store, name)
    engine = SweepEngine(config, wrapped, store, trials=trials, observers=observers, runs_dir=runs_dir, points=more)
    return SweepRun(engine, keepalive=keep)


def _stored_points(path: str, name: str, sampler: Sampler, data: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """The stored sweep's known points, checked again; ``SweepFileError`` names the field of a bad one."""
    try:
        return check_points(sampler.space, data.get("points_to_evaluate", ()))
    except (SearchSpaceError, SweepConfigError) as error:
        raise SweepFileError(
            f"{path!r}: sweep {name!r}, field 'config.points_to_evaluate': {error} The file was damaged or "
            "written by another program: open it with load_sweep, or start a new sweep."
        ) from None


def _to_rerun(trial: TrialRecord) -> TrialRecord:
    """A stored trial as a resumed sweep takes it: ``Queued`` again when it never ran to an end.

    That is a trial still queued or running when the sweep's process ended, and
    a trial canceled before it started (a known point waiting when the sweep
    was canceled, say): both run from the start, with the same hyperparameters.
    A ``Paused`` trial (ASHA's promotion variant) stays paused.
    """
    never_started = trial.status is TrialStatus.CANCELED and trial.started_at is None
    if (trial.status.is_finished and not never_started) or trial.status is TrialStatus.PAUSED:
        return trial  # a paused trial waits for its promotion, from its checkpoint
    return trial.replace(
        status=TrialStatus.QUEUED, metrics={}, steps={}, started_at=None, ended_at=None, error=None, worker=None
    )


def run_prepared(run: SweepRun) -> SweepRun:
    """Run a prepared sweep to its end in the calling thread and return it.

    In the main thread, ``SIGTERM`` is taken like ``KeyboardInterrupt`` while the
    sweep runs (see :func:`terminate_as_interrupt`).
    """
    with terminate_as_interrupt():
        run._engine.run(run)
    return run


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Take ``SIGTERM`` as an interrupt meanwhile, then let the process die of it.

    The handler raises :class:`~hyperwidget.errors.SweepTerminated`, a
    ``KeyboardInterrupt``: the sweep cancels, keeps every finished trial, records
    itself and its other trials ``Canceled`` and ends its workers. On leaving, the
    previous handler is put back and the signal raised again, so the process ends
    as ``SIGTERM`` would have ended it (exit status -15 under the default action).
    Only the first ``SIGTERM`` raises; a second one, while that cleanup runs, ends
    the process at once (as a second Ctrl-C does in many tools). Outside the main
    thread, when the process ignores ``SIGTERM``, or when its handler was not set
    from Python, nothing is installed.
    """
    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread() or previous in (None, signal.SIG_IGN):
        yield
        return
    received: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        if received:  # a second SIGTERM while the sweep cleans up: end the process now, as SIGTERM would
            signal.signal(signal.SIGTERM, previous)
            signal.raise_signal(signal.SIGTERM)
            return
        received.append(signum)
        raise SweepTerminated("SIGTERM")

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if received:
            signal.raise_signal(signal.SIGTERM)


def launch(run: SweepRun) -> SweepRun:
    """Start a prepared sweep on a background thread."""

    def target() -> None:
        try:
            run._engine.run(run)
        except BaseException:  # kept on the engine; SweepRun.wait() re-raises it
            logger.debug("sweep %s ended with an error", run.name, exc_info=True)

    run._thread = threading.Thread(target=target, name=f"hyperwidget-{run.name}", daemon=True)
    run._thread.start()
    return run


#: The status :func:`load_results` reports for a sweep stored ``Running`` whose process is gone.
INTERRUPTED = "Interrupted"


def load_results(name: str | None = None, storage: str | os.PathLike[str] = DEFAULT_STORAGE) -> SweepResults:
    """Open a stored sweep read-only (the newest one when ``name`` is None); works while it runs.

    The status is the stored one, except for a sweep stored ``Running`` whose owner
    process is gone (killed, crashed, its machine down; see
    :mod:`hyperwidget.storage._lease`): it reads ``"Interrupted"``, and its trials keep
    the status they had when the process died. ``resume_sweep`` goes on with it.
    """
    store = SqliteStorage(storage, read_only=True)
    try:
        if name is None:
            names = store.sweep_names()
            if not names:
                raise SweepConfigError(f"no sweep in {storage!r}.")
            name = names[-1]
        data, status, _created, _updated, trials = store.load_sweep(name)
        if status == "Running":
            owner = store.owner(name)
            status = status if owner is not None and owner.is_alive() else INTERRUPTED
    finally:
        store.close()
    metric, goal, constraints = _review_settings(str(storage), name, data)
    return SweepResults(
        name,
        metric,
        goal,
        trials,
        constraints,
        status,
        runs_dir=Path(storage).resolve().parent / RUNS_FOLDER / name,
        objectives=_review_objectives(str(storage), name, data),
    )


def _review_settings(path: str, name: str, data: Mapping[str, Any]) -> tuple[str, Goal, list[Constraint]]:
    """The metric, goal and constraints of a stored configuration; ``SweepFileError`` names a bad field."""

    def bad(field: str, problem: str) -> SweepFileError:
        return SweepFileError(
            f"{path!r}: sweep {name!r}, field 'config.{field}': {problem}; the file was damaged "
            "or written by another program."
        )

    metric = data.get("metric")
    if not isinstance(metric, str) or not metric.strip() or has_control(metric):
        raise bad("metric", f"must be a metric name, got {metric!r:.60}")
    try:
        goal = Goal.parse(data.get("goal"))
    except (SweepConfigError, TypeError, ValueError):
        raise bad("goal", f"must be 'maximize' or 'minimize', got {data.get('goal')!r:.60}") from None
    stored = data.get("constraints", [])
    if not isinstance(stored, list):
        raise bad("constraints", f"must be a list, got {stored!r:.60}")
    try:
        return metric, goal, [Constraint.parse(c) for c in stored]
    except SweepConfigError as error:
        raise bad("constraints", str(error)) from None


def _review_objectives(path: str, name: str, data: Mapping[str, Any]) -> tuple[tuple[str, Goal], ...]:
    """The stored objectives, the primary one first; a file written before sweeps had several holds only
    ``metric`` and ``goal`` (checked by :func:`_review_settings`), its one objective."""
    metric, goal, _ = _review_settings(path, name, data)
    stored = data.get("objectives")
    if stored is None:
        return ((metric, goal),)
    problem = f"must be a list of [metric, goal] pairs starting with [{metric!r}, {goal.value!r}]"
    try:
        pairs = tuple((n, Goal.parse(g)) for n, g in stored)
        valid = pairs[0] == (metric, goal) and all(
            isinstance(n, str) and n.strip() and not has_control(n) for n, _ in pairs
        )
    except (SweepConfigError, TypeError, ValueError, IndexError):
        valid = False
    if not valid:
        raise SweepFileError(
            f"{path!r}: sweep {name!r}, field 'config.objectives': {problem}, got {stored!r:.80}; the file "
            "was damaged or written by another program."
        )
    return pairs
