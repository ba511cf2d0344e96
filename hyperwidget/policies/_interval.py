"""HyperDrive's evaluation timing (``evaluation_interval``, ``delay_evaluation``), for the policies that use it.

The bandit, median-stopping and truncation-selection policies decide only at
some of the values a trial logs; ASHA and Hyperband decide at their rungs and
do not use this helper.
"""

from __future__ import annotations

from typing import Any

from hyperwidget.errors import SweepConfigError
from hyperwidget.trial import TrialRecord


def check_int(owner: str, name: str, value: Any, minimum: int) -> int:
    """``value`` when it is an int >= ``minimum``; otherwise a :class:`SweepConfigError` naming ``owner.name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SweepConfigError(f"{owner}: {name} must be an int >= {minimum}, got {name}={value!r}.")
    return value


class EvaluationTiming:
    """Which logged values of the primary metric a HyperDrive policy evaluates.

    A mixin for policies: it validates and keeps the two settings as public
    attributes (so ``params()`` and ``to_json()`` include them) and answers
    :meth:`due_interval` for the policy's ``on_report``.

    Notes
    -----
    Interval ``n`` (the n-th logged value, counted from 1) is evaluated iff
    ``n % evaluation_interval == 0 and n >= delay_evaluation``; so (1, 5) gives
    5, 6, 7, ...; (2, 5) gives 6, 8, 10, ...; (100, 200) gives 200, 300, ...
    ``evaluation_interval=0`` (the default of some Azure v2 pages) is read as 1.
    """

    evaluation_interval: int
    delay_evaluation: int

    def _set_timing(self, evaluation_interval: int, delay_evaluation: int) -> None:
        """Validate and store ``evaluation_interval`` and ``delay_evaluation``."""
        owner = type(self).__name__
        self.evaluation_interval = max(1, check_int(owner, "evaluation_interval", evaluation_interval, 0))
        self.delay_evaluation = check_int(owner, "delay_evaluation", delay_evaluation, 0)

    def is_due(self, interval: int) -> bool:
        """Whether interval ``interval`` (1-based) is an evaluation point."""
        return interval % self.evaluation_interval == 0 and interval >= self.delay_evaluation

    def due_interval(self, trial: TrialRecord, metric: str) -> int | None:
        """The interval ``trial`` just reached when it is an evaluation point, else ``None``."""
        interval = len(trial.series(metric))
        return interval if interval and self.is_due(interval) else None
