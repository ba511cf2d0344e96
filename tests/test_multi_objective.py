"""Sweeps with several objectives (metric=[...]): settings, storage and resume, front, hypervolume, DataFrame,
stream lines and %%sweep options."""

from __future__ import annotations

import math
import sqlite3
import warnings

import pytest
from IPython.core.error import UsageError

import hyperwidget as hw
from hyperwidget.config import parse_objectives
from hyperwidget.errors import HyperwidgetWarning, SweepConfigError, SweepFileError
from hyperwidget.pareto import hypervolume, non_dominated
from hyperwidget.results import SweepResults
from hyperwidget.sweep import _trial_lines
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

MIN, MAX = Goal.MINIMIZE, Goal.MAXIMIZE
SPACE = {"width": hw.choice(1, 2, 4, 8)}
FAST = {"sampler": "grid", "backend": "threads"}


def width_trade_off(width: int) -> dict[str, float]:
    """Wider is more accurate and larger: every width is on the front of (error, size)."""
    return {"error": 1.0 / width, "size": float(width)}


def record(i: int, status: TrialStatus = TrialStatus.COMPLETED, **metrics: float) -> TrialRecord:
    return TrialRecord(
        id=f"t{i}", index=i, params={"i": i}, status=status, metrics={k: (v,) for k, v in metrics.items()}
    )


# ------------------------------------------------------------------------------ settings
def test_a_list_of_metrics_with_one_goal_for_all_or_one_goal_each() -> None:
    assert parse_objectives(["error", "size"], "min") == (("error", MIN), ("size", MIN))
    assert parse_objectives(["acc", "size"], ["max", "minimize"]) == (("acc", MAX), ("size", MIN))
    assert parse_objectives("acc", "max") == (("acc", MAX),)


@pytest.mark.parametrize(
    ("metric", "goal", "message"),
    [
        (["error", "size"], ["min"], r"goal must have one entry per metric: metric=\['error', 'size'\] has 2"),
        (["error", "error"], "min", r"metric names 'error' more than once.*list each objective once"),
        ([], "min", r"metric must be the non-empty name .* or a list of such names"),
        (["error", ""], "min", r"metric must be the non-empty name"),
        (["error", "size"], ["min", "up"], r"goal\[1\]: unknown goal 'up'"),
    ],
)
def test_bad_objectives_name_the_setting_and_the_fix(metric, goal, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SweepConfigError, match=message):
        hw.run_sweep(width_trade_off, SPACE, metric=metric, goal=goal, storage=None, **FAST)


def test_the_config_carries_every_objective_and_the_sampler_sees_them() -> None:
    run = hw.start_sweep(
        width_trade_off,
        SPACE,
        metric=["error", "size"],
        goal="minimize",
        sampler="grid",
        constraints=["size <= 4"],  # a bound on an objective is allowed: it narrows the front
        backend="threads",
        storage=None,
    ).wait()
    assert (run.config.metric, run.config.goal) == ("error", MIN)
    assert run.config.task.objectives == (("error", MIN), ("size", MIN))
    assert run.config.sampler.task is not None and run.config.sampler.task.is_multi_objective
    assert run.config.to_json()["objectives"] == [["error", "minimize"], ["size", "minimize"]]
    assert run.get_best_run_by_primary_metric().get_hyperparameters() == {"width": 4}  # by error, within size <= 4
    assert sorted(c.get_hyperparameters()["width"] for c in run.pareto_front()) == [1, 2, 4]


# --------------------------------------------------------------------- storage and resume
def test_objectives_survive_the_sweep_file_and_resume_checks_them() -> None:
    settings = dict(metric=["error", "size"], goal=["min", "min"], sampler="grid", backend="threads")
    hw.run_sweep(width_trade_off, SPACE, name="mo", storage="s.db", **settings)
    loaded = hw.load_sweep("mo", "s.db")
    assert loaded.objectives == (("error", MIN), ("size", MIN)) and loaded.is_multi_objective
    assert len(loaded.pareto_front()) == 4

    resumed = hw.resume_sweep("mo", width_trade_off, "s.db", max_total_runs=4)
    assert resumed.objectives == loaded.objectives and resumed.config.task.is_multi_objective

    again = hw.run_sweep(width_trade_off, SPACE, name="mo", storage="s.db", if_exists="resume", **settings)
    assert len(again.trials) == 4
    with pytest.raises(SweepConfigError, match=r"differs from this call in objectives \(stored \[\['error'"):
        hw.run_sweep(
            width_trade_off,
            SPACE,
            name="mo",
            storage="s.db",
            if_exists="resume",
            **{**settings, "metric": ["error", "width"]},
        )


