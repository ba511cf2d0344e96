"""The monitor's table as plain data: trial records in, JSON-able row dicts out.

Nothing here imports Jupyter: the widget (``monitor.py``), the text fallback
(``live.py``) and the tests share it, so the live table, the static final
table and the terminal output agree on every value.

**Adding a column** is one place, this module: an entry in :data:`COLUMNS`
(key, label, kind) and, when its value is not already in the row, that value
in :func:`row`. The front end (``js/monitor.js``) draws each column by its kind
and the static tables format it by its kind, so neither changes for a new
column of an existing kind.

The best row is the last point of :func:`hyperwidget.results.best_so_far`, the
package's one definition of "best so far" (the plots and ``run.best_so_far()``
use it too).
"""

from __future__ import annotations

import heapq
import html
import math
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from hyperwidget.names import flat_params
from hyperwidget.pareto import dominates
from hyperwidget.results import BestSoFarPoint, best_so_far
from hyperwidget.trial import Goal, Series, TrialRecord, TrialStatus

Row = dict[str, Any]

#: The table's columns in order: (row key, label, kind). Kinds: ``index`` (the
#: number, starred for the best row), ``id``, ``status``, ``params`` (one
#: column per hyperparameter, keys ``param:<name>``), ``number``, ``count``,
#: ``duration`` (``duration``, or live from ``started_at``) and ``curve`` (a
#: sparkline; not in the static tables). ``{metric}`` in a label is the
#: primary metric's name.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("index", "#", "index"),
    ("id", "run id", "id"),
    ("status", "status", "status"),
    ("params", "", "params"),
    ("latest", "latest {metric}", "number"),
    ("best", "best {metric}", "number"),
    ("step", "step", "count"),
    ("duration", "duration", "duration"),
    ("curve", "curve", "curve"),
)
#: Most points of a learning curve sent to the front end per trial.
MAX_CURVE_POINTS = 64
#: Longest error text shown in a row's tooltip.
MAX_ERROR_CHARS = 300
#: Most rows of the static final table; a longer sweep shows its STATIC_TOP best
#: (pandas, likewise, shows at most 60 rows of a frame).
MAX_STATIC_ROWS = 60
STATIC_TOP = 25
#: Most points of the best-so-far chart sent to the front end.
MAX_CHART_POINTS = 200
#: Most points of the Pareto front chart sent to the front end (every front member first, then a sample of the rest).
MAX_FRONT_POINTS = 400
#: The mark of a Pareto front member in the static tables (★ marks the best by the primary metric).
FRONT_MARK = "◆"
#: Most points of each metric in a trial's details (``trial_detail``); longer series are downsampled.
MAX_DETAIL_POINTS = 2000
#: Most output file names in a trial's details.
MAX_DETAIL_FILES = 200
#: Longest error text in a trial's details (the whole traceback, nearly always).
MAX_DETAIL_ERROR_CHARS = 20_000
#: Width of the static table's text (a terminal prints it at its own width) and longest text cell.
TEXT_WIDTH = 120
MAX_TEXT_CELL = 30
#: CSS inside the static final table: in a reopened notebook whose widget state was not saved, JupyterLab and
#: Notebook 7 draw the monitor's output as the bare text "Error displaying widget: model not found" (their widget
#: renderer marks only that failed output node itself ``jupyter-widgets``; a rendered widget's class is on an
#: element inside). This hides that output when the same cell holds the final table, which says everything the
#: monitor said (``:has`` cannot nest, so the rule tests the class, not the absence of elements). It applies only
#: where the notebook is trusted, which is also the only case where the widget output is drawn at all (an
#: untrusted notebook shows the widget's plain-text stand-in instead).
REOPENED_STYLE = (
    "<style>.jp-OutputArea-child:has(> .jp-OutputArea-output.jupyter-widgets)"
    ":has(~ .jp-OutputArea-child .hw-final-table) { display: none; }</style>"
)


#: What a row's best value was computed from: the primary metric's series then, and that best.
Known = tuple[Sequence[float], "float | None"]


