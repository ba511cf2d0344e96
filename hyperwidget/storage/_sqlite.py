"""One SQLite file holding any number of sweeps: configuration, trials and every logged value.

Everything is plain SQL and JSON, never pickle, so opening someone's sweep file
runs no code. The file uses write-ahead logging, so other processes can read a
sweep while it runs.
"""

from __future__ import annotations

import json
import math
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
    value REAL, logged_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS metrics_by_trial ON metrics (sweep, trial_id, name, seq);
"""


def _value_out(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _value_in(value: float) -> float | None:
    return None if math.isnan(value) else value  # SQLite has no NaN: NULL stands for it


class SqliteStorage:
    """A sweep file. Writes are committed as they happen (WAL, ``synchronous=NORMAL``).

    Parameters
    ----------
    path : str or Path
        The file; created when missing. ``":memory:"`` keeps everything in memory.
    read_only : bool
        Open for reading only (another process may be writing).
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = str(path)
        if read_only:
            if not Path(self.path).exists():
                raise SweepConfigError(f"storage: no sweep file at {self.path!r}; check the path.")
            uri = f"file:{Path(self.path).resolve()}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)
        else:
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the file."""
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
            self._write("INSERT INTO sweeps VALUES (?, ?, 'Running', ?, ?, NULL)",
                        (name, json.dumps(config), now, now))
        except sqlite3.IntegrityError:
            raise SweepConfigError(
                f"name: a sweep named {name!r} already exists in {self.path!r}; pass resume=True to go on "
                "with it, or choose another name."
            ) from None

    def update_sweep(self, name: str, *, status: str | None = None, config: dict[str, Any] | None = None,
                     error: str | None = None) -> None:
        """Change a sweep's status and/or stored configuration."""
        if config is not None:
            self._write("UPDATE sweeps SET config = ?, updated_at = ? WHERE name = ?",
                        (json.dumps(config), time.time(), name))
        if status is not None:
            self._write("UPDATE sweeps SET status = ?, error = ?, updated_at = ? WHERE name = ?",
                        (status, error, time.time(), name))

    def sweep_names(self) -> list[str]:
        """Names of the sweeps in the file, oldest first."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT name FROM sweeps ORDER BY created_at")]

    def load_sweep(self, name: str) -> tuple[dict[str, Any], str, float, float, list[TrialRecord]]:
        """``(config, status, created_at, updated_at, trials)`` of sweep ``name``."""
        with self._lock:
            row = self._db.execute(
                "SELECT config, status, created_at, updated_at FROM sweeps WHERE name = ?", (name,)).fetchone()
            if row is None:
                known = [r[0] for r in self._db.execute("SELECT name FROM sweeps")]
                raise SweepConfigError(f"no sweep named {name!r} in {self.path!r}; the file holds {known}.")
            trials = list(self._read_trials(name))
        return json.loads(row[0]), row[1], row[2], row[3], trials

    def _read_trials(self, sweep: str) -> Iterator[TrialRecord]:
        series: dict[str, dict[str, list[float]]] = {}
        for trial_id, metric, value in self._db.execute(
            "SELECT trial_id, name, value FROM metrics WHERE sweep = ? ORDER BY trial_id, name, seq", (sweep,)
        ):
            series.setdefault(trial_id, {}).setdefault(metric, []).append(_value_out(value))
        for row in self._db.execute(
            "SELECT id, idx, params, status, created_at, started_at, ended_at, error, worker "
            "FROM trials WHERE sweep = ? ORDER BY idx", (sweep,)
        ):
            metrics = {k: tuple(v) for k, v in series.get(row[0], {}).items()}
            yield TrialRecord(id=row[0], index=row[1], params=json.loads(row[2]), status=TrialStatus(row[3]),
                              metrics=metrics, created_at=row[4], started_at=row[5], ended_at=row[6],
                              error=row[7], worker=row[8])

    # -- trials -------------------------------------------------------------------------------
    def save_trial(self, sweep: str, record: TrialRecord) -> None:
        """Insert or update a trial's row (its metrics are appended separately)."""
        self._write(
            "INSERT OR REPLACE INTO trials VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sweep, record.id, record.index, json.dumps(dict(record.params)), record.status.value,
             record.created_at, record.started_at, record.ended_at, record.error, record.worker),
        )

    def append_value(self, sweep: str, trial_id: str, name: str, seq: int, value: float) -> None:
        """Append value number ``seq`` (0-based) of metric ``name``."""
        self._write("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)",
                    (sweep, trial_id, name, seq, _value_in(value), time.time()))

    def clear_values(self, sweep: str, trial_id: str) -> None:
        """Forget a trial's values (it is being run again from the start)."""
        self._write("DELETE FROM metrics WHERE sweep = ? AND trial_id = ?", (sweep, trial_id))
