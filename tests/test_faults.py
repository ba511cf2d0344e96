"""Faults in real loky worker processes: errors, NaN, crashes, hangs, interrupts. The sweep goes on."""

from __future__ import annotations

import _thread
import os
import threading
import time
from pathlib import Path

import psutil
import pytest
from objectives import faulty, slow_logger, stubborn

import hyperwidget as hw
from hyperwidget import engine
from hyperwidget.samplers import Sampler

pytestmark = pytest.mark.serial  # kills worker processes, with wall-clock bounds: run alone (scripts/test.sh)


class Scripted(Sampler):
    """Proposes the given kinds in order (x grows with the index)."""

    name = "scripted"

    def __init__(self, kinds: list[str]) -> None:
        super().__init__({"kind": hw.choice(*sorted(set(kinds))), "x": hw.uniform(0, 1)})
        self.kinds = kinds

    def suggest(self, history, metric, goal):  # type: ignore[no-untyped-def]
        i = len(history)
        return None if i >= len(self.kinds) else {"kind": self.kinds[i], "x": 0.5 + i / 100}


def _by_kind(run: hw.SweepRun) -> dict[str, list[hw.ChildRun]]:
    out: dict[str, list[hw.ChildRun]] = {}
    for child in run.get_children():
        out.setdefault(child.get_hyperparameters()["kind"], []).append(child)
    return out


@pytest.mark.slow
def test_every_fault_is_recorded_and_every_other_result_is_kept() -> None:
    kinds = ["ok", "raise", "nan", "inf", "missing", "crash", "ok", "hang", "ok", "spin", "ok"]
    run = hw.run_sweep(
        faulty,
        sampler=Scripted(kinds),
        metric="acc",
        max_total_runs=len(kinds),
        max_concurrent_runs=2,
        trial_timeout=1.5,
        backend="loky",
        storage="faults.db",
        name="f",
    )
    assert run.status == "Completed"
    children = _by_kind(run)
    assert [c.status for c in children["ok"]] == ["Completed"] * 4
    assert all(len(c.get_metrics()["acc"]) == 3 for c in children["ok"])
    (raised,) = children["raise"]
    assert raised.status == "Failed" and "ValueError: boom from the trial" in raised.error
    assert "Traceback" in raised.error
    assert children["nan"][0].status == "Failed" and "ended as nan" in children["nan"][0].error
    assert children["inf"][0].status == "Failed" and "ended as inf" in children["inf"][0].error
    assert "'acc' was never logged (logged: ['loss'])" in children["missing"][0].error
    assert children["crash"][0].status == "Crashed" and "worker process" in children["crash"][0].error
    assert children["hang"][0].status == "TimedOut"
    assert children["spin"][0].status == "TimedOut"
    best = run.get_best_run_by_primary_metric()
    assert best.get_hyperparameters()["kind"] == "ok"
    stored = hw.load_sweep("f", "faults.db")
    assert [t.status for t in stored.trials] == [t.status for t in run.trials]


def test_threads_backend_records_a_trial_stuck_in_c_as_timed_out_on_time_and_goes_on() -> None:
    kinds = ["sleep", "ok", "sleep", "ok", "ok", "ok"]
    start = time.monotonic()
    run = hw.run_sweep(
        faulty,
        sampler=Scripted(kinds),
        metric="acc",
        max_total_runs=len(kinds),
        max_concurrent_runs=2,
        trial_timeout=1,
        backend="threads",
        storage="stuck.db",
        name="stuck",
    )
    seconds = time.monotonic() - start
    # the sleeping threads (20 s in time.sleep) run on; the sweep recorded them after 1 s + 2 s of grace
    assert seconds < 10, f"the sweep waited {seconds:.1f} s for threads stuck in C"
    assert run.status == "Completed"
    children = _by_kind(run)
    assert [c.status for c in children["sleep"]] == ["TimedOut"] * 2
    assert all("trial_timeout=1" in c.error for c in children["sleep"])
    assert [c.status for c in children["ok"]] == ["Completed"] * 4
    assert all(len(c.get_metrics()["acc"]) == 3 for c in children["ok"])
    assert [t.status for t in hw.load_sweep("stuck", "stuck.db").trials] == [t.status for t in run.trials]