def row(record: TrialRecord, metric: str, goal: Goal, known: Known | None = None) -> Row:
    """The table row of one trial: the one row builder of the package.

    Values are raw and JSON-safe (NaN and infinities become None; the front
    end formats them): ``id, index, status, latest, best, step``, each
    hyperparameter as ``"param:<name>"``, then ``duration`` (seconds, to the
    millisecond) once the trial has ended or ``started_at`` (unix seconds) while
    it runs, ``curve`` (the primary metric's series, downsampled) when it has
    two or more values and ``error`` (the last line of the traceback) when there
    is one. Left out rather than null, to keep the messages small: every float
    costs the kernel's JSON encoder about as much as the rest of the row.

    Flat, with only plain values (a curve is a tuple): the garbage collector
    stops tracking such a dict, so ten thousand kept rows do not make the
    kernel's full collections longer (nested dicts would: they cost a
    10,000-trial sweep a full collection of about 0.2 s).

    ``known`` (a series of an earlier record of this trial and its best) makes
    the best cost only the values logged since, when the current series
    extends it (:meth:`~hyperwidget.trial.Series.extends`): a running trial's
    row then costs O(values since) + O(``MAX_CURVE_POINTS``), not O(its series).
    """
    series = record.metrics.get(metric, ())
    out = {
        "id": record.id,
        "index": record.index,
        "status": record.status._value_,  # the plain attribute: `.value` is a property, 5 times slower
        "latest": finite_or_none(series[-1]) if series else None,
        "best": _best(series, goal, known),
        "step": len(series),
    }
    for name, value in _flat(record.params).items():
        key = _PARAM_KEYS.get(name) or _PARAM_KEYS.setdefault(name, f"param:{name}")
        plain = type(value) in _PLAIN or (type(value) is float and value - value == 0.0)
        out[key] = value if plain else jsonable(value)
    started, ended = record.started_at, record.ended_at
    if ended is not None and started is not None:
        out["duration"] = round(max(0.0, ended - started), 3)
    elif started is not None and ended is None:
        out["started_at"] = started
    if len(series) > 1:
        out["curve"] = tuple(finite_or_none(v) for v in downsample(series, MAX_CURVE_POINTS))
    if record.error:
        out["error"] = _last_line(record.error)
    return out


def trial_detail(record: TrialRecord, metric: str, files: Sequence[str] | None = None) -> dict[str, Any]:
    """One trial in full, for the monitor's row details (the ``trial`` message):
    every metric it logged with the step of each value (the value's position,
    from 1, when logged without a step), its hyperparameters, the whole error
    text and ``files`` (its output file names, or None when the run cannot
    list them). JSON-safe; a series longer than ``MAX_DETAIL_POINTS`` is
    downsampled (both ends kept) and says so in ``lengths``.
    """
    metrics: dict[str, dict[str, list[Any]]] = {}
    lengths: dict[str, int] = {}
    names = [metric, *(n for n in record.metrics if n != metric)] if metric in record.metrics else list(record.metrics)
    for name in names:
        series = record.metrics[name]
        logged = record.steps_of(name)
        keep = downsample(range(len(series)), MAX_DETAIL_POINTS)
        metrics[name] = {
            "steps": [_step(logged[i] if i < len(logged) else None, i) for i in keep],
            "values": [finite_or_none(series[i]) for i in keep],
        }
        lengths[name] = len(series)
    error = str(record.error) if record.error else None
    if error and len(error) > MAX_DETAIL_ERROR_CHARS:
        error = "…" + error[-MAX_DETAIL_ERROR_CHARS:]
    listed = None if files is None else [str(f) for f in list(files)[:MAX_DETAIL_FILES]]
    return {
        "type": "trial",
        "id": record.id,
        "index": record.index,
        "status": record.status._value_,
        "params": {name: jsonable(value) for name, value in _flat(record.params).items()},
        "metrics": metrics,
        "lengths": lengths,
        "error": error,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "worker": record.worker,
        "files": listed,
        "n_files": None if files is None else len(files),
    }


def _step(logged: Any, i: int) -> int:
    """The step of value ``i``: the one logged with it, else its position from 1."""
    return logged if isinstance(logged, int) and not isinstance(logged, bool) else i + 1


