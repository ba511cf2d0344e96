"""The live sweep monitor: an anywidget that is also an engine observer.

The monitor costs the engine nothing per trial: it is told when the sweep
starts and ends (``on_sweep_start``, ``on_sweep_end``) and has no
``on_trial_update`` hook. In between, a timer thread (one per process, shared
by all monitors) reads the run's latest records (``run.trials``) once
``interval`` (0.1 s) has passed since the last message, and sends one message
holding the rows that changed since then, not the whole table: at most about
10 front-end messages per second, whatever the trial rate. A cursor skips the
leading trials that have ended and were sent, so a read costs about the number
of trials still open, not the length of the sweep. Rows are positional tuples
of raw values (``_snapshot.wire_row``), built once per batch for each changed
trial; the front end formats them. Kernel-to-front-end messages get through
while a cell is busy, so the table is live during a blocking cell too. When
the sweep ends, the last changed rows are sent and the synced traits
``summary`` and ``sweep`` get their final values. The rows are not a synced
trait: encoding the whole table once more at the end would cost more than the
sweep itself for fast trials; a view that starts later asks for them
(``snapshot_request``), and ``live.py`` keeps the final table in the notebook
as static HTML. Records of a run without ``trials`` can be given by hand with
:meth:`SweepMonitor.push`.

Front-end messages: ``stop_sweep`` calls ``run.cancel()``, ``stop_trial``
calls ``run.stop_trial(id)``, and ``snapshot_request`` (sent by each new view)
makes the next message carry every row. While a cell runs they reach the
kernel only on a subshell thread (ipykernel 7) or when the waiting cell polls
the kernel's queue (ipykernel 6): ``live.run_with_monitor`` arranges that
(see ``_kernel.py``).
"""

from __future__ import annotations

import itertools
import logging
import operator
import threading
import time
import weakref
from typing import Any

import anywidget
import traitlets

from hyperwidget.notebook import _snapshot
from hyperwidget.notebook._assets import css_source, esm_source
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

logger = logging.getLogger(__name__)
_RECORD_ID = operator.attrgetter("id")
_RECORD_PARAMS = operator.attrgetter("params")
_STATUS_VALUE = operator.attrgetter("status._value_")
_OPEN_STATES = (TrialStatus.QUEUED.value, TrialStatus.RUNNING.value)

#: Seconds between two messages to the front end (10 per second at most).
DEFAULT_INTERVAL = 0.1
#: Least seconds between two reads of ``run.trials`` when following a run that
#: was started without this monitor as an observer (``RunDetails``): such a run
#: may be read from storage.
POLL_INTERVAL = 0.5


#: What text-only viewers of a saved notebook see instead of the live view.
PLAIN_TEXT = "hyperwidget live monitor (needs a widget front end; the final table follows it when the sweep ends)"


