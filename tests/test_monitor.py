"""The live monitor without a browser: snapshot rows, throttling, messages, fallbacks."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from hyperwidget.notebook import _assets, _snapshot, live
from hyperwidget.notebook.monitor import RunDetails, SweepMonitor
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


def record(i: int, status: TrialStatus = TrialStatus.COMPLETED, values: tuple[float, ...] = (0.5,), **kw: Any) -> TrialRecord:
    return TrialRecord(
        id=f"t{i}", index=i, params={"lr": 0.1 * (i + 1), "kernel": kw.pop("kernel", "rbf")}, status=status,
        metrics={"accuracy": values}, created_at=100.0, started_at=100.0,
        ended_at=None if status in (TrialStatus.RUNNING, TrialStatus.QUEUED) else 102.5, **kw,
    )


def wire_rows(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of an update message, decoded as js/format.js decodeRows does."""
    names = message["sweep"]["param_names"]
    return [_snapshot.row_from_wire(wire, names, message["id_prefix"]) for wire in message["rows"]]


def wire(i: int, *args: Any, **kw: Any) -> tuple[Any, ...]:
    """The wire row of ``record(i, ...)``."""
    rec = record(i, *args, **kw)
    return _snapshot.wire_row(rec, "accuracy", Goal.MAXIMIZE, list(rec.params))


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


# ------------------------------------------------------------------ _snapshot
def test_row_from_record_maps_every_field_and_drops_nan() -> None:
    rec = record(3, values=(0.2, float("nan"), 0.9, 0.7), error="Traceback...\n  File x\nValueError: bad")
    row = _snapshot.row_from_record(rec, "accuracy", Goal.MAXIMIZE)
    assert row["id"] == "t3" and row["index"] == 3 and row["status"] == "Completed"
    assert row["latest"] == 0.7 and row["best"] == 0.9 and row["step"] == 4
    assert row["curve"] == [0.2, None, 0.9, 0.7]
    assert _snapshot.row_duration(row) == pytest.approx(2.5)
    assert row["error"] == "ValueError: bad"
    json.dumps(row, allow_nan=False)


def test_row_from_record_minimize_and_missing_metric() -> None:
    assert _snapshot.row_from_record(record(0, values=(3.0, 1.0, 2.0)), "accuracy", Goal.MINIMIZE)["best"] == 1.0
    queued = record(0, status=TrialStatus.QUEUED, values=()).replace(started_at=None)
    empty = _snapshot.row_from_record(queued, "accuracy", Goal.MAXIMIZE)
    assert (empty["latest"], empty["best"], empty["step"]) == (None, None, 0)
    assert "curve" not in empty and "error" not in empty  # kept small: absent, not null
    assert _snapshot.row_duration(empty) is None
    running = _snapshot.row_from_record(record(0, status=TrialStatus.RUNNING), "accuracy", Goal.MAXIMIZE)
    assert _snapshot.row_duration(running, now=110.0) == 10.0


def test_jsonable_params_numpy_nan_and_objects() -> None:
    assert _snapshot.jsonable(np.float32(0.5)) == 0.5
    assert _snapshot.jsonable(np.int64(3)) == 3 and isinstance(_snapshot.jsonable(np.int64(3)), int)
    assert _snapshot.jsonable(float("nan")) == "nan"
    assert _snapshot.jsonable((1, "a")) == [1, "a"]
    assert _snapshot.jsonable(object).startswith("<class")
    assert _snapshot.jsonable(XSS) == XSS  # escaping is the renderer's job


def test_long_curves_are_downsampled_with_both_ends() -> None:
    rec = record(0, values=tuple(float(v) for v in range(1000)))
    curve = _snapshot.row_from_record(rec, "accuracy", Goal.MAXIMIZE)["curve"]
    assert len(curve) == _snapshot.MAX_CURVE_POINTS and curve[0] == 0.0 and curve[-1] == 999.0


