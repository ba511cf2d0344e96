"""Trial records, trial states and metric goals: the plain data every layer shares."""

from __future__ import annotations

import dataclasses
import enum
import math
import time
from collections.abc import Mapping
from typing import Any

from hyperwidget.errors import SweepConfigError


class Goal(str, enum.Enum):
    """Whether larger (``MAXIMIZE``) or smaller (``MINIMIZE``) metric values are better."""

    MAXIMIZE = "maximize"
    MINIMIZE = "minimize"

    @classmethod
    def parse(cls, value: Any, setting: str = "goal") -> Goal:
        """Accept a Goal, ``PrimaryMetricGoal``, or a string such as ``"Maximize"`` / ``"min"``."""
        if isinstance(value, Goal):
            return value
        text = str(getattr(value, "value", value)).strip().lower()
        if text in ("max", "maximize", "maximise"):
            return cls.MAXIMIZE
        if text in ("min", "minimize", "minimise"):
            return cls.MINIMIZE
        raise SweepConfigError(
            f"{setting}: unknown goal {value!r}; use 'maximize' or 'minimize' "
            "(or PrimaryMetricGoal.MAXIMIZE / PrimaryMetricGoal.MINIMIZE)."
        )

    def better(self, a: float, b: float) -> bool:
        """True when ``a`` is strictly better than ``b``."""
        return a > b if self is _MAXIMIZE else a < b

    def best_of(self, values: list[float] | tuple[float, ...]) -> float:
        """The best of finite ``values`` (``nan`` when there is none)."""
        finite = [v for v in values if math.isfinite(v)]
        if not finite:
            return math.nan
        return max(finite) if self is _MAXIMIZE else min(finite)

    def sign(self) -> float:
        """+1 for minimize, -1 for maximize: ``sign * value`` is a loss."""
        return -1.0 if self is _MAXIMIZE else 1.0


class TrialStatus(str, enum.Enum):
    """Lifecycle of a child run. Values are the names shown to users."""

    QUEUED = "Queued"
    RUNNING = "Running"
    COMPLETED = "Completed"
    STOPPED_EARLY = "StoppedEarly"
    FAILED = "Failed"
    TIMED_OUT = "TimedOut"
    CRASHED = "Crashed"
    CANCELED = "Canceled"

    @property
    def is_finished(self) -> bool:
        """True for every terminal state."""
        return self not in _OPEN

    @property
    def is_failure(self) -> bool:
        """True for the states that carry an error text."""
        return self in _FAILURES


# Members read once: looking one up on its enum class costs about 0.2 µs, and these checks run per trial and per value.
_MAXIMIZE = Goal.MAXIMIZE
_OPEN = (TrialStatus.QUEUED, TrialStatus.RUNNING)
_FAILURES = (TrialStatus.FAILED, TrialStatus.TIMED_OUT, TrialStatus.CRASHED)


@dataclasses.dataclass(frozen=True)
class TrialRecord:
    """An immutable snapshot of one child run.

    ``metrics`` maps each logged name to its series, in logging order; the
    n-th value of the primary metric is evaluation interval n of the
    termination policies. ``steps`` holds, for each name logged at least once
    with ``log(name, value, step=...)``, the step of every value of its series
    (``None`` for a value logged without one); see :meth:`steps_of`.
    """

    id: str
    index: int
    params: Mapping[str, Any]
    status: TrialStatus = TrialStatus.QUEUED
    metrics: Mapping[str, tuple[float, ...]] = dataclasses.field(default_factory=dict)
    created_at: float = dataclasses.field(default_factory=time.time)
    started_at: float | None = None
    ended_at: float | None = None
    error: str | None = None
    worker: str | None = None
    steps: Mapping[str, tuple[int | None, ...]] = dataclasses.field(default_factory=dict)

    def series(self, name: str) -> tuple[float, ...]:
        """All values logged under ``name`` (empty when never logged)."""
        return self.metrics.get(name, ())

    def last(self, name: str) -> float:
        """The latest value logged under ``name`` (``nan`` when never logged)."""
        values = self.metrics.get(name, ())
        return values[-1] if values else math.nan

    def best(self, name: str, goal: Goal) -> float:
        """The best finite value logged under ``name`` (``nan`` when none)."""
        return goal.best_of(self.metrics.get(name, ()))

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (or to now while running)."""
        if self.started_at is None:
            return None
        end = self.ended_at if self.ended_at is not None else time.time()
        return max(0.0, end - self.started_at)

    def replace(self, **changes: Any) -> TrialRecord:
        """A copy with ``changes`` applied.

        Faster than ``dataclasses.replace`` (which re-runs ``__init__``): records
        are copied several times per trial, on the engine's hot path.
        """
        unknown = changes.keys() - _FIELDS
        if unknown:
            raise TypeError(f"TrialRecord has no field(s) {sorted(unknown)}")
        copy = object.__new__(TrialRecord)
        copy.__dict__.update(self.__dict__)
        copy.__dict__.update(changes)
        return copy

    def steps_of(self, name: str) -> tuple[int | None, ...]:
        """The step of each value of ``series(name)``: ``None`` for those logged without one."""
        steps = self.steps.get(name)
        return steps if steps is not None else (None,) * len(self.series(name))

    def with_value(self, name: str, value: float, step: int | None = None) -> TrialRecord:
        """A copy with ``value`` (logged at training step ``step``, if given) appended to the series ``name``."""
        metrics = dict(self.metrics)
        metrics[name] = (*metrics.get(name, ()), value)
        if step is None and name not in self.steps:
            return self.replace(metrics=metrics)
        steps = dict(self.steps)
        steps[name] = (*self.steps_of(name), step)
        return self.replace(metrics=metrics, steps=steps)


_FIELDS = frozenset(f.name for f in dataclasses.fields(TrialRecord))
