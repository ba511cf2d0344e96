"""A sweep has one owner: a second live process is refused, a dead owner's sweep is taken over.

Real processes throughout: a driver script runs or resumes a sweep of slow trials.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from objectives import curve

import hyperwidget as hw
from hyperwidget import SqliteStorage, TrialStatus
from hyperwidget.errors import SweepBusyError
from hyperwidget.storage._lease import Owner, start_token, this_process

TESTS = Path(__file__).parent

_DRIVER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {tests!r})
    import hyperwidget as hw
    from hyperwidget.errors import SweepBusyError
    from objectives import curve
    mode, at = sys.argv[1], float(sys.argv[2])
    if mode == "start":
        hw.run_sweep(curve, {{"x": hw.uniform(0, 1), "epochs": 3, "delay": 0.3}}, metric="acc",
                     max_total_runs=12, backend="sequential", storage="own.db", name="own", seed=3)
    else:
        time.sleep(max(0.0, at - time.time()))  # both resumers start together
        try:
            run = hw.resume_sweep("own", curve, storage="own.db", backend="sequential")
        except SweepBusyError as error:
            print("REFUSED", error)
            sys.exit(3)
        print("RESUMED", run.status)
""")


def _driver(tmp_path: Path, mode: str, at: float = 0.0) -> subprocess.Popen[str]:
    script = tmp_path / "driver.py"
    script.write_text(_DRIVER.format(tests=str(TESTS)))
    return subprocess.Popen(
        [sys.executable, str(script), mode, str(at)],
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for_trials(path: Path, finished: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists():
            try:
                if sum(t.status.is_finished for t in hw.load_sweep("own", path).trials) >= finished:
                    return
            except hw.SweepConfigError:  # the file is being created
                pass
        time.sleep(0.1)
    raise AssertionError(f"the driver did not finish {finished} trials in {timeout} s")


def _start_and_kill(tmp_path: Path) -> int:
    """A sweep whose process was SIGKILLed after two trials; returns that pid."""
    first = _driver(tmp_path, "start")
    _wait_for_trials(tmp_path / "own.db", 2)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    return first.pid


@pytest.mark.slow
def test_a_second_process_is_refused_while_the_first_runs_and_allowed_after_it_was_killed(tmp_path: Path) -> None:
    first = _driver(tmp_path, "start")
    try:
        _wait_for_trials(tmp_path / "own.db", 1)
        with pytest.raises(
            SweepBusyError,
            match=rf"sweep 'own' is being run by pid {first.pid} on host "
            r"\S+ since .*; open it read-only with load_sweep",
        ):
            hw.resume_sweep("own", curve, storage="own.db", backend="sequential")
        with pytest.raises(SweepBusyError, match="is being run by"):  # nor replaced under its feet
            hw.run_sweep(
                curve,
                {"x": hw.uniform(0, 1), "epochs": 3, "delay": 0.3},
                metric="acc",
                name="own",
                storage="own.db",
                if_exists="replace",
                backend="sequential",
                seed=3,
            )
        assert hw.load_sweep("own", "own.db").status == "Running"
        values_before = _metric_rows(tmp_path / "own.db")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert set(values_before) <= set(_metric_rows(tmp_path / "own.db"))  # the refusal cleared nothing
    assert hw.load_sweep("own", "own.db").status == "Interrupted"
    run = hw.resume_sweep("own", curve, storage="own.db", backend="sequential")  # no flag needed
    assert run.status == "Completed"
    assert [t.status for t in hw.load_sweep("own", "own.db").trials] == [TrialStatus.COMPLETED] * 12
    assert SqliteStorage("own.db", read_only=True).owner("own") is None  # released at the end


@pytest.mark.slow
def test_two_processes_racing_to_resume_run_the_sweep_once(tmp_path: Path) -> None:
    _start_and_kill(tmp_path)
    before = hw.load_sweep("own", tmp_path / "own.db")
    finished = {t.id: t.metrics for t in before.trials if t.status.is_finished}
    at = time.time() + 3.0
    racers = [_driver(tmp_path, "resume", at) for _ in range(2)]
    outputs = [racer.communicate(timeout=120) for racer in racers]
    codes = sorted(racer.returncode for racer in racers)
    assert codes == [0, 3], outputs
    assert sum(out.startswith("RESUMED Completed") for out, _ in outputs) == 1
    refusal = next(out for out, _ in outputs if out.startswith("REFUSED"))
    assert "is being run by pid" in refusal and "load_sweep" in refusal
    rows = _metric_rows(tmp_path / "own.db")
    assert len(rows) == len(set(rows)), "a series was stored twice"
    after = hw.load_sweep("own", tmp_path / "own.db")
    assert [t.status for t in after.trials] == [TrialStatus.COMPLETED] * 12
    for trial in after.trials:
        assert len(trial.series("acc")) == 3
        assert sorted(seq for (tid, _name, seq) in rows if tid == trial.id) == [0, 1, 2]
    for trial_id, metrics in finished.items():  # finished trials were neither cleared nor rerun
        assert next(t for t in after.trials if t.id == trial_id).metrics == metrics


def _metric_rows(path: Path) -> list[tuple[str, str, int]]:
    db = sqlite3.connect(path)
    try:
        return [tuple(r) for r in db.execute("SELECT trial_id, name, seq FROM metrics WHERE sweep = 'own'")]
    finally:
        db.close()


def test_the_lease_is_taken_once_and_released_when_the_sweep_ends(tmp_path: Path) -> None:
    store = SqliteStorage(tmp_path / "l.db")
    lease = store.acquire("s")
    with pytest.raises(SweepBusyError, match=rf"sweep 's' is being run by pid {os.getpid()} on host"):
        store.acquire("s")  # this very process, e.g. a second start_sweep in one kernel
    lease.release()
    store.acquire("s").release()
    run = hw.run_sweep(
        curve, {"x": hw.uniform(0, 1)}, metric="acc", max_total_runs=2, backend="sequential", storage=store, name="r"
    )
    assert run.status == "Completed" and store.owner("r") is None
    hw.resume_sweep("r", curve, storage=store, max_total_runs=3, backend="sequential")
    assert store.owner("r") is None


def test_a_dead_or_reused_pid_and_a_silent_remote_host_are_stale(tmp_path: Path) -> None:
    host, pid, started = this_process()
    now = time.time()
    assert Owner(host, pid, started, now, now).is_alive()
    assert not Owner(host, pid, started + "0", now, now).is_alive()  # the pid now names another process
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert not Owner(host, dead.pid, started, now, now).is_alive()
    assert start_token(dead.pid) is None
    assert Owner("elsewhere", 1, "", now - 60, now - 5).is_alive()
    assert not Owner("elsewhere", 1, "", now - 60, now - 31).is_alive()


def test_a_stale_lease_is_taken_over_without_a_flag(tmp_path: Path) -> None:
    store = SqliteStorage(tmp_path / "t.db")
    store._write("INSERT INTO owners VALUES ('s', 'elsewhere', 1, '', 0, 0, 'x')", ())
    store.acquire("s").release()
    assert store.owner("s") is None


def test_a_lease_taken_over_by_another_process_cancels_the_sweep(tmp_path: Path) -> None:
    from hyperwidget.storage import _lease

    store = SqliteStorage(tmp_path / "o.db")
    run = hw.start_sweep(
        curve,
        {"x": hw.uniform(0, 1), "delay": 0.2},
        metric="acc",
        max_total_runs=50,
        backend="sequential",
        storage=store,
        name="o",
    )
    store._write("UPDATE owners SET token = 'thief' WHERE sweep = 'o'", ())
    run.wait(_lease.HEARTBEAT_SECONDS + 20)
    assert run.status == "Canceled" and "another process took the sweep over" in (run.cancel_reason or "")