class SweepMonitor(anywidget.AnyWidget):
    """Live table of a sweep's child runs, with progress, best configuration,
    learning curves and stop buttons.

    Parameters
    ----------
    interval : float
        Least seconds between two front-end messages (default 0.1).
    page_size : int
        Rows per table page in the front end (default 50).

    Examples
    --------
    >>> monitor = SweepMonitor()                          # doctest: +SKIP
    >>> display(monitor)                                  # doctest: +SKIP
    >>> run = start_sweep(objective, space, observers=[monitor])  # doctest: +SKIP
    """

    _esm = esm_source()
    _css = css_source()

    summary = traitlets.Dict(help="Counts, best trial, time and budget.").tag(sync=True)
    sweep = traitlets.Dict(help="Name, metric, goal and hyperparameter names.").tag(sync=True)
    page_size = traitlets.Int(50, help="Rows per page in the table.").tag(sync=True)

    def __init__(self, *, interval: float = DEFAULT_INTERVAL, **kwargs: Any) -> None:
        if not (isinstance(interval, (int, float)) and interval > 0):
            raise ValueError(
                f"SweepMonitor(interval=...): must be a positive number of seconds, got {interval!r}; "
                "use e.g. interval=0.1 for at most 10 messages per second."
            )
        super().__init__(**kwargs)
        self.interval = float(interval)
        # Guards everything below except ``_log``, and keeps messages in order.
        self._lock = threading.RLock()
        self._ended = threading.Event()
        self._run: Any = None
        self._goal = Goal.MAXIMIZE
        self._metric = "metric"
        self._prefix = ""
        #: Records given by hand (``push``) since the last batch, oldest first.
        #: Callers only append (atomic, no lock); the flusher removes the head it has read.
        self._log: list[TrialRecord] = []
        self._open_from = 0  # run.trials[:_open_from] have ended and their final rows are built
        self._pull_every = 0.0  # least seconds between two reads of run.trials (0: at every batch)
        self._next_pull = 0.0  # time.monotonic() of the next read of run.trials
        self._records: dict[str, TrialRecord] = {}  # the record each row was built from
        self._rows: dict[str, tuple[Any, ...]] = {}  # wire rows (_snapshot.WIRE_COLUMNS)
        self._unsent: list[tuple[Any, ...]] = []  # rows built since the last message
        self._tally = _snapshot.Tally(self._goal)
        self._param_names: dict[str, None] = {}
        self._full_requested = False
        self._status = "Running"
        self._started_at: float | None = None
        self._ended_at: float | None = None
        self._budget: tuple[int | None, float | None] = (None, None)
        self._live = False  # between on_sweep_start and on_sweep_end
        self._next_flush = 0.0  # time.monotonic() after which the next message may leave
        #: Unix times of the messages sent (for tests and the benchmark).
        self.message_times: list[float] = []
        self.on_msg(self._on_front_msg)

    def __repr__(self) -> str:
        return f"SweepMonitor({self.sweep.get('name', 'sweep')!r}, {len(self._rows)} trials, {self._status})"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view, with a plain-text stand-in that stays true once the notebook is saved.

        The text is captured when the monitor is displayed, before the sweep
        runs, so it says what the view is rather than a state that goes stale.
        """
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if isinstance(data, dict):
            data["text/plain"] = PLAIN_TEXT
        return bundle

    # ----------------------------------------------------------- observer API
    def on_sweep_start(self, run: Any) -> None:
        """Engine hook: remember the run, send the first (full) message and
        register with the flush timer.

        The first message leaves from here, not from the timer thread: waking
        that thread at every sweep start would hand it the GIL, and on a busy
        machine the engine thread then waits for the scheduler to run it.
        """
        try:
            with self._lock:
                self._attach(run)
                self._live = True
                self._flush()
            _TIMER.add(self)
        except Exception:  # a monitor bug must never break a sweep
            logger.exception("hyperwidget monitor: on_sweep_start failed")

    def push(self, record: TrialRecord) -> None:
        """Note the newest record of a trial by hand; cheap and thread-safe.

        Not needed for sweeps of this package: the monitor reads
        ``run.trials`` itself. This serves runs without a ``trials`` list and
        tests. It only appends to a list; the timer thread sends the change
        within ``interval`` + ``_FlushTimer.TICK``; something that is not a
        record is logged and skipped there.
        """
        self._log.append(record)

    def on_sweep_end(self, run: Any) -> None:
        """Engine hook: send the last changes and the final summary."""
        try:
            with self._lock:
                if self._run is None:
                    self._attach(run)
                self._run = run
                self._refresh_rows(force=True)
                status = str(getattr(run, "status", "") or "Completed")
                self._status = "Completed" if status == "Running" else status
                self._ended_at = _snapshot.time_of(getattr(run, "ended_at", None)) or time.time()
                self._live = False
            _TIMER.discard(self)
            self._publish_final()
        except Exception:
            logger.exception("hyperwidget monitor: on_sweep_end failed")
        finally:
            self._ended.set()

    # ------------------------------------------------------------- public API
    @property
    def run(self) -> Any:
        """The sweep run being shown (None before ``on_sweep_start``)."""
        return self._run

    @property
    def ended(self) -> bool:
        """True once ``on_sweep_end`` has published the final table."""
        return self._ended.is_set()

    def wait_ended(self, timeout: float | None = None) -> bool:
        """Block until the sweep has ended; False on timeout."""
        return self._ended.wait(timeout)

    def current_rows(self) -> list[dict[str, Any]]:
        """All rows as dicts, in trial order, including changes not yet sent."""
        with self._lock:
            self._refresh_rows()
            wires = sorted(self._rows.values(), key=lambda r: r[_snapshot.INDEX])
            names = list(self._param_names)
        return [_snapshot.row_from_wire(w, names, self._prefix) for w in wires]

    def current_summary(self) -> dict[str, Any]:
        """Counts, best trial, time and budget of the current rows."""
        with self._lock:
            self._refresh_rows()
            return self._summary()

    def static_html(self) -> str:
        """The final table as static, escaped HTML (see ``_snapshot.html_table``):
        every row of a sweep of at most 60 trials, else the 25 best."""
        return self.static_bundle()["text/html"]

    def static_text(self) -> str:
        """The final table as plain text, with a progress line on top (the
        rows of :meth:`static_html`)."""
        return self.static_bundle()["text/plain"]

    def static_bundle(self) -> dict[str, str]:
        """The final table as ``{"text/html": ..., "text/plain": ...}``, for
        ``IPython.display.display(bundle, raw=True)``."""
        rows, total = self._static_rows()
        summary, info = self.current_summary(), self._sweep_info()
        return {
            "text/html": _snapshot.html_table(rows, summary, info, total),
            "text/plain": _snapshot.progress_line(summary, info) + "\n" + _snapshot.text_table(rows, info, total),
        }

    def _static_rows(self) -> tuple[list[dict[str, Any]], int]:
        """The rows of the static table (``_snapshot.static_selection``) and the number of rows in all."""
        with self._lock:
            self._refresh_rows()
            wires = _snapshot.static_selection(self._rows.values(), self._goal)
            names, total = list(self._param_names), len(self._rows)
        return [_snapshot.row_from_wire(w, names, self._prefix) for w in wires], total

    def follow(self, run: Any) -> SweepMonitor:
        """Show an existing run (running or finished) that was not started with
        this monitor as an observer: read its trials at most every 0.5 s until
        it ends. Returns ``self``."""
        self._pull_every = POLL_INTERVAL
        self.on_sweep_start(run)
        if _snapshot.run_is_running(run):
            threading.Thread(target=self._wait_run, args=(run,), name="hyperwidget-follow", daemon=True).start()
        else:
            self.on_sweep_end(run)
        return self

    # -------------------------------------------------------------- internals
    def _attach(self, run: Any) -> None:
        self._run = run
        self._goal = Goal.parse(getattr(run, "goal", Goal.MAXIMIZE))
        self._metric = str(getattr(run, "metric", "") or "metric")
        self._prefix = f"{getattr(run, 'name', '') or ''}_" if getattr(run, "name", "") else ""
        self._started_at = _snapshot.time_of(getattr(run, "started_at", None)) or time.time()
        self._budget = _snapshot.budget_of(run)
        self._status = "Running"
        self._full_requested = True
        self._open_from = 0
        self._next_pull = 0.0
        self._tally = _snapshot.Tally(self._goal)
        for row in self._rows.values():
            self._tally.replace(None, row)

    def _wait_run(self, run: Any) -> None:
        while _snapshot.run_is_running(run):
            time.sleep(POLL_INTERVAL)
        self.on_sweep_end(run)

    def _sweep_info(self) -> dict[str, Any]:
        info = _snapshot.sweep_info(self._run)
        info.update(metric=self._metric, goal=self._goal.value, param_names=list(self._param_names))
        return info

    def _summary(self) -> dict[str, Any]:
        """The summary of the current rows (under ``_lock``, rows refreshed)."""
        total, seconds = self._budget
        return _snapshot.summarize(
            self._rows.values(),
            goal=self._goal,
            id_prefix=self._prefix,
            status=self._status,
            started_at=self._started_at,
            ended_at=self._ended_at,
            max_total_runs=total,
            max_duration=seconds,
            tally=self._tally,
        )

    def _take_changes(self, force: bool = False) -> list[TrialRecord]:
        """The newest record of each trial that changed since its row was
        built: records pushed by hand, then those read from ``run.trials``."""
        pushed = self._take_pushed()
        pulled = self._pull_trials(force)
        if pushed and pulled:  # later records of a trial replace earlier ones
            return list(dict(zip(map(_RECORD_ID, pushed + pulled), pushed + pulled)).values())
        return pushed or pulled

    def _take_pushed(self) -> list[TrialRecord]:
        """The newest pushed record of each trial, removing them from the log.

        Reads the first ``n`` entries, then deletes exactly those: appends
        made meanwhile stay for the next batch (no lock needed).
        """
        log = self._log
        n = len(log)
        if not n:
            return []
        batch = log[:n]
        del log[:n]
        try:  # all in C: later records of a trial replace earlier ones
            return list(dict(zip(map(_RECORD_ID, batch), batch)).values())
        except Exception:  # something that is not a record was pushed
            latest: dict[str, TrialRecord] = {}
            for record in batch:
                try:
                    latest[record.id] = record
                except Exception:
                    logger.exception("hyperwidget monitor: push failed for %r", record)
            return list(latest.values())

    def _pull_trials(self, force: bool) -> list[TrialRecord]:
        """Records of ``run.trials`` that are not the ones their rows were
        built from, from the first trial still open on (a trial's record does
        not change once it has ended); the cursor then moves past the trials
        that have ended. ``force`` reads even before ``_pull_every`` has passed."""
        if self._run is None or not force and time.monotonic() < self._next_pull:
            return []
        self._next_pull = time.monotonic() + self._pull_every
        try:
            trials = getattr(self._run, "trials", None)
            if not trials:
                return []
            window = trials[self._open_from:]
            # all C-level: the records whose id maps to another record (or none) in _records
            built = map(self._records.get, map(_RECORD_ID, window))
            changed = list(itertools.compress(window, map(operator.is_not, built, window)))
            states = list(map(_STATUS_VALUE, window))
            self._open_from += min((states.index(s) for s in _OPEN_STATES if s in states), default=len(states))
            return changed
        except Exception:  # a run object without proper records
            logger.exception("hyperwidget monitor: reading run.trials failed")
            return []

    def _refresh_rows(self, force: bool = False) -> None:
        """Build the wire rows of the trials that changed (under ``_lock``)."""
        records = self._take_changes(force)
        if not records:
            return
        names = self._param_names
        names.update(dict.fromkeys(itertools.chain.from_iterable(map(_RECORD_PARAMS, records))))
        ids = list(map(_RECORD_ID, records))
        rows = self._rows
        old = list(map(rows.get, ids))
        new = _snapshot.wire_rows(records, self._metric, self._goal, list(names), self._prefix, rows)
        rows.update(zip(ids, new))
        self._records.update(zip(ids, records))
        self._tally.replace_many(old, new)
        self._unsent.extend(new)

    def _flush(self) -> None:
        """Send one ``update`` message: changed rows (or all rows) + summary.

        Messages leave in order (one lock), so a later message always holds
        newer rows: the front end simply replaces rows by id.
        """
        with self._lock:
            self._refresh_rows()
            full = self._full_requested
            self._full_requested = False
            rows = list(self._rows.values()) if full else self._unsent
            self._unsent = []
            message = {
                "type": "update",
                "full": full,
                "id_prefix": self._prefix,
                "statuses": _snapshot.STATUSES,
                "rows": rows,
                "summary": self._summary(),
                "sweep": self._sweep_info(),
            }
            self._send_message(message)

    def _send_message(self, message: dict[str, Any]) -> None:
        self.message_times.append(time.time())
        self.send(message)
        self._next_flush = time.monotonic() + self.interval

    def _try_flush(self) -> None:
        """Flush if due, there is news and nobody else is flushing (never blocks)."""
        if time.monotonic() < self._next_flush or not self._lock.acquire(blocking=False):
            return
        try:
            self._refresh_rows()
            if self._has_news():
                self._flush()
        except Exception:
            logger.exception("hyperwidget monitor: sending an update failed")
        finally:
            self._lock.release()

    def _publish_final(self) -> None:
        """Send the last changed rows, then the final summary as traits."""
        with self._lock:
            if self._has_news():
                self._flush()
            info, summary = self._sweep_info(), self._summary()
            with self.hold_sync():
                self.sweep = info
                self.summary = summary
            self.message_times.append(time.time())

    def _has_news(self) -> bool:
        return bool(self._log) or bool(self._unsent) or self._full_requested

    def _on_front_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Handle ``stop_sweep``, ``stop_trial`` and ``snapshot_request``."""
        try:
            kind = content.get("type") if isinstance(content, dict) else None
            if kind == "snapshot_request":
                self._on_snapshot_request()
            elif kind == "stop_sweep" and self._run is not None:
                self._run.cancel()
            elif kind == "stop_trial" and self._run is not None:
                self._run.stop_trial(str(content.get("id")), reason="stopped from the monitor")
        except Exception:
            logger.exception("hyperwidget monitor: handling %r failed", content)

    def _on_snapshot_request(self) -> None:
        with self._lock:
            self._full_requested = True
            live = self._live
        if not live:  # else the timer sends it within one tick
            self._flush()


