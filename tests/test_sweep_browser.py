"""The sweep browser's kernel side: reading a sweep file again and again (SweepFile), and the Browser widget.

(Not named test_browse.py: tests/browser/test_browse.py has that basename, and pytest's default import mode
refuses two test modules of the same basename in one run.)
"""

from __future__ import annotations

import itertools
import math
import random
import sqlite3
import time
from pathlib import Path

import pytest

import hyperwidget as hw
from hyperwidget.notebook import browser as browser_module
from hyperwidget.notebook.browser import Browser, SweepFile
from hyperwidget.storage import SqliteStorage
from hyperwidget.trial import TrialRecord, TrialStatus

HOSTILE = "<img src=x onerror=alert(1)>&\"'"


def write_sweep(
    path: Path | str,
    name: str,
    n: int,
    *,
    status: str = "Completed",
    goal: str = "minimize",
    seed: int = 0,
    running: int = 0,
    values_per_trial: int = 3,
) -> None:
    """A sweep of ``n`` finished trials (plus ``running`` open ones) where only ``x`` matters."""
    store = SqliteStorage(path)
    space = {"x": ["uniform", [0, 1]], "lr": ["loguniform", [-5, 0]], "kind": ["choice", [["a", "b"]]]}
    config = {"name": name, "metric": "loss", "goal": goal, "sampler": {"name": "random", "space": space}}
    store.create_sweep(name, config)
    rng = random.Random(seed)
    start = time.time() - n - 10
    for i in range(n + running):
        params = {"x": rng.random(), "lr": 10 ** rng.uniform(-5, 0), "kind": rng.choice(["a", "b"])}
        done = i < n
        record = TrialRecord(
            f"{name}_{i}",
            i,
            params,
            TrialStatus.COMPLETED if done else TrialStatus.RUNNING,
            created_at=start + i,
            started_at=start + i,
            ended_at=start + i + 0.5 if done else None,
        )
        for k in range(values_per_trial):
            store.append_value(name, record.id, "loss", k, (params["x"] - 0.3) ** 2 + 1.0 / (k + 1))
        store.save_trial(name, record)
    if status != "Running":
        store.update_sweep(name, status=status)
    store.close()


@pytest.fixture
def two_sweeps(tmp_path: Path) -> Path:
    path = tmp_path / "sweeps.db"
    write_sweep(path, "first", 12)
    write_sweep(path, HOSTILE, 20, seed=1)
    return path


def test_the_file_lists_every_sweep_with_status_trials_best_and_dates(two_sweeps: Path) -> None:
    summaries = SweepFile(two_sweeps).read()
    assert [s.name for s in summaries] == ["first", HOSTILE]
    first = summaries[0]
    assert first.status == "Completed" and (first.n_finished, first.n_trials) == (12, 12)
    assert first.metric == "loss" and first.goal == "minimize"
    stored = hw.load_sweep("first", two_sweeps)
    best = stored.get_best_run_by_primary_metric()
    assert best is not None and first.best == best.best_primary_metric and first.best_trial == best.id
    assert first.started_at is not None and first.ended_at is not None and first.ended_at >= first.started_at


def test_a_running_sweep_whose_process_is_gone_reads_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    write_sweep(path, "lost", 5, status="Running", running=1)
    (summary,) = SweepFile(path).read()
    assert summary.status == "Interrupted" and (summary.n_finished, summary.n_trials) == (5, 6)
    assert summary.ended_at is not None


def test_the_best_so_far_curve_is_one_point_per_improvement_and_the_last_trial(two_sweeps: Path) -> None:
    sweeps = SweepFile(two_sweeps)
    sweeps.read()
    curve = sweeps.curve("first")
    assert curve is not None and curve["metric"] == "loss" and curve["goal"] == "minimize"
    xs = [x for x, _ in curve["trial"]]
    bests = [b for _, b in curve["trial"]]
    assert xs == sorted(xs) and xs[-1] == 12
    assert all(b2 <= b1 for b1, b2 in itertools.pairwise(bests))  # minimize: never worse
    assert bests[-1] == hw.load_sweep("first", two_sweeps).get_best_run_by_primary_metric().best_primary_metric  # type: ignore[union-attr]
    times = [t for t, _ in curve["time"]]
    assert len(times) == len(curve["trial"]) and times == sorted(times) and times[-1] > 0
    # trials written before the sweep's row: the sweep started with its first trial
    first_start = min(t.started_at for t in hw.load_sweep("first", two_sweeps).trials)  # type: ignore[type-var]
    assert sweeps.read()[0].started_at == first_start