def _best(series: Sequence[float], goal: Goal, known: Known | None) -> float | None:
    """The best finite value of ``series`` (None when none), scanning only what ``known`` did not cover."""
    start, best = 0, None
    if known is not None and isinstance(series, Series) and series.extends(known[0]):
        start, best = len(known[0]), known[1]
    tail = series[start:] if start else series
    if all(type(v) is float and v - v == 0.0 for v in tail):  # finite floats (nearly always): no filtering
        finite: Sequence[float] = tail if best is None else (*tail, best)
    else:
        finite = [v for v in (finite_or_none(x) for x in tail) if v is not None]
        if best is not None:
            finite.append(best)
    if not finite:
        return None
    return max(finite) if goal is _MAXIMIZE else min(finite)


_PARAM_KEYS: dict[str, str] = {}  # hyperparameter name -> its row key, "param:<name>"
_MAXIMIZE = Goal.MAXIMIZE


_PLAIN = frozenset((str, int, bool, type(None)))  # JSON as they are, like finite floats
_OPEN = (TrialStatus.QUEUED, TrialStatus.RUNNING, TrialStatus.PAUSED)  # a paused trial may run again
_OPEN_NAMES = frozenset(status.value for status in _OPEN)
_ELIGIBLE = (TrialStatus.COMPLETED, TrialStatus.STOPPED_EARLY)  # may be on the Pareto front