def test_summarize_counts_best_elapsed_and_budget() -> None:
    rows = [
        wire(0, values=(0.5,)),
        wire(1, TrialStatus.FAILED, values=(0.99,)),
        wire(2, TrialStatus.STOPPED_EARLY, values=(0.8,)),
        wire(3, TrialStatus.RUNNING, values=(0.1,)),
    ]
    s = _snapshot.summarize(rows, goal=Goal.MAXIMIZE, status="Running", started_at=100.0, max_total_runs=10,
                            max_duration=60.0, now=130.0)
    assert s["counts"] == {"Completed": 1, "Failed": 1, "StoppedEarly": 1, "Running": 1}
    assert (s["n_trials"], s["n_finished"]) == (4, 3)
    assert (s["best_id"], s["best_value"]) == ("t2", 0.8)  # the failed trial's 0.99 does not count
    assert s["elapsed"] == 30.0 and s["max_total_runs"] == 10 and s["max_duration"] == 60.0
    low = _snapshot.summarize(rows, goal=Goal.MINIMIZE, status="Completed", started_at=100.0, ended_at=110.0, now=500.0)
    assert low["best_id"] == "t3" and low["elapsed"] == 10.0


def test_best_row_ties_go_to_the_earlier_trial() -> None:
    rows = [wire(i, values=(0.5,)) for i in (4, 2, 7)]
    assert _snapshot.best_row(rows, Goal.MAXIMIZE)[_snapshot.ID] == "t2"


def test_static_html_table_escapes_values_and_marks_the_best() -> None:
    rows = [_snapshot.row_from_record(record(i, kernel=XSS, values=(0.1 * i,)), "accuracy", Goal.MAXIMIZE) for i in range(3)]
    wires = [wire(i, kernel=XSS, values=(0.1 * i,)) for i in range(3)]
    summary = _snapshot.summarize(wires, goal=Goal.MAXIMIZE, status="Completed", started_at=1.0, ended_at=2.0)
    info = {"name": XSS, "metric": "accuracy", "goal": "maximize", "param_names": ["lr", "kernel"]}
    out = _snapshot.html_table(rows, summary, info)
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert out.count('data-best="true"') == 1 and out.index('data-best="true"') > out.index("<td>1</td>")
    assert 'class="hw-final-table"' in out


def test_text_table_and_progress_line() -> None:
    rows = [_snapshot.row_from_record(record(i, values=(0.25 * i,)), "accuracy", Goal.MAXIMIZE) for i in range(3)]
    summary = _snapshot.summarize([wire(i, values=(0.25 * i,)) for i in range(3)], goal=Goal.MAXIMIZE,
                                  status="Completed", started_at=1.0, ended_at=3.0, max_total_runs=3)
    info = {"name": "s", "metric": "accuracy", "goal": "maximize", "param_names": ["lr", "kernel"]}
    text = _snapshot.text_table(rows, info)
    assert text.splitlines()[0].split() == ["#", "run", "id", "status", "lr", "kernel", "latest", "best", "step", "duration"]
    assert len(text.splitlines()) == 4 and "0.5" in text.splitlines()[3]
    assert _snapshot.progress_line(summary, info) == (
        "[s] Completed: 3/3 finished (Completed 3); best accuracy 0.5 (t2); elapsed 2.0 s"
    )


def test_wire_rows_are_positional_raw_and_drop_predictable_ids() -> None:
    completed = _snapshot.STATUSES.index("Completed")
    ok = record(0, values=(0.1, 0.3)).replace(started_at=100.0004567)
    failed = record(1, status=TrialStatus.FAILED, values=(), error="E: x")
    w0 = _snapshot.wire_row(ok, "accuracy", Goal.MAXIMIZE, ["kernel", "lr", "extra"], "t")
    # raw values (times not rounded), status as a code, the id left out, the curve at the end
    assert w0 == (0, completed, 0.3, 0.3, 2, 100.0004567, 102.5, ("rbf", 0.1, None), None, (0.1, 0.3))
    w1 = _snapshot.wire_row(failed, "accuracy", Goal.MAXIMIZE, ["kernel", "lr"], "sweep_")
    assert w1[_snapshot.ID] == "t1" and w1[_snapshot.ERROR] == "E: x" and w1[_snapshot.CURVE] is None
    assert _snapshot.status_name(w1[_snapshot.STATUS]) == "Failed"
    plain = _snapshot.wire_row(record(2), "accuracy", Goal.MAXIMIZE, ["lr", "kernel"], "t")
    assert plain == (2, completed, 0.5, 0.5, 1, 100.0, 102.5, (pytest.approx(0.3), "rbf"))  # nothing optional
    back = _snapshot.row_from_wire(w0, ["kernel", "lr", "extra"], "t")
    assert back["id"] == "t0" and back["params"] == {"kernel": "rbf", "lr": 0.1, "extra": None}
    assert back["status"] == "Completed" and back["curve"] == [0.1, 0.3]
    assert len(_snapshot.WIRE_COLUMNS) == len(w1)
    json.dumps([w0, w1, plain], allow_nan=False)


