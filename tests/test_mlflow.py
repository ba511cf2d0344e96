"""MLflow both ways: plain ``mlflow`` logging inside trials reaches the sweep; MLflowLogger mirrors a sweep to MLflow.

Everything is read back from real MLflow tracking stores with ``MlflowClient``: a
SQLite-backed store, and an ``mlflow server`` process started by the test.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient
from objectives import mlflow_artifact, mlflow_autolog, mlflow_curve, mlflow_without_run

import hyperwidget as hw
from hyperwidget import MLflowLogger, Script

# A training script for Azure ML v2, unchanged: plain MLflow calls, as a context manager, with steps and artifacts.
TRAIN = textwrap.dedent("""
    import argparse
    import mlflow

    parser = argparse.ArgumentParser()
    parser.add_argument('--learning_rate', type=float)
    args = parser.parse_args()
    if args.learning_rate > 0.9:
        raise ValueError('learning rate too high')
    with mlflow.start_run():
        mlflow.log_param('optimizer', 'sgd')
        for epoch in range(5):
            accuracy = 1 - abs(args.learning_rate - 0.3) - 0.5 * (epoch == 0 and args.learning_rate < 0.1)
            mlflow.log_metric('accuracy', accuracy, step=epoch)
        with open('model.txt', 'w') as f:
            f.write(str(args.learning_rate))
        mlflow.log_artifact('model.txt')
