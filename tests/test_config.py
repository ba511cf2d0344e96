"""Bad settings are refused before any trial starts, on every path (run_sweep, SDK v1, SDK v2, samplers)."""

from __future__ import annotations

import math
import os
import threading
import warnings

import pytest

import hyperwidget as hw
from hyperwidget import HyperwidgetWarning, SearchSpaceError, SweepConfigError


def _sweep(**settings: object) -> list[object]:
    """Run a tiny sweep with ``settings``; the list of calls the objective received."""
    calls: list[object] = []
    arguments = {"metric": "acc", "max_total_runs": 2, "storage": None, "backend": "threads", **settings}
    hw.run_sweep(lambda x: calls.append(x) or x, {"x": hw.uniform(0, 1)}, **arguments)
    return calls


def _hyperdrive(**settings: object) -> hw.HyperDriveConfig:
    return hw.HyperDriveConfig(
        run_config=lambda x: x,
        primary_metric_name="acc",
        primary_metric_goal="MAXIMIZE",
        hyperparameter_sampling=hw.RandomParameterSampling({"x": hw.uniform(0, 1)}),
        **{"max_total_runs": 4, **settings},
    )


def _sweep_job() -> hw.SweepJob:
    job = hw.command(command="python train.py --x ${{inputs.x}}", inputs={"x": 0.1})
    return job(x=hw.Uniform(min_value=0.0, max_value=1.0)).sweep(primary_metric="acc", goal="Maximize")


# --------------------------------------------------------------------------- concurrency


def test_zero_or_negative_concurrency_is_refused_not_read_as_unset() -> None:
    for value in (0, -1):
        message = rf"max_concurrent_runs must be an int >= 1, got max_concurrent_runs={value}; use 1 to run one"
        with pytest.raises(SweepConfigError, match=message):
            _sweep(max_concurrent_runs=value)
        with pytest.raises(SweepConfigError, match=message):
            _hyperdrive(max_concurrent_runs=value)
        with pytest.raises(
            SweepConfigError,
            match=rf"max_concurrent_trials must be an int >= 1, got "
            rf"max_concurrent_trials={value}",
        ):
            _sweep_job().set_limits(max_concurrent_trials=value)
    # None still means unset
    assert _hyperdrive().max_concurrent_runs == 4  # Azure's rule: max_total_runs, gated by the cores at submit
    run = hw.run_sweep(
        lambda x: x, {"x": hw.uniform(0, 1)}, metric="acc", max_total_runs=1, storage=None, backend="threads"
    )
    assert run.config.max_concurrent_runs == 1  # min(max_total_runs, cores)
    job = _sweep_job()
    job.set_limits(max_concurrent_trials=None, max_total_trials=3)
    assert job.limits.max_concurrent_trials is None and job.limits.max_total_trials == 3


def test_more_concurrency_than_cores_is_capped_at_the_cores_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    from hyperwidget.config import cap_concurrency

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    with pytest.warns(
        HyperwidgetWarning,
        match=r"max_concurrent_runs=1000000 is more than this machine's 2 cores; "
        r"running 2 trials at a time",
    ):
        run = hw.run_sweep(
            lambda x: x,
            {"x": hw.uniform(0, 1)},
            metric="acc",
            max_total_runs=3,
            storage=None,
            backend="threads",
            max_concurrent_runs=10**6,
        )
    assert run.config.max_concurrent_runs == 2 and run.status == "Completed"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            hw.run_sweep(
                lambda x: x,
                {"x": hw.uniform(0, 1)},
                metric="acc",
                max_total_runs=3,
                storage=None,
                backend="threads",
                max_concurrent_runs=2,
            ).config.max_concurrent_runs
            == 2
        )
    assert cap_concurrency(10**6, "dask") == 10**6  # the cluster's own workers run the trials
    with pytest.warns(HyperwidgetWarning, match="max_concurrent_runs=64 is more than this machine's 2 cores"):
        assert cap_concurrency(64, "loky") == 2


# --------------------------------------------------------------------------- time limits


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (math.inf, r"trial_timeout must be a finite number of seconds .*got trial_timeout=inf; use None for no limit"),
        (math.nan, r"trial_timeout must be a finite number of seconds .*got trial_timeout=nan"),
        (0, r"trial_timeout must be a number > 0 \(or None for no limit\), got trial_timeout=0"),
        (-5, r"trial_timeout must be a number > 0 \(or None for no limit\), got trial_timeout=-5"),
        (1e10, r"trial_timeout must be at most 9223372036 seconds .*got trial_timeout=10000000000.0"),
        (True, r"trial_timeout must be a number of seconds > 0 .*got trial_timeout=True"),
        ("60", r"trial_timeout must be a number of seconds > 0 .*got trial_timeout='60'"),
    ],
)
def test_unusable_trial_timeouts_are_refused_before_any_trial(value: object, message: str) -> None:
    with pytest.raises(SweepConfigError, match=message):
        _sweep(trial_timeout=value)
    with pytest.raises(SweepConfigError, match=message):
        _hyperdrive(trial_timeout=value)
    with pytest.raises(SweepConfigError, match=message):
        _sweep_job().set_limits(trial_timeout=value)


