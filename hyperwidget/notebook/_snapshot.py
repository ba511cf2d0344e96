"""Pure functions that turn trial records into the monitor's JSON-able rows.

Nothing here imports Jupyter: the widget (``monitor.py``), the text fallback
(``live.py``) and the tests all share these functions, so the live table, the
static final table and the terminal output agree on every value.
"""

from __future__ import annotations

import functools
import heapq
import html
import itertools
import math
import operator
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hyperwidget.trial import Goal, TrialRecord, TrialStatus

#: Most points of a learning curve sent to the front end per trial.
MAX_CURVE_POINTS = 64
#: Longest error text shown in a row's tooltip.
MAX_ERROR_CHARS = 300
#: Most rows of the static final table; a longer sweep shows its STATIC_TOP best.
MAX_STATIC_ROWS = 60
STATIC_TOP = 25

Row = dict[str, Any]


def finite_or_none(value: Any) -> float | None:
    """``value`` as a float, or None when it is missing, NaN or infinite.

    JSON has no NaN: the front end would fail to parse a message holding one.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def jsonable(value: Any) -> Any:
    """A hyperparameter value as JSON: numbers, strings, booleans and None
    pass through, numpy scalars become Python numbers, NaN and infinities
    become strings and anything else its ``repr``."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        try:
            return jsonable(item())
        except (TypeError, ValueError):
            pass
    if isinstance(value, (list, tuple)) and len(value) <= 20:
        return [jsonable(v) for v in value]
    return repr(value)


def downsample(values: Sequence[Any], max_points: int = MAX_CURVE_POINTS) -> list[Any]:
    """At most ``max_points`` evenly spaced items of ``values``, ends kept."""
    if len(values) <= max_points or max_points < 2:
        return list(values)
    last = len(values) - 1
    return [values[round(i * last / (max_points - 1))] for i in range(max_points)]


def _short_error(error: str | None) -> str | None:
    """The last non-empty line of a traceback, cut to ``MAX_ERROR_CHARS``."""
    if not error:
        return None
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    text = lines[-1] if lines else str(error)
    return text[:MAX_ERROR_CHARS]


#: Positions of a wire row's fields (js/format.js ``decodeRows`` reads them).
#: The last three are optional: absent from the end of the row when not needed.
WIRE_COLUMNS = ("index", "status", "latest", "best", "step", "started_at", "ended_at", "params", "id", "curve",
                "error")
INDEX, STATUS, LATEST, BEST, STEP, STARTED, ENDED, PARAMS, ID, CURVE, ERROR = range(len(WIRE_COLUMNS))

#: One row as a positional tuple, see WIRE_COLUMNS. Tuples, not lists: the
#: garbage collector stops tracking a tuple of plain values after a pass or
#: two, so thousands of kept rows add nothing to later collections, while a
#: list stays tracked (and traversed) for ever.
Wire = tuple

#: Status names; a wire row holds a known status as its position in this tuple
#: (update messages carry the tuple, so the front end needs no copy of it).
STATUSES: tuple[str, ...] = tuple(s.value for s in TrialStatus)
# Keyed by the enum members and by their names: a str enum's hash is its
# member name's, so both kinds of key are needed.
_STATUS_CODE: dict[Any, int] = {**{s.value: i for i, s in enumerate(TrialStatus)},
                                **{s: i for i, s in enumerate(TrialStatus)}}
_CODE_OF_VALUE = {s.value: i for i, s in enumerate(TrialStatus)}
_FAILURE_CODES = frozenset(_STATUS_CODE[s] for s in TrialStatus if s.is_failure)
_ACTIVE = frozenset((TrialStatus.QUEUED.value, TrialStatus.RUNNING.value))


def status_name(code: Any) -> str:
    """The status name of a wire row's ``status`` field (a code or a name)."""
    return STATUSES[code] if type(code) is int and 0 <= code < len(STATUSES) else str(code)


def _finite(value: Any) -> float | None:
    """``finite_or_none`` with a fast path for Python floats."""
    if type(value) is float:
        return value if value - value == 0.0 else None
    return finite_or_none(value)


