"""hyperwidget: HyperDrive-style hyperparameter tuning in the notebook, on joblib, with a live monitor.

The engine runs without Jupyter; ``%load_ext hyperwidget`` adds the ``%%sweep``
cell magic and the live monitor widget.
"""

from __future__ import annotations

from typing import Any

from hyperwidget.context import Run, log
from hyperwidget.errors import (
    HyperwidgetError,
    HyperwidgetWarning,
    SearchSpaceError,
    SweepConfigError,
    TrialStopped,
    TrialTimeout,
)
from hyperwidget.objective import Script
from hyperwidget.policies import EarlyTerminationPolicy, NoTerminationPolicy
from hyperwidget.results import ChildRun, Constraint, SweepResults
from hyperwidget.samplers import RandomParameterSampling, Sampler
from hyperwidget.space import (
    SearchSpace,
    choice,
    loguniform,
    lognormal,
    normal,
    qloguniform,
    qlognormal,
    qnormal,
    quniform,
    randint,
    uniform,
)
from hyperwidget.storage import SqliteStorage
from hyperwidget.sweep import SweepConfig, SweepRun, load_sweep, resume_sweep, run_sweep, start_sweep
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

__version__ = "0.1.0"

__all__ = [
    "ChildRun", "Constraint", "EarlyTerminationPolicy", "Goal", "HyperwidgetError", "HyperwidgetWarning",
    "NoTerminationPolicy", "RandomParameterSampling", "Run", "Sampler", "Script", "SearchSpace",
    "SearchSpaceError", "SqliteStorage", "SweepConfig", "SweepConfigError", "SweepResults", "SweepRun",
    "TrialRecord", "TrialStatus", "TrialStopped", "TrialTimeout", "choice", "load_sweep", "log", "loguniform",
    "lognormal", "normal", "qloguniform", "qlognormal", "qnormal", "quniform", "randint", "resume_sweep",
    "run_sweep", "start_sweep", "uniform", "__version__",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext hyperwidget``: register the ``%%sweep`` magic (imports IPython only now)."""
    from hyperwidget.notebook.magic import load_ipython_extension as load

    load(ipython)
