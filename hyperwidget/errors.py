"""Exception and warning classes (a leaf module: imports nothing from hyperwidget)."""

from __future__ import annotations


class HyperwidgetError(Exception):
    """Base class of every error raised by hyperwidget."""


class SearchSpaceError(HyperwidgetError, ValueError):
    """A search-space expression or a whole space is declared wrongly."""


class SweepConfigError(HyperwidgetError, ValueError):
    """A sweep, sampler, policy or executor setting is wrong."""


class TrialStopped(HyperwidgetError):
    """Raised inside a trial by ``log`` when the sweep asks the trial to stop.

    It is control flow, not a failure: the trial ends cleanly and keeps every
    value it logged. Catching it in user code only delays the stop: the next
    ``log`` call raises it again.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TrialInterrupted(TrialStopped):
    """Raised asynchronously in a trial's thread when the sweep ends it without waiting for its next ``log``.

    The threads backend's way to end a trial that is canceled or past its
    timeout. It takes no argument, because CPython builds it in the trial's
    thread from the class alone; the reason is the trial's pending stop, which
    the sweep already recorded (see ``hyperwidget.executor._interrupt``).
    """

    def __init__(self, reason: str = "canceled: the sweep ended the trial") -> None:
        super().__init__(reason)


class TrialTimeout(HyperwidgetError):
    """Raised inside a trial that ran past its ``trial_timeout``."""


class SweepTerminated(KeyboardInterrupt):  # noqa: N818 (an interruption, like its base)
    """Raised in the thread running a sweep when its process receives ``SIGTERM``.

    A ``KeyboardInterrupt``, so the sweep cancels as on Ctrl-C: it keeps every
    finished trial, marks the others and itself ``Canceled`` and ends its
    workers; then the process dies of the ``SIGTERM`` (see ``hyperwidget.sweep.run_prepared``).
    """


class SweepFailedError(HyperwidgetError):
    """A sweep ended ``Failed`` because its trials did: its first ones all failed alike, or none completed.

    Attributes
    ----------
    sweep_name : str
        The sweep's name.
    first : TrialRecord or None
        The first trial that failed; its ``error`` holds the traceback or the message.
    failures : int
        How many trials failed (``Failed`` or ``Crashed``) before the sweep ended.
    """

    def __init__(self, message: str, *, sweep_name: str, first: object = None, failures: int = 0) -> None:
        super().__init__(message)
        self.sweep_name = sweep_name
        self.first = first
        self.failures = failures


class HyperwidgetWarning(UserWarning):
    """Warning class of hyperwidget (filter it with ``warnings.filterwarnings``)."""


class SweepBusyError(HyperwidgetError, RuntimeError):
    """Another live process runs the sweep (holds its lease): open it read-only with ``load_sweep``.

    Attributes
    ----------
    sweep_name : str
        The sweep's name.
    owner : Owner
        The process holding the lease (``host``, ``pid``, ``since``, ``heartbeat``).
    """

    def __init__(self, message: str, *, sweep_name: str, owner: object) -> None:
        super().__init__(message)
        self.sweep_name = sweep_name
        self.owner = owner


class SweepFileError(HyperwidgetError, ValueError):
    """A sweep file holds a value that is not what hyperwidget writes (damaged, or crafted).

    The message names the file, the sweep, the trial (when there is one) and the field.
    """
