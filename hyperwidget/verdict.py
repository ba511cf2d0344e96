"""How a sweep ends when its trials fail: stop early when the first ones all fail alike; ``Failed`` when none worked.

The engine feeds the final state of every trial it runs to :class:`FirstFailures`;
when the first ``min(3, max_total_runs)`` trials to finish all failed the same way
(the same exception type, or the same kind of message such as "the primary metric
was never logged") the objective itself is broken, so the engine cancels the rest.
Once no trial is left, :func:`fail_fast_error` and :func:`nothing_worked_error`
word the :class:`~hyperwidget.errors.SweepFailedError` the sweep ends with.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from collections.abc import Sequence

from hyperwidget.errors import SweepFailedError
from hyperwidget.trial import TrialRecord, TrialStatus

#: The sweep stops when this many first finished trials (fewer when max_total_runs is smaller) all failed alike.
FAIL_FAST_AFTER = 3

_FAILURES = (TrialStatus.FAILED, TrialStatus.CRASHED)
#: Trials with a result: a sweep with at least one of them did not fail.
_WORKED = (TrialStatus.COMPLETED, TrialStatus.STOPPED_EARLY)
_EXCEPTION_LINE = re.compile(r"([A-Za-z_][\w.]*)(?::|$)")
_NUMBER = re.compile(r"-?\b(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|nan|inf)\b")


def failure_kind(record: TrialRecord) -> str:
    """What a failed trial died of: the exception type of its traceback, else its message without numbers.

    ``"ZeroDivisionError"`` for a traceback (also one in a script's output),
    ``"the primary metric 'acc' was never logged"``, ``"the primary metric 'acc'
    ended as #"``, ``"the worker process running this trial died"``.
    """
    text = (record.error or "").strip()
    raised = _raised_type(text)
    if raised is not None:
        return raised
    first = text.splitlines()[0] if text else f"{record.status.value} without an error text"
    first = re.split(r" \(|;", first)[0].rstrip(":. ")
    return _NUMBER.sub("#", first)


def _raised_type(text: str) -> str | None:
    """The exception type of the last traceback in ``text`` (``None`` when there is no traceback)."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)")]
    if not starts:
        return None
    for line in lines[starts[-1] + 1 :]:
        if line.strip() and not line[0].isspace():
            match = _EXCEPTION_LINE.match(line)
            return match.group(1) if match else None
    return None


class FirstFailures:
    """Watches the first trials to finish in one run of a sweep: did they all fail the same way?

    ``Failed`` and ``Crashed`` trials count. The first trial that ends otherwise
    (completed, stopped early, timed out) or fails in another way disarms it:
    the objective runs, some configurations fail. Canceled trials are ignored.
    Not thread-safe: the engine calls it under its lock.

    Parameters
    ----------
    limit : int
        How many alike failures trip it (``min(3, max_total_runs)``).
    """

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.failures: list[TrialRecord] = []
        self.armed = True
        self.tripped = False

    def add(self, record: TrialRecord) -> bool:
        """Count a trial's final state; True exactly once: when this trial trips it."""
        if not self.armed or record.status is TrialStatus.CANCELED or not record.status.is_finished:
            return False
        if record.status not in _FAILURES or (self.failures and failure_kind(record) != self.kind):
            self.armed = False
            return False
        self.failures.append(record)
        if len(self.failures) < self.limit:
            return False
        self.armed, self.tripped = False, True
        return True

    @property
    def kind(self) -> str:
        """The kind of failure counted so far."""
        return failure_kind(self.failures[0]) if self.failures else ""

    def summary(self) -> str:
        """``the first 3 trials all failed the same way (ZeroDivisionError)`` (for the cancel reason)."""
        count = len(self.failures)
        if count == 1:
            return f"its first trial failed ({self.kind})"
        return f"the first {count} trials all failed the same way ({self.kind})"


def sweep_verdict(
    name: str, records: Sequence[TrialRecord], watch: FirstFailures, *, fix: str, canceled: bool, out_of_budget: bool
) -> tuple[str, SweepFailedError | None]:
    """A sweep's final status, and its error when it is ``Failed``.

    ``Failed`` when its first trials all failed alike (``watch`` tripped) or when
    none completed; a sweep the user canceled is ``Canceled`` whatever its trials
    did, and one whose time budget ran out is ``Canceled`` only when some trial
    completed. ``canceled`` and ``out_of_budget`` say whether and why it was canceled.
    """
    if watch.tripped:
        return "Failed", fail_fast_error(name, watch, fix)
    if canceled and not out_of_budget:
        return "Canceled", None
    error = nothing_worked_error(name, records, fix)
    if error is not None:
        return "Failed", error
    return ("Canceled" if canceled else "Completed"), None


def how_to_fix(name: str, objective: str, storage: str | None) -> str:
    """The closing advice of a failed sweep's error: fix ``objective``, then run again or resume."""
    text = f"Fix the objective ({objective}), then run the sweep again"
    if storage is None or storage == ":memory:":
        return text + "."
    return (
        f"{text} under another name, or go on with this one: hyperwidget.resume_sweep({name!r}, objective, "
        f"storage={storage!r}) (its trials so far count towards max_total_runs; pass a larger "
        "max_total_runs to run more)."
    )


def fail_fast_error(name: str, watch: FirstFailures, fix: str) -> SweepFailedError:
    """The error of a sweep stopped because its first trials all failed alike."""
    first = watch.failures[0]
    message = (
        f"sweep {name!r} failed: {watch.summary()}, so it started no more trials and canceled any still "
        f"running. {_first_error(first)}\n{fix}"
    )
    return SweepFailedError(message, sweep_name=name, first=first, failures=len(watch.failures))


def nothing_worked_error(name: str, records: Sequence[TrialRecord], fix: str) -> SweepFailedError | None:
    """The error of a sweep that ended with no completed trial, or ``None`` when one worked (or none ran)."""
    if not records or any(r.status in _WORKED for r in records):
        return None
    # Trials still queued when the sweep stops are canceled as it closes.
    counts = Counter(r.status.value if r.status.is_finished else "Canceled" for r in records)
    tally = ", ".join(f"{n} {status}" for status, n in counts.most_common())
    first = min(records, key=lambda r: (not r.status.is_failure, r.ended_at or float("inf"), r.index))
    message = (
        f"sweep {name!r} failed: none of its {len(records)} trials completed ({tally}). {_first_error(first)}\n{fix}"
    )
    failures = sum(r.status in _FAILURES for r in records)
    return SweepFailedError(message, sweep_name=name, first=first, failures=failures)


def _first_error(record: TrialRecord) -> str:
    error = (record.error or "(no error text was recorded)").rstrip()
    return (
        f"Trial {record.id} ({record.status.value}, hyperparameters {dict(record.params)}) ended with:\n\n"
        f"{textwrap.indent(error, '    ')}\n"
    )
