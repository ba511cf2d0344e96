"""The channel between trials and the sweep: live values up, stop decisions down.

A trial reports ``start``, every logged ``value`` and its ``end``; each value is
answered with a stop reason or nothing, so a policy's decision takes effect at
the trial's next ``log`` call. Trials in the sweep's own process (sequential and
thread backends) call the sweep directly; trials in other processes (loky
workers, Dask workers, on this machine or another) use a small JSON-lines TCP
server the sweep runs for its lifetime, authenticated by a random token.
"""

from __future__ import annotations

import json
import secrets
import socket
import socketserver
import threading
from typing import Any, Protocol

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


class _Handler(socketserver.StreamRequestHandler):
    """Serves one trial's connection until it ends or drops."""

    server: _Server

    def handle(self) -> None:
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        host, trial_id, ended = self.server.host, None, False
        for raw in self.rfile:
            message = json.loads(raw)
            op = message.get("op")
            if op == "start":
                if message.get("token") != self.server.token:
                    return
                trial_id = message["trial"]
                reply: dict[str, Any] = {"run": host.trial_started(trial_id, message.get("worker", "?"))}
            elif trial_id is None:
                return
            elif op == "value":
                reply = {"stop": host.trial_value(trial_id, message["name"], message["value"], message.get("step"))}
            elif op == "poll":
                reply = {"stop": host.trial_poll(trial_id)}
            elif op == "end":
                host.trial_ended(trial_id, message["status"], message.get("error"), message.get("returned") or {})
                ended, reply = True, {}
            else:
                return
            self.wfile.write((json.dumps(reply) + "\n").encode())
        if trial_id is not None and not ended:
            host.trial_lost(trial_id)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, bind: tuple[str, int], host: TrialHost, token: str) -> None:
        super().__init__(bind, _Handler)
        self.host = host
        self.token = token


class ChannelServer:
    """The sweep side: a TCP server on ``bind_host`` (any free port), until :meth:`close`."""

    def __init__(self, host: TrialHost, bind_host: str = "127.0.0.1", advertise_host: str | None = None) -> None:
        self.token = secrets.token_hex(16)
        self._server = _Server((bind_host, 0), host, self.token)
        self.address = (advertise_host or bind_host, self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="hyperwidget-channel", kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving, without waiting: ``shutdown`` blocks until the serving loop's next poll."""

        def stop() -> None:
            self._server.shutdown()
            self._server.server_close()

        threading.Thread(target=stop, name="hyperwidget-channel-close", daemon=True).start()


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
