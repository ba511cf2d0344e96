"""Pure functions that turn trial records into the monitor's JSON-able rows.

Nothing here imports Jupyter: the widget (``monitor.py``), the text fallback
(``live.py``) and the tests all share these functions, so the live table, the
static final table and the terminal output agree on every value.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hyperwidget.trial import Goal, TrialRecord, TrialStatus

#: Most points of a learning curve sent to the front end per trial.
MAX_CURVE_POINTS = 64
#: Longest error text shown in a row's tooltip.
MAX_ERROR_CHARS = 300

_FAILURES = frozenset(s.value for s in TrialStatus if s.is_failure)
_STATUS_TEXT = {s: s.value for s in TrialStatus}  # Enum.value is slow on the hot path
_ACTIVE = frozenset((TrialStatus.QUEUED.value, TrialStatus.RUNNING.value))

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


def _param(value: Any) -> Any:
    """``jsonable`` with a fast path for the common plain values."""
    kind = type(value)
    if kind is str or kind is int or kind is bool:
        return value
    if kind is float and value - value == 0.0:  # finite
        return value
    return jsonable(value)


#: Positions of a wire row's fields (js/format.js ``decodeRows`` reads them).
WIRE_COLUMNS = ("id", "index", "status", "latest", "best", "step", "started_at", "ended_at", "params", "curve",
                "error")
ID, INDEX, STATUS, LATEST, BEST, STEP, STARTED, ENDED, PARAMS, CURVE, ERROR = range(len(WIRE_COLUMNS))

Wire = list  # one row as a positional list, see WIRE_COLUMNS


def _finite(value: Any) -> float | None:
    """``finite_or_none`` with a fast path for Python floats."""
    if type(value) is float:
        return value if value - value == 0.0 else None
    return finite_or_none(value)


def wire_row(record: TrialRecord, metric: str, goal: Goal, names: Sequence[str], id_prefix: str = "") -> Wire:
    """The row of one trial as a positional list (``WIRE_COLUMNS``).

    This is the monitor's hot path: every trial's row is built and encoded at
    least once, which with no-op trials costs a fair share of the engine's own
    work per trial (benchmarks/monitor_overhead.py). Hence lists instead of
    dicts, times rounded to the millisecond, parameters in ``names`` order
    (names must include the record's own), the id as None when it is
    ``id_prefix + str(index)`` (the engine's naming), and the optional
    ``curve`` (absent for a one-value series: it is ``latest``) and ``error``
    left off the end when not needed.

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
    """
    series = record.metrics.get(metric, ())
    n = len(series)
    if n == 0:
        latest = best = None
    elif n == 1:
        latest = best = _finite(series[0])
    else:
        latest, best = _finite(series[-1]), _finite(goal.best_of(series))
    rid, index, started, ended = record.id, record.index, record.started_at, record.ended_at
    params = record.params
    status = record.status
    row = [
        None if id_prefix and rid == f"{id_prefix}{index}" else str(rid),
        index,
        _STATUS_TEXT.get(status) or str(status),
        latest,
        best,
        n,
        None if started is None else round(started, 3),
        None if ended is None else round(ended, 3),
        [_param(params[k]) if k in params else None for k in names],
    ]
    # optional trailing fields, present only when needed (smaller JSON)
    error = _short_error(record.error) if record.error else None
    if n > 1 or error is not None:
        row.append([_finite(v) for v in downsample(series)] if n > 1 else None)
    if error is not None:
        row.append(error)
    return row


def row_from_wire(wire: Wire, names: Sequence[str], id_prefix: str = "") -> Row:
    """A wire row as a dict (``id, index, status, params, latest, best, step,
    started_at, ended_at``, plus ``curve`` and ``error`` when present)."""
    values = wire[PARAMS]
    curve = wire[CURVE] if len(wire) > CURVE else None
    error = wire[ERROR] if len(wire) > ERROR else None
    row: Row = {
        "id": wire[ID] if wire[ID] is not None else f"{id_prefix}{wire[INDEX]}",
        "index": wire[INDEX],
        "status": wire[STATUS],
        "params": {name: values[i] for i, name in enumerate(names) if i < len(values)},
        "latest": wire[LATEST],
        "best": wire[BEST],
        "step": wire[STEP],
        "started_at": wire[STARTED],
        "ended_at": wire[ENDED],
    }
    if curve is not None:
        row["curve"] = curve
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


def best_row(rows: Iterable[Wire], goal: Goal) -> Wire | None:
    """The wire row with the best primary-metric value, ignoring failed
    trials. Ties go to the earlier trial (lower index)."""
    best: Wire | None = None
    for row in rows:
        value = row[BEST]
        if value is None or row[STATUS] in _FAILURES:
            continue
        if best is None or goal.better(value, best[BEST]) or (value == best[BEST] and row[INDEX] < best[INDEX]):
            best = row
    return best


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
) -> dict[str, Any]:
    """Counts by status, the best trial, elapsed time and the budget of wire
    rows.

    ``max_duration`` is in seconds. ``elapsed`` runs to ``ended_at`` once the
    sweep has ended, else to ``now``.
    """
    rows = list(rows)
    now = time.time() if now is None else now
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[STATUS]] = counts.get(row[STATUS], 0) + 1
    best = best_row(rows, goal)
    end = ended_at if ended_at is not None else now
    return {
        "status": status,
        "counts": counts,
        "n_trials": len(rows),
        "n_finished": sum(n for s, n in counts.items() if s not in _ACTIVE),
        "best_id": None if best is None else (best[ID] if best[ID] is not None else f"{id_prefix}{best[INDEX]}"),
        "best_value": None if best is None else best[BEST],
        "started_at": started_at,
        "ended_at": ended_at,
        "elapsed": None if started_at is None else max(0.0, end - started_at),
        "max_total_runs": max_total_runs,
        "max_duration": max_duration,
        "now": now,
    }


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


def table_cells(rows: Sequence[Row], names: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """Header and cell texts of the final table, rows in trial order."""
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
        for row in sorted(rows, key=lambda r: r["index"])
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


def text_table(rows: Sequence[Row], sweep: Mapping[str, Any]) -> str:
    """The final table as aligned plain text."""
    header, body = table_cells(rows, sweep["param_names"])
    widths = [max(len(c) for c in col) for col in zip(header, *body)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in [header, *body]]
    return "\n".join(lines)


def html_table(rows: Sequence[Row], summary: Mapping[str, Any], sweep: Mapping[str, Any]) -> str:
    """The final table as static, escaped HTML (kept in saved notebooks).

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
    for row, cells in zip(sorted(rows, key=lambda r: r["index"]), body):
        mark = ' style="font-weight:bold;background:#fff3cd" data-best="true"' if row["id"] == best_id else ""
        lines.append(f"<tr{mark}>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    caption = esc(progress_line(summary, sweep))
    return (
        f'<div class="hw-final-table"><table><caption style="text-align:left">{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table></div>"
    )
