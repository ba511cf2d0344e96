"""Azure ML v2 sweep jobs (``azure.ai.ml``), running locally on hyperwidget's engine.

Code written for ``azure.ai.ml`` runs with only its import lines changed::

    from hyperwidget import command, Choice, Uniform, BanditPolicy, MLClient

    job = command(
        code="./src",
        command="python train.py --batch_size ${{inputs.batch_size}} --learning_rate ${{inputs.learning_rate}}",
        inputs={"batch_size": 32, "learning_rate": 0.01},
    )
    command_job_for_sweep = job(
        batch_size=Choice(values=[16, 32, 64]), learning_rate=Uniform(min_value=0.05, max_value=0.1)
    )
    sweep_job = command_job_for_sweep.sweep(sampling_algorithm="bayesian", primary_metric="accuracy", goal="Maximize")
    sweep_job.early_termination = BanditPolicy(slack_amount=0.2, delay_evaluation=5, evaluation_interval=1)
    sweep_job.set_limits(max_total_trials=20, max_concurrent_trials=2, timeout=7200, trial_timeout=600)
    returned = MLClient().jobs.create_or_update(sweep_job)
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hyperwidget.config import check_count, check_duration, check_points
from hyperwidget.errors import HyperwidgetWarning, SweepConfigError
from hyperwidget.executor import backend_for_compute_target, get_backend
from hyperwidget.objective import Script
from hyperwidget.policies import EarlyTerminationPolicy
from hyperwidget.samplers import SAMPLERS, Sampler, make_sampler
from hyperwidget.space import Expression, SearchSpace
from hyperwidget.sweep import DEFAULT_STORAGE, SweepRun, launch, load_results, prepare_sweep, stream_trials


@dataclasses.dataclass(frozen=True)
class BayesianSamplingAlgorithm:
    """Azure ML v2's ``BayesianSamplingAlgorithm()``: model-based sampling (see :meth:`build`)."""

    def build(self, space: Mapping[str, Any]) -> Sampler:
        """The Bayesian sampler for ``space``."""
        return make_sampler("bayesian", space)


@dataclasses.dataclass(frozen=True)
class _NamedAlgorithm:
    """A ``sampling_algorithm`` given by name: any sampler registered in ``hyperwidget.samplers.SAMPLERS``."""

    name: str

    def build(self, space: Mapping[str, Any]) -> Sampler:
        """The sampler registered under :attr:`name`, over ``space``."""
        return make_sampler(self.name, space, setting="sampling_algorithm")


def _algorithm(value: Any) -> Any:
    if isinstance(value, str):
        if value.strip().lower() not in SAMPLERS:
            raise SweepConfigError(
                f"sampling_algorithm: unknown {value!r}; use one of: {', '.join(SAMPLERS)}, "
                "or RandomSamplingAlgorithm(seed=..., rule='sobol')."
            )
        return _NamedAlgorithm(value.strip().lower())
    if not hasattr(value, "build"):
        raise SweepConfigError(
            f"sampling_algorithm must be one of {', '.join(map(repr, SAMPLERS))} or a "
            f"*SamplingAlgorithm object, got {value!r}."
        )
    return value


_NOTES: set[str] = set()  # the one-time notes already given in this process


def _note_once(key: str, text: str) -> None:
    if key not in _NOTES:
        _NOTES.add(key)
        warnings.warn(text, HyperwidgetWarning, stacklevel=4)


#: Azure input types whose value is a path, and those whose value is their ``default``.
_PATH_TYPES = ("uri_file", "uri_folder")
_VALUE_TYPES = ("integer", "number", "string", "boolean")


