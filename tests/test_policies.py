"""Early-termination policies as pure decisions over hand-built TrialRecord tables.

T1-T7 are the worked numbers of hyperdrive-reference.md section 1.4; the
``open point`` tests pin the choices documented in each policy's docstring.
"""

from __future__ import annotations

import math

import pytest

from hyperwidget.errors import SweepConfigError
from hyperwidget.policies import (
    ASHAPolicy,
    BanditPolicy,
    EarlyTerminationPolicy,
    HyperbandPolicy,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    TruncationSelectionPolicy,
    policy_from_json,
)
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

MAX, MIN = Goal.MAXIMIZE, Goal.MINIMIZE
DONE, RUNNING = TrialStatus.COMPLETED, TrialStatus.RUNNING


def rec(index: int, values, status: TrialStatus = RUNNING, metric: str = "acc", **other) -> TrialRecord:
    """A trial with ``values`` logged under ``metric`` (and ``other`` series)."""
    metrics = {metric: tuple(values), **{k: tuple(v) for k, v in other.items()}}
    return TrialRecord(id=f"t{index}", index=index, params={}, status=status, metrics=metrics)


def decide(policy: EarlyTerminationPolicy, trial: TrialRecord, others, goal=MAX, metric="acc"):
    """What the engine does when ``trial`` has just logged its latest value."""
    return policy.on_report(trial, [*others, trial], metric, goal)


def flat(value: float, n: int) -> list[float]:
    return [value] * n


# -- schedule (evaluation_interval, delay_evaluation) ----------------------------------------------


@pytest.mark.parametrize(
    ("interval", "delay", "due"),
    [
        ((1, 5), None, [5, 6, 7, 8, 9, 10]),
        ((2, 5), None, [6, 8, 10]),  # T5
        ((1, 0), None, list(range(1, 11))),
        ((0, 0), None, list(range(1, 11))),  # evaluation_interval=0 (Azure v2 default) read as 1
        ((3, 0), None, [3, 6, 9]),
    ],
)
def test_schedule_follows_interval_and_delay(interval, delay, due):
    policy = MedianStoppingPolicy(evaluation_interval=interval[0], delay_evaluation=interval[1])
    assert [n for n in range(1, 11) if policy.is_due(n)] == due


def test_t4_first_evaluation_at_delay_200_not_at_interval_100():
    policy = BanditPolicy(slack_factor=0.2, evaluation_interval=100, delay_evaluation=200)
    assert [n for n in (100, 199, 200, 250, 300, 400) if policy.is_due(n)] == [200, 300, 400]
    leader = rec(0, flat(0.8, 300), DONE)
    assert decide(policy, rec(1, flat(0.5, 100)), [leader]) is None
    assert decide(policy, rec(1, flat(0.5, 200)), [leader]).startswith(
        "stopped by bandit policy at interval 200: 0.5 < 0.6667"
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"evaluation_interval": -1}, "evaluation_interval must be an int >= 0, got evaluation_interval=-1"),
        ({"delay_evaluation": -2}, "delay_evaluation must be an int >= 0, got delay_evaluation=-2"),
        ({"delay_evaluation": 1.5}, "delay_evaluation must be an int"),
    ],
)
def test_bad_schedule_is_rejected(kwargs, match):
    with pytest.raises(SweepConfigError, match=match):
        MedianStoppingPolicy(**kwargs)


# -- bandit ---------------------------------------------------------------------------------------


def test_t1_bandit_slack_factor_threshold_is_best_over_one_plus_slack():
    policy = BanditPolicy(slack_factor=0.2, evaluation_interval=10)
    leader = rec(0, [0.5] * 9 + [0.8], DONE)
    assert policy.threshold(0.8, MAX) == pytest.approx(0.8 / 1.2)
    stopped = decide(policy, rec(1, [0.6] * 9 + [0.65]), [leader])
    assert stopped == ("stopped by bandit policy at interval 10: 0.65 < 0.6667 (best 0.8, slack_factor=0.2)")
    assert decide(policy, rec(1, [0.6] * 9 + [0.67]), [leader]) is None
    # The docs print 0.66 (truncated); 0.665 is still below 2/3.
    assert decide(policy, rec(1, [0.6] * 9 + [0.665]), [leader]) is not None


