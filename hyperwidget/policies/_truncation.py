"""HyperDrive's truncation selection: stop the lowest X% of runs at each evaluation."""

from __future__ import annotations

import math
from collections.abc import Sequence

from hyperwidget.errors import SweepConfigError
from hyperwidget.policies._base import EarlyTerminationPolicy, _fmt, _reached, _window_best
from hyperwidget.policies._interval import EvaluationTiming
from hyperwidget.trial import Goal, TrialRecord


class TruncationSelectionPolicy(EvaluationTiming, EarlyTerminationPolicy):
    """Stop a run that ranks in the lowest ``truncation_percentage`` % at an evaluation interval.

    Parameters
    ----------
    truncation_percentage : int
        The percentage of lowest-ranked runs to stop, an int from 1 to 99.
    evaluation_interval, delay_evaluation : int
        When the policy is applied; see :class:`~hyperwidget.policies._interval.EvaluationTiming`.
    exclude_finished_jobs : bool
        Leave finished runs (completed, stopped, failed...) out of the ranking
        (Azure's v2 documentation example; the SDK v1 always uses ``False``).

    Notes
    -----
    Azure: "when evaluating a run at interval N, its performance is only compared
    with the performance of other runs up to interval N even if they reported
    metrics for intervals greater than N". Decided here:

    * **Performance** of a run at ``N`` is its best value over intervals
      ``1..N`` ("performance up to interval N"; the same reading as the bandit
      and median policies). NaN/inf values are skipped; a run with no finite
      value up to ``N`` is stopped.
    * **The ranked runs** are every trial that has logged at least ``N`` values
      (any status, the evaluated run included), minus finished ones other than
      the evaluated run when ``exclude_finished_jobs=True``.
    * **Rounding** of "X % of k runs": ``floor(k * X / 100)`` runs are cut, so
      the policy never stops more than X % (with 20 %, nothing is cut until 5
      runs have reached ``N``). The run is cut when fewer than that many other
      runs are worse than or tied with it: ties rank in the run's favour.
    """

    name = "truncation"

    def __init__(
        self,
        truncation_percentage: int,
        evaluation_interval: int = 1,
        delay_evaluation: int = 0,
        exclude_finished_jobs: bool = False,
    ) -> None:
        self._set_timing(evaluation_interval, delay_evaluation)
        value = truncation_percentage
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 99:
            raise SweepConfigError(
                "TruncationSelectionPolicy: truncation_percentage must be an int from 1 to 99, "
                f"got truncation_percentage={value!r}; e.g. truncation_percentage=20."
            )
        if not isinstance(exclude_finished_jobs, bool):
            raise SweepConfigError(
                "TruncationSelectionPolicy: exclude_finished_jobs must be True or False, "
                f"got exclude_finished_jobs={exclude_finished_jobs!r}."
            )
        self.truncation_percentage = value
        self.exclude_finished_jobs = exclude_finished_jobs

    def n_cut(self, n_runs: int) -> int:
        """How many of ``n_runs`` ranked runs fall in the lowest ``truncation_percentage`` %."""
        return n_runs * self.truncation_percentage // 100

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
            return f"stopped by truncation policy at interval {interval}: no finite value of {metric!r}"
        ranked = [t for t in _reached(trials, metric, interval) if self._ranks(t, trial)]
        values = [_window_best(t.series(metric), interval, goal) for t in ranked]
        values = [v for v in values if not math.isnan(v)]
        if trial.id not in {t.id for t in ranked}:
            values.append(own)
        n_cut = self.n_cut(len(values))
        n_below = sum(not goal.better(v, own) for v in values) - 1  # others worse or tied
        if n_below >= n_cut:
            return None
        return (
            f"stopped by truncation policy at interval {interval}: {_fmt(own)} is in the lowest "
            f"{self.truncation_percentage}% (cut {n_cut} of {len(values)} runs; {n_below} at or below it)"
        )

    def _ranks(self, other: TrialRecord, trial: TrialRecord) -> bool:
        if other.id == trial.id:
            return True
        return not (self.exclude_finished_jobs and other.status.is_finished)