class Input:
    """Azure ML v2's ``Input``: a local file or folder (or a literal) handed to the command's ``${{inputs.name}}``.

    ``Input(type="uri_file", path="./data/train.csv")`` becomes the file's absolute
    path on the command line; ``uri_folder`` a folder's. Relative paths are read
    from the current working directory when the ``Input`` is made (Azure uploads
    them from there). A literal type (``integer``, ``number``, ``string``,
    ``boolean``) passes its ``default``.

    Raises
    ------
    SweepConfigError
        For a remote path (``azureml:``, ``https://``...; download it first and give
        the local path), a path that does not exist or is of the wrong kind, or
        another type (``mltable``, models).
    """

    def __init__(
        self,
        *,
        type: str = "uri_folder",
        path: str | os.PathLike[str] | None = None,
        default: Any = None,
        mode: str | None = None,
        description: str | None = None,
        **_azure_only: Any,
    ) -> None:
        self.type, self.mode, self.description = type, mode, description
        if type in _VALUE_TYPES:
            self.value: Any = default
            return
        if type not in _PATH_TYPES:
            raise SweepConfigError(
                f"Input(type={type!r}): not supported here; use type='uri_file' or 'uri_folder' with a local "
                f"path, or a literal type ({', '.join(_VALUE_TYPES)}) with default=."
            )
        self.value = _local_path(type, path)

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return f"Input(type={self.type!r}, value={self.value!r})"


def _local_path(kind: str, path: str | os.PathLike[str] | None) -> str:
    """The absolute local path of a ``uri_file``/``uri_folder`` input, checked."""
    text = os.fspath(path) if path is not None else ""
    if not text:
        raise SweepConfigError(f"Input(type={kind!r}): path is required, e.g. path='./data/train.csv'.")
    if "://" in text or text.startswith("azureml:"):
        raise SweepConfigError(
            f"Input(path={text!r}): a remote location; trials run on this machine, so download it first and "
            f"give the local path, e.g. Input(type={kind!r}, path='./data/...')."
        )
    resolved = Path(text).expanduser().resolve()
    exists = resolved.is_file() if kind == "uri_file" else resolved.is_dir()
    if not exists:
        wanted = "file" if kind == "uri_file" else "folder"
        raise SweepConfigError(
            f"Input(type={kind!r}, path={text!r}): no such {wanted} ({resolved}); check the path, which is "
            "relative to the current working directory."
        )
    return str(resolved)


class Environment:
    """Azure ML v2's ``Environment(image=..., conda_file=...)``: accepted; trials use this Python environment.

    Trials run with the interpreter and packages of the process running the
    sweep; install what the training script needs there. Using an environment
    (this object or a name such as ``"AzureML-sklearn-1.0@latest"``) in
    :func:`command` says so once.
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        version: str | None = None,
        image: str | None = None,
        conda_file: str | os.PathLike[str] | None = None,
        description: str | None = None,
        **_azure_only: Any,
    ) -> None:
        self.name, self.version, self.image, self.conda_file = name, version, image, conda_file
        self.description = description

    def __repr__(self) -> str:
        return f"Environment(name={self.name!r}, image={self.image!r}, conda_file={self.conda_file!r})"


def _environment_variables(environment: Any) -> Mapping[str, str] | None:
    """Extra environment variables given as a mapping; an Azure environment is noted once and otherwise ignored."""
    if environment is None or isinstance(environment, Mapping):
        return environment
    _note_once(
        "environment",
        f"environment={environment!r}: trials run in this Python environment ({sys.executable}); install "
        "what the training script needs here (an Azure environment's image and conda file are not used).",
    )
    return None


@dataclasses.dataclass
class SweepJobLimits:
    """Azure's sweep limits: counts, and times in seconds."""

    max_total_trials: int = 1000
    max_concurrent_trials: int | None = None
    timeout: float | None = None
    trial_timeout: float | None = None