def test_t2_bandit_slack_factor_point_one_with_delay_five():
    policy = BanditPolicy(slack_factor=0.1, evaluation_interval=1, delay_evaluation=5)
    leader = rec(0, flat(0.8, 8), DONE)
    assert policy.threshold(0.8, MAX) == pytest.approx(0.727272727)
    assert decide(policy, rec(1, flat(0.5, 4)), [leader]) is None  # before the delay
    assert "0.72 < 0.7273" in decide(policy, rec(1, flat(0.72, 5)), [leader])
    assert decide(policy, rec(1, flat(0.73, 5)), [leader]) is None


def test_t3_bandit_slack_amount_point_two_after_100_intervals():
    policy = BanditPolicy(slack_amount=0.2, evaluation_interval=100)
    leader = rec(0, flat(0.8, 100), DONE)
    assert "0.5999 < 0.6" in decide(policy, rec(1, flat(0.5999, 100)), [leader])
    assert decide(policy, rec(1, flat(0.6, 100)), [leader]) is None  # 0.8 - 0.2 is not above 0.6


def test_bandit_minimize_mirrors_maximize():
    factor = BanditPolicy(slack_factor=0.2)
    leader = rec(0, flat(0.5, 3), DONE, metric="loss")
    assert "0.61 > 0.6" in decide(factor, rec(1, flat(0.61, 3), metric="loss"), [leader], MIN, "loss")
    assert decide(factor, rec(1, flat(0.59, 3), metric="loss"), [leader], MIN, "loss") is None
    amount = BanditPolicy(slack_amount=0.1)
    assert decide(amount, rec(1, flat(0.61, 3), metric="loss"), [leader], MIN, "loss") is not None
    assert decide(amount, rec(1, flat(0.6, 3), metric="loss"), [leader], MIN, "loss") is None


def test_bandit_negative_metrics_keep_the_slack_on_the_worse_side():
    policy = BanditPolicy(slack_factor=0.2)
    # maximize, best -0.8: threshold -0.8 - 0.8 * 0.2 / 1.2 = -0.9333 (not -0.8 / 1.2 = -0.667)
    assert policy.threshold(-0.8, MAX) == pytest.approx(-0.8 - 0.8 * 0.2 / 1.2)
    leader = rec(0, flat(-0.8, 2), DONE)
    assert decide(policy, rec(1, flat(-0.8, 2)), [leader]) is None  # the best itself survives
    assert decide(policy, rec(1, flat(-0.9, 2)), [leader]) is None
    assert decide(policy, rec(1, flat(-0.95, 2)), [leader]) is not None
    # minimize, best -1.0: threshold -1.0 + 1.0 * 0.5 = -0.5
    assert BanditPolicy(slack_factor=0.5).threshold(-1.0, MIN) == pytest.approx(-0.5)


def test_bandit_uses_the_runs_best_so_far_not_its_last_value():
    policy = BanditPolicy(slack_factor=0.2)
    leader = rec(0, flat(0.8, 10), DONE)
    dipping = rec(1, [0.7] + [0.5] * 9)  # best 0.7 > 0.6667 although the last value is 0.5
    assert decide(policy, dipping, [leader]) is None


def test_open_point_bandit_compares_with_the_best_at_the_same_interval():
    policy = BanditPolicy(slack_factor=0.2, evaluation_interval=10)
    veteran = rec(0, [0.8] * 10 + [0.95] * 10, DONE)  # 0.8 at interval 10, 0.95 later
    trial = rec(1, flat(0.7, 10))
    assert decide(policy, trial, [veteran]) is None  # 0.7 > 0.8/1.2, though < 0.95/1.2
    assert decide(policy, rec(1, flat(0.7, 20)), [veteran]) is not None


def test_open_point_bandit_ignores_runs_that_have_not_reached_the_interval():
    policy = BanditPolicy(slack_factor=0.2)
    young = rec(0, [0.99])
    assert decide(policy, rec(1, flat(0.5, 3)), [young]) is None
    assert decide(policy, rec(1, flat(0.5, 1)), [young]) is not None


