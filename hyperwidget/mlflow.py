"""MLflow's logging calls for Azure ML v2 training scripts: ``from hyperwidget import mlflow``.

Inside a sweep they report to it (a repeated key makes a series); run by hand
they print. Only the logging calls a training script needs are provided.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from hyperwidget.context import Run


def log_metric(key: str, value: float, step: int | None = None) -> None:
    """Log one value of metric ``key`` (at training step ``step``, stored with the value)."""
    Run.get_context().log(key, value, step=step)


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    """Log one value of each metric (all at training step ``step``, if given)."""
    for key, value in metrics.items():
        log_metric(key, value, step)


def log_param(key: str, value: Any) -> None:
    """Parameters are the sweep's hyperparameters: outside a sweep, print them."""
    run = Run.get_context()
    if run.is_offline:
        print(f"param {key}: {value}")


def log_params(params: Mapping[str, Any]) -> None:
    """Log several parameters (see :func:`log_param`)."""
    for key, value in params.items():
        log_param(key, value)


@contextlib.contextmanager
def start_run(*args: Any, **kwargs: Any) -> Iterator[Run]:
    """The current run, as a context manager (the sweep owns the run's lifetime)."""
    yield Run.get_context()


def end_run(*args: Any, **kwargs: Any) -> None:
    """A run ends when its script ends."""
