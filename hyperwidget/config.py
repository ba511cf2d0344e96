"""Sweep settings: validated when declared, with errors that name the setting and the fix."""

from __future__ import annotations

import dataclasses
import datetime
import math
import numbers
import os
import secrets
import sys
import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from hyperwidget.errors import HyperwidgetWarning, SearchSpaceError, SweepConfigError
from hyperwidget.executor import DEFAULT_BACKEND, Backend, backend_names, check_backend, get_backend
from hyperwidget.names import check_metric_name, check_sweep_name
from hyperwidget.objective import FunctionObjective, Script
from hyperwidget.policies import ASHAPolicy, EarlyTerminationPolicy, NoTerminationPolicy, make_policy
from hyperwidget.samplers import BayesianParameterSampling, RandomParameterSampling, Sampler, make_sampler
from hyperwidget.space import SearchSpace
from hyperwidget.trial import Constraint, Fidelity, Goal, SearchTask


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """A validated sweep definition (see :func:`run_sweep` for the meaning of each field)."""

    name: str
    metric: str
    goal: Goal
    sampler: Sampler
    policy: EarlyTerminationPolicy
    max_total_runs: int
    max_concurrent_runs: int
    max_duration_minutes: float | None
    trial_timeout: float | None
    backend: str
    constraints: tuple[Constraint, ...] = ()
    #: Full configurations (see :meth:`SearchSpace.check_config`) run first, in order, as trials 0, 1, ...
    points_to_evaluate: tuple[dict[str, Any], ...] = ()
    #: Every objective, ``(metric, goal)``, the primary one (``metric``, ``goal``) first; a single-objective
    #: sweep has one. Left empty when built by hand: it is then filled with the primary one.
    objectives: tuple[tuple[str, Goal], ...] = ()

    def __post_init__(self) -> None:
        if not self.objectives:
            object.__setattr__(self, "objectives", ((self.metric, self.goal),))

    def to_json(self, objective_label: str = "") -> dict[str, Any]:
        """Plain data stored with the sweep (the objective itself is never stored)."""
        return {
            "name": self.name,
            "metric": self.metric,
            "goal": self.goal.value,
            "sampler": self.sampler.to_json(),
            "policy": self.policy.to_json(),
            "max_total_runs": self.max_total_runs,
            "max_concurrent_runs": self.max_concurrent_runs,
            "max_duration_minutes": self.max_duration_minutes,
            "trial_timeout": self.trial_timeout,
            "backend": self.backend,
            "constraints": [str(c) for c in self.constraints],
            "points_to_evaluate": [dict(point) for point in self.points_to_evaluate],
            "objectives": [[name, goal.value] for name, goal in self.objectives],
            "objective": objective_label,
        }

    @property
    def task(self) -> SearchTask:
        """The objectives, constraints and the policy's fidelity (if any), as the sampler sees them."""
        return SearchTask(objectives=self.objectives, constraints=self.constraints, fidelity=fidelity_of(self.policy))


def fidelity_of(policy: EarlyTerminationPolicy) -> Fidelity | None:
    """The resource and rung levels of a multi-fidelity policy (ASHA, Hyperband and their variants), else ``None``.

    Hyperband's brackets use rungs of bracket 0 (each bracket's rungs are a subset of them).
    """
    if not isinstance(policy, ASHAPolicy):
        return None
    return Fidelity(
        resource_attr=policy.resource_attr,
        levels=tuple(float(level) for level in policy.rung_levels(0)),
        max_resource=float(policy.max_resource),
    )


#: The longest ``trial_timeout`` in seconds (about 292 years): the worker's timer (``threading.Timer`` or
#: ``signal.setitimer``) raises ``OverflowError`` past it.
MAX_TIMEOUT_SECONDS = threading.TIMEOUT_MAX


