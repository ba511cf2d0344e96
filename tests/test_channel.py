"""The worker -> sweep TCP channel under abuse: long lines, idle connections, garbage, wrong tokens.

Everything stays on the loopback interface, bounded in count and time.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import tracemalloc
from typing import Any

import pytest
from objectives import curve

import hyperwidget as hw
from hyperwidget.executor import _backends, _channel
from hyperwidget.executor._channel import ChannelServer, SocketChannel


class RecordingHost:
    """A TrialHost that records what reaches it."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.lock = threading.Lock()

    def _record(self, *call: Any) -> None:
        with self.lock:
            self.calls.append(call)

    def trial_started(self, trial_id: str, worker: str) -> bool:
        self._record("started", trial_id)
        return True

    def trial_value(self, trial_id: str, name: str, value: float, step: int | None = None) -> str | None:
        self._record("value", trial_id, name, value)
        return None

    def trial_poll(self, trial_id: str) -> str | None:
        return None

    def trial_ended(self, trial_id: str, status: str, error: str | None, returned: dict[str, float]) -> None:
        self._record("ended", trial_id, status)

    def trial_lost(self, trial_id: str) -> None:
        self._record("lost", trial_id)


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    host = RecordingHost()
    server = ChannelServer(host)
    server.host = host  # type: ignore[attr-defined]
    yield server
    server.close()


def _connect(server: ChannelServer) -> socket.socket:
    return socket.create_connection(server.address, timeout=5)


def _closed_by_server(sock: socket.socket, timeout: float = 5.0) -> bool:
    """True when the server closed the connection (EOF or reset) within ``timeout``."""
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def _send_flood(sock: socket.socket, total: int, chunk: bytes) -> int:
    """Send up to ``total`` bytes of ``chunk`` until the server closes; returns the bytes it accepted."""
    sent = 0
    sock.settimeout(5)
    try:
        while sent < total:
            sock.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    return sent


def test_a_trial_reports_through_the_channel(server) -> None:  # type: ignore[no-untyped-def]
    channel = SocketChannel(server.address, server.token)
    assert channel.start("t1", "w") is True
    assert channel.value("t1", "acc", 0.5, step=1) is None
    channel.end("t1", "Completed", None, {})
    channel.close()
    assert server.host.calls == [("started", "t1"), ("value", "t1", "acc", 0.5), ("ended", "t1", "Completed")]


def test_a_48_mib_line_before_authentication_costs_no_memory(server) -> None:  # type: ignore[no-untyped-def]
    chunk = b"x" * (1 << 16)
    sock = _connect(server)
    tracemalloc.start()
    try:
        _send_flood(sock, 48 << 20, chunk)
        assert _closed_by_server(sock)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        sock.close()
    assert peak < 2 << 20, f"the driver grew by {peak / 2**20:.1f} MiB"
    assert server.host.calls == []


def test_a_48_mib_line_after_authentication_is_cut_at_the_limit(server) -> None:  # type: ignore[no-untyped-def]
    sock = _connect(server)
    sock.sendall(json.dumps({"op": "start", "token": server.token, "trial": "t1", "worker": "w"}).encode() + b"\n")
    assert sock.makefile("rb").readline() == b'{"run": true}\n'
    chunk = b"y" * (1 << 16)
    tracemalloc.start()
    try:
        _send_flood(sock, 48 << 20, chunk)
        assert _closed_by_server(sock)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        sock.close()
    assert peak < 2 * _channel.MAX_LINE + (2 << 20), f"the driver grew by {peak / 2**20:.1f} MiB"
    _wait_for(lambda: ("lost", "t1") in server.host.calls)


def test_200_idle_connections_cost_no_thread_and_are_dropped(server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(_channel, "AUTH_SECONDS", 1.0)
    before = threading.active_count()
    socks = [_connect(server) for _ in range(200)]
    try:
        time.sleep(0.3)
        assert threading.active_count() <= before + 1
        started = time.monotonic()
        assert all(_closed_by_server(s, timeout=5) for s in socks)
        assert time.monotonic() - started < 5
        channel = SocketChannel(server.address, server.token)  # a real trial still gets through
        assert channel.start("t2", "w") is True
        channel.close()
    finally:
        for s in socks:
            s.close()
    assert server.host.calls[0] == ("started", "t2")


@pytest.mark.parametrize(
    "line",
    [
        b"{not json\n",
        b"[1, 2, 3]\n",
        b"\xff\xfe\xfd\n",
        b"[" * 100_000 + b"\n",
        b'{"op": "value"}\n',
        b'{"op": "start", "token": 12, "trial": "t"}\n',
        b'{"op": "start", "token": null}\n',
    ],
)
def test_malformed_lines_are_dropped_without_a_traceback(server, capfd, caplog, line) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG, logger="hyperwidget")
    sock = _connect(server)
    sock.sendall(line)
    assert _closed_by_server(sock)
    sock.close()
    assert capfd.readouterr().err == ""
    assert all(r.exc_info is None and r.levelno <= logging.DEBUG for r in caplog.records if r.name == "hyperwidget")
    assert server.host.calls == []