def test_wire_row_best_ignores_nan_and_unknown_statuses_pass_as_names() -> None:
    rec = record(0, values=(float("nan"), 0.4, float("inf"), 0.2))
    row = _snapshot.wire_row(rec, "accuracy", Goal.MAXIMIZE, ["lr"])
    assert (row[_snapshot.LATEST], row[_snapshot.BEST], row[_snapshot.STEP]) == (0.2, 0.4, 4)
    assert row[_snapshot.CURVE] == (None, 0.4, None, 0.2)
    assert _snapshot.wire_row(rec, "accuracy", Goal.MINIMIZE, ["lr"])[_snapshot.BEST] == 0.2
    assert _snapshot.wire_row(record(0, values=(float("nan"),)), "accuracy", Goal.MAXIMIZE, [])[_snapshot.BEST] is None
    odd = _snapshot.wire_row(rec.replace(status="Paused"), "accuracy", Goal.MAXIMIZE, ["lr"])
    assert odd[_snapshot.STATUS] == "Paused" and _snapshot.row_from_wire(odd, ["lr"])["status"] == "Paused"
    assert _snapshot.wire_row(rec.replace(status="Running"), "accuracy", Goal.MAXIMIZE, [])[_snapshot.STATUS] == \
        _snapshot.STATUSES.index("Running")


def test_kept_rows_are_left_alone_by_the_garbage_collector() -> None:
    import gc

    rows = [wire(i, values=(0.1, 0.2)) for i in range(3)] + [wire(3, TrialStatus.FAILED, values=(), error="E")]
    gc.collect()  # untracks the inner tuples (params, curve) ...
    gc.collect()  # ... and then the rows: none ever reaches the oldest generation
    assert not any(gc.is_tracked(row) for row in rows)


def test_wire_row_reuses_the_previous_params_unless_columns_grew() -> None:
    first = _snapshot.wire_row(record(0, TrialStatus.RUNNING), "accuracy", Goal.MAXIMIZE, ["lr", "kernel"], "t")
    again = _snapshot.wire_row(record(0, values=(0.1, 0.2)), "accuracy", Goal.MAXIMIZE, ["lr", "kernel"], "t", first)
    assert again[_snapshot.PARAMS] is first[_snapshot.PARAMS] and again[_snapshot.ID] is None
    grown = _snapshot.wire_row(record(0), "accuracy", Goal.MAXIMIZE, ["lr", "kernel", "new"], "t", first)
    assert grown[_snapshot.PARAMS] == (pytest.approx(0.1), "rbf", None)
    odd = record(0).replace(id="custom")
    kept = _snapshot.wire_row(odd, "accuracy", Goal.MAXIMIZE, ["lr", "kernel"], "t",
                              _snapshot.wire_row(odd, "accuracy", Goal.MAXIMIZE, ["lr", "kernel"], "t"))
    assert kept[_snapshot.ID] == "custom"


def _assert_tally_matches(tally: _snapshot.Tally, rows: dict[int, Any], goal: Goal) -> None:
    """The tally's best row and counts equal a search and a recount of ``rows``."""
    assert tally.best(rows.values()) is _snapshot.best_row(rows.values(), goal)
    recount: dict[str, int] = {}
    for row in rows.values():
        name = _snapshot.status_name(row[_snapshot.STATUS])
        recount[name] = recount.get(name, 0) + 1
    assert tally.counts() == recount


def test_tally_follows_replaced_rows_like_a_recount() -> None:
    rng = np.random.default_rng(0)
    statuses = [TrialStatus.RUNNING, TrialStatus.COMPLETED, TrialStatus.FAILED, TrialStatus.STOPPED_EARLY]
    for goal in (Goal.MAXIMIZE, Goal.MINIMIZE):
        tally, rows = _snapshot.Tally(goal), {}
        for _ in range(400):
            i = int(rng.integers(12))
            values = tuple(float(v) for v in rng.integers(0, 5, size=int(rng.integers(0, 3))))
            new = wire(i, statuses[int(rng.integers(4))], values=values)
            tally.replace(rows.get(i), new)
            rows[i] = new
            _assert_tally_matches(tally, rows, goal)


