"""The sweep browser: every sweep of a sweep file, its monitor, overlaid best-so-far curves and parameter importance.

``hyperwidget.browse("hyperwidget.db")`` returns a :class:`Browser`, an
``ipywidgets.VBox`` of

- a :class:`SweepList` anywidget (front end ``js/browser.js``) with one row per
  sweep (status, trials finished/total, best value of the primary metric, start
  and end), the overlay of the selected sweeps' best-so-far curves, and the
  parameter importance of the sweep selected last;
- an ``ipywidgets.Output`` holding the :class:`~hyperwidget.notebook.monitor.SweepMonitor`
  of the sweep selected last (live while another process still runs it).

Reading the file (:class:`SweepFile`) has no Jupyter in it and is shared with
``python -m hyperwidget browse``. A thread re-reads the file every
:data:`POLL_SECONDS`: one small query of the ``sweeps`` table tells which sweeps
changed; a finished sweep is read once, a running one at most every second or
every :data:`LOAD_FACTOR` times its last load time (a 10,000-trial sweep takes
about 0.4 s to load), so a large running sweep costs a bounded share of a core.
A file that cannot be read for a moment (being written, locked, replaced) keeps
the last rows and shows the error; a sweep whose rows are damaged is listed with
its error. Every name and value reaches the page as data and is escaped there.

The front end writes the synced trait ``selected`` (the selected sweeps' names,
the last one focused); the kernel answers with ``curves`` and ``importance``
and shows the focused sweep's monitor. This works while the browse cell is not
busy, which is the case once it has returned.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import sqlite3
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets
import traitlets

from hyperwidget.errors import HyperwidgetError, SweepConfigError
from hyperwidget.importance import ImportanceError, param_importance
from hyperwidget.notebook.monitor import SweepMonitor, asset
from hyperwidget.results import SweepResults, best_so_far
from hyperwidget.space import SearchSpace
from hyperwidget.storage import SqliteStorage
from hyperwidget.sweep import INTERRUPTED, load_results

logger = logging.getLogger(__name__)

#: Seconds between two reads of the sweep file.
POLL_SECONDS = 1.0
#: A running sweep is loaded again at most every ``LOAD_FACTOR`` times its last load time.
LOAD_FACTOR = 4.0
#: The most points of a best-so-far curve sent to the page (improvements only; more are thinned).
MAX_CURVE_POINTS = 400
#: Statuses after which a stored sweep no longer changes (until it is resumed: its row changes then).
FINAL = frozenset({"Completed", "Canceled", "Failed", INTERRUPTED})


@dataclasses.dataclass(frozen=True)
class SweepSummary:
    """What the browser lists of one sweep. Times are unix seconds."""

    name: str
    status: str
    metric: str | None = None
    goal: str | None = None
    n_trials: int = 0
    n_finished: int = 0
    best: float | None = None
    best_trial: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class _Entry:
    key: tuple[Any, ...]
    summary: SweepSummary
    results: SweepResults | None
    space: Any
    loaded_at: float
    load_seconds: float


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _space_of(config_text: Any) -> Any:
    """The declared search space from a ``config`` column, or None (the file may hold anything)."""
    try:
        data = json.loads(config_text) if isinstance(config_text, str) else None
        space = data["sampler"]["space"] if isinstance(data, dict) else None
        return SearchSpace.from_json(space) if isinstance(space, dict) else None
    except Exception:  # damaged or foreign: importance falls back to the values' own scale
        return None


class SweepFile:
    """A sweep file read again and again, cheaply: see the module docstring.

    Parameters
    ----------
    path : str or Path
        The sweep file (it must exist).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if not Path(self.path).is_file():
            raise SweepConfigError(f"browse: no sweep file at {self.path!r}; check the path.")
        SqliteStorage(self.path, read_only=True).close()  # SweepConfigError for a file that is not a sweep file
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        #: The last read's problem with the whole file (None when it was read).
        self.error: str | None = None

    def _rows(self) -> list[tuple[Any, ...]]:
        """``(name, status, created_at, updated_at, config)`` of every sweep, oldest first."""
        uri = f"file:{Path(self.path).resolve()}?mode=ro"
        db = sqlite3.connect(uri, uri=True, timeout=5)
        try:
            db.text_factory = bytes  # nothing is decoded here: names are checked by SqliteStorage
            return list(
                db.execute("SELECT name, status, created_at, updated_at, config FROM sweeps ORDER BY created_at")
            )
        finally:
            db.close()

    def read(self) -> list[SweepSummary]:
        """Every sweep's summary; sweeps that changed are loaded again (see the module docstring)."""
        with self._lock:
            try:
                rows = self._rows()
            except sqlite3.Error as error:
                self.error = f"cannot read {self.path!r} now ({error}); showing what was read before."
                return [e.summary for e in self._entries.values()]
            self.error = None
            now = time.monotonic()
            seen: dict[str, _Entry] = {}
            for name_bytes, status, created, updated, config in rows:
                try:
                    name = name_bytes.decode("utf-8") if isinstance(name_bytes, bytes) else str(name_bytes)
                except UnicodeDecodeError:
                    continue  # SqliteStorage.sweep_names leaves such a name out too
                key = (status, created, updated)
                old = self._entries.get(name)
                if old is not None and old.key == key and self._fresh(old, now):
                    seen[name] = old
                    continue
                seen[name] = self._load(name, key, created, updated, config)
            self._entries = seen
            return [e.summary for e in seen.values()]

    @staticmethod
    def _fresh(entry: _Entry, now: float) -> bool:
        if entry.summary.status in FINAL or entry.summary.error is not None:
            return True
        return now - entry.loaded_at < max(POLL_SECONDS, LOAD_FACTOR * entry.load_seconds)

    def _load(self, name: str, key: tuple[Any, ...], created: Any, updated: Any, config: Any) -> _Entry:
        start = time.monotonic()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a damaged trial is left out (load_sweep warns about it)
                results = load_results(name, self.path)
        except (HyperwidgetError, sqlite3.Error, OSError) as error:
            summary = SweepSummary(name, "Unreadable", error=str(error))
            return _Entry(key, summary, None, None, time.monotonic(), time.monotonic() - start)
        trials = results.trials
        best = results.get_best_run_by_primary_metric()
        status = results.status
        ended = [t.ended_at for t in trials if t.ended_at is not None]
        # the sweep's row was created before its first trial started, unless it was written by other means
        starts = [x for x in (_finite(created), *(t.started_at for t in trials)) if x is not None]
        started = min(starts) if starts else None
        summary = SweepSummary(
            name=name,
            status=status,
            metric=results.metric,
            goal=results.goal.value,
            n_trials=len(trials),
            n_finished=sum(1 for t in trials if t.status.is_finished),
            best=best.best_primary_metric if best is not None else None,
            best_trial=best.id if best is not None else None,
            started_at=started,
            ended_at=(_finite(updated) or (max(ended) if ended else None)) if status in FINAL else None,
        )
        space_text = config.decode("utf-8", "replace") if isinstance(config, bytes) else config
        return _Entry(key, summary, results, _space_of(space_text), time.monotonic(), time.monotonic() - start)

    def results(self, name: str) -> SweepResults | None:
        """The sweep as last read (None when unknown or unreadable)."""
        entry = self._entries.get(name)
        return entry.results if entry is not None else None

    def space(self, name: str) -> Any:
        """The sweep's declared search space, when its configuration holds one."""
        entry = self._entries.get(name)
        return entry.space if entry is not None else None

    def curve(self, name: str) -> dict[str, Any] | None:
        """The best-so-far step curve: ``{"trial": [[finished, best], ...], "time": [[seconds, best], ...]}``.

        One point per improvement plus the last finished trial (the front end draws
        steps), at most :data:`MAX_CURVE_POINTS`; ``time`` counts from the sweep's start.
        """
        entry = self._entries.get(name)
        if entry is None or entry.results is None:
            return None
        results = entry.results
        points = best_so_far(results.trials, results.metric, results.goal, results.is_feasible)
        start = entry.summary.started_at or 0.0
        by_trial: list[list[float]] = []
        by_time: list[list[float]] = []
        last = math.nan
        for i, point in enumerate(points, start=1):
            if not math.isfinite(point.best):
                continue
            seconds = max(0.0, (point.trial.ended_at or start) - start)
            if point.best != last or i == len(points):
                by_trial.append([i, point.best])
                by_time.append([round(seconds, 3), point.best])
                last = point.best
        if by_trial and by_trial[-1][0] != len(points):
            by_trial.append([len(points), last])
        return {
            "metric": results.metric,
            "goal": results.goal.value,
            "trial": _thin(by_trial),
            "time": _thin(by_time),
        }