def _series_fields(series: Sequence[Any], goal: Goal) -> tuple[float | None, float | None, tuple[Any, ...]]:
    """``(latest, best, curve)`` of a primary-metric series of two or more values."""
    curve = tuple([_finite(v) for v in downsample(series)])
    finite = [v for v in map(_finite, series) if v is not None]
    best = (max(finite) if goal is Goal.MAXIMIZE else min(finite)) if finite else None
    return curve[-1], best, curve


def wire_row(record: TrialRecord, metric: str, goal: Goal, names: Sequence[str], id_prefix: str = "",
             previous: Wire | None = None) -> Wire:
    """The row of one trial as a positional tuple of raw JSON values
    (``WIRE_COLUMNS``); the front end formats them (js/format.js).

    This is the monitor's hot path: every trial's row is built and encoded at
    least once, which with no-op trials costs a share of the engine's own work
    per trial (benchmarks/monitor_overhead.py). Hence a flat tuple, the status as
    a code (``STATUSES``), times and values as they are (no rounding: that
    alone cost more than the rest of the row), the id as None when it is
    ``id_prefix + str(index)`` (the engine's naming), the optional ``id``,
    ``curve`` (absent for a one-value series: it is ``latest``) and ``error``
    left off the end when not needed, and the common cases checked inline.

    Parameters
    ----------
    record : TrialRecord
        The trial's latest snapshot.
    metric : str
        Name of the primary metric.
    goal : Goal
        Whether larger or smaller values of ``metric`` are better.
    names : sequence of str
        Hyperparameter names, in column order.
    id_prefix : str
        Ids equal to ``id_prefix + str(index)`` are sent as None.
    previous : list, optional
        The trial's previous wire row: its ``params`` and ``id`` are reused
        (a trial's parameters never change) when ``names`` has not grown since.
    """
    series = record.metrics.get(metric, ())
    n = len(series)
    curve = None
    if n == 1:
        latest = best = series[0]
        if type(latest) is not float or latest - latest != 0.0:
            latest = best = finite_or_none(latest)
    elif n == 0:
        latest = best = None
    else:
        latest, best, curve = _series_fields(series, goal)
    index = record.index
    if previous is not None and len(previous[PARAMS]) == len(names):
        params = previous[PARAMS]
        rid = previous[ID] if len(previous) > ID else None
    else:
        given = record.params
        params = []
        for name in names:
            value = given.get(name)
            kind = type(value)
            if not (kind is float and value - value == 0.0 or kind is str or kind is int or value is None):
                value = jsonable(value)
            params.append(value)
        params = tuple(params)
        rid = record.id
        if id_prefix and rid == f"{id_prefix}{index}":
            rid = None
        elif type(rid) is not str:
            rid = str(rid)
    status = record.status
    # a str enum hashes in Python (slow): look its members up by value
    code = _CODE_OF_VALUE.get(status._value_) if type(status) is TrialStatus else _STATUS_CODE.get(status)
    row = (index, str(status) if code is None else code, latest, best, n, record.started_at, record.ended_at,
           params)
    error = record.error
    if error:
        return (*row, rid, curve, _short_error(error))
    if curve is not None:
        return (*row, rid, curve)
    if rid is not None:
        return (*row, rid)
    return row


#: Batches at least this large are built column by column (``wire_rows``).
_BULK_MIN = 32
_PLAIN_TYPES = frozenset((float, int, str, type(None)))
_FLOAT_OR_NONE = frozenset((float, type(None)))