def check_count(setting: str, value: Any, fix: str) -> int:
    """``value`` as an int >= 1, else a ``SweepConfigError`` naming ``setting``, the value and ``fix``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise SweepConfigError(f"{setting} must be an int >= 1, got {setting}={value!r}; {fix}")
    return int(value)


def check_optional_count(setting: str, value: Any, fix: str) -> int | None:
    """Like :func:`check_count`, but ``None`` (unset) is kept; 0 is refused, not read as unset."""
    return None if value is None else check_count(setting, value, f"{fix} (or None for the default)")


def check_duration(
    setting: str, value: Any, *, unit: str = "seconds", maximum: float = MAX_TIMEOUT_SECONDS
) -> float | None:
    """A time limit: ``None`` (no limit) or a finite number > 0 and <= ``maximum`` (in ``unit``).

    Infinity, NaN, 0 and negative numbers are refused: ``None`` is the way to say "no limit".
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise SweepConfigError(
            f"{setting} must be a number of {unit} > 0 (or None for no limit), got {setting}={value!r}."
        )
    number = float(value)
    if not math.isfinite(number):
        raise SweepConfigError(
            f"{setting} must be a finite number of {unit} (or None for no limit), got "
            f"{setting}={value!r}; use None for no limit."
        )
    if not number > 0:
        raise SweepConfigError(f"{setting} must be a number > 0 (or None for no limit), got {setting}={value!r}.")
    if number > maximum:
        raise SweepConfigError(
            f"{setting} must be at most {maximum:.0f} {unit} (about 292 years, the longest "
            f"wait Python's timers accept), got {setting}={value!r}; use None for no limit."
        )
    return number


def cap_concurrency(
    max_concurrent_runs: int, backend: str | Backend, *, setting: str = "max_concurrent_runs", stacklevel: int = 4
) -> int:
    """At most this machine's cores for backends whose workers run on it (``loky``, ``threads``), with a warning.

    Backends without ``caps_at_cores`` are left as given: joblib's Dask backend starts no worker, it only
    keeps that many trials submitted to the cluster, whose own workers (which may scale) run them.
    """
    cores = os.cpu_count() or 1
    if isinstance(backend, str):
        backend = get_backend(backend)
    if not backend.caps_at_cores or max_concurrent_runs <= cores:
        return max_concurrent_runs
    warnings.warn(
        f"{setting}={max_concurrent_runs} is more than this machine's {cores} cores; running {cores} "
        f"trials at a time. Pass {setting}={cores} (or fewer) to silence this warning.",
        HyperwidgetWarning,
        stacklevel=stacklevel,
    )
    return cores


def make_config(
    space: Mapping[str, Any] | None,
    *,
    metric: str | Sequence[str],
    goal: Any,
    sampler: Sampler | str | None,
    policy: EarlyTerminationPolicy | str | None,
    max_total_runs: int | None,
    max_concurrent_runs: int | None,
    max_duration_minutes: float | None,
    trial_timeout: float | None,
    backend: str,
    seed: int | None,
    name: str | None,
    constraints: Sequence[str | Constraint],
    points_to_evaluate: Sequence[Mapping[str, Any]] = (),
) -> SweepConfig:
    """Validate every setting, naming the setting and the fix in each error."""
    objectives = parse_objectives(metric, goal)
    metric, goal = objectives[0]
    sampler = _make_sampler(space, sampler, seed)
    if isinstance(policy, str):
        policy = make_policy(policy)
    if policy is not None and not isinstance(policy, EarlyTerminationPolicy):
        raise SweepConfigError(
            f"policy must be an early-termination policy such as BanditPolicy(...), a "
            f"registered name such as 'median', or None, got {policy!r}."
        )
    points = check_points(sampler.space, points_to_evaluate)
    if max_total_runs is None:
        max_total_runs = max(sampler.max_trials() or 20, len(points))
    max_total_runs = check_count("max_total_runs", max_total_runs, "it is the number of trials to run.")
    check_points_budget(len(points), max_total_runs)
    grid = sampler.max_trials()
    if grid is not None and grid < max_total_runs:
        warnings.warn(
            f"the grid has {grid} points but max_total_runs={max_total_runs}; running {grid}.",
            HyperwidgetWarning,
            stacklevel=3,
        )
    warn_repeats(sampler, max_total_runs)
    backend = check_backend(backend)
    runner = get_backend(backend)
    if max_concurrent_runs is None:
        max_concurrent_runs = runner.default_concurrency(max_total_runs)
    max_concurrent_runs = check_count(
        "max_concurrent_runs", max_concurrent_runs, "use 1 to run one trial at a time, or None for the default."
    )
    if runner.max_concurrency is not None and max_concurrent_runs > runner.max_concurrency:
        at_a_time = "one trial" if runner.max_concurrency == 1 else f"{runner.max_concurrency} trials"
        threads = " or ".join(map(repr, backend_names(in_process=True, max_concurrency=None)))
        raise SweepConfigError(
            f"backend={backend!r} runs {at_a_time} at a time, but max_concurrent_runs="
            f"{max_concurrent_runs}; use backend={DEFAULT_BACKEND!r} (processes) or {threads}."
        )
    max_concurrent_runs = cap_concurrency(max_concurrent_runs, runner)
    return SweepConfig(
        name=check_sweep_name(name) if name else _new_name(),
        metric=metric,
        goal=goal,
        sampler=sampler,
        policy=policy or NoTerminationPolicy(),
        max_total_runs=max_total_runs,
        max_concurrent_runs=max_concurrent_runs,
        max_duration_minutes=check_duration(
            "max_duration_minutes", max_duration_minutes, unit="minutes", maximum=math.inf
        ),  # compared with elapsed time only: no overflow
        trial_timeout=check_duration("trial_timeout", trial_timeout),
        backend=backend,
        constraints=tuple(Constraint.parse(c) for c in constraints),
        points_to_evaluate=points,
        objectives=objectives,
    )


