"""Azure ML HyperDrive (SDK v1) names, running locally on hyperwidget's engine.

Code written for ``azureml.train.hyperdrive`` runs with only its import lines
changed::

    from hyperwidget import (
        HyperDriveConfig,
        PrimaryMetricGoal,
        Experiment,
        Workspace,
        ScriptRunConfig,
        GridParameterSampling,
        BanditPolicy,
        choice,
    )

    script_config = ScriptRunConfig(source_directory=".", script="train.py")
    hyperdrive = HyperDriveConfig(
        run_config=script_config,
        hyperparameter_sampling=param_sampling,
        policy=None,
        primary_metric_name="Accuracy",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=6,
        max_concurrent_runs=4,
    )
    hyperdrive_run = Experiment(workspace=ws, name="hyperdrive_training").submit(config=hyperdrive)
    hyperdrive_run.wait_for_completion()
    best_run = hyperdrive_run.get_best_run_by_primary_metric()

Where Azure runs child runs on a compute cluster, hyperwidget runs them on a
joblib backend of this machine (``loky`` worker processes by default, or a Dask
cluster with ``compute_target="dask"``).
"""

from __future__ import annotations

import datetime
import enum
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hyperwidget.config import check_count, check_duration, check_optional_count, check_points, check_points_budget
from hyperwidget.context import ENV_INPUT_PREFIX, NamedInput, TabularDataset
from hyperwidget.errors import HyperwidgetWarning, SweepConfigError
from hyperwidget.executor import DEFAULT_BACKEND, backend_for_compute_target, get_backend
from hyperwidget.objective import Script
from hyperwidget.policies import EarlyTerminationPolicy
from hyperwidget.samplers import Sampler
from hyperwidget.space import SearchSpace
from hyperwidget.sweep import DEFAULT_STORAGE, SweepRun, launch, prepare_sweep

#: Azure's service limit on ``max_duration_minutes`` (7 days).
MAX_DURATION_MINUTES = 10080
#: Azure recommends at least this many runs per hyperparameter for Bayesian sampling.
RECOMMENDED_MIN_RUNS_PER_PARAMETER_BAYESIAN = 20
RECOMMENDED_MAX_CONCURRENT_RUNS_BAYESIAN = 20

HyperDriveRun = SweepRun
"""HyperDrive's name for a sweep run: :class:`~hyperwidget.sweep.SweepRun`."""


class PrimaryMetricGoal(str, enum.Enum):
    """Whether the primary metric is maximized or minimized."""

    MAXIMIZE = "MAXIMIZE"
    MINIMIZE = "MINIMIZE"


class Workspace:
    """A local stand-in for an Azure ML workspace: a folder whose sweep file keeps the experiments.

    ``Workspace.from_config()`` and ``Workspace(subscription_id, resource_group,
    workspace_name)`` both work; the Azure identifiers are kept for display only.
    """

    def __init__(
        self,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        workspace_name: str | None = None,
        *,
        path: str | os.PathLike[str] = ".",
        storage: str | None = DEFAULT_STORAGE,
    ) -> None:
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.name = workspace_name or "local"
        self.path = Path(path).resolve()
        self.storage = None if storage is None else str(self.path / storage)

    @classmethod
    def from_config(cls, path: str | os.PathLike[str] | None = None, **kwargs: Any) -> Workspace:
        """The workspace of folder ``path`` (default: the working directory)."""
        return cls(path=path or ".", **kwargs)

    def __repr__(self) -> str:
        return f"Workspace(name={self.name!r}, path={str(self.path)!r})"


class _Tabular:
    @staticmethod
    def from_delimited_files(path: str | os.PathLike[str] | Sequence[str]) -> TabularDataset:
        if not isinstance(path, (str, os.PathLike)):
            path = path[0]
        if not Path(path).is_file():
            raise SweepConfigError(f"Dataset.Tabular.from_delimited_files: no file at {str(path)!r}.")
        return TabularDataset(path)


class Dataset:
    """Local files as Azure ML datasets: ``Dataset.Tabular.from_delimited_files("data.csv")``."""

    Tabular = _Tabular


