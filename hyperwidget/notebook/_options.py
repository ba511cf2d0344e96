"""Parse the ``%%sweep`` options into engine objects (pure; no shell needed).

The words are those of the engine's registries, read here and never copied:
``--sampler`` names :data:`hyperwidget.samplers.SAMPLERS`, ``--policy``
:data:`hyperwidget.policies.POLICIES` and ``--backend``
:data:`hyperwidget.executor.BACKENDS`. Call-like values
(``--policy "bandit(slack_factor=0.1)"``) are read by the registry with
:mod:`ast` and :func:`ast.literal_eval`: keyword arguments with literal values
only, nothing is evaluated. Every error is an IPython ``UsageError`` (one line,
no traceback) that names the option, what is wrong, and the choices.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from IPython.core.error import UsageError

from hyperwidget.errors import SweepConfigError
from hyperwidget.executor import BACKENDS
from hyperwidget.mlflow_logger import MLflowLogger
from hyperwidget.policies import POLICIES
from hyperwidget.registry import Call
from hyperwidget.samplers import SAMPLERS
from hyperwidget.trial import Goal

__all__ = [
    "BACKENDS",
    "POLICIES",
    "SAMPLERS",
    "Call",
    "SamplerSpec",
    "engine_settings",
    "parse_backend",
    "parse_goal",
    "parse_goals",
    "parse_metrics",
    "parse_mlflow",
    "parse_policy",
    "parse_sampler",
    "parse_storage",
    "positive_float",
    "positive_int",
]

_T = TypeVar("_T")


def _usage(step: Callable[[], _T]) -> _T:
    """Run ``step``; a ``SweepConfigError`` (a registry's message) becomes a one-line ``UsageError``."""
    try:
        return step()
    except SweepConfigError as exc:
        raise UsageError(f"%%sweep: {exc}") from None


@dataclasses.dataclass(frozen=True)
class SamplerSpec:
    """A ``--sampler`` choice, built into a sampler once the search space is known."""

    call: Call

    def build(self, space: Mapping[str, Any], seed: int | None = None) -> Any:
        """The sampler for ``space``; ``seed`` is passed when the class takes one.

        Raises
        ------
        UsageError
            When the class is missing or rejects the keywords or the space.
        """
        return _usage(lambda: SAMPLERS.build(self.call, space, setting="--sampler", defaults={"seed": seed}))


def parse_sampler(text: str | None) -> SamplerSpec:
    """``--sampler`` (``grid``, ``random``, ``sobol``, ``bayesian``, optionally with keywords).

    Examples
    --------
    >>> parse_sampler("bayesian(n_initial=5)").call
    Call(name='bayesian', kwargs={'n_initial': 5})
    """
    return SamplerSpec(_usage(lambda: SAMPLERS.parse(text or "random", "--sampler")))


def parse_policy(text: str | None) -> Any:
    """``--policy`` as a policy object, e.g. ``"median(delay_evaluation=5)"``; ``None`` when not given."""
    if text is None:
        return None
    return _usage(lambda: POLICIES.build(text, setting="--policy"))


def parse_goal(text: str) -> Goal:
    """``--goal maximize|minimize`` (``max``/``min`` accepted)."""
    try:
        return Goal.parse(text)
    except ValueError:
        raise UsageError(f"%%sweep: unknown --goal {text!r}; choose one of: maximize, minimize.") from None


def parse_goals(text: str) -> str | list[str]:
    """``--goal``: one goal for every metric, or one per metric separated by commas (``min,max``).

    Examples
    --------
    >>> parse_goals("max"), parse_goals("min, max")
    ('maximize', ['minimize', 'maximize'])
    """
    if "," not in text:
        return parse_goal(text).value
    return [parse_goal(part).value for part in text.split(",")]


def parse_metrics(text: str) -> str | list[str]:
    """``--metric``: one name, or two or more separated by commas (the first is the primary metric).

    Examples
    --------
    >>> parse_metrics("accuracy"), parse_metrics("error, size")
    ('accuracy', ['error', 'size'])
    """
    if "," not in text:
        return text
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise UsageError(
            f"%%sweep: --metric {text!r} has an empty name; separate two or more metric names with commas, "
            "e.g. --metric error,size --goal min,min."
        )
    return names


def parse_backend(text: str) -> str:
    """``--backend``: a name of :data:`hyperwidget.executor.BACKENDS`."""
    return _usage(lambda: BACKENDS.check(text, "--backend"))


def parse_storage(text: str) -> str | None:
    """``--storage PATH`` (an SQLite file) or ``none`` (in memory)."""
    return None if text.strip().lower() in ("none", "memory", ":memory:") else text


def parse_mlflow(text: str | None) -> list[Any]:
    """``--mlflow [URI]``: the observers that mirror the sweep to MLflow (none when the option is absent).

    Examples
    --------
    >>> parse_mlflow("http://127.0.0.1:5000")
    [MLflowLogger(tracking_uri='http://127.0.0.1:5000', experiment_name=None)]
    >>> parse_mlflow("")  # --mlflow alone: MLflow's own tracking URI
    [MLflowLogger(tracking_uri=None, experiment_name=None)]
    """
    if text is None:
        return []
    return [MLflowLogger(text.strip() or None)]


def positive_int(text: str) -> int:
    """argparse ``type=`` for counts: an int >= 1 (argparse names the option in the error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an int >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an int >= 1, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """argparse ``type=`` for durations: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return value


def engine_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of ``run_sweep`` that the options fix (all but sampler and metric).

    Only the options given are included, so the engine's defaults stay in one place.
    """
    settings: dict[str, Any] = {"goal": parse_goals(args.goal), "backend": parse_backend(args.backend)}
    policy = parse_policy(args.policy)
    if policy is not None:
        settings["policy"] = policy
    optional = {
        "max_total_runs": args.max_total_runs,
        "max_concurrent_runs": args.max_concurrent_runs,
        "trial_timeout": args.trial_timeout,
        "max_duration_minutes": args.max_duration_minutes,
        "seed": args.seed,
        "name": args.name,
    }
    settings.update({key: value for key, value in optional.items() if value is not None})
    if getattr(args, "constraint", None):
        settings["constraints"] = tuple(args.constraint)
    if args.storage is not None:
        settings["storage"] = parse_storage(args.storage)
    return settings
