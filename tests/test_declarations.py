"""Degenerate declarations are refused when declared, and values reach the parameter they name."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import hyperwidget as hw
from hyperwidget import SearchSpaceError, SweepConfigError
from hyperwidget.names import escape_control, kwarg_name
from hyperwidget.objective import Script


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (
            lambda: hw.loguniform(-800, -750),
            r"loguniform\(min_value=-800, max_value=-750\): exp\(min_value\) "
            r"underflows.*min_value must be >= -708",
        ),
        (lambda: hw.uniform(-1e308, 1e308), r"max_value - min_value overflows a float.*narrow the range"),
        (lambda: hw.normal(0, 1e308), r"normal\(mu=0, sigma=1e\+308\): sigma is too large.*use sigma below"),
        (lambda: hw.lognormal(0, 1e308), r"sigma is too large"),
        (lambda: hw.qloguniform(0, 1, 10), r"every value rounds to 0 .*use a smaller q, or choice\(0\)"),
        (lambda: hw.quniform(0, 0.1, 1), r"every value rounds to 0.0 .*use a smaller q"),
        (lambda: hw.quniform(0, 1e300, 1e-300), r"q=1e-300 is too small.*use a larger q"),
    ],
)
def test_degenerate_expressions_are_refused_when_declared(declare, message) -> None:
    with pytest.raises(SearchSpaceError, match=message):
        declare()


def test_sane_neighbours_of_the_degenerate_ones_are_accepted() -> None:
    assert 0 < hw.loguniform(-700, -690).from_unit(0.5) < 1e-299
    assert hw.uniform(-1e307, 1e307).from_unit(1.0) == 1e307
    assert len(hw.qloguniform(0, 3, 10).grid_values()) == 3  # 0, 10, 20
    assert hw.quniform(0, 1e6, 1e-6).from_unit(0.5) == 5e5


@pytest.mark.parametrize("metric", ["acc\nloss", "   ", "acc\x1b[2J"])
def test_blank_or_multi_line_metric_names_are_refused(metric: str) -> None:
    with pytest.raises(SweepConfigError, match=r"metric must be the name the trial logs.*without newlines"):
        hw.run_sweep(lambda x: x, {"x": hw.uniform(0, 1)}, metric=metric, storage=None)


@pytest.mark.parametrize("name", ["../../escape", "..", "a/b", "a\\b", "x\ny", "\x1b[31mred", " padded "])
def test_sweep_names_that_escape_the_runs_folder_are_refused(name: str) -> None:
    with pytest.raises(SweepConfigError, match=r"cannot name a sweep.*e\.g\. name='lr_search_1'"):
        hw.run_sweep(lambda x: x, {"x": hw.uniform(0, 1)}, metric="m", name=name, storage=None)
    with pytest.raises(SweepConfigError, match="cannot name a sweep"):
        hw.resume_sweep(name, lambda x: x, storage="none.db")


def test_names_that_collide_as_keywords_are_refused() -> None:
    with pytest.raises(SearchSpaceError, match=r"'batch-size' and 'batch_size' are the same keyword 'batch_size'"):
        hw.SearchSpace({"batch-size": hw.choice(16, 32), "batch_size": hw.choice(1, 2)})
    with pytest.raises(SearchSpaceError, match=r"'lambda' and 'lambda_' are the same keyword 'lambda_'"):
        hw.SearchSpace({"lambda": hw.uniform(0, 1), "lambda_": 0.5})


@pytest.mark.parametrize("name", ["lr=0.1", "lr 2", "lr\t", "a\nb"])
def test_names_that_break_a_command_line_are_refused(name: str) -> None:
    with pytest.raises(SearchSpaceError, match=r"may hold no '=', whitespace or control characters.*rename it"):
        hw.SearchSpace({name: hw.choice(1, 2)})


def test_a_python_keyword_reaches_its_underscored_parameter() -> None:
    assert kwarg_name("lambda") == "lambda_" and kwarg_name("--batch-size") == "batch_size"
    seen: list[float] = []

    def f(lambda_: float, alpha: float) -> float:
        seen.append(lambda_)
        return lambda_ + alpha

    run = hw.run_sweep(
        f, {"lambda": hw.choice(0.25), "alpha": 1.0}, metric="m", max_total_runs=1, backend="sequential", storage=None
    )
    assert seen == [0.25] and run.get_best_run_by_primary_metric().best_primary_metric == 1.25


def test_values_starting_with_a_dash_reach_an_argparse_script(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(
        textwrap.dedent("""
        import argparse
        from hyperwidget import Run
        parser = argparse.ArgumentParser()
        parser.add_argument("--mode")
        parser.add_argument("--shift", type=float)
        args = parser.parse_args()
        Run.get_context().log("m", len(args.mode) + args.shift)
        print("MODE", args.mode)
    """)
    )
    script = Script("train.py", source_directory=str(tmp_path))
    assert script.command({"mode": "-h", "shift": -1.5})[2:] == ["--mode=-h", "--shift", "-1.5"]
    run = hw.run_sweep(
        script,
        {"mode": hw.choice("-h", "--v=x"), "shift": -1.0},
        metric="m",
        max_total_runs=2,
        backend="sequential",
        storage=None,
        sampler=hw.GridParameterSampling({"mode": hw.choice("-h", "--v=x"), "shift": -1.0}),
    )
    assert sorted(c.best_primary_metric for c in run.get_children()) == [1.0, 4.0]


def test_control_characters_are_escaped_for_the_terminal() -> None:
    assert escape_control("a\x1b[2Jb\u202ec") == "a\\x1b[2Jb\\u202ec"
    assert escape_control("line\nnext\ttab") == "line\nnext\ttab"
