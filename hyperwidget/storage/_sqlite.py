"""One SQLite file holding any number of sweeps: configuration, trials and every logged value.

Everything is plain SQL and JSON, never pickle, so opening someone's sweep file
runs no code. The file uses write-ahead logging, so other processes can read a
sweep while it runs.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hyperwidget.errors import SweepConfigError
from hyperwidget.trial import TrialRecord, TrialStatus

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sweeps (
    name TEXT PRIMARY KEY, config TEXT NOT NULL, status TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, error TEXT);
CREATE TABLE IF NOT EXISTS trials (
    sweep TEXT NOT NULL, id TEXT NOT NULL, idx INTEGER NOT NULL, params TEXT NOT NULL,
    status TEXT NOT NULL, created_at REAL, started_at REAL, ended_at REAL, error TEXT, worker TEXT,
    PRIMARY KEY (sweep, id));
CREATE TABLE IF NOT EXISTS metrics (
    sweep TEXT NOT NULL, trial_id TEXT NOT NULL, name TEXT NOT NULL, seq INTEGER NOT NULL,
    value REAL, logged_at REAL NOT NULL, step INTEGER);
CREATE INDEX IF NOT EXISTS metrics_by_trial ON metrics (sweep, trial_id, name, seq);
"""


def _value_out(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _value_in(value: float) -> float | None:
    return None if math.isnan(value) else value  # SQLite has no NaN: NULL stands for it


_TABLES = {
    "sweeps": ("name", "config", "status", "created_at", "updated_at", "error"),
    "trials": ("sweep", "id", "idx", "params", "status", "created_at", "started_at", "ended_at", "error", "worker"),
    "metrics": ("sweep", "trial_id", "name", "seq", "value", "logged_at", "step"),
}

#: Files written before values had a ``step`` lack that column; opening one for writing adds it.
_OLDER_TABLES = {"metrics": _TABLES["metrics"][:-1]}

#: Sweep statuses after which nothing more is written: the write-ahead log is then folded into the file.
_FINAL_STATUSES = frozenset({"Completed", "Canceled", "Failed"})


class SqliteStorage:
    """A sweep file. Writes are committed as they happen (WAL, ``synchronous=NORMAL``).

    When a sweep is created and when it ends, and when the storage is closed, the write-ahead
    log is checkpointed into the main file (``PRAGMA wal_checkpoint(TRUNCATE)``), so the
    ``.db`` file alone holds every finished sweep and can be copied while the process
    that wrote it (a notebook kernel) is still alive.

    Parameters
    ----------
    path : str or Path
        The file; created when missing (unless ``read_only`` or ``create=False``).
        ``":memory:"`` keeps everything in memory.
    read_only : bool
        Open for reading only (another process may be writing).
    create : bool
        Create the file when it is missing; ``False`` (to resume a sweep) refuses a missing file.

    Raises
    ------
    SweepConfigError
        When the file is missing (and must exist), its directory does not exist, or it is
        not a hyperwidget sweep file (a text file, another application's SQLite database).
    """

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False, create: bool = True) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        if self.path != ":memory:":
            _check_path(self.path, must_exist=read_only or not create)
        try:
            if read_only:
                uri = f"file:{Path(self.path).resolve()}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)
            else:
                self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        except sqlite3.Error as error:
            raise SweepConfigError(
                f"storage={self.path!r}: cannot open the file ({error}); check its permissions or pass another path."
            ) from None
        try:
            self._check_tables(read_only)
            if not read_only:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(_SCHEMA)
                self._add_step_column()
            self._has_steps = "step" in self._columns("metrics")
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise SweepConfigError(
                f"storage={self.path!r} is not a hyperwidget sweep file ({error}); pass the "
                "path of a sweep file, or of a new file to create one."
            ) from None
        except SweepConfigError:
            self._db.close()
            raise

    def _check_tables(self, read_only: bool) -> None:
        """Refuse a database whose tables are not a sweep file's (a new, empty file is fine unless read-only)."""
        names = [name for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = {
            name: tuple(c for (c,) in self._db.execute("SELECT name FROM pragma_table_info(?)", (name,)))
            for name in names
        }
        if not tables and not read_only:
            return
        wrong = {
            name
            for name, columns in _TABLES.items()
            if tables.get(name, columns) not in (columns, _OLDER_TABLES.get(name))
        }
        if "sweeps" not in tables or wrong:
            found = ", ".join(sorted(tables)) or "none"
            raise SweepConfigError(
                f"storage={self.path!r} is not a hyperwidget sweep file (its tables: {found}; a sweep file has "
                f"{', '.join(_TABLES)}); pass the path of a sweep file, or of a new file to create one."
            )

    def _columns(self, table: str) -> tuple[str, ...]:
        return tuple(c for (c,) in self._db.execute("SELECT name FROM pragma_table_info(?)", (table,)))

    def _add_step_column(self) -> None:
        """Migrate a file written before values had steps: add the ``step`` column (NULL for old values)."""
        if "step" not in self._columns("metrics"):
            self._db.execute("ALTER TABLE metrics ADD COLUMN step INTEGER")

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the main file, so that the ``.db`` file alone holds everything."""
        if self.path == ":memory:":
            return
        with self._lock:
            try:  # another process reading an old snapshot delays it: wait 1 s at most, not 30
                self._db.execute("PRAGMA busy_timeout = 1000")
                try:
                    self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    self._db.execute("PRAGMA busy_timeout = 30000")
            except sqlite3.Error:  # read-only, or closed: nothing of ours to fold in
                pass

    def close(self) -> None:
        """Checkpoint the write-ahead log into the file, then close it."""
        self.checkpoint()
        with self._lock:
            self._db.close()

    def _write(self, sql: str, args: tuple[Any, ...]) -> None:
        with self._lock:
            self._db.execute(sql, args)

    # -- sweeps -------------------------------------------------------------------------------
    def create_sweep(self, name: str, config: dict[str, Any]) -> None:
        """Record a new sweep (``SweepConfigError`` if the name is taken)."""
        now = time.time()
        try:
            self._write("INSERT INTO sweeps VALUES (?, ?, 'Running', ?, ?, NULL)", (name, json.dumps(config), now, now))
        except sqlite3.IntegrityError:
            raise SweepConfigError(
                f"name: a sweep named {name!r} already exists in {self.path!r}; pass resume=True to go on "
                "with it, or choose another name."
            ) from None
        self.checkpoint()  # the file alone now shows the sweep, even before its first trial ends

    def update_sweep(
        self, name: str, *, status: str | None = None, config: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        """Change a sweep's status and/or stored configuration."""
        if config is not None:
            self._write(
                "UPDATE sweeps SET config = ?, updated_at = ? WHERE name = ?", (json.dumps(config), time.time(), name)
            )
        if status is not None:
            self._write(
                "UPDATE sweeps SET status = ?, error = ?, updated_at = ? WHERE name = ?",
                (status, error, time.time(), name),
            )
            if status in _FINAL_STATUSES:
                self.checkpoint()

    def delete_sweep(self, name: str) -> bool:
        """Delete sweep ``name``, its trials and every logged value, in one transaction.

        Returns ``False`` when the file holds no sweep of that name.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM metrics WHERE sweep = ?", (name,))
                self._db.execute("DELETE FROM trials WHERE sweep = ?", (name,))
                deleted = self._db.execute("DELETE FROM sweeps WHERE name = ?", (name,)).rowcount > 0
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return deleted

    def sweep_names(self) -> list[str]:
        """Names of the sweeps in the file, oldest first."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT name FROM sweeps ORDER BY created_at")]

    def load_sweep(self, name: str) -> tuple[dict[str, Any], str, float, float, list[TrialRecord]]:
        """``(config, status, created_at, updated_at, trials)`` of sweep ``name``."""
        with self._lock:
            row = self._db.execute(
                "SELECT config, status, created_at, updated_at FROM sweeps WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                known = [r[0] for r in self._db.execute("SELECT name FROM sweeps")]
                raise SweepConfigError(f"no sweep named {name!r} in {self.path!r}; the file holds {known}.")
            trials = list(self._read_trials(name))
        return json.loads(row[0]), row[1], row[2], row[3], trials

    def _read_trials(self, sweep: str) -> Iterator[TrialRecord]:
        series: dict[str, dict[str, list[float]]] = {}
        steps: dict[str, dict[str, list[int | None]]] = {}
        step = "step" if self._has_steps else "NULL"
        for trial_id, metric, value, at in self._db.execute(
            f"SELECT trial_id, name, value, {step} FROM metrics WHERE sweep = ? ORDER BY trial_id, name, seq",
            (sweep,),
        ):
            series.setdefault(trial_id, {}).setdefault(metric, []).append(_value_out(value))
            steps.setdefault(trial_id, {}).setdefault(metric, []).append(at)
        for row in self._db.execute(
            "SELECT id, idx, params, status, created_at, started_at, ended_at, error, worker "
            "FROM trials WHERE sweep = ? ORDER BY idx",
            (sweep,),
        ):
            metrics = {k: tuple(v) for k, v in series.get(row[0], {}).items()}
            logged = {k: tuple(v) for k, v in steps.get(row[0], {}).items() if any(s is not None for s in v)}
            yield TrialRecord(
                id=row[0],
                index=row[1],
                params=json.loads(row[2]),
                status=TrialStatus(row[3]),
                metrics=metrics,
                created_at=row[4],
                started_at=row[5],
                ended_at=row[6],
                error=row[7],
                worker=row[8],
                steps=logged,
            )

    # -- trials -------------------------------------------------------------------------------
    def save_trial(self, sweep: str, record: TrialRecord) -> None:
        """Insert or update a trial's row (its metrics are appended separately)."""
        self._write(
            "INSERT OR REPLACE INTO trials VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sweep,
                record.id,
                record.index,
                json.dumps(dict(record.params)),
                record.status.value,
                record.created_at,
                record.started_at,
                record.ended_at,
                record.error,
                record.worker,
            ),
        )

    def append_value(
        self, sweep: str, trial_id: str, name: str, seq: int, value: float, step: int | None = None
    ) -> None:
        """Append value number ``seq`` (0-based) of metric ``name``, logged at training step ``step`` (or none)."""
        self._write(
            "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?)",
            (sweep, trial_id, name, seq, _value_in(value), time.time(), step),
        )

    def clear_values(self, sweep: str, trial_id: str) -> None:
        """Forget a trial's values (it is being run again from the start)."""
        self._write("DELETE FROM metrics WHERE sweep = ? AND trial_id = ?", (sweep, trial_id))


def _check_path(path: str, *, must_exist: bool) -> None:
    """Refuse a missing file (when it must exist), a directory, or a file in a missing directory."""
    file = Path(path)
    if file.is_dir():
        raise SweepConfigError(
            f"storage={path!r} is a directory; pass a file path such as storage={str(file / 'hyperwidget.db')!r}."
        )
    if file.exists():
        return
    if must_exist:
        raise SweepConfigError(
            f"storage={path!r}: no such sweep file; check the path (a sweep is stored in the "
            "file its storage= named when it ran: hyperwidget.db in the working directory by "
            "default)."
        )
    if not file.resolve().parent.is_dir():
        parent = str(file.resolve().parent)
        raise SweepConfigError(
            f"storage={path!r}: the directory {parent!r} does not exist; create it first "
            f"(os.makedirs({parent!r})) or pass a path in an existing directory."
        )
