"""The MLflow tracking store of the ``hyperwidget:`` URI scheme: a trial's MLflow logging reported to its trial.

MLflow builds this store from the entry point ``hyperwidget`` of the group
``mlflow.tracking_store`` (see :mod:`hyperwidget.tracking` for when a sweep sets
the URI). It keeps experiments and runs in memory, for the process of one
trial (a script) or for the trials of one worker (functions), so that
``mlflow.start_run()``, ``mlflow.get_run(...)``, ``mlflow.set_experiment(...)``
and autologging work as against a server; and it reports every metric value to
the trial that created the MLflow run, as ``Run.log(name, value, step=step)``
does: live, so early-termination policies act on the values, and a stop of the
sweep raises :class:`~hyperwidget.errors.TrialStopped` in the logging call.

Parameters logged with ``mlflow.log_param(s)`` are kept with the trial, in the
file :data:`~hyperwidget.tracking.PARAMS_FILE` of its folder
(``ChildRun.get_logged_params()``; :class:`~hyperwidget.mlflow_logger.MLflowLogger`
mirrors them); tags stay in this store. Artifacts, and the files of logged
models, go to the trial's ``outputs`` folder, so they are the trial's files
(``child.get_file_names()``, ``child.download_file(...)``): the folder of the
URI's path for a script trial (``hyperwidget:///path/outputs``), the folder of
the trial that starts the MLflow run for function trials (``hyperwidget:``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlflow.entities import (
    Experiment,
    ExperimentTag,
    LifecycleStage,
    Metric,
    Param,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from mlflow.entities import Run as MlflowRun
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_ALREADY_EXISTS, RESOURCE_DOES_NOT_EXIST
from mlflow.store.entities.paged_list import PagedList
from mlflow.store.tracking.abstract_store import AbstractStore

from hyperwidget.context import Run
from hyperwidget.tracking import PARAMS_FILE, SCHEME, TRIAL_TAG

if TYPE_CHECKING:  # MLflow 3 only; MLflow 2 has no logged models and never calls the methods that use them
    from mlflow.entities import LoggedModel, LoggedModelStatus

_DEFAULT_EXPERIMENT_ID = "0"


@dataclasses.dataclass
class _RunState:
    """One MLflow run of this store: its info, its data, and the trial it reports to."""

    info: RunInfo
    trial: Run
    metrics: dict[str, list[Metric]] = dataclasses.field(default_factory=dict)
    params: dict[str, str] = dataclasses.field(default_factory=dict)
    tags: dict[str, str] = dataclasses.field(default_factory=dict)

    def to_mlflow(self) -> MlflowRun:
        latest = [max(values, key=lambda m: (m.step, m.timestamp)) for values in self.metrics.values()]
        data = RunData(
            metrics=latest,
            params=[Param(k, v) for k, v in self.params.items()],
            tags=[RunTag(k, v) for k, v in self.tags.items()],
        )
        return MlflowRun(self.info, data)


def artifact_root(store_uri: str | None) -> tuple[Path, bool]:
    """The artifact folder of a ``hyperwidget:`` URI and whether its runs share it.

    A URI with a path (a script trial's outputs folder) gives that folder, shared by
    the runs of the trial; ``hyperwidget:`` gives a new folder in the temporary
    directory, with one sub-folder per run, used only by runs started outside a
    trial (the trials of a worker share the store; a trial's runs use its folder).
    """
    parsed = urllib.parse.urlparse(store_uri or f"{SCHEME}:")
    if parsed.scheme != SCHEME:
        raise MlflowException(
            f"TrialStore: tracking URI {store_uri!r} is not a {SCHEME}: URI; use '{SCHEME}:' or '{SCHEME}:///folder'.",
            INVALID_PARAMETER_VALUE,
        )
    if parsed.path:
        return Path(urllib.parse.unquote(parsed.path)), True
    # not created here: only a trial that logs an artifact creates it (MLflow makes the folders it writes to)
    return Path(tempfile.gettempdir(), f"hyperwidget-mlflow-{uuid.uuid4().hex}"), False


class TrialStore(AbstractStore):
    """An in-memory MLflow tracking store that reports each metric value to the trial of its run.

    Parameters
    ----------
    store_uri : str, optional
        ``hyperwidget:`` or ``hyperwidget:///folder`` (the folder receives the artifacts).
    artifact_uri : str, optional
        Ignored: the artifact folder comes from ``store_uri``.
    """

    def __init__(self, store_uri: str | None = None, artifact_uri: str | None = None) -> None:
        super().__init__()
        self._root, self._shared = artifact_root(store_uri)
        self._lock = threading.Lock()
        self._experiments: dict[str, Experiment] = {}
        self._runs: dict[str, _RunState] = {}
        self._models: dict[str, LoggedModel] = {}
        self._add_experiment("Default", _DEFAULT_EXPERIMENT_ID, None, [])

    # -- experiments ---------------------------------------------------------------------------
    def _add_experiment(
        self, name: str, experiment_id: str, artifact_location: str | None, tags: Sequence[ExperimentTag]
    ) -> str:
        now = int(time.time() * 1000)
        location = artifact_location or self._root.as_uri()
        self._experiments[experiment_id] = Experiment(
            experiment_id, name, location, LifecycleStage.ACTIVE, list(tags), now, now
        )
        return experiment_id

    def create_experiment(self, name: str, artifact_location: str | None = None, tags: Any = None) -> str:
        with self._lock:
            if any(e.name == name for e in self._experiments.values()):
                raise MlflowException(f"Experiment {name!r} already exists.", RESOURCE_ALREADY_EXISTS)
            return self._add_experiment(name, str(len(self._experiments)), artifact_location, tags or [])

    def get_experiment(self, experiment_id: str) -> Experiment:
        with self._lock:
            if str(experiment_id) not in self._experiments:
                raise MlflowException(f"No experiment with id {experiment_id!r}.", RESOURCE_DOES_NOT_EXIST)
            return self._experiments[str(experiment_id)]

    def get_experiment_by_name(self, experiment_name: str) -> Experiment | None:
        with self._lock:
            return next((e for e in self._experiments.values() if e.name == experiment_name), None)

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Any = None,
        page_token: Any = None,
    ) -> PagedList[Experiment]:
        _no_filter("search_experiments", filter_string)
        with self._lock:
            return PagedList(list(self._experiments.values())[:max_results], None)

    def set_experiment_tag(self, experiment_id: str, tag: ExperimentTag) -> None:
        """Accepted: experiment tags stay in this store."""

    # -- runs ----------------------------------------------------------------------------------
    def create_run(
        self, experiment_id: str, user_id: str, start_time: int, tags: Sequence[RunTag], run_name: str | None
    ) -> MlflowRun:
        trial = Run.get_context()  # the trial of the thread that starts the MLflow run
        experiment = self.get_experiment(experiment_id)
        run_id = uuid.uuid4().hex
        artifacts = Path(urllib.parse.urlparse(experiment.artifact_location).path)
        if artifacts == self._root and not self._shared:
            folder = trial.trial_folder
            artifacts = folder / "outputs" if folder else self._root / experiment.experiment_id / run_id / "artifacts"
        info = RunInfo(
            run_id=run_id,
            experiment_id=str(experiment_id),
            user_id=user_id,
            status=RunStatus.to_string(RunStatus.RUNNING),
            start_time=start_time,
            end_time=None,
            lifecycle_stage=LifecycleStage.ACTIVE,
            artifact_uri=artifacts.as_uri(),
            run_name=run_name or trial.id,
        )
        state = _RunState(info, trial, tags={t.key: t.value for t in tags or []})
        state.tags[TRIAL_TAG] = trial.id
        state.tags.setdefault("mlflow.runName", info.run_name)
        with self._lock:
            self._runs[run_id] = state
        return state.to_mlflow()

    def _state(self, run_id: str) -> _RunState:
        with self._lock:
            if run_id not in self._runs:
                raise MlflowException(f"No run with id {run_id!r} in this trial.", RESOURCE_DOES_NOT_EXIST)
            return self._runs[run_id]

    def get_run(self, run_id: str) -> MlflowRun:
        state = self._state(run_id)
        with self._lock:
            return state.to_mlflow()

    def update_run_info(self, run_id: str, run_status: Any, end_time: int | None, run_name: str | None) -> RunInfo:
        state = self._state(run_id)
        status = run_status if isinstance(run_status, str) else RunStatus.to_string(run_status)
        with self._lock:
            state.info = RunInfo(
                run_id=run_id,
                experiment_id=state.info.experiment_id,
                user_id=state.info.user_id,
                status=status,
                start_time=state.info.start_time,
                end_time=end_time,
                lifecycle_stage=state.info.lifecycle_stage,
                artifact_uri=state.info.artifact_uri,
                run_name=run_name or state.info.run_name,
            )
            return state.info

    def delete_run(self, run_id: str) -> None:
        with self._lock:
            self._runs.pop(run_id, None)

    def restore_run(self, run_id: str) -> None:
        raise MlflowException("TrialStore: a deleted run cannot be restored inside a trial.", INVALID_PARAMETER_VALUE)

    def _search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        run_view_type: int,
        max_results: int,
        order_by: Any,
        page_token: Any,
    ) -> tuple[list[MlflowRun], None]:
        _no_filter("search_runs", filter_string)
        ids = {str(i) for i in experiment_ids}
        with self._lock:
            runs = [s.to_mlflow() for s in self._runs.values() if s.info.experiment_id in ids]
        return runs[:max_results], None

    # -- values --------------------------------------------------------------------------------
    def log_batch(
        self, run_id: str, metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
    ) -> None:
        """Keep the values, then report each metric value to the run's trial (which may raise ``TrialStopped``)."""
        state = self._state(run_id)
        with self._lock:
            for metric in metrics:
                state.metrics.setdefault(metric.key, []).append(metric)
            state.params.update((p.key, p.value) for p in params)
            state.tags.update((t.key, t.value) for t in tags)
            if params:
                self._save_params(state.trial)
        for metric in metrics:
            state.trial.log(metric.key, metric.value, step=int(metric.step))

    def _trial_folder(self, trial: Run) -> Path | None:
        """The folder of ``trial`` (a script trial's: the parent of its outputs folder), ``None`` offline."""
        return self._root.parent if self._shared else trial.trial_folder

    def _save_params(self, trial: Run) -> None:
        """Write the params of ``trial``'s MLflow runs (merged, the latest value of each) to its folder."""
        folder = self._trial_folder(trial)
        if folder is None:
            return
        merged: dict[str, str] = {}
        for state in self._runs.values():
            if state.trial is trial:
                merged.update(state.params)
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{PARAMS_FILE}.{uuid.uuid4().hex}"
        partial.write_text(json.dumps(merged, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(partial, folder / PARAMS_FILE)

    def get_metric_history(
        self, run_id: str, metric_key: str, max_results: int | None = None, page_token: Any = None
    ) -> PagedList[Metric]:
        state = self._state(run_id)
        with self._lock:
            values = list(state.metrics.get(metric_key, []))
        return PagedList(values[:max_results] if max_results else values, None)

    def log_inputs(self, run_id: str, datasets: Any = None, models: Any = None) -> None:
        """Accepted: dataset and model inputs stay out of the sweep."""
        self._state(run_id)

    # -- logged models (MLflow 3's log_model and autologging create them) -------------------------
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Any = None,
        params: Any = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        """A model whose files go to ``models/<model id>`` in the artifact folder of its run (the trial's outputs)."""
        from mlflow.entities import LoggedModel, LoggedModelStatus

        model_id = f"m-{uuid.uuid4().hex}"
        now = int(time.time() * 1000)
        with self._lock:
            source = self._runs.get(source_run_id or "")
        folder = Path(urllib.parse.urlparse(source.info.artifact_uri).path) if source else self._root
        model = LoggedModel(
            experiment_id=str(experiment_id),
            model_id=model_id,
            name=name or "model",
            artifact_location=(folder / "models" / model_id).as_uri(),
            creation_timestamp=now,
            last_updated_timestamp=now,
            model_type=model_type,
            source_run_id=source_run_id,
            status=LoggedModelStatus.PENDING,
            tags=tags,
            params=params,
        )
        with self._lock:
            self._models[model_id] = model
        return model

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        with self._lock:
            if model_id not in self._models:
                raise MlflowException(f"No logged model with id {model_id!r}.", RESOURCE_DOES_NOT_EXIST)
            return self._models[model_id]

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        return self._replace_model(model_id, status=status)

    def set_logged_model_tags(self, model_id: str, tags: Any) -> None:
        model = self.get_logged_model(model_id)
        self._replace_model(model_id, tags={**model.tags, **{t.key: t.value for t in tags}})

    def _replace_model(self, model_id: str, **changes: Any) -> LoggedModel:
        from mlflow.entities import LoggedModel

        model = self.get_logged_model(model_id)
        fields = {
            "experiment_id": model.experiment_id,
            "model_id": model.model_id,
            "name": model.name,
            "artifact_location": model.artifact_location,
            "creation_timestamp": model.creation_timestamp,
            "last_updated_timestamp": int(time.time() * 1000),
            "model_type": model.model_type,
            "source_run_id": model.source_run_id,
            "status": model.status,
            "tags": model.tags,
            "params": model.params,
            **changes,
        }
        with self._lock:
            self._models[model_id] = replaced = LoggedModel(**fields)
        return replaced

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Any = None,
        max_results: int | None = None,
        order_by: Any = None,
        page_token: Any = None,
    ) -> PagedList[LoggedModel]:
        _no_filter("search_logged_models", filter_string)
        ids = {str(i) for i in experiment_ids}
        with self._lock:
            models = [m for m in self._models.values() if m.experiment_id in ids]
        return PagedList(models[:max_results] if max_results else models, None)

    def log_outputs(self, run_id: str, models: Any) -> None:
        """Accepted: a run's output models stay in this store."""
        self._state(run_id)

    def record_logged_model(self, run_id: str, mlflow_model: Any) -> None:
        """Accepted: the model's files are in the artifact folder already."""
        self._state(run_id)


def _no_filter(method: str, filter_string: str | None) -> None:
    if filter_string:
        raise MlflowException(
            f"TrialStore.{method}: filters ({filter_string!r}) are not supported inside a trial; "
            "search the runs of your own MLflow server with MlflowClient(tracking_uri=...).",
            INVALID_PARAMETER_VALUE,
        )
