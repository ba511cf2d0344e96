"""The live monitor widget without a browser: messages, throttling, stop requests, the final state."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from hyperwidget.notebook import monitor as monitor_module
from hyperwidget.notebook.monitor import SweepMonitor
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

XSS = "<img src=x onerror=alert(1)>"
REPO = Path(__file__).resolve().parent.parent


class FakeRun:
    """The slice of SweepRun the monitor uses, recording control calls."""

    def __init__(self, records: list[TrialRecord] = (), *, status: str = "Running", goal: str = "maximize") -> None:
        self.name = "fake-sweep"
        self.metric = "accuracy"
        self.goal = Goal.parse(goal)
        self.config = SimpleNamespace(max_total_runs=10, max_duration_minutes=2)
        self.started_at = time.time() - 5
        self.ended_at: float | None = None
        self._status = status
        self.trials = list(records)
        self.canceled = 0
        self.stopped: list[tuple[str, str | None]] = []
        self.done = threading.Event()

    @property
    def status(self) -> str:
        return self._status

    @property
    def is_running(self) -> bool:
        return self._status == "Running"

    def finish(self, status: str = "Completed") -> None:
        self._status = status
        self.ended_at = time.time()
        self.done.set()

    def cancel(self) -> bool:
        self.canceled += 1
        return True

    def stop_trial(self, trial_id: str, reason: str | None = None) -> None:
        self.stopped.append((trial_id, reason))

    def wait(self, timeout: float | None = None) -> FakeRun:
        self.done.wait(timeout)
        return self

    def to_dataframe(self) -> Any:
        raise ImportError("no pandas in this fake")


def record(
    i: int, status: TrialStatus = TrialStatus.COMPLETED, values: tuple[float, ...] = (0.5,), **kw: Any
) -> TrialRecord:
    return TrialRecord(
        id=f"t{i}",
        index=i,
        params={"lr": 0.1 * (i + 1), "kernel": kw.pop("kernel", "rbf")},
        status=status,
        metrics={"accuracy": values},
        created_at=100.0,
        started_at=100.0,
        ended_at=None if status in (TrialStatus.RUNNING, TrialStatus.QUEUED) else 102.5,
        **kw,
    )


def wire_rows(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of an update message (plain dicts)."""
    return message["rows"]


class Recorder:
    """Captures what a monitor sends instead of a comm."""

    def __init__(self, monitor: SweepMonitor) -> None:
        self.messages: list[dict[str, Any]] = []
        monitor.send = self.send  # type: ignore[method-assign]

    def send(self, content: dict[str, Any], buffers: Any = None) -> None:
        json.dumps(content, allow_nan=False)  # must be valid JSON: no NaN
        self.messages.append(content)


@pytest.fixture
def monitor() -> SweepMonitor:
    return SweepMonitor(interval=0.05)


# --------------------------------------------------------------- SweepMonitor
def test_monitor_throttles_many_updates_from_many_threads(monitor: SweepMonitor) -> None:
    rec = Recorder(monitor)
    run = FakeRun()
    monitor.on_sweep_start(run)

    def worker(offset: int) -> None:
        for i in range(offset, 400, 4):
            for step in range(5):
                monitor.push(record(i, TrialStatus.RUNNING, values=tuple(0.1 * s for s in range(step + 1))))
            monitor.push(record(i, values=(0.001 * i,)))
            time.sleep(0.001)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    run.trials = [record(i, values=(0.001 * i,)) for i in range(400)]
    run.finish()
    monitor.on_sweep_end(run)
    updates = [m for m in rec.messages if m["type"] == "update"]
    # 2400 updates -> at most one message per interval (0.05 s here), plus the first one
    assert len(updates) <= elapsed / monitor.interval + 2
    # regular batches are an interval apart; only the final message may follow sooner
    gaps = np.diff(monitor.message_times[: len(updates) - 1])
    assert (gaps >= monitor.interval * 0.9).all()
    assert updates[0]["full"] is True
    assert len(monitor.current_rows()) == 400 and monitor.summary["status"] == "Completed"
    sent = {r["id"]: r for m in updates for r in wire_rows(m)}
    assert len(sent) == 400 and all(r["status"] == "Completed" for r in sent.values())
    assert monitor.summary["best_id"] == "t399" and monitor.summary["counts"] == {"Completed": 400}
    assert monitor.ended


