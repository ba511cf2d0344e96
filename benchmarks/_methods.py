"""Optimisers of the search-quality benchmark, each driven through its own ask/tell loop.

Every method gets the same problem as a hyperwidget space and a loss, translated to
the library's own way of declaring it (log-scaled reals, log-scaled or plain
integers, categoricals), and returns the losses in evaluation order. Methods
share nothing between runs: each run builds its optimiser from scratch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from hyperwidget import space as sp
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

Loss = Callable[[Mapping[str, Any]], float]


# -- hyperwidget ----------------------------------------------------------------------------------
def _run_hyperwidget(sampler: Any, loss: Loss, evals: int) -> list[float]:
    """The engine's loop without the engine: propose from the history, evaluate, record."""
    history: list[TrialRecord] = []
    for i in range(evals):
        params = sampler.suggest(history, "loss", Goal.MINIMIZE)
        value = loss(params)
        history.append(
            TrialRecord(id=f"t{i}", index=i, params=params, status=TrialStatus.COMPLETED, metrics={"loss": (value,)})
        )
    return [r.metrics["loss"][0] for r in history]


def hw_random(space: Mapping[str, Any], loss: Loss, evals: int, seed: int) -> list[float]:
    from hyperwidget.samplers import RandomParameterSampling

    return _run_hyperwidget(RandomParameterSampling(space, seed=seed), loss, evals)


def hw_sobol(space: Mapping[str, Any], loss: Loss, evals: int, seed: int) -> list[float]:
    from hyperwidget.samplers import RandomParameterSampling

    return _run_hyperwidget(RandomParameterSampling(space, rule="sobol", seed=seed), loss, evals)


def hw_bayesian(space: Mapping[str, Any], loss: Loss, evals: int, seed: int) -> list[float]:
    from hyperwidget.samplers._bayesian import BayesianParameterSampling

    return _run_hyperwidget(BayesianParameterSampling(space, seed=seed), loss, evals)


# -- optuna ---------------------------------------------------------------------------------------
def _optuna_suggest(trial: Any, name: str, expr: sp.Expression) -> Any:
    if type(expr) is sp.Uniform:
        return trial.suggest_float(name, expr.min_value, expr.max_value)
    if type(expr) is sp.LogUniform:
        return trial.suggest_float(name, math.exp(expr.min_value), math.exp(expr.max_value), log=True)
    if type(expr) is sp.QUniform and expr.is_integer and expr.q == 1:
        return trial.suggest_int(name, expr.min_value, expr.max_value)
    if type(expr) is sp.QLogUniform and expr.is_integer and expr.q == 1:
        low, high = _int_log_bounds(expr)
        return trial.suggest_int(name, low, high, log=True)
    if type(expr) is sp.Choice:
        return trial.suggest_categorical(name, list(expr.options))
    raise NotImplementedError(f"no optuna translation for {expr!r}")


def _int_log_bounds(expr: sp.QLogUniform) -> tuple[int, int]:
    return round(math.exp(expr.min_value)), round(math.exp(expr.max_value))


def _run_optuna(sampler: Any, space: Mapping[str, Any], loss: Loss, evals: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=sampler, direction="minimize")
    values = []
    for _ in range(evals):
        trial = study.ask()
        params = {n: _optuna_suggest(trial, n, e) for n, e in space.items()}
        value = loss(params)
        study.tell(trial, value)
        values.append(value)
    return values


def optuna_tpe(space: Mapping[str, Any], loss: Loss, evals: int, seed: int) -> list[float]:
    import optuna

    return _run_optuna(optuna.samplers.TPESampler(seed=seed), space, loss, evals)


def optuna_tpe_independent(space: Mapping[str, Any], loss: Loss, evals: int, seed: int) -> list[float]:
    """The classic independent (univariate) TPE.

    Optuna 5's default ``TPESampler()`` *is* the multivariate TPE for a single
    objective (``multivariate=None`` means True), so ``optuna-tpe`` covers both
    "default" and "multivariate"; this is the other variant.
    """
    import optuna

    return _run_optuna(optuna.samplers.TPESampler(seed=seed, multivariate=False), space, loss, evals)


def optuna_gp(space: Mapping[str, Any], loss: Loss, evals: int, seed: int) -> list[float]:
    import optuna
    import torch

    torch.set_num_threads(1)
    return _run_optuna(optuna.samplers.GPSampler(seed=seed), space, loss, evals)


