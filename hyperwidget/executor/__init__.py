"""Trial execution on joblib backends, and the code that runs inside a worker."""

from hyperwidget.executor._channel import ChannelServer, register_local_host, unregister_local_host
from hyperwidget.executor._joblib import (
    BACKENDS,
    TrialExecutor,
    WorkerLost,
    check_backend,
    dask_client,
    is_in_process,
)
from hyperwidget.executor._worker import TrialOutcome, TrialTask, execute_trial

__all__ = ["BACKENDS", "ChannelServer", "TrialExecutor", "TrialOutcome", "TrialTask", "WorkerLost", "check_backend",
           "dask_client", "execute_trial", "is_in_process", "register_local_host", "unregister_local_host"]
