"""Trials on a Dask cluster: their channel through the scheduler.

No listener of ours is opened for Dask: workers may be on other machines, and
a listener on every interface with a token sent in clear is what a cluster's
own communication avoids. Values and a trial's start and end go up through one
``distributed.Queue``; the sweep's answer to a start and the trial's stop go
down through one ``distributed.Variable`` per trial attempt, which a watchdog
thread in the worker reads a few times a second. A stop therefore reaches a
trial even when it does not log, and an *interrupt* raises
:class:`~hyperwidget.errors.TrialInterrupted` in the trial's thread
(:mod:`~hyperwidget.executor._interrupt`), which ends Python code at its next
bytecode.

Code stuck in C (``time.sleep``, a long native call) cannot be interrupted in a
thread. The sweep does not wait for it: the runner (:mod:`~hyperwidget.executor._dask_runner`) records the trial's
end (``TimedOut``/``Canceled``) on time, cancels the task's future and goes on,
while the task may run on in its worker thread until the call returns. Tasks
not yet started are simply cancelled.

A worker that dies is noticed through the scheduler: its trials are reported
lost (``Crashed``); a copy of the task that Dask reschedules on another worker
is then told not to run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hyperwidget.errors import TrialInterrupted
from hyperwidget.executor import _interrupt

if TYPE_CHECKING:
    from hyperwidget.executor._channel import TrialHost

logger = logging.getLogger("hyperwidget")

#: Seconds between a worker's reads of its trial's stop, and between the sweep's pushes of stops.
WATCH_SECONDS = 0.25
#: Seconds between the sweep's checks that the workers running its trials are alive.
LIVENESS_SECONDS = 0.5
#: Seconds a trial waits for the sweep's answer to its start.
START_SECONDS = 60.0


@dataclasses.dataclass
class _Remote:
    """A started trial, as the sweep side sees it."""

    worker: str  # the Dask worker's address
    variable: Any  # distributed.Variable: the sweep's answer and stop for this attempt
    sent: tuple[str | None, bool] = (None, False)  # the (stop, interrupt) last written to ``variable``


class DaskChannelServer:
    """The sweep side of the Dask channel: reads the trials' queue, writes their stops.

    Parameters
    ----------
    host : TrialHost
        The sweep engine.
    client : distributed.Client
        The sweep's client; the channel's queue and variables live on its scheduler.
    """

    address = None
    token = None

    def __init__(self, host: TrialHost, client: Any) -> None:
        from distributed import Queue

        self._host, self._client = host, client
        self.dask_channel = f"hyperwidget-{secrets.token_hex(12)}"
        self._queue = Queue(self.dask_channel, client=client)
        self._remotes: dict[str, _Remote] = {}
        self._interrupts: set[str] = set()
        self._interrupt_all = False
        self._ended: set[str] = set()
        #: Called with a trial lost with its worker (the runner lets its task go).
        self.on_lost: Callable[[str], None] | None = None
        # Two locks, never held together with the engine's in the other order: ``_lock`` guards the trials'
        # table (the reader and the ticker hold it while calling the engine); ``_flags`` guards the sets the
        # engine writes through interrupt() while it holds its own lock.
        self._lock = threading.RLock()
        self._flags = threading.Lock()
        self._closing = threading.Event()
        self._checked = 0.0
        for target in (self._read, self._tick):
            threading.Thread(target=target, name=f"hyperwidget-dask-channel{target.__name__}", daemon=True).start()

    def interrupt(self, trial_id: str) -> None:
        """Ask the trial's worker to raise ``TrialInterrupted`` in the trial's thread."""
        with self._flags:
            self._interrupts.add(trial_id)

    def has_ended(self, trial_id: str) -> bool:
        """True once the trial's ``end`` (after all its values) was recorded."""
        with self._flags:
            return trial_id in self._ended

    def close(self) -> None:
        """Stop reading (the loops end within a fraction of a second); interrupt the trials still running."""
        with self._flags:
            self._interrupt_all = True
        self._closing.set()
        with contextlib.suppress(Exception):
            self._queue.put(("closed", ""))  # wakes the reader

    # -- the loops ------------------------------------------------------------------------------
    def _read(self) -> None:
        """Record what the trials send, in order; a blocking read, woken at close by a message of our own."""
        while not self._closing.is_set():
            try:
                messages = [self._queue.get()]
                messages += self._queue.get(batch=True)
            except Exception as error:  # the client or scheduler went away; logged, never on stderr
                logger.debug("hyperwidget dask channel: %s: %s", type(error).__name__, error)
                if self._client.status in ("closing", "closed"):
                    return
                self._closing.wait(WATCH_SECONDS)
                continue
            for message in messages:
                self._handle(message)

    def _tick(self) -> None:
        """Push stops and interrupts to the trials, and notice dead workers, a few times a second."""
        while not self._closing.wait(WATCH_SECONDS):
            try:
                with self._lock:
                    self._push_stops()
                    self._check_workers()
            except Exception as error:
                logger.debug("hyperwidget dask channel: %s: %s", type(error).__name__, error)
        with self._lock:
            self._forget_all()

    def _handle(self, message: Any) -> None:
        with self._lock:
            self._handle_locked(message)

    def _handle_locked(self, message: Any) -> None:
        try:
            op, trial_id, *rest = message
            if op == "closed":
                return
            if op == "start":
                self._start(trial_id, *rest)
            elif op == "values":
                stops = [self._host.trial_value(trial_id, name, value, step) for name, value, step in rest[0]]
                if any(stops):
                    self._push(trial_id)
            elif op == "end":
                status, error, returned = rest
                self._host.trial_ended(trial_id, status, error, returned or {})
                self._forget(trial_id)
                with self._flags:
                    self._ended.add(trial_id)
            else:
                raise ValueError(f"unknown operation {op!r}")
        except Exception as error:  # a message the sweep cannot record: logged, the loop goes on
            logger.warning("hyperwidget dask channel: dropped a message (%s: %s)", type(error).__name__, error)

    def _start(self, trial_id: str, worker_label: str, address: str, reply: str) -> None:
        from distributed import Variable

        previous = self._remotes.get(trial_id)
        if previous is not None and previous.worker != address:  # Dask reran the task: its first worker died
            self._forget(trial_id)
            self._host.trial_lost(trial_id)
        variable = Variable(reply, client=self._client)
        run = self._host.trial_started(trial_id, worker_label)
        if run:
            self._remotes[trial_id] = _Remote(address, variable)
        variable.set({"run": run, "stop": None, "interrupt": False})  # a refused trial deletes it

    def _push(self, trial_id: str) -> None:
        """Write the trial's stop (and interrupt) to its variable when it changed."""
        remote = self._remotes.get(trial_id)
        if remote is None:
            return
        with self._flags:
            interrupt = self._interrupt_all or trial_id in self._interrupts
        state = (self._host.trial_poll(trial_id), interrupt)
        if state != remote.sent:
            remote.variable.set({"run": True, "stop": state[0], "interrupt": state[1]})
            remote.sent = state

    def _push_stops(self) -> None:
        for trial_id in list(self._remotes):
            self._push(trial_id)

    def _check_workers(self) -> None:
        """Report the trials of workers the scheduler no longer knows as lost (their worker died)."""
        now = time.monotonic()
        if not self._remotes or now - self._checked < LIVENESS_SECONDS:
            return
        self._checked = now
        alive = set(self._client.scheduler_info()["workers"])
        for trial_id, remote in list(self._remotes.items()):
            if remote.worker not in alive:
                self._forget(trial_id)
                self._host.trial_lost(trial_id)
                if self.on_lost is not None:
                    self.on_lost(trial_id)

    def _forget(self, trial_id: str) -> None:
        remote = self._remotes.pop(trial_id, None)
        with self._flags:
            self._interrupts.discard(trial_id)
        if remote is not None:
            self._delete(remote.variable)

    def _forget_all(self) -> None:
        for trial_id in list(self._remotes):
            with contextlib.suppress(Exception):
                self._push(trial_id)  # the interrupt of close()
        self._remotes.clear()
        with contextlib.suppress(Exception):
            self._queue.close()

    @staticmethod
    def _delete(variable: Any) -> None:
        with contextlib.suppress(Exception):
            variable.delete()