""")


def _runs(client: MlflowClient, experiment: str) -> tuple[object, dict[str, object]]:
    """The parent run of the experiment and its nested runs, by trial id."""
    runs = client.search_runs([client.get_experiment_by_name(experiment).experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1
    return parents[0], {r.data.tags["hyperwidget.trial"]: r for r in runs if r not in parents}


def _history(client: MlflowClient, run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in sorted(client.get_metric_history(run_id, key), key=lambda m: m.step)]


@pytest.mark.parametrize("backend", ["threads", "loky"])
def test_plain_mlflow_logging_in_function_trials_reaches_them_with_steps(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///user.db")  # the user's own setting survives the sweep
    run = hw.run_sweep(
        mlflow_curve,
        {"x": hw.choice(0.2, 0.4, 0.6, 0.8)},
        metric="acc",
        sampler="grid",
        max_concurrent_runs=2,
        backend=backend,
        storage=None,
    )
    children = run.get_children()
    assert [c.status for c in children] == ["Completed"] * 4
    for child in children:
        x = child.get_hyperparameters()["x"]
        assert child.get_metrics()["acc"] == pytest.approx([x * e / 4 for e in (1, 2, 3, 4)])
        assert child.get_metric_steps()["acc"] == [10, 20, 30, 40]
        assert child.get_logged_params() == {"epochs": "4"} == child.get_details()["loggedParams"]
    assert run.get_best_run_by_primary_metric().get_hyperparameters()["x"] == 0.8
    assert os.environ["MLFLOW_TRACKING_URI"] == "sqlite:///user.db"
    assert mlflow.get_tracking_uri() == "sqlite:///user.db"


@pytest.mark.parametrize("backend", ["threads", "loky"])
def test_mlflow_artifacts_and_params_of_function_trials_are_each_trials_own(backend: str, tmp_path: Path) -> None:
    run = hw.run_sweep(
        mlflow_artifact,
        {"x": hw.choice(0.25, 0.5, 0.75)},
        metric="acc",
        sampler="grid",
        max_concurrent_runs=2,
        backend=backend,
        storage=str(tmp_path / "sweeps.db"),
    )
    for child in run.get_children():
        x = child.get_hyperparameters()["x"]
        assert child.status == "Completed"
        assert child.get_logged_params() == {"kind": "artifact", "x_seen": str(x)}
        assert {"outputs/model.txt", "outputs/notes/summary.txt"} <= set(child.get_file_names())
        assert child.download_file("outputs/model.txt", str(tmp_path / f"{child.id}.txt"))
        assert (tmp_path / f"{child.id}.txt").read_text() == str(x)
    again = hw.load_sweep(run.id, storage=str(tmp_path / "sweeps.db"))  # kept with the sweep
    assert [c.get_logged_params()["x_seen"] for c in again.get_children()] == ["0.25", "0.5", "0.75"]


def test_a_damaged_or_hostile_params_file_is_ignored(tmp_path: Path) -> None:
    run = hw.run_sweep(
        mlflow_artifact, {"x": 0.5}, metric="acc", max_total_runs=1, backend="sequential",
        storage=str(tmp_path / "sweeps.db"),
    )  # fmt: skip
    child = run.get_children()[0]
    params = Path(child.outputs_dir) / "mlflow_params.json"
    for text in ("{not json", '["a", "b"]', '{"a": 1}', '{"a": "' + "x" * 2**20 + '"}'):
        params.write_text(text)
        assert child.get_logged_params() == {}
    params.unlink()
    params.symlink_to(tmp_path / "sweeps.db")
    assert child.get_logged_params() == {}


def test_a_sweep_cell_that_logs_only_with_mlflow_needs_no_metric_option(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell("import mlflow")
    ip.run_cell_magic(
        "sweep",
        "--storage none --no-monitor --backend sequential --max-total-runs 3 --seed 1 -o mlflow_cell",
        "lr = uniform(0.1, 1)\nwith mlflow.start_run():\n    mlflow.log_param('kind', 'cell')\n"
        "    for epoch in range(3):\n        mlflow.log_metric('accuracy', lr * epoch, step=epoch)\n",
    )
    run = ip.user_ns["mlflow_cell"]
    assert run.metric == "accuracy" and [c.status for c in run.get_children()] == ["Completed"] * 3
    for child in run.get_children():
        assert child.get_metric_steps()["accuracy"] == [0, 1, 2]


def test_each_trial_gets_its_own_mlflow_run_when_the_code_starts_none() -> None:
    run = hw.run_sweep(
        mlflow_without_run, {"x": hw.choice(0.0, 10.0, 20.0)}, metric="acc", sampler="grid", backend="sequential"
    )
    for child in run.get_children():
        x = child.get_hyperparameters()["x"]
        assert child.status == "Completed" and child.get_metrics()["acc"] == [x, x + 1, x + 2]
    assert mlflow.active_run() is None


class _StopBelowHalf(hw.EarlyTerminationPolicy):
    """Stops a trial whose third value of the metric is below 0.5 (whatever the other trials do)."""

    def on_report(self, trial, trials, metric, goal):
        series = trial.series(metric)
        return "below 0.5 at its third value" if len(series) == 3 and series[-1] < 0.5 else None


def test_a_policy_stops_a_trial_on_values_logged_with_mlflow(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(
        textwrap.dedent("""
        import argparse, time
        import mlflow
        parser = argparse.ArgumentParser()
        parser.add_argument('--x', type=float)
        x = parser.parse_args().x
        for epoch in range(40):
            mlflow.log_metric('acc', x, step=epoch)
            time.sleep(0.05)
        """)
    )
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run = hw.run_sweep(
        Script("train.py", source_directory=str(tmp_path / "src")),
        {"--x": hw.choice(0.1, 0.9)},
        metric="acc",
        sampler="grid",
        policy=_StopBelowHalf(),
        max_concurrent_runs=2,
        observers=[MLflowLogger(uri, experiment_name="stops")],
        storage=None,
    )
    by_x = {c.get_hyperparameters()["--x"]: c for c in run.get_children()}
    assert by_x[0.1].status == "StoppedEarly" and len(by_x[0.1].get_metrics()["acc"]) < 40
    assert by_x[0.9].status == "Completed" and len(by_x[0.9].get_metrics()["acc"]) == 40
    _, trials = _runs(MlflowClient(tracking_uri=uri), "stops")
    stopped = trials[by_x[0.1].id]
    assert stopped.data.tags["hyperwidget.status"] == "StoppedEarly" and stopped.info.status == "FINISHED"
    assert "below 0.5" in stopped.data.tags["hyperwidget.error"]
    assert trials[by_x[0.9].id].data.tags["hyperwidget.status"] == "Completed"


def test_sklearn_autolog_in_a_function_trial_reports_its_metrics() -> None:
    # One trial: logging the model (MLflow infers its pip requirements in a subprocess) takes about 5 s a trial.
    # MLflow's autologging session is global to a process: fits in concurrent threads are not all autologged.
    try:
        run = hw.run_sweep(
            mlflow_autolog, {"c": 1.0}, metric="training_score", max_total_runs=1, backend="threads", storage=None
        )
    finally:  # else every later scikit-learn fit in this process logs a model (seconds each)
        mlflow.sklearn.autolog(disable=True)
    assert [c.status for c in run.get_children()] == ["Completed"]
    for child in run.get_children():
        metrics = child.get_metrics()
        assert 0.5 < metrics["training_score"] <= 1.0 and "training_f1_score" in metrics
        assert metrics["model_logged"] == 1.0
        # the logged model's files are the trial's
        assert any(n.startswith("outputs/models/") and n.endswith("MLmodel") for n in child.get_file_names())


def test_an_unchanged_mlflow_script_sweep_is_mirrored_to_a_sqlite_store(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(TRAIN)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    logger = MLflowLogger(uri, experiment_name="tuning")
    run = hw.run_sweep(
        Script("train.py", source_directory=str(tmp_path / "src")),
        {"--learning_rate": hw.choice(0.05, 0.3, 0.95)},
        metric="accuracy",
        sampler="grid",
        max_concurrent_runs=3,
        observers=[logger],
        name="lr-sweep",
    )
    assert logger.error is None
    by_lr = {c.get_hyperparameters()["--learning_rate"]: c for c in run.get_children()}
    assert by_lr[0.3].status == "Completed" and by_lr[0.95].status == "Failed"
    assert by_lr[0.3].get_metric_steps()["accuracy"] == [0, 1, 2, 3, 4]
    assert "outputs/model.txt" in by_lr[0.3].get_file_names()  # mlflow.log_artifact went to the trial's outputs
    assert by_lr[0.3].get_logged_params() == {"optimizer": "sgd"} and by_lr[0.95].get_logged_params() == {}

    client = MlflowClient(tracking_uri=uri)
    parent, trials = _runs(client, "tuning")
    assert parent.info.run_id == logger.parent_run_id and parent.info.status == "FINISHED"
    assert parent.data.params == {"primary_metric": "accuracy", "goal": "maximize"}
    assert parent.data.tags["hyperwidget.best_trial"] == by_lr[0.3].id
    for lr, child in by_lr.items():
        mirrored = trials[child.id]
        assert mirrored.info.run_id == logger.run_ids[child.id]
        assert mirrored.data.tags["mlflow.parentRunId"] == parent.info.run_id
        logged = {} if lr == 0.95 else {"optimizer": "sgd"}  # the failing trial raised before it logged
        assert mirrored.data.params == {"--learning_rate": str(lr), **logged}
        assert mirrored.data.tags["hyperwidget.status"] == child.status
        expected = list(
            zip(child.get_metric_steps().get("accuracy", []), child.get_metrics().get("accuracy", []), strict=True)
        )
        assert _history(client, mirrored.info.run_id, "accuracy") == expected
    failed = trials[by_lr[0.95].id]
    assert failed.info.status == "FAILED" and "learning rate too high" in failed.data.tags["hyperwidget.error"]
    assert len(_history(client, trials[by_lr[0.05].id].info.run_id, "accuracy")) == 5
    artifacts = [f.path for f in client.list_artifacts(trials[by_lr[0.3].id].info.run_id, "outputs")]
    assert "outputs/model.txt" in artifacts
    local = client.download_artifacts(trials[by_lr[0.3].id].info.run_id, "outputs/model.txt", str(tmp_path))
    assert Path(local).read_text() == "0.3"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An ``mlflow server`` on a SQLite store, serving artifacts; its URL (one for the module: it takes seconds
    to start; each test mirrors into an experiment of its own)."""
    tmp_path = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
            "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
            "--artifacts-destination", str(tmp_path / "server-artifacts"), "--workers", "1",
        ],
        # no background-job executor: it adds about 10 s to the start, and mirroring needs no jobs
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"mlflow server did not start (exit code {process.poll()})") from None
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the server and its workers
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _logged_curve(x: float) -> None:
    for epoch in range(3):
        hw.log("acc", x + epoch, step=100 + epoch)
    hw.log("acc", x + 3)  # no step: MLflow gets its index in the series