class CommandJob:
    """A command with ``${{inputs.name}}`` placeholders; call it with expressions to make a sweepable job."""

    def __init__(
        self,
        command: str,
        code: str = ".",
        inputs: Mapping[str, Any] | None = None,
        environment: Any = None,
        compute: str | None = None,
        display_name: str | None = None,
        experiment_name: str | None = None,
    ) -> None:
        self.command = command
        self.code = code
        self.inputs = dict(inputs or {})
        self.environment = _environment_variables(environment)
        self.compute = compute
        self.display_name = display_name
        self.experiment_name = experiment_name

    def __call__(self, **inputs: Any) -> CommandJob:
        """A copy whose inputs are updated; search-space expressions make them hyperparameters."""
        job = copy.copy(self)
        job.inputs = {**self.inputs, **inputs}
        return job

    @property
    def search_space(self) -> dict[str, Expression]:
        """The inputs that are search-space expressions."""
        return {k: v for k, v in self.inputs.items() if isinstance(v, Expression)}

    def sweep(
        self,
        *,
        primary_metric: str,
        goal: str,
        sampling_algorithm: Any = "random",
        compute: str | None = None,
        max_total_trials: int | None = None,
        max_concurrent_trials: int | None = None,
        timeout: float | None = None,
        trial_timeout: float | None = None,
        early_termination_policy: EarlyTerminationPolicy | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        **_azure_only: Any,
    ) -> SweepJob:
        """A :class:`SweepJob` over this job's search-space inputs (Azure's other keywords have no effect).

        ``points_to_evaluate`` (a hyperwidget extension) lists known configurations of
        the search-space inputs to run first, as in :func:`hyperwidget.run_sweep`.
        """
        if not self.search_space:
            raise SweepConfigError(
                "sweep(): no input is a search-space expression; call the job with e.g. "
                "job(learning_rate=Uniform(min_value=0.01, max_value=0.1)) first."
            )
        job = SweepJob(
            self,
            primary_metric=primary_metric,
            goal=goal,
            sampling_algorithm=_algorithm(sampling_algorithm),
            compute=compute or self.compute,
            early_termination=early_termination_policy,
            points_to_evaluate=points_to_evaluate,
        )
        job.set_limits(
            max_total_trials=max_total_trials,
            max_concurrent_trials=max_concurrent_trials,
            timeout=timeout,
            trial_timeout=trial_timeout,
        )
        return job

    def script(self) -> Script:
        """The child-run command as a :class:`~hyperwidget.objective.Script`."""
        fixed = {
            k: v.value if isinstance(v, Input) else v for k, v in self.inputs.items() if not isinstance(v, Expression)
        }
        return Script.from_command(self.command, source_directory=self.code, inputs=fixed, environment=self.environment)


def command(
    *,
    command: str,
    code: str = ".",
    inputs: Mapping[str, Any] | None = None,
    environment: Any = None,
    compute: str | None = None,
    display_name: str | None = None,
    experiment_name: str | None = None,
    **_azure_only: Any,
) -> CommandJob:
    """Azure's ``command(...)`` builder: a child run given as a command line (Azure's other keywords have no effect)."""
    return CommandJob(
        command,
        code=code,
        inputs=inputs,
        environment=environment,
        compute=compute,
        display_name=display_name,
        experiment_name=experiment_name,
    )