def _thin(points: list[list[float]]) -> list[list[float]]:
    if len(points) <= MAX_CURVE_POINTS:
        return points
    step = len(points) / (MAX_CURVE_POINTS - 1)
    kept = [points[int(i * step)] for i in range(MAX_CURVE_POINTS - 1)]
    return [*kept, points[-1]]


class StoredRun:
    """A sweep of a :class:`SweepFile`, as the file was last read: what
    :meth:`SweepMonitor.follow` needs (``trials``, ``status``, ``is_running``, ...).

    It loads nothing itself: the browser's polling thread reads the file (a running
    sweep at a bounded rate), and this object hands the monitor the latest read,
    so a followed sweep is not loaded twice. The stop buttons cannot stop another
    process's sweep: ``cancel`` and ``stop_trial`` only log a warning.
    :meth:`detach` ends the following.
    """

    def __init__(self, sweeps: SweepFile, name: str, results: SweepResults) -> None:
        self._file, self.name = sweeps, name
        self._results = results
        self._detached = False
        self.metric, self.goal, self.constraints = results.metric, results.goal, results.constraints
        self.config = None
        entry = sweeps._entries.get(name)
        self.started_at = entry.summary.started_at if entry is not None else None

    def _refresh(self) -> None:
        latest = None if self._detached else self._file.results(self.name)
        if latest is not None:  # None: unreadable for a moment, or deleted; keep the last read
            self._results = latest

    @property
    def trials(self) -> list[Any]:
        self._refresh()
        return self._results.trials

    @property
    def status(self) -> str:
        return self._results.status

    @property
    def is_running(self) -> bool:
        return not self._detached and self._results.status == "Running"

    @property
    def ended_at(self) -> float | None:
        entry = self._file._entries.get(self.name)
        if entry is not None and entry.summary.ended_at is not None:
            return entry.summary.ended_at
        ended = [t.ended_at for t in self._results.trials if t.ended_at is not None]
        return max(ended) if ended else None

    def is_feasible(self, record: Any) -> bool:
        return self._results.is_feasible(record)

    def cancel(self) -> bool:
        logger.warning("hyperwidget browser: sweep %r runs in another process; stop it there.", self.name)
        return False

    def stop_trial(self, trial_id: str, reason: str | None = None) -> None:
        logger.warning("hyperwidget browser: sweep %r runs in another process; stop its trials there.", self.name)

    def detach(self) -> None:
        """Stop following: the monitor sees the sweep as ended and stops reading the file."""
        self._detached = True