def test_a_sweep_file_written_before_objectives_still_loads_and_resumes() -> None:
    hw.run_sweep(width_trade_off, SPACE, metric="error", goal="min", name="old", storage="s.db", **FAST)
    with sqlite3.connect("s.db") as db:  # the form written before sweeps had several objectives
        (text,) = db.execute("SELECT config FROM sweeps WHERE name = 'old'").fetchone()
        db.execute("UPDATE sweeps SET config = ? WHERE name = 'old'", (text.replace('"objectives"', '"x_unused"'),))
    loaded = hw.load_sweep("old", "s.db")
    assert loaded.objectives == (("error", MIN),) and not loaded.is_multi_objective
    run = hw.run_sweep(
        width_trade_off, SPACE, metric="error", goal="min", name="old", storage="s.db", if_exists="resume", **FAST
    )
    assert run.objectives == (("error", MIN),)


def test_a_damaged_objectives_field_is_named() -> None:
    hw.run_sweep(width_trade_off, SPACE, metric=["error", "size"], goal="min", name="mo", storage="s.db", **FAST)
    with sqlite3.connect("s.db") as db:
        (text,) = db.execute("SELECT config FROM sweeps WHERE name = 'mo'").fetchone()
        db.execute("UPDATE sweeps SET config = ? WHERE name = 'mo'", (text.replace('["size"', "[7"),))
    with pytest.raises(SweepFileError, match=r"field 'config.objectives'"):
        hw.load_sweep("mo", "s.db")


# ------------------------------------------------------------------------ front and volume
FRONT_TRIALS = [
    record(0, error=0.1, size=8.0),
    record(1, error=0.2, size=4.0),
    record(2, error=0.3, size=2.0),
    record(3, error=0.3, size=6.0),  # dominated by 2
    record(4, status=TrialStatus.FAILED, error=0.0, size=0.0),  # failed: never on the front
    record(5, error=0.05),  # no size: not eligible, not failed
]


def results(trials: list[TrialRecord], objectives=(("error", MIN), ("size", MIN))) -> SweepResults:  # type: ignore[no-untyped-def]
    return SweepResults("s", objectives[0][0], objectives[0][1], trials, objectives=objectives)


def test_pareto_front_defaults_to_the_sweep_objectives() -> None:
    run = results(FRONT_TRIALS)
    assert [c.id for c in run.pareto_front()] == ["t0", "t1", "t2"]
    assert repr(run).endswith("best error=0.05 (t5), Pareto front of 3>")
    assert [c.id for c in run.pareto_front({"error": "max", "size": "max"})] == ["t0", "t3"]
    single = results(FRONT_TRIALS, objectives=(("error", MIN),))
    with pytest.raises(SweepConfigError, match=r"has one objective \('error'\): pass the metrics of the front"):
        single.pareto_front()


def test_hypervolume_of_two_objectives_by_hand() -> None:
    run = results(FRONT_TRIALS)
    # rectangles under the staircase to (0.5, 10): (0.5-0.1)*(10-8) + (0.5-0.2)*(8-4) + (0.5-0.3)*(4-2)
    assert run.hypervolume({"error": 0.5, "size": 10.0}) == pytest.approx(0.8 + 1.2 + 0.4)
    # default reference: worst eligible value + 10 % of the range: error 0.3 + 0.02, size 8 + 0.6
    assert run.hypervolume_reference() == pytest.approx({"error": 0.32, "size": 8.6})
    assert run.hypervolume() == pytest.approx(0.22 * 0.6 + 0.12 * 4.0 + 0.02 * 2.0)
    assert run.hypervolume({"error": 0.1, "size": 100.0}) == 0.0  # nobody strictly better than the reference


