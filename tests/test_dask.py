"""The distributed path: joblib's Dask backend on a real dask.distributed LocalCluster."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from objectives import curve, faulty, mlflow_artifact, mlflow_curve

import hyperwidget as hw
from hyperwidget import SweepConfigError

distributed = pytest.importorskip("distributed")
pytestmark = [pytest.mark.dask, pytest.mark.slow, pytest.mark.serial]  # kills workers; wall-clock bounds


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def test_live_values_and_early_stopping_on_a_local_cluster(client) -> None:  # type: ignore[no-untyped-def]
    from hyperwidget.policies import BanditPolicy

    run = hw.run_sweep(
        curve,
        {"x": hw.choice(0.2, 1.0), "epochs": 10, "delay": 0.02},
        metric="acc",
        max_total_runs=6,
        max_concurrent_runs=2,
        backend="dask",
        seed=3,
        storage="d.db",
        name="d",
        policy=BanditPolicy(slack_factor=0.2, delay_evaluation=3),
    )
    assert run.status == "Completed"
    workers = {c.record.worker.split(":")[1] for c in run.get_children()}
    assert len(workers) == 2, "trials ran in both worker processes"
    for child in run.get_children():
        if child.get_hyperparameters()["x"] == 0.2 and child.status == "StoppedEarly":
            assert len(child.get_metrics()["acc"]) < 10
    assert any(c.status == "StoppedEarly" for c in run.get_children())
    assert len(hw.load_sweep("d", "d.db").trials[0].series("acc")) >= 3


def test_a_dead_dask_worker_fails_only_its_trial(client) -> None:  # type: ignore[no-untyped-def]
    from test_faults import Scripted

    run = hw.run_sweep(
        faulty,
        sampler=Scripted(["ok", "crash", "ok", "raise", "ok"]),
        metric="acc",
        max_total_runs=5,
        max_concurrent_runs=2,
        backend="dask",
        storage=None,
    )
    assert [c.status for c in run.get_children()] == ["Completed", "Crashed", "Completed", "Failed", "Completed"]


def test_dask_backend_without_a_client_says_how_to_make_one() -> None:
    with pytest.raises(SweepConfigError, match=r"needs a running dask\.distributed Client"):
        from hyperwidget.executor import check_backend

        distributed.Client  # noqa: B018 - the module is importable, but no client is active here
        _no_client_check(check_backend)


def _no_client_check(check_backend) -> None:  # type: ignore[no-untyped-def]
    try:
        distributed.get_client()
    except ValueError:
        check_backend("dask")
    else:
        raise SweepConfigError("needs a running dask.distributed Client (a client was active: test skipped)")


def _non_loopback_listeners(pid: int | None = None) -> list[str]:
    """The addresses a process listens on outside the loopback interface."""
    import ipaddress

    import psutil

    process = psutil.Process(pid)
    return [
        f"{c.laddr.ip}:{c.laddr.port}"
        for c in process.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and not ipaddress.ip_address(c.laddr.ip).is_loopback
    ]


def test_a_dask_sweep_opens_no_listener(client) -> None:  # type: ignore[no-untyped-def]
    before = _non_loopback_listeners()
    run = hw.start_sweep(
        curve,
        {"x": hw.uniform(0.1, 1.0), "epochs": 20, "delay": 0.05},
        metric="acc",
        max_total_runs=2,
        max_concurrent_runs=2,
        backend="dask",
        storage=None,
    )
    deadline = time.monotonic() + 30
    while not any(t.series("acc") for t in run.trials):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    during = _non_loopback_listeners()
    run.wait(timeout=60)
    assert during == before == []
    assert run.status == "Completed" and all(len(t.series("acc")) == 20 for t in run.trials)


@pytest.fixture
def one_slot():  # type: ignore[no-untyped-def]
    """A cluster of its own with a single worker thread: stuck trials there do not slow the other tests."""
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def test_cancel_ends_a_dask_trial_stuck_in_c_at_once(one_slot) -> None:  # type: ignore[no-untyped-def]
    run = hw.start_sweep(
        faulty,
        {"kind": hw.choice("hang")},
        metric="acc",
        max_total_runs=2,
        max_concurrent_runs=1,
        backend="dask",
        storage=None,
    )
    _wait_running(run)
    started = time.monotonic()
    run.cancel()
    run.wait(timeout=30)
    assert time.monotonic() - started < 6, "the sweep waited for a trial stuck in time.sleep"
    assert [t.status.value for t in run.trials][:1] == ["Canceled"] and run.status == "Canceled"


def test_a_dask_trial_timeout_is_kept_on_time(one_slot) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    run = hw.start_sweep(
        faulty,
        {"kind": hw.choice("hang")},
        metric="acc",
        max_total_runs=1,
        max_concurrent_runs=1,
        backend="dask",
        storage=None,
        trial_timeout=2,
    )
    run.wait_for_completion(raise_on_error=False)
    assert time.monotonic() - started < 10, "the sweep waited for a trial stuck in time.sleep"
    assert run.trials[0].status.value == "TimedOut"


def test_a_canceled_dask_trial_in_python_code_is_interrupted_and_frees_its_worker(one_slot) -> None:  # type: ignore[no-untyped-def]
    run = hw.start_sweep(
        faulty,
        {"kind": hw.choice("spin")},
        metric="acc",
        max_total_runs=1,
        max_concurrent_runs=1,
        backend="dask",
        storage=None,
    )
    _wait_running(run)
    run.cancel()
    run.wait(timeout=30)
    assert run.trials[0].status.value == "Canceled"
    started = time.monotonic()
    after = hw.run_sweep(
        faulty, {"kind": hw.choice("ok")}, metric="acc", max_total_runs=1, backend="dask", storage=None
    )
    assert after.trials[0].status.value == "Completed"
    assert time.monotonic() - started < 10, "the worker thread was still spinning"


def _wait_running(run, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not any(t.status.value == "Running" for t in run.trials):
        assert time.monotonic() < deadline, "no trial started"
        time.sleep(0.05)


def test_every_value_of_a_fast_logging_dask_trial_is_recorded(client) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    run = hw.run_sweep(
        curve,
        {"x": hw.choice(0.5, 1.0), "epochs": 3000},
        metric="acc",
        max_total_runs=2,
        max_concurrent_runs=2,
        backend="dask",
        storage="f.db",
        name="f",
    )
    assert [len(t.series("acc")) for t in run.trials] == [3000, 3000]
    assert [len(t.series("acc")) for t in hw.load_sweep("f", "f.db").trials] == [3000, 3000]
    assert time.monotonic() - started < 30, "values are sent in batches, not one scheduler round trip each"


def test_trial_files_come_back_from_dask_workers_within_the_bound(client, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from objectives import save_model

    monkeypatch.setenv("HYPERWIDGET_SHIPPED_BYTES", "5000")
    with pytest.warns(hw.HyperwidgetWarning, match=r"stayed on the Dask worker.*HYPERWIDGET_SHIPPED_BYTES") as record:
        run = hw.run_sweep(
            save_model,
            {"x": hw.choice(0.1, 0.2, 0.3, 0.4), "extra_bytes": hw.choice(0, 8000)},
            metric="acc",
            sampler="grid",
            max_concurrent_runs=2,
            backend="dask",
            name="dk",
            storage="dk.db",
        )
    assert run.status == "Completed"
    assert len([w for w in record if "stayed on the Dask worker" in str(w.message)]) == 4  # the 4 big ones
    for child in run.get_children():
        # the driver's own runs folder holds the files: the workers' temporary folders are gone
        assert child.output_dir == tmp_path / "hyperwidget_runs" / "dk" / child.id / "outputs"
        assert child.get_file_names() == ["outputs/model.txt"]  # big.bin (8000 bytes) stayed behind
        assert float((child.output_dir / "model.txt").read_text()) == child.get_hyperparameters()["x"]
    best = run.get_best_run_by_primary_metric()
    assert best is not None and float(Path(best.download_file("outputs/model.txt")).read_text()) == 0.4


def test_script_trial_files_come_back_from_dask_workers(client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "train.py").write_text(
        "import sys\nfrom hyperwidget import Run, output_dir\nx = float(sys.argv[2])\n"
        "(output_dir() / 'model.txt').write_text(repr(x))\nprint('trained', x)\nRun.get_context().log('acc', x)\n"
    )
    run = hw.run_sweep(
        hw.Script("train.py"),
        {"x": hw.choice(0.1, 0.2)},
        metric="acc",
        sampler="grid",
        max_concurrent_runs=2,
        backend="dask",
        name="dks",
        storage="dks.db",
    )
    for child in run.get_children():
        x = child.get_hyperparameters()["x"]
        assert child.get_file_names() == ["outputs/model.txt", "std_log.txt"]  # the source's links stay behind
        assert child.output_dir == tmp_path / "hyperwidget_runs" / "dks" / child.id / "outputs"
        assert (child.output_dir / "model.txt").read_text() == repr(x)
        assert f"trained {x}" in (child.output_dir.parent / "std_log.txt").read_text()


def test_plain_mlflow_logging_on_dask_workers_reaches_the_trials(client) -> None:  # type: ignore[no-untyped-def]
    run = hw.run_sweep(
        mlflow_curve, {"x": hw.choice(0.2, 0.8)}, metric="acc", sampler="grid", backend="dask", storage=None
    )
    for child in run.get_children():
        x = child.get_hyperparameters()["x"]
        assert child.status == "Completed" and child.get_metrics()["acc"] == pytest.approx(
            [x * e / 4 for e in (1, 2, 3, 4)]
        )
        assert child.get_metric_steps()["acc"] == [10, 20, 30, 40]


def test_mlflow_artifacts_and_params_come_back_from_dask_workers(client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = hw.run_sweep(
        mlflow_artifact, {"x": hw.choice(0.2, 0.8)}, metric="acc", sampler="grid", backend="dask",
        storage=str(tmp_path / "sweeps.db"), name="dkm",
    )  # fmt: skip
    for child in run.get_children():
        x = child.get_hyperparameters()["x"]
        assert child.status == "Completed" and child.get_logged_params() == {"kind": "artifact", "x_seen": str(x)}
        assert child.output_dir == tmp_path / "hyperwidget_runs" / "dkm" / child.id / "outputs"
        assert (child.output_dir / "model.txt").read_text() == str(x)
        assert (child.output_dir / "notes" / "summary.txt").read_text() == f"x = {x}"
