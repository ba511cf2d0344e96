"""Asynchronous successive halving (ASHA) over a resource the trial reports: stopping and promotion variants."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from hyperwidget.errors import SweepConfigError
from hyperwidget.policies._base import EarlyTerminationPolicy, _fmt
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

#: The variants of ASHA and Hyperband (Syne Tune's ``HyperbandScheduler(type=...)``).
TYPES = ("stopping", "promotion")


def _check_number(owner: str, name: str, value: Any, minimum: float, integer: bool) -> Any:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not value >= minimum:
        kind = "an int" if integer else "a number"
        raise SweepConfigError(f"{owner}: {name} must be {kind} >= {minimum:g}, got {name}={value!r}.")
    if not math.isfinite(value):
        raise SweepConfigError(f"{owner}: {name} must be finite, got {name}={value!r}.")
    return value


def _grace_period_alias(owner: str, min_resource: Any, grace_period: Any) -> Any:
    """``min_resource``, or ``grace_period`` when that was given instead."""
    if grace_period is None:
        return min_resource
    if min_resource not in (1, grace_period):
        raise SweepConfigError(
            f"{owner}: grace_period is another name for min_resource; give one of them, got "
            f"min_resource={min_resource!r} and grace_period={grace_period!r}."
        )
    return grace_period


class ASHAPolicy(EarlyTerminationPolicy):
    """Asynchronous successive halving: at each rung, keep only the top ``1/reduction_factor``.

    Rung levels are ``min_resource * reduction_factor**k`` below ``max_resource``
    (1, 3, 9, 27 for 1, 3, 30). When a trial's resource first reaches a rung, its
    metric value there is compared with the values every trial recorded at that
    rung so far (itself included); it continues only if it ranks among the best
    ``max(1, floor(n / reduction_factor))`` of those ``n`` values. This is the
    stopping variant of ASHA (Li et al. 2020; d2l.ai "Asynchronous Successive
    Halving"; Syne Tune ``type="stopping"``) with Optuna's
    ``SuccessiveHalvingPruner`` ranking rule, so the first trials are never held
    back waiting for peers, as HyperDrive never pauses a run.

    With ``type="promotion"`` it is the promotion variant instead (Li et al.
    2020; Syne Tune ``type="promotion"``): a trial *pauses* at each rung it
    reaches (status ``Paused``), and each time a worker frees the sweep first
    resumes a paused trial that ranks among the best ``floor(n / reduction_factor)``
    of the ``n`` values recorded at its rung (higher rungs first, then the
    better value), before it samples a new configuration. A resumed trial keeps
    its id and series and is called again: it should load its state with
    ``Run.get_context().load_checkpoint()`` (saved with ``save_checkpoint``
    before each ``log`` of the metric), else it restarts from the beginning
    (see :meth:`hyperwidget.context.Run.load_checkpoint`).

    Parameters
    ----------
    max_resource : int
        The resource of a full training (e.g. 30 epochs); no rung at or above it.
    min_resource : int
        The first rung (the "grace period"): no trial is stopped before it.
    grace_period : int, optional
        Syne Tune's and Ray Tune's name for ``min_resource`` (keyword only);
        give one or the other.
    type : {"stopping", "promotion"}
        The variant (keyword only): ``"stopping"`` (the default) stops a trial
        that does not rank at a rung; ``"promotion"`` pauses every trial at each
        rung and resumes the ones that rank, as they come to rank.
    reduction_factor : float
        ``eta`` >= 2: rungs grow by this factor and ``1/eta`` of trials go on.
    resource_attr : str, optional
        By default the resource of a report is the interval count (the number
        of primary-metric values logged so far). Give the name of another logged
        metric (``"epoch"``) to use its k-th value as the resource at interval k;
        log it before the primary metric at each step.

    Notes
    -----
    The rung value is the metric at the first interval whose resource is at or
    beyond the rung (not the best so far), as in Syne Tune and Optuna. Ties rank
    in the trial's favour. A NaN/inf value at a rung stops the trial.
    HyperDrive's ``evaluation_interval`` and ``delay_evaluation`` do not apply:
    the rungs are the evaluation points.

    In the promotion variant nothing is stopped for its rank. The sweep's
    ``max_total_runs`` counts configurations (a promotion is no new run); a
    resumed trial takes one of the ``max_concurrent_runs`` slots like any trial,
    and ``trial_timeout`` applies to each of its runs. The sweep ends when no
    trial may start and none can be promoted (it waits for the running ones,
    which may pause and make one promotable); a trial still paused then was
    never promoted and ends ``StoppedEarly`` with an error starting ``"not
    promoted before the sweep ended; "``. A canceled sweep (stop button,
    Ctrl-C, ``max_duration_minutes``, a killed process) leaves its trials
    ``Paused`` in the sweep file, and ``resume_sweep`` promotes them from their
    checkpoints, as it does the "not promoted" trials of a sweep resumed with
    more ``max_total_runs``. A value that is not finite at a rung stops the
    trial. :func:`~hyperwidget.policies.replay` replays only the stopping
    variant (a promotion changes which trials run); see
    ``benchmarks/_promotion.py`` for a simulation of this one.
    """

    name = "asha"

    def __init__(
        self,
        max_resource: int,
        min_resource: int = 1,
        reduction_factor: float = 3,
        resource_attr: str | None = None,
        *,
        grace_period: int | None = None,
        type: str = "stopping",
    ) -> None:
        owner = self.__class__.__name__
        if type not in TYPES:
            raise SweepConfigError(
                f"{owner}: type must be 'stopping' (stop a trial that does not rank at a rung) or 'promotion' "
                f"(pause it at each rung, resume it when it ranks), got type={type!r}."
            )
        self.type = type
        min_resource = _grace_period_alias(owner, min_resource, grace_period)
        self.max_resource = _check_number(owner, "max_resource", max_resource, 1, integer=True)
        named = "min_resource" if grace_period is None else "grace_period"
        self.min_resource = _check_number(owner, named, min_resource, 1, integer=True)
        if self.min_resource >= self.max_resource:
            raise SweepConfigError(
                f"{owner}: min_resource must be < max_resource, got min_resource={min_resource!r}, "
                f"max_resource={max_resource!r}; with no rung in between nothing can be stopped."
            )
        self.reduction_factor = _check_number(owner, "reduction_factor", reduction_factor, 2, integer=False)
        if resource_attr is not None and not (isinstance(resource_attr, str) and resource_attr):
            raise SweepConfigError(
                f"{owner}: resource_attr must be a metric name or None, got resource_attr={resource_attr!r}."
            )
        self.resource_attr = resource_attr

    # -- brackets (one for ASHA; HyperbandPolicy overrides these two) -------------------------
    def bracket_of(self, trial: TrialRecord) -> int:
        """The bracket of ``trial`` (always 0 for ASHA)."""
        return 0

    def rung_levels(self, bracket: int = 0) -> list[float]:
        """The rung resources of ``bracket``: ``min_resource * eta**(bracket + k)`` below max."""
        levels = []
        level = self.min_resource * self.reduction_factor**bracket
        while level < self.max_resource:
            levels.append(level)
            level *= self.reduction_factor
        return levels

    # -- decision --------------------------------------------------------------------------------
    def resource(self, trial: TrialRecord, metric: str, interval: int) -> float | None:
        """The resource ``trial`` had used at its ``interval``-th value of ``metric``."""
        if self.resource_attr is None:
            return float(interval)
        values = trial.series(self.resource_attr)
        return values[interval - 1] if len(values) >= interval else None

    def rung_value(self, trial: TrialRecord, metric: str, level: float) -> tuple[int, float] | None:
        """``(interval, value)`` of ``trial`` at the rung ``level``, or ``None`` if not reached."""
        series = trial.series(metric)
        if self.resource_attr is None:  # the resource is the interval: the rung's interval is known
            k = max(1, math.ceil(level))
            return (k, series[k - 1]) if len(series) >= k else None
        for k in range(1, len(series) + 1):
            resource = self.resource(trial, metric, k)
            if resource is not None and resource >= level:
                return k, series[k - 1]
        return None

    def on_report(self, trial: TrialRecord, trials: Sequence[TrialRecord], metric: str, goal: Goal | str) -> str | None:
        """The stop reason if ``trial``'s value at a rung its latest value reached first is not kept, else ``None``."""
        interval = len(trial.series(metric))
        if interval == 0:
            return None
        bracket = self.bracket_of(trial)
        peers = [t for t in trials if t.id != trial.id and self.bracket_of(t) == bracket]
        for level in self.rung_levels(bracket):
            reached = self.rung_value(trial, metric, level)
            if reached is None or reached[0] > interval:
                return None
            if reached[0] == interval:
                reason = self._judge(reached[1], level, peers, metric, Goal.parse(goal), interval)
                if reason is not None:
                    return reason + self._bracket_text(bracket)
        return None

    def _judge(
        self, value: float, level: float, peers: Sequence[TrialRecord], metric: str, goal: Goal, interval: int
    ) -> str | None:
        head = f"stopped by {self.name} policy at interval {interval} (rung {level:g})"
        if not math.isfinite(value):
            return f"{head}: {value} is not a finite value of {metric!r}"
        if self.pauses:  # the promotion variant pauses instead (see pause_reason)
            return None
        values = [value]
        for peer in peers:
            at_rung = self.rung_value(peer, metric, level)
            if at_rung is not None and math.isfinite(at_rung[1]):
                values.append(at_rung[1])
        keep = max(1, int(len(values) // self.reduction_factor))
        n_better = sum(goal.better(v, value) for v in values)
        if n_better < keep:
            return None
        cutoff = sorted(values, key=goal.sign().__mul__)[keep - 1]
        sign = "<" if goal is Goal.MAXIMIZE else ">"
        return (
            f"{head}: {_fmt(value)} {sign} {_fmt(cutoff)}, not in the top {keep} of {len(values)} trials at this rung"
        )

    def _bracket_text(self, bracket: int) -> str:
        return ""

    # -- the promotion variant -----------------------------------------------------------------
    @property
    def pauses(self) -> bool:
        """Whether this is the promotion variant (``type="promotion"``)."""
        return self.type == "promotion"

    def paused_rung(self, trial: TrialRecord, metric: str) -> float | None:
        """The highest rung of its bracket that ``trial``'s series reached (``None``: none yet)."""
        reached = None
        for level in self.rung_levels(self.bracket_of(trial)):
            if self.rung_value(trial, metric, level) is None:
                break
            reached = level
        return reached

    def pause_reason(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], metric: str, goal: Goal | str
    ) -> str | None:
        """In the promotion variant, the reason to pause ``trial`` when its latest value first reached a rung."""
        interval = len(trial.series(metric))
        if not self.pauses or interval == 0:
            return None
        bracket = self.bracket_of(trial)
        for level in self.rung_levels(bracket):
            reached = self.rung_value(trial, metric, level)
            if reached is None or reached[0] > interval:
                return None
            if reached[0] == interval:
                return (
                    f"paused by {self.name} policy at interval {interval} (rung {level:g})"
                    f"{self._bracket_text(bracket)}: resumes once it ranks in the top 1/{self.reduction_factor:g} "
                    "of the trials at this rung"
                )
        return None

    def promotable(self, trials: Sequence[TrialRecord], metric: str, goal: Goal | str) -> list[TrialRecord]:
        """The ``Paused`` trials that rank in the top ``floor(n / eta)`` of the ``n`` values at their rung.

        Best first: the highest rung first (the trial closest to a full training),
        then the better value, then the lower index. Each is paused at this rung
        (it reached no higher one), so it has not been promoted from it yet.
        """
        if not self.pauses:
            return []
        goal = Goal.parse(goal)
        paused = [t for t in trials if t.status is TrialStatus.PAUSED]
        found: list[tuple[float, float, int, TrialRecord]] = []
        for bracket in sorted({self.bracket_of(t) for t in paused}):
            members = [t for t in trials if self.bracket_of(t) == bracket]
            waiting = {t.id: self.paused_rung(t, metric) for t in paused if self.bracket_of(t) == bracket}
            for level in sorted({v for v in waiting.values() if v is not None}):
                ranked = self._top_at(members, metric, goal, level)
                found += [(-level, goal.sign() * v, t.index, t) for v, t in ranked if waiting.get(t.id) == level]
        return [t for *_, t in sorted(found, key=lambda item: item[:3])]

    def _top_at(
        self, members: Sequence[TrialRecord], metric: str, goal: Goal, level: float
    ) -> list[tuple[float, TrialRecord]]:
        """The best ``floor(n / eta)`` ``(value, trial)`` of the ``n`` finite values recorded at rung ``level``."""
        values = []
        for trial in members:
            at_rung = self.rung_value(trial, metric, level)
            if at_rung is not None and math.isfinite(at_rung[1]):
                values.append((at_rung[1], trial))
        keep = int(len(values) // self.reduction_factor)
        return sorted(values, key=lambda vt: goal.sign() * vt[0])[:keep]
