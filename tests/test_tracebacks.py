"""A failing trial's traceback shows the user's code, from every backend, whatever cloudpickle does.

The ``%%sweep`` cell's trial is sent to worker processes as its source and
recompiled there (see ``CellTrial``), so loky and Dask workers show the cell's
line and text exactly as the threads backend does; hyperwidget's own frames are
left out of what the user sees.
"""

from __future__ import annotations

import pickle
import traceback

import cloudpickle
import pytest
from objectives import divide

import hyperwidget as hw
from hyperwidget.notebook._cell import compile_cell

CELL = "x = choice(0, 1)\nscale = 2\ny = scale / x\ny\n"


def _failed_error(run: hw.SweepRun) -> str:
    failed = [c for c in run.get_children() if c.status == "Failed"]
    assert len(failed) == 1, [(c.status, c.error) for c in run.get_children()]
    return failed[0].error or ""


def _assert_shows_cell_only(text: str, filename: str) -> None:
    assert f'File "{filename}", line 4, in trial' in text, text
    assert "y = scale / x" in text, text
    assert "ZeroDivisionError" in text
    assert "hyperwidget/" not in text, "no internal frames"
    assert "<dynamic-code>" not in text


@pytest.mark.parametrize("backend", ["threads", "loky"])
def test_a_failing_cell_trial_shows_its_cell_line_from_every_local_backend(backend: str) -> None:
    compiled = compile_cell(CELL, {}, magic_line="%%sweep --metric metric")
    run = hw.run_sweep(
        compiled.trial,
        compiled.space,
        metric="metric",
        sampler=hw.GridParameterSampling(compiled.space),
        max_total_runs=2,
        max_concurrent_runs=2,
        backend=backend,
        storage=None,
        monitor=False,
    )
    _assert_shows_cell_only(_failed_error(run), compiled.trial.filename)


@pytest.mark.dask
@pytest.mark.slow
def test_a_failing_cell_trial_shows_its_cell_line_from_a_dask_worker() -> None:
    distributed = pytest.importorskip("distributed")
    compiled = compile_cell(CELL, {}, magic_line="%%sweep --metric metric")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster):
        run = hw.run_sweep(
            compiled.trial,
            compiled.space,
            metric="metric",
            sampler=hw.GridParameterSampling(compiled.space),
            max_total_runs=2,
            max_concurrent_runs=2,
            backend="dask",
            storage=None,
            monitor=False,
        )
    _assert_shows_cell_only(_failed_error(run), compiled.trial.filename)


def test_a_failing_function_trial_shows_the_users_frames_and_none_of_hyperwidgets() -> None:
    run = hw.run_sweep(
        divide,
        {"x": hw.choice(0, 1)},
        metric="metric",
        sampler=hw.GridParameterSampling({"x": hw.choice(0, 1)}),
        max_total_runs=2,
        max_concurrent_runs=2,
        backend="loky",
        storage=None,
        monitor=False,
    )
    text = _failed_error(run)
    assert text.startswith("Traceback (most recent call last):\n")
    assert "objectives.py" in text and "in divide" in text and "1 / x" in text
    assert "hyperwidget/" not in text


def test_a_cell_trial_pickles_its_source_not_a_code_object() -> None:
    """The worker compiles the cell itself: no code object, so no file name for cloudpickle to rewrite."""
    compiled = compile_cell(CELL, {}, magic_line="%%sweep")
    payload = cloudpickle.dumps(compiled.trial)
    import linecache

    linecache.cache.pop(compiled.trial.filename, None)  # as in a fresh worker process
    clone = pickle.loads(payload)
    assert clone.function.__code__.co_filename == compiled.trial.filename
    with pytest.raises(ZeroDivisionError) as info:
        clone(x=0)
    text = "".join(traceback.format_exception(info.value))
    assert f'File "{compiled.trial.filename}", line 4, in trial' in text
    assert "y = scale / x" in text


def test_python_ast_modules_pickle_with_their_line_numbers() -> None:
    """The behaviour the trial's transport relies on, checked directly against this Python."""
    import ast

    module = ast.parse("def trial(**params):\n    return 1 / 0\n")
    ast.increment_lineno(module, 3)
    clone = pickle.loads(pickle.dumps(module))
    assert clone.body[0].body[0].lineno == 5
    code = compile(clone, "<cell>", "exec")
    assert code.co_filename == "<cell>"
