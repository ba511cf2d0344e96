"""Persistence in a real SQLite file: plain data, live readers, reopen and resume in new processes."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from objectives import curve, log_many, slow_logger, stepped

import hyperwidget as hw
from hyperwidget import SqliteStorage, SweepConfigError, TrialRecord, TrialStatus

TESTS = Path(__file__).parent


def test_records_round_trip_with_nan_and_series(tmp_path: Path) -> None:
    store = SqliteStorage(tmp_path / "s.db")
    store.create_sweep("a", {"metric": "acc"})
    record = TrialRecord("a_0", 0, {"lr": 0.1, "opt": "sgd"}, TrialStatus.RUNNING, started_at=1.0)
    store.save_trial("a", record)
    for seq, value in enumerate([0.5, math.nan, 0.7]):
        store.append_value("a", "a_0", "acc", seq, value)
    config, status, *_, trials = store.load_sweep("a")
    assert config == {"metric": "acc"} and status == "Running"
    (loaded,) = trials
    assert loaded.params == {"lr": 0.1, "opt": "sgd"} and loaded.status is TrialStatus.RUNNING
    assert loaded.series("acc")[0] == 0.5 and math.isnan(loaded.series("acc")[1])
    with pytest.raises(SweepConfigError, match="already exists"):
        store.create_sweep("a", {})
    with pytest.raises(SweepConfigError, match="no sweep named 'b'"):
        store.load_sweep("b")


def test_the_file_holds_only_plain_data(tmp_path: Path) -> None:
    hw.run_sweep(
        curve,
        {"x": hw.uniform(0, 1), "epochs": 2},
        metric="acc",
        max_total_runs=3,
        backend="sequential",
        storage="plain.db",
        name="p",
    )
    db = sqlite3.connect("plain.db")
    for (config,) in db.execute("SELECT config FROM sweeps"):
        assert json.loads(config)["sampler"]["space"]["x"] == ["uniform", [0, 1]]
    for (params,) in db.execute("SELECT params FROM trials"):
        assert set(json.loads(params)) == {"x", "epochs"}
    kinds = {kind for row in db.execute("SELECT typeof(value) FROM metrics") for kind in row}
    assert kinds == {"real"}


def test_values_are_in_the_file_while_the_sweep_runs_and_another_reader_sees_them() -> None:
    run = hw.start_sweep(
        slow_logger,
        {"x": hw.uniform(0, 1)},
        metric="acc",
        max_total_runs=2,
        max_concurrent_runs=2,
        backend="threads",
        storage="live.db",
        name="live",
    )
    time.sleep(1.0)
    snapshot = hw.load_sweep("live", "live.db")
    assert snapshot.status == "Running"
    assert all(3 <= len(t.series("acc")) < 40 for t in snapshot.trials)
    run.cancel()
    run.wait(10)
    assert hw.load_sweep("live", "live.db").status == "Canceled"


def test_default_storage_is_a_file_in_the_working_directory(tmp_path: Path) -> None:
    run = hw.run_sweep(curve, {"x": hw.uniform(0, 1)}, metric="acc", max_total_runs=1, backend="sequential")
    assert Path(run.storage_path).resolve() == (tmp_path / "hyperwidget.db").resolve()
    assert hw.load_sweep(storage="hyperwidget.db").name == run.name
    assert (
        hw.run_sweep(
            curve, {"x": hw.uniform(0, 1)}, metric="acc", max_total_runs=1, backend="sequential", storage=None
        ).storage_path
        is None
    )


_SCRIPT = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {tests!r})
    import hyperwidget as hw
    from objectives import curve
    mode = sys.argv[1]
    if mode == "start":
        run = hw.start_sweep(curve, {{"x": hw.uniform(0, 1), "epochs": 3, "delay": 0.05}}, metric="acc",
                             max_total_runs=12, max_concurrent_runs=2, backend="loky", storage="r.db",
                             name="res", seed=11, sampler=None)
        while sum(t.status.is_finished for t in run.trials) < 4:
            time.sleep(0.01)
        os._exit(0)  # the kernel dies mid-sweep
    run = hw.resume_sweep("res", curve, storage="r.db")
    print(run.status, len(run.trials))
""")