def test_hypervolume_with_a_maximized_objective_and_three_objectives() -> None:
    maxi = results([record(0, acc=0.9, size=4.0), record(1, acc=0.8, size=1.0)], (("acc", MAX), ("size", MIN)))
    # losses (-0.9, 4), (-0.8, 1) against (-0.5, 5): 0.4 * 1 + 0.3 * 3
    assert maxi.hypervolume({"acc": 0.5, "size": 5.0}) == pytest.approx(0.4 * 1 + 0.3 * 3)
    three = results(
        [record(0, a=1.0, b=2.0, c=3.0), record(1, a=2.0, b=1.0, c=1.0), record(2, a=3.0, b=3.0, c=3.0)],
        (("a", MIN), ("b", MIN), ("c", MIN)),
    )
    # boxes to (4, 4, 4): 3*2*1 = 6 and 2*3*3 = 18, overlapping in 2*2*1 = 4; the third is dominated
    assert three.hypervolume({"a": 4.0, "b": 4.0, "c": 4.0}) == pytest.approx(6 + 18 - 4)
    with pytest.raises(SweepConfigError, match=r"must give a value for each objective, \['a', 'b', 'c'\]"):
        three.hypervolume({"a": 4.0, "b": 4.0})


def test_pareto_maths_on_plain_points() -> None:
    assert non_dominated([(2, 2), (1, 3), (3, 1), (3, 3), (1, 3)]) == [0, 1, 2, 4]
    assert hypervolume([(1, 3), (2, 2), (3, 1), (3, 3)], (4, 4)) == pytest.approx(6.0)
    assert hypervolume([(0, 0, 0)], (1, 2, 3)) == pytest.approx(6.0)
    assert hypervolume([], (1, 1)) == 0.0


@pytest.mark.parametrize("dimensions", [2, 3, 4])
def test_pareto_maths_match_brute_force_on_random_integer_points(dimensions: int) -> None:
    import itertools
    import random

    rng = random.Random(dimensions)
    cells = list(itertools.product(range(6), repeat=dimensions))  # unit cells [c, c + 1) up to the reference 6
    for _ in range(15):
        points = [tuple(rng.randrange(6) for _ in range(dimensions)) for _ in range(rng.randrange(13))]
        covered = sum(any(all(p <= c for p, c in zip(point, cell, strict=True)) for point in points) for cell in cells)
        assert hypervolume(points, (6,) * dimensions) == covered
        dominated = {
            i for i, p in enumerate(points) for q in points if q != p and all(a <= b for a, b in zip(q, p, strict=True))
        }
        assert non_dominated(points) == [i for i in range(len(points)) if i not in dominated]


def test_dataframe_marks_front_members_of_a_multi_objective_sweep_only() -> None:
    frame = results(FRONT_TRIALS).to_dataframe()
    assert dict(zip(frame["run_id"], frame["pareto"], strict=True)) == {
        "t0": True,
        "t1": True,
        "t2": True,
        "t3": False,
        "t4": False,
        "t5": False,
    }
    assert "best_error" in frame  # the "best" column stays the primary metric's
    assert "pareto" not in results(FRONT_TRIALS, objectives=(("error", MIN),)).to_dataframe()


# ---------------------------------------------------------------------- engine and output
def test_a_trial_without_a_secondary_objective_completes_off_the_front_with_one_warning() -> None:
    def sometimes_sized(width: int) -> dict[str, float]:
        return {"error": 1.0 / width, **({"size": float(width)} if width > 2 else {})}

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = hw.run_sweep(
            sometimes_sized,
            SPACE,
            metric=["error", "size"],
            goal="min",
            sampler="grid",
            storage=None,
            backend="threads",
        )
    said = [str(w.message) for w in caught if issubclass(w.category, HyperwidgetWarning)]
    assert len(said) == 1 and "without logging the objective 'size'" in said[0] and "Pareto front" in said[0]
    assert all(t.status is TrialStatus.COMPLETED for t in run.trials)
    assert sorted(c.get_hyperparameters()["width"] for c in run.pareto_front()) == [4, 8]
    assert run.get_best_run_by_primary_metric().get_hyperparameters() == {"width": 8}


def test_stream_lines_show_every_objective() -> None:
    done = record(3, error=0.25, size=4.0).replace(started_at=1.0, ended_at=2.0)
    lines = _trial_lines(done, {}, "error", ["size"])
    assert lines[-1] == "t3 Completed error=0.25 size=4"


