"""Values logged from threads a trial starts go to that trial, on every local backend."""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from objectives import logs_from_a_pool, logs_from_a_thread

import hyperwidget as hw
from hyperwidget.errors import HyperwidgetWarning

BACKENDS = ["sequential", "threads", "loky"]


def _sweep(objective: Any, backend: str, **settings: Any) -> hw.SweepRun:
    return hw.run_sweep(
        objective,
        {"x": hw.choice(10.0, 20.0, 30.0, 40.0)},
        metric="acc",
        max_total_runs=4,
        max_concurrent_runs=1 if backend == "sequential" else 2,
        backend=backend,
        storage="threads.db",
        name="t",
        **settings,
    )


def _check_each_trial_has_its_own_values(run: hw.SweepRun, ordered: bool) -> None:
    assert run.status == "Completed"
    stored = {t.id: t for t in hw.load_sweep("t", "threads.db").trials}
    for trial in run.trials:
        x = trial.params["x"]
        series = list(trial.series("acc"))
        assert (series if ordered else sorted(series)) == [x + epoch for epoch in range(5)], trial.id
        assert list(stored[trial.id].series("acc")) == series
    assert [t.status.value for t in run.trials] == ["Completed"] * 4


@pytest.mark.parametrize("backend", BACKENDS)
def test_values_logged_from_a_thread_the_trial_starts_go_to_that_trial(backend: str) -> None:
    run = _sweep(logs_from_a_thread, backend)
    _check_each_trial_has_its_own_values(run, ordered=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_values_logged_from_thread_pool_tasks_go_to_the_trial_that_submitted_them(backend: str) -> None:
    run = _sweep(logs_from_a_pool, backend)
    _check_each_trial_has_its_own_values(run, ordered=False)


def test_a_pool_made_before_the_sweep_serves_each_trial_with_its_own_run() -> None:
    pool = ThreadPoolExecutor(max_workers=1)  # its worker thread outlives every trial

    def objective(x: float) -> None:
        for epoch in range(5):
            pool.submit(hw.log, "acc", x + epoch).result()

    try:
        run = _sweep(objective, "threads")
    finally:
        pool.shutdown()
    _check_each_trial_has_its_own_values(run, ordered=True)


def test_a_thread_no_trial_started_logs_to_the_one_trial_running() -> None:
    requests: queue.Queue[tuple[float, threading.Event] | None] = queue.Queue()

    def service() -> None:  # started before the sweep: it has no trial of its own
        while (item := requests.get()) is not None:
            x, done = item
            for epoch in range(5):
                hw.log("acc", x + epoch)
            done.set()

    thread = threading.Thread(target=service, daemon=True)
    thread.start()

    def objective(x: float) -> None:
        done = threading.Event()
        requests.put((x, done))
        assert done.wait(10)

    try:
        run = _sweep(objective, "sequential")
    finally:
        requests.put(None)
        thread.join(10)
    _check_each_trial_has_its_own_values(run, ordered=True)


def test_a_thread_that_outlives_its_trial_does_not_write_into_the_next_one() -> None:
    late: list[threading.Thread] = []

    def objective(x: float) -> None:
        def linger() -> None:
            time.sleep(0.7)  # this trial takes 0.5 s: the next one runs by now
            hw.log("acc", -1.0)

        if not late:  # the first trial
            late.append(threading.Thread(target=linger))
            late[-1].start()
        for epoch in range(5):
            hw.log("acc", x + epoch)
            time.sleep(0.1)

    with pytest.warns(HyperwidgetWarning, match=r"after trial t_0 ended: the value is dropped"):
        run = _sweep(objective, "sequential")
        late[0].join(10)
    _check_each_trial_has_its_own_values(run, ordered=True)
