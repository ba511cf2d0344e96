"""The results layer's one definition of "best so far"."""

from __future__ import annotations

import math

import pytest

from hyperwidget.results import SweepResults, best_so_far, trial_value
from hyperwidget.trial import Goal, TrialRecord, TrialStatus


def trial(i: int, value: float | None, ended: float | None, status: TrialStatus = TrialStatus.COMPLETED) -> TrialRecord:
    return TrialRecord(
        id=f"t{i}",
        index=i,
        params={},
        status=status,
        metrics={"acc": (value,)} if value is not None else {},
        started_at=0.0,
        ended_at=ended,
    )


TRIALS = [
    trial(0, 0.5, ended=3.0),
    trial(1, 0.9, ended=5.0),
    trial(2, 0.99, ended=1.0, status=TrialStatus.FAILED),  # a failed trial never leads
    trial(3, 0.7, ended=2.0),
    trial(4, 0.95, ended=None, status=TrialStatus.RUNNING),  # not finished: not counted yet
    trial(5, 0.9, ended=6.0),  # equal to the leader: the one that finished first keeps the lead
]


def test_best_so_far_follows_completion_order_and_skips_failures() -> None:
    points = best_so_far(TRIALS, "acc", Goal.MAXIMIZE)
    assert [p.trial.id for p in points] == ["t2", "t3", "t0", "t1", "t5"]
    assert [p.best for p in points[1:]] == [0.7, 0.7, 0.9, 0.9] and math.isnan(points[0].best)
    assert points[-1].best_trial is not None and points[-1].best_trial.id == "t1"
    low = best_so_far(TRIALS, "acc", Goal.MINIMIZE)
    assert low[-1].best == 0.5 and low[-1].best_trial is TRIALS[0]


def test_best_so_far_continues_an_earlier_call() -> None:
    first = best_so_far(TRIALS[:2], "acc", Goal.MAXIMIZE)
    more = best_so_far(TRIALS[3:], "acc", Goal.MAXIMIZE, after=first[-1])
    assert more[-1].best == 0.9 and more[-1].best_trial is TRIALS[1]


def test_constraints_and_missing_values_do_not_compete() -> None:
    assert math.isnan(trial_value(TRIALS[0], "acc", Goal.MAXIMIZE, feasible=lambda t: False))
    assert math.isnan(trial_value(trial(9, None, ended=1.0), "acc", Goal.MAXIMIZE))
    assert trial_value(TRIALS[2], "acc", Goal.MAXIMIZE) != trial_value(TRIALS[2], "acc", Goal.MAXIMIZE)  # failed: nan


def test_sweep_results_best_so_far_is_that_series() -> None:
    results = SweepResults("s", "acc", Goal.MAXIMIZE, TRIALS)
    assert results.best_so_far()[1:] == [0.7, 0.7, 0.9, 0.9]


def test_get_child_finds_a_child_run_by_id_and_names_some_when_it_does_not() -> None:
    import hyperwidget as hw

    run = hw.run_sweep(lambda x: x, {"x": hw.choice(1, 2, 3)}, metric="m", sampler="grid", storage=None, name="gc")
    child = run.get_child("gc_1")
    assert child.id == "gc_1" and child.get_hyperparameters() == {"x": 2} and child.best_primary_metric == 2
    with pytest.raises(KeyError, match=r"no child run 'gc_9'; its child runs are 'gc_0', 'gc_1', 'gc_2'"):
        run.get_child("gc_9")
