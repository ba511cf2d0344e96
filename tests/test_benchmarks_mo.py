"""The pieces of the constrained and multi-objective benchmarks: hypervolume, problems at their optima, scores.

The benchmarks' figures are only as good as these: a wrong hypervolume or a
wrong optimum would rank the samplers wrongly without any error.
"""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import _constrained_problems as cp
import _mo_problems as mp
from _hypervolume import hypervolume, nondominated
from _task_bench import ranks
from _task_methods import hw_random, search_task


# -- hypervolume ----------------------------------------------------------------------------------
def _inclusion_exclusion(points: np.ndarray, ref: np.ndarray) -> float:
    """Exact hypervolume by inclusion-exclusion over every subset (an independent, exponential algorithm)."""
    total = 0.0
    for size in range(1, len(points) + 1):
        for subset in itertools.combinations(points, size):
            corner = np.max(subset, axis=0)
            total += (-1) ** (size + 1) * float(np.prod(np.clip(ref - corner, 0, None)))
    return total


def test_hypervolume_of_simple_sets():
    assert hypervolume([[0.25, 0.75], [0.75, 0.25]], [1, 1]) == pytest.approx(0.3125)
    assert hypervolume([[0.5, 0.5, 0.5]], [1, 1, 1]) == pytest.approx(0.125)
    assert hypervolume(np.empty((0, 2)), [1, 1]) == 0.0
    # points on or beyond the reference point add nothing; dominated points add nothing
    assert hypervolume([[1.0, 0.0], [2.0, -1.0], [0.5, 0.5]], [1, 1]) == pytest.approx(0.25)
    assert hypervolume([[0.5, 0.5], [0.6, 0.7], [0.5, 0.5]], [1, 1]) == pytest.approx(0.25)


@pytest.mark.parametrize("n_objectives", [2, 3, 4])
def test_hypervolume_matches_inclusion_exclusion(n_objectives):
    rng = np.random.default_rng(n_objectives)
    for n in (1, 2, 5, 8):
        points = rng.random((n, n_objectives))
        ref = np.full(n_objectives, 1.1)
        assert hypervolume(points, ref) == pytest.approx(_inclusion_exclusion(points, ref), rel=1e-12)


def test_hypervolume_of_sampled_true_fronts_approaches_the_known_value():
    f1 = np.linspace(0, 1, 2001)
    zdt1_front = np.column_stack([f1, 1 - np.sqrt(f1)])
    assert hypervolume(zdt1_front, mp.ZDT_REFERENCE) == pytest.approx(121 - 1 / 3, abs=1e-3)
    angles = np.linspace(0, math.pi / 2, 20)
    a, b = np.meshgrid(angles, angles)
    sphere = np.column_stack([(np.cos(a) * np.cos(b)).ravel(), (np.cos(a) * np.sin(b)).ravel(), np.sin(a).ravel()])
    value = hypervolume(sphere, [1.1, 1.1, 1.1])
    assert 1.331 - math.pi / 6 - 0.05 < value < 1.331 - math.pi / 6  # a sampled front is dominated by the true one
    assert mp.zdt3_best_hv(20_001) == pytest.approx(mp.zdt3_best_hv(), abs=1e-3)


def test_nondominated_keeps_the_front_once():
    points = np.array([[1, 3], [2, 2], [3, 1], [2, 3], [2, 2], [3, 3]])
    assert sorted(map(tuple, nondominated(points))) == [(1, 3), (2, 2), (3, 1)]


# -- multi-objective problems ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", [1, 2, 3])
def test_zdt_on_its_front(kind):
    f1 = 0.3
    x = np.array([f1, 0.0, 0.0, 0.0])  # the tail at zero: g = 1, a Pareto-optimal point
    expected = {1: 1 - math.sqrt(f1), 2: 1 - f1**2, 3: 1 - math.sqrt(f1) - f1 * math.sin(10 * math.pi * f1)}[kind]
    assert mp.zdt(x, kind) == pytest.approx((f1, expected))
    assert mp.zdt(np.array([f1, 1.0, 1.0, 1.0]), kind)[1] > expected  # any other tail is worse


@pytest.mark.parametrize("n_objectives", [2, 3])
def test_dtlz2_on_its_front_is_on_the_unit_sphere(n_objectives):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.random(n_objectives - 1), np.full(4, 0.5)])
    assert sum(v**2 for v in mp.dtlz2(x, n_objectives)) == pytest.approx(1.0)
    off = np.concatenate([x[: n_objectives - 1], np.full(4, 0.9)])
    assert sum(v**2 for v in mp.dtlz2(off, n_objectives)) > 1.0


