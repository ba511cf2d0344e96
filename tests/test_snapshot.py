"""The monitor's table as plain data: rows, counts, the best so far, the static tables."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hyperwidget.notebook import _snapshot
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

XSS = "<img src=x onerror=alert(1)>"
REPO = Path(__file__).resolve().parent.parent
INFO = {"name": "s", "metric": "accuracy", "goal": "maximize", "param_names": ["lr", "kernel"]}


def record(
    i: int, status: TrialStatus = TrialStatus.COMPLETED, values: tuple[float, ...] = (0.5,), **kw: Any
) -> TrialRecord:
    ended = None if status in (TrialStatus.RUNNING, TrialStatus.QUEUED) else kw.pop("ended_at", 102.5)
    return TrialRecord(
        id=f"t{i}",
        index=i,
        params={"lr": 0.1 * (i + 1), "kernel": kw.pop("kernel", "rbf")},
        status=status,
        metrics={"accuracy": values},
        created_at=100.0,
        started_at=100.0,
        ended_at=ended,
        **kw,
    )


def row(rec: TrialRecord, goal: Goal = Goal.MAXIMIZE) -> dict:
    return _snapshot.row(rec, "accuracy", goal)


def table(*records: TrialRecord, goal: Goal = Goal.MAXIMIZE) -> _snapshot.Table:
    t = _snapshot.Table("accuracy", goal)
    t.update(records)
    return t


def test_a_row_holds_every_field_as_json_and_drops_nan() -> None:
    r = row(record(3, values=(0.2, float("nan"), 0.9, 0.7), error="Traceback...\n  File x\nValueError: bad"))
    assert r == {
        "id": "t3",
        "index": 3,
        "status": "Completed",
        "param:lr": pytest.approx(0.4),
        "param:kernel": "rbf",
        "latest": 0.7,
        "best": 0.9,
        "step": 4,
        "duration": 2.5,
        "curve": (0.2, None, 0.9, 0.7),
        "error": "ValueError: bad",
    }
    json.dumps(r, allow_nan=False)
    assert _snapshot.row_duration(r) == pytest.approx(2.5)


def test_a_row_is_small_without_a_curve_or_an_error() -> None:
    queued = row(record(0, TrialStatus.QUEUED, values=()).replace(started_at=None))
    assert (queued["latest"], queued["best"], queued["step"]) == (None, None, 0)
    assert "curve" not in queued and "error" not in queued and _snapshot.row_duration(queued) is None
    assert "curve" not in row(record(1))  # one value: it is `latest`
    running = row(record(0, TrialStatus.RUNNING))
    assert running["started_at"] == 100.0 and "duration" not in running  # the front end counts on from there
    assert _snapshot.row_duration(running, now=110.0) == 10.0
    assert row(record(0, values=(3.0, 1.0, 2.0)), Goal.MINIMIZE)["best"] == 1.0


def test_hyperparameters_become_json() -> None:
    rec = record(0).replace(
        params={
            "a": np.float32(0.5),
            "b": np.int64(3),
            "c": float("nan"),
            "d": float("inf"),
            "e": (1, "x"),
            "f": object,
            "g": True,
            "h": XSS,
        }
    )
    params = {k[6:]: v for k, v in row(rec).items() if k.startswith("param:")}
    assert params["a"] == 0.5 and params["b"] == 3 and isinstance(params["b"], int)
    assert (params["c"], params["d"], params["e"], params["g"], params["h"]) == ("nan", "inf", [1, "x"], True, XSS)
    assert params["f"].startswith("<class")
    json.dumps(params, allow_nan=False)


def test_kept_rows_are_left_alone_by_the_garbage_collector() -> None:
    """Rows are flat dicts of plain values (a curve is a tuple), which the collector stops tracking:
    a long sweep's rows then add nothing to the kernel's full collections."""
    import gc

    rows = [row(record(0)), row(record(1, values=(0.1, 0.2))), row(record(2, TrialStatus.FAILED, error="E: x"))]
    gc.collect()  # untracks the curve tuple, then the dicts that hold only plain values
    assert not any(gc.is_tracked(r) for r in rows)


def test_long_curves_are_downsampled_with_both_ends() -> None:
    curve = row(record(0, values=tuple(float(v) for v in range(1000))))["curve"]
    assert len(curve) == _snapshot.MAX_CURVE_POINTS and curve[0] == 0.0 and curve[-1] == 999.0


def test_the_table_builds_only_changed_rows_and_counts_by_status() -> None:
    first, second = record(0, TrialStatus.RUNNING), record(1)
    t = table(first, second)
    assert t.update([first, second]) == []  # the same records: nothing to build
    done = record(0, values=(0.7,))
    assert [r["id"] for r in t.update([second, done])] == ["t0"]
    assert dict(t.counts) == {"Completed": 2, "Running": 0} and list(t.param_names) == ["lr", "kernel"]
    assert [r["index"] for r in t.sorted_rows()] == [0, 1]


def test_the_best_row_is_the_best_so_far_of_finished_trials() -> None:
    t = table(
        record(0, values=(0.5,)),
        record(1, TrialStatus.FAILED, values=(0.99,)),
        record(2, TrialStatus.STOPPED_EARLY, values=(0.8,)),
        record(3, TrialStatus.RUNNING, values=(0.95,)),
    )
    s = t.summary("Running", started_at=100.0, budget=(10, 60.0), now=130.0)
    assert s["counts"] == {"Completed": 1, "Failed": 1, "StoppedEarly": 1, "Running": 1}
    assert (s["n_trials"], s["n_finished"]) == (4, 3)
    # failed trials never lead, running ones not yet
    assert (s["best_id"], s["best_value"]) == ("t2", 0.8)
    assert s["elapsed"] == 30.0 and (s["max_total_runs"], s["max_duration"]) == (10, 60.0)
    json.dumps(s, allow_nan=False)


def test_the_best_so_far_chart_steps_at_each_new_best_in_completion_order() -> None:
    t = table(record(0, values=(0.5,), ended_at=3.0), record(1, values=(0.4,), ended_at=1.0))
    t.update([record(2, values=(0.9,), ended_at=5.0)])
    assert t.summary("Running", None)["best_chart"] == [[1, 0.4, 1.0], [2, 0.5, 3.0], [3, 0.9, 5.0]]
    t.update([record(3, values=(0.95,), ended_at=4.0)])  # seen after a trial that ended later
    t.settle()  # so the end recomputes the series in completion order
    assert t.summary("Completed", None)["best_chart"] == [[1, 0.4, 1.0], [2, 0.5, 3.0], [3, 0.95, 4.0]]
    assert t.summary("Completed", None)["best_id"] == "t3"


def test_ties_go_to_the_trial_that_finished_first() -> None:
    t = table(*(record(i, values=(0.5,), ended_at=float(10 - i)) for i in (4, 2, 7)))
    assert t.summary("Completed", None)["best_id"] == "t7"


def test_static_rows_are_every_row_of_a_short_sweep_and_the_best_of_a_long_one() -> None:
    assert [r["index"] for r in table(*(record(i) for i in (3, 1, 2))).static_rows()] == [1, 2, 3]
    long = [record(i, values=((i * 37) % 100 / 100,)) for i in range(100)]
    long += [record(100, TrialStatus.FAILED, values=(5.0,)), record(101, TrialStatus.RUNNING, values=())]
    top = table(*long).static_rows()
    values = [r["best"] for r in top]
    assert len(top) == _snapshot.STATIC_TOP and values == sorted(values, reverse=True) and values[0] == 0.99
    low = table(*long, goal=Goal.MINIMIZE).static_rows()
    assert [r["best"] for r in low][:2] == [0.0, 0.01]  # the failed trial's 5.0 is not shown either way


def test_the_static_table_is_pandas_escaped_html_with_the_best_row_starred() -> None:
    t = table(*(record(i, kernel=XSS, values=(0.1 * i,)) for i in range(3)))
    summary = t.summary("Completed", started_at=1.0, ended_at=2.0)
    bundle = _snapshot.static_bundle(t.static_rows(), summary, {**INFO, "name": XSS}, 3)
    out = bundle["text/html"]
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert out.startswith('<div class="hw-final-table">') and 'class="dataframe hw-final"' in out
    assert out.count("★") == 1 and re.search("<td>★\u00a02</td>", out)
    assert XSS in bundle["text/plain"] and "★\u00a02" in bundle["text/plain"]


def test_the_static_table_of_a_long_sweep_says_it_shows_the_best() -> None:
    t = table(*(record(i, values=(i / 100,)) for i in range(102)))
    summary = t.summary("Completed", started_at=1.0, ended_at=2.0)
    bundle = _snapshot.static_bundle(t.static_rows(), summary, INFO, 102)
    assert bundle["text/html"].count("<tr") == 1 + _snapshot.STATIC_TOP
    assert "The 25 best of 102 child runs by accuracy" in bundle["text/html"]
    assert "The 25 best of 102 child runs" in bundle["text/plain"]


def test_text_table_and_progress_line() -> None:
    t = table(*(record(i, values=(0.25 * i,)) for i in range(3)))
    summary = t.summary("Completed", started_at=1.0, ended_at=3.0, budget=(3, None))
    text = _snapshot.static_bundle(t.static_rows(), summary, INFO, 3)["text/plain"].splitlines()
    assert text[0] == "[s] Completed: 3/3 finished (Completed 3); best accuracy 0.5 (t2); elapsed 2.0 s"
    assert text[1].split() == [
        "#",
        "run",
        "id",
        "status",
        "lr",
        "kernel",
        "latest",
        "accuracy",
        "best",
        "accuracy",
        "step",
        "duration",
    ]
    assert len(text) == 5 and [line.split()[:2] for line in text[2:]] == [["★", "2"], ["1", "t1"], ["0", "t0"]]


def test_the_text_table_fits_the_width_and_shortens_what_all_rows_share() -> None:
    long_name = "sweep_20261207_150000_abcd"
    params = {"kernel": "x" * 80, **{f"param_{k}": 0.123456 * k for k in range(8)}}
    t = table(
        *(
            TrialRecord(
                id=f"{long_name}_{i}",
                index=i,
                params=params,
                status=TrialStatus.COMPLETED,
                metrics={"accuracy": (0.1 * i,)},
                created_at=100.0,
                started_at=100.0,
                ended_at=101.0,
            )
            for i in range(4)
        )
    )
    summary = t.summary("Completed", started_at=1.0, ended_at=3.0)
    text = _snapshot.static_bundle(
        t.static_rows(), summary, {**INFO, "name": long_name, "param_names": list(t.param_names)}, 4, width=80
    )["text/plain"]
    assert max(len(line) for line in text.splitlines()) <= 80
    table_text = text.split("\n", 2)[2]  # after the progress line (wrapped: it names the best trial in full)
    assert "…_3" in table_text and long_name not in table_text  # ids lose the shared sweep-name prefix
    assert "x" * 29 + "…" in text and "x" * 31 not in text  # long cells are cut
    assert all(f"param_{k}" in text for k in range(8))  # every column is still there, wrapped below


def test_the_static_rows_of_a_short_sweep_are_best_first_then_the_others_in_trial_order() -> None:
    rows = table(
        record(0, values=(0.2,)),
        record(1, TrialStatus.FAILED, values=()),
        record(2, values=(0.9,)),
        record(3, TrialStatus.RUNNING, values=(0.95,)),
        record(4, values=(0.5,)),
    ).static_rows()
    assert [r["index"] for r in rows] == [2, 4, 0, 1, 3]  # a running trial does not compete yet


def test_budget_of_reads_config_and_ignores_missing() -> None:
    from types import SimpleNamespace

    assert _snapshot.budget_of(SimpleNamespace(config=SimpleNamespace(max_total_runs=10, max_duration_minutes=2))) == (
        10,
        120.0,
    )
    assert _snapshot.budget_of(SimpleNamespace()) == (None, None)


def test_the_front_end_draws_every_column_kind() -> None:
    """A column is added in COLUMNS only: js/monitor.js must know how to draw each of its kinds."""
    source = (REPO / "js" / "monitor.js").read_text("utf-8")
    kinds = {kind for _, _, kind in _snapshot.COLUMNS} - {"params"}
    assert all(f'case "{kind}"' in source for kind in kinds | {"param", "actions"})
    assert {kind for _, _, kind in _snapshot.COLUMNS} - {"params", "curve"} <= set(_snapshot._STATIC_CELL)


def test_a_running_trials_row_follows_its_growing_series_and_a_rerun_starts_afresh() -> None:
    table = _snapshot.Table("acc", Goal.MAXIMIZE)
    record = TrialRecord("t_0", 0, {"x": 1}, TrialStatus.RUNNING)
    for value in (0.5, 0.9, float("nan"), 0.7):
        record = record.with_value("acc", value)
        (row,) = table.update([record])
    assert (row["best"], row["latest"], row["step"]) == (0.9, 0.7, 4)
    assert row["curve"] == (0.5, 0.9, None, 0.7)
    rerun = record.replace(metrics={}, steps={}).with_value("acc", 0.1)  # the engine's _rerun: values cleared
    (row,) = table.update([rerun])
    assert (row["best"], row["latest"], row["step"]) == (0.1, 0.1, 1)


def test_a_trials_details_hold_every_metric_with_its_steps_the_whole_error_and_its_files() -> None:
    traceback = "Traceback (most recent call last):\n  File x\n" + "  line\n" * 50 + f"ValueError: {XSS}"
    rec = record(2, TrialStatus.FAILED, values=(0.1, float("nan"), 0.3), error=traceback).replace(
        metrics={"loss": (1.0, 0.5), "accuracy": (0.1, float("nan"), 0.3)}, steps={"accuracy": (10, 20, None)}
    )
    detail = _snapshot.trial_detail(rec, "accuracy", ["outputs/model.joblib", XSS])
    assert list(detail["metrics"]) == ["accuracy", "loss"]  # the primary metric first
    assert detail["metrics"]["accuracy"] == {"steps": [10, 20, 3], "values": [0.1, None, 0.3]}
    assert detail["metrics"]["loss"] == {"steps": [1, 2], "values": [1.0, 0.5]}
    assert detail["error"] == traceback and detail["files"] == ["outputs/model.joblib", XSS]
    assert (detail["type"], detail["id"], detail["status"], detail["n_files"]) == ("trial", "t2", "Failed", 2)
    assert detail["params"] == {"lr": pytest.approx(0.3), "kernel": "rbf"}
    json.dumps(detail, allow_nan=False)
    assert _snapshot.trial_detail(rec, "accuracy")["files"] is None  # the run cannot list files


def test_a_long_series_in_the_details_is_downsampled_with_its_steps() -> None:
    n = _snapshot.MAX_DETAIL_POINTS * 3
    rec = record(0, values=tuple(float(i) for i in range(n)))
    detail = _snapshot.trial_detail(rec, "accuracy")
    series = detail["metrics"]["accuracy"]
    assert len(series["values"]) == _snapshot.MAX_DETAIL_POINTS == len(series["steps"])
    assert (series["steps"][0], series["steps"][-1], series["values"][-1]) == (1, n, float(n - 1))
    assert detail["lengths"] == {"accuracy": n}