def test_tally_replace_many_follows_batches_like_a_recount() -> None:
    rng = np.random.default_rng(1)
    statuses = [TrialStatus.RUNNING, TrialStatus.COMPLETED, TrialStatus.FAILED, TrialStatus.STOPPED_EARLY]
    for goal in (Goal.MAXIMIZE, Goal.MINIMIZE):
        tally, rows = _snapshot.Tally(goal), {}
        for _ in range(300):
            batch = {}
            for i in rng.integers(15, size=int(rng.integers(1, 6))):
                values = tuple(float(v) for v in rng.integers(0, 5, size=int(rng.integers(0, 3))))
                batch[int(i)] = wire(int(i), statuses[int(rng.integers(4))], values=values)
            tally.replace_many([rows.get(i) for i in batch], list(batch.values()))
            rows.update(batch)
            _assert_tally_matches(tally, rows, goal)


def test_wire_rows_in_bulk_equal_wire_row_one_by_one() -> None:
    """Column-by-column building gives the same tuples, odd records included."""
    rng = np.random.default_rng(2)
    statuses = list(TrialStatus)
    records = []
    for i in range(200):
        kind = int(rng.integers(8))
        values = {0: (), 1: (0.5,), 2: (0.1, 0.4), 3: (float("nan"),), 4: (3,)}.get(kind, (float(rng.random()),))
        rec = TrialRecord(
            id=f"s_{i}" if kind != 5 else f"custom{i}", index=i,
            params={"lr": float(rng.random()) if kind != 6 else float("inf"), "kernel": "rbf",
                    "flag": bool(kind == 7), "n": np.int64(i) if kind == 7 else i},
            status=statuses[int(rng.integers(len(statuses)))], metrics={"accuracy": values},
            started_at=100.0 + i, ended_at=None if kind == 0 else 101.0 + i,
            error="Trace\nValueError: x" if kind == 3 else None)
        records.append(rec)
    names = ["lr", "kernel", "flag", "n", "missing"]
    for goal in (Goal.MAXIMIZE, Goal.MINIMIZE):
        one_by_one = [_snapshot.wire_row(r, "accuracy", goal, names, "s_") for r in records]
        assert _snapshot.wire_rows(records, "accuracy", goal, names, "s_") == one_by_one
        plain = [r for r in records if r.metrics["accuracy"] and type(r.metrics["accuracy"][0]) is float]
        assert _snapshot.wire_rows(plain, "accuracy", goal, ["lr", "kernel"], "s_") == [
            _snapshot.wire_row(r, "accuracy", goal, ["lr", "kernel"], "s_") for r in plain]
    assert json.dumps(_snapshot.wire_rows(records, "accuracy", Goal.MAXIMIZE, names, "s_"), allow_nan=False)


def test_static_table_shows_every_row_of_a_short_sweep_and_the_best_of_a_long_one() -> None:
    short = [wire(i, values=(0.01 * i,)) for i in (3, 1, 2)]
    assert [w[_snapshot.INDEX] for w in _snapshot.static_selection(short, Goal.MAXIMIZE)] == [1, 2, 3]
    long = [wire(i, values=((i * 37) % 100 / 100,)) for i in range(100)]
    long += [wire(100, TrialStatus.FAILED, values=(5.0,)), wire(101, TrialStatus.RUNNING, values=())]
    top = _snapshot.static_selection(long, Goal.MAXIMIZE)
    values = [w[_snapshot.BEST] for w in top]
    assert len(top) == _snapshot.STATIC_TOP and values == sorted(values, reverse=True) and values[0] == 0.99
    low = _snapshot.static_selection(long, Goal.MINIMIZE)
    assert [w[_snapshot.BEST] for w in low][:2] == [0.0, 0.01]  # the failed trial's 5.0 is not shown either way
    rows = [_snapshot.row_from_wire(w, ["lr", "kernel"]) for w in top]
    info = {"name": "s", "metric": "accuracy", "goal": "maximize", "param_names": ["lr", "kernel"]}
    summary = _snapshot.summarize(long, goal=Goal.MAXIMIZE, status="Completed", started_at=1.0, ended_at=2.0)
    html_out = _snapshot.html_table(rows, summary, info, total=len(long))
    assert html_out.count("<tr") == 1 + _snapshot.STATIC_TOP + 1  # header, rows, the note
    assert "The 25 best of 102 child runs by accuracy" in html_out and 'data-best="true"' in html_out
    assert "The 25 best of 102 child runs" in _snapshot.text_table(rows, info, total=len(long))
    assert "best of" not in _snapshot.html_table(rows, summary, info, total=len(rows))