def test_monitor_sends_only_changed_rows_after_the_first_message(monitor: SweepMonitor) -> None:
    rec = Recorder(monitor)
    monitor.on_sweep_start(FakeRun())
    assert rec.messages[0]["full"] is True  # sent by on_sweep_start itself
    for i in range(5):
        monitor.push(record(i, TrialStatus.RUNNING))
    _wait_for(lambda: any(m["rows"] for m in rec.messages))
    first = next(m for m in rec.messages if m["rows"])
    assert [r["id"] for r in wire_rows(first)] == ["t0", "t1", "t2", "t3", "t4"]
    time.sleep(0.1)
    monitor.push(record(2, values=(0.9,)))
    _wait_for(lambda: any(not m["full"] and [r["id"] for r in wire_rows(m)] == ["t2"] for m in rec.messages))
    last = rec.messages[-1]
    assert [(r["id"], r["status"]) for r in wire_rows(last)] == [("t2", "Completed")]
    assert (wire_rows(first)[0]["param:lr"], wire_rows(first)[0]["param:kernel"]) == (0.1, "rbf")
    assert last["summary"]["counts"] == {"Running": 4, "Completed": 1}
    # the sweep's description travels when it changes: with the first rows (their hyperparameter names)
    assert first["sweep"]["param_names"] == ["lr", "kernel"] and first["sweep"]["metric"] == "accuracy"
    assert "sweep" not in last
    monitor.on_sweep_end(FakeRun())


def test_updates_are_sent_by_the_timer_thread_not_the_engine_thread(monitor: SweepMonitor) -> None:
    senders: list[str] = []
    rec = Recorder(monitor)
    record_send = rec.send

    def send(content: dict[str, Any], buffers: Any = None) -> None:
        senders.append(threading.current_thread().name)
        record_send(content, buffers)

    monitor.send = send  # type: ignore[method-assign]
    monitor.on_sweep_start(FakeRun())
    assert len(rec.messages) == 1 and senders == [threading.current_thread().name]  # the first (full) message
    for i in range(50):
        monitor.push(record(i))
    assert len(rec.messages) == 1  # push itself never sends
    _wait_for(lambda: sum(len(m["rows"]) for m in rec.messages) >= 50)
    assert set(senders[1:]) == {"hyperwidget-monitor"}
    run = FakeRun()
    run.finish()
    monitor.on_sweep_end(run)


def test_reading_the_rows_does_not_swallow_unsent_changes(monitor: SweepMonitor) -> None:
    rec = Recorder(monitor)
    run = FakeRun()
    monitor.on_sweep_start(run)
    _wait_for(lambda: len(rec.messages) >= 1)
    monitor.push(record(7, values=(0.3,)))
    assert [r["id"] for r in monitor.current_rows()] == ["t7"]  # builds the row before the timer does
    assert monitor.current_summary()["best_id"] == "t7"
    _wait_for(lambda: any(r["id"] == "t7" for m in rec.messages for r in wire_rows(m)))
    run.finish()
    monitor.on_sweep_end(run)


def test_front_end_messages_stop_the_sweep_and_trials(monitor: SweepMonitor) -> None:
    Recorder(monitor)
    run = FakeRun()
    monitor.on_sweep_start(run)
    monitor._on_front_msg(monitor, {"type": "stop_trial", "id": "t1"}, [])
    monitor._on_front_msg(monitor, {"type": "stop_sweep"}, [])
    monitor._on_front_msg(monitor, {"type": "unknown"}, [])
    monitor._on_front_msg(monitor, "not a dict", [])
    assert run.canceled == 1 and run.stopped == [("t1", "stopped from the monitor")]
    run.finish("Canceled")
    monitor.on_sweep_end(run)
    assert monitor.summary["status"] == "Canceled"


