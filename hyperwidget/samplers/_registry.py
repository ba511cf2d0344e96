"""Rebuild samplers from their stored ``to_json()`` data: the one table of sampler names."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from hyperwidget.errors import SweepConfigError
from hyperwidget.samplers._base import Sampler
from hyperwidget.space import SearchSpace

#: Sampler name (``Sampler.name``) -> "module:class". Classes are imported on use, so the table can
#: name samplers whose module (and its dependencies) is optional.
_CLASSES: dict[str, str] = {
    "random": "hyperwidget.samplers._random:RandomParameterSampling",
    "grid": "hyperwidget.samplers._grid:GridParameterSampling",
    "bayesian": "hyperwidget.samplers._bayesian:BayesianParameterSampling",
}
_FACTORIES: dict[str, Callable[[Mapping[str, Any]], Sampler]] = {}


def register_sampler(name: str, factory: Callable[[Mapping[str, Any]], Sampler]) -> None:
    """Let :func:`sampler_from_json` rebuild samplers stored under ``name`` with ``factory(data)``."""
    _FACTORIES[name] = factory


def _class_for(name: str) -> Any:
    module_name, _, class_name = _CLASSES[name].partition(":")
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise SweepConfigError(f"sampler {name!r} is not available: {error}.") from error


def sampler_from_json(data: Mapping[str, Any]) -> Sampler:
    """Rebuild a sampler from ``Sampler.to_json()`` output (plain data; runs no stored code).

    A registered factory wins; otherwise the class of the table above is used:
    its ``from_json(data)`` classmethod when it has one, else
    ``cls(SearchSpace.from_json(data["space"]), **settings)`` where ``settings``
    are the other stored keys that the constructor accepts (``seed``, ...). The name
    ``"sobol"`` is read as ``{"name": "random", "rule": "sobol"}``.

    Raises
    ------
    SweepConfigError
        When ``data`` is not a stored sampler or names an unknown sampler.
    """
    if not isinstance(data, Mapping) or "name" not in data or "space" not in data:
        raise SweepConfigError(f"a stored sampler is a dict with 'name' and 'space', got {data!r}.")
    if data["name"] == "sobol":
        data = {**data, "name": "random", "rule": "sobol"}
    name = data["name"]
    if name in _FACTORIES:
        return _FACTORIES[name](data)
    if name not in _CLASSES:
        known = ", ".join(sorted({*_CLASSES, *_FACTORIES, "sobol"}))
        raise SweepConfigError(f"unknown sampler {name!r} in the stored sweep; known: {known}.")
    cls = _class_for(name)
    if hasattr(cls, "from_json"):
        return cls.from_json(data)  # type: ignore[no-any-return]
    return _construct(cls, data)


def _construct(cls: Any, data: Mapping[str, Any]) -> Sampler:
    """``cls(space, seed=..., **settings)``, passing the stored keys the constructor takes by keyword."""
    accepted = inspect.signature(cls).parameters
    settings = {k: v for k, v in data.items() if k not in ("name", "space") and k in accepted}
    return cls(SearchSpace.from_json(data["space"]), **settings)  # type: ignore[no-any-return]
