"""The live sweep monitor: an anywidget that is also an engine observer.

The engine calls ``on_sweep_start(run)`` and ``on_sweep_end(run)``; there is no
per-trial hook. In between, the monitor's own thread reads ``run.trials`` every
``interval`` (0.1 s) and sends one custom message holding the rows that changed
(``{"type": "update", "full", "rows", "summary", "sweep"}``): at most about ten
front-end messages per second, whatever the trial rate. A cursor skips the
leading trials that have ended, so a read costs about the number of trials
still open. Rows are plain dicts from :func:`_snapshot.row`, the one row
builder; a column is added in ``_snapshot.COLUMNS`` (see there).

When the sweep ends, the last changed rows are sent and the synced traits
``summary`` and ``sweep`` get their final values. The rows are not a synced
trait (a 10,000-trial table would be encoded again at every change): each new
view asks for them (``snapshot_request``), and ``live.py`` keeps the final
table in the notebook as static HTML.

Front-end messages: ``stop_sweep`` calls ``run.cancel()``, ``stop_trial`` calls
``run.stop_trial(id)``, ``snapshot_request`` makes the next message carry every
row, ``trial_request`` (a click on a row) is answered with one ``trial``
message: that trial in full (every metric with its steps, the whole error,
its output file names; :func:`_snapshot.trial_detail`), so the rows stay lean.
While a cell runs they reach the kernel only on a subshell thread (see
``_kernel.py``, arranged by ``live.run_with_monitor``).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from hyperwidget.notebook import _snapshot
from hyperwidget.trial import Goal, TrialRecord

logger = logging.getLogger(__name__)

#: Seconds between two messages to the front end (10 per second at most).
DEFAULT_INTERVAL = 0.1
#: Least seconds between two reads of ``run.trials`` of a run followed with
#: :meth:`SweepMonitor.follow` (such a run may be read from storage).
POLL_INTERVAL = 0.5
#: What text-only viewers of a saved notebook see instead of the live view.
PLAIN_TEXT = "hyperwidget live monitor (needs a widget front end; the final table follows it when the sweep ends)"


def asset(name: str) -> Path:
    """``js/<name>`` in a source checkout (editable installs too), else the
    wheel's copy ``hyperwidget/static/<name>`` (see ``pyproject.toml``)."""
    package = Path(__file__).resolve().parent.parent
    folders = [package.parent / "js", package / "static"]
    if not (package.parent / "pyproject.toml").is_file():
        folders.reverse()
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"hyperwidget's front-end file {name} is in neither {folders[0]} nor {folders[1]}; "
        "reinstall hyperwidget (the wheel copies js/*.js and js/*.css to hyperwidget/static/)."
    )