class Table:
    """The rows of a sweep, kept up to date as records arrive, with the counts
    by status and the best so far.

    Parameters
    ----------
    metric, goal
        The primary metric and its direction.
    feasible : callable, optional
        ``run.is_feasible``: trials that break a constraint are never the best.
    objectives : sequence of (metric, Goal), optional
        Every objective of a multi-objective sweep, the primary first: rows then
        carry the other objectives' last values (``obj:<name>``) and ``front``
        (True for the members of the Pareto front), and the summary the front's
        chart (see :meth:`front_summary`). A single objective changes nothing.
    """

    def __init__(
        self,
        metric: str,
        goal: Goal,
        feasible: Callable[[TrialRecord], bool] | None = None,
        objectives: Sequence[tuple[str, Goal]] = (),
    ) -> None:
        self.metric, self.goal, self.feasible = metric, goal, feasible
        self.objectives = tuple(objectives) if len(objectives) > 1 else ()
        self.front: dict[str, tuple[float, ...]] = {}  # trial id -> its losses, for the Pareto front's members
        self.front_values: dict[str, tuple[float, ...]] = {}  # trial id -> final objective values, if eligible
        self._front_chart: dict[str, Any] | None = None  # front_summary's chart, until the front changes
        self.rows: dict[str, Row] = {}
        self.records: dict[str, TrialRecord] = {}  # the record each row was built from
        self._known: dict[str, Known] = {}  # the series each row's best was computed from, and that best
        self.counts: Counter[str] = Counter()
        self.param_names: dict[str, None] = {}  # in order of appearance
        self.best: BestSoFarPoint | None = None
        self.chart: list[tuple[int, float, float | None]] = []  # (finished trials, best, its end time) at each new best
        self.n_finished = 0
        self.values: dict[str, float] = {}  # trial id -> results.trial_value, for the trials that compete
        self._last_end = -math.inf  # the latest end time folded in
        self._disordered = False  # a trial was folded in after one that ended later

    def update(self, records: Iterable[TrialRecord]) -> list[Row]:
        """Build the rows of ``records`` that differ from the ones their rows were
        built from (later records of a trial win); return those rows."""
        built, rows, counts, names = self.records, self.rows, self.counts, self.param_names
        latest = {r.id: r for r in records if built.get(r.id) is not r}
        finished = []
        for rid, record in latest.items():
            old = built.get(rid)
            if old is not None:
                counts[rows[rid]["status"]] -= 1
            if record.status not in _OPEN and (old is None or old.status in _OPEN):  # it just finished
                finished.append(record)
            new = rows[rid] = row(record, self.metric, self.goal, self._known.get(rid))
            if self.objectives:
                self._add_objectives(new, record)
            self._known[rid] = (record.metrics.get(self.metric, ()), new["best"])
            built[rid] = record
            counts[new["status"]] += 1
            params = _flat(record.params)
            if not params.keys() <= names.keys():
                names.update(dict.fromkeys(params))
        if finished:
            self._fold(best_so_far(finished, self.metric, self.goal, self.feasible, after=self.best))
        moved = self._fold_front(finished) - latest.keys() if finished and self.objectives else set()
        return [rows[rid] for rid in latest] + [rows[rid] for rid in moved]

    def _add_objectives(self, out: Row, record: TrialRecord) -> None:
        """The other objectives' last values (``obj:<name>``) and the front mark of a multi-objective row."""
        for name, _ in self.objectives[1:]:
            series = record.metrics.get(name, ())
            out[f"obj:{name}"] = finite_or_none(series[-1]) if series else None
        if record.id in self.front:
            out["front"] = True

    def _fold_front(self, finished: Sequence[TrialRecord]) -> set[str]:
        """Update the Pareto front with trials that just finished; the ids whose membership changed.

        As ``SweepResults.pareto_front``: completed or early-stopped, feasible, a
        finite last value of every objective. Each new point is compared with the
        front only (O(front size)): one the front dominates stays off, one that
        enters removes the members it dominates.
        """
        changed: set[str] = set()
        for record in finished:
            values = self._front_values_of(record)
            if values is None:
                continue
            self.front_values[record.id] = values
            self._front_chart = None
            losses = tuple(goal.sign() * v for v, (_, goal) in zip(values, self.objectives, strict=True))
            if any(dominates(member, losses) for member in self.front.values()):
                continue
            for rid in [rid for rid, member in self.front.items() if dominates(losses, member)]:
                del self.front[rid]
                self.rows[rid].pop("front", None)
                changed.add(rid)
            self.front[record.id] = losses
            self.rows[record.id]["front"] = True
            changed.add(record.id)
        return changed

    def _front_values_of(self, record: TrialRecord) -> tuple[float, ...] | None:
        if record.status not in _ELIGIBLE or (self.feasible is not None and not self.feasible(record)):
            return None
        values = tuple(record.last(name) for name, _ in self.objectives)
        return values if all(v - v == 0.0 for v in values) else None

    def front_summary(self) -> dict[str, Any]:
        """The Pareto front for the summary of a multi-objective sweep (``{}`` otherwise): under ``"front"``,
        the objectives (``[[name, goal], ...]``), ``size`` (front members), ``eligible`` (trials with every
        objective) and ``points``, ``[x, y, on front, trial id]`` in the first two objectives, every front
        member then an even sample of the others, at most :data:`MAX_FRONT_POINTS`."""
        if not self.objectives:
            return {}
        if self._front_chart is None:
            members = [[*self.front_values[rid][:2], True, rid] for rid in self.front]
            others = [[*v[:2], False, rid] for rid, v in self.front_values.items() if rid not in self.front]
            room = max(0, MAX_FRONT_POINTS - len(members))
            self._front_chart = {
                "objectives": [[name, goal.value] for name, goal in self.objectives],
                "size": len(self.front),
                "eligible": len(self.front_values),
                "points": members[:MAX_FRONT_POINTS] + (downsample(others, room) if room else []),
            }
        return {"front": self._front_chart}

    def _fold(self, points: list[BestSoFarPoint]) -> None:
        """Continue the best-so-far series with trials that just finished (in
        completion order within the batch)."""
        if not points:
            return
        ends = [p.trial.ended_at if p.trial.ended_at is not None else math.inf for p in (points[0], points[-1])]
        self._disordered |= ends[0] < self._last_end
        self._last_end = max(self._last_end, ends[1])
        for n, point in enumerate(points, self.n_finished + 1):
            if point.best_trial is point.trial:
                self.chart.append((n, point.best, point.trial.ended_at))
            if point.value - point.value == 0.0:  # finite: it competes (results.trial_value)
                self.values[point.trial.id] = point.value
        self.n_finished += len(points)
        self.best = points[-1]

    def settle(self) -> None:
        """Recompute the best so far from every trial in completion order, when
        batches were seen out of end-time order (at the end of a sweep)."""
        if not self._disordered:
            return
        self.best, self.chart, self.n_finished, self._last_end, self._disordered = None, [], 0, -math.inf, False
        self._fold(best_so_far(self.records.values(), self.metric, self.goal, self.feasible))

    def summary(
        self,
        status: str,
        started_at: float | None,
        ended_at: float | None = None,
        budget: tuple[int | None, float | None] = (None, None),
        now: float | None = None,
        notice: str | None = None,
    ) -> dict[str, Any]:
        """Counts, best trial, best-so-far chart, elapsed time and budget.

        ``notice`` (the run's :func:`notice_of`, e.g. ``"starting 2 worker processes…"``)
        is added under the key ``"notice"`` when set; the key is absent otherwise.
        ``best_chart`` holds ``[finished trials, best value, end time]`` at each
        new best (the end time in unix seconds, None when unknown), so the chart
        can be drawn over finished trials or over the time since ``started_at``.
        """
        now = time.time() if now is None else now
        counts = {s: n for s, n in self.counts.items() if n}
        best = self.best.best_trial if self.best is not None else None
        end = ended_at if ended_at is not None else now
        return (
            {
                "status": status,
                "counts": counts,
                "n_trials": sum(counts.values()),
                "n_finished": sum(n for s, n in counts.items() if s not in _OPEN_NAMES),
                "best_id": None if best is None else best.id,
                "best_value": None if self.best is None else finite_or_none(self.best.best),
                "best_chart": [[x, y, t] for x, y, t in downsample(self.chart, MAX_CHART_POINTS)],
                "started_at": started_at,
                "ended_at": ended_at,
                "elapsed": None if started_at is None else max(0.0, end - started_at),
                "max_total_runs": budget[0],
                "max_duration": budget[1],
                "now": now,
            }
            | ({"notice": notice} if notice else {})
            | self.front_summary()
        )

    def sorted_rows(self) -> list[Row]:
        """Every row, in trial order."""
        return sorted(self.rows.values(), key=lambda r: r["index"])

    def static_rows(self) -> list[Row]:
        """The rows of the static final table, best first by the primary metric.

        A sweep of at most ``MAX_STATIC_ROWS`` trials shows every row: the trials
        that compete for the best (:attr:`values`, the rule of the best-so-far
        chart and the best row's star) best first, then the others (running,
        failed, without a value, breaking a constraint) in trial order. A longer
        sweep shows its ``STATIC_TOP`` best: a saved notebook keeps this table,
        so thousands of trials do not put thousands of rows in it
        (``run.to_dataframe()`` has them all).
        """
        sign = self.goal.sign()
        ranked = ((sign * v, self.rows[rid]["index"], rid) for rid, v in self.values.items())
        if len(self.rows) > MAX_STATIC_ROWS:
            return [self.rows[rid] for _, _, rid in heapq.nsmallest(STATIC_TOP, ranked)]
        best = [self.rows[rid] for _, _, rid in sorted(ranked)]
        return best + [r for r in self.sorted_rows() if r["id"] not in self.values]


