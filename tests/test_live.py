"""Running a sweep with the monitor: the text fallback, interrupts, the final table, RunDetails."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hyperwidget.console import ConsoleProgress
from hyperwidget.notebook import live
from hyperwidget.notebook.monitor import SweepMonitor
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

XSS = "<img src=x onerror=alert(1)>"


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

    def get_best_run_by_primary_metric(self) -> None:
        return None

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


def test_run_with_monitor_prints_progress_and_the_final_table_outside_jupyter(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a terminal 100 columns wide (the width print_final_table assumes when it cannot tell; pytest-xdist's
    # workers say COLUMNS=80), where the table's progress line fits on one line
    monkeypatch.setenv("COLUMNS", "100")
    assert not live.widget_frontend_available()
    run, (start,) = _background_run(30)
    assert live.run_with_monitor(start) is run
    out = capsys.readouterr().out
    assert out.startswith("sweep fake-sweep: maximize 'accuracy'")  # ConsoleProgress, the one text observer
    assert "] t29 " in out and "* new best" in out  # every value improves: every trial is printed
    assert "sweep fake-sweep Completed in" in out
    assert "[fake-sweep] Completed: 30/10 finished" in out
    table = out[out.index("[fake-sweep] Completed:") :].splitlines()
    # the final table ends the output: every row, best first by the primary metric
    assert len(table) == 32 and "★\u00a029" in table[2] and table[-1].split()[:2] == ["0", "t0"]


def test_console_progress_prints_new_bests_and_throttles_the_others() -> None:
    stream = io.StringIO()
    progress = ConsoleProgress(stream=stream, interval=10.0)
    progress.on_sweep_start(FakeRun())
    for i in range(100):  # a new best, then 99 trials that are no better
        progress.on_trial_update(record(i, values=(1.0 if i == 0 else 0.5,)))
    progress.on_trial_update(record(100, values=(2.0,)))  # a new best is printed at once
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert "] t0 " in lines[1] and "* new best" in lines[1]
    assert "] t100 " in lines[2] and "(+99 more finished)" in lines[2]


def test_console_progress_with_no_interval_prints_every_finished_trial() -> None:
    stream = io.StringIO()
    progress = ConsoleProgress(stream=stream, interval=0)
    progress.on_sweep_start(FakeRun())
    for i in range(10):
        progress.on_trial_update(record(i, values=(0.5,)))
        progress.on_trial_update(record(i, status=TrialStatus.RUNNING))  # not finished: not printed
    assert len(stream.getvalue().splitlines()) == 11


def test_interrupt_cancels_and_returns_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    run = FakeRun()

    def interrupted(*_: Any) -> None:
        run.finish("Canceled")
        raise KeyboardInterrupt

    monkeypatch.setattr(live, "_wait_plain", interrupted)
    assert live.run_with_monitor(lambda obs: run, show=False) is run
    assert run.canceled == 1


def test_run_details_needs_a_run() -> None:
    with pytest.raises(TypeError, match=r"RunDetails\(run\).*got int"):
        live.RunDetails(3)


def test_run_details_shows_text_outside_jupyter(capsys: pytest.CaptureFixture[str]) -> None:
    run = FakeRun([record(i, values=(i / 10,)) for i in range(3)])
    run.finish()
    assert live.RunDetails(run).show() is None
    out = capsys.readouterr().out
    assert "[fake-sweep] Completed: 3/10 finished" in out and "★\u00a02" in out


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
    nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    path = tmp_path / "saved.ipynb"
    nbformat.write(nb, path)
    saved = nbformat.read(path, as_version=4)
    outputs = saved.cells[0].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    final = [o["data"]["text/html"] for o in outputs if "hw-final-table" in o.get("data", {}).get("text/html", "")]
    assert len(final) == 1
    assert "&lt;img src=x onerror=alert(1)&gt;" in final[0] and "<img" not in final[0]
    assert final[0].count("<tr") == 7 and final[0].count("★") == 1
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
