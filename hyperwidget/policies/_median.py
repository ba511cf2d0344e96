"""HyperDrive's median stopping policy: stop runs worse than the median running average."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from hyperwidget.policies._base import EarlyTerminationPolicy, _fmt, _reached, _window_best, _worse
from hyperwidget.policies._interval import EvaluationTiming
from hyperwidget.trial import Goal, TrialRecord


def _running_average(values: Sequence[float], interval: int) -> float:
    """Mean of the finite values among the first ``interval`` ones (``nan`` when none)."""
    finite = [v for v in values[:interval] if math.isfinite(v)]
    return math.fsum(finite) / len(finite) if finite else math.nan


class MedianStoppingPolicy(EvaluationTiming, EarlyTerminationPolicy):
    """Stop a run whose best value so far is worse than the median of the others' running averages.

    Azure: "a run will be canceled at interval N if its best primary metric
    reported up to interval N is worse than the median of the running averages
    for intervals 1:N across all runs".

    Parameters
    ----------
    evaluation_interval, delay_evaluation : int
        When the policy is applied; see :class:`~hyperwidget.policies._interval.EvaluationTiming`.

    Notes
    -----
    Points Azure leaves open, decided here:

    * **"All runs"** are the *other* trials of the sweep that have logged at
      least ``N`` values -- running, completed or stopped. The evaluated run is
      left out (with it in, a run would partly be compared with itself), and
      runs that never reached ``N`` are left out (their average covers fewer
      intervals; a run stopped early would drag the median down).
    * **Running average** of a run at ``N``: the mean of its values at intervals
      ``1..N`` (later values are ignored, so runs are compared at the same stage).
    * With no other run at ``N`` there is no median and the run continues; with
      one, that run's running average is the median (Azure sets no minimum).
    * **"Worse"** is strict: ``best < median`` (maximize), ``best > median``
      (minimize); a tie survives. NaN/inf values are skipped; a run with no
      finite value up to ``N`` is stopped.

    Azure calls ``evaluation_interval=1, delay_evaluation=5`` conservative
    ("approximately 25%-35% savings with no loss on primary metric").
    """

    name = "median"

    def __init__(self, evaluation_interval: int = 1, delay_evaluation: int = 0) -> None:
        self._set_timing(evaluation_interval, delay_evaluation)

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
            return f"stopped by median policy at interval {interval}: no finite value of {metric!r}"
        others = [t for t in _reached(trials, metric, interval) if t.id != trial.id]
        averages = [_running_average(t.series(metric), interval) for t in others]
        averages = [a for a in averages if not math.isnan(a)]
        if not averages:
            return None
        median = statistics.median(averages)
        if not _worse(goal, own, median):
            return None
        sign = "<" if goal is Goal.MAXIMIZE else ">"
        return (
            f"stopped by median policy at interval {interval}: best {_fmt(own)} {sign} median "
            f"{_fmt(median)} of {len(averages)} running averages"
        )
