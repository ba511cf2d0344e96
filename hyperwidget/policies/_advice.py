"""Policy advice from a finished sweep: replay candidate settings, rank them, suggest one.

A sweep that ran without early termination recorded every learning curve in
full. :func:`compare_policies` replays candidate policies over those curves
(:func:`~hyperwidget.policies.replay`) and ranks them: first the candidates
under which the sweep still reaches its recorded best result, by compute saved;
then the others. :func:`suggest_policy` returns the top one.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from hyperwidget.errors import SweepConfigError
from hyperwidget.policies._asha import ASHAPolicy
from hyperwidget.policies._bandit import BanditPolicy
from hyperwidget.policies._base import EarlyTerminationPolicy, NoTerminationPolicy
from hyperwidget.policies._median import MedianStoppingPolicy
from hyperwidget.policies._replay import ReplayReport, _simulate, _unpack, replay
from hyperwidget.policies._truncation import TruncationSelectionPolicy
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

if TYPE_CHECKING:
    import pandas as pd

#: Bandit ``slack_factor`` values of the default grid (small ones matter for accuracies near 1).
SLACK_FACTORS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3)
#: ``delay_evaluation`` of the default grid, as shares of the curve length.
DELAY_SHARES = (0.1, 0.2, 1 / 3)
#: Truncation percentages of the default grid.
TRUNCATION_PERCENTAGES = (10, 20, 30)
#: ASHA ``reduction_factor`` values of the default grid; ``min_resource`` is 1 and the delays above.
ASHA_ETAS = (3, 4)

_COLUMNS = [
    "rank", "policy", "name", "safe", "compute_saved_fraction", "intervals_saved", "intervals_recorded", "stopped",
    "trials", "best_kept", "best_trial_survived", "best_value_recorded", "best_value_kept", "loss", "seconds_saved",
    "kept_rate",
]  # fmt: skip


def candidate_policies(
    trials: Sequence[TrialRecord] | Any, metric: str | None = None, goal: Goal | str | None = None
) -> list[EarlyTerminationPolicy]:
    """The default candidates of :func:`compare_policies`, derived from the sweep's curves.

    Parameters
    ----------
    trials : sequence of TrialRecord, or a sweep results object
        As for :func:`~hyperwidget.policies.replay`.
    metric, goal : optional
        The primary metric and its goal (required with a plain sequence).

    Returns
    -------
    list of EarlyTerminationPolicy
        With ``L`` the longest recorded curve (values of ``metric``) and the
        delays ``D`` = ``round(L * s)`` for ``s`` in 0.1, 0.2, 1/3 (at least 1,
        below ``L``, duplicates dropped; 3, 6, 10 for ``L = 30``):

        * ``NoTerminationPolicy()`` (the reference: saves nothing, loses nothing);
        * median stopping, each delay in ``D``;
        * truncation selection, 10, 20 and 30 %, each delay in ``D``;
        * bandit, ``slack_factor`` in 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, each delay in ``D``;
        * bandit, ``slack_amount`` = the same factors in the *complementary framing*
          when every recorded value lies in [0, 1] (a rate such as accuracy or
          error): maximize ``s * (1 - best)``, the gap ``slack_factor=s`` allows
          on the error ``1 - accuracy`` at the recorded best; minimize
          ``s * (1 - best) / (1 + s)``, the gap it allows on the accuracy
          ``1 - error``. Otherwise 10, 25 and 50 % of the range of the trials'
          best values. Rounded to 3 significant digits; each delay in ``D``;
        * ASHA with ``max_resource=L``, ``min_resource`` 1 and each delay in
          ``D``, ``reduction_factor`` 3 and 4.

        All with ``evaluation_interval=1``; about 60 candidates. Within each
        family the order goes from cautious to aggressive (longer delay, larger
        slack, smaller percentage, larger ``min_resource``, smaller ``eta``), so
        that of two candidates that save the same compute the cautious one ranks
        first.

    Raises
    ------
    SweepConfigError
        When no trial logged ``metric`` at least twice (nothing for a policy to act on).
    """
    records, metric, parsed = _unpack(trials, metric, goal)
    length = max((len(t.series(metric)) for t in records), default=0)
    if length < 2:
        raise SweepConfigError(
            f"compare_policies: no trial logged {metric!r} more than once, so there are no learning curves to "
            f"replay; call log({metric!r}, value) once per epoch/step in the objective."
        )
    delays = sorted({min(length - 1, max(1, round(length * share))) for share in DELAY_SHARES}, reverse=True)
    amounts = _slack_amounts(records, metric, parsed)
    candidates: list[EarlyTerminationPolicy] = [NoTerminationPolicy()]
    candidates += [MedianStoppingPolicy(delay_evaluation=d) for d in delays]
    candidates += [TruncationSelectionPolicy(p, delay_evaluation=d) for p in TRUNCATION_PERCENTAGES for d in delays]
    candidates += [BanditPolicy(slack_factor=s, delay_evaluation=d) for s in SLACK_FACTORS[::-1] for d in delays]
    candidates += [BanditPolicy(slack_amount=a, delay_evaluation=d) for a in amounts[::-1] for d in delays]
    candidates += [ASHAPolicy(max_resource=length, min_resource=m, reduction_factor=eta)
                   for m in sorted({1, *delays}, reverse=True) for eta in ASHA_ETAS]  # fmt: skip
    return candidates


def _slack_amounts(records: Sequence[TrialRecord], metric: str, goal: Goal) -> list[float]:
    """The ``slack_amount`` values of the default grid (see :func:`candidate_policies`)."""
    values = [v for t in records for v in t.series(metric) if math.isfinite(v)]
    bests = [b for b in (t.best(metric, goal) for t in records) if math.isfinite(b)]
    if not bests:
        return []
    best = goal.best_of(bests)
    if values and min(values) >= 0.0 and max(values) <= 1.0:
        gap = 1.0 - best
        amounts = [s * gap if goal is Goal.MAXIMIZE else s * gap / (1 + s) for s in SLACK_FACTORS]
    else:
        spread = max(bests) - min(bests)
        amounts = [share * spread for share in (0.1, 0.25, 0.5)]
    return sorted({float(f"{a:.3g}") for a in amounts if a > 0})  # 3 significant digits: readable settings


def compare_policies(
    trials: Sequence[TrialRecord] | Any,
    policies: Iterable[EarlyTerminationPolicy] | None = None,
    metric: str | None = None,
    goal: Goal | str | None = None,
    *,
    tolerance: float = 0.0,
    keep_top: int = 1,
    resamples: int = 0,
    seed: int = 0,
) -> pd.DataFrame:
    """Replay candidate policies over a finished sweep and rank them: safe ones first, by compute saved.

    Parameters
    ----------
    trials : sequence of TrialRecord, or a sweep results object
        The trials of a finished sweep, best run without early termination
        (see the notes); or any object with ``.trials``, ``.metric`` and
        ``.goal`` (a ``SweepRun``), whose metric and goal are then the defaults.
    policies : iterable of EarlyTerminationPolicy, optional
        The candidates; by default :func:`candidate_policies` builds a grid from
        the sweep's own curve length and values.
    metric, goal : optional
        The primary metric and its goal (required with a plain sequence).
    tolerance : float, optional
        How much worse than recorded (in metric units, >= 0) a kept best result
        may be for a candidate to count as safe. Default 0: the recorded best
        value itself must still be logged.
    keep_top : int, optional
        How many of the best trial results must be kept: the ``k``-th best
        trial result under the policy must be within ``tolerance`` of the
        ``k``-th best recorded one, for ``k = 1..keep_top``. Default 1 (only the
        overall best); a larger value asks for a margin (the runner-up could win
        the next sweep).
    resamples : int, optional
        Also replay each candidate over this many *resampled sweeps*: the
        recorded trials drawn with replacement, as many as recorded, in a random
        order, run one after another. A resampled sweep stands in for the next
        sweep of the same task (other draws of configurations, another order);
        a candidate is ``safe`` only if it keeps the best result(s) of the
        recorded sweep and of every resampled one. Default 0 (the recorded
        sweep only); ``suggest_policy`` uses 10.
    seed : int, optional
        Seed of the resampling.

    Returns
    -------
    pandas.DataFrame
        One row per candidate, ranked (``rank`` 1 first): the ``safe`` ones,
        by ``compute_saved_fraction`` (descending); then the others, by
        ``loss`` (ascending) and then compute saved; ties keep the candidates'
        order. Columns: ``rank``; ``policy`` (the policy object, shown by its
        repr; pass it to ``run_sweep(policy=...)``); ``name``; ``safe``;
        ``compute_saved_fraction``, ``intervals_saved``, ``intervals_recorded``;
        ``stopped``, ``trials``; ``best_kept`` (the overall best within
        ``tolerance``); ``best_trial_survived`` (the best trial ran to its
        end); ``best_value_recorded``, ``best_value_kept``; ``loss`` (how much
        worse the kept best is, >= 0); ``seconds_saved``; ``kept_rate``, the
        share of the recorded and resampled sweeps in which the candidate keeps
        the best result(s) (1 or 0 without resamples).

    Raises
    ------
    SweepConfigError
        For a bad ``tolerance``, ``keep_top`` or ``policies``, or a sweep without curves.

    Notes
    -----
    The evidence is about this task and this sweep only: the compute saved is
    measured on the curves the sweep recorded, and a trial the sweep itself
    stopped is censored (its later values are unknown, so a candidate can only
    stop it earlier). A setting that just keeps the best result here may stop
    the best trial of the next sweep; ``keep_top`` and ``tolerance`` trade
    savings for margin.

    Examples
    --------
    >>> from hyperwidget.trial import TrialRecord, TrialStatus
    >>> curves = [(0.5, 0.6, 0.7, 0.8), (0.3, 0.3, 0.3, 0.3), (0.2, 0.2, 0.2, 0.2)]
    >>> trials = [TrialRecord(f"t{i}", i, {}, TrialStatus.COMPLETED, {"acc": c}) for i, c in enumerate(curves)]
    >>> table = compare_policies(trials, [NoTerminationPolicy(), BanditPolicy(slack_factor=0.5)], "acc", "max")
    >>> table[["rank", "name", "safe", "compute_saved_fraction"]]
       rank    name  safe  compute_saved_fraction
    0     1  bandit  True                     0.5
    1     2    none  True                     0.0
    """
    import pandas as pd

    tolerance = _check_tolerance("compare_policies", tolerance)
    keep_top = _check_count("compare_policies", "keep_top", keep_top, 1, "keep_top=3")
    records, metric, parsed = _unpack(trials, metric, goal)
    if not any(math.isfinite(t.best(metric, parsed)) for t in records):
        raise SweepConfigError(f"compare_policies: no trial logged a finite value of {metric!r}; nothing to compare.")
    candidates = _check_policies(policies) if policies is not None else candidate_policies(records, metric, parsed)
    resamples = _check_count("compare_policies", "resamples", resamples, 0, "resamples=10")
    others = [_resample(records, random.Random(f"{seed}:{k}")) for k in range(resamples)]
    rows = [_row(replay(records, policy, metric, parsed), tolerance, keep_top) for policy in candidates]
    for row in rows:
        kept = [_kept_on(other, row["policy"], metric, parsed, tolerance, keep_top) for other in others]
        row["kept_rate"] = (row["safe"] + sum(kept)) / (1 + len(others))
        row["safe"] = row["kept_rate"] == 1.0
    order = sorted(range(len(rows)), key=lambda i: _rank_key(rows[i], i))
    ranked = [rows[i] | {"rank": rank} for rank, i in enumerate(order, start=1)]
    return pd.DataFrame(ranked, columns=_COLUMNS)


def suggest_policy(
    trials: Sequence[TrialRecord] | Any,
    policies: Iterable[EarlyTerminationPolicy] | None = None,
    metric: str | None = None,
    goal: Goal | str | None = None,
    *,
    tolerance: float = 0.0,
    keep_top: int = 3,
    resamples: int = 10,
    seed: int = 0,
) -> EarlyTerminationPolicy:
    """The policy that would have saved the most compute on a finished sweep without losing its best results.

    The top-ranked candidate of :func:`compare_policies` (same parameters,
    other defaults), or :class:`NoTerminationPolicy` when no candidate saves
    compute and is safe. The defaults ask for a margin: the three best trial
    results must be kept (``keep_top=3``), on the recorded sweep and on 10
    resampled ones (``resamples=10``). On the MLP task of
    ``benchmarks/policy_advice.py``, a choice made from one sweep kept the best
    result of the next sweep in 11 of 20 pairs with ``resamples=0, keep_top=1``,
    17 with ``resamples=10, keep_top=1`` and 20 with these defaults (which were
    chosen from those pairs; see the benchmark for the check on fresh seeds).

    Returns
    -------
    EarlyTerminationPolicy

    Warns
    -----
    UserWarning
        When the sweep itself stopped trials early: their curves are censored,
        so the replay cannot tell whether a candidate would have kept them.

    Notes
    -----
    A replay of one sweep is evidence about that task only, measured on curves
    that ran to the end: the suggestion fits this sweep's curves, and a
    different search space, data set or budget changes them. Re-check it on
    later sweeps (``compare_policies`` on their recorded curves). The margin of
    the defaults costs savings (64 % instead of 83 % of the epochs in the
    benchmark); ``resamples=0, keep_top=1`` gives the most aggressive setting
    that keeps this sweep's best result, ``tolerance`` accepts a small loss.

    Examples
    --------
    >>> from hyperwidget.trial import TrialRecord, TrialStatus
    >>> curves = [(0.5, 0.6, 0.7, 0.8), (0.3, 0.3, 0.3, 0.3), (0.2, 0.2, 0.2, 0.2)]
    >>> trials = [TrialRecord(f"t{i}", i, {}, TrialStatus.COMPLETED, {"acc": c}) for i, c in enumerate(curves)]
    >>> suggest_policy(trials, metric="acc", goal="maximize")
    MedianStoppingPolicy(evaluation_interval=1, delay_evaluation=1)

    A late bloomer that a bandit or ASHA would cut: nothing saves compute safely.

    >>> curves = [(0.8, 0.8, 0.8, 0.8), (0.1, 0.2, 0.3, 0.9)]
    >>> trials = [TrialRecord(f"t{i}", i, {}, TrialStatus.COMPLETED, {"acc": c}) for i, c in enumerate(curves)]
    >>> suggest_policy(trials, metric="acc", goal="maximize")
    NoTerminationPolicy()
    """
    records, metric, parsed = _unpack(trials, metric, goal)
    censored = sum(t.status is TrialStatus.STOPPED_EARLY for t in records)
    if censored:
        warnings.warn(
            f"suggest_policy: {censored} of {len(records)} trials were stopped early in this sweep; their curves are "
            "censored, so the replay cannot tell whether a candidate would have kept them. Suggest from a sweep "
            "run without a policy.",
            UserWarning,
            stacklevel=2,
        )
    table = compare_policies(
        records, policies, metric, parsed, tolerance=tolerance, keep_top=keep_top, resamples=resamples, seed=seed
    )
    top = table.iloc[0]
    if bool(top["safe"]) and top["intervals_saved"] > 0:
        return top["policy"]  # type: ignore[no-any-return]
    return NoTerminationPolicy()


def _row(report: ReplayReport, tolerance: float, keep_top: int) -> dict[str, Any]:
    """The ranking columns of one replay."""
    summary, goal = report.summary, report.goal
    recorded, kept = summary["best_value_recorded"], summary["best_value_kept"]
    loss = _loss(goal, recorded, kept)
    return {
        "policy": report.policy,
        "name": report.policy.name,
        "safe": _top_kept(report, tolerance, keep_top),
        "compute_saved_fraction": summary["compute_saved_fraction"],
        "intervals_saved": summary["intervals_saved"],
        "intervals_recorded": summary["intervals_recorded"],
        "stopped": summary["stopped"],
        "trials": summary["trials"],
        "best_kept": loss <= tolerance,
        "best_trial_survived": summary["best_trial_survived"],
        "best_value_recorded": recorded,
        "best_value_kept": kept,
        "loss": loss,
        "seconds_saved": summary["seconds_saved"],
    }


def _loss(goal: Goal, recorded: float, kept: float) -> float:
    """How much worse ``kept`` is than ``recorded`` (>= 0; inf when nothing is kept)."""
    if math.isnan(recorded):
        return 0.0
    if math.isnan(kept):
        return math.inf
    return max(0.0, (kept - recorded) * goal.sign())


def _top_kept(report: ReplayReport, tolerance: float, keep_top: int) -> bool:
    """Whether the ``keep_top`` best trial results of a replay are each kept within ``tolerance``."""
    recorded, kept = [], []
    for row in report.table.itertuples():
        curve = report.curves[row.trial_id]
        recorded.append(report.goal.best_of(curve))
        kept.append(report.goal.best_of(curve[: row.intervals_used]))
    return _tops_kept(report.goal, recorded, kept, tolerance, keep_top)


def _kept_on(
    records: Sequence[TrialRecord], policy: EarlyTerminationPolicy, metric: str, goal: Goal, tolerance: float,
    keep_top: int,
) -> bool:  # fmt: skip
    """:func:`_top_kept` of ``replay(records, policy)``, without building the report's table (the fast path)."""
    stops = _simulate(records, policy, metric, goal)
    recorded, kept = [], []
    for t in records:
        curve = t.series(metric)
        used = stops[t.id][0] if t.id in stops else len(curve)
        recorded.append(goal.best_of(curve))
        kept.append(goal.best_of(curve[:used]))
    return _tops_kept(goal, recorded, kept, tolerance, keep_top)