def test_trial_timeout_stops_at_the_longest_wait_python_timers_accept() -> None:
    with pytest.raises(SweepConfigError, match="trial_timeout must be at most 9223372036 seconds"):
        _sweep(trial_timeout=math.nextafter(threading.TIMEOUT_MAX, math.inf))
    run = hw.run_sweep(
        lambda x: x,
        {"x": hw.uniform(0, 1)},
        metric="acc",
        max_total_runs=2,
        storage=None,
        backend="threads",
        max_concurrent_runs=2,
        trial_timeout=threading.TIMEOUT_MAX,
    )
    assert [t.status.value for t in run.trials] == ["Completed", "Completed"]


@pytest.mark.parametrize("value", [math.inf, math.nan])
def test_non_finite_sweep_budgets_are_refused(value: float) -> None:
    with pytest.raises(
        SweepConfigError,
        match=rf"max_duration_minutes must be a finite number of minutes .*"
        rf"got max_duration_minutes={value}; use None for no limit",
    ):
        _sweep(max_duration_minutes=value)
    with pytest.raises(SweepConfigError, match=rf"max_duration_minutes must be a finite .*={value}"):
        _hyperdrive(max_duration_minutes=value)  # once capped at 10080 with a warning
    with pytest.raises(SweepConfigError, match=rf"timeout must be a finite number of seconds .*got timeout={value}"):
        _sweep_job().set_limits(timeout=value)


# --------------------------------------------------------------------------- search space


def test_an_empty_search_space_is_refused() -> None:
    message = r"the search space is empty \(got \{\}\): a sweep needs at least one hyperparameter; give e.g."
    for make in (
        lambda: hw.run_sweep(lambda: 1.0, {}, metric="acc", storage=None),
        lambda: hw.RandomParameterSampling({}),
        lambda: hw.GridParameterSampling({}),
        lambda: hw.BayesianParameterSampling({}),
        lambda: hw.SearchSpace({}),
    ):
        with pytest.raises(SearchSpaceError, match=message):
            make()
    # a space of constants only is not empty, and comparing with an empty dict is no error
    assert hw.SearchSpace({"epochs": 3}).constants == {"epochs": 3}
    assert hw.SearchSpace({"x": hw.uniform(0, 1)}) != {}


# -- random sampling over an all-discrete space ------------------------------------------------------------------

DISCRETE = {"x": hw.choice(0.1, 0.2, 0.3, 0.4, 0.5, 0.6), "y": hw.randint(6), "epochs": 3}  # 36 configurations


def _discrete_sweep(sampler: object, max_total_runs: int, space: dict[str, object] | None = None) -> hw.SweepRun:
    return hw.run_sweep(
        lambda x, y, **rest: x * y,
        DISCRETE if space is None else space,
        metric="acc",
        sampler=sampler,
        max_total_runs=max_total_runs,
        backend="sequential",
        storage=None,
        seed=1,
    )


def test_random_sampling_past_the_number_of_configurations_warns_with_the_count_and_the_fix() -> None:
    with pytest.warns(HyperwidgetWarning) as caught:
        run = _discrete_sweep("random", 60)
    (warning,) = [w for w in caught if "distinct configurations" in str(w.message)]
    assert str(warning.message) == (
        "RandomParameterSampling: every hyperparameter is discrete and the space has only 36 distinct "
        "configurations, but max_total_runs=60; random draws repeat, so expect about 31 runs to repeat a "
        "configuration. Use sampler='grid' to run each configuration once, or max_total_runs=36 (or fewer) "
        "to silence this warning."
    )
    assert warning.filename == __file__  # the user's line, not hyperwidget's
    distinct = {(t.params["x"], t.params["y"]) for t in run.trials}
    assert 60 - len(distinct) >= 20  # the warning told the truth: many repeats


@pytest.mark.parametrize(
    ("sampler", "says"),
    [("sobol", "at least 24 runs repeat one"), ("bayesian", "at least 24 runs must repeat a configuration")],
)
def test_sobol_and_bayesian_sampling_warn_about_the_runs_that_must_repeat(sampler: str, says: str) -> None:
    with pytest.warns(HyperwidgetWarning, match=rf"only 36 distinct configurations, but max_total_runs=60; .*{says}"):
        _discrete_sweep(sampler, 60)


@pytest.mark.parametrize(
    ("sampler", "runs", "space"),
    [
        ("random", 36, None),  # no more runs than configurations
        ("random", 60, {**DISCRETE, "lr": hw.uniform(0, 1)}),  # one continuous hyperparameter: no repeat expected
        ("random", 60, {**DISCRETE, "q": hw.quniform(0, 1000, 1)}),  # quantized but 36 * 1001 configurations
        ("grid", 36, None),
    ],
)
def test_no_repeat_warning_when_the_space_has_room(sampler: str, runs: int, space: dict[str, object] | None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _discrete_sweep(sampler, runs, space)


def test_expected_repeats_matches_uniform_draws() -> None:
    import numpy as np

    from hyperwidget.config import distinct_configurations, expected_repeats

    assert distinct_configurations(hw.SearchSpace(DISCRETE)) == 36
    assert distinct_configurations(hw.SearchSpace({**DISCRETE, "lr": hw.uniform(0, 1)})) is None
    rng = np.random.default_rng(0)
    simulated = np.mean([60 - len(np.unique(rng.integers(36, size=60))) for _ in range(2000)])
    assert expected_repeats(60, 36) == pytest.approx(simulated, abs=0.3)
    assert expected_repeats(36, 36) == pytest.approx(36 * (35 / 36) ** 36)
