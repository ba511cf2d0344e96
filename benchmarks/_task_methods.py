"""Optimisers of the constrained and multi-objective benchmarks, each through its own ask/tell loop.

A run gets a hyperwidget space, an ``evaluate(params) -> {metric: value}``, the
names of the objectives (all minimised) and of the constraints (each feasible
when its value is <= 0), and returns every evaluation's metrics in order.

- ``hw-*``: the sampler gets ``set_task(SearchTask(objectives, constraints))``
  as the engine would give it, and ``TrialRecord``s whose ``metrics`` hold every
  objective and constraint value.
- ``optuna-*``: ``constraints_func`` returns the constraint values, stored on
  the trial (``user_attrs``) before ``tell``; several objectives make a study
  with several ``directions``. Every sampler has its defaults but the seed:
  what a user gets by picking it (NSGA-II's population is 50). Optuna 5
  deprecates ``constraints_func`` in favour of ``Trial.set_constraint``; both
  give the samplers the same values.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from _methods import _optuna_suggest

from hyperwidget.trial import Constraint, Goal, SearchTask, TrialRecord, TrialStatus

Evaluate = Callable[[Mapping[str, Any]], dict[str, float]]
Runner = Callable[[Mapping[str, Any], Evaluate, Sequence[str], Sequence[str], int, int], list[dict[str, float]]]


# -- hyperwidget ----------------------------------------------------------------------------------
def search_task(objectives: Sequence[str], constraints: Sequence[str]) -> SearchTask:
    """The task a sweep with these metrics gives its sampler: minimise each objective, each constraint <= 0."""
    return SearchTask(
        objectives=tuple((name, Goal.MINIMIZE) for name in objectives),
        constraints=tuple(Constraint.parse(f"{name} <= 0") for name in constraints),
    )


def _run_hyperwidget(
    sampler: Any, evaluate: Evaluate, objectives: Sequence[str], constraints: Sequence[str], evals: int
) -> list[dict[str, float]]:
    """The engine's loop without the engine: propose from the history, evaluate, record."""
    sampler.set_task(search_task(objectives, constraints))
    history: list[TrialRecord] = []
    for i in range(evals):
        params = sampler.suggest(history, objectives[0], Goal.MINIMIZE)
        metrics = evaluate(params)
        history.append(
            TrialRecord(
                id=f"t{i}",
                index=i,
                params=params,
                status=TrialStatus.COMPLETED,
                metrics={name: (value,) for name, value in metrics.items()},
            )
        )
    return [{name: series[0] for name, series in r.metrics.items()} for r in history]


def hw_random(
    space: Mapping[str, Any],
    evaluate: Evaluate,
    objectives: Sequence[str],
    constraints: Sequence[str],
    evals: int,
    seed: int,
) -> list[dict[str, float]]:
    from hyperwidget.samplers import RandomParameterSampling

    return _run_hyperwidget(RandomParameterSampling(space, seed=seed), evaluate, objectives, constraints, evals)


def hw_bayesian(
    space: Mapping[str, Any],
    evaluate: Evaluate,
    objectives: Sequence[str],
    constraints: Sequence[str],
    evals: int,
    seed: int,
) -> list[dict[str, float]]:
    from hyperwidget.samplers._bayesian import BayesianParameterSampling

    return _run_hyperwidget(BayesianParameterSampling(space, seed=seed), evaluate, objectives, constraints, evals)


# -- optuna ---------------------------------------------------------------------------------------
def _run_optuna(
    make_sampler: Callable[[Any], Any],
    space: Mapping[str, Any],
    evaluate: Evaluate,
    objectives: Sequence[str],
    constraints: Sequence[str],
    evals: int,
) -> list[dict[str, float]]:
    """``make_sampler(constraints_func)`` builds the sampler (``constraints_func`` is None without constraints)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning, module="optuna")
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

    def constraints_func(trial: Any) -> list[float]:
        return trial.user_attrs["constraints"]

    sampler = make_sampler(constraints_func if constraints else None)
    study = optuna.create_study(sampler=sampler, directions=["minimize"] * len(objectives))
    out = []
    for _ in range(evals):
        trial = study.ask()
        params = {name: _optuna_suggest(trial, name, expr) for name, expr in space.items()}
        metrics = evaluate(params)
        trial.set_user_attr("constraints", [metrics[c] for c in constraints])
        values = [metrics[o] for o in objectives]
        study.tell(trial, values if len(values) > 1 else values[0])
        out.append(metrics)
    return out


def _optuna_method(build: Callable[[int, Any], Any]) -> Runner:
    def run(
        space: Mapping[str, Any],
        evaluate: Evaluate,
        objectives: Sequence[str],
        constraints: Sequence[str],
        evals: int,
        seed: int,
    ) -> list[dict[str, float]]:
        return _run_optuna(lambda cf: build(seed, cf), space, evaluate, objectives, constraints, evals)

    return run


def _tpe(seed: int, constraints_func: Any) -> Any:
    import optuna

    return optuna.samplers.TPESampler(seed=seed, constraints_func=constraints_func)


def _gp(seed: int, constraints_func: Any) -> Any:
    import optuna
    import torch

    torch.set_num_threads(1)
    return optuna.samplers.GPSampler(seed=seed, constraints_func=constraints_func)


def _nsga2(seed: int, constraints_func: Any) -> Any:
    import optuna

    return optuna.samplers.NSGAIISampler(seed=seed, constraints_func=constraints_func)


def _random(seed: int, constraints_func: Any) -> Any:
    import optuna

    return optuna.samplers.RandomSampler(seed=seed)


#: Method name -> runner(space, evaluate, objectives, constraints, evals, seed) -> metrics in evaluation order.
METHODS: dict[str, Runner] = {
    "hw-bayesian": hw_bayesian,
    "hw-random": hw_random,
    "optuna-tpe": _optuna_method(_tpe),
    "optuna-gp": _optuna_method(_gp),
    "optuna-nsga2": _optuna_method(_nsga2),
    "optuna-random": _optuna_method(_random),
}