# ------------------------------------------------------------------ the static tables
def frame(rows: Sequence[Row], sweep: Mapping[str, Any], best_id: str | None, now: float | None = None) -> Any:
    """The rows as a pandas DataFrame of display texts, columns from :data:`COLUMNS`
    (the best row's ``#`` starred); for the static HTML and text tables."""
    import pandas as pd

    metric, names = sweep["metric"], sweep["param_names"]
    data: dict[str, list[Any]] = {}
    for key, label, kind in sweep.get("columns") or COLUMNS:
        if kind == "params":
            # a parameter of a branch the trial did not take is blank
            for name in names:
                column = f"param:{name}"
                data[name] = [_fmt(r[column]) if column in r else "" for r in rows]
        elif kind in _STATIC_CELL:
            data[label.format(metric=metric)] = [_STATIC_CELL[kind](r, key, best_id, now) for r in rows]
    return pd.DataFrame(data)


def static_bundle(
    rows: Sequence[Row], summary: Mapping[str, Any], sweep: Mapping[str, Any], total: int, width: int = TEXT_WIDTH
) -> dict[str, str]:
    """The final table as ``{"text/html", "text/plain"}`` for a saved notebook:
    pandas' escaped HTML (``DataFrame.to_html(escape=True)``) under a progress
    line, plus a note when only the best of ``total`` rows are shown; the text
    fits ``width`` characters (see :func:`text_table`).

    One coherent view wherever the notebook is opened. The wrapper has the class
    ``hw-final-table``: monitor.css hides it next to a live monitor that has
    rows, so a live session does not show the table twice, while a reopened
    notebook, nbconvert and GitHub show it; and its :data:`REOPENED_STYLE`
    hides the line "Error displaying widget: model not found" that JupyterLab
    and Notebook 7 put in place of the monitor when they reopen a notebook
    saved without widget state (their default).
    """
    table = frame(rows, sweep, summary.get("best_id"), summary.get("ended_at"))
    line, note = progress_line(summary, sweep), shown_note(len(rows), total, sweep["metric"])
    body = table.to_html(escape=True, index=False, border=0, classes="hw-final") if len(table) else ""
    foot = f"<p>{html.escape(note)}</p>" if note else ""
    text = text_table(table, str(sweep.get("name", "")), width) if len(table) else "(no trials)"
    return {
        "text/html": f'<div class="hw-final-table">{REOPENED_STYLE}<p>{html.escape(line)}</p>{body}{foot}</div>',
        "text/plain": "\n".join(
            textwrap.fill(part, width) if "\n" not in part else part for part in (line, text, note) if part
        ),
    }


