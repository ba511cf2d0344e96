"""Early-termination policies: pure decisions over the recorded metric series."""

from hyperwidget.policies._base import EarlyTerminationPolicy, NoTerminationPolicy

__all__ = ["EarlyTerminationPolicy", "NoTerminationPolicy"]
