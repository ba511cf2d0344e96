"""Where a trial's MLflow logging goes: the ``hyperwidget:`` tracking URI, set for the trial's process.

A training script written for Azure ML v2 logs with plain ``import mlflow;
mlflow.log_metric("accuracy", acc)``. MLflow sends those calls to the tracking
store of its tracking URI, and finds the store of a URI scheme among the entry
points of the group ``mlflow.tracking_store`` (its documented plugin
mechanism). hyperwidget registers the scheme ``hyperwidget`` there
(``pyproject.toml``; the store is :class:`hyperwidget.mlflow_store.TrialStore`),
and a sweep points MLflow at it for each trial:

* a script trial's child process gets ``MLFLOW_TRACKING_URI=hyperwidget://<its
  outputs folder>`` in its environment (:func:`script_environment`);
* a function trial runs inside :func:`function_trial_tracking`, which sets the
  same variable (and, when ``mlflow`` is already imported, its tracking URI)
  for the trial's duration and restores the user's setting afterwards.

This module imports no MLflow: ``import hyperwidget`` and trials that do not use
MLflow never pay for it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

#: The URI scheme of the trial store, as registered in the ``mlflow.tracking_store`` entry-point group.
SCHEME = "hyperwidget"
#: MLflow's environment variable for the tracking URI.
ENV_TRACKING_URI = "MLFLOW_TRACKING_URI"
#: The tag the trial store puts on each MLflow run it creates: the id of the trial that created it.
TRIAL_TAG = "hyperwidget.trial"
#: The file of a trial's folder that keeps the params its MLflow runs logged (``ChildRun.get_logged_params``).
PARAMS_FILE = "mlflow_params.json"
#: The tracking URI of function trials (the store finds each trial's folder from the trial that starts a run).
FUNCTION_TRIAL_URI = f"{SCHEME}:"

_lock = threading.Lock()
_depth = 0  # function trials running in this process inside function_trial_tracking
_saved: tuple[str | None, str | None] = (None, None)  # (the variable, mlflow's URI) before the first of them


@functools.cache
def plugin_installed() -> bool:
    """True when MLflow can find the ``hyperwidget`` tracking store (the package's entry point is installed)."""
    return any(ep.name == SCHEME for ep in importlib.metadata.entry_points(group="mlflow.tracking_store"))


def script_uri(outputs: Path) -> str:
    """The tracking URI of a script trial whose files go to ``outputs`` (``mlflow.log_artifact`` copies there)."""
    return f"{SCHEME}://{outputs.resolve().as_posix()}"


def script_environment(outputs: Path, environment: Mapping[str, str]) -> dict[str, str]:
    """The environment entries that send a script trial's MLflow logging to its trial.

    Empty when the script's own ``environment`` sets ``MLFLOW_TRACKING_URI`` (its
    values then go where it says, not to the sweep), or when the store's entry point
    is not installed (MLflow would reject the URI; see :func:`plugin_installed`).
    """
    if ENV_TRACKING_URI in environment or not plugin_installed():
        return {}
    return {ENV_TRACKING_URI: script_uri(outputs)}


@contextlib.contextmanager
def function_trial_tracking() -> Iterator[None]:
    """Send MLflow logging of the function trial running in this thread to the trial, for its duration.

    The first trial to enter saves the user's ``MLFLOW_TRACKING_URI`` and, when
    ``mlflow`` is imported, its tracking URI; the last to leave restores both.
    Trials running at once in one process (the threads backend) share the URI:
    the store tells their values apart by the MLflow run, which it binds to the
    trial that created it. MLflow runs the trial left active (``mlflow.log_metric``
    without ``start_run`` starts one) are ended, so that the next trial served by
    this worker starts its own.

    A trial thread the threads backend lets go past its timeout (stuck in C)
    leaves only when it ends: until then this process keeps the sweep's URI.
    """
    if not plugin_installed():
        yield
        return
    _enter()
    try:
        yield
    finally:
        try:
            _end_trial_runs()
        finally:
            _leave()


def _enter() -> None:
    global _depth, _saved
    with _lock:
        if _depth == 0:
            mlflow = sys.modules.get("mlflow")
            # the URI set with mlflow.set_tracking_uri or the variable, or None when MLflow would use its default:
            # put back as it was (a default made explicit would outrank a variable set later)
            uri = mlflow.get_tracking_uri() if mlflow is not None and mlflow.is_tracking_uri_set() else None
            _saved = (os.environ.get(ENV_TRACKING_URI), uri)
            os.environ[ENV_TRACKING_URI] = FUNCTION_TRIAL_URI
            if mlflow is not None:
                mlflow.set_tracking_uri(FUNCTION_TRIAL_URI)
        _depth += 1


def _leave() -> None:
    global _depth
    with _lock:
        _depth -= 1
        if _depth > 0:
            return
        variable, uri = _saved
        mlflow = sys.modules.get("mlflow")
        if mlflow is not None and mlflow.get_tracking_uri() == FUNCTION_TRIAL_URI:
            mlflow.set_tracking_uri(uri)  # its URI as before the trials (None: MLflow's default again)
        if variable is None:
            os.environ.pop(ENV_TRACKING_URI, None)
        else:
            os.environ[ENV_TRACKING_URI] = variable


def _end_trial_runs() -> None:
    """End the MLflow runs of this thread's stack that a trial created (the store tags them)."""
    mlflow: Any = sys.modules.get("mlflow")
    if mlflow is None:
        return
    while (active := mlflow.active_run()) is not None and TRIAL_TAG in active.data.tags:
        mlflow.end_run()
