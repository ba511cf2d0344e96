"""Trial execution on joblib backends, and the code that runs inside a worker."""

from hyperwidget.executor._backends import (
    BACKENDS,
    DEFAULT_BACKEND,
    Backend,
    DaskBackend,
    Interruption,
    LokyBackend,
    SequentialBackend,
    ThreadBackend,
    backend_for_compute_target,
    backend_names,
    check_backend,
    dask_client,
    get_backend,
)
from hyperwidget.executor._channel import ChannelServer, register_local_host, unregister_local_host
from hyperwidget.executor._joblib import TrialExecutor, WorkerLost
from hyperwidget.executor._outputs import (
    ENV_SHIPPED_BYTES,
    SHIPPED_BYTES_LIMIT,
    ShippedFiles,
    collect_files,
    restore_files,
    shipped_bytes_limit,
)
from hyperwidget.executor._worker import LATER, Later, TrialOutcome, TrialTask, execute_trial

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "ENV_SHIPPED_BYTES",
    "LATER",
    "SHIPPED_BYTES_LIMIT",
    "Backend",
    "ChannelServer",
    "DaskBackend",
    "Interruption",
    "Later",
    "LokyBackend",
    "SequentialBackend",
    "ShippedFiles",
    "ThreadBackend",
    "TrialExecutor",
    "TrialOutcome",
    "TrialTask",
    "WorkerLost",
    "backend_for_compute_target",
    "backend_names",
    "check_backend",
    "collect_files",
    "dask_client",
    "execute_trial",
    "get_backend",
    "register_local_host",
    "restore_files",
    "shipped_bytes_limit",
    "unregister_local_host",
]
