"""In-trial logging: ``Run.get_context().log(name, value)`` and ``log(name, value)``.

Inside a sweep, every call reports the value to the sweep as it happens (a
repeated name makes a series: a learning curve) and raises
:class:`~hyperwidget.errors.TrialStopped` when the sweep asks the trial to stop.
Outside a sweep (a script run by hand), the same calls print the value, so a
training script works unchanged both ways.

Threads a trial starts (training callbacks, data loaders, a
``ThreadPoolExecutor``) log to that trial too. Python threads do not inherit
context variables, so, as OpenTelemetry's threading instrumentation does, the
first trial run in a process wraps ``threading.Thread.start`` and
``concurrent.futures.ThreadPoolExecutor.submit`` once
(:func:`install_thread_inheritance`, idempotent): a thread remembers the trial
of the thread that started it, and a pool task the trial of the thread that
submitted it. A thread with no trial of its own (started before the first trial,
or by C code) logs to the trial running in this process, when exactly one runs.
A thread that outlives its trial never writes into a later trial: its values
are dropped with a warning (:meth:`Run.end`).

A trial keeps its state across a pause (ASHA's promotion variant) with
:meth:`Run.save_checkpoint` and :meth:`Run.load_checkpoint`: the latest
checkpoint lives in the trial's folder, which a Dask trial's files travel
back to and out from.
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import numbers
import os
import pickle
import shutil
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from hyperwidget.errors import HyperwidgetWarning, TrialStopped, TrialTimeout

_local = threading.local()
#: The attribute of a ``threading.Thread`` holding the run of the trial whose thread started it.
_THREAD_RUN = "_hyperwidget_run"
_ACTIVE_LOCK = threading.Lock()
_ACTIVE: dict[int, Run] = {}  # id -> run of each trial running in this process now (enter_trial .. leave_trial)
_warned_unattributed = False

#: Environment variables a sweep sets for a child-run script (see ``objective.Script``).
ENV_TRIAL_ID = "HYPERWIDGET_TRIAL_ID"
ENV_REPORT_FD = "HYPERWIDGET_REPORT_FD"
ENV_ACK_FD = "HYPERWIDGET_ACK_FD"
ENV_PARAMS = "HYPERWIDGET_PARAMS"
ENV_INPUT_PREFIX = "HYPERWIDGET_INPUT_"
ENV_OUTPUT_DIR = "HYPERWIDGET_OUTPUT_DIR"
#: The output folder of a run outside any sweep, relative to the working directory (Azure's ``./outputs``).
OFFLINE_OUTPUT_DIR = "outputs"
#: The folder of a trial's latest checkpoint, in its trial folder (``./checkpoints`` outside a sweep).
CHECKPOINT_DIR = "checkpoints"
_CHECKPOINT_META = "checkpoint.json"
_CHECKPOINT_OBJECT = "object.pkl"
#: The file, in a resumed trial's folder, holding how many values of each metric it had recorded (JSON):
#: written by the worker for a script's process, which reads it at its start (see ``Run.resumed``).
RESUME_FILE = ".hyperwidget-resume.json"


def has_checkpoint(trial_folder: str | os.PathLike[str]) -> bool:
    """Whether ``trial_folder`` holds a checkpoint saved with :meth:`Run.save_checkpoint`."""
    return os.path.isfile(os.path.join(trial_folder, CHECKPOINT_DIR, _CHECKPOINT_META))


class TabularDataset:
    """A delimited file read with pandas (``Dataset.Tabular.from_delimited_files``; ``run.input_datasets``)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(Path(path).resolve())

    def as_named_input(self, name: str) -> NamedInput:
        """Pass the dataset to a child-run script, which reads ``run.input_datasets[name]``."""
        return NamedInput(name, self)

    def to_pandas_dataframe(self) -> Any:
        """The data as a pandas DataFrame."""
        import pandas as pd

        return pd.read_csv(self.path)


class NamedInput:
    """A dataset handed to a script under a name; on the command line it is the file's path."""

    def __init__(self, name: str, dataset: TabularDataset) -> None:
        self.name, self.dataset = name, dataset

    def __str__(self) -> str:
        return self.dataset.path


class Reporter(Protocol):
    """Where a trial's values go: the sweep (through a channel) or the console."""

    def report(self, name: str, value: float, step: int | None = None) -> str | None:
        """Record one value (at training step ``step``, if given); return a stop reason when the trial must stop."""

    def poll(self) -> str | None:
        """Return a stop reason when the trial must stop, recording nothing."""


