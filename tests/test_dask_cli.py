"""The Dask path on a cluster started as a user would: ``dask scheduler`` and two ``dask worker`` from the command line.

Everything listens on 127.0.0.1; the processes are started in sessions of
their own and their process groups are ended at the end of the module.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from objectives import curve, slow_logger
from test_dask import _non_loopback_listeners, _wait_running

import hyperwidget as hw
from hyperwidget.policies import BanditPolicy

distributed = pytest.importorskip("distributed")
pytestmark = [pytest.mark.dask, pytest.mark.slow, pytest.mark.serial]  # kills workers; wall-clock bounds

_DASK = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [_DASK or "dask", *args], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _end(process: subprocess.Popen[bytes]) -> None:
    """End a process started here and everything in its process group (a nanny's worker)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=5)
            os.killpg(process.pid, signal.SIGKILL)  # the group's other members, if any
            return
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return


@pytest.fixture(scope="module")
def cli_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if _DASK is None:
        pytest.skip("the dask command line is not installed")
    folder = tmp_path_factory.mktemp("dask-cli")
    scheduler_file = folder / "scheduler.json"
    tests = Path(__file__).resolve().parent
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(tests.parent), str(tests), os.environ.get("PYTHONPATH", "")])
    )
    processes = [
        _start(
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
            ],
            env,
            folder / "scheduler.log",
        )
    ]
    try:
        deadline = time.monotonic() + 30
        while not scheduler_file.exists():
            assert time.monotonic() < deadline, (folder / "scheduler.log").read_text()
            time.sleep(0.1)
        for n in range(2):
            processes.append(
                _start(
                    [
                        "worker",
                        "--scheduler-file",
                        str(scheduler_file),
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "2",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                    ],
                    env,
                    folder / f"worker{n}.log",
                )
            )
        with distributed.Client(scheduler_file=str(scheduler_file)) as client:
            client.wait_for_workers(2, timeout=40)
            yield client
    finally:
        for process in reversed(processes):
            _end(process)
    assert all(p.poll() is not None for p in processes)


def test_live_values_and_a_policy_on_a_command_line_cluster(cli_client) -> None:  # type: ignore[no-untyped-def]
    run = hw.start_sweep(
        curve,
        {"x": hw.choice(0.2, 1.0), "epochs": 12, "delay": 0.05},
        metric="acc",
        max_total_runs=6,
        max_concurrent_runs=4,
        backend="dask",
        seed=3,
        storage="c.db",
        name="c",
        policy=BanditPolicy(slack_factor=0.2, delay_evaluation=3),
    )
    deadline = time.monotonic() + 30
    while not any(t.series("acc") for t in run.trials):  # live values arrive while the trials run
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert any(t.status.value == "Running" for t in run.trials)
    assert _non_loopback_listeners() == []
    run.wait(timeout=60)
    assert run.status == "Completed"
    assert any(t.status.value == "StoppedEarly" and len(t.series("acc")) < 12 for t in run.trials)
    assert all(len(t.series("acc")) == 12 for t in run.trials if t.status.value == "Completed")
    assert len({t.worker.split(":")[1] for t in run.trials}) == 2, "trials ran in both worker processes"
    stored = hw.load_sweep("c", "c.db").trials
    assert [len(t.series("acc")) for t in stored] == [len(t.series("acc")) for t in run.trials]


def test_cancel_on_a_command_line_cluster(cli_client) -> None:  # type: ignore[no-untyped-def]
    run = hw.start_sweep(
        slow_logger,
        {"x": hw.uniform(0, 1)},
        metric="acc",
        max_total_runs=8,
        max_concurrent_runs=2,
        backend="dask",
        storage=None,
    )
    _wait_running(run)
    started = time.monotonic()
    run.cancel()
    run.wait(timeout=30)
    assert time.monotonic() - started < 5
    assert run.status == "Canceled"
    assert {t.status.value for t in run.trials} <= {"Canceled", "Completed"}


def test_a_worker_killed_mid_trial_charges_only_its_trial(cli_client) -> None:  # type: ignore[no-untyped-def]
    run = hw.start_sweep(
        slow_logger,
        {"x": hw.uniform(0, 1)},
        metric="acc",
        max_total_runs=4,
        max_concurrent_runs=2,
        backend="dask",
        storage=None,
    )
    _wait_running(run)
    victim = next(t for t in run.trials if t.status.value == "Running")
    while not victim.series("acc"):
        time.sleep(0.02)
        victim = next(t for t in run.trials if t.id == victim.id)
    os.kill(int(victim.worker.split(":")[1]), signal.SIGKILL)
    run.wait(timeout=60)
    statuses = {t.id: t.status.value for t in run.trials}
    assert statuses.pop(victim.id) == "Crashed"
    assert list(statuses.values()) == ["Completed"] * 3, "the sweep went on on the other worker"
    assert all(len(t.series("acc")) == 40 for t in run.trials if t.id != victim.id)