def test_budget_of_reads_config_and_ignores_missing() -> None:
    assert _snapshot.budget_of(FakeRun()) == (10, 120.0)
    assert _snapshot.budget_of(SimpleNamespace()) == (None, None)


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
    assert wire_rows(first)[0]["params"] == {"lr": 0.1, "kernel": "rbf"}
    assert last["summary"]["counts"] == {"Running": 4, "Completed": 1}
    assert last["sweep"]["param_names"] == ["lr", "kernel"] and last["sweep"]["metric"] == "accuracy"
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
    assert tuple(rec.messages[-1]["statuses"]) == _snapshot.STATUSES
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


def test_the_front_end_status_table_matches_python() -> None:
    source = (REPO / "js" / "format.js").read_text("utf-8")
    line = next(x for x in source.splitlines() if x.startswith("export const STATUSES"))
    assert json.loads(line[line.index("["):line.rindex("]") + 1]) == list(_snapshot.STATUSES)


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
    _wait_for(lambda: not monitor._has_news())
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
    assert "push failed" in caplog.text
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
    run = run_sweep(lambda x: x, {"x": uniform(0, 1)}, metric="accuracy", max_total_runs=120,
                    backend="threads", max_concurrent_runs=3, storage=None, seed=1, observers=[monitor])
    assert monitor.wait_ended(10)
    rows = monitor.current_rows()
    assert [r["index"] for r in rows] == list(range(120)) and {r["status"] for r in rows} == {"Completed"}
    best = run.get_best_run_by_primary_metric()
    assert monitor.summary["best_id"] == best.id and monitor.summary["counts"] == {"Completed": 120}
    assert "The 25 best of 120 child runs" in monitor.static_text()


def test_the_monitor_sends_trials_that_change_behind_its_cursor(monitor: SweepMonitor) -> None:
    """Trials end out of order: one still running behind ended ones is read again until it ends."""
    rec = Recorder(monitor)
    run = FakeRun([record(0), record(1, TrialStatus.RUNNING), record(2)])
    monitor.on_sweep_start(run)
    _wait_for(lambda: len(monitor._rows) == 3)
    run.trials = [record(0), record(1, values=(0.95,)), record(2), record(3, TrialStatus.RUNNING)]
    _wait_for(lambda: any(r["id"] == "t1" and r["status"] == "Completed" for m in rec.messages for r in wire_rows(m)))
    assert monitor.current_summary()["best_id"] == "t1"
    run.finish()
    monitor.on_sweep_end(run)
    assert monitor.summary["counts"] == {"Completed": 3, "Running": 1}


def test_run_details_needs_a_run() -> None:
    with pytest.raises(TypeError, match=r"RunDetails\(run\).*got int"):
        RunDetails(3)


def test_static_html_of_the_monitor_escapes(monitor: SweepMonitor) -> None:
    Recorder(monitor)
    run = FakeRun()
    monitor.on_sweep_start(run)
    monitor.push(record(0, kernel=XSS))
    run.finish()
    monitor.on_sweep_end(run)
    assert "<img" not in monitor.static_html() and XSS in monitor.static_text()


# ------------------------------------------------------------- text fallback
def _background_run(n: int, delay: float = 0.01) -> tuple[FakeRun, list]:
    run = FakeRun()
    observers: list = []

    def body() -> None:
        for o in observers:
            o.on_sweep_start(run)
        for i in range(n):
            rec = record(i, values=(i / n,))
            run.trials.append(rec)
            for o in observers:  # the engine calls the hooks an observer has
                if hasattr(o, "on_trial_update"):
                    o.on_trial_update(rec)
            time.sleep(delay)
        run.finish()
        for o in observers:
            o.on_sweep_end(run)

    def start(obs: list) -> FakeRun:
        observers.extend(obs)
        threading.Thread(target=body, daemon=True).start()
        return run

    return run, [start]