def test_bandit_never_stops_the_leading_run_and_stops_all_nan_runs():
    policy = BanditPolicy(slack_factor=0.0)
    assert decide(policy, rec(0, [0.1, 0.2]), []) is None
    assert "no finite value" in decide(policy, rec(1, [math.nan]), [rec(0, [0.5])])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"slack_factor": 0.1, "slack_amount": 0.2}, "exactly one of slack_factor and slack_amount, got both"),
        ({}, "exactly one of slack_factor and slack_amount, got neither"),
        ({"slack_factor": -0.1}, "slack_factor must be a number >= 0, got slack_factor=-0.1"),
        ({"slack_amount": "0.1"}, "slack_amount must be a number >= 0"),
        ({"slack_factor": math.inf}, "slack_factor must be finite"),
    ],
)
def test_bandit_bad_settings_are_rejected(kwargs, match):
    with pytest.raises(SweepConfigError, match=match):
        BanditPolicy(**kwargs)


def test_bandit_zero_slack_is_a_valid_setting():
    policy = BanditPolicy(slack_factor=0)
    assert decide(policy, rec(1, [0.79]), [rec(0, [0.8])]) is not None


# -- median stopping ------------------------------------------------------------------------------


def median_peers(goal=MAX):
    # running averages over intervals 1..5: 0.5, 0.6, 0.7 -> median 0.6 (later values ignored)
    sign = 1 if goal is MAX else -1
    return [
        rec(0, [sign * v for v in [0.5] * 5 + [0.99] * 5], DONE),
        rec(1, [sign * v for v in [0.4, 0.5, 0.6, 0.7, 0.8, 0.99]], DONE),
        rec(2, [sign * v for v in flat(0.7, 5)]),
    ]


def test_t6_median_stops_a_run_whose_best_is_below_the_median_of_running_averages():
    policy = MedianStoppingPolicy(evaluation_interval=1, delay_evaluation=5)
    peers = median_peers()
    assert decide(policy, rec(9, flat(0.1, 4)), peers) is None  # interval 4 < delay
    reason = decide(policy, rec(9, [0.3, 0.58, 0.4, 0.4, 0.4]), peers)
    assert reason == "stopped by median policy at interval 5: best 0.58 < median 0.6 of 3 running averages"
    assert decide(policy, rec(9, [0.62, 0.3, 0.3, 0.3, 0.3]), peers) is None  # best 0.62 > 0.6
    assert decide(policy, rec(9, flat(0.6, 5)), peers) is None  # a tie survives


def test_median_minimize():
    policy = MedianStoppingPolicy(delay_evaluation=5)
    peers = median_peers(MIN)  # medians of negated values: -0.6
    assert decide(policy, rec(9, flat(-0.58, 5)), peers, MIN) is not None
    assert decide(policy, rec(9, flat(-0.62, 5)), peers, MIN) is None


def test_open_point_median_leaves_out_the_run_itself_and_runs_short_of_the_interval():
    policy = MedianStoppingPolicy()
    trial = rec(5, flat(0.5, 3))
    assert decide(policy, trial, []) is None  # nobody to compare with
    assert decide(policy, trial, [rec(0, [0.9, 0.9])]) is None  # did not reach interval 3
    # one other run at interval 3: its running average (0.6) is the median
    assert "median 0.6 of 1" in decide(policy, trial, [rec(0, [0.3, 0.6, 0.9, 0.1])])
    assert decide(policy, rec(5, flat(0.7, 3)), [rec(0, [0.3, 0.6, 0.9, 0.1])]) is None


# -- truncation selection -------------------------------------------------------------------------


def test_t7_truncation_cancels_the_lowest_20_percent_at_interval_5():
    policy = TruncationSelectionPolicy(truncation_percentage=20, evaluation_interval=1, delay_evaluation=5)
    peers = [rec(i, flat(v, 5)) for i, v in enumerate([0.6, 0.7, 0.8, 0.9])]
    assert decide(policy, rec(9, flat(0.1, 4)), peers) is None  # before the delay
    assert decide(policy, rec(9, flat(0.5, 5)), peers) == (
        "stopped by truncation policy at interval 5: 0.5 is in the lowest 20% (cut 1 of 5 runs; 0 at or below it)"
    )
    assert decide(policy, rec(9, flat(0.65, 5)), peers) is None  # second lowest of 5


