"""The %%sweep option words -> engine objects (one table; literals only; UsageError naming the option)."""

from __future__ import annotations

import argparse

import pytest
from IPython.core.error import UsageError

from hyperwidget import space as hs
from hyperwidget.notebook import _options as opt
from hyperwidget.policies import (
    POLICIES,
    ASHAPolicy,
    BanditPolicy,
    HyperbandPolicy,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    TruncationSelectionPolicy,
)
from hyperwidget.registry import Entry
from hyperwidget.trial import Goal


@pytest.mark.parametrize(
    ("text", "cls", "attrs"),
    [
        ("bandit(slack_factor=0.1, delay_evaluation=5)", BanditPolicy, {"slack_factor": 0.1, "delay_evaluation": 5}),
        ("median(evaluation_interval=2)", MedianStoppingPolicy, {"evaluation_interval": 2}),
        ("truncation(truncation_percentage=20)", TruncationSelectionPolicy, {"truncation_percentage": 20}),
        ("asha(max_resource=27)", ASHAPolicy, {"max_resource": 27}),
        ("hyperband(max_resource=27, reduction_factor=3)", HyperbandPolicy, {"max_resource": 27}),
        ("none", NoTerminationPolicy, {}),
        ("  Median  ", MedianStoppingPolicy, {"delay_evaluation": 0}),
    ],
)
def test_policy_words_build_the_policy(text, cls, attrs):
    policy = opt.parse_policy(text)
    assert type(policy) is cls
    for key, value in attrs.items():
        assert getattr(policy, key) == value


def test_no_policy_option_means_none():
    assert opt.parse_policy(None) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "bandt(slack_factor=0.1)",
            r"unknown --policy 'bandt'; choose one of: bandit, median, truncation, asha, hyperband",
        ),
        ("bandit(0.1)", r"--policy 'bandit\(0\.1\)': give the arguments by name"),
        ("bandit(slack_factor=x)", r"the value of slack_factor must be a literal"),
        ("bandit(slack_factor=__import__('os').getpid())", r"must be a literal"),
        (
            "bandit(slack=0.1)",
            (
                r"--policy bandit: .*unexpected keyword argument 'slack'.*BanditPolicy accepts: "
                r"slack_factor, slack_amount, evaluation_interval, delay_evaluation"
            ),
        ),
        ("bandit()", r"--policy bandit: BanditPolicy: give exactly one of slack_factor and slack_amount"),
        ("truncation(truncation_percentage=200)", r"--policy truncation: .*1 to 99"),
        ("bandit(slack_factor=0.1", r"cannot read --policy .* was never closed"),
        ("os.system('x')", r"cannot read --policy"),
        ("bandit(**opts)", r"give the arguments by name"),
    ],
)
def test_policy_errors_name_the_option_and_the_fix(text, message):
    with pytest.raises(UsageError, match=message):
        opt.parse_policy(text)


SPACE = {"lr": hs.uniform(0, 1), "k": hs.choice(1, 2)}


@pytest.mark.parametrize(
    ("text", "cls_name", "rule"),
    [
        (None, "RandomParameterSampling", "random"),
        ("random", "RandomParameterSampling", "random"),
        ("sobol", "RandomParameterSampling", "sobol"),
        ("bayesian", "BayesianParameterSampling", None),
    ],
)
def test_sampler_words_build_the_sampler_with_the_seed(text, cls_name, rule):
    sampler = opt.parse_sampler(text).build(SPACE, seed=7)
    assert type(sampler).__name__ == cls_name
    assert sampler.seed == 7
    if rule is not None:
        assert sampler.rule == rule


def test_grid_sampler_and_its_space_error():
    grid = opt.parse_sampler("grid").build({"k": hs.choice(1, 2), "m": hs.choice("a", "b")})
    assert grid.max_trials() == 4
    with pytest.raises(UsageError, match=r"--sampler grid: .*'lr'"):
        opt.parse_sampler("grid").build(SPACE)


def test_sampler_keywords_and_errors():
    sampler = opt.parse_sampler("bayesian(n_initial=3)").build(SPACE, seed=1)
    assert sampler.n_initial == 3
    with pytest.raises(UsageError, match=r"unknown --sampler 'sobel'; choose one of: grid, random, sobol, bayesian\."):
        opt.parse_sampler("sobel")
    with pytest.raises(UsageError, match=r"--sampler sobol: .*unexpected keyword argument 'rule_x'"):
        opt.parse_sampler("sobol(rule_x=1)").build(SPACE)


def test_missing_engine_class_is_a_clear_usage_error(monkeypatch):
    monkeypatch.setitem(POLICIES, "bandit", Entry("hyperwidget.policies:NotWrittenYetPolicy"))
    with pytest.raises(UsageError, match=r"--policy bandit needs hyperwidget\.policies\.NotWrittenYetPolicy"):
        opt.parse_policy("bandit(slack_factor=0.1)")


def test_goal_backend_storage():
    assert opt.parse_goal("min") is Goal.MINIMIZE and opt.parse_goal("Maximize") is Goal.MAXIMIZE
    with pytest.raises(UsageError, match=r"unknown --goal 'up'; choose one of: maximize, minimize"):
        opt.parse_goal("up")
    assert opt.parse_backend("Threads") == "threads"
    with pytest.raises(UsageError, match=r"unknown --backend 'spark'; choose one of: sequential, threads, loky, dask"):
        opt.parse_backend("spark")
    assert opt.parse_storage("none") is None and opt.parse_storage("runs/a.db") == "runs/a.db"


@pytest.mark.parametrize(
    ("parse", "good", "bad"), [(opt.positive_int, ("3", 3), "0"), (opt.positive_float, ("2.5", 2.5), "nan")]
)
def test_number_types_reject_non_positive(parse, good, bad):
    assert parse(good[0]) == good[1]
    with pytest.raises(argparse.ArgumentTypeError, match=f"got '{bad}'"):
        parse(bad)


def test_engine_settings_pass_only_given_options():
    args = argparse.Namespace(
        goal="minimize",
        backend="threads",
        policy="median",
        max_total_runs=5,
        max_concurrent_runs=None,
        trial_timeout=None,
        max_duration_minutes=1.5,
        seed=3,
        name="s1",
        storage="none",
        constraint=["size <= 2"],
    )
    settings = opt.engine_settings(args)
    assert isinstance(settings.pop("policy"), MedianStoppingPolicy)
    assert settings == {
        "goal": "minimize",
        "backend": "threads",
        "max_total_runs": 5,
        "max_duration_minutes": 1.5,
        "seed": 3,
        "name": "s1",
        "storage": None,
        "constraints": ("size <= 2",),
    }