def _tops_kept(goal: Goal, recorded: list[float], kept: list[float], tolerance: float, keep_top: int) -> bool:
    """Whether the k-th best of ``kept`` is within ``tolerance`` of the k-th best of ``recorded``, k <= keep_top."""

    def top(values: list[float]) -> list[float]:
        finite = sorted((v for v in values if math.isfinite(v)), key=lambda v: v * goal.sign())
        return finite[:keep_top]

    best_recorded, best_kept = top(recorded), top(kept)
    if len(best_kept) < len(best_recorded):
        return False
    return all(_loss(goal, r, k) <= tolerance for r, k in zip(best_recorded, best_kept, strict=False))


def _rank_key(row: dict[str, Any], position: int) -> tuple[bool, float, float, int]:
    """Safe first by compute saved; then the others by loss, then compute saved; ties by position."""
    saved = -float(row["compute_saved_fraction"])
    if row["safe"]:
        return (False, saved, 0.0, position)
    return (True, float(row["loss"]), saved, position)


def _check_tolerance(owner: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value >= 0):
        raise SweepConfigError(
            f"{owner}: tolerance must be a finite number >= 0 (in metric units), got tolerance={value!r}; "
            "e.g. tolerance=0.002 accepts a best result up to 0.002 worse than recorded."
        )
    return float(value)


