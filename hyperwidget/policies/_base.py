"""The early-termination interface: a pure decision over recorded metric series."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

from hyperwidget.errors import SweepConfigError
from hyperwidget.trial import Goal, TrialRecord


def _check_int(owner: str, name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SweepConfigError(f"{owner}: {name} must be an int >= {minimum}, got {name}={value!r}.")
    return value


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
        self, trial: TrialRecord, trials: Sequence[TrialRecord], metric: str, goal: Goal
    ) -> str | None:
        """Called after ``trial`` logged a value of ``metric``; returns a stop reason or ``None``.

        ``trials`` holds every trial of the sweep (``trial`` among them). The
        default applies :meth:`should_stop` at the intervals :meth:`is_due` selects.
        """
        interval = len(trial.series(metric))
        if interval == 0 or not self.is_due(interval):
            return None
        return self.should_stop(trial, trials, metric, goal, interval)

    @abc.abstractmethod
    def should_stop(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], metric: str, goal: Goal, interval: int
    ) -> str | None:
        """A stop reason (``"stopped by bandit policy at interval 12: 0.61 < 0.73"``) or ``None``."""

    def to_json(self) -> dict[str, Any]:
        """Plain data describing this policy (stored with the sweep)."""
        return {"name": self.name, **{k: v for k, v in vars(self).items() if not k.startswith("_")}}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class NoTerminationPolicy(EarlyTerminationPolicy):
    """Lets every trial run to completion (HyperDrive's default when ``policy=None``)."""

    name = "none"

    def __init__(self) -> None:
        super().__init__(1, 0)

    def on_report(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], metric: str, goal: Goal
    ) -> str | None:
        return None

    def should_stop(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], metric: str, goal: Goal, interval: int
    ) -> str | None:
        return None