def test_run_with_monitor_prints_progress_and_the_final_table_outside_jupyter(capsys: pytest.CaptureFixture[str]) -> None:
    assert not live.widget_frontend_available()
    run, (start,) = _background_run(30)
    assert live.run_with_monitor(start) is run
    out = capsys.readouterr().out
    assert "[fake-sweep] Running:" in out  # a throttled progress line
    assert "[fake-sweep] Completed: 30/10 finished" in out
    assert out.count("\n") < 45  # throttled: not one line per update
    assert "t29" in out.splitlines()[-1]  # the final table ends the output


def test_text_progress_is_throttled() -> None:
    stream = io.StringIO()
    progress = live.TextProgress(stream=stream, interval=10.0)
    progress.on_sweep_start(FakeRun())
    for i in range(100):
        progress.on_trial_update(record(i))
    assert stream.getvalue().count("\n") == 1


def test_interrupt_cancels_and_returns_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    run = FakeRun()

    def interrupted(*_: Any) -> None:
        run.finish("Canceled")
        raise KeyboardInterrupt

    monkeypatch.setattr(live, "_wait_plain", interrupted)
    assert live.run_with_monitor(lambda obs: run, show=False) is run
    assert run.canceled == 1


# -------------------------------------------------------------- the ES module
def test_bundle_inlines_format_js_and_rejects_other_imports() -> None:
    text = _assets.esm_source()
    assert 'from "./format.js"' not in text
    assert "export default { render }" in text and "export function esc(" in text
    with pytest.raises(ValueError, match="exactly one"):
        _assets.bundle("export default {};", "")
    with pytest.raises(ValueError, match="must not import"):
        _assets.bundle('import { a } from "./format.js";', 'import x from "y";')


def test_bundled_module_loads_in_node(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    module = tmp_path / "monitor.mjs"
    module.write_text(_assets.esm_source(), "utf-8")
    script = "import(process.argv[1]).then(m => console.log(typeof m.default.render, typeof m.esc))"
    out = subprocess.run([node, "--input-type=module", "-e", script, module.as_uri()], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out.split() == ["function", "function"]


def test_asset_dir_is_the_source_tree_here() -> None:
    assert _assets.asset_dir() == REPO / "js"
    assert "hw-final-table" in _assets.css_source()


def _wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


# ------------------------------------------------------- headless notebook run
@pytest.mark.slow
def test_saved_notebook_keeps_the_final_table_and_widget_state(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    source = (
        "from hyperwidget import start_sweep, uniform, choice\n"
        "from hyperwidget.notebook import run_with_monitor\n"
        f"space = {{'x': uniform(0, 1), 'tag': choice({XSS!r}, 'b')}}\n"
        "run = run_with_monitor(lambda obs: start_sweep(lambda x, tag: x, space, metric='accuracy',\n"
        "    max_total_runs=6, backend='threads', storage=None, seed=0, observers=obs))\n"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    path = tmp_path / "saved.ipynb"
    nbformat.write(nb, path)
    saved = nbformat.read(path, as_version=4)
    outputs = saved.cells[0].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    final = [o["data"]["text/html"] for o in outputs if "hw-final-table" in o.get("data", {}).get("text/html", "")]
    assert len(final) == 1
    assert "&lt;img src=x onerror=alert(1)&gt;" in final[0] and "<img" not in final[0]
    assert final[0].count("<tr") == 7 and 'data-best="true"' in final[0]
    state = saved.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    monitors = [m["state"] for m in state.values() if "summary" in m["state"] and "_esm" in m["state"]]
    assert len(monitors) == 1 and monitors[0]["summary"]["status"] == "Completed"
    assert monitors[0]["summary"]["counts"] == {"Completed": 6}


def test_a_failing_start_closes_the_monitor(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))

    def bad_start(observers: list) -> Any:
        raise ValueError("max_total_runs: must be positive")

    with pytest.raises(ValueError, match="max_total_runs"):
        live._run_in_notebook(bad_start)
    assert len(shown) == 1 and shown[0].comm is None  # displayed, then closed


def test_the_final_table_is_shown_even_when_the_engine_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    run, (start,) = _background_run(3)

    def failing_wait(timeout: float | None = None) -> FakeRun:
        raise RuntimeError("engine broke")

    run.wait = failing_wait  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="engine broke"):
        live._run_in_notebook(start)
    assert isinstance(shown[0], SweepMonitor) and "hw-final-table" in shown[-1]["text/html"]