def text_table(table: Any, sweep_name: str, width: int) -> str:
    """``table`` (from :func:`frame`) as text at most ``width`` characters wide.

    Trial ids lose the sweep-name prefix they all share (``…_12``), cells are
    cut to :data:`MAX_TEXT_CELL` characters, and columns that still do not fit
    continue below (pandas' ``line_width``), never past the edge.
    """
    table = table.copy()
    if "run id" in table and sweep_name:
        table["run id"] = [f"…{i[len(sweep_name) :]}" if i.startswith(f"{sweep_name}_") else i for i in table["run id"]]
    for column in table.columns:
        table[column] = [_cut(str(v), MAX_TEXT_CELL) for v in table[column]]
    return str(table.to_string(index=False, line_width=max(40, width)))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def progress_line(summary: Mapping[str, Any], sweep: Mapping[str, Any]) -> str:
    """One line of progress for terminals and scripts."""
    counts = ", ".join(f"{s} {n}" for s, n in sorted(summary["counts"].items()))
    total = summary.get("max_total_runs")
    best = summary.get("best_value")
    best_text = "" if best is None else f"; best {sweep['metric']} {best:.4g} ({summary['best_id']})"
    front = summary.get("front")
    if front:
        best_text += f"; Pareto front {FRONT_MARK} {front['size']} of {front['eligible']}"
    return (
        f"[{sweep['name']}] {summary['status']}: {summary['n_finished']}{f'/{total}' if total else ''} "
        f"finished ({counts or 'no trials yet'}){best_text}; elapsed {_duration(summary.get('elapsed'))}"
    )


def shown_note(shown: int, total: int, metric: str) -> str:
    """The note under a static table that shows only the best rows ("" when it shows all)."""
    if total <= shown:
        return ""
    return (
        f"The {shown} best of {total:,} child runs by {metric}; "
        "run.to_dataframe() and the sweep's storage hold them all."
    )


def sweep_info(
    run: Any, metric: str, goal: Goal, names: Iterable[str], objectives: Sequence[tuple[str, Goal]] = ()
) -> dict[str, Any]:
    """Name, metric, goal, hyperparameter names and :data:`COLUMNS` of a sweep run.

    A multi-objective sweep (two or more ``objectives``) adds ``objectives``
    (``[[name, goal], ...]``) and a column per objective after the primary one
    (:func:`columns_for`).
    """
    return {
        "name": str(getattr(run, "name", "") or "sweep"),
        "metric": metric,
        "goal": goal.value,
        "param_names": list(names),
        "columns": [list(c) for c in columns_for(objectives)],
    } | ({"objectives": [[n, g.value] for n, g in objectives]} if len(objectives) > 1 else {})


def columns_for(objectives: Sequence[tuple[str, Goal]]) -> tuple[tuple[str, str, str], ...]:
    """:data:`COLUMNS`, plus, for a multi-objective sweep, each later objective's last value
    (key ``obj:<name>``) after the primary metric's columns."""
    if len(objectives) < 2:
        return COLUMNS
    at = next(i for i, c in enumerate(COLUMNS) if c[0] == "best") + 1
    extra = tuple((f"obj:{name}", name, "number") for name, _ in objectives[1:])
    return COLUMNS[:at] + extra + COLUMNS[at:]


def objectives_of(run: Any) -> tuple[tuple[str, Goal], ...]:
    """``run.objectives`` as ``((metric, Goal), ...)`` when the run has two or more, else ``()``."""
    try:
        objectives = tuple((str(n), Goal.parse(g)) for n, g in getattr(run, "objectives", ()) or ())
    except (TypeError, ValueError):
        return ()
    return objectives if len(objectives) > 1 else ()