class ScriptRunConfig:
    """A training script to run as each child run (Azure's ``ScriptRunConfig``).

    Parameters
    ----------
    source_directory : str
        The folder holding the script and what it reads.
    script : str
        The script, relative to ``source_directory``.
    arguments : list, optional
        Fixed arguments; a dataset's ``as_named_input(name)`` becomes the file's
        path and ``run.input_datasets[name]`` in the script.
    compute_target : str, optional
        ``"local"`` (worker processes, the default), ``"dask"`` (the active Dask
        client) or any backend name of :func:`~hyperwidget.run_sweep`; any other
        name (an Azure cluster's, a ``ComputeTarget``) runs on this machine with
        the default backend, said once per name.
    environment : mapping, optional
        Extra environment variables (an Azure ``Environment`` object is ignored).
    inputs : list, optional
        Datasets given with ``as_named_input(name)`` that are not command-line
        arguments (as the v1 ``Estimator``'s ``inputs``): the script reads them
        with ``run.input_datasets[name]``.
    **_azure_only
        Azure's other keywords (``distributed_job_config``, ``max_run_duration_seconds``...)
        are accepted so that Azure code runs unchanged; they have no effect.
    """

    def __init__(
        self,
        source_directory: str = ".",
        script: str | None = None,
        arguments: Sequence[Any] | None = None,
        compute_target: Any = None,
        environment: Any = None,
        inputs: Sequence[NamedInput] | None = None,
        **_azure_only: Any,
    ) -> None:
        if not script:
            raise SweepConfigError("ScriptRunConfig: script is required, e.g. script='train.py'.")
        self.source_directory = source_directory
        self.script = script
        self.arguments = list(arguments or [])
        self.compute_target = compute_target
        self.environment = environment if isinstance(environment, Mapping) else None
        self.inputs = list(inputs or [])

    def to_script(self) -> Script:
        """The :class:`~hyperwidget.objective.Script` each child run executes."""
        env = dict(self.environment or {})
        env.update(
            {
                f"{ENV_INPUT_PREFIX}{a.name}": a.dataset.path
                for a in [*self.arguments, *self.inputs]
                if isinstance(a, NamedInput)
            }
        )
        return Script(
            self.script,
            arguments=tuple(str(a) for a in self.arguments),
            source_directory=self.source_directory,
            environment=env,
        )

    @property
    def backend(self) -> str:
        """The joblib backend the compute target maps to."""
        return backend_for_compute_target(self.compute_target)