class _FlushTimer:
    """One daemon thread for every monitor of the process: it lets live
    monitors send what changed (``_try_flush`` keeps each monitor's own
    ``interval``), waking when the next monitor is due or every ``TICK`` while
    one has nothing to send, and every ``IDLE_TICK`` without live monitors.
    Shared and started once, so a sweep pays no thread start and join, which
    cost milliseconds of wall time on a busy machine."""

    TICK = 0.05
    IDLE_TICK = 0.25

    def __init__(self) -> None:
        self._monitors: weakref.WeakSet[SweepMonitor] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, monitor: SweepMonitor) -> None:
        """Register a live monitor. The thread is not woken: it picks the
        monitor up within ``IDLE_TICK`` (a wake-up costs the engine a GIL
        hand-off; sweeps shorter than that need no timer at all)."""
        with self._lock:
            self._monitors.add(monitor)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="hyperwidget-monitor", daemon=True)
                self._thread.start()

    def discard(self, monitor: SweepMonitor) -> None:
        with self._lock:
            self._monitors.discard(monitor)

    def _timeout(self, monitors: list[SweepMonitor]) -> float:
        """Seconds to sleep: until the next monitor is due, else one tick."""
        if not monitors:
            return self.IDLE_TICK
        wait = min(m._next_flush for m in monitors) - time.monotonic()
        return wait + 0.002 if wait > 0 else self.TICK  # a wait may end a hair early

    def _run(self) -> None:
        while True:
            with self._lock:
                monitors = list(self._monitors)
            time.sleep(self._timeout(monitors))
            with self._lock:
                monitors = list(self._monitors)
            for monitor in monitors:
                monitor._try_flush()


_TIMER = _FlushTimer()


class RunDetails:
    """Show the monitor for an existing sweep run, like Azure's
    ``RunDetails(hyperdrive_run).show()``.

    Parameters
    ----------
    run : SweepRun
        A running or finished sweep (``start_sweep``, ``run_sweep`` or
        ``load_sweep``).
    """

    def __init__(self, run: Any) -> None:
        if not hasattr(run, "trials"):
            raise TypeError(
                f"RunDetails(run): expected a sweep run with a .trials list (from start_sweep, run_sweep or "
                f"load_sweep), got {type(run).__name__}."
            )
        self.run = run

    def show(self) -> None:
        """Display the live monitor (or a text table outside a widget front end).

        Returns None, like Azure's, so that ``RunDetails(run).show()`` as the
        last line of a cell does not display the monitor twice; use
        ``hyperwidget.notebook.show_run(run)`` to get the monitor object.
        """
        from hyperwidget.notebook.live import show_run

        show_run(self.run)


