"""Policy advice: compare_policies ranks candidate settings by a replay, suggest_policy picks one."""

from __future__ import annotations

import warnings

import pytest

from hyperwidget.errors import SweepConfigError
from hyperwidget.policies import (
    ASHAPolicy,
    BanditPolicy,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    TruncationSelectionPolicy,
    candidate_policies,
    compare_policies,
    replay,
    suggest_policy,
)
from hyperwidget.policies._advice import SLACK_FACTORS
from hyperwidget.trial import TrialRecord, TrialStatus


def sweep(*curves, metric="acc", status=TrialStatus.COMPLETED) -> list[TrialRecord]:
    return [TrialRecord(f"t{i}", i, {}, status, {metric: tuple(c)}) for i, c in enumerate(curves)]


# t2 starts slowly and ends best: a policy that judges at interval 1 with a tight slack stops it.
LATE_BLOOMER = sweep(
    [0.5, 0.6, 0.7, 0.8, 0.85],
    [0.2, 0.2, 0.2, 0.2, 0.2],
    [0.3, 0.4, 0.5, 0.7, 0.9],
    [0.1, 0.1, 0.1, 0.1, 0.1],
)
TIGHT = BanditPolicy(slack_factor=0.1)  # stops t1, t2 and t3 at interval 1: saves 12 of 20, loses the best
MEDIAN = MedianStoppingPolicy()  # stops t1, t2, t3 at interval 1 too
LOOSE = BanditPolicy(slack_amount=0.35)  # stops t1 at 2 and t3 at 1: saves 7 of 20, keeps t2


def test_safe_candidates_rank_first_by_compute_saved_then_the_others_by_loss():
    table = compare_policies(LATE_BLOOMER, [TIGHT, NoTerminationPolicy(), MEDIAN, LOOSE], "acc", "max")
    assert table["policy"].tolist() == [LOOSE, table["policy"][1], TIGHT, MEDIAN]
    assert isinstance(table["policy"][1], NoTerminationPolicy)
    assert table["rank"].tolist() == [1, 2, 3, 4]
    assert table["safe"].tolist() == [True, True, False, False]
    assert table["compute_saved_fraction"].tolist() == pytest.approx([7 / 20, 0, 12 / 20, 12 / 20])
    assert table["intervals_saved"].tolist() == [7, 0, 12, 12]
    assert table["best_trial_survived"].tolist() == [True, True, False, False]
    assert table["best_value_kept"].tolist() == pytest.approx([0.9, 0.9, 0.85, 0.85])
    assert table["loss"].tolist() == pytest.approx([0, 0, 0.05, 0.05])
    assert table["name"].tolist() == ["bandit", "none", "bandit", "median"]


def test_tolerance_accepts_a_small_loss():
    table = compare_policies(LATE_BLOOMER, [LOOSE, TIGHT], "acc", "max", tolerance=0.06)
    assert table["policy"].tolist() == [TIGHT, LOOSE]
    assert table["safe"].all() and table["best_kept"].all()


def test_keep_top_asks_for_the_runner_up_too():
    trials = sweep([0.9] * 5, [0.1, 0.1, 0.1, 0.1, 0.8], [0.2] * 5)  # t1 jumps to second place at the end
    cut = BanditPolicy(slack_amount=0.5)  # stops t1 (and t2) at interval 1
    assert compare_policies(trials, [cut], "acc", "max")["safe"].tolist() == [True]
    assert compare_policies(trials, [cut], "acc", "max", keep_top=2)["safe"].tolist() == [False]
    assert isinstance(suggest_policy(trials, [cut], "acc", "max", keep_top=2), NoTerminationPolicy)


def test_suggest_policy_never_picks_a_policy_that_stops_the_eventual_best():
    assert suggest_policy(LATE_BLOOMER, [TIGHT, MEDIAN, LOOSE], "acc", "max") is LOOSE
    chosen = suggest_policy(LATE_BLOOMER, metric="acc", goal="max")  # from the default grid
    report = replay(LATE_BLOOMER, chosen, "acc", "max")
    assert report.best_value_kept == 0.9 and report.compute_saved_fraction > 0
    table = compare_policies(LATE_BLOOMER, None, "acc", "max", resamples=10, keep_top=3)  # what suggest_policy ranks
    assert report.compute_saved_fraction == table.loc[table["safe"], "compute_saved_fraction"].max()
    assert not table["safe"].all()  # the grid has candidates that stop t2


def test_resampled_sweeps_expose_a_setting_that_only_the_recorded_order_flatters():
    # t0 ends best but starts slowly; recorded first, it leads alone at interval 1 and the tight bandit spares it.
    # In a sweep where t1 runs before it, the same bandit stops t0 at interval 1 (0.3 < 0.6 / 1.1).
    trials = sweep([0.3, 0.5, 0.7, 0.95], [0.6] * 4, [0.1] * 4)
    recorded = compare_policies(trials, [TIGHT], "acc", "max")
    assert recorded["safe"].tolist() == [True] and recorded["kept_rate"].tolist() == [1.0]
    resampled = compare_policies(trials, [TIGHT, NoTerminationPolicy()], "acc", "max", resamples=10)
    assert resampled["safe"].tolist() == [True, False]  # ranked: no termination first now
    assert resampled["kept_rate"].tolist()[0] == 1.0 and 0 < resampled["kept_rate"].tolist()[1] < 1
    assert isinstance(suggest_policy(trials, [TIGHT], "acc", "max"), NoTerminationPolicy)  # resamples=10 by default
    assert suggest_policy(trials, [TIGHT], "acc", "max", resamples=0) is TIGHT


