"""What-if replay: run any policy over a finished sweep's recorded learning curves.

The recorded values are fed back to the policy in the order they were
(approximately) logged, exactly as the engine would have fed them, and each
trial the policy would have stopped is cut there -- so the trials that come
later see the shortened curves, as they would have in a real sweep.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hyperwidget.errors import SweepConfigError
from hyperwidget.policies._base import EarlyTerminationPolicy
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

if TYPE_CHECKING:
    import pandas as pd

_COLUMNS = [
    "trial_id", "index", "status", "recorded_best", "intervals", "would_stop_at", "reason",
    "intervals_used", "intervals_saved", "seconds_saved",
]  # fmt: skip


@dataclasses.dataclass(frozen=True, eq=False)
class ReplayReport:
    """What a policy would have done to a finished sweep.

    Attributes
    ----------
    policy : EarlyTerminationPolicy
        The replayed policy.
    metric : str
        The primary metric.
    goal : Goal
        Its goal.
    table : pandas.DataFrame
        One row per trial: ``trial_id``, ``index``, recorded ``status``,
        ``recorded_best``, ``intervals`` (values recorded), ``would_stop_at``
        (the interval after which the policy stops it, ``<NA>`` if never),
        ``reason``, ``intervals_used``, ``intervals_saved`` and
        ``seconds_saved`` (duration times the saved share; NaN without times).
    curves : dict
        ``trial_id -> recorded series`` of ``metric`` (drawn by :func:`hyperwidget.plots.plot_replay`).
    """

    policy: EarlyTerminationPolicy
    metric: str
    goal: Goal
    table: pd.DataFrame
    curves: Mapping[str, tuple[float, ...]]

    @property
    def compute_saved_fraction(self) -> float:
        """Share of the recorded intervals the policy would not have run (0 when none recorded)."""
        total = int(self.table["intervals"].sum())
        return float(self.table["intervals_saved"].sum()) / total if total else 0.0

    @property
    def best_trial_id(self) -> str | None:
        """The trial with the best recorded value of ``metric``."""
        finite = self.table.dropna(subset=["recorded_best"])
        if finite.empty:
            return None
        values = finite["recorded_best"] * self.goal.sign()
        return str(finite.loc[values.idxmin(), "trial_id"])

    @property
    def best_trial_survived(self) -> bool:
        """Whether the recorded best trial would have run to its recorded end."""
        best = self.best_trial_id
        if best is None:
            return True
        row = self.table.loc[self.table["trial_id"] == best].iloc[0]
        return bool(row["intervals_saved"] == 0)

    @property
    def best_value_kept(self) -> float:
        """The best value still logged under the policy (values after a stop removed)."""
        kept: list[float] = []
        for row in self.table.itertuples():
            kept.extend(self.curves[row.trial_id][: row.intervals_used])
        return self.goal.best_of(kept)

    @property
    def summary(self) -> dict[str, Any]:
        """The headline numbers as a plain dict."""
        return {
            "policy": repr(self.policy),
            "trials": len(self.table),
            "stopped": int(self.table["would_stop_at"].notna().sum()),
            "intervals_recorded": int(self.table["intervals"].sum()),
            "intervals_saved": int(self.table["intervals_saved"].sum()),
            "compute_saved_fraction": self.compute_saved_fraction,
            "seconds_saved": float(self.table["seconds_saved"].sum(min_count=1)),
            "best_trial_id": self.best_trial_id,
            "best_trial_survived": self.best_trial_survived,
            "best_value_recorded": self.goal.best_of(list(self.table["recorded_best"].dropna())),
            "best_value_kept": self.best_value_kept,
        }

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"ReplayReport({s['policy']}: would stop {s['stopped']} of {s['trials']} trials, saving "
            f"{s['compute_saved_fraction']:.1%} of {s['intervals_recorded']} intervals; best trial "
            f"{s['best_trial_id']} {'survives' if s['best_trial_survived'] else 'would be stopped'})"
        )


def replay(
    trials: Sequence[TrialRecord] | Any,
    policy: EarlyTerminationPolicy,
    metric: str | None = None,
    goal: Goal | str | None = None,
) -> ReplayReport:
    """Replay ``policy`` over recorded learning curves and report what it would have stopped.

    Parameters
    ----------
    trials : sequence of TrialRecord, or a sweep results object
        The trials of a finished sweep; or any object with ``.trials``,
        ``.metric`` and ``.goal`` (a ``SweepRun``), whose metric and goal are then
        the defaults.
    policy : EarlyTerminationPolicy
        Any policy (with any settings: that is the point).
    metric, goal : optional
        The primary metric and its goal (required with a plain sequence).

    Returns
    -------
    ReplayReport

    Notes
    -----
    Order of the values: when every trial has ``started_at`` and ``ended_at``,
    the values of a trial are spread evenly over its run time and all values
    are replayed in time order, so concurrent trials interleave as they did;
    otherwise trials are replayed one after another by ``index`` (a sequential
    sweep). Start times are kept as recorded: the replay does not move later
    trials earlier into the compute a stop would have freed. A trial the
    recording already stopped can only be stopped earlier (its later values are
    unknown); intervals count values of ``metric``, and other metrics are cut
    at the same count (so a ``resource_attr`` logged with each value stays
    paired).
    """
    trials, metric, goal = _unpack(trials, metric, goal)
    if not isinstance(policy, EarlyTerminationPolicy):
        raise SweepConfigError(f"replay: policy must be an EarlyTerminationPolicy, got {policy!r}.")
    stops = _simulate(trials, policy, metric, goal)
    table = _table(trials, stops, metric, goal)
    curves = {t.id: tuple(t.series(metric)) for t in trials}
    return ReplayReport(policy=policy, metric=metric, goal=goal, table=table, curves=curves)


def _unpack(source: Any, metric: str | None, goal: Goal | str | None) -> tuple[list[TrialRecord], str, Goal]:
    if hasattr(source, "trials") and not isinstance(source, Sequence):
        metric = metric if metric is not None else getattr(source, "metric", None)
        goal = goal if goal is not None else getattr(source, "goal", None)
        source = source.trials
    records = list(source)
    bad = [r for r in records if not isinstance(r, TrialRecord)]
    if bad:
        raise SweepConfigError(f"replay: trials must be TrialRecord objects, got {type(bad[0]).__name__}.")
    if not metric:
        raise SweepConfigError("replay: metric is required with a plain list of trials, e.g. metric='accuracy'.")
    if goal is None:
        raise SweepConfigError("replay: goal is required with a plain list of trials, e.g. goal='maximize'.")
    return records, metric, Goal.parse(goal, "replay: goal")


def _event_order(trials: Sequence[TrialRecord], metric: str) -> list[tuple[TrialRecord, int]]:
    """Every ``(trial, k)`` -- the k-th value of ``metric`` -- in the order it was (likely) logged."""
    timed = all(t.started_at is not None and t.ended_at is not None for t in trials)
    events = []
    for t in trials:
        n = len(t.series(metric))
        for k in range(1, n + 1):
            if timed:
                start, end = float(t.started_at or 0.0), float(t.ended_at or 0.0)
                key: tuple[float, ...] = (start + (end - start) * k / n, t.index, k)
            else:
                key = (float(t.index), float(k))
            events.append((key, t, k))
    events.sort(key=lambda e: e[0])
    return [(t, k) for _, t, k in events]


def _visible(trial: TrialRecord, k: int, n: int, stopped: bool) -> TrialRecord:
    """``trial`` as the policy would have seen it after its k-th value."""
    metrics = {name: tuple(values[:k]) for name, values in trial.metrics.items()}
    if stopped:
        status = TrialStatus.STOPPED_EARLY
    elif k < n:
        status = TrialStatus.RUNNING
    else:
        status = trial.status
    steps = {name: tuple(values[:k]) for name, values in trial.steps.items()}
    return trial.replace(metrics=metrics, steps=steps, status=status)


def _simulate(
    trials: Sequence[TrialRecord], policy: EarlyTerminationPolicy, metric: str, goal: Goal
) -> dict[str, tuple[int, str]]:
    """``trial_id -> (interval, reason)`` for every trial the policy stops."""
    seen: dict[str, TrialRecord] = {}
    stops: dict[str, tuple[int, str]] = {}
    for trial, k in _event_order(trials, metric):
        if trial.id in stops:
            continue
        n = len(trial.series(metric))
        seen[trial.id] = _visible(trial, k, n, stopped=False)
        reason = policy.on_report(seen[trial.id], list(seen.values()), metric, goal)
        if reason is not None:
            stops[trial.id] = (k, reason)
            seen[trial.id] = _visible(trial, k, n, stopped=True)
    return stops


def _table(
    trials: Sequence[TrialRecord], stops: Mapping[str, tuple[int, str]], metric: str, goal: Goal
) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for t in trials:
        n = len(t.series(metric))
        stop_at, reason = stops.get(t.id, (None, None))
        used = n if stop_at is None else stop_at
        duration = t.duration if t.ended_at is not None else None
        seconds = duration * (n - used) / n if duration is not None and n else math.nan
        status = t.status.value
        rows.append([t.id, t.index, status, t.best(metric, goal), n, stop_at, reason, used, n - used, seconds])
    table = pd.DataFrame(rows, columns=_COLUMNS)
    return table.astype({"would_stop_at": "Int64", "recorded_best": float, "seconds_saved": float})