def check_points(space: SearchSpace, points: Any, setting: str = "points_to_evaluate") -> tuple[dict[str, Any], ...]:
    """Each point as the full configuration it stands for (:meth:`SearchSpace.check_config`).

    Errors name the setting and the point's position: ``points_to_evaluate[2]: hyperparameter 'lr': ...``.
    """
    if points is None:
        return ()
    if isinstance(points, (Mapping, str, bytes)) or not isinstance(points, Sequence):
        raise SweepConfigError(
            f"{setting} must be a list of configurations (dicts of hyperparameter name -> value), got "
            f"{type(points).__name__} {points!r:.80}; wrap a single one in a list: {setting}=[{{...}}]."
        )
    checked = []
    for position, point in enumerate(points):
        try:
            checked.append(space.check_config(point))
        except SearchSpaceError as error:
            raise SearchSpaceError(f"{setting}[{position}]: {error}") from None
    return tuple(checked)


def check_points_budget(points: int, max_total_runs: int) -> None:
    """Refuse more known points than trials: each point is one of the sweep's ``max_total_runs`` trials."""
    if points > max_total_runs:
        raise SweepConfigError(
            f"points_to_evaluate has {points} points but max_total_runs={max_total_runs}: each point is one of "
            f"the sweep's trials; pass max_total_runs={points} (or more), or give fewer points."
        )


def parse_objectives(metric: str | Sequence[str], goal: Any) -> tuple[tuple[str, Goal], ...]:
    """The sweep's objectives, ``((metric, goal), ...)``, the primary one first.

    ``metric`` is one name or a list of two or more distinct names; ``goal`` is one
    goal for every metric, or a list with one goal per metric.

    Examples
    --------
    >>> parse_objectives(["error", "size"], "min")
    (('error', <Goal.MINIMIZE: 'minimize'>), ('size', <Goal.MINIMIZE: 'minimize'>))
    """
    if isinstance(metric, str):
        if not metric:
            raise SweepConfigError(f"metric must be the non-empty name the trial logs, got metric={metric!r}.")
        names: list[str] = [metric]
    elif isinstance(metric, Sequence) and metric and all(isinstance(m, str) and m for m in metric):
        names = list(metric)
    else:
        raise SweepConfigError(
            "metric must be the non-empty name the trial logs, or a list of such names (the first is the "
            f"primary metric), got metric={metric!r}."
        )
    for name in names:
        check_metric_name(name)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SweepConfigError(
            f"metric names {repeated[0]!r} more than once, got metric={names!r}; list each objective once."
        )
    if isinstance(goal, Sequence) and not isinstance(goal, str):
        if len(goal) != len(names):
            raise SweepConfigError(
                f"goal must have one entry per metric: metric={names!r} has {len(names)}, goal={list(goal)!r} "
                f"has {len(goal)}; give one goal per metric, or a single goal for all of them."
            )
        goals = [Goal.parse(g, f"goal[{i}]") for i, g in enumerate(goal)]
    else:
        goals = [Goal.parse(goal)] * len(names)
    return tuple(zip(names, goals, strict=True))


def distinct_configurations(space: SearchSpace) -> int | None:
    """How many configurations ``space`` holds: the product of its expressions' finite supports.

    ``None`` when one expression is continuous (``uniform``, ``normal``, ...); constants count once.
    A choice of branches counts the sum of its distinct branches' own counts (a parameter of a
    branch not taken adds no configuration).
    """
    return space.grid_size()


