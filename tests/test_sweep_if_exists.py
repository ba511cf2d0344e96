"""``run_sweep(..., if_exists=...)``: a script that names its sweep can be run again.

``"error"`` (the default) refuses a name the file holds; ``"resume"`` goes on with
the stored sweep (and starts it when missing); ``"replace"`` deletes it and starts anew.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from objectives import curve

import hyperwidget as hw
from hyperwidget.errors import SweepConfigError
from hyperwidget.storage import SqliteStorage
from hyperwidget.trial import TrialStatus

SPACE = {"x": hw.uniform(0, 1), "epochs": 3}


def sweep(**settings: Any) -> hw.SweepRun:
    """A small sequential sweep named ``s`` in ``s.db`` (settings override these)."""
    base: dict[str, Any] = {
        "metric": "acc",
        "max_total_runs": 3,
        "backend": "sequential",
        "storage": "s.db",
        "name": "s",
        "seed": 1,
    }
    space = settings.pop("space", SPACE)
    return hw.run_sweep(curve, space, **{**base, **settings})


def test_the_default_still_refuses_a_name_the_file_holds() -> None:
    sweep()
    with pytest.raises(SweepConfigError, match="a sweep named 's' already exists"):
        sweep()
    with pytest.raises(SweepConfigError, match="already exists"):
        sweep(if_exists="error")


def test_resume_starts_the_sweep_when_the_file_has_none() -> None:
    run = sweep(if_exists="resume")
    assert run.status == "Completed"
    assert [t.status for t in run.trials] == [TrialStatus.COMPLETED] * 3


def test_resume_keeps_finished_trials_and_runs_only_the_missing_ones() -> None:
    first = sweep()
    again = sweep(if_exists="resume")  # the script run a second time: nothing left to do
    assert [(t.id, t.params, t.ended_at) for t in again.trials] == [(t.id, t.params, t.ended_at) for t in first.trials]
    more = sweep(if_exists="resume", max_total_runs=5)
    assert len(more.trials) == 5 and more.status == "Completed"
    assert [(t.id, t.ended_at) for t in more.trials[:3]] == [(t.id, t.ended_at) for t in first.trials]
    stored = hw.load_sweep("s", "s.db")
    assert len(stored.trials) == 5 and stored.status == "Completed"


def test_resume_refuses_a_call_that_defines_another_sweep() -> None:
    sweep()
    with pytest.raises(
        SweepConfigError,
        match=r"if_exists='resume'.*differs from this call in space .*"
        r"if_exists='replace'",
    ):
        sweep(if_exists="resume", space={"x": hw.uniform(0, 2), "epochs": 3})
    with pytest.raises(
        SweepConfigError,
        match=r"differs from this call in goal \(stored 'maximize', "
        r"given 'minimize'\)",
    ):
        sweep(if_exists="resume", goal="minimize")
    with pytest.raises(SweepConfigError, match=r"differs from this call in policy"):
        sweep(if_exists="resume", policy=hw.MedianStoppingPolicy())
    assert len(hw.load_sweep("s", "s.db").trials) == 3  # nothing was run or changed


def test_replace_deletes_the_stored_sweep_and_starts_anew() -> None:
    first = sweep(max_total_runs=4)
    again = sweep(if_exists="replace", max_total_runs=2, seed=2)
    assert len(again.trials) == 2 and again.status == "Completed"
    assert again.trials[0].params != first.trials[0].params  # a new sweep: seed 2, not the stored trials
    stored = hw.load_sweep("s", "s.db")
    assert [t.params for t in stored.trials] == [t.params for t in again.trials]
    with sqlite3.connect("s.db") as db:  # no orphan rows of the deleted sweep
        assert db.execute("SELECT COUNT(*) FROM trials WHERE sweep = 's'").fetchone()[0] == 2
        values = db.execute("SELECT COUNT(*) FROM metrics WHERE sweep = 's'").fetchone()[0]
    assert values == sum(len(t.metrics["acc"]) for t in stored.trials)


def test_replace_leaves_other_sweeps_of_the_file_alone() -> None:
    sweep(name="keep")
    sweep()
    sweep(if_exists="replace")
    assert len(hw.load_sweep("keep", "s.db").trials) == 3


def test_replace_also_starts_a_missing_sweep() -> None:
    assert sweep(if_exists="replace").status == "Completed"


@pytest.mark.parametrize("value", ["Resume", "skip", True, None])
def test_an_unknown_if_exists_is_refused_before_anything_runs(value: Any) -> None:
    with pytest.raises(
        SweepConfigError,
        match=r"if_exists must be one of 'error', 'resume', 'replace', got "
        rf"if_exists={value!r}",
    ):
        sweep(if_exists=value)
    assert not Path("s.db").exists()


def test_resume_true_with_replace_is_refused() -> None:
    with pytest.raises(SweepConfigError, match=r"resume=True .* if_exists='replace'"):
        sweep(resume=True, if_exists="replace")


def test_start_sweep_takes_if_exists_too() -> None:
    sweep()
    run = hw.start_sweep(
        curve,
        SPACE,
        metric="acc",
        max_total_runs=4,
        backend="sequential",
        storage="s.db",
        name="s",
        seed=1,
        if_exists="resume",
    ).wait(60)
    assert len(run.trials) == 4


def test_delete_sweep_removes_its_rows_in_one_transaction(tmp_path: Path) -> None:
    sweep()
    store = SqliteStorage(tmp_path / "s.db")
    try:
        assert store.delete_sweep("s") is True
        assert store.delete_sweep("s") is False
        assert store.sweep_names() == []
    finally:
        store.close()