def test_open_point_truncation_rounds_x_percent_of_k_runs_down():
    policy = TruncationSelectionPolicy(truncation_percentage=20)
    assert [policy.n_cut(k) for k in (1, 4, 5, 9, 10, 14, 15)] == [0, 0, 1, 1, 2, 2, 3]
    four = [rec(i, [v]) for i, v in enumerate([0.6, 0.7, 0.8])]
    assert decide(policy, rec(9, [0.1]), four[:3]) is None  # 4 runs: 0.8 run -> none cut
    ten = [rec(i, [0.5 + i / 100]) for i in range(9)]
    assert decide(policy, rec(9, [0.505]), ten) is not None  # second lowest of 10
    assert decide(policy, rec(9, [0.515]), ten) is None  # third lowest of 10
    assert TruncationSelectionPolicy(truncation_percentage=25).n_cut(4) == 1


def test_truncation_minimize_and_ties():
    policy = TruncationSelectionPolicy(truncation_percentage=20)
    peers = [rec(i, [v], metric="loss") for i, v in enumerate([0.1, 0.2, 0.3, 0.4])]
    assert decide(policy, rec(9, [0.5], metric="loss"), peers, MIN, "loss") is not None
    assert decide(policy, rec(9, [0.35], metric="loss"), peers, MIN, "loss") is None
    tied = [rec(i, [0.5]) for i in range(4)]
    assert decide(policy, rec(9, [0.5]), tied) is None  # ties rank in the run's favour


def test_truncation_compares_older_runs_only_up_to_the_interval():
    policy = TruncationSelectionPolicy(truncation_percentage=20)
    veterans = [rec(i, [0.1, 0.1, 0.9, 0.9]) for i in range(4)]
    assert decide(policy, rec(9, [0.2, 0.2]), veterans) is None  # best at interval 2: 0.2 > 0.1
    assert decide(policy, rec(9, [0.2, 0.2, 0.2]), veterans) is not None


def test_truncation_exclude_finished_jobs():
    included = TruncationSelectionPolicy(truncation_percentage=20)
    excluded = TruncationSelectionPolicy(truncation_percentage=20, exclude_finished_jobs=True)
    peers = [rec(i, flat(0.9, 3), DONE) for i in range(3)] + [rec(3, flat(0.9, 3))]
    trial = rec(9, flat(0.1, 3))
    assert decide(included, trial, peers) is not None
    assert decide(excluded, trial, peers) is None  # only 2 runs ranked: none cut


@pytest.mark.parametrize("value", [0, 100, -5, 20.5, True, "20"])
def test_truncation_bad_percentage_is_rejected(value):
    with pytest.raises(SweepConfigError, match="truncation_percentage must be an int from 1 to 99"):
        TruncationSelectionPolicy(truncation_percentage=value)


# -- ASHA -----------------------------------------------------------------------------------------


def test_asha_rungs_and_first_trial():
    policy = ASHAPolicy(max_resource=30, min_resource=1, reduction_factor=3)
    assert policy.rung_levels() == [1, 3, 9, 27]
    assert ASHAPolicy(max_resource=81, min_resource=2, reduction_factor=2).rung_levels() == [2, 4, 8, 16, 32, 64]
    assert decide(policy, rec(0, [0.1]), []) is None  # alone at the rung: kept


def test_asha_keeps_the_top_third_at_each_rung():
    policy = ASHAPolicy(max_resource=30)
    peers = [rec(i, [v]) for i, v in enumerate([0.1, 0.2, 0.3, 0.4, 0.5])]
    # 6 values at rung 1 -> keep the best 2
    assert decide(policy, rec(9, [0.45]), peers) is None
    assert decide(policy, rec(9, [0.35]), peers) == (
        "stopped by asha policy at interval 1 (rung 1): 0.35 < 0.4, not in the top 2 of 6 trials at this rung"
    )


