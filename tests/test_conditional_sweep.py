"""Nested and conditional spaces end to end: run_sweep on threads, storage and resume, results, plots, the
monitor's rows and tables, a Script's flags and %%sweep."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import hyperwidget as hw
from hyperwidget.errors import SweepConfigError
from hyperwidget.importance import importance_data
from hyperwidget.notebook import _snapshot
from hyperwidget.objective import Script
from hyperwidget.plots import parallel_coordinates_info, plot_parallel_coordinates, slices_info
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

SPACE = {
    "model": hw.choice(
        {"kernel": "rbf", "gamma": hw.loguniform(-9, 0), "C": hw.uniform(0.1, 10)},
        {"kernel": "linear", "C": hw.uniform(0.1, 10)},
    ),
    "optimizer": {"lr": hw.loguniform(-9, -2), "momentum": hw.uniform(0, 0.99)},
    "epochs": 10,
}
received: list[dict] = []


def svm(model: dict, optimizer: dict, epochs: int) -> float:
    received.append({"model": model, "optimizer": optimizer, "epochs": epochs})
    return model["C"] * (model.get("gamma", 0.5)) + optimizer["lr"]


def test_a_function_gets_nested_dicts_and_results_get_flat_columns_with_nan() -> None:
    received.clear()
    run = hw.run_sweep(
        svm, SPACE, metric="acc", max_total_runs=8, seed=3, backend="threads", storage="c.db", name="c", monitor=False
    )
    assert run.status == "Completed" and len(received) == 8
    kernels = {r["model"]["kernel"] for r in received}
    assert kernels == {"rbf", "linear"}
    for params in received:
        assert set(params["model"]) == (
            {"kernel", "gamma", "C"} if params["model"]["kernel"] == "rbf" else {"kernel", "C"}
        )
    assert sorted(c.get_hyperparameters()["model"]["C"] for c in run.get_children()) == sorted(
        r["model"]["C"] for r in received
    )
    frame = run.to_dataframe()
    assert {"model.kernel", "model.gamma", "model.C", "optimizer.lr", "optimizer.momentum", "epochs"} <= set(frame)
    assert "model" not in frame and "optimizer" not in frame
    linear = frame[frame["model.kernel"] == "linear"]
    assert len(linear) and linear["model.gamma"].isna().all() and linear["model.C"].notna().all()
    assert frame.loc[frame["model.kernel"] == "rbf", "model.gamma"].notna().all()

    resumed = hw.resume_sweep("c", svm, "c.db", max_total_runs=11, monitor=False)  # the space, read back
    assert resumed.config.sampler.space == run.config.sampler.space
    assert len(resumed.trials) == 11 and all(t.status is TrialStatus.COMPLETED for t in resumed.trials)


def test_plots_leave_a_gap_for_a_parameter_of_a_branch_not_taken() -> None:
    run = hw.run_sweep(
        svm, SPACE, metric="acc", max_total_runs=8, seed=3, backend="threads", storage=None, monitor=False
    )
    info = parallel_coordinates_info(run)
    gamma = next(a for a in info.axes if a.name == "model.gamma")
    linear = [
        i
        for i, tid in enumerate(info.trial_ids)
        if run.get_child(tid).get_hyperparameters()["model"]["kernel"] == "linear"
    ]
    assert len(info.values) == 8 and linear
    assert all(math.isnan(gamma.positions[i]) for i in linear)
    assert sum(not math.isnan(p) for p in gamma.positions) == 8 - len(linear)
    slices = {s.name: s for s in slices_info(run).slices}
    assert len(slices["model.gamma"].x) == 8 - len(linear) and len(slices["model.C"].x) == 8
    plot_parallel_coordinates(run)  # draws (matplotlib leaves the gap)
    data = importance_data(run)  # one column per leaf; an absent value below the column's lowest
    assert {"model.gamma", "model.C", "optimizer.lr"} <= set(data.names) and "model.gamma" in data.log
    assert "model.kernel" in data.categorical


def record(index: int, params: dict) -> TrialRecord:
    return TrialRecord(
        id=f"t{index}", index=index, params=params, status=TrialStatus.COMPLETED, metrics={"acc": (0.5,)}
    )


def test_monitor_rows_are_flat_and_a_branch_not_taken_is_blank() -> None:
    rbf = record(0, {"model": {"kernel": "rbf", "gamma": 0.01}, "epochs": 10})
    linear = record(1, {"model": {"kernel": "linear"}, "epochs": 10})
    table = _snapshot.Table("acc", Goal.MAXIMIZE)
    rows = table.update([rbf, linear])
    assert list(table.param_names) == ["model.kernel", "model.gamma", "epochs"]
    assert rows[0]["param:model.gamma"] == 0.01 and "param:model.gamma" not in rows[1]
    assert rows[1]["param:model.kernel"] == "linear"
    sweep = {"metric": "acc", "param_names": list(table.param_names)}
    frame = _snapshot.frame(rows, sweep, best_id="t0")
    assert list(frame["model.gamma"]) == ["0.01", ""]
    assert _snapshot.trial_detail(linear, "acc")["params"] == {"model.kernel": "linear", "epochs": 10}


def test_a_script_gets_flat_flags_and_a_template_refuses_a_nested_space(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("pass\n")
    script = Script("train.py", source_directory=str(tmp_path))
    command = script.command({"model": {"kernel": "linear", "C": 2.5}, "epochs": 10})
    assert command[2:] == ["--model.kernel", "linear", "--model.C", "2.5", "--epochs", "10"]
    template = Script.from_command("python train.py --epochs ${{inputs.epochs}}", source_directory=str(tmp_path))
    message = r"command template cannot pass nested .*\(model, optimizer\).*--model.gamma"
    with pytest.raises(SweepConfigError, match=message):
        hw.run_sweep(template, SPACE, metric="acc", max_total_runs=1, storage=None, backend="threads", monitor=False)


def test_sweep_magic_takes_a_nested_space_from_a_variable_or_the_cell(ip) -> None:  # type: ignore[no-untyped-def]
    quiet = "--storage none --no-monitor --backend threads"
    ip.run_cell(
        "import hyperwidget as hw\n"
        "space = {'model': hw.choice({'kernel': 'rbf', 'gamma': hw.uniform(0, 1)}, {'kernel': 'linear'}),"
        " 'opt': {'lr': hw.uniform(0, 1)}}"
    )
    ip.run_cell_magic(
        "sweep",
        f"{quiet} --space space --sampler sobol --max-total-runs 4 -o nested1",
        "model.get('gamma', 1.0) + opt['lr']\n",
    )
    run = ip.user_ns["nested1"]
    assert {t.params["model"]["kernel"] for t in run.trials} == {"rbf", "linear"}
    for t in run.trials:
        assert t.metrics["metric"][-1] == pytest.approx(t.params["model"].get("gamma", 1.0) + t.params["opt"]["lr"])
    ip.run_cell_magic(
        "sweep",
        f"{quiet} --sampler grid -o nested2",
        "model = choice({'kernel': 'rbf', 'gamma': choice(0.1, 0.2)}, {'kernel': 'linear'})\n"
        "opt = {'lr': choice(0.5, 1.0)}\n"
        "model.get('gamma', 1.0) * opt['lr']\n",
    )
    grid = ip.user_ns["nested2"]
    assert len(grid.trials) == 6, "the grid: (2 gammas + linear) x 2 learning rates"


def test_console_progress_prints_flat_names(capsys: pytest.CaptureFixture[str]) -> None:
    hw.run_sweep(svm, SPACE, metric="acc", max_total_runs=3, seed=1, backend="threads", storage=None, monitor=True)
    out = capsys.readouterr().out
    assert "model.kernel=" in out and "model.C=" in out and "optimizer.lr=" in out
