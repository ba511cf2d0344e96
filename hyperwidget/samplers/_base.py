"""The sampler interface: propose one configuration at a time from the sweep's history."""

from __future__ import annotations

import abc
import secrets
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hyperwidget.space import SearchSpace
from hyperwidget.trial import Goal, SearchTask, TrialRecord


class Sampler(abc.ABC):
    """Proposes configurations; never runs, stores or stops trials.

    Parameters
    ----------
    parameter_space : mapping
        Hyperparameter names to expressions (``choice``, ``uniform``, ...) or constants.
    seed : int, optional
        Makes proposals reproducible. Proposal ``i`` uses its own generator
        ``numpy.random.default_rng([seed, i])``, so resumed and parallel sweeps
        reproduce too.

    Notes
    -----
    ``suggest`` sees every trial of the sweep so far: finished ones (with their
    metrics) and the ones still queued or running (with their parameters), so
    that concurrent proposals can spread out. A sampler keeps no state that
    cannot be rebuilt from that history, which is what makes resuming work.
    """

    #: Name used in stored sweep configurations and in the ``%%sweep`` magic.
    name: str = "base"

    def __init__(self, parameter_space: Mapping[str, Any], *, seed: int | None = None) -> None:
        self.space = SearchSpace(parameter_space)
        self.seed = seed
        self._rng_cache = threading.local()
        self._entropy_key = secrets.randbits(63)
        #: The sweep's objectives and constraints, set by the engine before the first proposal
        #: (:meth:`set_task`); ``None`` when the sampler is driven directly with ``suggest``.
        self.task: SearchTask | None = None
        self.validate_space()

    def set_task(self, task: SearchTask) -> None:
        """Receive the sweep's objectives and constraints before the first proposal.

        ``suggest``'s ``metric`` and ``goal`` stay the primary objective. Samplers that
        aim at constraints or several objectives read ``self.task``; the others ignore it.
        """
        self.task = task

    def validate_space(self) -> None:  # noqa: B027 - a hook: by default a sampler takes any space
        """Raise ``SearchSpaceError`` when this sampler cannot handle the space."""

    @abc.abstractmethod
    def suggest(self, history: Sequence[TrialRecord], metric: str, goal: Goal) -> dict[str, Any] | None:
        """The next configuration, or ``None`` when the space is exhausted.

        Parameters
        ----------
        history : sequence of TrialRecord
            Every trial created so far, in creation order (``len(history)`` is
            the index of the proposal being made).
        metric, goal : str, Goal
            The primary metric and its goal, for model-based samplers.
        """

    def max_trials(self) -> int | None:
        """The number of distinct configurations (grid size), or ``None`` when unbounded."""
        return None

    def rng(self, index: int) -> np.random.Generator:
        """The generator for proposal ``index``: its stream depends only on ``(seed, index)``.

        A counter-based Philox generator keyed by the seed is moved to counter
        ``index``, which is several times cheaper than seeding a new generator
        and keeps every proposal independent of the others. Without a seed, a
        random key is drawn once per sampler. The generator is shared per
        thread: use it before asking for another index.
        """
        cache = self._rng_cache.__dict__
        if "generator" not in cache:
            key = int(self.seed) if self.seed is not None else self._entropy_key
            cache["bits"] = np.random.Philox(key=key % 2**64)
            cache["generator"] = np.random.Generator(cache["bits"])
            cache["key"] = cache["bits"].state["state"]["key"]
        cache["bits"].state = {
            "bit_generator": "Philox",
            "state": {"counter": np.array([0, 0, index, 0], dtype=np.uint64), "key": cache["key"]},
            "buffer": np.zeros(4, dtype=np.uint64),
            "buffer_pos": 4,
            "has_uint32": 0,
            "uinteger": 0,
        }
        return cache["generator"]

    def to_json(self) -> dict[str, Any]:
        """Plain data describing this sampler (stored with the sweep)."""
        return {"name": self.name, "seed": self.seed, "space": self.space.to_json()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.space)!r}, seed={self.seed!r})"
