"""Early-termination policies: pure decisions over the recorded metric series.

HyperDrive's :class:`BanditPolicy`, :class:`MedianStoppingPolicy`,
:class:`TruncationSelectionPolicy` and :class:`NoTerminationPolicy`, the
multi-fidelity :class:`ASHAPolicy` and :class:`HyperbandPolicy`, and the
what-if :func:`replay` of any of them over a finished sweep (drawn by
:func:`hyperwidget.plots.plot_replay`), and the advice built on it:
:func:`compare_policies` ranks candidate settings by compute saved without
losing the best result, :func:`suggest_policy` picks one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hyperwidget.errors import SweepConfigError
from hyperwidget.policies._advice import candidate_policies, compare_policies, suggest_policy
from hyperwidget.policies._asha import ASHAPolicy
from hyperwidget.policies._bandit import BanditPolicy
from hyperwidget.policies._base import EarlyTerminationPolicy, NoTerminationPolicy
from hyperwidget.policies._hyperband import HyperbandPolicy
from hyperwidget.policies._median import MedianStoppingPolicy
from hyperwidget.policies._replay import ReplayReport, replay
from hyperwidget.policies._truncation import TruncationSelectionPolicy
from hyperwidget.registry import Entry, Registry

#: THE table of policy names, read by ``run_sweep(policy="median")``, the ``%%sweep --policy`` option and
#: :func:`policy_from_json` (each policy's ``to_json()`` stores its ``name``).
POLICIES = Registry(
    "policy",
    {
        cls.name: Entry(cls)
        for cls in (
            BanditPolicy,
            MedianStoppingPolicy,
            TruncationSelectionPolicy,
            ASHAPolicy,
            HyperbandPolicy,
            NoTerminationPolicy,
        )
    },
)


def make_policy(spec: str, *, setting: str = "policy") -> EarlyTerminationPolicy:
    """The policy named by ``spec``: ``"median"``, ``"bandit(slack_factor=0.1)"`` (literal keywords only).

    Raises
    ------
    SweepConfigError
        For an unknown name (listing the registered ones) or keywords the policy refuses.
    """
    return POLICIES.build(spec, setting=setting)  # type: ignore[no-any-return]


def policy_from_json(data: Mapping[str, Any] | None) -> EarlyTerminationPolicy:
    """Rebuild a policy from the plain data its ``to_json()`` returned.

    Parameters
    ----------
    data : mapping or None
        ``{"name": "bandit", "slack_factor": 0.1, ...}``; ``None`` (no policy
        stored) gives :class:`NoTerminationPolicy`.

    Raises
    ------
    SweepConfigError
        For an unknown name or keywords the policy does not take.
    """
    if data is None:
        return NoTerminationPolicy()
    if not isinstance(data, Mapping) or "name" not in data:
        raise SweepConfigError(
            f"policy_from_json: expected a mapping with a 'name' key (from policy.to_json()), got {data!r}."
        )
    params = dict(data)
    name = params.pop("name")
    if name not in POLICIES:
        raise SweepConfigError(f"policy_from_json: unknown policy name {name!r}; known: {', '.join(sorted(POLICIES))}.")
    cls: type[EarlyTerminationPolicy] = POLICIES.load(name)
    try:
        return cls(**params)
    except TypeError as exc:
        raise SweepConfigError(f"policy_from_json: cannot rebuild {cls.__name__} from {data!r}: {exc}.") from exc


__all__ = [
    "POLICIES",
    "ASHAPolicy",
    "BanditPolicy",
    "EarlyTerminationPolicy",
    "HyperbandPolicy",
    "MedianStoppingPolicy",
    "NoTerminationPolicy",
    "ReplayReport",
    "TruncationSelectionPolicy",
    "candidate_policies",
    "compare_policies",
    "make_policy",
    "policy_from_json",
    "replay",
    "suggest_policy",
]
