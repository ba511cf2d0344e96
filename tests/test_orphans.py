"""Nothing is left behind when the process running a sweep is killed (SIGKILL) or terminated (SIGTERM).

Each test runs a sweep in a driver process, waits (reading its SQLite file) until
two trials finished and two long CPU-bound ones run, records the driver's
descendants, ends the driver and checks that every descendant is gone 10 s later.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

import hyperwidget as hw
from hyperwidget.results import SweepResults

pytestmark = pytest.mark.serial  # kills drivers, with wall-clock bounds: run alone (scripts/test.sh)

TESTS = str(Path(__file__).resolve().parent)
GONE_WITHIN = 10.0

DRIVER = """
import sys
sys.path.insert(0, {tests!r})
import hyperwidget as hw
from objectives import lingering

if __name__ == "__main__":
    {setup}
    hw.run_sweep({sweep}, metric="acc", max_concurrent_runs=2, storage="orphans.db", name="orphans", monitor=False)
"""

LINGERING = 'lingering, {{"seconds": hw.choice(0.3, 0.4, 120.0, 121.0)}}, sampler="grid", backend={backend!r}'
SCRIPT = 'hw.Script("sleeper.py", arguments=[{pids!r}]), {{"x": hw.choice(1, 2)}}, sampler="grid", backend={backend!r}'

DASK_SETUP = (
    "from distributed import Client, LocalCluster; "
    "client = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None))"
)

#: A training script that starts ``sleep 120`` (recording its pid in the folder given first), then sleeps too.
SLEEPER = """
import subprocess, sys, time
from pathlib import Path
child = subprocess.Popen(["sleep", "120"])
Path(sys.argv[1], str(child.pid)).touch()
time.sleep(120)
"""


def _start_driver(tmp_path: Path, sweep: str, setup: str = "pass") -> subprocess.Popen[bytes]:
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.format(tests=TESTS, setup=setup, sweep=sweep))
    return subprocess.Popen([sys.executable, str(script)], cwd=tmp_path, stderr=open(tmp_path / "driver.err", "wb"))


def _start_lingering(tmp_path: Path, backend: str) -> subprocess.Popen[bytes]:
    if backend == "dask":
        pytest.importorskip("distributed")
    return _start_driver(tmp_path, LINGERING.format(backend=backend), DASK_SETUP if backend == "dask" else "pass")


def _sleepers(tmp_path: Path, count: int, limit: float = 60.0) -> list[psutil.Process]:
    """The ``sleep`` processes the sleeper scripts started, once there are ``count``."""
    (tmp_path / "sleeper.py").write_text(SLEEPER)
    pids = tmp_path / "pids"
    pids.mkdir(exist_ok=True)
    deadline = time.monotonic() + limit
    while len(list(pids.iterdir())) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    found = [psutil.Process(int(p.name)) for p in pids.iterdir()]
    assert len(found) == count, "the scripts started their sleep"
    return found


def _wait_for_long_trials(
    driver: subprocess.Popen[bytes], tmp_path: Path, ready: Callable[[SweepResults], bool] | None = None
) -> SweepResults:
    """The stored sweep once ``ready`` says so (default: two trials completed and two others logged a value)."""
    ready = ready or _long_trials_run
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert driver.poll() is None, (tmp_path / "driver.err").read_text()
        if (tmp_path / "orphans.db").exists():
            try:
                stored = hw.load_sweep("orphans", tmp_path / "orphans.db")
            except (hw.SweepFileError, hw.SweepConfigError):  # the driver is still creating the file
                stored = None
            if stored is not None and ready(stored):
                return stored
        time.sleep(0.2)
    raise AssertionError(f"the long trials never ran: {(tmp_path / 'driver.err').read_text()}")


def _long_trials_run(stored: SweepResults) -> bool:
    statuses = [t.status.value for t in stored.trials]
    running = [t for t in stored.trials if t.status.value == "Running"]
    return statuses.count("Completed") == 2 and len(running) == 2 and all(t.series("acc") for t in running)


def _alive(processes: list[psutil.Process]) -> list[str]:
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{process.pid} {' '.join(process.cmdline())[:160]}")
        except psutil.NoSuchProcess:
            pass
    return alive


def _end_driver(driver: subprocess.Popen[bytes], signum: int) -> list[psutil.Process]:
    """Send ``signum`` to the driver; returns its descendants as they were just before."""
    descendants = psutil.Process(driver.pid).children(recursive=True)
    assert descendants, "the trials run in processes started by the driver"
    driver.send_signal(signum)
    driver.wait(timeout=30)
    return descendants


def _assert_all_gone(descendants: list[psutil.Process]) -> None:
    deadline = time.monotonic() + GONE_WITHIN
    while _alive(descendants) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _alive(descendants)
    for process in descendants:  # leave nothing behind for the next test either
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    assert not left, f"{len(left)} of {len(descendants)} processes still ran {GONE_WITHIN} s later: {left}"


BACKENDS = ["loky", pytest.param("dask", marks=pytest.mark.dask)]


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_no_process_outlives_a_killed_driver(backend: str, tmp_path: Path) -> None:
    driver = _start_lingering(tmp_path, backend)
    _wait_for_long_trials(driver, tmp_path)
    descendants = _end_driver(driver, signal.SIGKILL)
    _assert_all_gone(descendants)


@pytest.mark.slow
def test_an_idle_loky_worker_does_not_outlive_a_killed_driver(tmp_path: Path) -> None:
    # One trial, two workers: the second worker never runs a trial.
    driver = _start_driver(tmp_path, 'lingering, {"seconds": hw.choice(120.0)}, sampler="grid", backend="loky"')
    _wait_for_long_trials(driver, tmp_path, lambda stored: bool(stored.trials and stored.trials[0].series("acc")))
    descendants = _end_driver(driver, signal.SIGKILL)
    assert sum("LokyProcess" in " ".join(p.cmdline()) for p in descendants) == 2
    _assert_all_gone(descendants)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_terminated_driver_cancels_keeps_finished_trials_and_leaves_no_process(backend: str, tmp_path: Path) -> None:
    driver = _start_lingering(tmp_path, backend)
    before = _wait_for_long_trials(driver, tmp_path)
    descendants = _end_driver(driver, signal.SIGTERM)
    assert driver.returncode == -signal.SIGTERM, (tmp_path / "driver.err").read_text()
    _assert_all_gone(descendants)
    stored = hw.load_sweep("orphans", tmp_path / "orphans.db")
    assert stored.status == "Canceled"
    assert [t.status.value for t in stored.trials] == ["Completed", "Completed", "Canceled", "Canceled"]
    for kept, seen in zip(stored.trials[:2], before.trials[:2], strict=True):
        assert kept.series("acc") == seen.series("acc") and kept.series("acc")
    for ended, seen in zip(stored.trials[2:], before.trials[2:], strict=True):
        assert len(ended.series("acc")) >= len(seen.series("acc")) > 0


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["loky", "dask"])
def test_a_killed_drivers_script_trials_take_their_own_children_along(tmp_path: Path, backend: str) -> None:
    if backend == "dask":
        pytest.importorskip("distributed")
    (tmp_path / "sleeper.py").write_text(SLEEPER)
    (tmp_path / "pids").mkdir()
    setup = DASK_SETUP if backend == "dask" else "pass"
    driver = _start_driver(tmp_path, SCRIPT.format(pids=str(tmp_path / "pids"), backend=backend), setup)
    sleepers = _sleepers(tmp_path, 2)
    descendants = _end_driver(driver, signal.SIGKILL)
    assert {p.pid for p in sleepers} <= {p.pid for p in descendants}
    _assert_all_gone(descendants)


def test_a_timed_out_script_trial_ends_the_processes_it_started(tmp_path: Path) -> None:
    (tmp_path / "sleeper.py").write_text(SLEEPER)
    (tmp_path / "pids").mkdir()
    start = time.monotonic()
    with pytest.raises(hw.SweepFailedError):  # no trial completed
        hw.run_sweep(
            hw.Script("sleeper.py", arguments=[str(tmp_path / "pids")]),
            {"x": hw.choice(1, 2)},
            metric="acc",
            sampler="grid",
            max_concurrent_runs=2,
            trial_timeout=2.0,
            backend="loky",
            storage="script.db",
            name="script",
        )
    assert time.monotonic() - start < 30
    sleepers = _sleepers(tmp_path, 2)
    assert [t.status.value for t in hw.load_sweep("script", "script.db").trials] == ["TimedOut", "TimedOut"]
    _assert_all_gone(sleepers)


#: A process that takes the first SIGTERM as an interrupt, then hangs in its cleanup.
HANGING_CLEANUP = """
import os, signal, sys, time
from hyperwidget.sweep import terminate_as_interrupt
from hyperwidget.errors import SweepTerminated
with terminate_as_interrupt():
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)
    except SweepTerminated:
        print("interrupted", flush=True)
        time.sleep(30)  # a cleanup that hangs
"""


def test_a_second_sigterm_ends_a_process_whose_cleanup_hangs(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", HANGING_CLEANUP], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "interrupted"
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == -signal.SIGTERM
    assert time.monotonic() - started < 5


def test_a_worker_adopted_before_it_watches_its_sweep_exits_at_once() -> None:
    """A loky worker still starting when its sweep is killed runs its initializer with a new parent:
    told the sweep's pid, it sees that its parent changed and exits (a lost worker would idle for minutes)."""
    code = "import os, time; from hyperwidget.executor._worker import watch_parent; "
    code += "watch_parent(os.getppid() + 1); time.sleep(30)"  # the sweep's pid is no longer its parent's
    start = time.monotonic()
    child = subprocess.run([sys.executable, "-c", code], timeout=60, capture_output=True, text=True)
    assert (child.returncode, child.stderr) == (1, "")  # os._exit(1) by the watch, no traceback
    assert time.monotonic() - start < 20
