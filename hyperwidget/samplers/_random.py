"""Random sampling, with the ``"sobol"`` rule for a scrambled, seeded low-discrepancy sequence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hyperwidget.errors import SweepConfigError
from hyperwidget.samplers._base import Sampler
from hyperwidget.trial import Goal, TrialRecord

_RULES = ("random", "sobol")


class RandomParameterSampling(Sampler):
    """Independent draws from every expression's law (HyperDrive's random sampling).

    Parameters
    ----------
    parameter_space : mapping
        Names to expressions; every expression type is supported.
    properties : dict, optional
        HyperDrive v1's opaque properties; ``{"rule": ..., "seed": ...}`` is read.
    rule : {"random", "sobol"}
        ``"sobol"`` draws a scrambled Sobol sequence (``scipy.stats.qmc.Sobol``),
        which covers the space more evenly; point ``i`` of the sequence is
        proposal ``i``, so it is reproducible for a seed, also across resumes.
    seed : int, optional
        Seed of the draws (and of the Sobol scrambling).
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
        properties = dict(properties or {})
        rule = (rule or properties.get("rule") or "random").lower()
        if rule not in _RULES:
            raise SweepConfigError(f"RandomParameterSampling: unknown rule {rule!r}; use one of {_RULES}.")
        super().__init__(parameter_space, seed=seed if seed is not None else properties.get("seed"))
        self.rule = rule
        self._sobol: Any = None

    def suggest(self, history: Sequence[TrialRecord], metric: str, goal: Goal) -> dict[str, Any] | None:
        index = len(history)
        if self.rule == "sobol" and self.space.dims:
            return self.space.from_unit(self._sobol_point(index))
        return self.space.sample(self.rng(index))

    def _sobol_point(self, index: int) -> Any:
        from scipy.stats import qmc

        if self._sobol is None or self._sobol_next != index:
            self._sobol = qmc.Sobol(self.space.dims, scramble=True, seed=self.seed)
            self._sobol.fast_forward(index)
        self._sobol_next = index + 1
        return self._sobol.random(1)[0]

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "rule": self.rule}
