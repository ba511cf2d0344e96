"""hyperwidget: HyperDrive-style hyperparameter tuning in the notebook, on joblib, with a live monitor.

The engine runs without Jupyter; ``%load_ext hyperwidget`` adds the ``%%sweep``
cell magic and the live monitor widget. Public names are imported on first use
(PEP 562), so that a training script's ``from hyperwidget import Run`` starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # in-trial logging
    "Run": "context",
    "log": "context",
    # errors
    "HyperwidgetError": "errors",
    "HyperwidgetWarning": "errors",
    "SearchSpaceError": "errors",
    "SweepConfigError": "errors",
    "SweepFailedError": "errors",
    "TrialStopped": "errors",
    "TrialTimeout": "errors",
    # search spaces (HyperDrive v1 functions, v2 classes, natural-bound types)
    **{
        name: "space"
        for name in (
            "SearchSpace",
            "choice",
            "randint",
            "uniform",
            "quniform",
            "loguniform",
            "qloguniform",
            "normal",
            "qnormal",
            "lognormal",
            "qlognormal",
            "Choice",
            "Randint",
            "Uniform",
            "QUniform",
            "LogUniform",
            "QLogUniform",
            "Normal",
            "QNormal",
            "LogNormal",
            "QLogNormal",
            "log_uniform",
            "log_randint",
            "intrange",
            "finrange",
            "logfinrange",
        )
    },
    # samplers and policies
    **{
        name: "samplers"
        for name in (
            "Sampler",
            "RandomParameterSampling",
            "GridParameterSampling",
            "BayesianParameterSampling",
            "RandomSamplingAlgorithm",
            "GridSamplingAlgorithm",
        )
    },
    **{
        name: "policies"
        for name in (
            "EarlyTerminationPolicy",
            "NoTerminationPolicy",
            "BanditPolicy",
            "MedianStoppingPolicy",
            "TruncationSelectionPolicy",
            "ASHAPolicy",
            "HyperbandPolicy",
            "replay",
            "compare_policies",
        )
    },
    "plot_replay": "plots",
    # records, results, storage, the engine
    "Goal": "trial",
    "TrialRecord": "trial",
    "TrialStatus": "trial",
    "ChildRun": "results",
    "Constraint": "results",
    "SweepResults": "results",
    "Script": "objective",
    "SqliteStorage": "storage",
    "SweepConfig": "config",
    "SweepRun": "sweep",
    **{name: "api" for name in ("run_sweep", "start_sweep", "resume_sweep", "load_sweep")},
    # Azure HyperDrive (SDK v1) and sweep jobs (SDK v2)
    **{
        name: "hyperdrive"
        for name in (
            "HyperDriveConfig",
            "HyperDriveRun",
            "PrimaryMetricGoal",
            "Experiment",
            "Workspace",
            "ScriptRunConfig",
            "Dataset",
        )
    },
    **{name: "sweep_job" for name in ("command", "CommandJob", "SweepJob", "MLClient", "BayesianSamplingAlgorithm")},
    "mlflow": "mlflow",
    # the notebook layer (imports IPython/ipywidgets only when used)
    "RunDetails": "notebook.live",
    "ConsoleProgress": "console",
}

__all__ = [*sorted(_EXPORTS), "__version__", "load_ipython_extension"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hyperwidget' has no attribute {name!r}")
    imported = importlib.import_module(f"hyperwidget.{module}")
    value = imported if module == name else getattr(imported, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext hyperwidget``: register the ``%%sweep`` magic (imports IPython only now)."""
    from hyperwidget.notebook.magic import load_ipython_extension as load

    load(ipython)
