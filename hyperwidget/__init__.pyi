# The public names of ``hyperwidget``, for type checkers and IDEs; ``__init__.py`` reads the
# ``from .x import ...`` lines of this file with ``lazy_loader.attach_stub`` and imports each
# module on first use (lazy_loader accepts only ``from .module import name`` lines here).

# in-trial logging
from .api import load_sweep, resume_sweep, run_sweep, start_sweep
from .config import SweepConfig
from .console import ConsoleProgress
from .context import Run, load_checkpoint, log, output_dir, save_checkpoint

# errors
from .errors import (
    HyperwidgetError,
    HyperwidgetWarning,
    SearchSpaceError,
    SweepBusyError,
    SweepConfigError,
    SweepFailedError,
    SweepFileError,
    TrialStopped,
    TrialTimeout,
)

# Azure HyperDrive (SDK v1) and sweep jobs (SDK v2)
from .hyperdrive import (
    Dataset,
    Experiment,
    HyperDriveConfig,
    HyperDriveRun,
    PrimaryMetricGoal,
    ScriptRunConfig,
    Workspace,
)

# parameter importance (imports scikit-learn only when called)
from .importance import param_importance

# mirrors a sweep to an MLflow tracking server (imports mlflow only when used)
from .mlflow_logger import MLflowLogger

# the notebook layer (imports IPython and ipywidgets only when used)
from .notebook.browser import browse
from .notebook.live import RunDetails
from .objective import Script
from .plots import plot_param_importance, plot_replay
from .policies import (
    ASHAPolicy,
    BanditPolicy,
    EarlyTerminationPolicy,
    HyperbandPolicy,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    TruncationSelectionPolicy,
    compare_policies,
    replay,
    suggest_policy,
)
from .results import ChildRun, Constraint, SweepResults

# samplers and early-termination policies
from .samplers import (
    BayesianParameterSampling,
    GridParameterSampling,
    GridSamplingAlgorithm,
    RandomParameterSampling,
    RandomSamplingAlgorithm,
    Sampler,
)

# a scikit-learn search estimator whose candidates are the trials of a sweep
from .search_cv import SweepSearchCV

# search spaces: HyperDrive v1 functions, v2 classes, natural-bound types
from .space import (
    Choice,
    LogNormal,
    LogUniform,
    Normal,
    QLogNormal,
    QLogUniform,
    QNormal,
    QUniform,
    Randint,
    SearchSpace,
    Uniform,
    choice,
    finrange,
    intrange,
    log_randint,
    log_uniform,
    logfinrange,
    lognormal,
    loguniform,
    normal,
    qlognormal,
    qloguniform,
    qnormal,
    quniform,
    randint,
    uniform,
)
from .storage import SqliteStorage
from .sweep import SweepRun
from .sweep_job import BayesianSamplingAlgorithm, CommandJob, Environment, Input, MLClient, SweepJob, command

# records, results, storage, the engine and the entry points
from .trial import Goal, TrialRecord, TrialStatus

__version__: str

def load_ipython_extension(ipython: object) -> None: ...

__all__ = [
    "ASHAPolicy",
    "BanditPolicy",
    "BayesianParameterSampling",
    "BayesianSamplingAlgorithm",
    "ChildRun",
    "Choice",
    "CommandJob",
    "ConsoleProgress",
    "Constraint",
    "Dataset",
    "EarlyTerminationPolicy",
    "Environment",
    "Experiment",
    "Goal",
    "GridParameterSampling",
    "GridSamplingAlgorithm",
    "HyperDriveConfig",
    "HyperDriveRun",
    "HyperbandPolicy",
    "HyperwidgetError",
    "HyperwidgetWarning",
    "Input",
    "LogNormal",
    "LogUniform",
    "MLClient",
    "MLflowLogger",
    "MedianStoppingPolicy",
    "NoTerminationPolicy",
    "Normal",
    "PrimaryMetricGoal",
    "QLogNormal",
    "QLogUniform",
    "QNormal",
    "QUniform",
    "Randint",
    "RandomParameterSampling",
    "RandomSamplingAlgorithm",
    "Run",
    "RunDetails",
    "Sampler",
    "Script",
    "ScriptRunConfig",
    "SearchSpace",
    "SearchSpaceError",
    "SqliteStorage",
    "SweepBusyError",
    "SweepConfig",
    "SweepConfigError",
    "SweepFailedError",
    "SweepFileError",
    "SweepJob",
    "SweepResults",
    "SweepRun",
    "SweepSearchCV",
    "TrialRecord",
    "TrialStatus",
    "TrialStopped",
    "TrialTimeout",
    "TruncationSelectionPolicy",
    "Uniform",
    "Workspace",
    "__version__",
    "browse",
    "choice",
    "command",
    "compare_policies",
    "finrange",
    "intrange",
    "load_checkpoint",
    "load_ipython_extension",
    "load_sweep",
    "log",
    "log_randint",
    "log_uniform",
    "logfinrange",
    "lognormal",
    "loguniform",
    "normal",
    "output_dir",
    "param_importance",
    "plot_param_importance",
    "plot_replay",
    "qlognormal",
    "qloguniform",
    "qnormal",
    "quniform",
    "randint",
    "replay",
    "resume_sweep",
    "run_sweep",
    "save_checkpoint",
    "start_sweep",
    "suggest_policy",
    "uniform",
]
