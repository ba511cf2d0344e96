"""Trial records, trial states and metric goals: the plain data every layer shares."""

from __future__ import annotations

import dataclasses
import enum
import itertools
import math
import operator
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, overload

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

    def best_of(self, values: Sequence[float]) -> float:
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
    #: Waiting at a rung of ASHA's promotion variant: not finished, resumed (same id) when promoted.
    PAUSED = "Paused"
    COMPLETED = "Completed"
    STOPPED_EARLY = "StoppedEarly"
    FAILED = "Failed"
    TIMED_OUT = "TimedOut"
    CRASHED = "Crashed"
    CANCELED = "Canceled"

    @property
    def is_finished(self) -> bool:
        """True for every terminal state (``Paused`` is not one: a paused trial may be resumed)."""
        return self not in _OPEN

    @property
    def is_failure(self) -> bool:
        """True for the states that carry an error text."""
        return self in _FAILURES


# Members read once: looking one up on its enum class costs about 0.2 µs, and these checks run per trial and per value.
_MAXIMIZE = Goal.MAXIMIZE
_OPEN = (TrialStatus.QUEUED, TrialStatus.RUNNING, TrialStatus.PAUSED)
_FAILURES = (TrialStatus.FAILED, TrialStatus.TIMED_OUT, TrialStatus.CRASHED)


_T = TypeVar("_T")


class Series(Sequence[_T], Generic[_T]):
    """An immutable series of logged values that grows in O(1): one list shared by successive snapshots.

    Each :class:`TrialRecord` is a snapshot, and a trial that logs ``n`` values
    makes ``n`` of them; copying the series into each (a tuple) made logging
    quadratic. A ``Series`` is a view of the first ``len(self)`` items of a list
    that only ever grows: :meth:`appended` on the longest view appends to that
    list in place and returns a view one item longer, leaving every earlier
    view unchanged (it never looks past its own length). Appending to a shorter
    view (an older snapshot) copies its items into a new list, so views never
    disagree. Appends are serialized by the caller (the engine's lock); readers
    in other threads need no lock, as a view's items never change.

    It compares and hashes as the tuple of its items, slices to a tuple, and
    pickles as its items only (a copy, never the shared list).

    Examples
    --------
    >>> a = Series([1.0, 2.0])
    >>> b = a.appended(3.0)
    >>> a, b, b == (1.0, 2.0, 3.0), a.appended(9.0)
    (Series((1.0, 2.0)), Series((1.0, 2.0, 3.0)), True, Series((1.0, 2.0, 9.0)))
    """

    __slots__ = ("_items", "_n")

    def __init__(self, items: Iterable[_T] = ()) -> None:
        self._items: list[_T] = list(items)
        self._n = len(self._items)

    @classmethod
    def _view(cls, items: list[_T], n: int) -> Series[_T]:
        view = object.__new__(cls)
        view._items, view._n = items, n
        return view

    def appended(self, value: _T) -> Series[_T]:
        """This series with ``value`` at the end, in O(1) when this is the longest view of its list."""
        if len(self._items) == self._n:
            self._items.append(value)
            return Series._view(self._items, self._n + 1)
        return Series._view([*self._items[: self._n], value], self._n + 1)

    def extends(self, other: Sequence[Any]) -> bool:
        """True when ``other`` is a ``Series`` whose items are known, in O(1), to be this one's first items.

        That is, a view of the same list no longer than this one (a series read from
        a file, or rebuilt when a trial was rerun, never extends an older one).
        """
        return isinstance(other, Series) and other._items is self._items and other._n <= self._n

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> _T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[_T, ...]: ...
    def __getitem__(self, index: int | slice) -> _T | tuple[_T, ...]:
        if isinstance(index, slice):
            return tuple(self._items[: self._n][index])
        if index < 0:
            index += self._n
        if not 0 <= index < self._n:
            raise IndexError("Series index out of range")
        return self._items[index]

    def __iter__(self) -> Iterator[_T]:
        return itertools.islice(self._items, self._n)  # the list may grow meanwhile: islice stops at our length

    def __reversed__(self) -> Iterator[_T]:
        return reversed(self._items[: self._n])

    def _tuple(self) -> tuple[_T, ...]:
        return tuple(self._items[: self._n])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Series):
            return self._n == other._n and (self._items is other._items or self._tuple() == other._tuple())
        if isinstance(other, tuple):
            return self._tuple() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._tuple())

    def __reduce__(self) -> tuple[Any, ...]:
        return Series, (self._tuple(),)

    def __repr__(self) -> str:
        return f"Series({self._tuple()!r})"


def _grown(series: Sequence[_T] | None, value: _T) -> Series[_T]:
    """``series`` (a :class:`Series`, a tuple read from a file, or none) with ``value`` appended."""
    if isinstance(series, Series):
        return series.appended(value)
    return Series((*(series or ()), value))


