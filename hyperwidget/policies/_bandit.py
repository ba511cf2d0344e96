"""HyperDrive's bandit policy: stop runs that trail the best run by more than a slack."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from hyperwidget.errors import SweepConfigError
from hyperwidget.policies._base import EarlyTerminationPolicy, _fmt, _reached, _window_best, _worse
from hyperwidget.policies._interval import EvaluationTiming
from hyperwidget.trial import Goal, TrialRecord


class BanditPolicy(EvaluationTiming, EarlyTerminationPolicy):
    """Stop a run whose best metric trails the best run's by more than a slack.

    Parameters
    ----------
    slack_factor : float, optional
        Allowed slack as a ratio. Maximize: stop when the run's best ``Y`` is
        ``< best / (1 + slack_factor)`` (Azure: "0.8 / (1 + 0.2) = 0.6667").
        Minimize: stop when ``Y > best * (1 + slack_factor)``.
    slack_amount : float, optional
        Allowed slack as an absolute distance: stop when ``Y < best - slack_amount``
        (maximize) or ``Y > best + slack_amount`` (minimize).
    evaluation_interval, delay_evaluation : int
        When the policy is applied; see :class:`~hyperwidget.policies._interval.EvaluationTiming`.

    Notes
    -----
    Exactly one of ``slack_factor`` and ``slack_amount`` must be given (``None``
    means "not given", so ``slack_factor=0`` is valid: stop anything worse than
    the best). Points Azure leaves open, decided here:

    * **The run's value** at evaluation interval ``N`` is its best value over
      intervals ``1..N`` (Azure: "jobs whose best metric at interval 10").
    * **"Best run"** is the best of those window-bests over every trial of the
      sweep that has reached interval ``N`` -- running, completed or stopped,
      the evaluated run included (so the leading run is never stopped). Values a
      trial logged after interval ``N`` are ignored, as for truncation selection:
      an older run is compared at the same stage of training.
    * **Minimize** mirrors maximize: ``Y/(1+s) > best``, i.e. ``Y > best*(1+s)``.
    * **Negative metrics**: the ratio rule would put the threshold on the
      *better* side of a negative best and stop the best run itself. The slack is
      therefore taken on ``|best|``: the threshold is ``best - |best|*s/(1+s)``
      (maximize) and ``best + |best|*s`` (minimize), which equals Azure's
      ``best/(1+s)`` and ``best*(1+s)`` whenever ``best >= 0``.
    * A run whose values up to ``N`` are all NaN or infinite is stopped.
    * Comparisons are strict: a run exactly on the threshold survives.

    Examples
    --------
    >>> policy = BanditPolicy(slack_factor=0.1, delay_evaluation=5)
    >>> round(policy.threshold(0.8, Goal.MAXIMIZE), 4)
    0.7273

    Two trials at their second report, the first ahead (``on_report`` is what the engine calls):

    >>> from hyperwidget.trial import TrialStatus
    >>> policy = BanditPolicy(slack_factor=0.1)
    >>> ahead = TrialRecord("t0", 0, {"lr": 0.1}, TrialStatus.RUNNING, {"acc": (0.7, 0.8)})
    >>> behind = TrialRecord("t1", 1, {"lr": 0.9}, TrialStatus.RUNNING, {"acc": (0.5, 0.6)})
    >>> policy.on_report(behind, [ahead, behind], "acc", "maximize")
    'stopped by bandit policy at interval 2: 0.6 < 0.7273 (best 0.8, slack_factor=0.1)'
    >>> policy.on_report(ahead, [ahead, behind], "acc", "maximize") is None
    True
    """

    name = "bandit"

    def __init__(
        self,
        slack_factor: float | None = None,
        slack_amount: float | None = None,
        evaluation_interval: int = 1,
        delay_evaluation: int = 0,
    ) -> None:
        self._set_timing(evaluation_interval, delay_evaluation)
        if (slack_factor is None) == (slack_amount is None):
            given = "both" if slack_factor is not None else "neither"
            raise SweepConfigError(
                "BanditPolicy: give exactly one of slack_factor and slack_amount, got "
                f"{given} (slack_factor={slack_factor!r}, slack_amount={slack_amount!r}); e.g. "
                "BanditPolicy(slack_factor=0.1) or BanditPolicy(slack_amount=0.05)."
            )
        self.slack_factor = _check_slack("slack_factor", slack_factor)
        self.slack_amount = _check_slack("slack_amount", slack_amount)

    def threshold(self, best: float, goal: Goal) -> float:
        """The cut-off value: a run's best beyond it (on the worse side) is stopped."""
        if self.slack_amount is not None:
            return best - self.slack_amount if goal is Goal.MAXIMIZE else best + self.slack_amount
        factor = float(self.slack_factor or 0.0)
        if goal is Goal.MAXIMIZE:
            return best / (1 + factor) if best >= 0 else best - abs(best) * factor / (1 + factor)
        return best * (1 + factor) if best >= 0 else best + abs(best) * factor

    def on_report(self, trial: TrialRecord, trials: Sequence[TrialRecord], metric: str, goal: Goal | str) -> str | None:
        """The stop reason when ``trial`` reached an evaluation interval and is stopped there, else ``None``."""
        interval = self.due_interval(trial, metric)
        return None if interval is None else self.should_stop(trial, trials, metric, Goal.parse(goal), interval)

    def should_stop(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], metric: str, goal: Goal, interval: int
    ) -> str | None:
        """The decision at evaluation interval ``interval`` (see the class notes): a stop reason or ``None``."""
        own = _window_best(trial.series(metric), interval, goal)
        if math.isnan(own):
            return f"stopped by bandit policy at interval {interval}: no finite value of {metric!r}"
        peers = [_window_best(t.series(metric), interval, goal) for t in _reached(trials, metric, interval)]
        best = goal.best_of([own, *peers])
        cutoff = self.threshold(best, goal)
        if not _worse(goal, own, cutoff):
            return None
        sign = "<" if goal is Goal.MAXIMIZE else ">"
        return (
            f"stopped by bandit policy at interval {interval}: {_fmt(own)} {sign} {_fmt(cutoff)} "
            f"(best {_fmt(best)}, {self._slack_text()})"
        )

    def _slack_text(self) -> str:
        if self.slack_amount is not None:
            return f"slack_amount={self.slack_amount:g}"
        return f"slack_factor={self.slack_factor:g}"


def _check_slack(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise SweepConfigError(f"BanditPolicy: {name} must be a number >= 0, got {name}={value!r}; e.g. {name}=0.1.")
    if not math.isfinite(value):
        raise SweepConfigError(f"BanditPolicy: {name} must be finite, got {name}={value!r}.")
    return float(value)
