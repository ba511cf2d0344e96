"""``python -m hyperwidget list|show``: the sweep file as a positional argument, and clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from objectives import curve

import hyperwidget as hw
from hyperwidget.__main__ import main


@pytest.fixture
def sweep_file() -> str:
    for name in ("first", "second"):
        hw.run_sweep(
            curve,
            {"x": hw.uniform(0, 1)},
            metric="acc",
            max_total_runs=2,
            backend="sequential",
            storage="sweeps.db",
            name=name,
            seed=0,
        )
    return "sweeps.db"


def test_python_dash_m_lists_the_sweeps_of_a_file_given_as_an_argument(sweep_file: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hyperwidget", "list", sweep_file], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["first", "second"]


def test_list_takes_the_file_as_an_argument_or_an_option(sweep_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["list", "sweeps.db"], ["list", "--storage", "sweeps.db"]):
        assert main(argv) == 0
        assert capsys.readouterr().out.split() == ["first", "second"]


def test_show_takes_the_file_and_the_name_as_arguments(sweep_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, shown in (
        (["show", "sweeps.db"], "second"),  # the newest
        (["show", "sweeps.db", "first"], "first"),
        (["show", "first", "sweeps.db"], "first"),
        (["show", "first", "--storage", "sweeps.db"], "first"),
    ):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"<SweepResults {shown!r} Completed") and f"{shown}_0" in out


def test_the_default_file_is_hyperwidget_db(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 2
    assert "storage='hyperwidget.db': no such sweep file" in capsys.readouterr().err
    hw.run_sweep(curve, {"x": hw.uniform(0, 1)}, metric="acc", max_total_runs=1, backend="sequential", name="d")
    assert main(["list"]) == 0 and capsys.readouterr().out.split() == ["d"]
    assert main(["show", "d"]) == 0 and capsys.readouterr().out.startswith("<SweepResults 'd' Completed")


@pytest.mark.parametrize("command", ["list", "show"])
def test_a_missing_file_is_an_error_that_names_it_and_is_not_created(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "gone.db"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"python -m hyperwidget {command}: error: storage='gone.db': no such sweep file")
    assert "Traceback" not in err and not Path("gone.db").exists()


def test_a_file_that_is_not_a_sweep_file_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    Path("notes.txt").write_text("not a database\n" * 100)
    assert main(["list", "notes.txt"]) == 2
    assert "storage='notes.txt' is not a hyperwidget sweep file" in capsys.readouterr().err


def test_the_file_given_twice_or_too_many_arguments_are_usage_errors(
    sweep_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["list", "sweeps.db", "--storage", "sweeps.db"])
    assert exit_info.value.code == 2 and "the file is given twice" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["list", "sweeps.db", "first"])
    assert "too many arguments" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ browse


def _xy(x: float, y: float) -> float:
    return -((x - 0.3) ** 2) + 1e-9 * y  # only x matters


@pytest.fixture
def browse_file() -> str:
    for name, trials in (("alpha", 14), ("beta", 3)):
        hw.run_sweep(
            _xy,
            {"x": hw.uniform(0, 1), "y": hw.uniform(0, 1)},
            metric="score",
            max_total_runs=trials,
            backend="sequential",
            storage="browse.db",
            name=name,
            seed=1,
            monitor=False,
        )
    return "browse.db"


def test_browse_prints_every_sweep_and_the_importance_of_its_hyperparameters(
    browse_file: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["browse", browse_file]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "2 sweeps in browse.db"
    assert lines[1].split() == ["sweep", "status", "trials", "best", "started", "ended"]
    best = hw.load_sweep("alpha", browse_file).get_best_run_by_primary_metric()
    assert best is not None
    assert lines[2].split()[:5] == ["alpha", "Completed", "14/14", f"{best.best_primary_metric:.4g}", "score"]
    assert lines[3].split()[:3] == ["beta", "Completed", "3/3"]
    alpha = out.index("parameter importance of alpha (score, maximize):")
    first = out[alpha:].splitlines()[1].split()
    assert first[0] == "x" and int(first[-1].rstrip("%")) > 80
    assert "parameter importance of beta (score, maximize):\n  parameter importance needs at least 8" in out


def test_browse_sweep_shows_one_sweeps_importance_and_an_unknown_name_is_an_error(
    browse_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["browse", "--storage", browse_file, "--sweep", "alpha"]) == 0
    out = capsys.readouterr().out
    assert "importance of alpha" in out and "importance of beta" not in out and "beta" in out
    assert main(["browse", browse_file, "--sweep", "gamma"]) == 2
    assert "no sweep named 'gamma'" in capsys.readouterr().err


@pytest.mark.parametrize("columns", [40, 60, 200])
def test_browse_fits_the_terminal_width(
    browse_file: str, columns: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["browse", browse_file]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert any(line.startswith("alpha") for line in lines) and any(line.startswith("beta") for line in lines)
    if columns >= 200:
        assert all("█" * 100 not in line for line in lines[:4]) and any("█" * 100 in line for line in lines)


def test_browse_of_a_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["browse", "nowhere.db"]) == 2
    assert "no sweep file at 'nowhere.db'" in capsys.readouterr().err


def test_demo_table_ranks_by_the_best_value_the_progress_lines_use() -> None:
    """Best values 0.8, 0.5, 0.9 (final 0.8, 0.5, 0.1): ranked 0.9, 0.8, 0.5, in a column named 'best acc'."""
    from objectives import peak_then_drop

    from hyperwidget.__main__ import top_table

    run = hw.run_sweep(
        peak_then_drop,
        {"x": hw.choice(0.2, 0.5, 0.9)},
        metric="acc",
        goal="maximize",
        sampler="grid",
        max_total_runs=3,
        backend="sequential",
        storage=None,
    )
    header, *rows = top_table(run).splitlines()
    assert header.split() == ["run_id", "status", "x", "best", "acc", "final", "acc", "steps"]
    assert [float(row.split()[2]) for row in rows] == [0.9, 0.2, 0.5]
    assert rows[0].split()[0] == run.get_best_run_by_primary_metric().id
    assert [c["run_id"] for c in run.get_children_sorted_by_primary_metric()] == [r.split()[0] for r in rows]


def test_demo_table_puts_a_failed_child_last_whatever_it_logged() -> None:
    from objectives import peak_then_drop

    from hyperwidget.__main__ import top_table

    run = hw.run_sweep(
        peak_then_drop,
        {"x": hw.choice(0.3, 2.0)},  # x=2.0 logs acc=2.0, then raises: a failed child is never "best"
        metric="acc",
        goal="maximize",
        sampler="grid",
        max_total_runs=2,
        backend="sequential",
        storage=None,
    )
    rows = top_table(run).splitlines()[1:]
    assert [r.split()[1] for r in rows] == ["Completed", "Failed"]


def test_the_demo_objective_travels_by_reference_so_workers_load_scikit_learn_before_its_trials() -> None:
    import subprocess as sp

    import cloudpickle

    from hyperwidget._demo import train_digits

    assert len(cloudpickle.dumps(train_digits)) < 200  # a reference to hyperwidget._demo, not the function's code
    loads = "import pickle, sys; pickle.loads(sys.stdin.buffer.read()); print('sklearn' in sys.modules)"
    out = sp.run([sys.executable, "-c", loads], input=cloudpickle.dumps(train_digits), capture_output=True, check=True)
    assert out.stdout.strip() == b"True"  # loading the objective (as an early-started worker does) imports it
