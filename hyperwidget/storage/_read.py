"""Reading a sweep file's rows back as checked values: a sweep file is data someone may send you.

Every field read from the file is checked for the type hyperwidget writes; a field
that is not (invalid UTF-8, JSON nested 100,000 deep, a list where a dict belongs,
NULL, an unknown status, a text where a number belongs, a series whose ``seq`` is
not 0, 1, 2, ...) raises :class:`~hyperwidget.errors.SweepFileError` naming the file,
the sweep, the trial and the field. Nothing here runs code from the file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from hyperwidget.errors import SweepFileError
from hyperwidget.names import unsafe_name
from hyperwidget.trial import TrialRecord, TrialStatus

#: The statuses hyperwidget writes for a sweep.
SWEEP_STATUSES = frozenset({"NotStarted", "Running", "Completed", "Canceled", "Failed"})


class BadText(bytes):
    """A TEXT value of the file that is not UTF-8 (kept as bytes, so that reading it does not fail)."""


def text_factory(data: bytes) -> str | BadText:
    """``sqlite3`` text factory: UTF-8 text as ``str``, anything else as :class:`BadText`."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return BadText(data)


class Where:
    """The place of a field in the file, for error messages: file, sweep, trial."""

    def __init__(self, path: str, sweep: object, trial: object = None) -> None:
        self.path, self.sweep, self.trial = path, sweep, trial

    def error(self, field: str, problem: str) -> SweepFileError:
        trial = f", trial {self.trial!r}" if self.trial is not None else ""
        return SweepFileError(
            f"{self.path!r}: sweep {self.sweep!r}{trial}, field {field!r}: {problem}. The file was damaged or "
            "written by another program; its other sweeps and trials stay readable with load_sweep."
        )


def text(where: Where, field: str, value: Any, *, optional: bool = False) -> str | None:
    """A TEXT field: a ``str`` (or ``None`` when ``optional``)."""
    if value is None and optional:
        return None
    if isinstance(value, BadText):
        raise where.error(field, f"is not valid UTF-8 text ({bytes(value[:40])!r}...)")
    if not isinstance(value, str):
        raise where.error(
            field, "is NULL" if value is None else f"must be text, got {type(value).__name__} {value!r:.60}"
        )
    return value


def number(where: Where, field: str, value: Any, *, optional: bool = False) -> float | None:
    """A REAL field: a finite number (or ``None`` when ``optional``)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise where.error(field, "is NULL" if value is None else f"must be a finite number, got {value!r:.60}")
    return float(value)


def json_field(where: Where, field: str, value: Any, kind: type) -> Any:
    """A JSON field whose top level must be of type ``kind`` (dict or list)."""
    raw = text(where, field, value)
    try:
        data = json.loads(raw or "")
    except RecursionError:
        raise where.error(field, "holds JSON nested too deeply to read") from None
    except ValueError as error:
        raise where.error(field, f"is not JSON ({error})") from None
    if not isinstance(data, kind):
        raise where.error(
            field, f"must be a JSON {'object' if kind is dict else 'array'}, got {type(data).__name__} {raw!r:.60}"
        )
    return data


def sweep_name(path: str, value: Any) -> str:
    """A sweep's name as stored: safe as a folder name (no ``..``, separators or control characters)."""
    where = Where(path, value)
    name = text(where, "name", value)
    reason = unsafe_name(name)
    if reason is not None:
        raise where.error("name", f"cannot name a sweep: {reason}")
    return str(name)


def config(where: Where, value: Any) -> dict[str, Any]:
    """The ``config`` column: a JSON object (its keys are checked by whoever reads them)."""
    return dict(json_field(where, "config", value, dict))


def sweep_status(where: Where, value: Any) -> str:
    status = text(where, "status", value)
    if status not in SWEEP_STATUSES:
        raise where.error("status", f"unknown status {status!r:.60}; a sweep is one of {sorted(SWEEP_STATUSES)}")
    return str(status)


Series = dict[str, dict[str, list[tuple[float, int | None]]]]


def series(path: str, sweep: str, rows: Iterable[tuple[Any, ...]]) -> tuple[Series, dict[str, SweepFileError]]:
    """Group ``(trial_id, name, seq, value, step)`` rows (ordered by trial, name, seq) into series.

    Returns each trial's ``(value, step)`` series and, for trials with a malformed
    row, the error (their series are dropped). ``seq`` must run 0, 1, 2, ... in each
    series; ``step`` is an integer or NULL.
    """
    found: Series = {}
    bad: dict[str, SweepFileError] = {}
    for trial_id, name, seq, value, step in rows:
        if not isinstance(trial_id, str) or trial_id in bad:
            continue  # an undecodable id matches no trial
        where = Where(path, sweep, trial_id)
        try:
            metric = str(text(where, "metrics.name", name))
            values = found.setdefault(trial_id, {}).setdefault(metric, [])
            if isinstance(seq, bool) or not isinstance(seq, int) or seq != len(values):
                raise where.error(
                    f"metrics[{metric!r}].seq",
                    f"must be {len(values)} (values are numbered 0, 1, 2, ... once each), got {seq!r:.40}",
                )
            if step is not None and (isinstance(step, bool) or not isinstance(step, int)):
                raise where.error(f"metrics[{metric!r}].step", f"must be an integer or NULL, got {step!r:.40}")
            values.append((_metric_value(where, metric, value), step))
        except SweepFileError as error:
            bad[trial_id] = error
            found.pop(trial_id, None)
    return found, bad


def _metric_value(where: Where, metric: str, value: Any) -> float:
    if value is None:
        return math.nan  # SQLite has no NaN: NULL stands for it
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise where.error(f"metrics[{metric!r}].value", f"must be a number, got {value!r:.60}")
    return float(value)


def trial(
    path: str, sweep: str, row: tuple[Any, ...], metrics: Mapping[str, list[tuple[float, int | None]]]
) -> TrialRecord:
    """One ``trials`` row (``id, idx, params, status, created_at, started_at, ended_at, error, worker``)."""
    trial_id, idx, params, status, created, started, ended, error, worker = row
    where = Where(path, sweep, trial_id)
    reason = unsafe_name(text(where, "id", trial_id))
    if reason is not None:
        raise where.error("id", f"cannot name a trial: {reason}")
    if isinstance(idx, bool) or not isinstance(idx, int) or idx < 0:
        raise where.error("idx", f"must be an integer >= 0, got {idx!r:.40}")
    values = json_field(where, "params", params, dict)
    name = text(where, "status", status)
    try:
        state = TrialStatus(name)
    except ValueError:
        raise where.error(
            "status", f"unknown status {status!r:.60}; a trial is one of {[s.value for s in TrialStatus]}"
        ) from None
    return TrialRecord(
        id=str(trial_id),
        index=idx,
        params=values,
        status=state,
        metrics={k: tuple(value for value, _ in v) for k, v in metrics.items()},
        steps={k: tuple(step for _, step in v) for k, v in metrics.items() if any(step is not None for _, step in v)},
        created_at=number(where, "created_at", created, optional=True) or 0.0,
        started_at=number(where, "started_at", started, optional=True),
        ended_at=number(where, "ended_at", ended, optional=True),
        error=text(where, "error", error, optional=True),
        worker=text(where, "worker", worker, optional=True),
    )