def _interrupt_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.start()
    return timer


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["loky", "threads", "sequential"])
def test_keyboard_interrupt_cancels_keeps_finished_trials_and_leaves_no_worker(backend: str, tmp_path: Path) -> None:
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    _interrupt_after(2.5)
    start = time.time()
    with pytest.raises(KeyboardInterrupt):
        hw.run_sweep(
            slow_logger,
            {"x": hw.uniform(0, 1), "pid_dir": str(pid_dir)},
            metric="acc",
            max_total_runs=30,
            max_concurrent_runs=1 if backend == "sequential" else 2,
            backend=backend,
            storage="i.db",
            name="intr",
        )
    assert time.time() - start < 10
    time.sleep(0.5)
    stored = hw.load_sweep("intr", "i.db")
    assert stored.status == "Canceled"
    statuses = [t.status.value for t in stored.trials]
    assert "Canceled" in statuses and "Running" not in statuses and "Queued" not in statuses
    assert all(len(t.series("acc")) >= 1 for t in stored.trials if t.started_at)
    workers = [int(p.name) for p in pid_dir.iterdir() if int(p.name) != os.getpid()]
    assert backend != "loky" or workers, "the trials ran in worker processes"
    assert not [p for p in workers if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]


def test_a_crashing_trial_fails_alone_and_innocent_trials_rerun_to_completion() -> None:
    kinds = ["ok", "crash", "ok", "ok"]
    run = hw.run_sweep(
        faulty,
        sampler=Scripted(kinds),
        metric="acc",
        max_total_runs=4,
        max_concurrent_runs=2,
        backend="loky",
        storage=None,
    )
    assert [c.status for c in run.get_children()] == ["Completed", "Crashed", "Completed", "Completed"]


@pytest.mark.slow
def test_worker_crashes_in_every_first_trial_fail_the_sweep_fast() -> None:
    with pytest.raises(hw.SweepFailedError) as info:
        hw.run_sweep(
            faulty,
            sampler=Scripted(["crash"] * 8),
            metric="acc",
            max_total_runs=8,
            max_concurrent_runs=2,
            backend="loky",
            storage="c.db",
            name="c",
        )
    assert "the first 3 trials all failed the same way (the worker process running this trial died)" in str(info.value)
    stored = hw.load_sweep("c", "c.db")
    statuses = [t.status.value for t in stored.trials]
    assert stored.status == "Failed" and statuses.count("Crashed") >= 3 and len(statuses) < 8


@pytest.mark.slow
def test_zero_innocent_trials_charged_in_20_repeated_timeout_kills(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each stuck trial is killed by the sweep with its worker; loky then ends every worker, so the
    # healthy trial running beside it is lost too: it must be rerun, not charged, however often.
    monkeypatch.setattr(engine, "GRACE_SECONDS", 0.3)
    # A stubborn trial is killed 1.3 s after it starts; the three 0.5 s healthy trials beside it span that time.
    kinds = [k for i in range(20) for k in ("stuck" if i % 2 else "deaf", "ok", "ok", "ok")]
    run = hw.run_sweep(
        stubborn,
        sampler=Scripted(kinds),
        metric="acc",
        max_total_runs=len(kinds),
        max_concurrent_runs=2,
        trial_timeout=1.0,
        backend="loky",
        storage="kills.db",
        name="kills",
    )
    children = _by_kind(run)
    assert [c.status for c in children["ok"]] == ["Completed"] * 60
    assert all(len(c.get_metrics()["acc"]) == 5 for c in children["ok"])
    assert [c.status for c in children["stuck"] + children["deaf"]] == ["TimedOut"] * 20
    stored = hw.load_sweep("kills", "kills.db")
    assert [t.status for t in stored.trials] == [t.status for t in run.trials]
