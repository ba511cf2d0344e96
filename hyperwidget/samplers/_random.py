"""Random sampling, with the ``"sobol"`` rule for a scrambled, seeded low-discrepancy sequence."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hyperwidget.errors import SweepConfigError
from hyperwidget.samplers._base import Sampler
from hyperwidget.space import SearchSpace
from hyperwidget.trial import Goal, TrialRecord

_RULES = ("random", "sobol")


def check_seed(owner: str, seed: Any) -> int | None:
    """Return ``seed`` as an int (or ``None``); raise ``SweepConfigError`` for anything else."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SweepConfigError(f"{owner}: seed must be a non-negative int or None, got seed={seed!r}.")
    return int(seed)


def _check_rule(owner: str, rule: Any) -> str:
    text = str(rule).strip().lower()
    if text not in _RULES:
        raise SweepConfigError(f"{owner}: unknown rule {rule!r}; use one of: {', '.join(_RULES)}.")
    return text


class RandomParameterSampling(Sampler):
    """Independent draws from every expression's law (HyperDrive's random sampling).

    Parameters
    ----------
    parameter_space : mapping
        Names to expressions; every expression type is supported.
    properties : dict, optional
        HyperDrive v1's opaque properties; ``{"rule": ..., "seed": ...}`` is read
        (the explicit keywords win).
    rule : {"random", "sobol"}
        ``"random"`` (default): proposal ``i`` is drawn with its own generator
        ``numpy.random.default_rng([seed, i])``. ``"sobol"``: proposal ``i`` is
        point ``i`` of a scrambled Sobol sequence (``scipy.stats.qmc.Sobol``)
        mapped through each expression's inverse CDF, which covers the space
        more evenly (lower discrepancy).
    seed : int, optional
        Seed of the draws and of the Sobol scrambling. Without a seed the Sobol
        scrambling is drawn once and kept in ``to_json()``, so a resumed sweep
        continues the same sequence.

    Notes
    -----
    Both rules depend only on ``len(history)`` (the index of the proposal), so
    a sweep is reproducible for a seed whatever the order in which trials
    finish, and resuming from the stored history continues it exactly.
    Random sampling can propose a configuration twice over a finite space
    (as HyperDrive's does); use :class:`GridParameterSampling` to enumerate.
    The sweep's constraints and extra objectives (``self.task``) are ignored:
    the proposals do not depend on any metric.

    Examples
    --------
    >>> from hyperwidget.space import uniform, choice
    >>> sampler = RandomParameterSampling({"lr": uniform(0.01, 0.1), "bs": choice(16, 32)}, rule="sobol", seed=123)
    >>> sampler.suggest([], "accuracy", Goal.MAXIMIZE) == sampler.suggest([], "accuracy", Goal.MAXIMIZE)
    True
    """

    name = "random"

    def __init__(
        self,
        parameter_space: Mapping[str, Any],
        properties: Mapping[str, Any] | None = None,
        *,
        rule: str | None = None,
        seed: int | None = None,
    ) -> None:
        owner = type(self).__name__
        properties = dict(properties or {})
        rule = _check_rule(owner, rule if rule is not None else properties.get("rule", "random"))
        seed = check_seed(owner, seed if seed is not None else properties.get("seed"))
        super().__init__(parameter_space, seed=seed)
        self.rule = rule
        # The scrambling must be the same for every proposal of a sweep, also without a seed.
        self.scramble_seed = seed if seed is not None else int(np.random.default_rng().integers(2**32))
        self._points = np.empty((0, self.space.dims))
        self._lock = threading.Lock()

    def suggest(self, history: Sequence[TrialRecord], metric: str, goal: Goal) -> dict[str, Any] | None:
        """Proposal ``len(history)``: a random draw, or that point of the Sobol sequence."""
        index = len(history)
        if self.rule == "sobol" and self.space.dims:
            return self.space.from_unit(self.sobol_point(index))
        return self.space.sample(self.rng(index))

    def sobol_point(self, index: int) -> np.ndarray:
        """Point ``index`` of this sampler's scrambled Sobol sequence, in the unit cube.

        Points are generated in blocks of ``2**m`` (``random_base2``), the sizes
        that keep Sobol's balance properties and avoid scipy's warning; the
        first ``k`` points of any block are the same, so point ``i`` never depends
        on how many were asked for before.
        """
        with self._lock:
            if index >= len(self._points):
                from scipy.stats import qmc

                m = max(4, math.ceil(math.log2(index + 1)))
                engine = qmc.Sobol(self.space.dims, scramble=True, seed=self.scramble_seed)
                self._points = engine.random_base2(m)
            return self._points[index]

    def to_json(self) -> dict[str, Any]:
        """Plain data: name, seed, space, rule and the Sobol scrambling seed."""
        return {**super().to_json(), "rule": self.rule, "scramble_seed": self.scramble_seed}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RandomParameterSampling:
        """Rebuild a sampler from ``to_json`` output (same proposals, also for ``seed=None`` Sobol)."""
        sampler = cls(SearchSpace.from_json(data["space"]), rule=data.get("rule", "random"), seed=data.get("seed"))
        if data.get("scramble_seed") is not None:
            sampler.scramble_seed = int(data["scramble_seed"])
        return sampler

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.space)!r}, rule={self.rule!r}, seed={self.seed!r})"


class RandomSamplingAlgorithm:
    """Azure ML v2's ``RandomSamplingAlgorithm(rule=..., seed=..., logbase=...)``: settings without a space.

    v2 gives the search space to the sweep job rather than to the algorithm;
    :meth:`build` joins the two into a :class:`RandomParameterSampling`.

    Parameters
    ----------
    rule : {"random", "sobol"}, optional
        As in :class:`RandomParameterSampling` (default ``"random"``).
    seed : int, optional
        As in :class:`RandomParameterSampling`.
    logbase : number or "e", optional
        Only the natural base is supported (``None``, ``"e"`` or ``math.e``):
        Azure does not document how another base changes the expressions, and
        guessing would silently change a sweep. Natural bounds are written
        ``log_uniform(lower, upper)``.
    """

    type = "random"

    def __init__(self, *, rule: str | None = None, seed: int | None = None, logbase: Any = None) -> None:
        self.rule = _check_rule(type(self).__name__, rule if rule is not None else "random")
        self.seed = check_seed(type(self).__name__, seed)
        if logbase not in (None, "e", math.e):
            raise SweepConfigError(
                f"RandomSamplingAlgorithm: only logbase='e' is supported, got logbase={logbase!r}; "
                "loguniform "
                "bounds are natural-log exponents. For base-10 bounds write loguniform(a * math.log(10), "
                "b * math.log(10)), or give natural bounds with log_uniform(lower, upper)."
            )
        self.logbase = logbase

    def build(self, parameter_space: Mapping[str, Any]) -> RandomParameterSampling:
        """The sampler for ``parameter_space`` with these settings."""
        return RandomParameterSampling(parameter_space, rule=self.rule, seed=self.seed)

    def __repr__(self) -> str:
        return f"RandomSamplingAlgorithm(rule={self.rule!r}, seed={self.seed!r})"