def budget_of(run: Any) -> tuple[int | None, float | None]:
    """``(max_total_runs, max_duration_seconds)`` from ``run.config``, if set."""
    config = getattr(run, "config", None)
    total = getattr(config, "max_total_runs", None)
    minutes = getattr(config, "max_duration_minutes", None)
    total = int(total) if isinstance(total, (int, float)) and total > 0 else None
    seconds = float(minutes) * 60.0 if isinstance(minutes, (int, float)) and minutes > 0 else None
    return total, seconds


def notice_of(run: Any) -> str | None:
    """``run.notice`` (what a running sweep is doing that no trial shows yet), or ``None``."""
    notice = getattr(run, "notice", None)
    return notice if isinstance(notice, str) and notice else None


def run_is_running(run: Any) -> bool:
    """True until ``run`` has ended: its ``is_running`` flag when it has one,
    else its status (a sweep not yet started counts as running)."""
    flag = getattr(run, "is_running", None)
    if isinstance(flag, bool):
        return flag
    return str(getattr(run, "status", "")) in ("Running", "NotStarted")


def time_of(value: Any) -> float | None:
    """Unix seconds from a float or a datetime (None when missing)."""
    if value is not None and hasattr(value, "timestamp"):
        return float(value.timestamp())
    return finite_or_none(value)


# ------------------------------------------------------------------ values
def finite_or_none(value: Any) -> float | None:
    """``value`` as a float, or None when it is missing, NaN or infinite (JSON has no NaN)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def jsonable(value: Any) -> Any:
    """A hyperparameter value as JSON: numbers, strings, booleans and None pass
    through, numpy scalars become Python numbers, NaN and infinities strings,
    anything else its ``repr``."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if getattr(value, "shape", None) == () and callable(getattr(value, "item", None)):
        return jsonable(value.item())
    if isinstance(value, (list, tuple)) and len(value) <= 20:
        return [jsonable(v) for v in value]
    return repr(value)


def downsample(values: Sequence[Any], max_points: int) -> list[Any]:
    """At most ``max_points`` evenly spaced items of ``values``, both ends kept."""
    if len(values) <= max_points:
        return list(values)
    last = len(values) - 1
    return [values[round(i * last / (max_points - 1))] for i in range(max_points)]


def _last_line(error: str | None) -> str | None:
    """The last non-empty line of a traceback, cut to ``MAX_ERROR_CHARS``."""
    lines = [line for line in str(error or "").splitlines() if line.strip()]
    return lines[-1].strip()[:MAX_ERROR_CHARS] if lines else None


def row_duration(r: Row, now: float | None = None) -> float | None:
    """Seconds a row's trial ran: to its end, or to ``now`` while running."""
    if "duration" in r:
        return float(r["duration"])
    if "started_at" in r:
        return max(0.0, (time.time() if now is None else now) - r["started_at"])
    return None


def _marks(r: Row, best: str | None) -> str:
    """The marks before a static row's number: ★ for the best row, ◆ for a Pareto front member."""
    marks = ("★" if r["id"] == best else "") + (FRONT_MARK if r.get("front") else "")
    return f"{marks}\u00a0" if marks else ""  # a no-break space


def _flat(params: Mapping[str, Any]) -> Mapping[str, Any]:
    """``params`` with nested dicts flattened to ``"model.gamma"`` columns (itself when there is none:
    the common case costs one type check per parameter)."""
    for value in params.values():
        if type(value) is dict:
            return flat_params(params)
    return params


def _fmt(value: Any) -> str:
    """A cell of the static tables (4 significant digits for floats)."""
    if value is None:
        return "—"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


#: How the static tables show a cell of each kind (kinds not here are left out).
_STATIC_CELL: dict[str, Callable[[Row, str, str | None, float | None], str]] = {
    "index": lambda r, key, best, now: _marks(r, best) + str(r[key]),
    "id": lambda r, key, best, now: str(r[key]),
    "status": lambda r, key, best, now: str(r[key]),
    "number": lambda r, key, best, now: _fmt(r[key]),
    "count": lambda r, key, best, now: str(r[key]),
    "duration": lambda r, key, best, now: _duration(row_duration(r, now)),
}