def wire_rows(records: Sequence[TrialRecord], metric: str, goal: Goal, names: Sequence[str], id_prefix: str = "",
              previous: Mapping[str, Wire] | None = None) -> list[Wire]:
    """``wire_row`` of each record, the same tuples, built column by column
    for large batches.

    At the end of a sweep of fast trials the whole table is built at once.
    Per row, ``wire_row`` spends its time in Python bytecode, while here each
    column is one comprehension or C-level ``map`` and the rows are ``zip``-ped from the
    columns. Records that need more than the common fields (a curve, an
    error, an id not of the engine's form ``id_prefix + str(index)``, a
    primary-metric value that is not a finite float) go through ``wire_row``.
    ``previous`` maps trial ids to their previous rows (see ``wire_row``).
    """
    previous = previous or {}
    if len(records) < _BULK_MIN or not id_prefix or set(map(type, map(_STATUS, records))) != {TrialStatus}:
        return [wire_row(r, metric, goal, names, id_prefix, previous.get(r.id)) for r in records]
    series = [r.metrics.get(metric, ()) for r in records]
    lengths = list(map(len, series))
    index = [r.index for r in records]
    latest = [s[0] if s else None for s in series] if max(lengths) <= 1 else [
        s[0] if n == 1 else None for s, n in zip(series, lengths)]
    special: list[int] = []
    if max(lengths) > 1 or any(map(_ERROR, records)):
        special += [i for i, (n, r) in enumerate(zip(lengths, records)) if n > 1 or r.error]
    ids = [r.id for r in records]
    if ids != [f"{id_prefix}{i}" for i in index]:
        special += [i for i, (rid, number) in enumerate(zip(ids, index)) if rid != f"{id_prefix}{number}"]
    if not (set(map(type, latest)) <= _FLOAT_OR_NONE and _all_finite(latest)):
        special += [i for i, v in enumerate(latest) if v is not None and (type(v) is not float or v - v != 0.0)]
    params = list(map(_PARAMS, records))
    columns = [_plain(list(map(operator.methodcaller("get", name), params))) for name in names]
    codes = [_CODE_OF_VALUE[r.status._value_] for r in records]
    rows = list(zip(index, codes, latest, latest, lengths, map(_STARTED, records), map(_ENDED, records),
                    zip(*columns) if columns else [()] * len(records)))
    for i in special:
        rows[i] = wire_row(records[i], metric, goal, names, id_prefix, previous.get(ids[i]))
    return rows


_STATUS, _ERROR, _PARAMS, _STARTED, _ENDED = map(operator.attrgetter, (
    "status", "error", "params", "started_at", "ended_at"))


def _all_finite(values: Sequence[float | None]) -> bool:
    """True when no float of ``values`` (floats and Nones) is NaN or infinite."""
    floats = list(filter(_NOT_NONE, values)) if None in values else values
    return math.isfinite(sum(floats)) or all(map(math.isfinite, floats))


def _plain(values: list[Any]) -> list[Any]:
    """A column of hyperparameter values as JSON (see ``jsonable``), as it is
    when every value is None, a str, an int or a finite float."""
    kinds = set(map(type, values))
    if kinds <= _PLAIN_TYPES and (float not in kinds or _all_finite(
            values if kinds <= _FLOAT_OR_NONE else [v for v in values if type(v) is float])):
        return values
    return [jsonable(v) for v in values]


_NOT_NONE = functools.partial(operator.is_not, None)


def row_from_wire(wire: Wire, names: Sequence[str], id_prefix: str = "") -> Row:
    """A wire row as a dict (``id, index, status, params, latest, best, step,
    started_at, ended_at``, plus ``curve`` and ``error`` when present)."""
    values = wire[PARAMS]
    rid = wire[ID] if len(wire) > ID else None
    curve = wire[CURVE] if len(wire) > CURVE else None
    error = wire[ERROR] if len(wire) > ERROR else None
    row: Row = {
        "id": rid if rid is not None else f"{id_prefix}{wire[INDEX]}",
        "index": wire[INDEX],
        "status": status_name(wire[STATUS]),
        "params": {name: values[i] for i, name in enumerate(names) if i < len(values)},
        "latest": wire[LATEST],
        "best": wire[BEST],
        "step": wire[STEP],
        "started_at": wire[STARTED],
        "ended_at": wire[ENDED],
    }
    if curve is not None:
        row["curve"] = list(curve)
    if error is not None:
        row["error"] = error
    return row


def row_from_record(record: TrialRecord, metric: str, goal: Goal) -> Row:
    """The table row of one trial as a dict (see :func:`row_from_wire`)."""
    names = [str(k) for k in record.params]
    return row_from_wire(wire_row(record, metric, goal, names), names)


def row_duration(row: Row, now: float | None = None) -> float | None:
    """Seconds a row's trial ran: to its end, or to ``now`` while running."""
    start = row.get("started_at")
    if start is None:
        return None
    end = row.get("ended_at")
    if end is None:
        end = time.time() if now is None else now
    return max(0.0, end - start)


