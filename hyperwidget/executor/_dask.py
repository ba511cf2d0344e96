"""Trials on a Dask cluster: their channel through the scheduler, and a runner that can let a trial go.

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
thread. The sweep does not wait for it: :class:`DaskRunner` records the trial's
end (``TimedOut``/``Canceled``) on time, cancels the task's future and goes on,
while the task may run on in its worker thread until the call returns. Tasks
not yet started are simply cancelled.

A worker that dies is noticed through the scheduler: its trials are reported
lost (``Crashed``); a copy of the task that Dask reschedules on another worker
is then told not to run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from hyperwidget.errors import TrialInterrupted
from hyperwidget.executor import _interrupt

if TYPE_CHECKING:
    from hyperwidget.executor._channel import TrialHost
    from hyperwidget.executor._worker import TrialOutcome, TrialTask

logger = logging.getLogger("hyperwidget")

#: Seconds between a worker's reads of its trial's stop, and between the sweep's pushes of stops.
WATCH_SECONDS = 0.25
#: Seconds between the sweep's checks that the workers running its trials are alive.
LIVENESS_SECONDS = 0.5
#: Seconds the sweep waits, after a trial's task returned, for its values and end to come through the channel.
END_SECONDS = 30.0
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
        self._ended: set[str] = set()
        self._lock = threading.RLock()  # guards the trials' table, shared by the reader and the ticker
        self._closing = threading.Event()
        self._checked = 0.0
        for target in (self._read, self._tick):
            threading.Thread(target=target, name=f"hyperwidget-dask-channel{target.__name__}", daemon=True).start()

    def interrupt(self, trial_id: str) -> None:
        """Ask the trial's worker to raise ``TrialInterrupted`` in the trial's thread."""
        with self._lock:
            self._interrupts.add(trial_id)

    def has_ended(self, trial_id: str) -> bool:
        """True once the trial's ``end`` (after all its values) was recorded."""
        with self._lock:
            return trial_id in self._ended

    def close(self) -> None:
        """Stop reading (the loops end within a fraction of a second); interrupt the trials still running."""
        with self._lock:
            self._interrupts.update(self._remotes)
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
        variable.set({"run": run, "stop": None, "interrupt": False})
        if not run:
            self._delete(variable)

    def _push(self, trial_id: str) -> None:
        """Write the trial's stop (and interrupt) to its variable when it changed."""
        remote = self._remotes.get(trial_id)
        if remote is None:
            return
        with self._lock:
            interrupt = trial_id in self._interrupts
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

    def _forget(self, trial_id: str) -> None:
        remote = self._remotes.pop(trial_id, None)
        with self._lock:
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
        if state.get("run"):
            self._thread = threading.Thread(target=self._watch, args=(trial_id,), daemon=True,
                                            name=f"hyperwidget-watch-{trial_id}")
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


class DaskRunner:
    """Runs trial tasks as Dask futures, at most ``n_jobs`` at once, and lets go of abandoned ones."""

    def __init__(self, client: Any, n_jobs: int, has_ended: Callable[[str], bool]) -> None:
        self._client, self._n_jobs, self._has_ended = client, n_jobs, has_ended
        self._abandoned: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._wake = threading.Event()

    def abandon(self, trial_id: str) -> None:
        """Stop waiting for ``trial_id``: its task is cancelled (it may run on in its worker thread)."""
        self._abandoned.put(trial_id)
        self._wake.set()

    def run(self, next_task: Callable[[], TrialTask | None],
            execute: Callable[[TrialTask], TrialOutcome]) -> Iterator[TrialOutcome]:
        """Yield each trial's outcome in completion order until ``next_task`` returns ``None``."""
        from hyperwidget.executor._worker import TrialOutcome

        futures: dict[str, Any] = {}
        finishing: dict[str, tuple[TrialOutcome, float]] = {}  # done, its values maybe not all recorded yet
        exhausted = False
        try:
            while True:
                while not exhausted and len(futures) + len(finishing) < self._n_jobs:
                    task = next_task()
                    if task is None:
                        exhausted = True
                    else:
                        futures[task.trial_id] = self._submit(execute, task)
                if not futures and not finishing:
                    return
                self._wake.wait(0.02 if finishing else 0.5)
                self._wake.clear()
                while not self._abandoned.empty():
                    trial_id = self._abandoned.get()
                    if (future := futures.pop(trial_id, None)) is not None:
                        future.cancel()
                        yield TrialOutcome(trial_id, "Canceled", skipped=True)
                for trial_id, future in list(futures.items()):
                    if future.done():
                        del futures[trial_id]
                        finishing[trial_id] = (_outcome(trial_id, future), time.monotonic() + END_SECONDS)
                yield from self._finished(finishing)
        finally:
            for future in futures.values():
                future.cancel()

    def _finished(self, finishing: dict[str, tuple[TrialOutcome, float]]) -> Iterator[TrialOutcome]:
        """The outcomes whose trial's end came through the channel (values and end travel apart from results)."""
        now = time.monotonic()
        for trial_id, (outcome, deadline) in list(finishing.items()):
            if outcome.skipped or outcome.status == "Crashed" or self._has_ended(trial_id) or now > deadline:
                del finishing[trial_id]
                yield outcome

    def _submit(self, execute: Callable[[TrialTask], TrialOutcome], task: TrialTask) -> Any:
        key = f"hyperwidget-{task.trial_id}-{secrets.token_hex(4)}"
        future = self._client.submit(execute, task, pure=False, key=key)
        future.add_done_callback(lambda _: self._wake.set())
        return future


def _outcome(trial_id: str, future: Any) -> TrialOutcome:
    """A finished future's outcome; a task that raised (its worker died again and again) is ``Crashed``."""
    from hyperwidget.executor._worker import TrialOutcome

    try:
        return future.result()  # type: ignore[no-any-return]
    except (Exception, asyncio.CancelledError) as error:
        return TrialOutcome(trial_id, "Crashed", f"the Dask task of this trial failed: {type(error).__name__}: "
                                                 f"{str(error)[:300]}")