def test_snapshot_request_makes_the_next_message_full(monitor: SweepMonitor) -> None:
    rec = Recorder(monitor)
    monitor.on_sweep_start(FakeRun())
    for i in range(3):
        monitor.push(record(i))
    _wait_for(lambda: sum(len(m["rows"]) for m in rec.messages) >= 3)
    before = len(rec.messages)
    monitor._on_front_msg(monitor, {"type": "snapshot_request"}, [])
    _wait_for(lambda: len(rec.messages) > before)
    assert rec.messages[before]["full"] is True
    assert [r["id"] for r in wire_rows(rec.messages[before])] == ["t0", "t1", "t2"]
    run = FakeRun()
    run.finish()
    monitor.on_sweep_end(run)
    # after the end there is no flusher: the request is answered at once
    count = len(rec.messages)
    monitor._on_front_msg(monitor, {"type": "snapshot_request"}, [])
    assert len(rec.messages) == count + 1 and rec.messages[-1]["full"] is True


def test_observer_errors_are_logged_not_raised(monitor: SweepMonitor, caplog: pytest.LogCaptureFixture) -> None:
    monitor.push(record(0))
    monitor.push("not a record")  # type: ignore[arg-type]
    monitor.push(record(1))
    # noted at once, checked when the batch is read: the bad entry is logged and skipped
    assert [r["id"] for r in monitor.current_rows()] == ["t0", "t1"]
    assert "not TrialRecords" in caplog.text
    broken = FakeRun()
    broken.cancel = None  # type: ignore[assignment]
    monitor.on_sweep_start(broken)
    monitor._on_front_msg(monitor, {"type": "stop_sweep"}, [])
    assert "handling" in caplog.text
    broken.finish()
    monitor.on_sweep_end(broken)


def test_monitor_rejects_a_bad_interval() -> None:
    with pytest.raises(ValueError, match=r"interval=.*positive.*got -1"):
        SweepMonitor(interval=-1)


def test_final_state_includes_records_only_seen_in_run_trials(monitor: SweepMonitor) -> None:
    Recorder(monitor)
    run = FakeRun()
    monitor.on_sweep_start(run)
    monitor.push(record(0))
    run.trials = [record(0), record(1, TrialStatus.CANCELED, values=())]
    run.finish("Canceled")
    monitor.on_sweep_end(run)
    assert [r["status"] for r in monitor.current_rows()] == ["Completed", "Canceled"]


def test_follow_shows_a_finished_run_at_once() -> None:
    run = FakeRun([record(i, values=(i / 10,)) for i in range(4)])
    run.finish()
    monitor = SweepMonitor().follow(run)
    assert monitor.ended and len(monitor.current_rows()) == 4 and monitor.summary["best_id"] == "t3"
    assert monitor.sweep["name"] == "fake-sweep" and monitor.sweep["param_names"] == ["lr", "kernel"]


def test_follow_polls_a_running_run_until_it_ends(monitor: SweepMonitor) -> None:
    Recorder(monitor)
    run = FakeRun([record(0, TrialStatus.RUNNING)])
    monitor.follow(run)
    assert not monitor.ended
    run.trials = [record(0), record(1, values=(0.9,))]
    run.finish()
    assert monitor.wait_ended(5.0)
    assert [r["id"] for r in monitor.current_rows()] == ["t0", "t1"] and monitor.summary["best_id"] == "t1"


def test_the_monitor_reads_run_trials_and_costs_the_engine_nothing_per_trial() -> None:
    from hyperwidget import run_sweep, uniform

    monitor = SweepMonitor(interval=0.05)
    assert not hasattr(monitor, "on_trial_update")  # the engine calls no hook per trial
    Recorder(monitor)
    run = run_sweep(
        lambda x: x,
        {"x": uniform(0, 1)},
        metric="accuracy",
        max_total_runs=120,
        backend="threads",
        max_concurrent_runs=3,
        storage=None,
        seed=1,
        observers=[monitor],
    )
    assert monitor.wait_ended(10)
    rows = monitor.current_rows()
    assert [r["index"] for r in rows] == list(range(120)) and {r["status"] for r in rows} == {"Completed"}
    best = run.get_best_run_by_primary_metric()
    assert monitor.summary["best_id"] == best.id and monitor.summary["counts"] == {"Completed": 120}
    assert "The 25 best of 120 child runs" in monitor.static_bundle()["text/plain"]


