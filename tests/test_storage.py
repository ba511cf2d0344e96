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

import hyperwidget as hw
from hyperwidget import SqliteStorage, SweepConfigError, TrialRecord, TrialStatus
from objectives import curve, slow_logger

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
    hw.run_sweep(curve, {"x": hw.uniform(0, 1), "epochs": 2}, metric="acc", max_total_runs=3,
                 backend="sequential", storage="plain.db", name="p")
    db = sqlite3.connect("plain.db")
    for (config,) in db.execute("SELECT config FROM sweeps"):
        assert json.loads(config)["sampler"]["space"]["x"] == ["uniform", [0, 1]]
    for (params,) in db.execute("SELECT params FROM trials"):
        assert set(json.loads(params)) == {"x", "epochs"}
    kinds = {kind for row in db.execute("SELECT typeof(value) FROM metrics") for kind in row}
    assert kinds == {"real"}


def test_values_are_in_the_file_while_the_sweep_runs_and_another_reader_sees_them() -> None:
    run = hw.start_sweep(slow_logger, {"x": hw.uniform(0, 1)}, metric="acc", max_total_runs=2,
                         max_concurrent_runs=2, backend="threads", storage="live.db", name="live")
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
    assert hw.run_sweep(curve, {"x": hw.uniform(0, 1)}, metric="acc", max_total_runs=1, backend="sequential",
                        storage=None).storage_path is None


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
    assert 4 <= len(finished_before) < 12 and before.status == "Running"
    result = subprocess.run([sys.executable, str(script), "resume"], check=True, cwd=tmp_path, timeout=120,
                            capture_output=True, text=True)
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
    hw.run_sweep(curve, {"x": hw.uniform(0, 1)}, metric="acc", max_total_runs=1, backend="sequential",
                 storage="k.db", name="known")
    with pytest.raises(SweepConfigError, match=r"no sweep named 'other'.*\['known'\]"):
        hw.resume_sweep("other", curve, storage="k.db")
    with pytest.raises(SweepConfigError, match="already exists"):
        hw.run_sweep(curve, {"x": hw.uniform(0, 1)}, metric="acc", storage="k.db", name="known")