# -- hyperopt -------------------------------------------------------------------------------------
def _hyperopt_space(space: Mapping[str, Any]) -> dict[str, Any]:
    from hyperopt import hp

    out = {}
    for name, expr in space.items():
        if type(expr) is sp.Uniform:
            out[name] = hp.uniform(name, expr.min_value, expr.max_value)
        elif type(expr) is sp.LogUniform:
            out[name] = hp.loguniform(name, expr.min_value, expr.max_value)
        elif type(expr) is sp.QUniform:
            out[name] = hp.quniform(name, expr.min_value, expr.max_value, expr.q)
        elif type(expr) is sp.QLogUniform:
            out[name] = hp.qloguniform(name, expr.min_value, expr.max_value, expr.q)
        elif type(expr) is sp.Choice:
            out[name] = hp.choice(name, list(expr.options))
        else:
            raise NotImplementedError(f"no hyperopt translation for {expr!r}")
    return out


def hyperopt_tpe(space: Mapping[str, Any], loss: Loss, evals: int, seed: int) -> list[float]:
    from hyperopt import STATUS_OK, Trials, fmin, tpe

    ints = {n for n, e in space.items() if e.is_integer}
    values: list[float] = []

    def objective(params: dict[str, Any]) -> dict[str, Any]:
        params = {n: int(v) if n in ints else v for n, v in params.items()}
        values.append(loss(params))
        return {"loss": values[-1], "status": STATUS_OK}

    fmin(
        objective,
        _hyperopt_space(space),
        algo=tpe.suggest,
        max_evals=evals,
        trials=Trials(),
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return values


# -- scikit-optimize ------------------------------------------------------------------------------
def _skopt_dimensions(space: Mapping[str, Any]) -> list[Any]:
    from skopt.space import Categorical, Integer, Real

    dims = []
    for name, expr in space.items():
        if type(expr) is sp.Uniform:
            dims.append(Real(expr.min_value, expr.max_value, name=name))
        elif type(expr) is sp.LogUniform:
            dims.append(Real(math.exp(expr.min_value), math.exp(expr.max_value), prior="log-uniform", name=name))
        elif type(expr) is sp.QUniform and expr.is_integer and expr.q == 1:
            dims.append(Integer(expr.min_value, expr.max_value, name=name))
        elif type(expr) is sp.QLogUniform and expr.is_integer and expr.q == 1:
            dims.append(Integer(*_int_log_bounds(expr), prior="log-uniform", name=name))
        elif type(expr) is sp.Choice:
            dims.append(Categorical(list(expr.options), name=name))
        else:
            raise NotImplementedError(f"no scikit-optimize translation for {expr!r}")
    return dims


def skopt_gp(space: Mapping[str, Any], loss: Loss, evals: int, seed: int) -> list[float]:
    """``gp_minimize`` with its defaults except ``acq_optimizer="sampling", n_points=2000``.

    The default ("auto" = L-BFGS-B restarts for each of gp_hedge's three
    acquisition functions, after scoring 10 000 random points) took 60-80 s per
    50-evaluation run on this shared 2-core machine, which would not fit the
    benchmark's hour; "sampling" (what "auto" does for spaces with categorical
    dimensions) scores the acquisition on 2 000 random points only.
    """
    from skopt import gp_minimize

    names = list(space)
    values: list[float] = []

    def objective(point: list[Any]) -> float:
        params = {n: (v.item() if isinstance(v, np.generic) else v) for n, v in zip(names, point, strict=True)}
        values.append(loss(params))
        return values[-1]

    gp_minimize(
        objective, _skopt_dimensions(space), n_calls=evals, random_state=seed, acq_optimizer="sampling", n_points=2000
    )
    return values


#: Method name -> runner(space, loss, evals, seed) -> losses in evaluation order.
METHODS: dict[str, Callable[[Mapping[str, Any], Loss, int, int], list[float]]] = {
    "hw-random": hw_random,
    "hw-sobol": hw_sobol,
    "hw-bayesian": hw_bayesian,
    "optuna-tpe": optuna_tpe,
    "optuna-tpe-indep": optuna_tpe_independent,
    "optuna-gp": optuna_gp,
    "hyperopt-tpe": hyperopt_tpe,
    "skopt-gp": skopt_gp,
}
