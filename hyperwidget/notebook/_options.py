"""Parse the ``%%sweep`` options into engine objects (pure; no shell needed).

This module holds the ONE table from the magic's words to engine classes
(``--sampler sobol`` -> ``RandomParameterSampling(space, rule="sobol")``,
``--policy "bandit(slack_factor=0.1)"`` -> ``BanditPolicy(slack_factor=0.1)``).
Call-like values are read with :mod:`ast` and :func:`ast.literal_eval`: keyword
arguments with literal values only, nothing is evaluated. Every error is an
IPython ``UsageError`` (one line, no traceback) that names the option, what is
wrong, and the choices.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import inspect
import math
from collections.abc import Mapping
from typing import Any

from IPython.core.error import UsageError

from hyperwidget.errors import HyperwidgetError
from hyperwidget.trial import Goal


@dataclasses.dataclass(frozen=True)
class _Entry:
    """Where a magic word leads: ``module.class_name(**fixed, **user keywords)``."""

    module: str
    class_name: str
    fixed: Mapping[str, Any] = dataclasses.field(default_factory=dict)


#: --sampler words. Samplers take the search space first, so they are built once the cell is compiled.
SAMPLERS: dict[str, _Entry] = {
    "grid": _Entry("hyperwidget.samplers", "GridParameterSampling"),
    "random": _Entry("hyperwidget.samplers", "RandomParameterSampling", {"rule": "random"}),
    "sobol": _Entry("hyperwidget.samplers", "RandomParameterSampling", {"rule": "sobol"}),
    "bayesian": _Entry("hyperwidget.samplers", "BayesianParameterSampling"),
}
#: --policy words.
POLICIES: dict[str, _Entry] = {
    "bandit": _Entry("hyperwidget.policies", "BanditPolicy"),
    "median": _Entry("hyperwidget.policies", "MedianStoppingPolicy"),
    "truncation": _Entry("hyperwidget.policies", "TruncationSelectionPolicy"),
    "asha": _Entry("hyperwidget.policies", "ASHAPolicy"),
    "hyperband": _Entry("hyperwidget.policies", "HyperbandPolicy"),
    "none": _Entry("hyperwidget.policies", "NoTerminationPolicy"),
}
#: --backend words (passed to the engine as they are).
BACKENDS = ("sequential", "threads", "loky", "dask")


@dataclasses.dataclass(frozen=True)
class Call:
    """A parsed ``name`` or ``name(key=literal, ...)`` option value."""

    name: str
    kwargs: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class SamplerSpec:
    """A ``--sampler`` choice, built into a sampler once the search space is known."""

    call: Call
    entry: _Entry

    def build(self, space: Mapping[str, Any], seed: int | None = None) -> Any:
        """The sampler for ``space``; ``seed`` is passed when the class takes one.

        Raises
        ------
        UsageError
            When the class is missing or rejects the keywords or the space.
        """
        cls = _load("--sampler", self.call.name, self.entry)
        kwargs = {**self.entry.fixed, **self.call.kwargs}
        if seed is not None and "seed" not in kwargs and "seed" in inspect.signature(cls).parameters:
            kwargs["seed"] = seed
        return _construct("--sampler", self.call.name, cls, kwargs, space)


def parse_call(option: str, text: str, choices: Mapping[str, Any] | tuple[str, ...]) -> Call:
    """Read ``name`` or ``name(key=literal, ...)`` with :mod:`ast` (no evaluation).

    Parameters
    ----------
    option : str
        The option, for messages (``"--policy"``).
    text : str
        The value as typed.
    choices : mapping or tuple of str
        The known names.

    Raises
    ------
    UsageError
        For a value that is not of that shape, an unknown name, positional
        arguments, or non-literal values.

    Examples
    --------
    >>> parse_call("--policy", "bandit(slack_factor=0.1, delay_evaluation=5)", POLICIES)
    Call(name='bandit', kwargs={'slack_factor': 0.1, 'delay_evaluation': 5})
    """
    example = f'{option} "{next(iter(choices))}(...)"'
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise UsageError(f"%%sweep: cannot read {option} {text!r}: {exc.msg}; write it like {example}.") from None
    name_node = node.func if isinstance(node, ast.Call) else node
    if not isinstance(name_node, ast.Name):
        raise UsageError(f"%%sweep: cannot read {option} {text!r}; write a name or a call like {example}.")
    name = name_node.id.lower()
    if name not in choices:
        raise UsageError(f"%%sweep: unknown {option} {name_node.id!r}; choose one of: {', '.join(choices)}.")
    if not isinstance(node, ast.Call):
        return Call(name, {})
    if node.args or any(k.arg is None for k in node.keywords):
        raise UsageError(f"%%sweep: {option} {text!r}: give the arguments by name, as in {name}(key=value, ...).")
    return Call(name, {k.arg: _literal(option, text, k) for k in node.keywords if k.arg is not None})


def _literal(option: str, text: str, keyword: ast.keyword) -> Any:
    try:
        return ast.literal_eval(keyword.value)
    except ValueError:
        raise UsageError(
            f"%%sweep: {option} {text!r}: the value of {keyword.arg} must be a literal (number, string, "
            f"True/False/None, list), got {ast.unparse(keyword.value)!r}."
        ) from None


def _load(option: str, name: str, entry: _Entry) -> type:
    try:
        return getattr(importlib.import_module(entry.module), entry.class_name)  # type: ignore[no-any-return]
    except (ImportError, AttributeError) as exc:
        raise UsageError(
            f"%%sweep: {option} {name} needs {entry.module}.{entry.class_name}, which cannot be imported "
            f"({exc}); choose another {option}."
        ) from None


def _construct(option: str, name: str, cls: type, kwargs: dict[str, Any], *args: Any) -> Any:
    try:
        return cls(*args, **kwargs)
    except TypeError as exc:
        accepted = [p for p in inspect.signature(cls).parameters if p not in ("parameter_space", "properties")]
        raise UsageError(
            f"%%sweep: {option} {name}: {exc}; {cls.__name__} accepts: {', '.join(accepted) or 'no arguments'}."
        ) from None
    except (HyperwidgetError, ValueError) as exc:
        raise UsageError(f"%%sweep: {option} {name}: {exc}") from None


def parse_sampler(text: str | None) -> SamplerSpec:
    """``--sampler`` (``grid``, ``random``, ``sobol``, ``bayesian``, optionally with keywords)."""
    call = parse_call("--sampler", text or "random", SAMPLERS)
    return SamplerSpec(call, SAMPLERS[call.name])


def parse_policy(text: str | None) -> Any:
    """``--policy`` as a policy object, e.g. ``"median(delay_evaluation=5)"``; ``None`` when not given."""
    if text is None:
        return None
    call = parse_call("--policy", text, POLICIES)
    entry = POLICIES[call.name]
    return _construct("--policy", call.name, _load("--policy", call.name, entry), {**entry.fixed, **call.kwargs})


def parse_goal(text: str) -> Goal:
    """``--goal maximize|minimize`` (``max``/``min`` accepted)."""
    try:
        return Goal.parse(text)
    except ValueError:
        raise UsageError(f"%%sweep: unknown --goal {text!r}; choose one of: maximize, minimize.") from None


def parse_backend(text: str) -> str:
    """``--backend``: one of :data:`BACKENDS`."""
    value = text.strip().lower()
    if value not in BACKENDS:
        raise UsageError(f"%%sweep: unknown --backend {text!r}; choose one of: {', '.join(BACKENDS)}.")
    return value


def parse_storage(text: str) -> str | None:
    """``--storage PATH`` (an SQLite file) or ``none`` (in memory)."""
    return None if text.strip().lower() in ("none", "memory", ":memory:") else text


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
    settings: dict[str, Any] = {"goal": parse_goal(args.goal).value, "backend": parse_backend(args.backend)}
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
