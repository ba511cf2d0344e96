"""The sampler contract, run over every registered sampler (as optuna's ``optuna/testing/pytest_samplers.py``).

Whatever its algorithm, a sampler built by name (as ``run_sweep``, the magic and the CLI build it):

- proposes points of its space, for every expression type it accepts (a sampler may refuse a space
  when it is built, naming the hyperparameter; grid sampling then gets the finite expressions);
- proposes the same points for the same seed, and uses its seed when it stores one;
- returns ``None`` only when its space is exhausted: after ``max_trials()`` distinct points when that is a
  number, never when it is ``None``;
- is stored as plain data (``to_json``) that :func:`sampler_from_json` rebuilds into the same sampler;
- rebuilt from that data, continues the sweep as the original would have (a resumed sweep), repeating
  no grid point;
- reads any history: trials still running, failed, canceled or with NaN metrics;
- accepts the sweep's task (several objectives, constraints) and still proposes points of its space,
  reproducibly; a sampler that uses no metric (random, Sobol, grid) proposes exactly what it would without it.

A new sampler is registered once and this module runs it; tests of one sampler's own algorithm stay in
``test_samplers.py`` and ``test_bayesian.py``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

from hyperwidget.errors import SweepConfigError
from hyperwidget.samplers import SAMPLERS, Sampler, make_sampler, sampler_from_json
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
from hyperwidget.trial import Constraint, Goal, SearchTask, TrialRecord, TrialStatus

#: Every sampler name that ``run_sweep(sampler=...)``, ``%%sweep --sampler`` and stored sweeps accept.
NAMES = sorted(SAMPLERS)

FINITE: dict[str, Any] = {
    "act": choice("relu", "tanh", "gelu"),
    "seed_offset": randint(4),
    "dropout": quniform(0, 0.5, 0.125),
    "width": qloguniform(2, 5, 16),
    "batch": log_randint(8, 512),
    "layers": intrange(1, 5),
    "momentum": finrange(0.8, 0.99, 4),
    "heads": logfinrange(1, 16, 5, cast_int=True),
    "epochs": 3,  # a constant: passed through unchanged
}
#: Every expression type (HyperDrive's ten, the natural-bound ones) and a constant.
EVERY_EXPRESSION: dict[str, Any] = {
    **FINITE,
    "lr": loguniform(-9, -2),
    "alpha": log_uniform(1e-5, 1e-1),
    "shift": uniform(-1, 1),
    "noise": normal(0, 1),
    "offset": qnormal(10, 2, 1),
    "scale": lognormal(0, 0.5),
    "gain": qlognormal(0, 1, 0.5),
}
SMALL_FINITE: dict[str, Any] = {"act": choice("relu", "tanh"), "layers": intrange(1, 3), "epochs": 3}  # 6 points


def build(name: str, space: Mapping[str, Any], seed: int | None) -> Sampler:
    """The sampler registered as ``name``, built as ``run_sweep(sampler=name, seed=seed)`` builds it."""
    return make_sampler(name, space, seed=seed)


def build_over_every_expression(name: str, seed: int | None) -> Sampler:
    """``name`` over every expression type, or over the finite ones when it refuses the others."""
    try:
        return build(name, EVERY_EXPRESSION, seed)
    except SweepConfigError as error:  # make_sampler's report of the sampler's SearchSpaceError
        assert any(repr(n) in str(error) for n in EVERY_EXPRESSION), f"the refusal names no hyperparameter: {error}"
        return build(name, FINITE, seed)


def score(space: SearchSpace, params: Mapping[str, Any]) -> float:
    """A deterministic metric of any point: peaks at unit coordinates 0.3."""
    return -float(np.sum((space.to_unit(params) - 0.3) ** 2))


def run_loop(
    sampler: Sampler,
    n: int,
    history: list[TrialRecord] | None = None,
    concurrency: int = 2,
    extra: Callable[[SearchSpace, Mapping[str, Any]], Mapping[str, float]] | None = None,
) -> list[TrialRecord]:
    """The engine's loop, until ``n`` trials exist or the sampler is exhausted: keep ``concurrency`` trials
    running and finish the oldest first; ``suggest`` sees running trials (no metric) and finished ones
    (``acc``, and the ``extra`` metrics of their parameters)."""
    history = list(history or [])
    running: list[int] = []
    while True:
        while len(running) < concurrency and len(history) < n:
            params = sampler.suggest(list(history), "acc", Goal.MAXIMIZE)
            if params is None:
                break
            history.append(
                TrialRecord(id=f"t{len(history)}", index=len(history), params=params, status=TrialStatus.RUNNING)
            )
            running.append(len(history) - 1)
        if not running:
            return history
        i = running.pop(0)
        history[i] = (
            history[i].replace(status=TrialStatus.COMPLETED).with_value("acc", score(sampler.space, history[i].params))
        )
        for metric, value in (extra(sampler.space, history[i].params) if extra else {}).items():
            history[i] = history[i].with_value(metric, value)


def in_support(expression: Any, value: Any) -> bool:
    """Whether ``value`` is a value ``expression`` can take, of the right type."""
    if isinstance(value, bool) or (expression.is_integer and not isinstance(value, int)):
        return False
    finite = expression.grid_values()
    if finite is not None:
        return value in list(finite)
    low, high = expression.bounds
    if not (isinstance(value, (int, float)) and math.isfinite(value) and low <= value <= high):
        return False
    q = getattr(expression, "q", None)
    return q is None or math.isclose(value / q, round(value / q), abs_tol=1e-9)


def assert_in_space(space: SearchSpace, params: Mapping[str, Any]) -> None:
    assert list(params) == list(space), "a proposal has every name of the space, in order, and no other"
    pairs = zip(space.names, space.expressions, strict=True)
    outside = {n: params[n] for n, e in pairs if not in_support(e, params[n])}
    assert not outside, f"values outside their expression's support: {outside}"
    assert all(params[n] == v for n, v in space.constants.items()), "constants pass through unchanged"
    assert json.loads(json.dumps(params)) == params, "a proposal is plain data (it is stored as JSON)"
    unit = space.to_unit(params)
    assert np.all((unit >= 0) & (unit <= 1))


@pytest.fixture(params=NAMES)
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_every_sampler_of_the_issue_is_registered() -> None:
    assert {"grid", "random", "sobol", "bayesian"} <= set(NAMES)


def test_proposals_lie_in_the_space_for_every_expression_type(name: str) -> None:
    sampler = build_over_every_expression(name, seed=1)
    history = run_loop(sampler, 14)  # past the Bayesian sampler's initial points: its model proposes too
    assert len(history) == 14
    for record in history:
        assert_in_space(sampler.space, record.params)


def test_the_same_seed_gives_the_same_proposals(name: str) -> None:
    first = [r.params for r in run_loop(build(name, FINITE, seed=7), 12, concurrency=3)]
    again = [r.params for r in run_loop(build(name, FINITE, seed=7), 12, concurrency=3)]
    assert first == again


def test_a_stored_seed_is_used(name: str) -> None:
    """Another seed gives other proposals, unless the sampler ignores seeds (and so stores none: grid)."""
    seven, eight = build(name, FINITE, 7), build(name, FINITE, 8)
    proposals = [[r.params for r in run_loop(sampler, 6)] for sampler in (seven, eight)]
    if seven.to_json().get("seed") is None:
        assert proposals[0] == proposals[1]
    else:
        assert proposals[0] != proposals[1]


def test_none_only_when_the_space_is_exhausted(name: str) -> None:
    sampler = build(name, SMALL_FINITE, seed=0)
    bound = sampler.max_trials()
    history = run_loop(sampler, 40)
    if bound is None:  # unbounded: it proposes as long as it is asked (repeats are allowed)
        assert len(history) == 40
        return
    keys = {json.dumps(r.params, sort_keys=True) for r in history}
    assert len(history) == len(keys) == bound == 6, "every point once, then None"
    assert sampler.suggest(history, "acc", Goal.MAXIMIZE) is None
    assert sampler.suggest(history, "acc", Goal.MAXIMIZE) is None, "and None again"


def test_to_json_is_plain_data_that_rebuilds_the_same_sampler(name: str) -> None:
    for seed in (3, None):
        sampler = build(name, FINITE, seed)
        data = sampler.to_json()
        assert json.loads(json.dumps(data)) == data
        rebuilt = sampler_from_json(json.loads(json.dumps(data)))
        assert type(rebuilt) is type(sampler) and rebuilt.space == sampler.space
        assert rebuilt.to_json() == data


def test_a_rebuilt_sampler_continues_the_sweep(name: str) -> None:
    """A resumed sweep: the sampler rebuilt from its stored data and the stored trials goes on as the
    original would have, and a finite sampler proposes no point twice across the resume."""
    space = SMALL_FINITE if build(name, SMALL_FINITE, 0).max_trials() is not None else FINITE
    original = build(name, space, seed=5)
    stored = run_loop(original, 4)
    rebuilt = sampler_from_json(json.loads(json.dumps(original.to_json())))
    resumed = run_loop(rebuilt, 12, history=stored)
    continued = run_loop(original, 12, history=stored)
    assert [r.params for r in resumed] == [r.params for r in continued]
    if rebuilt.max_trials() is not None:
        keys = [json.dumps(r.params, sort_keys=True) for r in resumed]
        assert len(keys) == len(set(keys)) == rebuilt.max_trials()


def test_running_trials_only_are_a_valid_history(name: str) -> None:
    sampler = build_over_every_expression(name, seed=3)
    history: list[TrialRecord] = []
    for i in range(4):  # nothing has finished yet
        params = sampler.suggest(history, "acc", Goal.MAXIMIZE)
        assert params is not None
        assert_in_space(sampler.space, params)
        history.append(TrialRecord(id=f"t{i}", index=i, params=params, status=TrialStatus.RUNNING))


def test_failed_canceled_and_nan_trials_are_a_valid_history(name: str) -> None:
    sampler = build(name, FINITE, seed=5)
    history = run_loop(sampler, 12)
    history[2] = history[2].replace(status=TrialStatus.FAILED, metrics={}, error="Traceback ...")
    history[4] = history[4].replace(metrics={"acc": (math.nan,)})
    history[5] = history[5].replace(status=TrialStatus.CANCELED, metrics={})
    history[7] = history[7].replace(metrics={"acc": (math.inf,)})
    params = sampler.suggest(history, "acc", "maximize")
    assert params is not None
    assert_in_space(sampler.space, params)


def test_a_space_of_constants_only(name: str) -> None:
    sampler = build(name, {"epochs": 3, "opt": "adam"}, 0)
    assert sampler.suggest([], "acc", Goal.MAXIMIZE) == {"epochs": 3, "opt": "adam"}


#: Two objectives (``acc`` as in ``run_loop``, and ``cost``) and two constraints (``mem`` is never logged).
TASK = SearchTask(
    (("acc", Goal.MAXIMIZE), ("cost", Goal.MINIMIZE)), (Constraint.parse("latency <= 0.5"), Constraint.parse("mem < 9"))
)


def task_metrics(space: SearchSpace, params: Mapping[str, Any]) -> dict[str, float]:
    unit = space.to_unit(params)
    return {"cost": float(np.sum(unit)), "latency": float(unit[0])}


def test_a_task_with_objectives_and_constraints_is_accepted(name: str) -> None:
    def proposals(task: SearchTask | None) -> list[dict[str, Any]]:
        sampler = build(name, FINITE, seed=4)
        if task is not None:
            sampler.set_task(task)
        history = run_loop(sampler, 14, extra=task_metrics)
        for record in history:
            assert_in_space(sampler.space, record.params)
        return [r.params for r in history]

    first = proposals(TASK)
    assert first == proposals(TASK)
    if name in ("random", "sobol", "grid"):
        assert first == proposals(None), "a sampler that uses no metric ignores the task"
