"""Mirror a sweep to the user's MLflow: a parent run, one nested run per trial (an observer).

The engine calls :meth:`MLflowLogger.on_trial_update` on every status change
and every logged value, on its hot path; the observer only queues the record
(O(1)) and a background thread writes to MLflow, so a slow or unreachable
tracking server never slows the sweep. :meth:`MLflowLogger.on_sweep_end`
waits for that thread to write everything, then uploads the trials' files.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import threading
import time
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hyperwidget.errors import HyperwidgetWarning, SweepConfigError
from hyperwidget.names import flat_params
from hyperwidget.trial import TrialRecord, TrialStatus

logger = logging.getLogger(__name__)

#: MLflow's limits: metrics, and params or tags, per ``log_batch`` call; characters of a tag value.
METRICS_PER_BATCH = 1000
KEYS_PER_BATCH = 100
TAG_CHARS = 5000
#: Seconds the writer lets updates accumulate between two rounds of writes: a trial logging fast costs one
#: ``log_batch`` call per round, not one per value (the end of the sweep does not wait for a round).
WRITE_INTERVAL = 0.5
#: MLflow's run status of each sweep and trial status (stopped early and failed trials also get a status tag).
RUN_STATUS = {
    "Completed": "FINISHED",
    "StoppedEarly": "FINISHED",
    "Canceled": "KILLED",
    "Skipped": "KILLED",
    "Failed": "FAILED",
}
STATUS_TAG = "hyperwidget.status"
ERROR_TAG = "hyperwidget.error"
TRIAL_TAG = "hyperwidget.trial"
_END = object()


class _GaveUp(Exception):
    """Raised in the writer when its owner stopped waiting for it."""


class MLflowLogger:
    """Mirror a sweep to MLflow: a parent run, and one nested run per trial.

    Each trial's run gets its hyperparameters as params (and, at the end of the
    sweep, the params the trial logged with ``mlflow.log_param(s)``; a
    hyperparameter keeps its sampled value), every logged value as a
    metric series with its step (a value logged without a step gets its index in
    the series), its status as the tag ``hyperwidget.status`` (``StoppedEarly``,
    ``Failed``, ``TimedOut``...) and the MLflow run status (``FINISHED``,
    ``FAILED``, ``KILLED``), a failure's error as the tag ``hyperwidget.error``,
    and, at the end of the sweep, the files of its folder (a script's
    ``outputs/``, its ``std_log.txt``) as artifacts. Needs MLflow
    (``pip install "hyperwidget[mlflow]"``).

    Parameters
    ----------
    tracking_uri : str, optional
        The MLflow tracking server or store, e.g. ``"http://127.0.0.1:5000"`` or
        ``"sqlite:///mlflow.db"``. Default: MLflow's own setting
        (``MLFLOW_TRACKING_URI``, ``mlflow.set_tracking_uri``, else its default).
    experiment_name : str, optional
        The MLflow experiment (created when missing). Default: the sweep's name.
    flush_timeout : float
        Seconds the end of the sweep waits for the writer to finish. Past it the
        sweep ends anyway, the writer stops at its next call, and a warning says
        the mirror is incomplete (an MLflow client retries an unreachable server
        for minutes).

    Examples
    --------
    .. code-block:: python

        from hyperwidget import MLflowLogger, run_sweep, uniform

        logger = MLflowLogger("http://127.0.0.1:5000", experiment_name="tuning")
        run_sweep(train, {"lr": uniform(0, 1)}, metric="acc", observers=[logger])
        logger.parent_run_id  # the sweep's MLflow run; logger.run_ids: each trial's
    """

    def __init__(
        self, tracking_uri: str | None = None, experiment_name: str | None = None, *, flush_timeout: float = 120.0
    ) -> None:
        if not flush_timeout > 0:
            raise SweepConfigError(
                f"MLflowLogger: flush_timeout must be a number of seconds > 0, got {flush_timeout!r}; e.g. 120."
            )
        self.tracking_uri = tracking_uri
        self.experiment_name = experiment_name
        self.flush_timeout = float(flush_timeout)
        #: The MLflow run of the sweep, and of each trial by trial id (filled as the sweep runs).
        self.parent_run_id: str | None = None
        self.run_ids: dict[str, str] = {}
        #: Why mirroring stopped, when it did (also warned at the end of the sweep).
        self.error: BaseException | None = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._wake = threading.Event()  # set at the end of the sweep: the writer's last round starts at once
        self._thread: threading.Thread | None = None
        self._mirror: _Mirror | None = None

    def __repr__(self) -> str:
        return f"MLflowLogger(tracking_uri={self.tracking_uri!r}, experiment_name={self.experiment_name!r})"

    # -- engine hooks ----------------------------------------------------------------------------
    def on_sweep_start(self, run: Any) -> None:
        """Engine hook: start the background writer, which creates the parent run."""
        uri = _resolve_uri(self.tracking_uri)  # now, before function trials point MLflow at the sweep
        self.parent_run_id, self.run_ids, self.error = None, {}, None
        self._queue, self._wake = queue.SimpleQueue(), threading.Event()
        self._mirror = mirror = _Mirror(self, uri, run)
        self._thread = threading.Thread(target=mirror.serve, daemon=True, name="hyperwidget-mlflow")
        self._thread.start()

    def on_trial_update(self, record: TrialRecord) -> None:
        """Engine hook: queue the trial's new snapshot (O(1); written by the background thread)."""
        self._queue.put(record)

    def on_sweep_end(self, run: Any) -> None:
        """Engine hook: wait until everything is written, the trials' files and the sweep's status included."""
        if self._thread is None:
            return
        self._queue.put((_END, run))
        self._wake.set()
        self._thread.join(self.flush_timeout)
        if self._thread.is_alive() and self._mirror is not None:  # the writer stops before its next call
            self._mirror.gave_up = True
            self.error = self.error or TimeoutError(f"MLflow still busy after flush_timeout={self.flush_timeout} s")
        self._thread = self._mirror = None
        if self.error is not None:
            warnings.warn(
                f"{self!r}: the sweep was not fully mirrored to MLflow ({type(self.error).__name__}: {self.error}); "
                "check that the tracking server is running and reachable at tracking_uri.",
                HyperwidgetWarning,
                stacklevel=2,
            )


