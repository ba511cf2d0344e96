"""The early-termination interface: a pure decision over recorded metric series."""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from typing import Any

from hyperwidget.errors import SweepConfigError
from hyperwidget.trial import Goal, TrialRecord, TrialStatus


def _check_int(owner: str, name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SweepConfigError(f"{owner}: {name} must be an int >= {minimum}, got {name}={value!r}.")
    return value


def _fmt(value: float) -> str:
    """A metric value as shown in stop reasons (4 significant digits)."""
    return f"{value:.4g}"


def _window_best(values: Sequence[float], interval: int, goal: Goal) -> float:
    """The best finite value among the first ``interval`` values (``nan`` when none)."""
    return goal.best_of(tuple(values[:interval]))


def _worse(goal: Goal, value: float, cutoff: float) -> bool:
    """Whether ``value`` is strictly worse than ``cutoff``, ignoring float rounding noise.

    ``0.8 - 0.2`` is ``0.6000000000000001``: without the tolerance a run at
    exactly 0.6 would be "below" the documented cut-off 0.6.
    """
    if math.isclose(value, cutoff, rel_tol=1e-12, abs_tol=1e-15):
        return False
    return goal.better(cutoff, value)


def _reached(trials: Sequence[TrialRecord], metric: str, interval: int) -> list[TrialRecord]:
    """The trials (any status) that logged at least ``interval`` values of ``metric``."""
    return [t for t in trials if len(t.series(metric)) >= interval]


class EarlyTerminationPolicy(abc.ABC):
    """Decides, each time a trial logs its primary metric, whether to stop it.

    Parameters
    ----------
    evaluation_interval : int
        Apply the policy at every ``evaluation_interval``-th value of the primary
        metric ("each time the training script logs the primary metric counts as
        one interval").
    delay_evaluation : int
        Do not apply it before interval ``delay_evaluation``.

    Notes
    -----
    Interval ``n`` (the n-th logged value, counted from 1) is evaluated iff
    ``n % evaluation_interval == 0 and n >= delay_evaluation``; so (1, 5) gives
    5, 6, 7, ...; (2, 5) gives 6, 8, 10, ...; (100, 200) gives 200, 300, ...
    ``evaluation_interval=0`` (the default of some Azure v2 pages) is read as 1.

    A decision must be a pure function of the records passed in (no state kept
    between calls), so it is the same in every backend, after a resume, and in
    :func:`~hyperwidget.policies.replay`. Subclasses keep their constructor
    keywords as public attributes: :meth:`params`, :meth:`to_json` and
    ``policy_from_json`` rely on it.
    """

    name: str = "base"

    def __init__(self, evaluation_interval: int = 1, delay_evaluation: int = 0) -> None:
        owner = type(self).__name__
        evaluation_interval = _check_int(owner, "evaluation_interval", evaluation_interval, 0)
        self.evaluation_interval = max(1, evaluation_interval)
        self.delay_evaluation = _check_int(owner, "delay_evaluation", delay_evaluation, 0)

    def is_due(self, interval: int) -> bool:
        """Whether interval ``interval`` (1-based) is an evaluation point."""
        return interval % self.evaluation_interval == 0 and interval >= self.delay_evaluation

    def on_report(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], metric: str, goal: Goal | str
    ) -> str | None:
        """Called after ``trial`` logged a value of ``metric``; returns a stop reason or ``None``.

        ``trials`` holds every trial of the sweep (``trial`` among them); ``goal``
        is a :class:`~hyperwidget.trial.Goal` or a string such as ``"maximize"``.
        The default applies :meth:`should_stop` at the intervals :meth:`is_due` selects.
        """
        interval = len(trial.series(metric))
        if interval == 0 or not self.is_due(interval):
            return None
        return self.should_stop(trial, trials, metric, Goal.parse(goal), interval)

    @abc.abstractmethod
    def should_stop(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], metric: str, goal: Goal, interval: int
    ) -> str | None:
        """A stop reason (``"stopped by bandit policy at interval 12: 0.61 < 0.73"``) or ``None``."""

    def check_trial_end(self, trial: TrialRecord, metric: str) -> str | None:
        """A warning text when ``trial`` ended having logged ``metric`` at most once, else ``None``.

        A policy decides on the intermediate values of the primary metric; a
        trial that only returns its final value gives it nothing to act on.
        The engine calls this when a trial completes and warns once per sweep.
        """
        if trial.status is not TrialStatus.COMPLETED or len(trial.series(metric)) > 1:
            return None
        return (
            f"{type(self).__name__} is set but trial {trial.id} completed with "
            f"{len(trial.series(metric))} value(s) of the primary metric {metric!r}, so the "
            f"policy had no intermediate values to act on; call log({metric!r}, value) once per "
            "epoch/step inside the objective, or drop the policy (policy=None)."
        )

    def params(self) -> dict[str, Any]:
        """The constructor keywords that rebuild this policy (its public attributes)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def to_json(self) -> dict[str, Any]:
        """Plain data describing this policy (stored with the sweep).

        ``hyperwidget.policies.policy_from_json`` rebuilds the policy from it.
        """
        return {"name": self.name, **self.params()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"


class NoTerminationPolicy(EarlyTerminationPolicy):
    """Lets every trial run to completion (HyperDrive's default when ``policy=None``)."""

    name = "none"

    def __init__(self) -> None:
        super().__init__(1, 0)

    def on_report(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], metric: str, goal: Goal | str
    ) -> str | None:
        return None

    def check_trial_end(self, trial: TrialRecord, metric: str) -> str | None:
        """Never warns: no intermediate values are needed when nothing is stopped."""
        return None

    def params(self) -> dict[str, Any]:
        return {}

    def should_stop(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], metric: str, goal: Goal, interval: int
    ) -> str | None:
        return None