def test_a_finished_sweep_is_read_once_and_a_changed_row_is_read_again(
    two_sweeps: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[str] = []
    real = browser_module.load_results
    monkeypatch.setattr(browser_module, "load_results", lambda name, path: loads.append(name) or real(name, path))
    sweeps = SweepFile(two_sweeps)
    sweeps.read()
    sweeps.read()
    assert loads == ["first", HOSTILE]
    write_sweep(two_sweeps, "third", 9)
    assert [s.name for s in sweeps.read()][-1] == "third"
    assert loads == ["first", HOSTILE, "third"]


def test_a_file_that_cannot_be_read_keeps_the_last_rows_and_says_why(
    two_sweeps: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweeps = SweepFile(two_sweeps)
    assert len(sweeps.read()) == 2

    def locked(self: SweepFile) -> list[tuple[object, ...]]:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(SweepFile, "_rows", locked)
    assert [s.name for s in sweeps.read()] == ["first", HOSTILE]
    assert sweeps.error is not None and "database is locked" in sweeps.error


def test_a_damaged_sweep_is_listed_with_its_error_and_the_others_still_read(two_sweeps: Path) -> None:
    db = sqlite3.connect(two_sweeps)
    db.execute("UPDATE sweeps SET config = '{\"metric\": 5}' WHERE name = 'first'")
    db.commit()
    db.close()
    first, second = SweepFile(two_sweeps).read()
    assert first.status == "Unreadable" and first.error is not None and "metric" in first.error
    assert second.status == "Completed"


def test_the_browser_widget_lists_opens_overlays_and_rates_the_selected_sweeps(two_sweeps: Path) -> None:
    browser = hw.browse(two_sweeps)
    try:
        assert isinstance(browser, Browser)
        assert [s["name"] for s in browser.list.sweeps] == ["first", HOSTILE]
        assert browser.monitor is None and browser.list.curves == {} and browser.list.importance == {}
        browser.list.selected = [HOSTILE]  # what the front end writes on a click
        assert browser.monitor is not None and browser.monitor.wait_ended(10)
        assert len(browser.monitor.current_rows()) == 20 and browser.monitor.sweep["name"] == HOSTILE
        assert len(browser.output.outputs) == 1
        assert set(browser.list.curves) == {HOSTILE}
        deadline = time.monotonic() + 30
        while not browser.list.importance.get("values") and time.monotonic() < deadline:
            time.sleep(0.05)
        importance = dict(browser.list.importance["values"])
        assert browser.list.importance["sweep"] == HOSTILE and max(importance, key=importance.__getitem__) == "x"
        assert math.isclose(sum(importance.values()), 1.0)
        old = browser.monitor
        browser.list.selected = [HOSTILE, "first"]
        assert set(browser.list.curves) == {HOSTILE, "first"}
        assert browser.monitor is not old and browser.monitor.sweep["name"] == "first"
        assert browser.list.importance["sweep"] == "first"
    finally:
        browser.close()


def test_the_browser_follows_a_sweep_that_another_writer_is_running(tmp_path: Path) -> None:
    """A sweep stored ``Running`` by a live owner (this process's lease) is re-read while it grows."""
    path = tmp_path / "live.db"
    write_sweep(path, "live", 3, status="Running")
    store = SqliteStorage(path)
    lease = store.acquire("live")  # alive: the browser sees it Running, not Interrupted
    browser = Browser(path, poll=0.1)
    try:
        assert browser.list.sweeps[0]["status"] == "Running"
        browser.list.selected = ["live"]
        monitor = browser.monitor
        assert monitor is not None and not monitor.ended
        for i in range(3, 6):
            record = TrialRecord(f"live_{i}", i, {"x": 0.3, "lr": 0.1, "kind": "a"}, TrialStatus.COMPLETED)
            store.append_value("live", record.id, "loss", 0, 0.001 * i)
            store.save_trial("live", record.replace(started_at=time.time(), ended_at=time.time()))
        store.update_sweep("live", status="Completed")
        deadline = time.monotonic() + 15
        while browser.list.sweeps[0]["status"] != "Completed" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert browser.list.sweeps[0]["status"] == "Completed"
        assert browser.list.sweeps[0]["n_trials"] == 6 and browser.list.sweeps[0]["best"] == 0.003
        assert monitor.wait_ended(15) and len(monitor.current_rows()) == 6
        assert browser.list.curves["live"]["trial"][-1] == [6, 0.003]
    finally:
        browser.close()
        lease.release()
        store.close()


def test_listing_a_file_with_a_ten_thousand_trial_sweep_is_fast_after_the_first_read(tmp_path: Path) -> None:
    path = tmp_path / "big.db"
    write_sweep(path, "big", 10_000, values_per_trial=2)
    write_sweep(path, "small", 10)
    sweeps = SweepFile(path)
    start = time.perf_counter()
    summaries = sweeps.read()
    first = time.perf_counter() - start
    start = time.perf_counter()
    sweeps.read()
    again = time.perf_counter() - start
    assert [s.n_trials for s in summaries] == [10_000, 10]
    assert first < 10 and again < 0.05, (first, again)


def test_a_file_that_is_not_a_sweep_file_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("not a database")
    with pytest.raises(hw.HyperwidgetError, match="not a hyperwidget sweep file"):
        SweepFile(text)
    with pytest.raises(hw.HyperwidgetError, match="no sweep file at"):
        hw.browse(tmp_path / "missing.db")


def test_polling_stops_when_the_browser_or_its_list_is_closed(two_sweeps: Path) -> None:
    closed = Browser(two_sweeps, poll=0.05)
    closed.close()
    closed._thread.join(2)
    assert not closed._thread.is_alive()
    orphan = Browser(two_sweeps, poll=0.05)
    try:
        orphan.list.close()  # as Widget.close_all() does
        orphan._thread.join(2)
        assert not orphan._thread.is_alive()
    finally:
        orphan.close()