def _beats(row: Wire, other: Wire, goal: Goal) -> bool:
    """True when ``row`` ranks before ``other``: a better value, or the same
    value and an earlier trial."""
    value, ref = row[BEST], other[BEST]
    return goal.better(value, ref) or (value == ref and row[INDEX] < other[INDEX])


def best_row(rows: Iterable[Wire], goal: Goal) -> Wire | None:
    """The wire row with the best primary-metric value, ignoring failed
    trials. Ties go to the earlier trial (lower index)."""
    best: Wire | None = None
    for row in rows:
        if row[BEST] is None or row[STATUS] in _FAILURE_CODES:
            continue
        if best is None or _beats(row, best, goal):
            best = row
    return best


_STATUS_OF = operator.itemgetter(STATUS)
_BEST_OF = operator.itemgetter(BEST)


def _best_of_batch(rows: Sequence[Wire], maximize: bool) -> Wire | None:
    """``best_row`` of ``rows`` with C-level scans (the earliest of equal values)."""
    eligible = [row for row in rows if row[BEST] is not None and row[STATUS] not in _FAILURE_CODES]
    if not eligible:
        return None
    value = (max if maximize else min)(map(_BEST_OF, eligible))
    return min((row for row in eligible if row[BEST] == value), key=_INDEX_OF)


_INDEX_OF = operator.itemgetter(INDEX)


class Tally:
    """Counts by status and the best row of a table of wire rows, kept up to
    date one changed row at a time, so a summary costs nothing per row (a
    recount at every message grew with the table: O(trials) ten times a
    second).

    Parameters
    ----------
    goal : Goal
        Whether larger or smaller metric values are better.
    """

    __slots__ = ("goal", "codes", "_best", "_stale", "_maximize")

    def __init__(self, goal: Goal) -> None:
        self.goal = goal
        self.codes: dict[Any, int] = {}  # wire status -> number of rows
        self._best: Wire | None = None
        self._stale = False  # the best row must be searched again
        self._maximize = goal is Goal.MAXIMIZE

    def replace(self, old: Wire | None, new: Wire) -> None:
        """Count ``new`` instead of ``old`` (the same trial's previous row, or None).

        Runs once per built row, so the comparisons of ``best_row`` are
        written out here instead of called.
        """
        codes = self.codes
        if old is not None:
            codes[old[STATUS]] -= 1
        status = new[STATUS]
        codes[status] = codes.get(status, 0) + 1
        if self._stale:
            return
        value = new[BEST]
        eligible = value is not None and status not in _FAILURE_CODES
        best = self._best
        if best is None:
            if eligible:
                self._best = new
            return
        ref = best[BEST]
        if old is best:
            # A trial's best value only improves as it logs more; should it
            # not (a failure), another trial may now lead: search again.
            if eligible and (value >= ref if self._maximize else value <= ref):
                self._best = new
            else:
                self._stale = True
        elif eligible and ((value > ref if self._maximize else value < ref)
                           or (value == ref and new[INDEX] < best[INDEX])):
            self._best = new

    def replace_many(self, old: Sequence[Wire | None], new: Sequence[Wire]) -> None:
        """``replace(o, n)`` for each pair of ``old`` and ``new``, with C-level
        counting (a sweep's end counts its whole table at once)."""
        codes = self.codes
        gone = [row for row in old if row is not None]
        for code, n in Counter(map(_STATUS_OF, gone)).items():
            codes[code] -= n
        for code, n in Counter(map(_STATUS_OF, new)).items():
            codes[code] = codes.get(code, 0) + n
        if self._stale:
            return
        leader = self._best
        candidate = _best_of_batch(new, self._maximize)
        if leader is not None and any(row is leader for row in gone):
            # The leader's trial has a new row. The batch's best leads if it is
            # better than the old leader, or equal and the same trial; else
            # an unchanged row may lead: search again.
            ok = candidate is not None and (self.goal.better(candidate[BEST], leader[BEST]) or (
                candidate[BEST] == leader[BEST] and candidate[INDEX] == leader[INDEX]))
            self._best, self._stale = (candidate, False) if ok else (None, True)
        elif candidate is not None and (leader is None or _beats(candidate, leader, self.goal)):
            self._best = candidate

    def best(self, rows: Iterable[Wire]) -> Wire | None:
        """The best row; ``rows`` (every current row) is read only when the
        leader was lost since the last call."""
        if self._stale:
            self._best = best_row(rows, self.goal)
            self._stale = False
        return self._best

    def counts(self) -> dict[str, int]:
        """Rows per status name (statuses with no row left out)."""
        return {status_name(code): n for code, n in self.codes.items() if n}