class HyperDriveConfig:
    """A HyperDrive sweep definition (Azure SDK v1 signature).

    Parameters
    ----------
    hyperparameter_sampling : Sampler
        ``GridParameterSampling``, ``RandomParameterSampling`` or ``BayesianParameterSampling``.
    primary_metric_name : str
        The metric the training script logs, named exactly.
    primary_metric_goal : PrimaryMetricGoal
        ``MAXIMIZE`` or ``MINIMIZE``.
    max_total_runs : int
        How many child runs at most (fewer when a grid is smaller).
    max_concurrent_runs : int, optional
        ``None`` means ``max_total_runs`` (Azure's rule); hyperwidget then runs
        as many at once as the backend's workers allow.
    max_duration_minutes : int
        Budget of the whole sweep; above Azure's 10080 a warning is given and 10080 used.
    policy : EarlyTerminationPolicy, optional
        ``None`` means no early termination. Unlike Azure, Bayesian sampling may
        be combined with a policy.
    run_config, estimator : ScriptRunConfig or callable
        What each child run executes: a script, or a Python function of the
        hyperparameters (exactly one of the two).
    points_to_evaluate : sequence of dict, optional
        A hyperwidget extension (keyword only): known configurations run first, in
        order, as the first child runs; checked here against the sampling's space and
        counted in ``max_total_runs`` (see :func:`hyperwidget.run_sweep`).
    """

    def __init__(
        self,
        hyperparameter_sampling: Sampler,
        primary_metric_name: str,
        primary_metric_goal: PrimaryMetricGoal | str,
        max_total_runs: int,
        max_concurrent_runs: int | None = None,
        max_duration_minutes: int = MAX_DURATION_MINUTES,
        policy: EarlyTerminationPolicy | None = None,
        estimator: Any = None,
        run_config: ScriptRunConfig | Callable[..., Any] | None = None,
        resume_from: Any = None,
        resume_child_runs: Any = None,
        pipeline: Any = None,
        debug_flag: Any = None,
        custom_run_id: str | None = None,
        *,
        trial_timeout: float | None = None,
        backend: str | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        if (run_config is None) == (estimator is None):
            raise SweepConfigError(
                "HyperDriveConfig: give exactly one of run_config (a ScriptRunConfig or a function) and estimator."
            )
        for name, value in (
            ("pipeline", pipeline),
            ("resume_from", resume_from),
            ("resume_child_runs", resume_child_runs),
        ):
            if value is not None:
                raise SweepConfigError(
                    f"HyperDriveConfig: {name} is not supported locally; to go on with a "
                    "stored sweep use hyperwidget.resume_sweep(name, objective)."
                )
        check_count("max_total_runs", max_total_runs, "it is the number of child runs.")
        check_optional_count("max_concurrent_runs", max_concurrent_runs, "use 1 to run one child run at a time")
        check_duration("max_duration_minutes", max_duration_minutes, unit="minutes", maximum=float("inf"))
        check_duration("trial_timeout", trial_timeout)
        if max_duration_minutes is not None and max_duration_minutes > MAX_DURATION_MINUTES:
            warnings.warn(
                f"max_duration_minutes={max_duration_minutes} is above the limit of "
                f"{MAX_DURATION_MINUTES}; using {MAX_DURATION_MINUTES}.",
                HyperwidgetWarning,
                stacklevel=2,
            )
            max_duration_minutes = MAX_DURATION_MINUTES
        self.hyperparameter_sampling = hyperparameter_sampling
        self.primary_metric_name = primary_metric_name
        self.primary_metric_goal = primary_metric_goal
        self.max_total_runs = max_total_runs
        self.max_concurrent_runs = max_total_runs if max_concurrent_runs is None else max_concurrent_runs
        self._concurrency_given = max_concurrent_runs is not None
        self.max_duration_minutes = max_duration_minutes
        self.policy = policy
        self.run_config = run_config if run_config is not None else estimator
        self.trial_timeout = trial_timeout
        configured: str = getattr(self.run_config, "backend", DEFAULT_BACKEND)  # a ScriptRunConfig's compute target
        self.backend = backend or configured
        self.custom_run_id = custom_run_id
        self.points_to_evaluate = self._check_points(points_to_evaluate)
        self._warn_bayesian()

    def _check_points(self, points: Sequence[Mapping[str, Any]] | None) -> tuple[dict[str, Any], ...]:
        """The known points as full configurations of the sampling's space, within ``max_total_runs``."""
        if not points:
            return ()
        space = getattr(self.hyperparameter_sampling, "space", None)
        if not isinstance(space, SearchSpace):
            raise SweepConfigError(
                "HyperDriveConfig: points_to_evaluate needs a hyperparameter_sampling built on a search space, "
                f"such as RandomParameterSampling({{...}}), got {self.hyperparameter_sampling!r}."
            )
        checked = check_points(space, points)
        check_points_budget(len(checked), self.max_total_runs)
        return checked

    def _warn_bayesian(self) -> None:
        if getattr(self.hyperparameter_sampling, "name", "") != "bayesian":
            return
        dims = self.hyperparameter_sampling.space.dims
        recommended = RECOMMENDED_MIN_RUNS_PER_PARAMETER_BAYESIAN * dims
        if self.max_total_runs < recommended:
            warnings.warn(
                f"Bayesian sampling with {dims} hyperparameters is recommended to run at least "
                f"{recommended} runs (20 per hyperparameter); max_total_runs={self.max_total_runs}.",
                HyperwidgetWarning,
                stacklevel=3,
            )
        if self.max_concurrent_runs > RECOMMENDED_MAX_CONCURRENT_RUNS_BAYESIAN:
            warnings.warn(
                f"max_concurrent_runs={self.max_concurrent_runs} is above 20: Bayesian sampling "
                "learns less from each proposal when many run at once.",
                HyperwidgetWarning,
                stacklevel=3,
            )

    def objective(self) -> Any:
        """What each child run executes: a Script or the function itself."""
        if isinstance(self.run_config, ScriptRunConfig):
            return self.run_config.to_script()
        if callable(self.run_config):
            return self.run_config
        raise SweepConfigError(
            f"HyperDriveConfig: run_config must be a ScriptRunConfig or a function, got {self.run_config!r}."
        )

    def prepare(self, name: str, storage: str | None, observers: Sequence[Any] = ()) -> SweepRun:
        """A :class:`SweepRun` for this configuration, not started."""
        backend = self.backend
        concurrency = get_backend(backend).limit_concurrency(min(self.max_concurrent_runs, self.max_total_runs))
        if not self._concurrency_given:  # "gated on the resources of the compute target": this machine
            concurrency = min(concurrency, os.cpu_count() or 1)
        return prepare_sweep(
            self.objective(),
            None,
            metric=self.primary_metric_name,
            goal=self.primary_metric_goal,
            sampler=self.hyperparameter_sampling,
            policy=self.policy,
            max_total_runs=self.max_total_runs,
            max_concurrent_runs=concurrency,
            max_duration_minutes=self.max_duration_minutes,
            trial_timeout=self.trial_timeout,
            backend=backend,
            name=name,
            storage=storage,
            observers=observers,
            points_to_evaluate=self.points_to_evaluate,
        )


class Experiment:
    """A named group of sweeps in a workspace; :meth:`submit` starts one."""

    def __init__(self, workspace: Workspace | None = None, name: str = "experiment") -> None:
        self.workspace = workspace or Workspace.from_config()
        self.name = name

    def submit(
        self,
        config: HyperDriveConfig,
        tags: Mapping[str, str] | None = None,
        observers: Sequence[Any] = (),
        **_azure_only: Any,
    ) -> SweepRun:
        """Start the sweep in the background and return its run at once (as Azure does).

        Wait with ``run.wait_for_completion()``, or watch it with ``RunDetails(run).show()``.
        Azure's other keywords are accepted and have no effect.
        """
        if not isinstance(config, HyperDriveConfig):
            raise SweepConfigError(f"Experiment.submit: config must be a HyperDriveConfig, got {config!r}.")
        name = config.custom_run_id or f"HD_{self.name}_{datetime.datetime.now():%Y%m%d_%H%M%S_%f}"
        return launch(config.prepare(name, self.workspace.storage, observers))