def _resolve_uri(tracking_uri: str | None) -> str:
    """The explicit URI, else the user's ``MLFLOW_TRACKING_URI``, else MLflow's own (its default included).

    Resolved when the sweep starts: once function trials run in this process
    (the threads backend), MLflow's URI is the sweep's ``hyperwidget:`` until they end.
    """
    if tracking_uri:
        return tracking_uri
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    import mlflow  # MLflow's default URI: only MLflow knows it

    return str(mlflow.get_tracking_uri())


class _Mirror:
    """The background writer of one sweep: the owner's queue in, MLflow calls out."""

    def __init__(self, owner: MLflowLogger, uri: str, view: Any) -> None:
        self.owner, self.uri, self.view = owner, uri, view
        # this sweep's queue and run ids: a logger reused for another sweep gets new ones
        self.queue, self.wake, self.run_ids = owner._queue, owner._wake, owner.run_ids
        self.parent_run_id = ""
        self.gave_up = False  # set by the owner past flush_timeout
        self.failed = False
        self.client: Any = None
        self.experiment_id = ""
        self.sent: dict[tuple[str, str], int] = {}  # (trial id, metric) -> values written
        self.finished: set[str] = set()

    def serve(self) -> None:
        """Write queued records until the end marker; after an error, only drain the queue."""
        try:
            self._start()
        except Exception as error:
            self._fail(error)
        while True:
            self.wake.wait(WRITE_INTERVAL)
            batch, end = self._drain()
            if not (self.gave_up or self.failed):
                try:
                    for record in batch.values():
                        self.sync(record)
                    if end is not None:
                        self._end(end)
                except Exception as error:
                    self._fail(error)
            if end is not None:
                return

    def _check(self) -> None:
        """Stop writing once the owner gave up (``flush_timeout``) or an earlier write failed."""
        if self.gave_up or self.failed:
            raise _GaveUp

    def _fail(self, error: BaseException) -> None:
        if isinstance(error, _GaveUp):
            return
        logger.exception("hyperwidget MLflowLogger: mirroring to MLflow failed")
        self.failed = True
        if self.owner._mirror is self:
            self.owner.error = error

    def _drain(self) -> tuple[dict[str, TrialRecord], Any]:
        """The latest snapshot of each trial queued so far (waiting for one), and the end marker's run if seen."""
        latest: dict[str, TrialRecord] = {}
        item = self.queue.get()
        while True:
            if isinstance(item, tuple) and item[0] is _END:
                return latest, item[1]
            latest[item.id] = item
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                return latest, None

    def _start(self) -> None:
        from mlflow.tracking import MlflowClient

        self.client = MlflowClient(tracking_uri=self.uri)
        name = self.owner.experiment_name or str(self.view.name)
        experiment = self.client.get_experiment_by_name(name)
        self.experiment_id = experiment.experiment_id if experiment is not None else self.client.create_experiment(name)
        parent = self.client.create_run(
            self.experiment_id, run_name=str(self.view.name), tags={"hyperwidget.sweep": str(self.view.name)}
        )
        self.parent_run_id = parent.info.run_id
        if self.owner._mirror is self:
            self.owner.parent_run_id = self.parent_run_id
        self._log(parent.info.run_id, params={"primary_metric": self.view.metric, "goal": _text(self.view.goal)})
        for record in self.view.trials:  # a resumed sweep's trials
            self.sync(record)

    def sync(self, record: TrialRecord) -> None:
        """Write what MLflow does not have yet of ``record``: its run, new values, its end."""
        self._check()
        if record.id in self.finished:
            return
        run_id = self.run_ids.get(record.id)
        if run_id is None:
            if record.status is TrialStatus.QUEUED:
                return
            run_id = self._create_trial_run(record)
        self._log(run_id, metrics=self._new_values(record))
        if record.status.is_finished:
            self._finish(run_id, record)

    def _create_trial_run(self, record: TrialRecord) -> str:
        tags = {"mlflow.parentRunId": self.parent_run_id, TRIAL_TAG: record.id}
        start = int((record.started_at or record.created_at) * 1000)
        run = self.client.create_run(self.experiment_id, start_time=start, tags=tags, run_name=record.id)
        self.run_ids[record.id] = run_id = run.info.run_id
        # nested hyperparameters as one param per leaf, "model.gamma" (as the results' columns)
        self._log(run_id, params={str(k): _text(v) for k, v in flat_params(record.params).items()})
        return str(run_id)

    def _new_values(self, record: TrialRecord) -> list[Any]:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = []
        for name, series in record.metrics.items():
            done = self.sent.get((record.id, name), 0)
            steps = record.steps_of(name)
            for i in range(done, len(series)):
                step = steps[i] if i < len(steps) else None
                metrics.append(Metric(str(name), float(series[i]), now, i if step is None else int(step)))
            self.sent[(record.id, name)] = len(series)
        return metrics

    def _finish(self, run_id: str, record: TrialRecord) -> None:
        status = record.status.value
        tags = {STATUS_TAG: status}
        if record.error:
            tags[ERROR_TAG] = record.error[-TAG_CHARS:]
        self._log(run_id, tags=tags)
        end = int(record.ended_at * 1000) if record.ended_at else None
        self.client.set_terminated(run_id, RUN_STATUS.get(status, "FAILED"), end_time=end)
        self.finished.add(record.id)

    def _end(self, view: Any) -> None:
        """Write every trial's final snapshot, their files, and the sweep's status."""
        for record in view.trials:
            self.sync(record)
        for child in view.get_children():
            if child.id in self.run_ids:
                self._log_trial_params(self.run_ids[child.id], child)
                self._upload_files(self.run_ids[child.id], child)
        parent = self.parent_run_id
        status = _text(view.status)
        self._log(parent, tags={STATUS_TAG: status})
        best = _best(view)
        if best is not None:
            self._log(parent, tags={"hyperwidget.best_trial": best[0]})
        self.client.set_terminated(parent, RUN_STATUS.get(status, "FAILED"))

    def _log_trial_params(self, run_id: str, child: Any) -> None:
        """The params the trial's own MLflow calls logged, besides its hyperparameters (which keep their value)."""
        self._check()
        hyperparameters = {str(k) for k in flat_params(child.get_hyperparameters())}
        logged = {k: v for k, v in child.get_logged_params().items() if k not in hyperparameters}
        self._log(run_id, params=logged)

    def _upload_files(self, run_id: str, child: Any) -> None:
        """The trial's files (``ChildRun.get_file_names``: regular files inside its folder) as artifacts."""
        self._check()
        names = child.get_file_names()
        if not names or child.outputs_dir is None:
            return
        root = Path(child.outputs_dir).resolve()
        for name in names:
            folder = str(Path(name).parent)
            self.client.log_artifact(run_id, str(root / name), artifact_path=None if folder == "." else folder)

    def _log(
        self,
        run_id: str | None,
        *,
        metrics: Iterable[Any] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """``log_batch`` calls within MLflow's limits (1000 metrics, 100 params, 100 tags per call)."""
        from mlflow.entities import Param, RunTag

        batches = (
            ("metrics", list(metrics), METRICS_PER_BATCH),
            ("params", [Param(k, v) for k, v in (params or {}).items()], KEYS_PER_BATCH),
            ("tags", [RunTag(k, v) for k, v in (tags or {}).items()], KEYS_PER_BATCH),
        )
        for kind, items, size in batches:
            for i in range(0, len(items), size):
                self.client.log_batch(str(run_id), **{kind: items[i : i + size]})


def _text(value: Any) -> str:
    """A param or tag value: an enum's value, else ``str``."""
    return str(getattr(value, "value", value))


def _best(view: Any) -> tuple[str, float] | None:
    """The id and primary-metric value of the sweep's best trial, if any trial logged it."""
    try:
        child = view.get_best_run_by_primary_metric()
    except Exception:  # no trial logged the primary metric
        return None
    if child is None:
        return None
    value = float(child.best_primary_metric)
    return (str(child.id), value) if math.isfinite(value) else None