class DaskChannel:
    """The trial side of the Dask channel, in a Dask worker (see the module docstring).

    ``log`` only queues the value: a thread of the trial sends the queued values
    in one message as soon as the previous one is through, then reads the
    trial's stop and interrupt. Logging is therefore as fast as in a local
    process, and a policy's stop reaches the trial one or two ``log`` calls
    after the value it answers.
    """

    def __init__(self, name: str) -> None:
        from distributed import Queue, get_client

        self._client = get_client()
        self._name = name
        self._queue = Queue(name, client=self._client)
        self._stop: str | None = None
        self._values: list[tuple[str, float, int | None]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._ended = threading.Event()
        self._thread: threading.Thread | None = None
        self._variable: Any = None

    def start(self, trial_id: str, worker: str) -> bool:
        from distributed import Variable, get_worker

        reply = f"{self._name}-{trial_id}-{secrets.token_hex(4)}"
        self._variable = Variable(reply, client=self._client)
        self._queue.put(("start", trial_id, worker, get_worker().address, reply))
        state = self._variable.get(timeout=START_SECONDS)
        if not state.get("run"):
            with contextlib.suppress(Exception):
                self._variable.delete()
        else:
            self._thread = threading.Thread(
                target=self._watch, args=(trial_id,), daemon=True, name=f"hyperwidget-watch-{trial_id}"
            )
            self._thread.start()
        return bool(state.get("run"))

    def _watch(self, trial_id: str) -> None:
        """Send queued values and read the trial's stop until it ends; an interrupt raises in the trial's thread."""
        interrupted = False
        while not self._ended.is_set():
            self._wake.wait(WATCH_SECONDS)
            self._wake.clear()
            try:
                self._flush(trial_id)
                state = self._variable.get(timeout=WATCH_SECONDS * 4)
            except Exception:  # the sweep ended and deleted the variable, or the scheduler is busy
                state = {}
            self._stop = self._stop or state.get("stop")
            if state.get("interrupt") and not interrupted:
                interrupted = _interrupt.interrupt(trial_id, TrialInterrupted)

    def _flush(self, trial_id: str) -> None:
        with self._lock:
            values, self._values = self._values, []
        if values:
            self._queue.put(("values", trial_id, values))

    def value(self, trial_id: str, name: str, value: float, step: int | None = None) -> str | None:
        with self._lock:
            self._values.append((name, value, step))
        self._wake.set()
        return self._stop

    def poll(self, trial_id: str) -> str | None:
        return self._stop

    def end(self, trial_id: str, status: str, error: str | None, returned: dict[str, float]) -> None:
        self.close()
        self._flush(trial_id)
        self._queue.put(("end", trial_id, status, error, returned))

    def close(self) -> None:
        self._ended.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
