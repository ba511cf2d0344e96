"""Hyperband, asynchronous stopping variant: ASHA run in several brackets of different aggressiveness."""

from __future__ import annotations

import functools
import math

from hyperwidget.errors import SweepConfigError
from hyperwidget.policies._asha import ASHAPolicy
from hyperwidget.trial import TrialRecord


def _interleave(weights: list[int]) -> tuple[int, ...]:
    """A cycle of bracket numbers holding ``weights[b]`` copies of ``b``, evenly spread.

    Smooth weighted round robin: deterministic, and any window of the cycle
    holds each bracket roughly in proportion to its weight.
    """
    total = sum(weights)
    current = [0] * len(weights)
    cycle = []
    for _ in range(total):
        current = [c + w for c, w in zip(current, weights, strict=True)]
        pick = current.index(max(current))
        current[pick] -= total
        cycle.append(pick)
    return tuple(cycle)


class HyperbandPolicy(ASHAPolicy):
    """Hyperband over a reported resource: trials are spread over brackets, each one an ASHA.

    Bracket ``b`` (0 = most aggressive) has its first rung at
    ``min_resource * reduction_factor**b``; a trial is compared only with the
    trials of its own bracket (Li et al. 2018, asynchronous as in d2l.ai and
    Syne Tune's ``HyperbandScheduler(brackets=...)``).

    Parameters
    ----------
    max_resource, min_resource, reduction_factor, resource_attr, grace_period, type
        As for :class:`ASHAPolicy`; ``type="promotion"`` pauses and promotes trials
        within each bracket (a paused trial ranks only among its bracket's trials,
        and the one at the highest rung over all brackets is promoted first).
    brackets : int, optional
        Number of brackets; default ``floor(log_eta(max_resource / min_resource)) + 1``,
        Hyperband's ``s_max + 1`` (also the maximum allowed).

    Notes
    -----
    **Bracket assignment** is a pure function of ``trial.index`` (so resumed and
    replayed sweeps decide the same): bracket ``b`` gets weight
    ``ceil(B * eta**s / (s + 1))`` with ``s = B - 1 - b`` -- Hyperband's number of
    configurations per bracket, as in Optuna's ``HyperbandPruner`` -- and
    ``trial.index`` walks a fixed cycle interleaving the brackets by weight.
    When ``max_resource / min_resource`` is a power of ``eta`` the last bracket
    has no rung below ``max_resource`` and trains its trials fully, as in the
    Hyperband paper.
    """

    name = "hyperband"

    def __init__(
        self,
        max_resource: int,
        min_resource: int = 1,
        reduction_factor: float = 3,
        resource_attr: str | None = None,
        brackets: int | None = None,
        *,
        grace_period: int | None = None,
        type: str = "stopping",
    ) -> None:
        super().__init__(
            max_resource, min_resource, reduction_factor, resource_attr, grace_period=grace_period, type=type
        )
        most = math.floor(math.log(self.max_resource / self.min_resource, self.reduction_factor) + 1e-9) + 1
        if brackets is not None and (
            isinstance(brackets, bool) or not isinstance(brackets, int) or not 1 <= brackets <= most
        ):
            raise SweepConfigError(
                f"HyperbandPolicy: brackets must be an int from 1 to {most} (floor(log_eta(max_resource"
                f" / min_resource)) + 1 for these settings), got brackets={brackets!r}."
            )
        self.brackets = brackets

    @property
    def n_brackets(self) -> int:
        """The number of brackets used."""
        if self.brackets is not None:
            return self.brackets
        ratio = self.max_resource / self.min_resource
        return math.floor(math.log(ratio, self.reduction_factor) + 1e-9) + 1

    def bracket_weights(self) -> list[int]:
        """Relative number of trials per bracket (Hyperband's ``n_s``)."""
        count = self.n_brackets
        return [math.ceil(count * self.reduction_factor ** (count - 1 - b) / (count - b)) for b in range(count)]

    def bracket_of(self, trial: TrialRecord) -> int:
        """The bracket of ``trial``, from its index through the weighted cycle."""
        cycle = _cycle(tuple(self.bracket_weights()))
        return cycle[trial.index % len(cycle)]

    def _bracket_text(self, bracket: int) -> str:
        return f" [bracket {bracket}]"


@functools.lru_cache(maxsize=32)
def _cycle(weights: tuple[int, ...]) -> tuple[int, ...]:
    return _interleave(list(weights))