def summarize(
    rows: Iterable[Wire],
    *,
    goal: Goal,
    id_prefix: str = "",
    status: str,
    started_at: float | None,
    ended_at: float | None = None,
    max_total_runs: int | None = None,
    max_duration: float | None = None,
    now: float | None = None,
    tally: Tally | None = None,
) -> dict[str, Any]:
    """Counts by status, the best trial, elapsed time and the budget of wire
    rows.

    ``max_duration`` is in seconds. ``elapsed`` runs to ``ended_at`` once the
    sweep has ended, else to ``now``. ``tally``, when given, is the up-to-date
    :class:`Tally` of ``rows`` and saves counting them again.
    """
    if tally is None:
        tally = Tally(goal)
        for row in rows:
            tally.replace(None, row)
    now = time.time() if now is None else now
    counts = tally.counts()
    best = tally.best(rows)
    end = ended_at if ended_at is not None else now
    return {
        "status": status,
        "counts": counts,
        "n_trials": sum(counts.values()),
        "n_finished": sum(n for s, n in counts.items() if s not in _ACTIVE),
        "best_id": None if best is None else _row_id(best, id_prefix),
        "best_value": None if best is None else best[BEST],
        "started_at": started_at,
        "ended_at": ended_at,
        "elapsed": None if started_at is None else max(0.0, end - started_at),
        "max_total_runs": max_total_runs,
        "max_duration": max_duration,
        "now": now,
    }


def _row_id(row: Wire, id_prefix: str) -> str:
    rid = row[ID] if len(row) > ID else None
    return rid if rid is not None else f"{id_prefix}{row[INDEX]}"


def time_of(value: Any) -> float | None:
    """Unix seconds from a float or a datetime (None when missing)."""
    if value is None:
        return None
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    return finite_or_none(value)


def run_is_running(run: Any) -> bool:
    """True until ``run`` has ended: its ``is_running`` flag when it has one,
    else its status (a sweep not yet started counts as running)."""
    flag = getattr(run, "is_running", None)
    if isinstance(flag, bool):
        return flag
    return str(getattr(run, "status", "")) in ("Running", "NotStarted")


def sweep_info(run: Any, names: Sequence[str] = ()) -> dict[str, Any]:
    """Name, metric, goal and hyperparameter names of a sweep run object."""
    goal = Goal.parse(getattr(run, "goal", Goal.MAXIMIZE))
    return {
        "name": str(getattr(run, "name", "") or "sweep"),
        "metric": str(getattr(run, "metric", "") or "metric"),
        "goal": goal.value,
        "param_names": list(names),
    }


def budget_of(run: Any) -> tuple[int | None, float | None]:
    """``(max_total_runs, max_duration_seconds)`` from ``run.config``, if set."""
    config = getattr(run, "config", None)
    total = getattr(config, "max_total_runs", None)
    minutes = getattr(config, "max_duration_minutes", None)
    total = int(total) if isinstance(total, (int, float)) and total > 0 else None
    seconds = float(minutes) * 60.0 if isinstance(minutes, (int, float)) and minutes > 0 else None
    return total, seconds


