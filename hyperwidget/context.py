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
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import numbers
import os
import sys
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
    run = Run(reporter, os.environ.get(ENV_TRIAL_ID), params, output_dir=os.environ.get(ENV_OUTPUT_DIR))
    previous_hook = sys.excepthook

    def quiet_stop(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        if isinstance(exc, TrialStopped):  # a stop is not a crash: one line, no traceback
            print(f"hyperwidget: {exc.reason}", file=sys.stderr)
            return
        previous_hook(kind, exc, tb)

    sys.excepthook = quiet_stop
    return run


_process_run: Run | None = _process_run_from_env()
