"""Samplers, one by one: grid order and errors, random/Sobol reproducibility and discrepancy, and the JSON
registry. The contract every sampler keeps (determinism, exhaustion, JSON resume) is test_sampler_contract.py."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy import stats
from scipy.stats import qmc

from hyperwidget.errors import SearchSpaceError, SweepConfigError
from hyperwidget.samplers import (
    SAMPLERS as SAMPLER_NAMES,
)
from hyperwidget.samplers import (
    GridParameterSampling,
    GridSamplingAlgorithm,
    RandomParameterSampling,
    RandomSamplingAlgorithm,
    Sampler,
    register_sampler,
    sampler_from_json,
)
from hyperwidget.samplers._bayesian import BayesianParameterSampling
from hyperwidget.space import (
    SearchSpace,
    choice,
    finrange,
    intrange,
    log_randint,
    log_uniform,
    logfinrange,
    lognormal,
    loguniform,
    normal,
    qlognormal,
    qloguniform,
    qnormal,
    quniform,
    randint,
    uniform,
)
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

#: Finite, and made of the expressions every sampler supports (HyperDrive's Bayesian: choice, quniform).
SPACE = {"bs": choice(16, 32, 64), "depth": quniform(1, 5, 1), "act": choice("relu", "tanh"), "epochs": 3}
GRID_SIZE = 3 * 5 * 2


def objective(params: dict[str, Any]) -> float:
    """A deterministic score of any configuration (peaks at bs=32, depth=3, act='tanh' for SPACE)."""
    score = 0.0
    for name, value in params.items():
        if isinstance(value, str):
            score += 0.5 * (value == "tanh")
        elif name == "bs":
            score -= abs(math.log2(value) - 5)
        else:
            score -= abs(float(value) - 3)
    return score


def run_loop(sampler: Sampler, n: int, *, concurrency: int = 2) -> list[TrialRecord]:
    """The engine's asynchronous loop: keep ``concurrency`` trials running, finish the oldest first.

    ``suggest`` sees queued/running trials (parameters, no metrics) and finished ones (with metrics).
    """
    history: list[TrialRecord] = []
    running: list[int] = []
    exhausted = False
    while not exhausted or running:
        while not exhausted and len(running) < concurrency and len(history) < n:
            params = sampler.suggest(list(history), "acc", Goal.MAXIMIZE)
            if params is None:
                exhausted = True
                break
            history.append(
                TrialRecord(id=f"t{len(history)}", index=len(history), params=params, status=TrialStatus.RUNNING)
            )
            running.append(len(history) - 1)
        if len(history) >= n:
            exhausted = True
        if running:
            i = running.pop(0)
            history[i] = (
                history[i].replace(status=TrialStatus.COMPLETED).with_value("acc", objective(history[i].params))
            )
    return history


def in_support(space: SearchSpace, params: dict[str, Any]) -> bool:
    for name, expr in zip(space.names, space.expressions, strict=True):
        values = expr.grid_values()
        if values is not None and params[name] not in list(values):
            return False
        if values is None and not expr.bounds[0] <= params[name] <= expr.bounds[1]:
            return False
    return all(params[k] == v for k, v in space.constants.items())


# ----------------------------------------------------------------------------- grid


def test_grid_enumerates_every_combination_in_product_order_then_stops() -> None:
    grid = GridParameterSampling(SPACE)
    history = run_loop(grid, 1000, concurrency=4)
    expected = [
        {"bs": bs, "depth": depth, "act": act, "epochs": 3}
        for bs, depth, act in itertools.product((16, 32, 64), (1, 2, 3, 4, 5), ("relu", "tanh"))
    ]
    assert [r.params for r in history] == expected
    assert grid.max_trials() == GRID_SIZE == len(expected)
    assert grid.suggest(history, "acc", Goal.MAXIMIZE) is None


def test_grid_max_total_runs_cuts_the_grid_short() -> None:
    history = run_loop(GridParameterSampling(SPACE), 7)
    assert [r.params for r in history] == [GridParameterSampling(SPACE).point(i) for i in range(7)]


def test_grid_skips_points_already_in_history_whatever_their_status_or_order() -> None:
    grid = GridParameterSampling({"a": choice(1, 2, 3), "b": choice("x", "y")})
    done = [grid.point(i) for i in (0, 2)]
    history = [
        TrialRecord(id="r0", index=0, params=done[1], status=TrialStatus.FAILED),
        TrialRecord(id="r1", index=1, params={"a": 9, "b": "z"}, status=TrialStatus.COMPLETED),  # foreign point
        TrialRecord(id="r2", index=2, params=done[0], status=TrialStatus.RUNNING),
        TrialRecord(id="r3", index=3, params={"a": 2.0, "b": "y"}, status=TrialStatus.QUEUED),  # point 3: 2.0 == 2
    ]
    assert grid.suggest(history, "acc", Goal.MAXIMIZE) == grid.point(1)
    history.append(TrialRecord(id="r4", index=4, params=grid.point(1)))
    assert grid.suggest(history, "acc", Goal.MAXIMIZE) == grid.point(4)
    # A history that is not an extension of the previous one (a reloaded sweep) is re-read from scratch.
    assert grid.suggest(history[2:3], "acc", Goal.MAXIMIZE) == grid.point(1)
    assert grid.suggest([], "acc", Goal.MAXIMIZE) == grid.point(0)


def test_grid_never_proposes_a_point_twice_even_with_duplicate_options() -> None:
    grid = GridParameterSampling({"a": choice(1, 1, 2), "b": finrange(0.0, 1.0, 3)})
    proposals = [json.dumps(r.params) for r in run_loop(grid, 100, concurrency=3)]
    assert len(proposals) == len(set(proposals)) == grid.max_trials() == 6


def test_grid_accepts_every_finite_expression() -> None:
    space = {
        "c": choice("a", "b"),
        "r": randint(2),
        "q": quniform(0, 4, 2),
        "ql": qloguniform(0, 1, 1),
        "i": intrange(1, 2),
        "lr": log_randint(1, 2),
        "f": finrange(0.5, 1.5, 3),
        "lf": logfinrange(1, 4, 3),
    }
    grid = GridParameterSampling(space)
    assert grid.max_trials() == 2 * 2 * 3 * 3 * 2 * 2 * 3 * 3  # qloguniform(0, 1, 1) is 1, 2 or 3
    assert grid.point(grid.max_trials() - 1) == {
        "c": "b",
        "r": 1,
        "q": 4,
        "ql": 3,
        "i": 2,
        "lr": 2,
        "f": 1.5,
        "lf": 4.0,
    }


@pytest.mark.parametrize(
    "expr",
    [
        uniform(0, 1),
        loguniform(-5, -1),
        normal(0, 1),
        qnormal(0, 1, 1),
        lognormal(0, 1),
        qlognormal(0, 1, 1),
        log_uniform(1e-4, 1e-1),
    ],
    ids=repr,
)
def test_grid_rejects_continuous_expressions_naming_the_parameter_and_the_fix(expr) -> None:
    with pytest.raises(SearchSpaceError, match=r"'lr' is .* continuous; use choice\(\.\.\.\) .* for 'lr'"):
        GridParameterSampling({"bs": choice(16, 32), "lr": expr})


def test_huge_grid_is_addressed_by_index_without_materialising() -> None:
    grid = GridParameterSampling({f"x{i}": choice(*range(10)) for i in range(20)} | {"seed": randint(10**9)})
    assert grid.max_trials() == 10**29
    assert grid.point(10**29 - 1) == {**{f"x{i}": 9 for i in range(20)}, "seed": 10**9 - 1}
    assert grid.point(10**9 + 5) == {**{f"x{i}": 0 for i in range(19)}, "x19": 1, "seed": 5}
    history = run_loop(grid, 3)
    assert [r.params["seed"] for r in history] == [0, 1, 2]
    with pytest.raises(IndexError):
        grid.point(10**29)


def test_v2_grid_sampling_algorithm_builds_the_grid() -> None:
    grid = GridSamplingAlgorithm().build(SPACE)
    assert isinstance(grid, GridParameterSampling) and grid.max_trials() == GRID_SIZE


# ----------------------------------------------------------------------------- random


ALL_TEN = {
    "c": choice(1, 2),
    "r": randint(5),
    "u": uniform(0, 1),
    "qu": quniform(0, 10, 2),
    "lu": loguniform(-3, 0),
    "qlu": qloguniform(0, 2, 1),
    "n": normal(0, 1),
    "qn": qnormal(0, 2, 1),
    "ln": lognormal(0, 1),
    "qln": qlognormal(0, 1, 1),
}


@pytest.mark.parametrize("rule", ["random", "sobol"])
def test_random_proposal_i_depends_only_on_seed_and_index(rule: str) -> None:
    sampler = RandomParameterSampling(ALL_TEN, rule=rule, seed=42)
    straight = [r.params for r in run_loop(sampler, 20, concurrency=3)]
    # A resumed sweep (a fresh sampler, a history of 15 trials) continues the same sequence.
    resumed = RandomParameterSampling(ALL_TEN, rule=rule, seed=42)
    history = [TrialRecord(id=f"t{i}", index=i, params=p) for i, p in enumerate(straight[:15])]
    assert resumed.suggest(history, "acc", Goal.MAXIMIZE) == straight[15]
    other = RandomParameterSampling(ALL_TEN, rule=rule, seed=43)
    assert other.suggest([], "acc", Goal.MAXIMIZE) != straight[0]


def test_random_without_seed_differs_between_sweeps() -> None:
    a, b = RandomParameterSampling(ALL_TEN), RandomParameterSampling(ALL_TEN)
    assert a.suggest([], "m", Goal.MINIMIZE) != b.suggest([], "m", Goal.MINIMIZE)


@pytest.mark.parametrize("rule", ["random", "sobol"])
def test_sampler_proposals_follow_each_expressions_law(rule: str) -> None:
    space = {"u": uniform(-1, 3), "n": normal(2, 0.5), "lu": log_uniform(1e-4, 1e-1)}
    params = [
        RandomParameterSampling(space, rule=rule, seed=9).suggest([None] * i, "m", Goal.MAXIMIZE) for i in range(512)
    ]
    laws = {"u": stats.uniform(-1, 4), "n": stats.norm(2, 0.5), "lu": stats.loguniform(1e-4, 1e-1)}
    for name, law in laws.items():
        assert stats.kstest([p[name] for p in params], law.cdf).pvalue > 1e-3


def test_v1_properties_and_v2_algorithm_configure_sobol() -> None:
    expected = RandomParameterSampling(ALL_TEN, rule="sobol", seed=123).suggest([], "m", Goal.MAXIMIZE)
    v1 = RandomParameterSampling(ALL_TEN, properties={"rule": "sobol", "seed": 123})
    v2 = RandomSamplingAlgorithm(seed=123, rule="sobol").build(ALL_TEN)
    assert v1.rule == v2.rule == "sobol" and v1.seed == v2.seed == 123
    assert v1.suggest([], "m", Goal.MAXIMIZE) == v2.suggest([], "m", Goal.MAXIMIZE) == expected


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (
            lambda: RandomParameterSampling(SPACE, rule="halton"),
            r"unknown rule 'halton'; use one of: random, sobol",
        ),
        (
            lambda: RandomParameterSampling(SPACE, seed="7"),
            r"seed must be a non-negative int or None, got seed='7'",
        ),
        (lambda: RandomParameterSampling(SPACE, seed=-1), r"seed must be a non-negative int"),
        (lambda: RandomSamplingAlgorithm(logbase=10), r"only logbase='e' is supported, got logbase=10"),
        (lambda: RandomSamplingAlgorithm(rule="grid"), r"RandomSamplingAlgorithm: unknown rule 'grid'"),
    ],
)
def test_random_settings_errors(build: Callable[[], Any], match: str) -> None:
    with pytest.raises(SweepConfigError, match=match):
        build()


# ----------------------------------------------------------------------------- sobol


def unit_points(rule: str, seed: int, n: int, dims: int = 3) -> np.ndarray:
    space = SearchSpace({f"x{j}": uniform(0, 1) for j in range(dims)})
    sampler = RandomParameterSampling(space, rule=rule, seed=seed)
    return np.array([space.to_unit(sampler.suggest([None] * i, "m", Goal.MAXIMIZE)) for i in range(n)])


def test_sobol_points_have_lower_discrepancy_than_random_points() -> None:
    sobol = [qmc.discrepancy(unit_points("sobol", s, 128)) for s in range(4)]
    random = [qmc.discrepancy(unit_points("random", s, 128)) for s in range(4)]
    assert max(sobol) < min(random)
    assert np.mean(sobol) < 0.2 * np.mean(random)


def test_sobol_first_power_of_two_points_stratify_every_axis() -> None:
    points = unit_points("sobol", 5, 256)
    for j in range(points.shape[1]):
        assert sorted(np.floor(points[:, j] * 256).astype(int)) == list(range(256))


def test_sobol_is_scrambled_and_reproducible() -> None:
    assert np.array_equal(unit_points("sobol", 1, 16), unit_points("sobol", 1, 16))
    assert not np.array_equal(unit_points("sobol", 1, 16), unit_points("sobol", 2, 16))
    assert not np.allclose(unit_points("sobol", 1, 1), 0.0)  # unscrambled Sobol starts at the origin


def test_sobol_point_i_does_not_depend_on_the_order_of_requests() -> None:
    in_order = RandomParameterSampling(ALL_TEN, rule="sobol", seed=4)
    jumping = RandomParameterSampling(ALL_TEN, rule="sobol", seed=4)
    expected = [in_order.sobol_point(i) for i in range(100)]
    for i in (99, 3, 64, 0, 17):
        assert np.array_equal(jumping.sobol_point(i), expected[i])


def test_sobol_without_seed_keeps_its_scrambling_across_a_json_resume() -> None:
    sampler = RandomParameterSampling(ALL_TEN, rule="sobol")
    rebuilt = sampler_from_json(json.loads(json.dumps(sampler.to_json())))
    history = [None] * 9
    assert rebuilt.suggest(history, "m", Goal.MAXIMIZE) == sampler.suggest(history, "m", Goal.MAXIMIZE)


def test_bayesian_without_seed_keeps_its_initial_sobol_points_across_a_json_resume() -> None:
    sampler = BayesianParameterSampling(ALL_TEN)
    rebuilt = sampler_from_json(json.loads(json.dumps(sampler.to_json())))
    history: list[TrialRecord] = []
    for i in range(4):
        proposal = sampler.suggest(history, "m", Goal.MAXIMIZE)
        assert rebuilt.suggest(history, "m", Goal.MAXIMIZE) == proposal
        history.append(TrialRecord(f"t{i}", i, proposal, TrialStatus.RUNNING))


def test_sobol_maps_all_ten_expressions_into_their_support() -> None:
    sampler = RandomParameterSampling(ALL_TEN, rule="sobol", seed=0)
    for i in range(64):
        params = sampler.suggest([None] * i, "m", Goal.MAXIMIZE)
        assert in_support(sampler.space, params)


# ----------------------------------------------------------------------------- registry


def test_sampler_from_json_reads_the_sobol_alias() -> None:
    data = {"name": "sobol", "seed": 3, "space": SearchSpace(SPACE).to_json()}
    sampler = sampler_from_json(data)
    assert isinstance(sampler, RandomParameterSampling) and sampler.rule == "sobol" and sampler.seed == 3


def test_sampler_from_json_errors() -> None:
    with pytest.raises(SweepConfigError, match=r"unknown sampler 'annealing' .* known: .*grid.*random"):
        sampler_from_json({"name": "annealing", "space": {}})
    with pytest.raises(SweepConfigError, match=r"a dict with 'name' and 'space'"):
        sampler_from_json({"seed": 1})


def test_registered_samplers_are_rebuilt_from_stored_data() -> None:
    register_sampler("fixed-grid", GridParameterSampling)
    try:
        rebuilt = sampler_from_json({"name": "fixed-grid", "space": SearchSpace(SPACE).to_json()})
        assert isinstance(rebuilt, GridParameterSampling)
    finally:
        SAMPLER_NAMES.pop("fixed-grid")