def test_asha_decides_only_when_a_rung_is_first_reached():
    policy = ASHAPolicy(max_resource=30)
    peers = [rec(0, [0.9, 0.9, 0.9]), rec(1, [0.8, 0.8, 0.8])]
    assert decide(policy, rec(9, [0.95, 0.0]), peers) is None  # interval 2: no rung
    assert decide(policy, rec(9, [0.95, 0.0, 0.0]), peers) is not None  # rung 3
    # peers are ranked by their value AT the rung, not later ones
    late = [rec(0, [0.1, 0.1, 0.1, 0.99]), rec(1, [0.2, 0.2, 0.2, 0.99])]
    assert decide(policy, rec(9, [0.5, 0.5, 0.5]), late) is None


def test_asha_minimize():
    policy = ASHAPolicy(max_resource=30)
    peers = [rec(0, [0.2], metric="loss")]
    assert decide(policy, rec(1, [0.3], metric="loss"), peers, MIN, "loss") is not None
    assert decide(policy, rec(1, [0.1], metric="loss"), peers, MIN, "loss") is None


def test_asha_resource_attr_names_the_logged_resource():
    policy = ASHAPolicy(max_resource=100, min_resource=4, reduction_factor=2, resource_attr="epoch")
    assert policy.rung_levels() == [4, 8, 16, 32, 64]
    leader = rec(0, [0.9] * 5, epoch=[2, 4, 6, 8, 10])
    # interval 1 = epoch 2: no rung; interval 2 = epoch 4: rung 4
    assert decide(policy, rec(1, [0.1], epoch=[2]), [leader]) is None
    assert "(rung 4)" in decide(policy, rec(1, [0.1, 0.1], epoch=[2, 4]), [leader])
    # a report jumping over rungs 4 and 8 is judged there
    assert decide(policy, rec(1, [0.95, 0.1], epoch=[1, 9]), [leader]) is not None


def test_grace_period_is_min_resource_by_its_syne_tune_name():
    assert ASHAPolicy(max_resource=30, grace_period=3).rung_levels() == [3, 9, 27]
    assert ASHAPolicy(max_resource=30, min_resource=3, grace_period=3).min_resource == 3
    assert HyperbandPolicy(max_resource=30, grace_period=3).rung_levels(1) == [9, 27]
    with pytest.raises(SweepConfigError, match="grace_period is another name for min_resource"):
        ASHAPolicy(max_resource=30, min_resource=2, grace_period=3)
    with pytest.raises(SweepConfigError, match="grace_period must be an int >= 1, got grace_period=0"):
        ASHAPolicy(max_resource=30, grace_period=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_resource": 30, "reduction_factor": 1.5}, "reduction_factor must be a number >= 2"),
        ({"max_resource": 30, "reduction_factor": 1}, "reduction_factor must be a number >= 2"),
        ({"max_resource": 30, "min_resource": 30}, "min_resource must be < max_resource"),
        ({"max_resource": 0}, "max_resource must be an int >= 1"),
        ({"max_resource": 30, "min_resource": 0}, "min_resource must be an int >= 1"),
        ({"max_resource": 30, "resource_attr": ""}, "resource_attr must be a metric name"),
    ],
)
def test_asha_bad_settings_are_rejected(kwargs, match):
    with pytest.raises(SweepConfigError, match=match):
        ASHAPolicy(**kwargs)


# -- Hyperband ------------------------------------------------------------------------------------


def test_hyperband_brackets_follow_hyperband_counts_and_are_deterministic():
    policy = HyperbandPolicy(max_resource=30)
    assert policy.n_brackets == 4
    assert policy.bracket_weights() == [27, 12, 6, 4]
    assert [policy.rung_levels(b) for b in range(4)] == [[1, 3, 9, 27], [3, 9, 27], [9, 27], [27]]
    brackets = [policy.bracket_of(rec(i, [])) for i in range(49)]
    assert [brackets.count(b) for b in range(4)] == [27, 12, 6, 4]
    assert brackets == [HyperbandPolicy(max_resource=30).bracket_of(rec(i, [])) for i in range(49)]
    assert brackets[:8] == [0, 1, 0, 2, 0, 3, 0, 1]
    assert HyperbandPolicy(max_resource=27).rung_levels(3) == []  # top bracket trains fully