def expected_repeats(runs: int, configurations: int) -> float:
    """Runs expected to repeat an earlier configuration when ``runs`` are drawn uniformly with replacement.

    ``runs - E[distinct]``, with ``E[distinct] = N * (1 - (1 - 1/N) ** runs)`` for ``N`` equally likely
    configurations (36 configurations, 60 runs: about 30.6 repeats).
    """
    return runs - configurations * (1.0 - (1.0 - 1.0 / configurations) ** runs)


def warn_repeats(sampler: Sampler, max_total_runs: int) -> None:
    """Warn when a random, Sobol or Bayesian sweep asks for more runs than its discrete space holds.

    Random and Sobol sampling draw with replacement (as Azure's random sampling
    does), so they repeat configurations long before the space is exhausted;
    the warning gives the expected count. Bayesian sampling warns under the
    same condition, naming only the runs that *must* repeat: how many more it
    repeats depends on the model (once it is sure of the optimum it proposes it
    again, and its first ``n_initial`` Sobol points can coincide), so no
    estimate is given. Grid sampling never repeats: it warns that it stops at
    the grid's size instead.
    """
    if not isinstance(sampler, (RandomParameterSampling, BayesianParameterSampling)):
        return
    count = distinct_configurations(sampler.space)
    if count is None or max_total_runs <= count:
        return
    owner = type(sampler).__name__
    if isinstance(sampler, BayesianParameterSampling):
        repeats = (
            f"at least {max_total_runs - count} runs must repeat a configuration already tried "
            "(more when the model keeps proposing its best)"
        )
    elif sampler.rule == "sobol":
        repeats = f"Sobol points fall in the same cells, so at least {max_total_runs - count} runs repeat one"
    else:
        expected = expected_repeats(max_total_runs, count)
        repeats = f"random draws repeat, so expect about {expected:.0f} runs to repeat a configuration"
    warnings.warn(
        f"{owner}: every hyperparameter is discrete and the space has only {count} distinct configurations, "
        f"but max_total_runs={max_total_runs}; {repeats}. Use sampler='grid' to run each configuration once, "
        f"or max_total_runs={count} (or fewer) to silence this warning.",
        HyperwidgetWarning,
        stacklevel=_user_stacklevel(),
    )


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _user_stacklevel() -> int:
    """The ``stacklevel`` of the first caller outside hyperwidget: a sweep can be declared through
    ``run_sweep``, ``%%sweep``, ``HyperDriveConfig`` or ``SweepSearchCV``, each at another depth.
    (The same rule as ``hyperwidget.space``'s declaration warnings; that module is private to its package.)
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    return level


def _make_sampler(space: Mapping[str, Any] | None, sampler: Sampler | str | None, seed: int | None) -> Sampler:
    if sampler is None or isinstance(sampler, str):
        if space is None:
            raise SweepConfigError("give a search space (space={...}) or a sampler built on one.")
        if isinstance(sampler, str):
            return make_sampler(sampler, space, seed=seed)
        return RandomParameterSampling(space, seed=seed)
    if not isinstance(sampler, Sampler):
        raise SweepConfigError(
            f"sampler must be a sampler object such as RandomParameterSampling(space) or a "
            f"registered name such as 'sobol', got {sampler!r}."
        )
    if space is not None and SearchSpace(space) != sampler.space:
        raise SweepConfigError("space differs from the sampler's own search space; pass only one of them.")
    return sampler


def _new_name() -> str:
    return f"sweep_{datetime.datetime.now():%Y%m%d_%H%M%S}_{secrets.token_hex(2)}"


def _nested_entries(space: SearchSpace) -> list[str]:
    """The top-level names of groups and choices of branches."""
    leaves = {d.name for d in space.dimensions if not d.is_branch}
    return [n for n in space if n not in space.constants and n not in leaves]


def make_objective(objective: Any, space: SearchSpace) -> FunctionObjective | Script:
    if isinstance(objective, Script):
        if objective.template is not None and not space.is_flat:
            raise SweepConfigError(
                "command: a command template cannot pass nested or conditional hyperparameters "
                f"({', '.join(_nested_entries(space))}); use Script('train.py'), which passes "
                "them as flat flags such as --model.gamma 0.01 (a branch not taken passes none of its flags)."
            )
        objective.check_names(space.names)
        return objective
    if not callable(objective):
        raise SweepConfigError(f"objective must be a function or a Script(...), got {objective!r}.")
    return FunctionObjective.wrap(objective, tuple(space))
