"""THE table of sampler names, and the rebuilding of stored samplers from it."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from hyperwidget.errors import SweepConfigError
from hyperwidget.registry import Entry, Registry
from hyperwidget.samplers._base import Sampler
from hyperwidget.space import SearchSpace

#: Sampler name -> class (imported on use, so an entry may name a sampler whose dependencies are optional).
#: Read by ``run_sweep(sampler="sobol")``, the ``%%sweep --sampler`` option, Azure v2's
#: ``sampling_algorithm="bayesian"`` and :func:`sampler_from_json`.
SAMPLERS = Registry(
    "sampler",
    {
        "grid": Entry("hyperwidget.samplers._grid:GridParameterSampling"),
        "random": Entry("hyperwidget.samplers._random:RandomParameterSampling", {"rule": "random"}),
        "sobol": Entry("hyperwidget.samplers._random:RandomParameterSampling", {"rule": "sobol"}),
        "bayesian": Entry("hyperwidget.samplers._bayesian:BayesianParameterSampling"),
    },
)


def register_sampler(name: str, sampler: str | type[Sampler], **fixed: Any) -> None:
    """Add a sampler to :data:`SAMPLERS`: every front end then knows ``name``.

    Parameters
    ----------
    name : str
        The word users write (``run_sweep(sampler=name)``, ``%%sweep --sampler name``).
        A sampler's ``to_json()`` should store it as ``"name"`` so that a stored
        sweep finds its sampler again.
    sampler : Sampler subclass or str
        The class, or ``"package.module:Class"`` to import it on first use. It is
        built as ``sampler(space, seed=..., **fixed, **keywords)`` and rebuilt from
        stored data with its ``from_json(data)`` classmethod when it has one.
    **fixed
        Keywords always passed (``rule="sobol"`` makes ``sobol`` a kind of random sampling).
    """
    if not isinstance(sampler, str) and not (inspect.isclass(sampler) and issubclass(sampler, Sampler)):
        raise SweepConfigError(
            f"register_sampler({name!r}, ...): give a Sampler subclass or 'module:Class', "
            f"got {sampler!r}; rebuild stored data in the class's from_json classmethod."
        )
    SAMPLERS.register(name, sampler, **fixed)


def make_sampler(spec: str, space: Mapping[str, Any], *, seed: int | None = None, setting: str = "sampler") -> Sampler:
    """The sampler named by ``spec`` (``"sobol"``, ``"bayesian(n_initial=5)"``) over ``space``.

    ``seed`` is passed when the sampler takes one and ``spec`` does not set it.

    Raises
    ------
    SweepConfigError
        For an unknown name (listing the registered ones) or keywords the sampler refuses.
    """
    return SAMPLERS.build(spec, space, setting=setting, defaults={"seed": seed})


def sampler_from_json(data: Mapping[str, Any]) -> Sampler:
    """Rebuild a sampler from ``Sampler.to_json()`` output (plain data; runs no stored code).

    The class registered under ``data["name"]`` in :data:`SAMPLERS` is used: its
    ``from_json(data)`` classmethod when it has one, else
    ``cls(SearchSpace.from_json(data["space"]), **fixed, **settings)`` where ``settings``
    are the other stored keys that the constructor accepts (``seed``, ...). A stored
    ``"sobol"`` is read as ``{"name": "random", "rule": "sobol"}``.

    Raises
    ------
    SweepConfigError
        When ``data`` is not a stored sampler or names an unknown sampler.
    """
    if not isinstance(data, Mapping) or "name" not in data or "space" not in data:
        raise SweepConfigError(f"a stored sampler is a dict with 'name' and 'space', got {data!r}.")
    name = data["name"]
    if name not in SAMPLERS:
        raise SweepConfigError(f"unknown sampler {name!r} in the stored sweep; known: {', '.join(sorted(SAMPLERS))}.")
    entry = SAMPLERS[name]
    data = {**entry.fixed, **data}
    cls = SAMPLERS.load(name)
    if hasattr(cls, "from_json"):
        return cls.from_json(data)
    return _construct(cls, data)


def _construct(cls: Any, data: Mapping[str, Any]) -> Sampler:
    """``cls(space, seed=..., **settings)``, passing the stored keys the constructor takes by keyword."""
    accepted = inspect.signature(cls).parameters
    settings = {k: v for k, v in data.items() if k not in ("name", "space") and k in accepted}
    return cls(SearchSpace.from_json(data["space"]), **settings)