class SweepJob:
    """A sweep over a command job (Azure's ``SweepJob``); submit it with ``MLClient().jobs.create_or_update``."""

    def __init__(
        self,
        trial: CommandJob,
        *,
        primary_metric: str,
        goal: str,
        sampling_algorithm: Any,
        compute: str | None = None,
        early_termination: EarlyTerminationPolicy | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        self.trial = trial
        #: Known configurations run first (checked against the search-space inputs; see ``run_sweep``).
        self.points_to_evaluate = check_points(SearchSpace(trial.search_space), points_to_evaluate)
        self.primary_metric = primary_metric
        self.goal = goal
        self.sampling_algorithm = sampling_algorithm
        self.compute = compute
        self.early_termination = early_termination
        self.limits = SweepJobLimits()
        self.name: str | None = None
        self.display_name = trial.display_name
        self.experiment_name = trial.experiment_name

    @property
    def search_space(self) -> dict[str, Expression]:
        """The hyperparameters being swept."""
        return self.trial.search_space

    def set_limits(
        self,
        *,
        max_concurrent_trials: int | None = None,
        max_total_trials: int | None = None,
        timeout: float | None = None,
        trial_timeout: float | None = None,
    ) -> None:
        """Set the limits given (counts; ``timeout`` and ``trial_timeout`` in seconds); ``None`` leaves one as is."""
        for name, count in (("max_concurrent_trials", max_concurrent_trials), ("max_total_trials", max_total_trials)):
            if count is not None:
                check_count(name, count, "it is a number of trials (or None to leave it as is).")
        for name, seconds in (("timeout", timeout), ("trial_timeout", trial_timeout)):
            check_duration(name, seconds)
        for name, value in (
            ("max_concurrent_trials", max_concurrent_trials),
            ("max_total_trials", max_total_trials),
            ("timeout", timeout),
            ("trial_timeout", trial_timeout),
        ):
            if value is not None:
                setattr(self.limits, name, value)

    def prepare(self, name: str, storage: str | None, observers: Sequence[Any] = ()) -> SweepRun:
        """A :class:`SweepRun` for this job, not started."""
        backend = backend_for_compute_target(self.compute)
        limits = self.limits
        concurrency = limits.max_concurrent_trials
        if concurrency is None:
            concurrency = min(limits.max_total_trials, os.cpu_count() or 1)
        concurrency = get_backend(backend).limit_concurrency(concurrency)
        return prepare_sweep(
            self.trial.script(),
            None,
            metric=self.primary_metric,
            goal=self.goal,
            sampler=self.sampling_algorithm.build(self.search_space),
            policy=self.early_termination,
            max_total_runs=limits.max_total_trials,
            max_concurrent_runs=concurrency,
            max_duration_minutes=None if limits.timeout is None else limits.timeout / 60,
            trial_timeout=limits.trial_timeout,
            backend=backend,
            name=name,
            storage=storage,
            observers=observers,
            points_to_evaluate=self.points_to_evaluate,
        )


class _Jobs:
    def __init__(self, client: MLClient) -> None:
        self._client = client
        self._runs: dict[str, SweepRun] = {}

    def create_or_update(self, job: SweepJob, *, experiment_name: str | None = None, **_azure_only: Any) -> SweepRun:
        """Start the sweep job in the background; returns its run at once (Azure's other keywords have no effect)."""
        if not isinstance(job, SweepJob):
            raise SweepConfigError(
                f"jobs.create_or_update takes a SweepJob (from command_job.sweep(...)), got {job!r}."
            )
        prefix = experiment_name or job.experiment_name or "sweep"
        job.name = job.name or f"{prefix}_{datetime.datetime.now():%Y%m%d_%H%M%S_%f}"
        run = launch(job.prepare(job.name, self._client.storage, self._client.observers))
        self._runs[job.name] = run
        return run

    def stream(self, name: str) -> None:
        """Print job ``name``'s trials as they start and end, then its summary; raise a ``Failed`` job's error.

        As Azure's ``jobs.stream``: it returns when the job has ended. A job read
        back from storage (not started by this client) prints its summary only.
        """
        run = self.get(name)
        print(f"RunId: {name}\nWeb View: {getattr(run, 'studio_url', '')}\n", flush=True)
        try:
            if isinstance(run, SweepRun):
                stream_trials(run)
                run.wait()
        finally:
            print(run, flush=True)

    def get(self, name: str) -> Any:
        """The run of job ``name`` (live when started by this client, else read from storage)."""
        if name in self._runs:
            return self._runs[name]
        if self._client.storage is None:
            raise SweepConfigError(f"no job named {name!r} in this client.")
        return load_results(name, self._client.storage)


class MLClient:
    """A local stand-in for Azure's ``MLClient``: jobs run on this machine and are stored in a sweep file.

    The Azure identifiers (credential, subscription, resource group, workspace) are accepted and ignored.
    """

    def __init__(
        self,
        credential: Any = None,
        subscription_id: str | None = None,
        resource_group_name: str | None = None,
        workspace_name: str | None = None,
        *,
        storage: str | None = DEFAULT_STORAGE,
        observers: Sequence[Any] = (),
    ) -> None:
        self.workspace_name = workspace_name or "local"
        self.storage = storage
        self.observers = list(observers)
        self.jobs = _Jobs(self)

    def create_or_update(self, job: SweepJob, **kwargs: Any) -> SweepRun:
        """Start a sweep job (MS Learn's spelling of :meth:`jobs.create_or_update <_Jobs.create_or_update>`)."""
        return self.jobs.create_or_update(job, **kwargs)

    @classmethod
    def from_config(cls, credential: Any = None, **kwargs: Any) -> MLClient:
        """Azure's constructor from a config file: here, a local client."""
        return cls(credential, **kwargs)
