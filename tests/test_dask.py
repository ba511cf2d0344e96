"""The distributed path: joblib's Dask backend on a real dask.distributed LocalCluster."""

from __future__ import annotations

import pytest
from objectives import curve, faulty

import hyperwidget as hw
from hyperwidget import SweepConfigError

distributed = pytest.importorskip("distributed")
pytestmark = [pytest.mark.dask, pytest.mark.slow]


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