def _check_count(owner: str, name: str, value: Any, minimum: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SweepConfigError(f"{owner}: {name} must be an int >= {minimum}, got {name}={value!r}; e.g. {example}.")
    return value


def _resample(records: Sequence[TrialRecord], rng: random.Random) -> list[TrialRecord]:
    """The trials drawn with replacement, in a random order, as a sequential sweep (no times)."""
    drawn = [records[rng.randrange(len(records))] for _ in records]
    return [t.replace(id=f"r{i}", index=i, started_at=None, ended_at=None) for i, t in enumerate(drawn)]


def _check_policies(policies: Any) -> list[EarlyTerminationPolicy]:
    if isinstance(policies, (EarlyTerminationPolicy, str)) or not isinstance(policies, Iterable):
        raise SweepConfigError(
            "compare_policies: policies must be a list of EarlyTerminationPolicy objects (or None for the default "
            f"grid), got policies={policies!r}; e.g. policies=[BanditPolicy(slack_factor=0.1)]."
        )
    candidates = list(policies)
    bad = [p for p in candidates if not isinstance(p, EarlyTerminationPolicy)]
    if bad:
        raise SweepConfigError(
            f"compare_policies: every item of policies must be an EarlyTerminationPolicy, got {bad[0]!r}; "
            "build one with hyperwidget.policies.make_policy('median') or a policy class."
        )
    if not candidates:
        raise SweepConfigError("compare_policies: policies is empty; give at least one policy, or None for the grid.")
    return candidates