@pytest.mark.slow
def test_a_sweep_reopened_in_a_new_process_resumes_without_repeating_finished_trials(tmp_path: Path) -> None:
    script = tmp_path / "driver.py"
    script.write_text(_SCRIPT.format(tests=str(TESTS)))
    subprocess.run([sys.executable, str(script), "start"], check=True, cwd=tmp_path, timeout=120)
    before = hw.load_sweep("res", tmp_path / "r.db")
    finished_before = {t.id: t for t in before.trials if t.status.is_finished}
    assert 4 <= len(finished_before) < 12 and before.status == "Interrupted"  # its process is gone
    result = subprocess.run(
        [sys.executable, str(script), "resume"], check=True, cwd=tmp_path, timeout=120, capture_output=True, text=True
    )
    assert result.stdout.split() == ["Completed", "12"]
    after = hw.load_sweep("res", tmp_path / "r.db")
    assert [t.status for t in after.trials] == [TrialStatus.COMPLETED] * 12
    for trial_id, record in finished_before.items():
        again = next(t for t in after.trials if t.id == trial_id)
        assert again.params == record.params and again.metrics == record.metrics
        assert again.ended_at == record.ended_at  # not run again
    params = [json.dumps(t.params, sort_keys=True) for t in after.trials]
    assert len(set(params)) == 12


def test_resume_of_an_unknown_sweep_names_what_the_file_holds() -> None:
    hw.run_sweep(
        curve,
        {"x": hw.uniform(0, 1)},
        metric="acc",
        max_total_runs=1,
        backend="sequential",
        storage="k.db",
        name="known",
    )
    with pytest.raises(SweepConfigError, match=r"no sweep named 'other'.*\['known'\]"):
        hw.resume_sweep("other", curve, storage="k.db")
    with pytest.raises(SweepConfigError, match="already exists"):
        hw.run_sweep(curve, {"x": hw.uniform(0, 1)}, metric="acc", storage="k.db", name="known")


# --------------------------------------------------------------------------- files that are not sweep files


def test_a_storage_path_in_a_missing_directory_names_the_setting_and_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such"
    with pytest.raises(
        SweepConfigError,
        match=rf"storage='{missing}/s.db': the directory '{missing}' does not "
        r"exist; create it first \(os.makedirs",
    ):
        hw.run_sweep(
            curve,
            {"x": hw.uniform(0, 1)},
            metric="acc",
            max_total_runs=1,
            backend="sequential",
            storage=str(missing / "s.db"),
        )
    with pytest.raises(SweepConfigError, match=r"storage='.*' is a directory; pass a file path such as"):
        SqliteStorage(tmp_path)
    assert not missing.exists()


def test_a_text_file_as_storage_is_refused_and_left_alone() -> None:
    Path("notes.txt").write_text("my notes\n" * 200)
    message = r"storage='notes.txt' is not a hyperwidget sweep file \(file is not a database\); pass the path"
    with pytest.raises(SweepConfigError, match=message):
        hw.run_sweep(
            curve, {"x": hw.uniform(0, 1)}, metric="acc", max_total_runs=1, backend="sequential", storage="notes.txt"
        )
    with pytest.raises(SweepConfigError, match=message):
        hw.load_sweep(storage="notes.txt")
    assert Path("notes.txt").read_text() == "my notes\n" * 200


def test_another_applications_database_is_refused_and_not_changed() -> None:
    db = sqlite3.connect("app.db")
    db.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    db.commit()
    db.close()
    message = (
        r"storage='app.db' is not a hyperwidget sweep file \(its tables: users; a sweep file has sweeps, "
        r"trials, metrics\)"
    )
    with pytest.raises(SweepConfigError, match=message):
        hw.run_sweep(
            curve, {"x": hw.uniform(0, 1)}, metric="acc", max_total_runs=1, backend="sequential", storage="app.db"
        )
    with pytest.raises(SweepConfigError, match=message):
        hw.load_sweep(storage="app.db")
    db = sqlite3.connect("app.db")
    assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["users"]
    assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # not switched to WAL