# A script that logs with hyperwidget's own log(..., step=...) and with plain MLflow, and writes a file to its
# outputs folder.
HW_LOG_TRAIN = textwrap.dedent("""
    import argparse, os
    import mlflow
    from hyperwidget import log

    parser = argparse.ArgumentParser()
    parser.add_argument('--x', type=float)
    x = parser.parse_args().x
    for epoch in range(3):
        log('acc', x + epoch, step=100 + epoch)
    log('acc', x + 3)  # no step: MLflow gets its index in the series
    mlflow.log_metric('loss', 1 - x, step=7)
    os.makedirs('outputs', exist_ok=True)
    with open('outputs/model.txt', 'w') as f:
        f.write(str(x))
""")


@pytest.mark.xdist_group("mlflow_server")  # one server for both, in one test process
def test_a_script_logging_with_hw_log_and_mlflow_is_mirrored_to_the_mlflow_server_of_the_environment(
    mlflow_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(HW_LOG_TRAIN)
    # The user's MLflow setting: the logger mirrors there, while the script's own MLflow calls go to its trial.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    logger = MLflowLogger()
    run = hw.run_sweep(
        Script("train.py", source_directory=str(tmp_path / "src")),
        {"--x": hw.choice(0.0, 1.0)},
        metric="acc",
        sampler="grid",
        max_concurrent_runs=2,
        observers=[logger],
        name="server-sweep",
    )
    assert logger.error is None
    client = MlflowClient(tracking_uri=mlflow_server)
    parent, trials = _runs(client, "server-sweep")
    assert parent.info.status == "FINISHED" and set(trials) == {c.id for c in run.get_children()}
    for child in run.get_children():
        x = child.get_hyperparameters()["--x"]
        run_id = trials[child.id].info.run_id
        assert _history(client, run_id, "acc") == [(3, x + 3), (100, x), (101, x + 1), (102, x + 2)]
        assert _history(client, run_id, "loss") == [(7, 1 - x)]
        assert {f.path for f in client.list_artifacts(run_id)} >= {"outputs", "std_log.txt"}
        local = client.download_artifacts(run_id, "outputs/model.txt", str(tmp_path / child.id))
        assert Path(local).read_text() == str(x)


# Seed 001's v2 training script: one argument per hyperparameter, the metric logged with MLflow.
V2_TRAIN = textwrap.dedent("""
    import argparse
    import mlflow

    parser = argparse.ArgumentParser()
    parser.add_argument('--batch_size', type=int)
    parser.add_argument('--learning_rate', type=float)
    args = parser.parse_args()
    mlflow.log_params(vars(args))
    for epoch in range(3):
        mlflow.log_metric('accuracy', 1 - abs(args.learning_rate - 0.07) - 0.001 * args.batch_size / (epoch + 1))
""")


@pytest.mark.xdist_group("mlflow_server")  # one server for both, in one test process
def test_the_seed_v2_sweep_job_with_an_mlflow_script_mirrors_to_an_mlflow_server(
    mlflow_server: str, tmp_path: Path
) -> None:
    from hyperwidget import Choice, MedianStoppingPolicy, MLClient, command

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(V2_TRAIN)
    job = command(
        code=str(tmp_path / "src"),
        command="python train.py --batch_size ${{inputs.batch_size}} --learning_rate ${{inputs.learning_rate}}",
        inputs={"batch_size": 32, "learning_rate": 0.01},
        environment="AzureML-sklearn-0.24-ubuntu18.04-py37-cpu@latest",
        compute="local",
    )
    command_job_for_sweep = job(batch_size=Choice(values=[16, 32]), learning_rate=Choice(values=[0.01, 0.07]))
    sweep_job = command_job_for_sweep.sweep(sampling_algorithm="grid", primary_metric="accuracy", goal="Maximize")
    sweep_job.early_termination = MedianStoppingPolicy(delay_evaluation=5, evaluation_interval=1)
    sweep_job.set_limits(max_total_trials=4, max_concurrent_trials=2, timeout=600)
    logger = MLflowLogger(mlflow_server, experiment_name="seed-001")
    ml_client = MLClient(storage=str(tmp_path / "hyperwidget.db"), observers=[logger])
    returned_job = ml_client.jobs.create_or_update(sweep_job)
    ml_client.jobs.stream(returned_job.name)  # waits for the sweep, as in Azure
    run = ml_client.jobs.get(returned_job.name)
    assert run.status == "Completed" and logger.error is None
    children = run.get_children()
    assert [c.status for c in children] == ["Completed"] * 4 and all(
        len(c.get_metrics()["accuracy"]) == 3 for c in children
    )
    client = MlflowClient(tracking_uri=mlflow_server)
    parent, trials = _runs(client, "seed-001")
    assert parent.data.tags["hyperwidget.best_trial"] == run.get_best_run_by_primary_metric().id
    for child in children:
        hp = child.get_hyperparameters()
        mirrored = trials[child.id]
        assert mirrored.data.params == {"batch_size": str(hp["batch_size"]), "learning_rate": str(hp["learning_rate"])}
        assert [v for _, v in _history(client, mirrored.info.run_id, "accuracy")] == child.get_metrics()["accuracy"]


def test_mlflow_logger_never_blocks_and_reports_an_unreachable_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # MLflow's own retries would take minutes
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    logger = MLflowLogger(f"http://127.0.0.1:{_free_port()}")  # nothing listens there
    started = time.perf_counter()
    with pytest.warns(hw.HyperwidgetWarning, match="not fully mirrored to MLflow"):
        run = hw.run_sweep(
            _logged_curve, {"x": hw.choice(0.0, 1.0)}, metric="acc", sampler="grid", observers=[logger], storage=None
        )
    assert run.status == "Completed" and logger.error is not None
    assert time.perf_counter() - started < 30


def test_mlflow_logger_gives_up_on_a_server_that_never_answers_after_flush_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        logger = MLflowLogger(f"http://127.0.0.1:{silent.getsockname()[1]}", flush_timeout=1.0)
        started = time.perf_counter()
        with pytest.warns(hw.HyperwidgetWarning, match=r"flush_timeout=1.0 s"):
            run = hw.run_sweep(
                _logged_curve,
                {"x": hw.choice(0.0, 1.0)},
                metric="acc",
                backend="threads",
                observers=[logger],
                storage=None,
            )
        assert run.status == "Completed" and time.perf_counter() - started < 15
        assert isinstance(logger.error, TimeoutError)
    with pytest.raises(hw.SweepConfigError, match="flush_timeout must be a number of seconds > 0"):
        MLflowLogger(flush_timeout=0)


def test_importing_hyperwidget_does_not_import_mlflow_and_the_stand_in_names_its_replacement() -> None:
    code = "import sys, hyperwidget; hyperwidget.MLflowLogger; assert 'mlflow' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(ImportError, match=r"Replace `from hyperwidget import mlflow` with `import mlflow`"):
        from hyperwidget import mlflow  # noqa: F401


@pytest.mark.filterwarnings("ignore::hyperwidget.HyperwidgetWarning")
def test_without_the_entry_point_a_never_logged_metric_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import hyperwidget.engine

    monkeypatch.setattr(hyperwidget.engine, "plugin_installed", lambda: False)
    with pytest.raises(
        hw.SweepFailedError, match=r"install hyperwidget with pip \(pip install \"hyperwidget\[mlflow\]\"\)"
    ):
        hw.run_sweep(_logged_curve, {"x": hw.choice(0.0, 1.0, 2.0)}, metric="accuracy", backend="threads", storage=None)


def test_one_logger_mirrors_successive_sweeps_to_their_own_parent_runs(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    logger = MLflowLogger(uri, experiment_name="both")
    parents = {}
    for name, values in (("first", (0.0, 1.0)), ("second", (5.0,))):
        run = hw.run_sweep(
            _logged_curve,
            {"x": hw.choice(*values)},
            metric="acc",
            sampler="grid",
            backend="threads",
            observers=[logger],
            name=name,
        )
        parents[logger.parent_run_id] = {logger.run_ids[c.id] for c in run.get_children()}
    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("both").experiment_id])
    nested = {r.info.run_id: r.data.tags.get("mlflow.parentRunId") for r in runs}
    assert len(parents) == 2 and len(runs) == 5
    for parent, children in parents.items():
        assert {run_id for run_id, p in nested.items() if p == parent} == children
