"""ASHA's promotion variant on a real dask.distributed LocalCluster: checkpoints travel to and from the workers."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from promoted import checkpointed, from_scratch, value_at

import hyperwidget as hw
from hyperwidget import TrialStatus
from hyperwidget.engine import NOT_PROMOTED
from hyperwidget.policies import ASHAPolicy

distributed = pytest.importorskip("distributed")
pytestmark = [pytest.mark.dask, pytest.mark.slow, pytest.mark.serial]  # as tests/test_dask.py


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def _sweep(objective, name: str):  # type: ignore[no-untyped-def]
    return hw.run_sweep(
        objective,
        {"x": hw.uniform(0, 1), "epochs": 9, "seconds": 0.05},
        metric="acc",
        max_total_runs=6,
        max_concurrent_runs=2,
        backend="dask",
        seed=1,
        storage="s.db",
        name=name,
        monitor=False,
        policy=ASHAPolicy(max_resource=9, type="promotion"),
    )


def _whole_series(run) -> None:  # type: ignore[no-untyped-def]
    """Each trial's series is its curve from epoch 1, without a gap or a repeated value, whatever its segments."""
    assert run.status == "Completed" and len(run.trials) == 6
    for trial in run.trials:
        n = len(trial.series("acc"))
        assert list(trial.series("acc")) == pytest.approx([value_at(trial.params["x"], e) for e in range(1, n + 1)])
        assert list(trial.steps_of("acc")) == list(range(1, n + 1))
        assert trial.status is TrialStatus.COMPLETED or (trial.error or "").startswith(NOT_PROMOTED)


def test_a_promoted_dask_trial_resumes_from_the_checkpoint_shipped_to_its_worker(client) -> None:  # type: ignore[no-untyped-def]
    run = _sweep(checkpointed, "dask-promote")
    _whole_series(run)
    resumed = 0
    for trial in run.trials:
        (checkpoint,) = Path("s.db").resolve().parent.rglob(f"{trial.id}/checkpoints/object.pkl")
        state = pickle.loads(checkpoint.read_bytes())  # came back from the worker's temporary folder
        assert state["epoch"] == len(trial.series("acc"))
        # each segment after the first started from the epoch its checkpoint (sent out with the task) held
        assert state["starts"][0] == 0 and state["starts"] == sorted(set(state["starts"]))
        resumed += len(state["starts"]) > 1
    assert resumed >= 1


def test_a_dask_trial_without_checkpoint_restarts_without_repeated_values(client) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(hw.HyperwidgetWarning, match="saved no checkpoint"):
        run = _sweep(from_scratch, "dask-scratch")
    _whole_series(run)
    assert any(len(t.series("acc")) > 3 for t in run.trials)
