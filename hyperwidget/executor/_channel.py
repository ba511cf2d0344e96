"""The channel between trials and the sweep: live values up, stop decisions down.

A trial reports ``start``, every logged ``value`` and its ``end``; each value is
answered with a stop reason or nothing, so a policy's decision takes effect at
the trial's next ``log`` call. Trials in the sweep's own process (sequential and
thread backends) call the sweep directly; trials in other processes (loky
workers on this machine) use a small JSON-lines TCP server on the loopback
interface that the sweep runs for its lifetime, authenticated by a random token;
trials on Dask workers use the cluster's own communication instead
(:mod:`~hyperwidget.executor._dask`).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import secrets
import selectors
import socket
import threading
import time
from typing import Any, Protocol

logger = logging.getLogger("hyperwidget")

_LOCAL_HOSTS: dict[str, TrialHost] = {}


class TrialHost(Protocol):
    """What the sweep offers to its trials (implemented by the sweep engine)."""

    def trial_started(self, trial_id: str, worker: str) -> bool:
        """Mark a trial running; False means "do not run it" (it already ended)."""

    def trial_value(self, trial_id: str, name: str, value: float, step: int | None = None) -> str | None:
        """Record a value (at training step ``step``, if given); return a stop reason or None."""

    def trial_poll(self, trial_id: str) -> str | None:
        """Return a stop reason or None, recording nothing."""

    def trial_ended(self, trial_id: str, status: str, error: str | None, returned: dict[str, float]) -> None:
        """Record a trial's end."""

    def trial_lost(self, trial_id: str) -> None:
        """The trial's connection dropped before its end: its worker probably died."""


class Channel(Protocol):
    """The trial side of the channel."""

    def start(self, trial_id: str, worker: str) -> bool: ...
    def value(self, trial_id: str, name: str, value: float, step: int | None = None) -> str | None: ...
    def poll(self, trial_id: str) -> str | None: ...
    def end(self, trial_id: str, status: str, error: str | None, returned: dict[str, float]) -> None: ...
    def close(self) -> None: ...


class LocalChannel:
    """Direct calls into a sweep running in this process."""

    def __init__(self, host: TrialHost) -> None:
        self._host = host

    def start(self, trial_id: str, worker: str) -> bool:
        return self._host.trial_started(trial_id, worker)

    def value(self, trial_id: str, name: str, value: float, step: int | None = None) -> str | None:
        return self._host.trial_value(trial_id, name, value, step)

    def poll(self, trial_id: str) -> str | None:
        return self._host.trial_poll(trial_id)

    def end(self, trial_id: str, status: str, error: str | None, returned: dict[str, float]) -> None:
        self._host.trial_ended(trial_id, status, error, returned)

    def close(self) -> None:
        pass


class SocketChannel:
    """A connection to a sweep's :class:`ChannelServer`, one per trial."""

    def __init__(self, address: tuple[str, int], token: str) -> None:
        self._sock = socket.create_connection(address, timeout=60)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._file = self._sock.makefile("rw", buffering=1, encoding="utf-8")
        self._token = token

    def _ask(self, **message: Any) -> dict[str, Any]:
        self._file.write(json.dumps(message) + "\n")
        self._file.flush()
        line = self._file.readline()
        if not line:
            return {"stop": "canceled: the sweep ended"}
        return json.loads(line)

    def start(self, trial_id: str, worker: str) -> bool:
        return bool(self._ask(op="start", token=self._token, trial=trial_id, worker=worker).get("run", False))

    def value(self, trial_id: str, name: str, value: float, step: int | None = None) -> str | None:
        if step is None:
            return self._ask(op="value", trial=trial_id, name=name, value=value).get("stop")
        return self._ask(op="value", trial=trial_id, name=name, value=value, step=step).get("stop")

    def poll(self, trial_id: str) -> str | None:
        return self._ask(op="poll", trial=trial_id).get("stop")

    def end(self, trial_id: str, status: str, error: str | None, returned: dict[str, float]) -> None:
        self._ask(op="end", trial=trial_id, status=status, error=error, returned=returned)

    def close(self) -> None:
        try:
            self._file.close()
            self._sock.close()
        except OSError:
            pass


#: The longest message line of an authenticated trial (a value, or a trial's end with its returned metrics).
MAX_LINE = 1 << 20
#: The longest first line (the ``start`` message with the token): anything longer is not one of our trials.
MAX_AUTH_LINE = 4096
#: Seconds a new connection has to authenticate before it is dropped.
AUTH_SECONDS = 5.0
#: Unauthenticated connections kept at once; a newer one drops the oldest.
MAX_PENDING = 32
_RECV = 1 << 16