def test_suggest_policy_falls_back_to_no_termination():
    assert isinstance(suggest_policy(LATE_BLOOMER, [TIGHT, MEDIAN], "acc", "max"), NoTerminationPolicy)
    # a single leader that blooms last: every candidate of the grid stops it or saves nothing
    late = sweep([0.8] * 4, [0.1, 0.2, 0.3, 0.9])
    assert isinstance(suggest_policy(late, metric="acc", goal="max"), NoTerminationPolicy)


def test_suggest_policy_warns_on_censored_curves():
    trials = sweep([0.9, 0.9, 0.9], [0.1, 0.1], status=TrialStatus.STOPPED_EARLY)
    with pytest.warns(UserWarning, match="2 of 2 trials were stopped early"):
        suggest_policy(trials, [LOOSE], "acc", "max")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        suggest_policy(sweep([0.9, 0.9], [0.1, 0.1]), [LOOSE], "acc", "max")


def test_default_grid_follows_the_curve_length_and_the_framing():
    trials = sweep(*[[0.5 + 0.02 * i * k / 30 for k in range(1, 31)] for i in range(4)])  # best 0.56
    grid = candidate_policies(trials, "acc", "max")
    assert isinstance(grid[0], NoTerminationPolicy)
    timed = [p for p in grid if not isinstance(p, (NoTerminationPolicy, ASHAPolicy))]
    assert {p.delay_evaluation for p in timed} == {3, 6, 10}
    assert {p.delay_evaluation for p in grid if isinstance(p, MedianStoppingPolicy)} == {3, 6, 10}
    cut = [p for p in grid if isinstance(p, TruncationSelectionPolicy)]
    truncation = {(p.truncation_percentage, p.delay_evaluation) for p in cut}
    assert truncation == {(q, d) for q in (10, 20, 30) for d in (3, 6, 10)}
    bandits = [p for p in grid if isinstance(p, BanditPolicy)]
    assert {p.slack_factor for p in bandits if p.slack_factor is not None} == set(SLACK_FACTORS)
    # accuracy in [0, 1]: slack_amount = slack_factor s applied to the error 1 - 0.56 = 0.44
    amounts = sorted({p.slack_amount for p in bandits if p.slack_amount is not None})
    assert amounts == [0.0044, 0.0088, 0.022, 0.044, 0.088, 0.132]
    asha = {(p.max_resource, p.min_resource, p.reduction_factor) for p in grid if isinstance(p, ASHAPolicy)}
    assert asha == {(30, m, eta) for m in (1, 3, 6, 10) for eta in (3, 4)}
    assert len(grid) == 1 + 3 + 9 + 18 + 18 + 8
    # cautious before aggressive within a family: the longest delay and the largest slack come first
    first_bandit = bandits[0]
    assert (first_bandit.slack_factor, first_bandit.delay_evaluation) == (0.3, 10)


def test_default_grid_on_an_unbounded_metric_and_short_curves():
    trials = sweep([5.0, 4.0, 3.0], [9.0, 8.0, 7.0], [4.0, 3.0, 1.0], metric="loss")  # bests 3, 7, 1: range 6
    grid = candidate_policies(trials, "loss", "min")
    amounts = sorted({p.slack_amount for p in grid if isinstance(p, BanditPolicy) and p.slack_amount is not None})
    assert amounts == pytest.approx([0.6, 1.5, 3.0])
    assert {p.delay_evaluation for p in grid if isinstance(p, MedianStoppingPolicy)} == {1}
    assert compare_policies(trials, None, "loss", "min")["best_value_recorded"].tolist()[0] == 1.0


def test_advice_errors_name_the_setting():
    with pytest.raises(SweepConfigError, match=r"tolerance must be a finite number >= 0.*tolerance=-0.1"):
        compare_policies(LATE_BLOOMER, None, "acc", "max", tolerance=-0.1)
    with pytest.raises(SweepConfigError, match=r"keep_top must be an int >= 1, got keep_top=0"):
        suggest_policy(LATE_BLOOMER, None, "acc", "max", keep_top=0)
    with pytest.raises(SweepConfigError, match=r"resamples must be an int >= 0, got resamples=-1"):
        compare_policies(LATE_BLOOMER, [LOOSE], "acc", "max", resamples=-1)
    with pytest.raises(SweepConfigError, match="policies must be a list of EarlyTerminationPolicy"):
        compare_policies(LATE_BLOOMER, "bandit", "acc", "max")  # type: ignore[arg-type]
    with pytest.raises(SweepConfigError, match="every item of policies must be an EarlyTerminationPolicy"):
        compare_policies(LATE_BLOOMER, [LOOSE, "median"], "acc", "max")  # type: ignore[list-item]
    with pytest.raises(SweepConfigError, match="policies is empty"):
        compare_policies(LATE_BLOOMER, [], "acc", "max")
    with pytest.raises(SweepConfigError, match="no trial logged 'acc' more than once"):
        candidate_policies(sweep([0.9], [0.8]), "acc", "max")
    with pytest.raises(SweepConfigError, match="metric is required"):
        suggest_policy(LATE_BLOOMER)
