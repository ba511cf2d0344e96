"""In-trial logging: ``Run.get_context().log(name, value)`` and ``log(name, value)``.

Inside a sweep, every call reports the value to the sweep as it happens (a
repeated name makes a series: a learning curve) and raises
:class:`~hyperwidget.errors.TrialStopped` when the sweep asks the trial to stop.
Outside a sweep (a script run by hand), the same calls print the value, so a
training script works unchanged both ways.
"""

from __future__ import annotations

import json
import numbers
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from hyperwidget.errors import TrialStopped, TrialTimeout

_local = threading.local()

#: Environment variables a sweep sets for a child-run script (see ``objective.Script``).
ENV_TRIAL_ID = "HYPERWIDGET_TRIAL_ID"
ENV_REPORT_FD = "HYPERWIDGET_REPORT_FD"
ENV_ACK_FD = "HYPERWIDGET_ACK_FD"
ENV_PARAMS = "HYPERWIDGET_PARAMS"
ENV_INPUT_PREFIX = "HYPERWIDGET_INPUT_"


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
        self, reporter: Reporter, trial_id: str | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        self._reporter = reporter
        self.id = trial_id or "offline"
        self.params: dict[str, Any] = dict(params or {})
        self._stop_reason: str | None = None
        self.timed_out = False

    @classmethod
    def get_context(cls) -> Run:
        """The run of the trial executing this code, or an offline run that prints."""
        current = getattr(_local, "run", None)
        if current is not None:
            return current
        if _process_run is not None:
            return _process_run
        return cls(_ConsoleReporter())

    @property
    def is_offline(self) -> bool:
        """True outside a sweep."""
        return isinstance(self._reporter, _ConsoleReporter)

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
        self.check_stop()
        reason = self._reporter.report(str(name), _as_float(name, value), _as_step(name, step))
        if reason:
            self._stop_reason = reason
        self.check_stop()

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


def set_thread_run(run: Run | None) -> None:
    """Bind ``run`` as the current trial's run in this thread (engine use)."""
    _local.run = run


def _process_run_from_env() -> Run | None:
    """In a child-run script launched by a sweep, connect to its pipes."""
    if ENV_REPORT_FD not in os.environ:
        return None
    reporter = _PipeReporter(int(os.environ[ENV_REPORT_FD]), int(os.environ[ENV_ACK_FD]))
    params = json.loads(os.environ.get(ENV_PARAMS, "{}"))
    run = Run(reporter, os.environ.get(ENV_TRIAL_ID), params)
    previous_hook = sys.excepthook

    def quiet_stop(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        if isinstance(exc, TrialStopped):  # a stop is not a crash: one line, no traceback
            print(f"hyperwidget: {exc.reason}", file=sys.stderr)
            return
        previous_hook(kind, exc, tb)

    sys.excepthook = quiet_stop
    return run


_process_run: Run | None = _process_run_from_env()