class SweepMonitor(anywidget.AnyWidget):
    """Live table of a sweep's child runs, with progress, best configuration,
    best-so-far chart, learning curves and stop buttons.

    Parameters
    ----------
    interval : float
        Least seconds between two front-end messages (default 0.1).
    page_size : int
        Rows per table page in the front end (default 50).

    Examples
    --------
    >>> monitor = SweepMonitor()  # doctest: +SKIP
    >>> display(monitor)  # doctest: +SKIP
    >>> run = start_sweep(objective, space, observers=[monitor])  # doctest: +SKIP
    """

    _esm = asset("monitor.js")
    _css = asset("monitor.css")

    summary = traitlets.Dict(help="Counts, best trial, time and budget.").tag(sync=True)
    sweep = traitlets.Dict(help="Name, metric, goal, hyperparameter names and columns.").tag(sync=True)
    page_size = traitlets.Int(50, help="Rows per page in the table.").tag(sync=True)

    def __init__(self, *, interval: float = DEFAULT_INTERVAL, **kwargs: Any) -> None:
        if not (isinstance(interval, (int, float)) and interval > 0):
            raise ValueError(
                f"SweepMonitor(interval=...): must be a positive number of seconds, got {interval!r}; "
                "use e.g. interval=0.1 for at most 10 messages per second."
            )
        super().__init__(**kwargs)
        self.interval = float(interval)
        self._lock = threading.RLock()  # guards what follows and keeps messages in order
        self._stop = threading.Event()  # set when the sweep ends: the sender thread stops
        self._ended = threading.Event()  # set once the final summary is published
        self._run: Any = None
        self._table = _snapshot.Table("metric", Goal.MAXIMIZE)
        self._pushed: list[TrialRecord] = []  # records given by hand (push), appended without the lock
        self._cursor = 0  # run.trials[:_cursor] have ended and their rows are built
        self._pull_every = 0.0
        self._next_pull = 0.0
        self._unsent: dict[str, _snapshot.Row] = {}
        self._full = False  # the next message carries every row
        self._sent_info: dict[str, Any] = {}  # the sweep description last sent
        self._status = "Running"
        self._started_at: float | None = None
        self._ended_at: float | None = None
        #: Unix times of the messages sent (for tests and the benchmark).
        self.message_times: list[float] = []
        self.on_msg(self._on_front_msg)

    def __repr__(self) -> str:
        return f"SweepMonitor({self.sweep.get('name', 'sweep')!r}, {len(self._table.rows)} trials, {self._status})"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view, with a plain-text stand-in that stays true once the notebook is saved."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if isinstance(data, dict):
            data["text/plain"] = PLAIN_TEXT
        return bundle

    # ------------------------------------------------------------ observer hooks
    def on_sweep_start(self, run: Any) -> None:
        """Engine hook: remember the run, send the first (full) message, start the sender thread."""
        try:
            with self._lock:
                self._attach(run)
                self._flush()
            threading.Thread(target=self._loop, args=(self._stop,), name="hyperwidget-monitor", daemon=True).start()
        except Exception:  # a monitor bug must never break a sweep
            logger.exception("hyperwidget monitor: on_sweep_start failed")

    def on_sweep_end(self, run: Any) -> None:
        """Engine hook: send the last changes, then the final summary as traits."""
        try:
            with self._lock:
                if self._run is None:
                    self._attach(run)
                self._run = run
                self._refresh(force=True)
                self._table.settle()
                status = str(getattr(run, "status", "") or "Completed")
                self._status = "Completed" if status == "Running" else status
                self._ended_at = _snapshot.time_of(getattr(run, "ended_at", None)) or time.time()
                self._stop.set()
                if self._unsent or self._full:
                    self._flush()
                with self.hold_sync():
                    self.sweep = self._sweep_info()
                    self.summary = self._summary()
                self.message_times.append(time.time())
        except Exception:
            logger.exception("hyperwidget monitor: on_sweep_end failed")
        finally:
            self._ended.set()

    def push(self, record: TrialRecord) -> None:
        """Note the newest record of a trial by hand (runs without ``trials``, tests); thread-safe.

        Not needed for sweeps of this package: the monitor reads ``run.trials``.
        """
        self._pushed.append(record)

    # ---------------------------------------------------------------- public API
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

    def current_rows(self) -> list[_snapshot.Row]:
        """Every row, in trial order, including changes not yet sent."""
        with self._lock:
            self._refresh()
            return self._table.sorted_rows()

    def current_summary(self) -> dict[str, Any]:
        """Counts, best trial, time and budget of the current rows."""
        with self._lock:
            self._refresh()
            return self._summary()

    def static_bundle(self) -> dict[str, str]:
        """The final table as ``{"text/html": ..., "text/plain": ...}`` (pandas'
        escaped HTML; every row of a sweep of at most 60 trials, else the 25 best),
        for ``IPython.display.display(bundle, raw=True)``."""
        with self._lock:
            self._refresh()
            return _snapshot.static_bundle(
                self._table.static_rows(), self._summary(), self._sweep_info(), len(self._table.rows)
            )

    def follow(self, run: Any) -> SweepMonitor:
        """Show an existing run (running or finished) that was not started with
        this monitor as an observer: read its trials at most every 0.5 s until it
        ends. Returns ``self``."""
        self._pull_every = POLL_INTERVAL
        if _snapshot.run_is_running(run):
            self.on_sweep_start(run)
        else:
            self.on_sweep_end(run)
        return self

    # ----------------------------------------------------------------- internals
    def _attach(self, run: Any) -> None:
        goal = Goal.parse(getattr(run, "goal", Goal.MAXIMIZE))
        metric = str(getattr(run, "metric", "") or "metric")
        self._run = run
        # a run without constraints needs no feasibility check per trial
        feasible = getattr(run, "is_feasible", None) if getattr(run, "constraints", True) else None
        self._table = _snapshot.Table(metric, goal, feasible, _snapshot.objectives_of(run))
        self._started_at = _snapshot.time_of(getattr(run, "started_at", None)) or time.time()
        self._status, self._full, self._cursor, self._next_pull = "Running", True, 0, 0.0
        self._stop = threading.Event()  # one per sweep: a sender thread of an earlier sweep keeps its own

    def _loop(self, stop: threading.Event) -> None:
        """The sender thread: every ``interval``, send what changed; end a followed run."""
        while not stop.wait(self.interval):
            try:
                with self._lock:
                    self._refresh()
                    if self._unsent or self._full:
                        self._flush()
                if self._pull_every and not _snapshot.run_is_running(self._run):
                    self.on_sweep_end(self._run)
            except Exception:
                logger.exception("hyperwidget monitor: sending an update failed")

    def _refresh(self, force: bool = False) -> None:
        """Build the rows of the trials that changed (under ``_lock``)."""
        pushed = self._pushed[:]
        del self._pushed[: len(pushed)]  # appends made meanwhile stay for the next time
        records = pushed + self._pull(force)
        valid = [r for r in records if isinstance(r, TrialRecord)]
        if len(valid) < len(records):
            logger.error(
                "hyperwidget monitor: skipped %d pushed objects that are not TrialRecords", len(records) - len(valid)
            )
        self._unsent.update((r["id"], r) for r in self._table.update(valid))

    def _pull(self, force: bool) -> list[TrialRecord]:
        """The records of ``run.trials`` from the first trial still open on, then
        move the cursor past the trials that have ended (their records are final)."""
        if self._run is None or (not force and time.monotonic() < self._next_pull):
            return []
        self._next_pull = time.monotonic() + self._pull_every
        try:
            window = list(getattr(self._run, "trials", None) or ())[self._cursor :]
        except Exception:  # a run object without proper records
            logger.exception("hyperwidget monitor: reading run.trials failed")
            return []
        ended = next((i for i, r in enumerate(window) if not r.status.is_finished), len(window))
        self._cursor += ended
        return window

    def _summary(self) -> dict[str, Any]:
        run = self._run
        notice = _snapshot.notice_of(run) if self._status == "Running" else None
        return self._table.summary(
            self._status, self._started_at, self._ended_at, _snapshot.budget_of(run), notice=notice
        )

    def _sweep_info(self) -> dict[str, Any]:
        table = self._table
        return _snapshot.sweep_info(self._run, table.metric, table.goal, table.param_names, table.objectives)

    def _flush(self) -> None:
        """Send one ``update`` message: the changed rows (or every row), the summary,
        and the sweep's description when it changed (new hyperparameter names)."""
        rows = list(self._table.rows.values()) if self._full else list(self._unsent.values())
        message = {"type": "update", "full": self._full, "rows": rows, "summary": self._summary()}
        info = self._sweep_info()
        if self._full or info != self._sent_info:
            message["sweep"] = self._sent_info = info
        self._full, self._unsent = False, {}
        self.message_times.append(time.time())
        self.send(message)

    def trial_detail(self, trial_id: str) -> dict[str, Any]:
        """The ``trial`` message of one trial (its newest record), or one with
        ``"missing": True`` when the monitor has no such trial."""
        with self._lock:
            self._refresh()
            record = self._table.records.get(trial_id)
        if record is None:
            return {"type": "trial", "id": trial_id, "missing": True}
        return _snapshot.trial_detail(record, self._table.metric, self._files_of(record))

    def _files_of(self, record: TrialRecord) -> list[str] | None:
        """The trial's output file names through the run's child-run API
        (``get_file_names``), or None when the run cannot list them."""
        run = self._run
        try:
            get_child = getattr(run, "get_child", None)
            if callable(get_child):
                child = get_child(record.id)
            else:
                children = getattr(run, "get_children", None)
                child = next((c for c in children() if getattr(c, "id", None) == record.id), None) if children else None
            names = getattr(child, "get_file_names", None)
            return list(names()) if callable(names) else None
        except Exception:  # listing files must never break the monitor
            logger.exception("hyperwidget monitor: listing the files of %s failed", record.id)
            return None

    def _send_trial(self, trial_id: str) -> None:
        detail = self.trial_detail(trial_id)
        with self._lock:  # in order with the updates
            self.send(detail)

    def _on_front_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Handle ``stop_sweep``, ``stop_trial``, ``snapshot_request`` and ``trial_request``."""
        try:
            kind = content.get("type") if isinstance(content, dict) else None
            if kind == "snapshot_request":
                with self._lock:
                    self._full = True
                    if self._stop.is_set():  # no sender thread any more: answer now
                        self._flush()
            elif kind == "trial_request":
                self._send_trial(str(content.get("id")))
            elif kind == "stop_sweep" and self._run is not None:
                self._run.cancel()
            elif kind == "stop_trial" and self._run is not None:
                self._run.stop_trial(str(content.get("id")), reason="stopped from the monitor")
        except Exception:
            logger.exception("hyperwidget monitor: handling %r failed", content)
