"""The early-termination interface: a pure decision over recorded metric series."""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from typing import Any

from hyperwidget.trial import Goal, TrialRecord, TrialStatus


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

    A policy implements one method, :meth:`on_report`. HyperDrive's
    ``evaluation_interval``/``delay_evaluation`` timing is a helper
    (:class:`~hyperwidget.policies._interval.EvaluationTiming`) that the bandit,
    median and truncation policies use; ASHA and Hyperband decide at their rungs.

    Notes
    -----
    A decision must be a pure function of the records passed in (no state kept
    between calls), so it is the same in every backend, after a resume, and in
    :func:`~hyperwidget.policies.replay`. Subclasses keep their constructor
    keywords as public attributes: :meth:`params`, :meth:`to_json` and
    ``policy_from_json`` rely on it.

    Examples
    --------
    >>> class StopBelow(EarlyTerminationPolicy):
    ...     def on_report(self, trial, trials, metric, goal):
    ...         return "below 0.5" if trial.last(metric) < 0.5 else None
    """

    name: str = "custom"
    #: Whether the policy acts on intermediate values (the engine warns when a trial logged none).
    uses_intermediate_values: bool = True

    @property
    def pauses(self) -> bool:
        """Whether the policy pauses trials and promotes them later (ASHA's promotion variant); ``False`` here."""
        return False

    @abc.abstractmethod
    def on_report(self, trial: TrialRecord, trials: Sequence[TrialRecord], metric: str, goal: Goal | str) -> str | None:
        """Called after ``trial`` logged a value of ``metric``; returns a stop reason or ``None``.

        ``trials`` holds every trial of the sweep (``trial`` among them); ``goal``
        is a :class:`~hyperwidget.trial.Goal` or a string such as ``"maximize"``
        (``Goal.parse(goal)`` gives the enum).
        """

    def pause_reason(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], metric: str, goal: Goal | str
    ) -> str | None:
        """Called after :meth:`on_report` kept ``trial`` going: a reason to pause it, or ``None`` (never, here).

        A paused trial ends its current run (its function raises ``TrialStopped``
        with this reason) and waits, ``Paused``, until :meth:`promotable` names it.
        """
        return None

    def promotable(self, trials: Sequence[TrialRecord], metric: str, goal: Goal | str) -> list[TrialRecord]:
        """The ``Paused`` trials that may go on now, the first to resume first (none, here)."""
        return []

    def check_trial_end(self, trial: TrialRecord, metric: str) -> str | None:
        """A warning text when ``trial`` ended having logged ``metric`` at most once, else ``None``.

        A policy decides on the intermediate values of the primary metric; a
        trial that only returns its final value gives it nothing to act on.
        The engine calls this when a trial completes and warns once per sweep.
        """
        if not self.uses_intermediate_values:
            return None
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
    uses_intermediate_values = False

    def on_report(self, trial: TrialRecord, trials: Sequence[TrialRecord], metric: str, goal: Goal | str) -> str | None:
        """Never stops a trial."""
        return None
