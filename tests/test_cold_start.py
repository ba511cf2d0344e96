"""Cold start of loky worker processes: trials are timed from their start on a worker, the pool starts with
the sweep, and the sweep says what it is doing meanwhile (``run.notice``)."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest

import hyperwidget as hw
from hyperwidget.notebook import _snapshot
from hyperwidget.trial import TrialStatus

pytestmark = pytest.mark.serial  # times trials to within a second: run alone (scripts/test.sh)


def _kill_the_loky_pool() -> None:
    """Shut loky's reusable pool down, so that the next sweep starts fresh worker processes."""
    from joblib.externals.loky import reusable_executor

    pool = reusable_executor._executor
    if pool is not None:
        pool.shutdown(wait=True, kill_workers=True)


class Seen:
    """An observer keeping each update's (time, trial id, status, started_at) and the run's notice then."""

    def __init__(self) -> None:
        self.updates: list[tuple[float, str, TrialStatus, float | None]] = []
        self.notices: list[str | None] = []
        self.run: Any = None

    def on_sweep_start(self, run: Any) -> None:
        self.run = run
        self.notices.append(run.notice)

    def on_trial_update(self, record: Any) -> None:
        self.updates.append((time.time(), record.id, record.status, record.started_at))
        self.notices.append(self.run.notice if self.run is not None else None)


def _sweep(objective: Any, observers: list[Any], **settings: Any) -> hw.SweepRun:
    arguments = {"max_total_runs": 4, "max_concurrent_runs": 2, "storage": None, "seed": 0, **settings}
    return hw.run_sweep(
        objective, {"x": hw.uniform(0, 1)}, metric="acc", backend="loky", observers=observers, **arguments
    )


def test_on_a_cold_pool_trials_are_timed_from_their_start_on_the_worker_and_stay_queued_until_then() -> None:
    from slow_import import IMPORT_SECONDS, nap

    _kill_the_loky_pool()
    seen = Seen()
    run = _sweep(nap, [seen])
    durations = [t.duration for t in run.trials]
    assert all(t.status is TrialStatus.COMPLETED for t in run.trials)
    assert all(d is not None and 0.2 <= d < 1.0 for d in durations), durations  # not the 1.5 s module import
    first = min(run.trials, key=lambda t: t.created_at)
    assert first.started_at is not None and first.started_at - first.created_at >= IMPORT_SECONDS
    for _, _, status, started_at in seen.updates:  # meanwhile it was Queued, never Running without a start
        assert status is not TrialStatus.RUNNING or started_at is not None
    statuses = [s for _, i, s, _ in seen.updates if i == first.id]
    assert statuses[0] is TrialStatus.QUEUED and TrialStatus.RUNNING in statuses


def test_the_notice_says_the_workers_are_starting_then_clears_and_is_printed_once() -> None:
    from objectives import curve

    _kill_the_loky_pool()
    out = io.StringIO()
    seen = Seen()
    run = _sweep(curve, [seen, hw.ConsoleProgress(out, 0)])
    assert seen.notices[0] == "starting 2 worker processes\u2026"  # said when the sweep starts
    assert None in seen.notices  # and cleared once the workers answered, while the sweep ran
    assert run.notice is None
    assert out.getvalue().splitlines().count("starting 2 worker processes\u2026") == 1
    again, warm = io.StringIO(), Seen()
    _sweep(curve, [warm, hw.ConsoleProgress(again, 0)])  # the pool of the sweep before is still up: no notice
    assert warm.notices[0] is None and "worker processes" not in again.getvalue()


def test_backends_without_processes_to_start_give_no_notice() -> None:
    from objectives import curve

    for backend in ("threads", "sequential"):
        seen = Seen()
        hw.run_sweep(
            curve, {"x": hw.uniform(0, 1)}, metric="acc", max_total_runs=2, backend=backend, storage=None,
            observers=[seen],
        )  # fmt: skip
        assert set(seen.notices) == {None}


def test_an_objective_that_cannot_load_on_the_worker_still_fails_its_trial_with_the_reason() -> None:
    from objectives import LoadsOnlyHere

    _kill_the_loky_pool()  # the warm-up tries to load it too, and lets the trials say why it failed
    run = hw.start_sweep(
        LoadsOnlyHere(),
        {"x": hw.uniform(0, 1)},
        metric="acc",
        max_total_runs=2,
        max_concurrent_runs=2,
        backend="loky",
        storage=None,
    )
    with pytest.raises(hw.SweepFailedError):
        run.wait()
    for trial in run.trials:
        assert trial.status is TrialStatus.FAILED and trial.started_at is not None
        assert "cannot be loaded outside process" in (trial.error or "")


def test_one_trial_at_a_time_starts_no_worker_process() -> None:
    """joblib runs an ``n_jobs=1`` call in the sweep's process: a pool started early would go unused."""
    from joblib.externals.loky import reusable_executor
    from objectives import curve

    _kill_the_loky_pool()
    shut = reusable_executor._executor
    seen = Seen()
    run = _sweep(curve, [seen], max_concurrent_runs=1, max_total_runs=2)
    assert run.status == "Completed" and set(seen.notices) == {None}
    assert reusable_executor._executor is shut  # no new pool was made


def test_the_monitor_summary_carries_the_notice_only_when_set() -> None:
    table = _snapshot.Table("acc", hw.Goal.MAXIMIZE)
    assert "notice" not in table.summary("Running", 0.0)
    summary = table.summary("Running", 0.0, notice="starting 2 worker processes\u2026")
    assert summary["notice"] == "starting 2 worker processes\u2026"

    class Run:
        notice = "starting 3 worker processes\u2026"

    assert _snapshot.notice_of(Run()) == "starting 3 worker processes\u2026"
    assert _snapshot.notice_of(object()) is None