def test_resume_or_load_from_a_missing_file_is_refused_and_creates_nothing() -> None:
    message = r"storage='gone.db': no such sweep file; check the path"
    with pytest.raises(SweepConfigError, match=message):
        hw.resume_sweep("old", curve, storage="gone.db")
    with pytest.raises(SweepConfigError, match=message):
        hw.load_sweep("old", "gone.db")
    with pytest.raises(SweepConfigError, match=message):
        hw.run_sweep(curve, metric="acc", name="old", storage="gone.db", resume=True)
    assert not Path("gone.db").exists()


# --------------------------------------------------------------------------- the file stands alone


def test_a_finished_sweeps_file_alone_holds_everything_while_its_process_lives(tmp_path: Path) -> None:
    """As in a notebook: the kernel (this process) keeps the file open; a copy of the .db file alone is complete."""
    run = hw.run_sweep(
        curve,
        {"x": hw.uniform(0, 1), "epochs": 3},
        metric="acc",
        max_total_runs=4,
        backend="threads",
        max_concurrent_runs=2,
        storage="kernel.db",
        name="k",
        seed=0,
    )
    reader = sqlite3.connect("kernel.db")  # another connection, alive too
    assert reader.execute("SELECT count(*) FROM trials").fetchone() == (4,)
    (tmp_path / "mailed").mkdir()
    copy = tmp_path / "mailed" / "kernel.db"
    copy.write_bytes(Path("kernel.db").read_bytes())  # the main file only: no -wal, no -shm
    plain = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    assert plain.execute("SELECT status FROM sweeps WHERE name = 'k'").fetchone() == ("Completed",)
    assert plain.execute("SELECT count(*) FROM metrics WHERE name = 'acc'").fetchone() == (12,)
    plain.close()
    loaded = hw.load_sweep("k", copy)
    assert loaded.status == "Completed"
    assert {t.id: t.metrics for t in loaded.trials} == {t.id: t.metrics for t in run.trials}
    reader.close()


def test_closing_the_storage_folds_the_log_into_the_file(tmp_path: Path) -> None:
    store = SqliteStorage("closed.db")
    store.create_sweep("c", {"metric": "acc"})
    store.save_trial("c", TrialRecord("c_0", 0, {"x": 1}, TrialStatus.RUNNING))
    store.append_value("c", "c_0", "acc", 0, 0.5)
    keep = sqlite3.connect("closed.db")  # keeps the log from being deleted at close
    keep.execute("SELECT 1 FROM sweeps").fetchall()
    store.close()
    copy = tmp_path / "copy.db"
    copy.write_bytes(Path("closed.db").read_bytes())
    assert sqlite3.connect(copy).execute("SELECT value FROM metrics").fetchall() == [(0.5,)]
    keep.close()


def test_a_step_given_to_log_is_stored_with_the_value_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "steps.db"
    run = hw.run_sweep(
        stepped,
        {"x": hw.choice(0.5)},
        metric="acc",
        max_total_runs=2,
        backend="loky",
        max_concurrent_runs=2,
        storage=str(path),
        name="s",
    )
    assert run.get_children()[0].get_metric_steps() == {"acc": [10, 20, 30]}
    child = hw.load_sweep("s", str(path)).get_children()[1]
    assert child.get_metrics() == {"acc": [0.5, 1.0, 1.5], "loss": [1.0, 0.5, pytest.approx(1 / 3)]}
    assert child.get_metric_steps() == {"acc": [10, 20, 30]} and child.get_metric_steps("loss") == {}
    assert child.record.steps_of("loss") == (None, None, None)
    db = sqlite3.connect(path)
    assert db.execute("SELECT step FROM metrics WHERE trial_id = 's_1' AND name = 'acc' ORDER BY seq").fetchall() == [
        (10,),
        (20,),
        (30,),
    ]


def test_a_file_written_before_steps_opens_and_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    hw.run_sweep(
        curve,
        {"x": hw.choice(0.5), "epochs": 2},
        metric="acc",
        max_total_runs=1,
        backend="sequential",
        storage=str(path),
        name="old",
    )
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE metrics DROP COLUMN step")
    db.commit()
    db.close()
    assert len(hw.load_sweep("old", str(path)).get_children()[0].get_metrics()["acc"]) == 2  # read-only: as is
    run = hw.resume_sweep("old", stepped, str(path), max_total_runs=2, backend="sequential")
    assert run.get_children()[1].get_metric_steps() == {"acc": [10, 20]}  # the stored space: epochs=2
    assert hw.load_sweep("old", str(path)).get_children()[0].get_metric_steps() == {}