def test_the_monitor_sends_trials_that_change_behind_its_cursor(monitor: SweepMonitor) -> None:
    """Trials end out of order: one still running behind ended ones is read again until it ends."""
    rec = Recorder(monitor)
    run = FakeRun([record(0), record(1, TrialStatus.RUNNING), record(2)])
    monitor.on_sweep_start(run)
    _wait_for(lambda: len({r["id"] for m in rec.messages for r in m["rows"]}) == 3)
    run.trials = [record(0), record(1, values=(0.95,)), record(2), record(3, TrialStatus.RUNNING)]
    _wait_for(lambda: any(r["id"] == "t1" and r["status"] == "Completed" for m in rec.messages for r in wire_rows(m)))
    assert monitor.current_summary()["best_id"] == "t1"
    run.finish()
    monitor.on_sweep_end(run)
    assert monitor.summary["counts"] == {"Completed": 3, "Running": 1}


def test_static_html_of_the_monitor_escapes(monitor: SweepMonitor) -> None:
    Recorder(monitor)
    run = FakeRun()
    monitor.on_sweep_start(run)
    monitor.push(record(0, kernel=XSS))
    run.finish()
    monitor.on_sweep_end(run)
    bundle = monitor.static_bundle()
    assert "<img" not in bundle["text/html"] and XSS in bundle["text/plain"]


def test_the_widget_module_is_js_monitor_js_in_a_checkout() -> None:
    assert monitor_module.asset("monitor.js") == REPO / "js" / "monitor.js"
    assert "export default { render }" in str(SweepMonitor._esm) and "hw-final-table" in str(SweepMonitor._css)


def test_the_wheel_ships_the_front_end_without_its_tests() -> None:
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    shipped = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    front_end = sorted(p.name for p in (REPO / "js").iterdir() if p.is_file())  # js/test stays out
    assert {"monitor.js", "monitor.css", "browser.js", "browser.css"} <= set(front_end)
    assert shipped == {f"js/{name}": f"hyperwidget/static/{name}" for name in front_end}


def test_a_missing_front_end_file_names_both_places() -> None:
    with pytest.raises(FileNotFoundError, match=r"nowhere\.js is in neither .*js.* nor .*static"):
        monitor_module.asset("nowhere.js")


def test_a_saved_monitor_reads_as_what_it_is_in_plain_text() -> None:
    data, _metadata = SweepMonitor()._repr_mimebundle_()
    assert data["text/plain"] == monitor_module.PLAIN_TEXT and "application/vnd.jupyter.widget-view+json" in data


def _wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def test_a_monitor_shows_a_second_sweep_after_the_first() -> None:
    senders = lambda: sum(t.name == "hyperwidget-monitor" for t in threading.enumerate())  # noqa: E731
    before = senders()
    monitor = SweepMonitor(interval=0.02)
    rec = Recorder(monitor)
    first, second = FakeRun([record(0)]), FakeRun([record(i, values=(i / 10,)) for i in range(3)])
    for run in (first, second):
        monitor.on_sweep_start(run)
        time.sleep(0.1)
        run.finish()
        monitor.on_sweep_end(run)
    assert [r["id"] for r in monitor.current_rows()] == ["t0", "t1", "t2"] and monitor.summary["best_id"] == "t2"
    sent = len(rec.messages)
    time.sleep(0.1)  # neither sender thread is left running
    assert len(rec.messages) == sent and senders() <= before


class FakeChild:
    def __init__(self, record: TrialRecord, files: list[str]) -> None:
        self.id = record.id
        self.files = files

    def get_file_names(self) -> list[str]:
        return list(self.files)