class _ConsoleReporter:
    """Used outside any sweep: print what the script logs."""

    def report(self, name: str, value: float, step: int | None = None) -> str | None:
        print(f"{name}: {value}" if step is None else f"{name} (step {step}): {value}", flush=True)
        return None

    def poll(self) -> str | None:
        return None


class _PipeReporter:
    """Used in a child-run script: report through the pipes the sweep passed in."""

    def __init__(self, report_fd: int, ack_fd: int) -> None:
        self._out = os.fdopen(report_fd, "w", buffering=1)
        self._in = os.fdopen(ack_fd, "r")
        self._lock = threading.Lock()

    def report(self, name: str, value: float, step: int | None = None) -> str | None:
        message = {"name": name, "value": value} if step is None else {"name": name, "value": value, "step": step}
        with self._lock:
            self._out.write(json.dumps(message) + "\n")
            self._out.flush()
            answer = self._in.readline()
        if not answer:  # the sweep went away: stop rather than run unobserved
            return "canceled: the sweep ended"
        reason = json.loads(answer).get("stop")
        return str(reason) if reason else None

    def poll(self) -> str | None:
        """The pipe answers reports only: a stop reaches the script at its next ``log``."""
        return None


def _as_float(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"log({name!r}, {value!r}): a metric value must be a number.") from None


def _as_step(name: str, step: Any) -> int | None:
    if step is None:
        return None
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise TypeError(f"log({name!r}, ..., step={step!r}): step must be an int (e.g. the epoch) or None.")
    return int(step)