def test_garbage_from_an_authenticated_trial_is_a_lost_trial_and_a_one_line_warning(server, capfd, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG, logger="hyperwidget")
    sock = _connect(server)
    sock.sendall(json.dumps({"op": "start", "token": server.token, "trial": "t3"}).encode() + b"\n{oops\n")
    assert _closed_by_server(sock)
    sock.close()
    _wait_for(lambda: ("lost", "t3") in server.host.calls)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].exc_info is None and "not JSON" in warnings[0].getMessage()
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("token", ["", "0" * 32, "é" * 32, "x" * 5000])
def test_wrong_tokens_are_refused(server, token) -> None:  # type: ignore[no-untyped-def]
    sock = _connect(server)
    sock.sendall(json.dumps({"op": "start", "token": token, "trial": "t4"}).encode() + b"\n")
    assert _closed_by_server(sock)
    sock.close()
    assert server.host.calls == []


def test_a_sweep_loses_no_value_while_its_channel_is_flooded(monkeypatch, capfd) -> None:  # type: ignore[no-untyped-def]
    servers: list[ChannelServer] = []

    class Recorded(ChannelServer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            servers.append(self)

    monkeypatch.setattr(_backends, "ChannelServer", Recorded)
    monkeypatch.setattr(_channel, "AUTH_SECONDS", 1.0)
    run = hw.start_sweep(
        curve,
        {"x": hw.uniform(0.1, 1.0), "epochs": 30, "delay": 0.02},
        metric="acc",
        max_total_runs=6,
        max_concurrent_runs=2,
        backend="loky",
        storage=None,
    )
    _wait_for(lambda: bool(servers))
    stop = threading.Event()
    floods = [
        threading.Thread(target=_flood, args=(servers[0].address, kind, stop), daemon=True)
        for kind in ("garbage", "idle", "token", "long")
    ]
    for thread in floods:
        thread.start()
    run.wait(timeout=120)
    stop.set()
    for thread in floods:
        thread.join(timeout=10)
    assert run.status == "Completed"
    lost = sum(30 - len(t.series("acc")) for t in run.trials)
    assert lost == 0 and [t.status.value for t in run.trials] == ["Completed"] * 6
    assert "Traceback" not in capfd.readouterr().err


def _flood(address: tuple[str, int], kind: str, stop: threading.Event) -> None:
    """Abuse the channel in one way, a connection at a time, until ``stop`` (bounded: at most 300 connections)."""
    held: list[socket.socket] = []
    for _ in range(300):
        if stop.is_set():
            break
        try:
            sock = socket.create_connection(address, timeout=2)
            if kind == "garbage":
                sock.sendall(b"{garbage\n")
            elif kind == "token":
                sock.sendall(b'{"op": "start", "token": "nope", "trial": "x_0"}\n')
            elif kind == "long":
                _send_flood(sock, 1 << 20, b"z" * (1 << 14))
            held.append(sock)
        except OSError:
            pass
        time.sleep(0.01)
    for sock in held:
        sock.close()


def _wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


class _SlowToLoad:
    """Unpickled, it sleeps: stands for an objective whose module takes long to import in a fresh worker."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (time.sleep, (1.5,))


def test_a_worker_slow_to_load_the_objective_still_runs_its_trials(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker connects to the channel only once the objective is loaded: a load longer than the time a new
    connection has to authenticate (AUTH_SECONDS, shortened here) must not leave the trials Queued forever."""
    monkeypatch.setattr(_channel, "AUTH_SECONDS", 0.5)
    settings: dict[str, Any] = {"backend": "loky", "max_concurrent_runs": 2, "storage": None, "monitor": False}
    # A pool left up by an earlier sweep gets no warm-up: the workers load the new objective in its first trials.
    hw.run_sweep(curve, {"x": hw.choice(0.0, 1.0)}, metric="acc", sampler="grid", **settings)
    slow = _SlowToLoad()

    def objective(x: float) -> dict[str, float]:
        assert slow is None  # the worker's copy: what unpickling returned (time.sleep's None)
        return {"m": x}

    run = hw.run_sweep(objective, {"x": hw.choice(1.0, 2.0)}, metric="m", sampler="grid", **settings)
    assert run.status == "Completed" and [t.status.value for t in run.trials] == ["Completed", "Completed"]