# ------------------------------------------------------------------------------ %%sweep
def test_sweep_magic_takes_several_metrics_and_goals(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell_magic(
        "sweep",
        "--storage none --no-monitor --backend sequential --sampler grid --metric error,size --goal min,min -o mo",
        "width = choice(1, 2, 4)\nlog('error', 1 / width)\nlog('size', width)\n",
    )
    run = ip.user_ns["mo"]
    assert run.objectives == (("error", MIN), ("size", MIN)) and len(run.pareto_front()) == 3
    with pytest.raises(UsageError, match=r"--metric 'error,' has an empty name"):
        ip.run_cell_magic("sweep", "--storage none --no-monitor --metric error,", "w = choice(1, 2)\nlog('error', w)\n")
    with pytest.raises(UsageError, match=r"--metric 'sise' is never logged by the cell.*did you mean --metric size"):
        ip.run_cell_magic(
            "sweep",
            "--storage none --no-monitor --metric error,sise",
            "w = choice(1, 2)\nlog('error', w)\nlog('size', w)\n",
        )
    assert math.isfinite(run.hypervolume())


# --------------------------------------------------------------------------- the monitor
def test_monitor_table_marks_the_front_as_trials_finish_and_shows_every_objective() -> None:
    from hyperwidget.notebook import _snapshot

    table = _snapshot.Table("error", MIN, objectives=(("error", MIN), ("size", MIN)))
    first = [record(0, error=0.3, size=6.0), record(1, error=0.1, size=8.0), record(2, error=0.05)]
    rows = {r["id"]: r for r in table.update(first)}
    assert rows["t0"]["obj:size"] == 6.0 and rows["t2"]["obj:size"] is None
    assert rows["t0"].get("front") and rows["t1"].get("front") and "front" not in rows["t2"]
    changed = {r["id"]: r for r in table.update([record(3, error=0.2, size=4.0)])}  # dominates t0
    assert set(changed) == {"t3", "t0"} and "front" not in changed["t0"] and changed["t3"]["front"]
    front = table.summary("Running", 0.0, now=1.0)["front"]
    assert front["objectives"] == [["error", "minimize"], ["size", "minimize"]]
    assert (front["size"], front["eligible"]) == (2, 3)
    assert sorted(map(tuple, front["points"])) == [
        (0.1, 8.0, True, "t1"),
        (0.2, 4.0, True, "t3"),
        (0.3, 6.0, False, "t0"),
    ]
    info = _snapshot.sweep_info(None, "error", MIN, ["i"], table.objectives)
    assert ["obj:size", "size", "number"] in info["columns"] and info["objectives"][1] == ["size", "minimize"]
    summary = table.summary("Completed", 0.0, 1.0)
    text = _snapshot.static_bundle(table.static_rows(), summary, info, 4)["text/plain"]
    shown = _snapshot.frame(table.static_rows(), info, summary["best_id"])
    marks = dict(zip(shown["run id"], shown["#"], strict=True))
    assert marks == {"t2": "★\u00a02", "t1": "◆\u00a01", "t3": "◆\u00a03", "t0": "0"}  # t2: best error, no size
    assert "Pareto front ◆ 2 of 3" in text.splitlines()[0]


def test_single_objective_monitor_data_are_unchanged() -> None:
    from hyperwidget.notebook import _snapshot

    table = _snapshot.Table("error", MIN, objectives=(("error", MIN),))
    rows = table.update([record(0, error=0.3, size=6.0)])
    assert "front" not in table.summary("Running", 0.0) and not any(k.startswith("obj:") for k in rows[0])
    info = _snapshot.sweep_info(None, "error", MIN, ["i"], (("error", MIN),))
    assert "objectives" not in info and info["columns"] == [list(c) for c in _snapshot.COLUMNS]


def test_the_monitor_follows_a_multi_objective_run_and_plots_default_to_its_objectives() -> None:
    from hyperwidget.notebook.monitor import SweepMonitor
    from hyperwidget.plots import pareto_front_info

    run = hw.run_sweep(width_trade_off, SPACE, metric=["error", "size"], goal="min", storage=None, **FAST)
    monitor = SweepMonitor().follow(run)
    assert monitor.sweep["objectives"] == [["error", "minimize"], ["size", "minimize"]]
    assert monitor.current_summary()["front"]["size"] == 4
    assert all(r["front"] and r["obj:size"] == r["param:width"] for r in monitor.current_rows())
    info = pareto_front_info(run)
    assert (info.x_metric, info.y_metric, len(info.front)) == ("error", "size", 4)


def test_console_lines_show_every_objective_and_the_front() -> None:
    import io

    from hyperwidget.console import ConsoleProgress

    out = io.StringIO()
    hw.run_sweep(
        width_trade_off,
        SPACE,
        metric=["error", "size"],
        goal="min",
        storage=None,
        observers=[ConsoleProgress(out, 0)],
        **FAST,
    )
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("minimize 'error', minimize 'size'")
    assert any("error=0.5 size=2" in line for line in lines)
    assert lines[-1].startswith("Pareto front: 4 trials (")