class _Connection:
    """One trial's socket on the server: what it sent that is not yet a whole line, what it is owed."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.opened = time.monotonic()
        self.inbox = bytearray()
        self.outbox = bytearray()
        self.trial_id: str | None = None  # set once the connection authenticated with ``start``
        self.ended = False

    @property
    def limit(self) -> int:
        return MAX_AUTH_LINE if self.trial_id is None else MAX_LINE


class _Refused(Exception):
    """A connection broke the protocol: it is dropped (logged at ``level``, without traceback)."""

    def __init__(self, message: str, level: int = logging.DEBUG) -> None:
        super().__init__(message)
        self.level = level


class ChannelServer:
    """The sweep side: a TCP server on ``bind_host`` (any free port), until :meth:`close`.

    One thread serves every connection with a selector loop, so idle or hostile
    connections cost no thread. Before a connection authenticates (its first
    line must be ``start`` with the sweep's token, compared in constant time) it
    may send at most :data:`MAX_AUTH_LINE` bytes and must do so within
    :data:`AUTH_SECONDS`; at most :data:`MAX_PENDING` such connections are kept.
    After it, lines are bounded by :data:`MAX_LINE`. A connection that breaks the
    protocol is dropped and logged on the ``hyperwidget`` logger (debug before
    authentication, warning after), never with a traceback on stderr.
    """

    def __init__(self, host: TrialHost, bind_host: str = "127.0.0.1", advertise_host: str | None = None) -> None:
        self.token = secrets.token_hex(16)
        self._host = host
        self._listener = socket.create_server((bind_host, 0))
        self._listener.setblocking(False)
        self.address = (advertise_host or bind_host, self._listener.getsockname()[1])
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, None)
        self._pending: dict[socket.socket, _Connection] = {}  # unauthenticated, oldest first
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="hyperwidget-channel", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving, without waiting: the serving loop ends at its next tick (0.1 s)."""
        self._closing.set()

    # -- the loop -------------------------------------------------------------------------------
    def _serve(self) -> None:
        try:
            while not self._closing.is_set():
                for key, mask in self._selector.select(timeout=0.1):
                    if key.data is None:
                        self._accept()
                    else:
                        self._serve_one(key.data, mask)
                self._expire()
        finally:
            for key in list(self._selector.get_map().values()):
                key.fileobj.close()  # type: ignore[union-attr]
            self._selector.close()

    def _serve_one(self, conn: _Connection, mask: int) -> None:
        try:
            if mask & selectors.EVENT_WRITE:
                self._flush(conn)
            if mask & selectors.EVENT_READ:
                self._read(conn)
        except _Refused as refused:
            logger.log(refused.level, "hyperwidget channel: dropped a connection (%s)", refused)
            self._drop(conn)
        except OSError as error:  # reset by the peer
            logger.debug("hyperwidget channel: connection error %s", error)
            self._drop(conn)
        except Exception as error:  # the sweep failed to record a message: the trial is lost, the loop goes on
            logger.warning("hyperwidget channel: trial %s: %s: %s", conn.trial_id, type(error).__name__, error)
            logger.debug("hyperwidget channel: traceback", exc_info=True)
            self._drop(conn)

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # e.g. out of file descriptors: the connection waits in the backlog
                logger.warning("hyperwidget channel: cannot accept a connection: %s", error)
                return
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if len(self._pending) >= MAX_PENDING:
                oldest = next(iter(self._pending.values()))
                logger.debug(
                    "hyperwidget channel: %d connections waiting to authenticate; dropped the oldest",
                    len(self._pending),
                )
                self._drop(oldest)
            conn = _Connection(sock)
            self._pending[sock] = conn
            self._selector.register(sock, selectors.EVENT_READ, conn)

    def _expire(self) -> None:
        deadline = time.monotonic() - AUTH_SECONDS
        for conn in [c for c in self._pending.values() if c.opened < deadline]:
            logger.debug("hyperwidget channel: dropped a connection that did not authenticate in %g s", AUTH_SECONDS)
            self._drop(conn)

    def _drop(self, conn: _Connection) -> None:
        self._pending.pop(conn.sock, None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(conn.sock)
        conn.sock.close()
        if conn.trial_id is not None and not conn.ended:
            conn.ended = True
            self._host.trial_lost(conn.trial_id)

    # -- reading and answering ------------------------------------------------------------------
    def _read(self, conn: _Connection) -> None:
        data = conn.sock.recv(_RECV)
        if not data:
            self._drop(conn)
            return
        conn.inbox += data
        while (end := conn.inbox.find(b"\n")) >= 0:
            if end > conn.limit:
                break
            line = bytes(conn.inbox[:end])
            del conn.inbox[: end + 1]
            self._answer(conn, self._dispatch(conn, _parse(line, conn)))
        if len(conn.inbox) > conn.limit:
            level = logging.DEBUG if conn.trial_id is None else logging.WARNING
            raise _Refused(f"a line longer than {conn.limit} bytes", level)

    def _dispatch(self, conn: _Connection, message: dict[str, Any]) -> dict[str, Any]:
        op, host = message.get("op"), self._host
        if conn.trial_id is None:
            return self._authenticate(conn, message)
        try:
            if op == "value":
                return {"stop": host.trial_value(conn.trial_id, message["name"], message["value"], message.get("step"))}
            if op == "poll":
                return {"stop": host.trial_poll(conn.trial_id)}
            if op == "end":
                conn.ended = True
                host.trial_ended(conn.trial_id, message["status"], message.get("error"), message.get("returned") or {})
                return {}
        except (KeyError, TypeError, ValueError) as error:
            raise _Refused(
                f"trial {conn.trial_id}: malformed {op!r} message ({type(error).__name__}: {error})", logging.WARNING
            ) from None
        raise _Refused(f"trial {conn.trial_id}: unknown operation {op!r}", logging.WARNING)

    def _authenticate(self, conn: _Connection, message: dict[str, Any]) -> dict[str, Any]:
        token, trial_id = message.get("token"), message.get("trial")
        if message.get("op") != "start" or not isinstance(token, str) or not isinstance(trial_id, str):
            raise _Refused("the first message is not a trial's start")
        if not hmac.compare_digest(token.encode(), self.token.encode()):
            raise _Refused("wrong token")
        try:
            run = self._host.trial_started(trial_id, str(message.get("worker", "?")))
        except KeyError:
            raise _Refused(f"unknown trial {trial_id!r}", logging.WARNING) from None
        self._pending.pop(conn.sock, None)
        conn.trial_id = trial_id
        conn.ended = not run
        return {"run": run}

    def _answer(self, conn: _Connection, reply: dict[str, Any]) -> None:
        conn.outbox += (json.dumps(reply) + "\n").encode()
        self._flush(conn)

    def _flush(self, conn: _Connection) -> None:
        if conn.outbox:
            try:
                sent = conn.sock.send(conn.outbox)
            except (BlockingIOError, InterruptedError):
                sent = 0
            del conn.outbox[:sent]
        if len(conn.outbox) > MAX_LINE:
            raise _Refused(f"trial {conn.trial_id} reads no replies", logging.WARNING)
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.outbox else 0)
        if self._selector.get_key(conn.sock).events != events:
            self._selector.modify(conn.sock, events, conn)


def _parse(line: bytes, conn: _Connection) -> dict[str, Any]:
    """One message: a JSON object (``_Refused`` otherwise)."""
    level = logging.DEBUG if conn.trial_id is None else logging.WARNING
    try:
        message = json.loads(line)
    except (ValueError, RecursionError) as error:
        raise _Refused(f"not JSON ({type(error).__name__})", level) from None
    if not isinstance(message, dict):
        raise _Refused("a message that is not a JSON object", level)
    return message


def register_local_host(host: TrialHost) -> str:
    """Make ``host`` reachable by direct calls from this process; returns its key."""
    key = secrets.token_hex(8)
    _LOCAL_HOSTS[key] = host
    return key


def unregister_local_host(key: str) -> None:
    """Forget a host registered with :func:`register_local_host`."""
    _LOCAL_HOSTS.pop(key, None)


def connect(local_key: str, address: tuple[str, int] | None, token: str | None) -> Channel:
    """The trial-side channel: direct when the sweep runs in this process, else a socket."""
    host = _LOCAL_HOSTS.get(local_key)
    if host is not None:
        return LocalChannel(host)
    if address is None or token is None:
        raise RuntimeError("this trial runs outside the sweep's process, but the sweep opened no channel")
    return SocketChannel(tuple(address), token)  # type: ignore[arg-type]
