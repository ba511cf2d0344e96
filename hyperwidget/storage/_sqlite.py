"""One SQLite file holding any number of sweeps: configuration, trials and every logged value.

Everything is plain SQL and JSON, never pickle, so opening someone's sweep file
runs no code. The file uses write-ahead logging, so other processes can read a
sweep while it runs.
"""

from __future__ import annotations

import json
import logging
import math
import os
import secrets
import sqlite3
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from hyperwidget.errors import HyperwidgetWarning, SweepBusyError, SweepConfigError, SweepFileError
from hyperwidget.storage import _read
from hyperwidget.storage._lease import Lease, Owner, this_process
from hyperwidget.trial import TrialRecord

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
CREATE TABLE IF NOT EXISTS owners (
    sweep TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, started TEXT NOT NULL,
    since REAL NOT NULL, heartbeat REAL NOT NULL, token TEXT NOT NULL);
"""


def _value_in(value: float) -> float | None:
    return None if math.isnan(value) else value  # SQLite has no NaN: NULL stands for it


_TABLES = {
    "sweeps": ("name", "config", "status", "created_at", "updated_at", "error"),
    "trials": ("sweep", "id", "idx", "params", "status", "created_at", "started_at", "ended_at", "error", "worker"),
    "metrics": ("sweep", "trial_id", "name", "seq", "value", "logged_at", "step"),
    "owners": ("sweep", "host", "pid", "started", "since", "heartbeat", "token"),
}

#: Files written before values had a ``step`` lack that column; opening one for writing adds it.
_OLDER_TABLES = {"metrics": _TABLES["metrics"][:-1]}

logger = logging.getLogger("hyperwidget")

#: Sweep statuses after which nothing more is written: the write-ahead log is then folded into the file.
_FINAL_STATUSES = frozenset({"Completed", "Canceled", "Failed"})

#: Seconds a logged value may wait in memory before it is committed: what a ``SIGKILL`` of the sweep's process
#: can lose of the values logged just before it (a trial's end, and every other write, commit them at once).
FLUSH_SECONDS = 0.2
#: Values waiting in memory that are committed at once, without waiting for :data:`FLUSH_SECONDS`.
FLUSH_VALUES = 4096
_INSERT_VALUE = "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?)"


class SqliteStorage:
    """A sweep file. Writes are committed as they happen (WAL, ``synchronous=NORMAL``), logged values in batches.

    One commit per logged value costs tens of microseconds, so values are kept in
    memory and committed together, in one transaction, at most
    :data:`FLUSH_SECONDS` after the first of them was logged (a timer thread), when
    :data:`FLUSH_VALUES` are waiting, and before any other write or read of this
    object (a trial's status change, its end, the sweep's end, :meth:`close`), so
    the file's order of events is kept: a trial's end is never committed before its
    values. A ``SIGKILL`` of the process loses at most the values of the last
    :data:`FLUSH_SECONDS`; every committed transaction survives it (WAL with
    ``synchronous=NORMAL`` loses commits only on a power loss or an operating
    system crash). Other processes see a running trial's values up to
    :data:`FLUSH_SECONDS` late.

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
        self._pending: list[tuple[Any, ...]] = []  # values logged, not yet committed (see flush)
        self._flush_wanted = threading.Event()  # set when a first value waits; one flusher thread serves it
        self._flusher: threading.Thread | None = None
        self._closed = False
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
        self._db.text_factory = _read.text_factory  # text that is not UTF-8 is reported, not raised here
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
            found = ", ".join(sorted(map(str, tables))) or "none"
            raise SweepConfigError(
                f"storage={self.path!r} is not a hyperwidget sweep file (its tables: {found}; a sweep file has "
                f"{', '.join(t for t in _TABLES if t != 'owners')}); pass the path of a sweep file, or of a new "
                "file to create one."
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
            self._flush_values()
            try:  # another process reading an old snapshot delays it: wait 1 s at most, not 30
                self._db.execute("PRAGMA busy_timeout = 1000")
                try:
                    self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    self._db.execute("PRAGMA busy_timeout = 30000")
            except sqlite3.Error:  # read-only, or closed: nothing of ours to fold in
                pass

    def close(self) -> None:
        """Commit the values still in memory, checkpoint the write-ahead log into the file, then close it."""
        self.flush()
        self.checkpoint()
        with self._lock:
            self._closed = True
            self._flush_wanted.set()  # the flusher thread wakes up and ends
            self._db.close()

    def _write(self, sql: str, args: tuple[Any, ...]) -> None:
        with self._lock:
            self._flush_values()
            self._db.execute(sql, args)

    def flush(self) -> None:
        """Commit the logged values still kept in memory, in one transaction."""
        with self._lock:
            self._flush_values()

    def _flush_values(self) -> None:
        """Commit the pending values (under ``_lock``); on an error they stay pending and the error is raised."""
        if not self._pending:
            return
        rows = self._pending
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(_INSERT_VALUE, rows)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        del rows[:]

    def _flush_loop(self) -> None:
        """The flusher thread: :data:`FLUSH_SECONDS` after a first value waits, commit what waits then."""
        while True:
            self._flush_wanted.wait()
            if self._closed:
                return
            time.sleep(FLUSH_SECONDS)
            self._flush_wanted.clear()  # values logged from now on set it again (see append_value)
            if self._closed:
                return
            self._flush_later()

    def _flush_later(self) -> None:
        """The timer's flush: an error (the file was closed, the disk is full) is logged, not raised in a thread."""
        try:
            self.flush()
        except (sqlite3.Error, OSError) as error:
            logger.warning("hyperwidget: could not store logged values in %s: %s", self.path, error)

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
            self._flush_values()  # else values logged before would be committed after the deletion
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
        """Names of the sweeps in the file, oldest first (a name that is not valid is left out, with a warning)."""
        with self._lock:
            rows = list(self._db.execute("SELECT name FROM sweeps ORDER BY created_at"))
        names = []
        for (value,) in rows:
            try:
                names.append(_read.sweep_name(self.path, value))
            except SweepFileError as error:
                warnings.warn(str(error), HyperwidgetWarning, stacklevel=2)
        return names

    def load_sweep(
        self, name: str, *, strict: bool = False
    ) -> tuple[dict[str, Any], str, float, float, list[TrialRecord]]:
        """``(config, status, created_at, updated_at, trials)`` of sweep ``name``.

        Every field is checked (see :mod:`hyperwidget.storage._read`). A malformed
        field of the sweep's own row raises :class:`SweepFileError`; a trial with a
        malformed field is left out with a ``HyperwidgetWarning`` holding that error
        (the other trials load), or, with ``strict=True`` (to resume the sweep, which
        must not overwrite what it cannot read), raises it.
        """
        with self._lock:
            self._flush_values()  # this object's own values are read back too
            row = self._db.execute(
                "SELECT config, status, created_at, updated_at FROM sweeps WHERE name = ?", (name,)
            ).fetchone()
            step = "step" if self._has_steps else "NULL"
            values = (
                []
                if row is None
                else list(
                    self._db.execute(
                        f"SELECT trial_id, name, seq, value, {step} FROM metrics WHERE sweep = ? "
                        "ORDER BY trial_id, name, seq",
                        (name,),
                    )
                )
            )
            rows = list(
                self._db.execute(
                    "SELECT id, idx, params, status, created_at, started_at, ended_at, error, worker "
                    "FROM trials WHERE sweep = ? ORDER BY idx",
                    (name,),
                )
            )
        if row is None:
            raise SweepConfigError(f"no sweep named {name!r} in {self.path!r}; the file holds {self.sweep_names()}.")
        where = _read.Where(self.path, _read.sweep_name(self.path, name))
        config = _read.config(where, row[0])
        status = _read.sweep_status(where, row[1])
        times = _read.number(where, "created_at", row[2]), _read.number(where, "updated_at", row[3])
        return config, status, times[0] or 0.0, times[1] or 0.0, self._trials(name, rows, values, strict)

    def _trials(self, sweep: str, rows: list[Any], values: list[Any], strict: bool) -> list[TrialRecord]:
        series, bad = _read.series(self.path, sweep, values)
        trials = []
        for row in rows:
            try:
                if isinstance(row[0], str) and row[0] in bad:
                    raise bad[row[0]]
                trials.append(_read.trial(self.path, sweep, row, series.get(row[0], {})))
            except SweepFileError as error:
                if strict:
                    raise
                warnings.warn(str(error), HyperwidgetWarning, stacklevel=3)
        return trials

    # -- ownership (see hyperwidget.storage._lease) ---------------------------------------------
    def acquire(self, name: str) -> Lease:
        """Take sweep ``name``'s lease, in one ``BEGIN IMMEDIATE`` transaction (atomic across processes).

        A lease held by a dead process (killed, crashed, on a machine that went
        down) is taken over. The sweep need not exist yet: a new sweep is owned
        before its row is written.

        Raises
        ------
        SweepBusyError
            When a live process holds the lease.
        """
        host, pid, started = this_process()
        token = secrets.token_hex(16)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                owner = self._owner(name)
                if owner is not None and owner.is_alive():
                    raise SweepBusyError(
                        f"sweep {name!r} is being run by {owner.describe()}; open it read-only with "
                        f"load_sweep({name!r}, storage={self.path!r}), or stop that process.",
                        sweep_name=name,
                        owner=owner,
                    )
                now = time.time()
                self._db.execute(
                    "INSERT OR REPLACE INTO owners VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (name, host, pid, started, now, now, token),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        if owner is not None:
            logger.info("hyperwidget: sweep %r was owned by %s, which is gone; taken over", name, owner.describe())
        return Lease(self, name, token)

    def owner(self, name: str) -> Owner | None:
        """The process holding sweep ``name``'s lease (alive or not), or ``None``."""
        with self._lock:
            return self._owner(name)

    def _owner(self, name: str) -> Owner | None:
        try:
            row = self._db.execute(
                "SELECT host, pid, started, since, heartbeat FROM owners WHERE sweep = ?", (name,)
            ).fetchone()
        except sqlite3.OperationalError:  # a file written before leases existed: no owners table
            return None
        if row is None:
            return None
        host, pid, started, since, heartbeat = row
        try:
            return Owner(str(host), int(pid), str(started), float(since), float(heartbeat))
        except (TypeError, ValueError):  # a damaged row owns nothing
            return None

    def heartbeat(self, name: str, token: str) -> bool:
        """Refresh the lease's heartbeat; ``False`` when this token no longer holds it."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE owners SET heartbeat = ? WHERE sweep = ? AND token = ?", (time.time(), name, token)
            )
        return cursor.rowcount > 0

    def release(self, name: str, token: str) -> None:
        """Delete the lease row, if this token still holds it."""
        self._write("DELETE FROM owners WHERE sweep = ? AND token = ?", (name, token))

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
        """Append value number ``seq`` (0-based) of metric ``name``, logged at training step ``step`` (or none).

        The value is committed with the others of its batch (see the class' notes), within
        :data:`FLUSH_SECONDS`.
        """
        with self._lock:
            self._pending.append((sweep, trial_id, name, seq, _value_in(value), time.time(), step))
            if len(self._pending) >= FLUSH_VALUES:
                self._flush_values()
            elif len(self._pending) == 1:
                self._flush_wanted.set()
                if self._flusher is None:  # one thread per storage: starting one per value costs ~100 µs
                    self._flusher = threading.Thread(
                        target=self._flush_loop, daemon=True, name="hyperwidget-storage-flush"
                    )
                    self._flusher.start()

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