def test_hyperband_compares_trials_only_within_their_bracket():
    policy = HyperbandPolicy(max_resource=30)
    bracket0 = [rec(i, flat(0.9, 3)) for i in (0, 2, 4)]  # indexes 0, 2, 4 are in bracket 0
    in_bracket1 = rec(1, [0.1])
    assert policy.bracket_of(in_bracket1) == 1
    assert decide(policy, in_bracket1, bracket0) is None  # bracket 1 has no rung 1
    assert decide(policy, rec(1, flat(0.1, 3)), bracket0) is None  # alone in bracket 1 at rung 3
    assert decide(policy, rec(6, [0.1]), bracket0).endswith("[bracket 0]")  # index 6 -> bracket 0


def test_hyperband_bad_brackets_are_rejected():
    with pytest.raises(SweepConfigError, match="brackets must be an int from 1 to 4"):
        HyperbandPolicy(max_resource=30, brackets=5)
    assert HyperbandPolicy(max_resource=30, brackets=2).bracket_weights() == [3, 2]


# -- common: no termination, JSON round trip, warning at trial end --------------------------------


@pytest.mark.parametrize(
    "policy",
    [
        BanditPolicy(slack_factor=0.1),
        MedianStoppingPolicy(),
        TruncationSelectionPolicy(50),
        ASHAPolicy(max_resource=9),
        HyperbandPolicy(max_resource=9),
    ],
    ids=["bandit", "median", "truncation", "asha", "hyperband"],
)
def test_on_report_takes_the_goal_as_a_string_in_any_case(policy):
    for goal, sign in (("maximize", 1), ("MAXIMIZE", 1), ("Minimize", -1), ("min", -1)):
        leaders = [rec(i, flat(sign * 0.9, 3)) for i in (0, 2, 4)]  # even indexes: Hyperband's bracket 0
        enum = MAX if sign == 1 else MIN
        trailing = rec(6, flat(sign * 0.1, 3))
        assert decide(policy, trailing, leaders, goal) == decide(policy, trailing, leaders, enum) is not None
        leading = rec(6, flat(sign * 0.95, 3))
        assert decide(policy, leading, leaders, goal) is None
    with pytest.raises(SweepConfigError, match="unknown goal 'biggest'"):
        decide(policy, trailing, leaders, "biggest")


def test_no_termination_never_stops():
    policy = NoTerminationPolicy()
    assert decide(policy, rec(1, flat(0.0, 5)), [rec(0, flat(1.0, 5))]) is None
    assert policy.check_trial_end(rec(1, [0.5], DONE), "acc") is None


ALL_POLICIES = [
    NoTerminationPolicy(),
    BanditPolicy(slack_factor=0.1, evaluation_interval=2, delay_evaluation=4),
    BanditPolicy(slack_amount=0.05),
    MedianStoppingPolicy(evaluation_interval=1, delay_evaluation=5),
    TruncationSelectionPolicy(truncation_percentage=30, exclude_finished_jobs=True),
    ASHAPolicy(max_resource=30, min_resource=2, reduction_factor=2, resource_attr="epoch"),
    HyperbandPolicy(max_resource=81, brackets=3),
]


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=repr)
def test_policy_from_json_rebuilds_every_policy(policy):
    import json

    data = json.loads(json.dumps(policy.to_json()))
    again = policy_from_json(data)
    assert type(again) is type(policy)
    assert again.to_json() == policy.to_json()
    assert repr(again) == repr(policy)


def test_policy_from_json_errors_and_none():
    assert isinstance(policy_from_json(None), NoTerminationPolicy)
    with pytest.raises(SweepConfigError, match="unknown policy name 'banditt'; known: asha, bandit"):
        policy_from_json({"name": "banditt"})
    with pytest.raises(SweepConfigError, match="cannot rebuild BanditPolicy"):
        policy_from_json({"name": "bandit", "slack_factor": 0.1, "slak": 1})
    with pytest.raises(SweepConfigError, match="expected a mapping with a 'name' key"):
        policy_from_json(["bandit"])


