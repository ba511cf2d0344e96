"""Trial execution on joblib backends, and the code that runs inside a worker."""

from hyperwidget.executor._joblib import BACKENDS, TrialExecutor, WorkerLost, check_backend, is_in_process
from hyperwidget.executor._worker import TrialOutcome, TrialTask, execute_trial

__all__ = ["BACKENDS", "TrialExecutor", "WorkerLost", "check_backend", "is_in_process", "TrialOutcome",
           "TrialTask", "execute_trial"]