class SweepList(anywidget.AnyWidget):
    """The list, overlay and importance chart of :class:`Browser` (front end ``js/browser.js``)."""

    _esm = asset("browser.js")
    _css = asset("browser.css")

    file = traitlets.Unicode("", help="The sweep file's path.").tag(sync=True)
    sweeps: traitlets.List[dict[str, Any]] = traitlets.List(help="One summary per sweep (SweepSummary.to_json).").tag(
        sync=True
    )
    error = traitlets.Unicode("", help="Why the file could not be read just now ('' when it was).").tag(sync=True)
    selected = traitlets.List(traitlets.Unicode(), help="Selected sweeps, the focused one last.").tag(sync=True)
    curves = traitlets.Dict(help="Best-so-far curves of the selected sweeps, by name.").tag(sync=True)
    importance = traitlets.Dict(help="Parameter importance of the focused sweep.").tag(sync=True)
    x_axis = traitlets.Unicode("trial", help="Overlay x axis: 'trial' (finished trials) or 'time'.").tag(sync=True)


class Browser(ipywidgets.VBox):
    """What :func:`browse` returns: the sweep list (``.list``) above the focused sweep's monitor (``.output``)."""

    def __init__(self, path: str | Path, *, poll: float = POLL_SECONDS) -> None:
        self._stop = threading.Event()
        self.monitor: SweepMonitor | None = None
        self._run: StoredRun | None = None
        self.sweep_file = SweepFile(path)  # raises first for a missing or foreign file (__del__ calls close)
        self.list = SweepList(file=str(path))
        self.output = ipywidgets.Output()
        super().__init__([self.list, self.output])
        self._focus: str | None = None
        self._importance_key: tuple[Any, ...] | None = None
        self._poll = poll
        self._wake = threading.Event()
        self._lock = threading.RLock()
        self.refresh()
        self.list.observe(self._on_selected, names="selected")
        self._thread = threading.Thread(target=self._loop, name="hyperwidget-browser", daemon=True)
        self._thread.start()

    def refresh(self) -> None:
        """Read the file and update the list, curves, importance and monitor."""
        with self._lock:
            summaries = self.sweep_file.read()
            rows = [s.to_json() for s in summaries]
            with self.list.hold_sync():
                if rows != self.list.sweeps:
                    self.list.sweeps = rows
                self.list.error = self.sweep_file.error or ""
                self._update_selection()

    def _update_selection(self) -> None:
        names = [n for n in self.list.selected if self.sweep_file.results(n) is not None]
        curves = {n: c for n in names if (c := self.sweep_file.curve(n)) is not None}
        if curves != self.list.curves:
            self.list.curves = curves
        focus = names[-1] if names else None
        if focus != self._focus:
            self._focus = focus
            self._show_monitor(focus)
        self._update_importance(focus)

    def _update_importance(self, focus: str | None) -> None:
        results = self.sweep_file.results(focus) if focus is not None else None
        if results is None:
            if self.list.importance:
                self.list.importance = {}
            self._importance_key = None
            return
        finished = sum(1 for t in results.trials if t.status.is_finished)
        key = (focus, finished, len(results.trials))
        if key == self._importance_key:
            return
        self._importance_key = key
        self.list.importance = {"sweep": focus, "pending": True, "values": [], "n_trials": finished}
        space = self.sweep_file.space(str(focus))
        threading.Thread(
            target=self._compute_importance, args=(key, results, space), name="hyperwidget-importance", daemon=True
        ).start()

    def _compute_importance(self, key: tuple[Any, ...], results: SweepResults, space: Any) -> None:
        try:
            importance = param_importance(results, space=space)
            value: dict[str, Any] = {
                "values": [[str(k), float(v)] for k, v in importance.items()],
                "n_trials": importance.attrs["n_trials"],
                "n_finished": importance.attrs["n_finished"],
            }
        except ImportanceError as error:
            value = {"values": [], "error": str(error)}
        except Exception as error:  # a hostile file must not break the browser
            logger.exception("hyperwidget browser: parameter importance failed")
            value = {"values": [], "error": f"parameter importance failed: {error}"}
        with self._lock:
            if key == self._importance_key:
                self.list.importance = {"sweep": key[0], "metric": results.metric, **value}

    def _show_monitor(self, name: str | None) -> None:
        if self._run is not None:
            self._run.detach()
        if self.monitor is not None:
            self.monitor.close()
        self.output.outputs = ()
        self.monitor, self._run = None, None
        results = self.sweep_file.results(name) if name is not None else None
        if results is None:
            return
        self._run = StoredRun(self.sweep_file, str(name), results)
        self.monitor = SweepMonitor().follow(self._run)
        self.output.append_display_data(self.monitor)

    def _on_selected(self, _change: Any) -> None:
        try:
            with self._lock, self.list.hold_sync():
                self._update_selection()
        except Exception:
            logger.exception("hyperwidget browser: showing the selection failed")

    def _loop(self) -> None:
        while not self._stop.wait(self._poll):
            if self.list.comm is None:  # closed from elsewhere (Widget.close_all, a kernel reset)
                return
            try:
                self.refresh()
            except Exception:  # keep polling: the next read may work
                logger.exception("hyperwidget browser: reading %s failed", self.sweep_file.path)

    def close(self) -> None:
        """Stop polling the file and close the widgets."""
        self._stop.set()
        if self._run is not None:
            self._run.detach()
        if self.monitor is not None:
            self.monitor.close()
        for part in (getattr(self, "list", None), getattr(self, "output", None)):
            if part is not None:
                part.close()
        super().close()


def browse(storage: str | Path = "hyperwidget.db", *, select: Sequence[str] = ()) -> Browser:
    """Show every sweep of a sweep file, refreshed every second while sweeps run elsewhere.

    Select a sweep to see its monitor (live while it runs in another process) and
    its parameter importance; select several (their boxes, or Ctrl/Shift-click) to
    overlay their best-so-far curves.

    Parameters
    ----------
    storage : str or Path
        The sweep file (default ``hyperwidget.db``).
    select : sequence of str
        Sweeps to select at once (the last one is focused).
    """
    browser = Browser(storage)
    if select:
        browser.list.selected = [str(n) for n in select]
    return browser
