"""One registry per concept: every front end reads the same names, and an unknown name lists them."""

from __future__ import annotations

import argparse

import pytest
from IPython.core.error import UsageError

import hyperwidget as hw
from hyperwidget import sweep_job
from hyperwidget.__main__ import main
from hyperwidget.errors import SweepConfigError
from hyperwidget.executor import BACKENDS, Backend, get_backend
from hyperwidget.notebook import _options
from hyperwidget.policies import POLICIES, EarlyTerminationPolicy, make_policy, policy_from_json
from hyperwidget.registry import Call, Entry, Registry
from hyperwidget.samplers import SAMPLERS, Sampler, make_sampler, register_sampler, sampler_from_json

SPACE = {"x": hw.uniform(0, 1), "k": hw.choice(1, 2)}


def _fast(x: float, k: int) -> None:
    for step in (1, 2):  # a learning curve, for the policy
        hw.log("m", x * k * step)


def test_the_tables_hold_the_documented_names_in_order() -> None:
    assert list(SAMPLERS) == ["grid", "random", "sobol", "bayesian"]
    assert list(POLICIES) == ["bandit", "median", "truncation", "asha", "hyperband", "none"]
    assert list(BACKENDS) == ["sequential", "threads", "loky", "dask"]


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_every_registered_sampler_constructs_and_round_trips(name: str) -> None:
    space = {"k": hw.choice(1, 2), "m": hw.choice("a", "b")} if name == "grid" else SPACE
    sampler = make_sampler(name, space, seed=3)
    assert isinstance(sampler, Sampler)
    again = sampler_from_json(sampler.to_json())
    assert type(again) is type(sampler) and again.to_json() == sampler.to_json()


def test_sobol_is_random_sampling_with_the_sobol_rule_and_keywords_are_passed() -> None:
    assert make_sampler("sobol", SPACE, seed=1).rule == "sobol"
    assert make_sampler("bayesian(n_initial=4)", SPACE).n_initial == 4


#: The keywords a policy cannot do without (the others have defaults).
REQUIRED = {
    "bandit": "slack_factor=0.1",
    "truncation": "truncation_percentage=20",
    "asha": "max_resource=27",
    "hyperband": "max_resource=27",
}


@pytest.mark.parametrize("name", list(POLICIES))
def test_every_registered_policy_constructs_and_round_trips(name: str) -> None:
    policy = make_policy(f"{name}({REQUIRED.get(name, '')})")
    assert isinstance(policy, EarlyTerminationPolicy) and policy.name == name
    assert policy_from_json(policy.to_json()).to_json() == policy.to_json()


@pytest.mark.parametrize("name", list(BACKENDS))
def test_every_registered_backend_constructs(name: str) -> None:
    backend = get_backend(name)
    assert isinstance(backend, Backend) and backend.name == name


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: make_sampler("sobel", SPACE),
            "unknown sampler 'sobel'; choose one of: grid, random, sobol, bayesian.",
        ),
        (
            lambda: make_policy("bandt"),
            "unknown policy 'bandt'; choose one of: bandit, median, truncation, asha, hyperband, none.",
        ),
        (lambda: get_backend("spark"), "unknown backend 'spark'; choose one of: sequential, threads, loky, dask."),
    ],
)
def test_an_unknown_name_lists_the_registered_ones(build, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SweepConfigError) as error:
        build()
    assert str(error.value) == message


def test_run_sweep_takes_registered_names_for_sampler_policy_and_backend() -> None:
    run = hw.run_sweep(
        _fast,
        SPACE,
        metric="m",
        sampler="sobol",
        policy="median(delay_evaluation=1)",
        backend="threads",
        max_total_runs=3,
        max_concurrent_runs=1,
        seed=5,
        storage=None,
        monitor=False,
    )
    assert run.status == "Completed"
    assert run.config.sampler.rule == "sobol" and run.config.sampler.seed == 5
    assert run.config.policy.name == "median" and run.config.policy.delay_evaluation == 1
    assert run.config.backend == "threads"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"sampler": "anneal"}, r"unknown sampler 'anneal'; choose one of: grid, random, sobol, bayesian\."),
        ({"policy": "bandit(slak=1)"}, r"policy bandit: .*unexpected keyword argument 'slak'.*accepts: slack_factor"),
        ({"backend": "spark"}, r"unknown backend 'spark'; choose one of: sequential, threads, loky, dask\."),
    ],
)
def test_run_sweep_refuses_unknown_names_before_any_trial(settings, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SweepConfigError, match=message):
        hw.run_sweep(_fast, SPACE, metric="m", storage=None, monitor=False, **settings)


def test_a_registered_sampler_reaches_every_front_end() -> None:
    register_sampler("halton", "hyperwidget.samplers._random:RandomParameterSampling", rule="sobol")
    try:
        assert make_sampler("halton", SPACE).rule == "sobol"  # the API
        assert _options.parse_sampler("halton").build(SPACE).rule == "sobol"  # the magic
        built = sweep_job._algorithm("halton").build(SPACE)  # Azure v2's sampling_algorithm
        assert built.rule == "sobol"
        with pytest.raises(UsageError, match="choose one of: grid, random, sobol, bayesian, halton"):
            _options.parse_sampler("haltom")
    finally:
        SAMPLERS.pop("halton")


def test_register_sampler_refuses_what_is_not_a_sampler_class() -> None:
    with pytest.raises(SweepConfigError, match="give a Sampler subclass"):
        register_sampler("mine", lambda data: None)  # type: ignore[arg-type]


def test_the_magic_and_the_cli_read_the_backend_table(capsys: pytest.CaptureFixture[str]) -> None:
    for name in BACKENDS:
        assert _options.parse_backend(name.upper()) == name
    with pytest.raises(SystemExit):
        main(["demo", "--backend", "spark"])
    assert "choose from 'sequential', 'threads', 'loky', 'dask'" in capsys.readouterr().err


def test_v2_names_are_the_sampler_table() -> None:
    with pytest.raises(SweepConfigError, match="unknown 'bayes'; use one of: grid, random, sobol, bayesian"):
        sweep_job._algorithm("bayes")
    assert sweep_job._algorithm("Sobol").build(SPACE).rule == "sobol"


def test_a_registry_parses_calls_with_literals_only() -> None:
    table = Registry("thing", {"box": Entry(dict, {"kind": "box"})})
    assert table.parse(" Box(size=3) ") == Call("box", {"size": 3})
    assert table.build("box(size=[1, 2])") == {"kind": "box", "size": [1, 2]}
    with pytest.raises(SweepConfigError, match=r"the value of size must be a literal"):
        table.parse("box(size=open('f'))")
    with pytest.raises(SweepConfigError, match=r"cannot read thing 'box\(': .*; write it like thing=\"box\(...\)\""):
        table.parse("box(")


def test_an_entry_that_cannot_be_imported_names_its_target() -> None:
    table = Registry("policy", {"later": Entry("hyperwidget.policies:NotWrittenYet")})
    with pytest.raises(
        SweepConfigError,
        match=r"policy later needs hyperwidget\.policies\.NotWrittenYet, which "
        r"cannot be imported .*; choose another policy\.",
    ):
        table.build("later")


def test_engine_settings_validate_the_backend_through_the_table() -> None:
    args = argparse.Namespace(
        goal="max",
        backend="Sequential",
        policy=None,
        max_total_runs=None,
        max_concurrent_runs=None,
        trial_timeout=None,
        max_duration_minutes=None,
        seed=None,
        name=None,
        storage=None,
    )
    assert _options.engine_settings(args)["backend"] == "sequential"