def test_problem_catalogue_halves_and_reference_points():
    problems = mp.all_problems(include_tasks=False)
    assert {p.half for p in problems.values()} == {mp.TUNING, mp.HELD_OUT}
    for p in problems.values():
        assert len(p.reference) == len(p.evaluate(dict.fromkeys(p.space, 0.5)))
        assert p.best_hv > 0


def test_mlp_weight_count():
    assert mp.mlp_weights(4, 1) == 64 * 4 + 4 + 4 * 10 + 10
    assert mp.mlp_weights(8, 2) == (64 * 8 + 8) + (8 * 8 + 8) + (8 * 10 + 10)


# -- constrained problems -------------------------------------------------------------------------
CONSTRAINED = cp.all_problems(include_tasks=False)
PUBLISHED = {  # best values published for the design problems, and Gramacy et al.'s
    "gramacy": 0.5998,
    "spring": 0.0126652,
    "pressure-vessel": 5885.33,
    "welded-beam": 1.72485,
    "branin-disk": 0.397887,
}


@pytest.mark.parametrize("name", list(CONSTRAINED))
def test_constrained_optimizer_is_feasible_and_attains_the_optimum(name):
    problem = CONSTRAINED[name]
    metrics = problem.evaluate(problem.optimizer)
    assert metrics["loss"] == pytest.approx(problem.optimum, rel=1e-6, abs=1e-9)
    assert all(metrics[c] <= 1e-8 for c in problem.constraints)
    if name in PUBLISHED:
        assert problem.optimum == pytest.approx(PUBLISHED[name], rel=1e-4)


@pytest.mark.parametrize("name", list(CONSTRAINED))
def test_no_random_feasible_point_beats_the_optimum(name):
    problem = CONSTRAINED[name]
    function = getattr(cp, name.replace("-", "_"))
    lows = np.array([e.min_value for e in problem.space.values()])
    highs = np.array([e.max_value for e in problem.space.values()])
    x = lows + (highs - lows) * np.random.default_rng(0).random((20_000, len(lows)))
    with np.errstate(all="ignore"):
        loss, constraints = function(x)
    feasible = np.all(np.array(constraints) <= 0, axis=0)
    assert feasible.any()
    assert loss[feasible].min() >= problem.optimum - 1e-9


def test_constraints_are_named_for_the_search_task():
    problem = CONSTRAINED["welded-beam"]
    task = search_task(problem.objectives, problem.constraints)
    assert task.metric == "loss" and not task.is_multi_objective
    assert [str(c) for c in task.constraints] == [f"c{i} <= 0" for i in range(6)]


# -- runs and scores ------------------------------------------------------------------------------
def test_hyperwidget_run_records_every_objective_and_constraint():
    problem = CONSTRAINED["gramacy"]
    runs = hw_random(problem.space, problem.evaluate, problem.objectives, problem.constraints, 5, seed=0)
    assert len(runs) == 5 and all(set(r) == {"loss", "c0", "c1"} for r in runs)
    again = hw_random(problem.space, problem.evaluate, problem.objectives, problem.constraints, 5, seed=0)
    assert runs == again


def test_best_feasible_regret_ignores_infeasible_points():
    from constrained import best_feasible

    run = {"values": [[0.1, 1.0], [0.5, -1.0], [0.3, 0.0], [0.0, 2.0]]}
    assert best_feasible(run, 4) == 0.3
    assert best_feasible(run, 2) == 0.5
    assert best_feasible({"values": [[0.1, 1.0]]}, 1) == math.inf


def test_ranks_share_ties_and_put_infinite_regret_last():
    table = {"p": {"a": math.inf, "b": math.inf, "c": 1.0}}
    assert ranks(table, higher_is_better=False) == {"p": {"a": 2.5, "b": 2.5, "c": 1.0}}
    assert ranks({"p": {"a": 2.0, "b": 1.0}}, higher_is_better=True) == {"p": {"a": 1.0, "b": 2.0}}


def test_optuna_runner_passes_constraints():
    pytest.importorskip("optuna")
    from _task_methods import METHODS

    problem = CONSTRAINED["gardner1"]
    runs = METHODS["optuna-tpe"](problem.space, problem.evaluate, problem.objectives, problem.constraints, 3, 0)
    assert len(runs) == 3 and all(set(r) == {"loss", "c0"} for r in runs)