class Run:
    """The current child run, as HyperDrive's ``azureml.core.Run``: get it with :meth:`get_context`.

    Examples
    --------
    >>> run = Run.get_context()  # outside a sweep: an offline run that prints
    >>> run.log("Accuracy", 0.93)
    Accuracy: 0.93
    """

    def __init__(
        self,
        reporter: Reporter,
        trial_id: str | None = None,
        params: Mapping[str, Any] | None = None,
        output_dir: str | os.PathLike[str] | None = None,
        resumed: Mapping[str, int] | None = None,
    ) -> None:
        self._reporter = reporter
        self.id = trial_id or "offline"
        self.params: dict[str, Any] = dict(params or {})
        self._output_dir = output_dir  # made a Path only when the trial asks for it: pathlib costs µs per trial
        self._stop_reason: str | None = None
        self.timed_out = False
        self._lock = threading.Lock()  # a trial's threads log one at a time; end() waits for a log under way
        self._ended = False
        self._warned_ended = False
        #: A resumed trial's recorded values per metric (``None``: its first start); see :attr:`resumed`.
        self._resumed = dict(resumed) if resumed is not None else None
        self._replayed: dict[str, int] = dict(resumed or {})  # values to drop: a restart re-logs them

    @classmethod
    def get_context(cls) -> Run:
        """The run of the trial executing this code, or an offline run that prints.

        In order: the trial this thread runs (or, in a thread pool's task, the trial
        that submitted it), the trial of the thread that started this thread, the
        child-run script's own run, the one trial running in this process (when
        exactly one runs), else an offline run that prints.
        """
        current = _inherited_run()
        if current is not None:
            return current
        if _process_run is not None:
            return _process_run
        return _sole_active_run() or cls(_ConsoleReporter())

    @property
    def is_offline(self) -> bool:
        """True outside a sweep."""
        return isinstance(self._reporter, _ConsoleReporter)

    @property
    def output_dir(self) -> Path:
        """This trial's own output folder, created on first use: save models and files here.

        Every trial of a sweep has its own (``<runs folder>/<sweep>/<trial id>/outputs``,
        next to the sweep file), whatever runs it: a function, a ``%%sweep`` cell or a
        script, on any backend. Afterwards ``child.get_file_names()`` lists its files
        as ``outputs/<name>`` and ``child.download_file(...)`` copies one. Outside a
        sweep it is ``./outputs`` (Azure's convention).

        Examples
        --------
        ``joblib.dump(model, Run.get_context().output_dir / "model.joblib")``
        """
        folder = Path(self._output_dir) if self._output_dir is not None else Path.cwd() / OFFLINE_OUTPUT_DIR
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @property
    def trial_folder(self) -> Path | None:
        """The trial's folder (it holds :attr:`output_dir`), not created; ``None`` outside a sweep."""
        return Path(self._output_dir).parent if self._output_dir is not None else None

    # -- checkpoints ------------------------------------------------------------------------------
    @property
    def resumed(self) -> bool:
        """True when this run resumes a paused trial (ASHA's promotion variant), ``False`` at its first start."""
        return self._resumed is not None

    def _checkpoint_dir(self) -> Path:
        folder = self.trial_folder
        return (folder if folder is not None else Path.cwd()) / CHECKPOINT_DIR

    def save_checkpoint(self, state: Any) -> Path:
        """Save the trial's state as its latest checkpoint; returns the checkpoint's folder.

        ``state`` is any picklable object (pickled), or the path of a file or
        folder (copied, e.g. a model file the training wrote). The checkpoint is
        kept in the trial's folder (``<trial folder>/checkpoints``, replacing the
        previous one: only the latest is kept); on a Dask worker it travels back
        with the trial's files and out again when the trial resumes. Outside a
        sweep it goes to ``./checkpoints``.

        Save before logging the epoch's metric: a policy may pause the trial at
        that ``log`` call (ASHA's promotion variant), and the trial resumes from
        its latest checkpoint.

        Examples
        --------
        >>> run = Run.get_context()
        >>> state = run.load_checkpoint() or {"epoch": 0}  # doctest: +SKIP
        >>> for epoch in range(state["epoch"] + 1, 31):  # doctest: +SKIP
        ...     train_one_epoch(model)
        ...     run.save_checkpoint({"epoch": epoch, "model": model.state_dict()})
        ...     run.log("accuracy", evaluate(model))
        """
        target = self._checkpoint_dir()
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(_fresh_dir(target.parent, ".checkpoint-new-"))
        try:
            if isinstance(state, (str, os.PathLike)) and os.path.exists(state):
                source = Path(state)
                meta = {"kind": "path", "name": source.name}
                if source.is_dir():
                    shutil.copytree(source, staging / source.name, symlinks=True)
                else:
                    shutil.copy2(source, staging / source.name)
            else:
                meta = {"kind": "object", "name": _CHECKPOINT_OBJECT}
                with open(staging / _CHECKPOINT_OBJECT, "wb") as file:
                    pickle.dump(state, file, protocol=pickle.HIGHEST_PROTOCOL)
            (staging / _CHECKPOINT_META).write_text(json.dumps(meta))
            _swap_in(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target

    def load_checkpoint(self) -> Any:
        """The state of the trial's latest checkpoint, or ``None`` at the trial's first start.

        The pickled object, or, for a checkpoint saved from a path, the path of
        the copied file or folder. Only a resumed trial (:attr:`resumed`, a
        trial promoted by ASHA's promotion variant) finds a checkpoint; so does
        nothing outside a sweep (``None``).

        A resumed trial that loads no checkpoint restarts from the beginning: the
        values it logs again are dropped, up to the number of values of each
        metric it had recorded (its series goes on from where it paused, without
        repeated values), and the sweep warns. One that loads a checkpoint logs
        every value from there on.
        """
        if self._resumed is None:
            return None
        folder = self._checkpoint_dir()
        try:
            meta = json.loads((folder / _CHECKPOINT_META).read_text())
        except (OSError, ValueError):
            return None
        self._replayed = {}  # it goes on from its checkpoint: every value it logs is new
        path = folder / str(meta.get("name", _CHECKPOINT_OBJECT))
        if meta.get("kind") == "path":
            return path
        with open(path, "rb") as file:
            return pickle.load(file)  # noqa: S301  (the trial's own checkpoint, written by save_checkpoint)

    def _replay(self, name: str) -> bool:
        """Whether this value of ``name`` repeats one recorded before a restart (then it is dropped)."""
        left = self._replayed.get(name, 0)
        if left <= 0:
            return False
        self._replayed[name] = left - 1
        return True

    def log(self, name: str, value: Any, description: str = "", step: int | None = None) -> None:
        """Log one value of metric ``name``; repeated calls build a series.

        Parameters
        ----------
        name : str
            The metric's name.
        value : number
            Its value.
        description : str
            Accepted for Azure's ``Run.log``; has no effect here.
        step : int, optional
            The training step (e.g. the epoch) the value belongs to; stored with the
            value (``ChildRun.get_metric_steps``). Policies count values, not steps.

        Raises
        ------
        TrialStopped
            When the sweep stopped this trial (early termination, a stop button,
            cancellation); the trial keeps every value logged before.
        """
        if self._ended:  # a thread that outlived its trial: no stop to raise, nowhere to report
            self._warn_ended(name)
            return
        self.check_stop()
        number, step = _as_float(name, value), _as_step(name, step)
        if self._replayed and self._replay(str(name)):
            return
        with self._lock:
            if self._ended:
                self._warn_ended(name)
                return
            reason = self._reporter.report(str(name), number, step)
        if reason:
            self._stop_reason = reason
        self.check_stop()

    def end(self) -> None:
        """Mark the trial ended (engine use): later values, from threads that outlived it, are dropped.

        Waits for a ``log`` call under way in another thread, so that every value
        reported before the trial's end reaches the sweep before it.
        """
        with self._lock:
            self._ended = True

    def _warn_ended(self, name: str) -> None:
        if not self._warned_ended:
            self._warned_ended = True
            warnings.warn(
                f"log({name!r}, ...) in thread {threading.current_thread().name!r} after trial {self.id} ended: "
                "the value is dropped (a thread the trial started outlived it; join it before the trial returns).",
                HyperwidgetWarning,
                stacklevel=3,
            )

    def log_metrics(self, metrics: Mapping[str, Any]) -> None:
        """Log several metrics at once (one value each)."""
        for name, value in metrics.items():
            self.log(name, value)

    def check_stop(self) -> None:
        """Raise ``TrialStopped`` (or ``TrialTimeout``) if the sweep asked this trial to stop."""
        if self.timed_out:
            raise TrialTimeout(f"trial {self.id} ran past its trial_timeout")
        if self._stop_reason:
            raise TrialStopped(self._stop_reason)

    def request_stop(self, reason: str) -> None:
        """Make the next ``log`` call raise ``TrialStopped(reason)``."""
        self._stop_reason = reason

    @property
    def stop_reason(self) -> str | None:
        """Why the sweep asked this trial to stop, as far as this run knows (``None``: it did not)."""
        return self._stop_reason

    def pending_stop(self) -> str | None:
        """The stop asked of this trial, asking the sweep when none is known yet; never raises."""
        if self._stop_reason is None:
            try:
                reason = self._reporter.poll()
            except Exception as error:  # the sweep went away
                reason = f"canceled: {error}"
            if reason:
                self._stop_reason = reason
        return self._stop_reason

    def forward(self, name: str, value: float, step: int | None = None) -> str | None:
        """Report one value of a child process to the sweep and return the stop reason; never raises.

        A stop is recorded as with :meth:`request_stop`; the child process is told
        by its relay (see ``objective.Script``).
        """
        try:
            reason = self._reporter.report(str(name), float(value), step)
        except Exception as error:  # the sweep went away
            reason = f"canceled: {error}"
        if reason:
            self._stop_reason = reason
        return reason

    def complete(self) -> None:
        """Azure compatibility: a run ends when its function or script returns."""

    @property
    def input_datasets(self) -> dict[str, Any]:
        """Datasets passed with ``Dataset...as_named_input(name)``, by name (Azure's ``run.input_datasets``)."""
        return {
            key[len(ENV_INPUT_PREFIX) :]: TabularDataset(path)
            for key, path in os.environ.items()
            if key.startswith(ENV_INPUT_PREFIX)
        }

    def get_hyperparameters(self) -> dict[str, Any]:
        """The hyperparameters of this trial (empty offline)."""
        return dict(self.params)


def _fresh_dir(parent: Path, prefix: str) -> str:
    return tempfile.mkdtemp(prefix=prefix, dir=parent)


def _swap_in(staging: Path, target: Path) -> None:
    """Make ``staging`` the folder ``target``, replacing the one there (never a moment with a half-written one)."""
    retired = None
    if target.exists():
        retired = Path(_fresh_dir(target.parent, ".checkpoint-old-"))
        os.replace(target, retired / "old")
    os.replace(staging, target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def save_checkpoint(state: Any) -> Path:
    """Save the current trial's latest checkpoint (see :meth:`Run.save_checkpoint`)."""
    return Run.get_context().save_checkpoint(state)


def load_checkpoint() -> Any:
    """The current trial's latest checkpoint, ``None`` at its first start (see :meth:`Run.load_checkpoint`)."""
    return Run.get_context().load_checkpoint()


def log(name: str, value: Any, step: int | None = None) -> None:
    """Log ``value`` under ``name`` (at training step ``step``) for the current trial (prints outside a sweep)."""
    Run.get_context().log(name, value, step=step)


def output_dir() -> Path:
    """The current trial's own output folder, created on first use (``./outputs`` outside a sweep).

    Shorthand for ``Run.get_context().output_dir``; see :attr:`Run.output_dir`.
    """
    return Run.get_context().output_dir


def enter_trial(run: Run) -> None:
    """This thread runs ``run``'s trial from now on (engine use): bind it, count it, let its threads inherit it."""
    install_thread_inheritance()
    _local.run = run
    with _ACTIVE_LOCK:
        _ACTIVE[id(run)] = run


def leave_trial(run: Run) -> None:
    """This thread's trial returned (engine use); idempotent."""
    with _ACTIVE_LOCK:
        _ACTIVE.pop(id(run), None)
    if getattr(_local, "run", None) is run:
        _local.run = None


def _inherited_run() -> Run | None:
    """The run bound in this thread (its trial, or a pool task's submitter's), else that of its starter."""
    run = getattr(_local, "run", None)
    return run if run is not None else getattr(threading.current_thread(), _THREAD_RUN, None)


def _sole_active_run() -> Run | None:
    """The run of the one trial running in this process; ``None`` when none or several run (warned once)."""
    global _warned_unattributed
    with _ACTIVE_LOCK:
        if not _ACTIVE:
            return None
        runs = list(_ACTIVE.values())
    if len(runs) == 1:
        return runs[0]
    if not _warned_unattributed:
        _warned_unattributed = True
        warnings.warn(
            f"log() in thread {threading.current_thread().name!r}, which no trial started, while {len(runs)} "
            "trials run in this process: the value cannot be attributed and is only printed; start the thread "
            "from the trial's code.",
            HyperwidgetWarning,
            stacklevel=4,
        )
    return None


def install_thread_inheritance() -> None:
    """Let threads and thread-pool tasks log to the trial that started or submitted them; idempotent.

    Wraps ``threading.Thread.start`` (the new thread remembers the run of the
    starting thread, as OpenTelemetry's threading instrumentation does) and
    ``concurrent.futures.ThreadPoolExecutor.submit`` (the task runs bound to the
    submitting thread's run: a pool's worker threads outlive the trial that
    started them and may serve the next). Both wrappers do nothing when the
    calling thread belongs to no trial. Called when the first trial runs in a process.
    """
    with _ACTIVE_LOCK:
        start, submit = threading.Thread.start, concurrent.futures.ThreadPoolExecutor.submit
        if not getattr(start, "_hyperwidget", False):
            threading.Thread.start = _inheriting_start(start)  # type: ignore[method-assign]
        if not getattr(submit, "_hyperwidget", False):
            concurrent.futures.ThreadPoolExecutor.submit = _binding_submit(submit)  # type: ignore[method-assign]


def _inheriting_start(start: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(start)
    def inheriting_start(self: threading.Thread, *args: Any, **kwargs: Any) -> None:
        run = _inherited_run()
        if run is not None and getattr(self, _THREAD_RUN, None) is None:
            setattr(self, _THREAD_RUN, run)
        start(self, *args, **kwargs)

    inheriting_start._hyperwidget = True  # type: ignore[attr-defined]
    return inheriting_start


def _binding_submit(submit: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(submit)
    def binding_submit(self: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        run = _inherited_run()
        if run is not None:
            fn = functools.partial(_call_bound, run, fn)
        return submit(self, fn, *args, **kwargs)

    binding_submit._hyperwidget = True  # type: ignore[attr-defined]
    return binding_submit


def _call_bound(run: Run, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` with ``run`` bound in this thread (a pool task submitted by ``run``'s trial)."""
    previous = getattr(_local, "run", None)
    _local.run = run
    try:
        return fn(*args, **kwargs)
    finally:
        _local.run = previous


def _process_run_from_env() -> Run | None:
    """In a child-run script launched by a sweep, connect to its pipes."""
    if ENV_REPORT_FD not in os.environ:
        return None
    reporter = _PipeReporter(int(os.environ[ENV_REPORT_FD]), int(os.environ[ENV_ACK_FD]))
    params = json.loads(os.environ.get(ENV_PARAMS, "{}"))
    output_dir = os.environ.get(ENV_OUTPUT_DIR)
    resumed = None
    if output_dir:
        try:  # written by the worker when the trial resumes (see RESUME_FILE)
            with open(os.path.join(os.path.dirname(output_dir), RESUME_FILE)) as file:
                resumed = {str(k): int(v) for k, v in json.load(file).items()}
        except (OSError, ValueError, AttributeError):
            resumed = None
    run = Run(reporter, os.environ.get(ENV_TRIAL_ID), params, output_dir=output_dir, resumed=resumed)
    previous_hook = sys.excepthook

    def quiet_stop(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        if isinstance(exc, TrialStopped):  # a stop is not a crash: one line, no traceback
            print(f"hyperwidget: {exc.reason}", file=sys.stderr)
            return
        previous_hook(kind, exc, tb)

    sys.excepthook = quiet_stop
    return run


_process_run: Run | None = _process_run_from_env()
