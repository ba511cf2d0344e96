"""A sweep file is data someone may send you: malformed fields are named, the rest stays readable.

Each case crafts one malformed field in a copy of a real sweep file whose tables keep
their column names but lose their constraints (as a crafted file would), then loads it.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from objectives import curve

import hyperwidget as hw
from hyperwidget import SqliteStorage, SweepConfigError, TrialRecord, TrialStatus
from hyperwidget.errors import SweepFileError
from hyperwidget.results import SweepResults
from hyperwidget.trial import Goal

_DEEP = "[" * 100_000 + "]" * 100_000


def _lax_copy(source: Path, target: Path) -> None:
    """``target``: the sweep file ``source`` with tables of the same columns and no constraints."""
    db = sqlite3.connect(target)
    db.execute("ATTACH DATABASE ? AS src", (str(source),))
    for table in ("sweeps", "trials", "metrics", "owners"):
        columns = [r[1] for r in db.execute(f"PRAGMA src.table_info({table})")]
        db.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
        db.execute(f"INSERT INTO {table} SELECT * FROM src.{table}")
    db.commit()
    db.execute("DETACH DATABASE src")
    db.close()


@pytest.fixture(scope="module")
def good_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    for name in ("good", "victim"):
        hw.run_sweep(
            curve,
            {"x": hw.uniform(0, 1), "epochs": 3},
            metric="acc",
            max_total_runs=3,
            seed=1,
            backend="sequential",
            storage=folder / "base.db",
            name=name,
        )
    return folder / "base.db"


@pytest.fixture()
def crafted(good_file: Path, tmp_path: Path):
    def craft(*statements: str) -> Path:
        target = tmp_path / "crafted.db"
        _lax_copy(good_file, target)
        db = sqlite3.connect(target)
        for statement in statements:
            db.execute(statement)
        db.commit()
        db.close()
        return target

    return craft


_TRIAL_CASES = {
    "params is a list": (
        "UPDATE trials SET params = '[1, 2]' WHERE id = 'victim_1'",
        "field 'params': must be a JSON object",
    ),
    "params is invalid UTF-8": (
        "UPDATE trials SET params = CAST(X'7b22ff22' AS TEXT) WHERE id = 'victim_1'",
        "field 'params': is not valid UTF-8",
    ),
    "params nested 100k deep": (
        f"UPDATE trials SET params = '{_DEEP}' WHERE id = 'victim_1'",
        "field 'params': holds JSON nested too deeply",
    ),
    "status is NULL": ("UPDATE trials SET status = NULL WHERE id = 'victim_1'", "field 'status': is NULL"),
    "unknown status": (
        "UPDATE trials SET status = 'Pwned' WHERE id = 'victim_1'",
        "field 'status': unknown status 'Pwned'",
    ),
    "idx is NULL": ("UPDATE trials SET idx = NULL WHERE id = 'victim_1'", "field 'idx': must be an integer"),
    "started_at is text": (
        "UPDATE trials SET started_at = 'yesterday' WHERE id = 'victim_1'",
        "field 'started_at': must be a finite number",
    ),
    "metric value is text": (
        "UPDATE metrics SET value = 'abc' WHERE trial_id = 'victim_1' AND seq = 1",
        r"field \"metrics\['acc'\].value\": must be a number, got 'abc'",
    ),
    "negative seq": (
        "UPDATE metrics SET seq = -5 WHERE trial_id = 'victim_1' AND seq = 0",
        r"field \"metrics\['acc'\].seq\": must be 0 .*got -5",
    ),
    "huge seq": (
        f"UPDATE metrics SET seq = {2**62} WHERE trial_id = 'victim_1' AND seq = 2",
        r"field \"metrics\['acc'\].seq\": must be 2 .*got 4611686018427387904",
    ),
    "a series stored twice": (
        "INSERT INTO metrics SELECT * FROM metrics WHERE trial_id = 'victim_1'",
        r"field \"metrics\['acc'\].seq\": must be 1 .*got 0",
    ),
    "step is text": (
        "UPDATE metrics SET step = 'x' WHERE trial_id = 'victim_1'",
        r"field \"metrics\['acc'\].step\": must be an integer or NULL",
    ),
    "metric name is NULL": (
        "UPDATE metrics SET name = NULL WHERE trial_id = 'victim_1'",
        "field 'metrics.name': is NULL",
    ),
    "trial id escapes": ("UPDATE trials SET id = '../../x' WHERE id = 'victim_1'", "field 'id': cannot name a trial"),
}


@pytest.mark.parametrize("case", list(_TRIAL_CASES))
def test_a_malformed_trial_is_named_and_left_out_while_the_rest_loads(case: str, crafted) -> None:
    statement, message = _TRIAL_CASES[case]
    path = crafted(statement)
    trial = "'../../x'" if case == "trial id escapes" else "'victim_1'"
    with pytest.warns(hw.HyperwidgetWarning, match=rf"crafted.db': sweep 'victim', trial {trial}, {message}"):
        victim = hw.load_sweep("victim", path)
    assert [t.id for t in victim.trials] == ["victim_0", "victim_2"]
    assert len(victim.to_dataframe()) == 2 and victim.get_best_run_by_primary_metric() is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(hw.load_sweep("good", path).trials) == 3  # another sweep of the file: untouched
    with pytest.raises(SweepFileError, match=rf"sweep 'victim', trial {trial}"):  # resuming needs every trial
        hw.resume_sweep("victim", curve, storage=path, backend="sequential")


_SWEEP_CASES = {
    "config is a list": (
        "UPDATE sweeps SET config = '[]' WHERE name = 'victim'",
        "field 'config': must be a JSON object",
    ),
    "config nested 100k deep": (
        f"UPDATE sweeps SET config = '{_DEEP}' WHERE name = 'victim'",
        "field 'config': holds JSON nested too deeply",
    ),
    "config is invalid UTF-8": (
        "UPDATE sweeps SET config = CAST(X'ff' AS TEXT) WHERE name = 'victim'",
        "field 'config': is not valid UTF-8",
    ),
    "config is NULL": ("UPDATE sweeps SET config = NULL WHERE name = 'victim'", "field 'config': is NULL"),
    "unknown sweep status": (
        "UPDATE sweeps SET status = 'Owned' WHERE name = 'victim'",
        "field 'status': unknown status 'Owned'",
    ),
    "metric is a number": (
        "UPDATE sweeps SET config = json_set(config, '$.metric', 7) WHERE name = 'victim'",
        "field 'config.metric': must be a metric name, got 7",
    ),
    "goal unknown": (
        "UPDATE sweeps SET config = json_set(config, '$.goal', 'up') WHERE name = 'victim'",
        "field 'config.goal': must be 'maximize' or 'minimize'",
    ),
    "constraints a dict": (
        "UPDATE sweeps SET config = json_set(config, '$.constraints', json('{}')) WHERE name = 'victim'",
        "field 'config.constraints': must be a list",
    ),
    "created_at is NULL": ("UPDATE sweeps SET created_at = NULL WHERE name = 'victim'", "field 'created_at': is NULL"),
}


@pytest.mark.parametrize("case", list(_SWEEP_CASES))
def test_a_malformed_sweep_field_is_named_and_other_sweeps_load(case: str, crafted) -> None:
    statement, message = _SWEEP_CASES[case]
    path = crafted(statement)
    with pytest.raises(SweepFileError, match=rf"crafted.db': sweep 'victim', {message}"):
        hw.load_sweep("victim", path)
    assert len(hw.load_sweep("good", path).trials) == 3
    with pytest.raises(SweepFileError, match="sweep 'victim'"):
        hw.resume_sweep("victim", curve, storage=path, backend="sequential")


def test_rows_of_a_missing_sweep_are_ignored(crafted) -> None:
    path = crafted(
        "INSERT INTO trials SELECT 'ghost', 'ghost_0', 0, params, status, created_at, started_at, "
        "ended_at, error, worker FROM trials WHERE id = 'good_0'",
        "INSERT INTO metrics VALUES ('ghost', 'ghost_0', 'acc', 0, 1.0, 0, NULL)",
    )
    assert SqliteStorage(path, read_only=True).sweep_names() == ["good", "victim"]
    assert len(hw.load_sweep("victim", path).trials) == 3


def test_a_wrong_table_schema_is_refused_with_the_file_named(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "schema.db")
    db.execute("CREATE TABLE sweeps (name, config, status, created_at, updated_at, error)")
    db.execute("CREATE TABLE trials (sweep, id, payload)")
    db.commit()
    db.close()
    with pytest.raises(SweepConfigError, match=r"schema.db' is not a hyperwidget sweep file"):
        hw.load_sweep(storage=tmp_path / "schema.db")


def test_an_undecodable_or_escaping_sweep_name_is_skipped_in_the_listing(crafted) -> None:
    path = crafted(
        "UPDATE sweeps SET name = CAST(X'ff1b' AS TEXT) WHERE name = 'good'",
        "INSERT INTO sweeps SELECT '../outside_secret', config, status, created_at + 1, updated_at, "
        "error FROM sweeps WHERE name = 'victim'",
    )
    with pytest.warns(hw.HyperwidgetWarning) as caught:
        names = SqliteStorage(path, read_only=True).sweep_names()
    assert names == ["victim"]
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2
    assert "crafted.db': sweep b'\\xff\\x1b', field 'name': is not valid UTF-8 text" in messages[0]
    assert "sweep '../outside_secret', field 'name': cannot name a sweep: it holds a path separator" in messages[1]
    assert all(m.endswith("its other sweeps and trials stay readable with load_sweep.") for m in messages)
    with pytest.raises(SweepFileError, match=r"sweep '../outside_secret', field 'name': cannot name a sweep"):
        hw.load_sweep("../outside_secret", path)


def test_a_sweep_named_to_escape_the_runs_folder_lists_and_copies_nothing_outside(tmp_path: Path) -> None:
    secret = tmp_path / "outside_secret" / "run_0"
    secret.mkdir(parents=True)
    (secret / "key.txt").write_text("secret")
    (tmp_path / "hyperwidget_runs").mkdir()
    record = TrialRecord("run_0", 0, {"x": 1}, TrialStatus.COMPLETED, metrics={"m": (1.0,)})
    crafted = SweepResults(
        "../outside_secret", "m", Goal.MAXIMIZE, [record], runs_dir=tmp_path / "hyperwidget_runs" / "../outside_secret"
    )
    child = crafted.get_children()[0]
    assert child.get_file_names() == []
    with pytest.raises(FileNotFoundError):
        child.download_file("key.txt", str(tmp_path / "copy.txt"))
    inside = tmp_path / "hyperwidget_runs" / "s" / "s_0"
    (inside / "outputs").mkdir(parents=True)
    (inside / "outputs" / "model.txt").write_text("model")
    (inside / "outputs" / "link").symlink_to(secret / "key.txt")
    honest = SweepResults("s", "m", Goal.MAXIMIZE, [record.replace(id="s_0")], runs_dir=inside.parent).get_children()[0]
    assert honest.get_file_names() == ["outputs/model.txt"]
    for name in ("../../../outside_secret/run_0/key.txt", str(secret / "key.txt"), "outputs/link"):
        with pytest.raises(FileNotFoundError, match="has no file"):
            honest.download_file(name, str(tmp_path / "copy.txt"))
    assert honest.download_file("outputs/model.txt", str(tmp_path / "m.txt")) == str(tmp_path / "m.txt")


def test_show_prints_no_terminal_escape_sequences(crafted) -> None:
    path = crafted(
        "UPDATE trials SET error = 'boom' || char(27) || '[2J' || char(27) || ']0;pwned' || char(7), "
        "params = '{\"x\": \"\\u001b[31mred\"}' WHERE id = 'victim_0'"
    )
    result = subprocess.run(
        [sys.executable, "-m", "hyperwidget", "show", str(path), "victim"], capture_output=True, text=True, check=True
    )
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b[31mred" in result.stdout
    listing = subprocess.run(
        [sys.executable, "-m", "hyperwidget", "show", str(path), "no\x1b[2Jsuch"], capture_output=True, text=True
    )
    assert listing.returncode == 2 and "\x1b" not in listing.stderr and "\\x1b" in listing.stderr


def test_if_exists_resume_names_a_config_it_cannot_compare(crafted) -> None:
    path = crafted("UPDATE sweeps SET config = json_remove(config, '$.sampler') WHERE name = 'victim'")
    with pytest.raises(SweepFileError, match=r"sweep 'victim', field 'config': lacks 'sampler'"):
        hw.run_sweep(
            curve,
            {"x": hw.uniform(0, 1), "epochs": 3},
            metric="acc",
            max_total_runs=3,
            seed=1,
            backend="sequential",
            storage=path,
            name="victim",
            if_exists="resume",
        )