@dataclasses.dataclass(frozen=True)
class TrialRecord:
    """An immutable snapshot of one child run.

    ``metrics`` maps each logged name to its series, in logging order; the
    n-th value of the primary metric is evaluation interval n of the
    termination policies. ``steps`` holds, for each name logged at least once
    with ``log(name, value, step=...)``, the step of every value of its series
    (``None`` for a value logged without one); see :meth:`steps_of`. Series are
    tuples or :class:`Series` (which compare equal to the tuple of their values).
    """

    id: str
    index: int
    params: Mapping[str, Any]
    status: TrialStatus = TrialStatus.QUEUED
    metrics: Mapping[str, Sequence[float]] = dataclasses.field(default_factory=dict)
    created_at: float = dataclasses.field(default_factory=time.time)
    started_at: float | None = None
    ended_at: float | None = None
    error: str | None = None
    worker: str | None = None
    steps: Mapping[str, Sequence[int | None]] = dataclasses.field(default_factory=dict)

    def series(self, name: str) -> Sequence[float]:
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

    def steps_of(self, name: str) -> Sequence[int | None]:
        """The step of each value of ``series(name)``: ``None`` for those logged without one."""
        steps = self.steps.get(name)
        return steps if steps is not None else (None,) * len(self.series(name))

    def with_value(self, name: str, value: float, step: int | None = None) -> TrialRecord:
        """A copy with ``value`` (logged at training step ``step``, if given) appended to the series ``name``.

        O(1) in the series' length (amortized, see :class:`Series`) when ``self`` is
        the trial's latest record; O(number of metric names) for the mappings.
        """
        metrics = dict(self.metrics)
        metrics[name] = _grown(metrics.get(name), value)
        if step is None and name not in self.steps:
            return self.replace(metrics=metrics)
        steps = dict(self.steps)
        steps[name] = _grown(self.steps.get(name) or (None,) * (len(metrics[name]) - 1), step)
        return self.replace(metrics=metrics, steps=steps)


_FIELDS = frozenset(f.name for f in dataclasses.fields(TrialRecord))


_OPERATORS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt}
_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][\w.\-/]*)\s*(<=|>=|<|>)\s*([-+0-9.eE]+|inf)\s*$")


@dataclasses.dataclass(frozen=True)
class Constraint:
    """A bound on a metric's final value, e.g. ``Constraint.parse("latency <= 5")``.

    A child whose final value breaks the bound, or that never logged the metric,
    is *infeasible*: it is never chosen as the best run nor put on a Pareto front.
    """

    metric: str
    op: str
    bound: float

    @classmethod
    def parse(cls, text: str | Constraint) -> Constraint:
        """Read ``"<metric> <op> <number>"`` with op one of ``<= < >= >``."""
        if isinstance(text, Constraint):
            return text
        match = _CONSTRAINT.match(str(text))
        if not match:
            raise SweepConfigError(
                f"constraints: cannot read {text!r}; write '<metric> <op> <number>' with op one of "
                "<=, <, >=, >, e.g. 'latency <= 5'."
            )
        return cls(match[1], match[2], float(match[3]))

    def satisfied_by(self, record: TrialRecord) -> bool:
        """Whether ``record``'s final value of the metric meets the bound."""
        value = record.last(self.metric)
        return math.isfinite(value) and _OPERATORS[self.op](value, self.bound)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.bound:g}"


@dataclasses.dataclass(frozen=True)
class Fidelity:
    """How a multi-fidelity policy (ASHA, Hyperband) measures training: the resource and its rungs.

    ``resource_attr`` is the logged metric whose k-th value is the resource at the
    primary metric's k-th value (``None``: the resource is the interval count);
    ``levels`` are the rung resources, increasing, all below ``max_resource``,
    the resource of a full training.
    """

    resource_attr: str | None
    levels: tuple[float, ...]
    max_resource: float


@dataclasses.dataclass(frozen=True)
class SearchTask:
    """What a sweep asks of its sampler: the objectives, in order, the constraints and the fidelity.

    ``objectives[0]`` is the primary metric (the one policies, the best run and
    single-objective samplers use); a multi-objective sweep has two or more.
    ``fidelity`` is set when the sweep's policy stops trials at rungs of a
    resource (ASHA, Hyperband): a sampler may then read partial curves at those
    rungs instead of taking a stopped trial's last value as final.
    """

    objectives: tuple[tuple[str, Goal], ...]
    constraints: tuple[Constraint, ...] = ()
    fidelity: Fidelity | None = None

    @property
    def metric(self) -> str:
        """The primary metric's name."""
        return self.objectives[0][0]

    @property
    def goal(self) -> Goal:
        """The primary metric's goal."""
        return self.objectives[0][1]

    @property
    def is_multi_objective(self) -> bool:
        """Whether the sweep has two or more objectives."""
        return len(self.objectives) > 1
