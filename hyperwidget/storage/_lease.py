"""Who runs a sweep: the owner's identity, whether it is still alive, and the heartbeat that shows it.

A running sweep holds a *lease*: one row of the sweep file's ``owners`` table with
the owner's host, pid, process start token and a heartbeat that a daemon thread
refreshes every :data:`HEARTBEAT_SECONDS`. Another process that wants to run the
same sweep reads that row and takes it over only when the owner is dead:

- on the same host, when the pid is gone or belongs to a process that started at
  another time (pid reuse): the start token is the boot id plus the start time in
  ``/proc/<pid>/stat``; where there is no ``/proc``, only ``os.kill(pid, 0)`` is asked;
- on another host, when the heartbeat is older than :data:`STALE_SECONDS`.

The row's SQL lives in :mod:`hyperwidget.storage._sqlite`; this module holds no SQL.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger("hyperwidget")

#: How often a running sweep refreshes its heartbeat.
HEARTBEAT_SECONDS = 2.0
#: A lease from another host whose heartbeat is older than this is taken over.
STALE_SECONDS = 30.0


@dataclasses.dataclass(frozen=True)
class Owner:
    """The process that holds (or held) a sweep's lease, as its row says."""

    host: str
    pid: int
    started: str
    since: float
    heartbeat: float

    def is_alive(self, now: float | None = None) -> bool:
        """Whether the owner still runs (see the module docstring for the rule)."""
        if self.host != socket.gethostname():
            return (time.time() if now is None else now) - self.heartbeat < STALE_SECONDS
        token = start_token(self.pid)
        if self.started and token is not None:
            return token == self.started
        return _pid_exists(self.pid)

    def describe(self) -> str:
        """``pid 1234 on host h since 2026-12-07 06:40:00 (last heartbeat 1.2 s ago)``."""
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
        return (
            f"pid {self.pid} on host {self.host} since {since} "
            f"(last heartbeat {max(0.0, time.time() - self.heartbeat):.1f} s ago)"
        )


def this_process() -> tuple[str, int, str]:
    """``(host, pid, start token)`` of the calling process."""
    pid = os.getpid()
    return socket.gethostname(), pid, start_token(pid) or ""


def start_token(pid: int) -> str | None:
    """``"<boot id>:<start time in clock ticks>"`` of process ``pid``, or ``None`` (gone, or no ``/proc``)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name (field 2) may hold spaces and parentheses
    return f"{_boot_id()}:{fields[19]}"  # field 22 of proc(5), counted from field 3 (state)


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _pid_exists(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    except OSError:
        return False
    return True


class _LeaseStore(Protocol):
    def heartbeat(self, sweep: str, token: str) -> bool: ...

    def release(self, sweep: str, token: str) -> None: ...


class Lease:
    """This process's ownership of one sweep: a heartbeat thread until :meth:`release`.

    It is also a sweep observer: the engine's ``on_sweep_end`` releases it, after the
    sweep's final status is stored.

    Parameters
    ----------
    store : SqliteStorage
        The sweep file holding the lease row.
    sweep : str
        The sweep's name.
    token : str
        The row's random token: only the holder of the token refreshes or deletes it.
    """

    def __init__(self, store: _LeaseStore, sweep: str, token: str) -> None:
        self.store = store
        self.sweep = sweep
        self.token = token
        #: Called (from the heartbeat thread) when another process took the lease over.
        self.on_lost: Callable[[], None] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"hyperwidget-lease-{sweep}")
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                held = self.store.heartbeat(self.sweep, self.token)
            except Exception:  # the file was closed or removed: nothing left to own
                logger.debug("hyperwidget: heartbeat of sweep %r stopped", self.sweep, exc_info=True)
                return
            if not held:
                logger.warning("hyperwidget: another process took over sweep %r; this one stops it", self.sweep)
                if self.on_lost is not None:
                    self.on_lost()
                return

    def release(self) -> None:
        """Stop the heartbeat and delete the lease row (idempotent)."""
        if self._stop.is_set():
            return
        self._stop.set()
        try:
            self.store.release(self.sweep, self.token)
        except Exception:  # a closed file: the row is stale anyway, and the next owner takes it over
            logger.debug("hyperwidget: could not release sweep %r", self.sweep, exc_info=True)

    @property
    def held(self) -> bool:
        """True until released."""
        return not self._stop.is_set()

    def on_sweep_end(self, run: Any) -> None:
        """Engine observer hook: the sweep ended, its status is stored; let go."""
        self.release()