@pytest.mark.parametrize("policy", ALL_POLICIES[1:], ids=repr)
def test_check_trial_end_warns_when_no_intermediate_values_were_logged(policy):
    text = policy.check_trial_end(rec(3, [0.9], DONE), "acc")
    assert "completed with 1 value(s) of the primary metric 'acc'" in text
    assert "log('acc', value) once per epoch" in text
    assert policy.check_trial_end(rec(3, [0.5, 0.9], DONE), "acc") is None
    assert policy.check_trial_end(rec(3, [0.9], TrialStatus.FAILED), "acc") is None


# -- through the engine: real stops in worker processes -------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "policy",
    [ASHAPolicy(max_resource=8, min_resource=1, reduction_factor=2), MedianStoppingPolicy(delay_evaluation=2)],
    ids=["asha", "median"],
)
def test_engine_stops_trials_early_in_loky_processes(policy):
    import re

    from objectives import curve

    import hyperwidget as hw
    from hyperwidget.samplers import GridParameterSampling

    space = {"x": hw.choice(1.0, 0.9, 0.2, 0.5, 0.3, 0.4), "epochs": 8, "delay": 0.01}
    run = hw.run_sweep(curve, space, metric="acc", sampler=GridParameterSampling(space), policy=policy,
                       backend="loky", max_concurrent_runs=2, storage=None)  # fmt: skip
    children = run.get_children()
    stopped = [c for c in children if c.status == "StoppedEarly"]
    assert len(stopped) >= 3, "the x <= 0.5 trials trail the leaders at every interval"
    for child in stopped:
        match = re.match(rf"stopped by {policy.name} policy at interval (\d+)", child.error)
        assert match, child.error
        assert len(child.record.series("acc")) == int(match.group(1)) < 8
        assert child.get_hyperparameters()["x"] < 1.0  # the best curve is never stopped
    assert all(len(c.record.series("acc")) == 8 for c in children if c.status == "Completed")


# -- the interface: one method --------------------------------------------------------------------


class StopAfterTwoBelowHalf(EarlyTerminationPolicy):
    """A user's policy: only ``on_report``, no timing settings, no base-class arguments."""

    name = "below_half"

    def on_report(self, trial, trials, metric, goal):  # type: ignore[no-untyped-def]
        values = trial.series(metric)
        return f"{values[-1]:.2f} < 0.5 at interval {len(values)}" if len(values) >= 2 and values[-1] < 0.5 else None


def test_a_policy_is_one_method():
    with pytest.raises(TypeError, match="on_report"):
        type("Empty", (EarlyTerminationPolicy,), {})()
    policy = StopAfterTwoBelowHalf()
    assert decide(policy, rec(1, [0.2]), []) is None
    assert decide(policy, rec(1, [0.2, 0.3]), []) == "0.30 < 0.5 at interval 2"
    assert policy.to_json() == {"name": "below_half"} and repr(policy) == "StopAfterTwoBelowHalf()"


def test_a_one_method_policy_stops_trials_in_run_sweep():
    from objectives import curve

    import hyperwidget as hw

    grid = hw.GridParameterSampling({"x": hw.choice(0.2, 0.9), "epochs": hw.choice(5)})
    run = hw.run_sweep(
        curve,
        metric="acc",
        max_total_runs=2,
        sampler=grid,
        policy=StopAfterTwoBelowHalf(),
        backend="sequential",
        storage=None,
    )
    by_x = {c.get_hyperparameters()["x"]: c for c in run.get_children()}
    assert by_x[0.2].status == "StoppedEarly" and len(by_x[0.2].get_metrics()["acc"]) == 2
    assert by_x[0.9].status == "Completed" and len(by_x[0.9].get_metrics()["acc"]) == 5


def test_hyperdrive_timing_is_a_helper_that_asha_does_not_use():
    from hyperwidget.policies._interval import EvaluationTiming

    assert all(
        isinstance(p, EvaluationTiming)
        for p in (
            BanditPolicy(slack_amount=0.1),
            MedianStoppingPolicy(),
            TruncationSelectionPolicy(truncation_percentage=10),
        )
    )
    asha = ASHAPolicy(max_resource=9)
    assert not isinstance(asha, EvaluationTiming) and "evaluation_interval" not in asha.to_json()
