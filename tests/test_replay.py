"""What-if replay of a policy over recorded learning curves."""

from __future__ import annotations

import subprocess
import sys
from typing import ClassVar

import pytest

from hyperwidget.errors import SweepConfigError
from hyperwidget.plots import plot_replay
from hyperwidget.policies import (
    ASHAPolicy,
    BanditPolicy,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    compare_policies,
    replay,
)
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

DONE = TrialStatus.COMPLETED


def rec(index: int, values, start: float | None = None, end: float | None = None, **other) -> TrialRecord:
    metrics = {"acc": tuple(values), **{k: tuple(v) for k, v in other.items()}}
    return TrialRecord(
        id=f"t{index}", index=index, params={"i": index}, status=DONE, metrics=metrics,
        started_at=start, ended_at=end,
    )  # fmt: skip


def test_replay_reports_stops_and_compute_saved():
    trials = [rec(0, [0.9] * 5), rec(1, [0.5] * 5), rec(2, [0.85] * 5)]
    report = replay(trials, BanditPolicy(slack_amount=0.1), "acc", "maximize")
    table = report.table.set_index("trial_id")
    assert table.loc["t1", "would_stop_at"] == 1
    assert table.loc["t1", "reason"].startswith("stopped by bandit policy at interval 1: 0.5 < 0.8")
    assert table.loc["t1", "intervals_saved"] == 4
    assert table["would_stop_at"].isna().tolist() == [True, False, True]
    assert report.compute_saved_fraction == pytest.approx(4 / 15)
    assert report.best_trial_id == "t0" and report.best_trial_survived
    assert report.summary["stopped"] == 1
    assert report.best_value_kept == 0.9
    assert "would stop 1 of 3 trials, saving 26.7% of 15 intervals" in repr(report)


def test_replay_flags_a_best_trial_that_would_have_been_stopped():
    late_bloomer = rec(1, [0.2, 0.3, 0.95])
    report = replay([rec(0, [0.8, 0.8, 0.8]), late_bloomer], BanditPolicy(slack_factor=0.1), "acc", "max")
    assert report.best_trial_id == "t1"
    assert not report.best_trial_survived
    assert report.best_value_kept == 0.8
    assert "best trial t1 would be stopped" in repr(report)


def test_later_trials_see_the_curves_cut_by_the_replayed_policy():
    # t1 is stopped at interval 1, so at interval 2 the median only has t0 (0.9) and t2 is stopped;
    # with t1's full curve the median at interval 2 would be 0.55 and t2 (0.6) would survive.
    trials = [rec(0, [0.9] * 3), rec(1, [0.2] * 3), rec(2, [0.6] * 3)]
    table = replay(trials, MedianStoppingPolicy(), "acc", "max").table.set_index("trial_id")
    assert table["would_stop_at"].isna().tolist() == [True, False, False]
    assert table.loc["t2", "would_stop_at"] == 2
    assert table.loc["t1", "would_stop_at"] == 1


def test_concurrent_trials_are_interleaved_by_time():
    # t1 started first and is ahead in time: its interval-1 value is seen before t0's
    first = rec(0, [0.5, 0.5], start=10.0, end=20.0)
    second = rec(1, [0.9, 0.9], start=0.0, end=10.0)
    timed = replay([first, second], BanditPolicy(slack_amount=0.1), "acc", "max").table
    assert timed.set_index("trial_id").loc["t0", "would_stop_at"] == 1
    # without times the order is by index: t0 runs alone, then t1 leads; nothing is stopped
    untimed = replay([rec(0, [0.5, 0.5]), rec(1, [0.9, 0.9])], BanditPolicy(slack_amount=0.1), "acc", "max")
    assert untimed.table["would_stop_at"].isna().tolist() == [True, True]
    assert timed.set_index("trial_id").loc["t0", "seconds_saved"] == pytest.approx(5.0)


def test_replay_asha_with_resource_attr_keeps_resource_paired():
    trials = [rec(i, [v] * 4, epoch=[1, 2, 3, 4]) for i, v in enumerate([0.9, 0.2, 0.8])]
    policy = ASHAPolicy(max_resource=4, min_resource=1, reduction_factor=2, resource_attr="epoch")
    report = replay(trials, policy, "acc", "max")
    assert report.table["would_stop_at"].tolist()[1] == 1
    assert report.summary["stopped"] == 2  # t2: 0.8 < 0.9 at rung 1 with 3 trials -> top 1 kept


def test_replay_accepts_a_results_object_and_minimize():
    class Results:  # what a SweepRun offers
        metric = "loss"
        goal = Goal.MINIMIZE
        trials: ClassVar[list[TrialRecord]] = [
            TrialRecord("a", 0, {}, DONE, {"loss": (0.1, 0.1)}),
            TrialRecord("b", 1, {}, DONE, {"loss": (0.9, 0.9)}),
        ]

    report = replay(Results(), BanditPolicy(slack_amount=0.2))
    assert report.metric == "loss" and report.goal is Goal.MINIMIZE
    assert report.table["would_stop_at"].tolist()[1] == 1
    assert report.best_trial_id == "a"


def test_replay_errors_name_the_missing_setting():
    with pytest.raises(SweepConfigError, match="metric is required"):
        replay([rec(0, [1.0])], NoTerminationPolicy())
    with pytest.raises(SweepConfigError, match="goal is required"):
        replay([rec(0, [1.0])], NoTerminationPolicy(), "acc")
    with pytest.raises(SweepConfigError, match="policy must be an EarlyTerminationPolicy"):
        replay([rec(0, [1.0])], "bandit", "acc", "max")  # type: ignore[arg-type]
    with pytest.raises(SweepConfigError, match="trials must be TrialRecord objects, got dict"):
        replay([{"acc": [1.0]}], NoTerminationPolicy(), "acc", "max")


def test_compare_policies_gives_one_row_per_setting():
    trials = [rec(0, [0.9] * 4), rec(1, [0.7] * 4), rec(2, [0.78] * 4)]
    table = compare_policies(trials, [BanditPolicy(slack_factor=s) for s in (0.2, 0.05)], "acc", "max")
    assert [p.slack_factor for p in table["policy"]] == [0.05, 0.2]  # ranked: both safe, the larger saving first
    assert table["stopped"].tolist() == [2, 1]
    assert table["compute_saved_fraction"].tolist() == pytest.approx([6 / 12, 3 / 12])
    assert table["rank"].tolist() == [1, 2]


def test_plot_replay_marks_each_would_be_stop():
    import matplotlib

    matplotlib.use("Agg")
    trials = [rec(0, [0.9] * 5), rec(1, [0.5] * 5), rec(2, [0.4] * 5)]
    report = replay(trials, BanditPolicy(slack_amount=0.1), "acc", "max")
    fig = plot_replay(report)
    ax = fig.axes[0]
    markers = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert len(markers) == 2
    assert "stops 2/3 trials" in ax.get_title()
    import matplotlib.pyplot as plt

    fig2, ax2 = plt.subplots()
    assert plot_replay(report, ax=ax2) is fig2
    plt.close("all")


def test_importing_policies_does_not_import_matplotlib_or_pandas():
    code = "import sys, hyperwidget.policies; print('matplotlib' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