def test_log_refuses_a_step_that_is_not_an_int() -> None:
    with pytest.raises(TypeError, match=r"step=1.5\): step must be an int"):
        hw.log("acc", 0.5, step=1.5)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sequential", "loky"])
def test_a_trial_logging_100000_values_stores_every_one_in_order(backend: str) -> None:
    start = time.monotonic()
    run = hw.run_sweep(
        log_many,
        {"x": hw.choice(0.5), "n": 100_000},
        metric="acc",
        max_total_runs=1,
        backend=backend,
        storage="many.db",
        name="many",
    )
    seconds = time.monotonic() - start
    assert run.status == "Completed"
    assert len(run.trials[0].series("acc")) == 100_000 and run.trials[0].series("acc")[-1] == 0.5 + 99_999
    with sqlite3.connect("many.db") as db:
        count, first, last, values = db.execute(
            "SELECT COUNT(*), MIN(seq), MAX(seq), SUM(value) FROM metrics"
        ).fetchone()
    assert (count, first, last) == (100_000, 0, 99_999)
    assert values == sum(0.5 + i for i in range(100_000))
    assert hw.load_sweep("many", "many.db").trials[0].series("acc") == run.trials[0].series("acc")
    # Logging copied the series and rewrote the trial's row for each value: 31-79 s; now 2-3 s on 2 cores.
    assert seconds < 30, f"100,000 values took {seconds:.1f} s"


def test_logging_values_does_not_rewrite_the_trials_row(monkeypatch: pytest.MonkeyPatch) -> None:
    saved: list[str] = []
    original = SqliteStorage.save_trial

    def counted(self: SqliteStorage, sweep: str, record: TrialRecord) -> None:
        saved.append(record.status.value)
        original(self, sweep, record)

    monkeypatch.setattr(SqliteStorage, "save_trial", counted)
    run = hw.run_sweep(
        log_many, {"x": hw.choice(0.5), "n": 500}, metric="acc", max_total_runs=1, backend="sequential",
        storage="rows.db", name="rows",
    )  # fmt: skip
    assert len(run.trials[0].series("acc")) == 500
    assert saved == ["Queued", "Running", "Completed"]


def test_a_value_logged_by_an_idle_trial_reaches_the_file_within_a_fraction_of_a_second() -> None:
    store = SqliteStorage("idle.db")
    store.create_sweep("i", {"metric": "acc"})
    store.save_trial("i", TrialRecord("i_0", 0, {"x": 1}, TrialStatus.RUNNING))
    store.append_value("i", "i_0", "acc", 0, 0.5)
    reader = sqlite3.connect("idle.db")
    deadline = time.monotonic() + 0.2 + 2.0  # FLUSH_SECONDS, and slack for a loaded machine
    while not reader.execute("SELECT COUNT(*) FROM metrics").fetchone()[0]:
        assert time.monotonic() < deadline, "the value was not committed"
        time.sleep(0.02)
    assert reader.execute("SELECT value FROM metrics").fetchall() == [(0.5,)]
    reader.close()
    store.close()


def test_values_logged_before_a_sigkill_of_the_process_are_in_the_file(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import os, signal, sys, time
        from hyperwidget import SqliteStorage, TrialRecord, TrialStatus
        store = SqliteStorage(sys.argv[1])
        store.create_sweep("k", {"metric": "acc"})
        store.save_trial("k", TrialRecord("k_0", 0, {"x": 1}, TrialStatus.RUNNING))
        for seq in range(5000):
            store.append_value("k", "k_0", "acc", seq, float(seq))
        time.sleep(1.0)  # FLUSH_SECONDS is 0.2: every value is committed by now
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    path = tmp_path / "killed.db"
    done = subprocess.run([sys.executable, "-c", code, str(path)], timeout=60)
    assert done.returncode == -9
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*), MAX(seq) FROM metrics").fetchone() == (5000, 4999)
