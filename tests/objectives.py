"""Objectives used by the engine tests (module-level, so worker processes can import them)."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hyperwidget import log
from hyperwidget.errors import TrialTimeout


def quadratic(x: float, y: float = 0.0) -> float:
    """Returns the metric: a smooth bowl with its top at (0.3, 0)."""
    return 1.0 - (x - 0.3) ** 2 - y**2


def curve(x: float, epochs: int = 6, delay: float = 0.0) -> None:
    """Logs a learning curve ``x * (1 - 1/(e+1))``."""
    for epoch in range(epochs):
        log("acc", x * (1 - 1 / (epoch + 2)))
        time.sleep(delay)


def faulty(kind: str, x: float = 0.5) -> float:
    """Fails in the way ``kind`` says, else logs a short curve and returns ``x``."""
    if kind == "raise":
        raise ValueError("boom from the trial")
    if kind == "nan":
        return math.nan
    if kind == "inf":
        return math.inf
    if kind == "missing":
        log("loss", 1.0)
        return None  # type: ignore[return-value]
    if kind == "crash":
        time.sleep(0.2)
        os._exit(3)
    if kind == "hang":
        time.sleep(120)
    if kind == "sleep":
        time.sleep(20)
    if kind == "spin":
        while True:
            pass
    for step in range(3):
        log("acc", x - 0.1 * (2 - step))
        time.sleep(0.05)
    return x


def slow_logger(x: float, pid_dir: str = "") -> None:
    """Logs 40 values, 0.1 s apart, recording its process id in ``pid_dir``."""
    if pid_dir:
        Path(pid_dir, str(os.getpid())).touch()
    for step in range(40):
        log("acc", x + step)
        time.sleep(0.1)


def busy(x: float, seconds: float = 1.0) -> float:
    """Burns CPU for ``seconds`` then returns ``x``."""
    end = time.process_time() + seconds
    total = 0.0
    while time.process_time() < end:
        total += math.sqrt(x + total % 7)
    return x


def two_metrics(size: int, quality: float) -> dict[str, float]:
    """Error falls with size and quality; latency grows with size."""
    return {"error": 1.0 / (1 + size * quality), "latency": size / 10}


def blas_threads(x: float) -> float:
    """Reports how many threads the BLAS pools of this process may use (for the oversubscription guard)."""
    from threadpoolctl import threadpool_info

    return float(max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"))


def divide(x: float) -> float:
    """Fails with ZeroDivisionError for ``x == 0``, else returns ``1 / x``."""
    return 1 / x


def stepped(x: float, epochs: int = 3) -> None:
    """Logs ``acc`` at steps 10, 20, ... and ``loss`` without a step."""
    for epoch in range(1, epochs + 1):
        log("acc", x * epoch, step=10 * epoch)
        log("loss", 1.0 / epoch)


def stubborn(kind: str, x: float = 0.5) -> float:
    """Runs past its trial timeout without stopping when ``kind`` says so, else logs a short curve.

    ``"stuck"`` blocks ``SIGALRM`` and sleeps (like code stuck inside C, which no
    signal handler reaches); ``"deaf"`` catches the ``TrialTimeout`` and goes on;
    ``"ok"`` logs 5 values 0.1 s apart and returns ``x``.
    """
    if kind == "stuck":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(60)
    if kind == "deaf":
        end = time.monotonic() + 60
        while time.monotonic() < end:
            with contextlib.suppress(TrialTimeout):
                time.sleep(end - time.monotonic())
    for step in range(5):
        log("acc", x - 0.01 * (4 - step))
        time.sleep(0.1)
    return x


def lingering(seconds: float) -> float:
    """Burns CPU for ``seconds``, logging ``acc`` about every 0.1 s, then returns ``seconds``."""
    end = time.monotonic() + seconds
    step = 0
    while time.monotonic() < end:
        tick = time.monotonic() + 0.1
        while time.monotonic() < tick:
            pass
        log("acc", float(step))
        step += 1
    return seconds


def log_many(x: float, n: int = 100_000) -> None:
    """Logs ``n`` values of ``acc`` in a tight loop (the last is ``x + n - 1``)."""
    for i in range(n):
        log("acc", x + i)


def logs_from_a_thread(x: float, epochs: int = 5, delay: float = 0.02) -> None:
    """Logs ``x + epoch`` from a thread it starts (a training callback), ``delay`` seconds apart."""

    def train() -> None:
        for epoch in range(epochs):
            log("acc", x + epoch)
            time.sleep(delay)

    thread = threading.Thread(target=train)
    thread.start()
    thread.join()


def logs_from_a_pool(x: float, epochs: int = 5, delay: float = 0.02) -> None:
    """Logs ``x + epoch`` from the tasks of a thread pool (a data loader), in any order."""

    def step(epoch: int) -> None:
        time.sleep(delay)
        log("acc", x + epoch)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(step, range(epochs)))


def save_model(x: float, extra_bytes: int = 0) -> float:
    """Saves a "model" (its hyperparameter, as text) in the trial's own output folder; returns ``x``.

    With ``extra_bytes``, also writes ``outputs/big.bin`` of that size (for the Dask transfer bound).
    """
    import hyperwidget as hw

    (hw.output_dir() / "model.txt").write_text(repr(x))
    if extra_bytes:
        (hw.output_dir() / "big.bin").write_bytes(b"\0" * extra_bytes)
    return x


def mlflow_curve(x: float, epochs: int = 4) -> None:
    """Logs a learning curve with plain MLflow calls only, at steps 10, 20, ... (and one param)."""
    import mlflow

    with mlflow.start_run():
        mlflow.log_param("epochs", epochs)
        for epoch in range(epochs):
            mlflow.log_metrics({"acc": x * (epoch + 1) / epochs, "loss": 1 - x}, step=10 * (epoch + 1))


def mlflow_artifact(x: float) -> None:
    """Logs params, a metric and an artifact (a file written in a temporary folder) with plain MLflow calls."""
    import tempfile

    import mlflow

    with mlflow.start_run(), tempfile.TemporaryDirectory() as folder:
        mlflow.log_params({"kind": "artifact", "x_seen": x})
        mlflow.log_metric("acc", x)
        path = os.path.join(folder, "model.txt")
        with open(path, "w") as f:
            f.write(str(x))
        mlflow.log_artifact(path)
        mlflow.log_text(f"x = {x}", "notes/summary.txt")


def mlflow_autolog(c: float) -> None:
    """Fits a scikit-learn model under ``mlflow.sklearn.autolog()``: MLflow names and logs the metrics.

    Also logs ``model_logged``: 1 when autologging logged the model (MLflow 3's logged models), else 0.
    """
    import mlflow
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    mlflow.sklearn.autolog()
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    LogisticRegression(C=c).fit(X, y)
    model = mlflow.last_logged_model()
    mlflow.log_metric("model_logged", float(model is not None and model.status == "READY"))


def mlflow_without_run(x: float) -> None:
    """Logs with ``mlflow.log_metric`` and no ``start_run``: MLflow starts a run and leaves it active."""
    import mlflow

    for epoch in range(3):
        mlflow.log_metric("acc", x + epoch)


def peak_then_drop(x: float) -> None:
    """Logs ``acc`` twice: ``x``, then ``1 - x`` (the best and the final value rank children differently).

    Raises after the first value when ``x > 1`` (a failed child with a high value).
    """
    log("acc", x)
    if x > 1:
        raise ValueError(f"x={x} > 1")
    log("acc", 1 - x)


def _rebuild_only_in(pid: int) -> LoadsOnlyHere:
    if os.getpid() != pid:
        raise RuntimeError(f"this objective cannot be loaded outside process {pid}")
    return LoadsOnlyHere()


class LoadsOnlyHere:
    """An objective that unpickles only in the process that made it: loading it in a worker fails."""

    def __call__(self, x: float) -> float:
        return x

    def __reduce__(self) -> tuple[object, tuple[int]]:
        return _rebuild_only_in, (os.getpid(),)