def _fmt(value: Any) -> str:
    """A cell value for the static tables (4 significant digits for floats)."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def static_selection(rows: Iterable[Wire], goal: Goal, max_rows: int = MAX_STATIC_ROWS,
                     top: int = STATIC_TOP) -> list[Wire]:
    """The wire rows of the static final table, in display order: every row
    in trial order when there are at most ``max_rows``, else the ``top``
    best (failed trials and trials without a value left out), best first.

    A saved notebook keeps this table, so a sweep of thousands of trials does
    not put thousands of rows in it (pandas, likewise, shows at most 60 rows
    of a frame); ``run.to_dataframe()`` has them all.
    """
    rows = sorted(rows, key=_INDEX_OF)
    if len(rows) <= max_rows:
        return rows
    # C-level filter: a value, and not a failed trial
    has_value = map(operator.is_not, map(_BEST_OF, rows), itertools.repeat(None))
    failed = map(_FAILURE_CODES.__contains__, map(_STATUS_OF, rows))
    ranked = list(itertools.compress(rows, map(operator.gt, has_value, failed)))
    # as stable as sorted(): of equal values, the earlier trial comes first
    pick = heapq.nlargest if goal is Goal.MAXIMIZE else heapq.nsmallest
    return pick(top, ranked, key=_BEST_OF)


def table_cells(rows: Sequence[Row], names: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """Header and cell texts of the final table, rows in the order given."""
    header = ["#", "run id", "status", *names, "latest", "best", "step", "duration"]
    body = [
        [
            str(row["index"]),
            row["id"],
            row["status"],
            *(_fmt(row["params"].get(n)) for n in names),
            _fmt(row["latest"]),
            _fmt(row["best"]),
            str(row["step"]),
            _duration(row_duration(row)),
        ]
        for row in rows
    ]
    return header, body


def progress_line(summary: Mapping[str, Any], sweep: Mapping[str, Any]) -> str:
    """One line of progress for terminals and scripts."""
    counts = ", ".join(f"{s} {n}" for s, n in sorted(summary["counts"].items()))
    total = summary.get("max_total_runs")
    of = f"/{total}" if total else ""
    best = summary.get("best_value")
    best_text = "" if best is None else f"; best {sweep['metric']} {best:.4g} ({summary['best_id']})"
    elapsed = summary.get("elapsed")
    return (
        f"[{sweep['name']}] {summary['status']}: {summary['n_finished']}{of} finished "
        f"({counts or 'no trials yet'}){best_text}; elapsed {_duration(elapsed)}"
    )


def shown_note(shown: int, total: int | None, metric: str) -> str:
    """The note under a static table that shows only the best rows ("" when it shows all)."""
    if total is None or total <= shown:
        return ""
    return (f"The {shown} best of {total:,} child runs by {metric}; "
            "run.to_dataframe() and the sweep's storage hold them all.")


def text_table(rows: Sequence[Row], sweep: Mapping[str, Any], total: int | None = None) -> str:
    """The final table as aligned plain text; ``total`` rows in all (see
    ``static_selection``) adds a note when fewer are shown."""
    header, body = table_cells(rows, sweep["param_names"])
    widths = [max(len(c) for c in col) for col in zip(header, *body)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in [header, *body]]
    note = shown_note(len(rows), total, sweep["metric"])
    return "\n".join([*lines, note] if note else lines)


def html_table(rows: Sequence[Row], summary: Mapping[str, Any], sweep: Mapping[str, Any],
               total: int | None = None) -> str:
    """The final table as static, escaped HTML (kept in saved notebooks);
    ``total`` rows in all (see ``static_selection``) adds a note when fewer are shown.

    The wrapper carries the class ``hw-final-table``: monitor.css hides it in
    an output area that also shows the live monitor, so a live session does
    not show the table twice, while a reopened notebook, nbconvert and GitHub
    show this table.
    """
    esc = html.escape
    header, body = table_cells(rows, sweep["param_names"])
    best_id = summary.get("best_id")
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    lines = []
    for row, cells in zip(rows, body):
        mark = ' style="font-weight:bold;background:#fff3cd" data-best="true"' if row["id"] == best_id else ""
        lines.append(f"<tr{mark}>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    caption = esc(progress_line(summary, sweep))
    note = shown_note(len(rows), total, sweep["metric"])
    foot = f'<tfoot><tr><td colspan="{len(header)}">{esc(note)}</td></tr></tfoot>' if note else ""
    return (
        f'<div class="hw-final-table"><table><caption style="text-align:left">{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody>{foot}</table></div>"
    )