def test_a_trial_request_is_answered_with_the_trial_in_full(monitor: SweepMonitor) -> None:
    rec = Recorder(monitor)
    failed = record(1, TrialStatus.FAILED, values=(0.2, 0.4), error=f"Traceback...\n  File x\nRuntimeError: {XSS}")
    run = FakeRun([record(0), failed])
    run.get_child = lambda rid: FakeChild(record(int(rid[1:])), [f"outputs/{rid}.txt", "std_log.txt"])  # type: ignore[attr-defined]
    monitor.on_sweep_start(run)
    monitor._on_front_msg(monitor, {"type": "trial_request", "id": "t1"}, [])
    answer = [m for m in rec.messages if m["type"] == "trial"]
    assert len(answer) == 1
    (detail,) = answer
    assert detail["id"] == "t1" and detail["status"] == "Failed"
    assert detail["error"] == failed.error  # the whole error, not the row's last line
    assert detail["metrics"] == {"accuracy": {"steps": [1, 2], "values": [0.2, 0.4]}}
    assert detail["files"] == ["outputs/t1.txt", "std_log.txt"] and detail["params"]["kernel"] == "rbf"
    # the rows stay lean: no update carries a whole error or the file names
    rows = monitor.current_rows()
    assert len(rows) == 2 and all("files" not in r and r.get("error") in (None, f"RuntimeError: {XSS}") for r in rows)
    monitor._on_front_msg(monitor, {"type": "trial_request", "id": "nope"}, [])
    assert rec.messages[-1] == {"type": "trial", "id": "nope", "missing": True}
    run.finish()
    monitor.on_sweep_end(run)
    # after the end (no sender thread) a request is still answered
    monitor._on_front_msg(monitor, {"type": "trial_request", "id": "t0"}, [])
    assert rec.messages[-1]["id"] == "t0" and rec.messages[-1]["files"] == ["outputs/t0.txt", "std_log.txt"]


def test_trial_files_come_from_get_children_or_are_none(
    monitor: SweepMonitor, caplog: pytest.LogCaptureFixture
) -> None:
    run = FakeRun([record(0)])
    run.get_children = lambda: [FakeChild(record(0), ["outputs/a.bin"])]  # type: ignore[attr-defined]
    run.finish()
    monitor.follow(run)
    assert monitor.trial_detail("t0")["files"] == ["outputs/a.bin"]
    plain = SweepMonitor().follow(FakeRun([record(0)], status="Completed"))
    assert plain.trial_detail("t0")["files"] is None
    broken = FakeRun([record(0)], status="Completed")
    broken.get_child = lambda rid: 1 / 0  # type: ignore[attr-defined]
    assert SweepMonitor().follow(broken).trial_detail("t0")["files"] is None
    assert "listing the files of t0 failed" in caplog.text


def test_a_real_sweep_trial_lists_its_output_files(tmp_path: Path) -> None:
    from hyperwidget import output_dir, run_sweep, uniform

    def objective(x: float) -> float:
        (output_dir() / "model.txt").write_text(str(x))
        return x

    monitor = SweepMonitor(interval=0.05)
    Recorder(monitor)
    run = run_sweep(
        objective,
        {"x": uniform(0, 1)},
        metric="accuracy",
        max_total_runs=2,
        backend="sequential",
        storage=str(tmp_path / "s.db"),
        seed=1,
        observers=[monitor],
    )
    assert monitor.wait_ended(10)
    detail = monitor.trial_detail(run.trials[0].id)
    assert detail["files"] == ["outputs/model.txt"], detail


def test_the_summary_carries_the_runs_notice_while_it_runs(monitor: SweepMonitor) -> None:
    run = FakeRun()
    run.notice = "starting 2 worker processes…"  # type: ignore[attr-defined]
    monitor.on_sweep_start(run)
    assert monitor.current_summary()["notice"] == "starting 2 worker processes…"
    run.notice = None  # type: ignore[attr-defined]
    assert "notice" not in monitor.current_summary()
    run.notice = "a stale note"  # type: ignore[attr-defined]
    run.finish()
    monitor.on_sweep_end(run)
    assert "notice" not in monitor.summary  # an ended sweep says nothing is starting
