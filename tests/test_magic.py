"""%%sweep driven through a real IPython shell: results in user_ns, errors, help, notebook globals in workers."""

from __future__ import annotations

import _thread
import os
import re
import threading
import time

import pytest
from IPython.core.error import UsageError

from hyperwidget.notebook._cell import CellError
from hyperwidget.notebook.magic import (
    SweepInterrupted,
    SweepMagics,
    TrialsFailedError,
    as_options,
    never_logged_message,
    trim_traceback,
)
from hyperwidget.trial import TrialStatus

QUIET = "--storage none --no-monitor --backend sequential"


def test_declared_space_logged_metric_and_output_variable(ip):
    ip.user_ns["scale"] = 10.0
    ip.run_cell_magic(
        "sweep",
        f"{QUIET} --max-total-runs 5 --seed 3 -o result",
        "lr = uniform(0, 1)\nk = choice(1, 2)\nfor epoch in range(3):\n    log('acc', lr * k * scale * (epoch + 1))\n",
    )
    run = ip.user_ns["result"]
    assert run.status == "Completed" and run.metric == "acc"
    assert len(run.trials) == 5 and all(t.status is TrialStatus.COMPLETED for t in run.trials)
    for t in run.trials:
        assert 0 <= t.params["lr"] <= 1 and t.params["k"] in (1, 2)
        assert t.series("acc") == pytest.approx([t.params["lr"] * t.params["k"] * 10.0 * e for e in (1, 2, 3)])


def test_final_value_is_the_metric_with_goal_and_grid(ip):
    ip.run_cell_magic(
        "sweep",
        f"{QUIET} --goal minimize --sampler grid -o r2",
        "x = choice(-2, -1, 0, 1, 2)\n(x - 1) ** 2\n",
    )
    run = ip.user_ns["r2"]
    assert run.metric == "metric" and len(run.trials) == 5  # max_total_runs defaults to the grid size
    best = run.get_best_run_by_primary_metric()
    assert best.get_hyperparameters()["x"] == 1


def test_space_from_a_notebook_dict_and_policy(ip):
    ip.run_cell("import hyperwidget as hw\nsearch = {'--lr': hw.uniform(0.1, 1.0)}")
    ip.run_cell_magic(
        "sweep",
        f"{QUIET} --space search --max-total-runs 4 --metric loss --goal minimize "
        "--policy 'median(delay_evaluation=2)' -o r3",
        "for step in range(1, 6):\n    log('loss', lr / step)\n",
    )
    run = ip.user_ns["r3"]
    assert type(run.config.policy).__name__ == "MedianStoppingPolicy" and run.config.policy.delay_evaluation == 2
    assert all(0.1 <= t.params["--lr"] <= 1.0 for t in run.trials)


def test_constraints_keep_violating_trials_from_being_best(ip):
    ip.run_cell_magic(
        "sweep",
        f"{QUIET} --sampler grid --metric score --constraint 'size <= 2' --constraint \"size >= 0\" -o rc",
        "k = choice(1, 2, 3)\nlog('size', k)\nlog('score', k * 10)\n",
    )
    run = ip.user_ns["rc"]
    assert [str(c) for c in run.constraints] == ["size <= 2", "size >= 0"]
    assert run.get_best_run_by_primary_metric().get_hyperparameters()["k"] == 2


def test_notebook_globals_reach_loky_worker_processes(ip):
    ip.run_cell(
        "import numpy as np\n"
        "features = np.arange(6.0)\n"
        "def weigh(v, w):\n    return float((v * w).sum())\n"
        "class Config:\n    bias = 0.5\n"
    )
    ip.run_cell_magic(
        "sweep",
        "--storage none --no-monitor --backend loky --max-total-runs 2 --max-concurrent-runs 2 --metric score -o r4",
        "w = uniform(0, 1)\nimport os\nRun.get_context().log('pid', os.getpid())\n"
        "log('score', weigh(features, w) + Config.bias)\n",
    )
    run = ip.user_ns["r4"]
    assert [t.status for t in run.trials] == [TrialStatus.COMPLETED] * 2, [t.error for t in run.trials]
    for t in run.trials:
        assert t.last("score") == pytest.approx(15.0 * t.params["w"] + 0.5)
        assert t.last("pid") != os.getpid()  # really ran in another process


def test_unpicklable_notebook_value_is_named_before_workers_start(ip):
    ip.run_cell("import threading\nguard_lock = threading.Lock()")
    with pytest.raises(CellError, match=r"'guard_lock' cannot be pickled .*--backend threads"):
        ip.run_cell_magic(
            "sweep", "--storage none --no-monitor --backend loky", "w = uniform(0, 1)\nwith guard_lock:\n    v = w\nv\n"
        )
    ip.run_cell_magic(
        "sweep", f"{QUIET} --max-total-runs 1 -o r7", "w = uniform(0, 1)\nwith guard_lock:\n    v = w\nv\n"
    )
    assert ip.user_ns["r7"].trials[0].status is TrialStatus.COMPLETED


def test_failing_cell_stops_after_the_first_failures_with_the_cell_traceback(ip):
    with pytest.raises(TrialsFailedError) as info:
        ip.run_cell_magic(
            "sweep",
            "--storage none --no-monitor --backend threads --max-concurrent-runs 1 --max-total-runs 50 "
            "--metric acc -o r5",
            "lr = uniform(0, 1)\nratio = 1\nacc = ratio / (lr - lr)\nlog('acc', acc)\n",
        )
    run = ip.user_ns["r5"]  # bound even though the cell raised
    failed = [t for t in run.trials if t.status is TrialStatus.FAILED]
    assert len(failed) == 3 and len(run.trials) < 10 and run.status == "Failed"
    rendered = "\n".join(info.value._render_traceback_())
    assert "line 4, in trial" in rendered and "acc = ratio / (lr - lr)" in rendered
    assert "ZeroDivisionError" in rendered and "_worker.py" not in rendered  # engine frames trimmed
    assert "the first 3 trials" in rendered


@pytest.mark.filterwarnings("ignore:trial failed:hyperwidget.errors.HyperwidgetWarning")
def test_metric_missing_at_run_time_fails_fast_with_the_engine_message(ip):
    # the name is computed at run time, so the magic cannot refuse it up front; the first trials tell
    with pytest.raises(TrialsFailedError) as info:
        ip.run_cell_magic(
            "sweep", f"{QUIET} --metric accuracy --max-total-runs 30", "lr = uniform(0, 1)\nlog('ac' + 'c', lr)\n"
        )
    rendered = "\n".join(info.value._render_traceback_())
    assert "the primary metric 'accuracy' was never logged (logged: ['acc'])" in rendered


@pytest.mark.parametrize(
    ("metric", "cell", "message"),
    [
        (
            "acuracy",
            "for epoch in range(3):\n    log('accuracy', lr * epoch)\n",
            "--metric 'acuracy' is never logged by the cell, which logs 'accuracy' (did you mean --metric accuracy?)",
        ),
        (
            "Loss",
            "run = Run.get_context()\nRun.get_context().log_metrics({'loss': -lr})\nrun.log('accuracy', lr)\n",
            "which logs 'loss', 'accuracy' (did you mean --metric loss?)",
        ),
        ("acc", "import numpy\nlog('accuracy', numpy.log(lr))\n", "(did you mean --metric accuracy?)"),
        (
            "f1",
            "log('accuracy', lr)\nlog('loss', -lr)\n",
            "which logs 'accuracy', 'loss'; pass one of these to --metric",
        ),
        ("score", "x = lr * 2\n", "which logs nothing by name; log it with log('score', value)"),
    ],
)
def test_metric_the_cell_never_logs_is_refused_before_any_trial(ip, metric, cell, message):
    ip.user_ns["trials_run"] = []
    with pytest.raises(UsageError, match=re.escape(f"%%sweep: {message}" if "--metric '" in message else message)):
        ip.run_cell_magic("sweep", f"{QUIET} --metric {metric}", f"lr = uniform(0, 1)\ntrials_run.append(lr)\n{cell}")
    assert ip.user_ns["trials_run"] == []


def test_never_logged_message_suggests_a_quoted_name():
    assert never_logged_message("val los", ("val loss",)).endswith("(did you mean --metric 'val loss'?).")


@pytest.mark.parametrize(
    "cell",
    [
        "name = 'accura' + 'cy'\nlog(name, lr)\n",  # a name computed at run time
        "log_accuracy(lr)\ndone = True\n",  # a notebook function that logs
        "log_later()\ndone = True\n",  # a partial of one
        "callbacks['end'](lr)\ndone = True\n",  # one held in a dict
        "report = log\nreport('accuracy', lr)\n",  # hyperwidget's log under another name
        "log('loss', -lr)\nlr\n",  # the value the cell ends with is --metric
    ],
)
def test_metric_is_not_refused_when_the_cell_may_log_it_otherwise(ip, cell):
    ip.run_cell(
        "import functools\nfrom hyperwidget import log\n"
        "def log_accuracy(value):\n    log('accuracy', value)\n"
        "log_later = functools.partial(log_accuracy, 0.5)\n"
        "callbacks = {'end': log_accuracy}\n"
    )
    ip.run_cell_magic("sweep", f"{QUIET} --metric accuracy --max-total-runs 2 -o rm", f"lr = uniform(0, 1)\n{cell}")
    run = ip.user_ns["rm"]
    assert run.status == "Completed" and all(t.last("accuracy") is not None for t in run.trials)


def test_some_failing_configurations_do_not_stop_the_sweep(ip):
    ip.run_cell_magic(
        "sweep",
        f"{QUIET} --sampler grid -o r6",
        "k = choice(1, 'a', 'b', 'c', 2)\n1 / k\n",
    )
    statuses = [t.status for t in ip.user_ns["r6"].trials]
    assert statuses.count(TrialStatus.FAILED) == 3 and statuses.count(TrialStatus.COMPLETED) == 2


def test_engine_messages_are_reworded_as_options():
    message = "a sweep named 's' already exists in 'x.db'; pass resume=True to go on with it"
    assert as_options(message) == "a sweep named 's' already exists in 'x.db'; pass --resume to go on with it"
    assert as_options("got max_total_runs=0.") == "got --max-total-runs 0."


def test_trim_traceback_keeps_the_cell_frames():
    text = (
        'Traceback (most recent call last):\n  File "/x/_worker.py", line 1, in run\n    f()\n'
        '  File "<%%sweep cell ab12cd34>", line 3, in trial\n    1 / 0\nZeroDivisionError: division by zero\n'
    )
    assert trim_traceback(text) == (
        'Traceback (most recent call last):\n  File "<%%sweep cell ab12cd34>", line 3, '
        "in trial\n    1 / 0\nZeroDivisionError: division by zero\n"
    )
    assert trim_traceback("the primary metric 'acc' was never logged") == "the primary metric 'acc' was never logged"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--polcy bandit", r"unrecognized arguments: --polcy"),
        ("--max-total-runs 0", r"argument --max-total-runs: must be an int >= 1, got '0'"),
        ("--policy 'bandit(slack=0.1)'", r"--policy bandit: .*unexpected keyword argument 'slack'"),
        ("--sampler sobel", r"unknown --sampler 'sobel'; choose one of: grid, random, sobol, bayesian"),
        ("--sampler grid", r"--sampler grid: .*'lr'"),
        ("--goal upward", r"unknown --goal 'upward'"),
        ("--backend spark", r"unknown --backend 'spark'"),
        ("--space nowhere", r"--space nowhere: no variable 'nowhere'"),
        ("--resume", r"--resume needs --name"),
        ("--resume --name s", r"--resume cannot continue an in-memory sweep"),
        ("--resume --name s --storage s.db --sampler sobol", r"drop --sampler"),
        (
            "--backend sequential --max-concurrent-runs 2",
            r"--backend sequential runs one trial at a time, but --max-concurrent-runs 2; use --backend loky",
        ),
    ],
)
def test_option_errors_are_usage_errors_naming_the_option(ip, line, message):
    with pytest.raises(UsageError, match=message):
        ip.run_cell_magic("sweep", f"--storage none --no-monitor {line}", "lr = uniform(0, 1)\nlr\n")


def test_ambiguous_metric_asks_for_metric(ip):
    with pytest.raises(UsageError, match=r"give --metric NAME: the cell logs 'acc' and ends with a value"):
        ip.run_cell_magic("sweep", QUIET, "lr = uniform(0, 1)\nlog('acc', lr)\nlr\n")


def test_cell_errors_point_at_the_notebook_line(ip):
    with pytest.raises(CellError) as info:
        ip.run_cell_magic("sweep", QUIET, "lr = uniform(0, 1)\n\nx = [1, 2\n")
    assert info.value.lineno == 4
    with pytest.raises(CellError, match="name 'undefined_data' is not defined") as info:
        ip.run_cell_magic("sweep", QUIET, "lr = uniform(0, 1)\nlen(undefined_data)\n")
    assert info.value.lineno == 3


def test_line_numbers_survive_ipython_transforms(ip):
    cell = "\n\nlr = uniform(0, 1)\n%time x = 1\ny = 1 / (lr - lr)\nlog('m', y)\n"
    with pytest.raises(TrialsFailedError) as info:
        ip.run_cell_magic("sweep", f"{QUIET} --max-total-runs 3", cell)
    rendered = "\n".join(info.value._render_traceback_())
    assert "line 6, in trial" in rendered and "y = 1 / (lr - lr)" in rendered  # IPython dropped the 2 blank lines
    with pytest.raises(CellError) as syntax:
        ip.run_cell_magic("sweep", QUIET, "\n\nlr = uniform(0, 1)\nx = (\n")
    assert syntax.value.lineno == 5


def test_cell_errors_display_without_the_magic_frames(ip, capsys):
    ip.run_cell("%%sweep --storage none --no-monitor\nlr = uniform(0, 1)\nx = (1 +\n")
    out = capsys.readouterr()
    shown = out.out + out.err
    assert "x = (1 +" in shown and "line 3" in shown and "magic.py" not in shown


def test_help_usage_line_reads_as_a_cell_magic(ip, capsys):
    ip.run_cell("%%sweep?")
    shown = capsys.readouterr().out
    assert "  %%sweep [--metric NAME]" in shown and not re.search(r"(?<!%)%sweep \[", shown)
    assert SweepMagics.sweep.__doc__.lstrip(": \n").startswith("%%sweep [--metric NAME]")


def test_interrupt_cancels_binds_the_result_and_stops_the_cell(ip, tmp_path):
    started = tmp_path / "started"
    ip.user_ns["started_marker"] = str(started)

    def interrupt_once_a_trial_ran():
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.6)
        _thread.interrupt_main()

    threading.Thread(target=interrupt_once_a_trial_ran, daemon=True).start()
    result = ip.run_cell(
        "%%sweep --storage intr.db --name intr --no-monitor --backend sequential --max-total-runs 200 --metric m "
        "-o ri\nx = uniform(0, 1)\nimport time, pathlib\npathlib.Path(started_marker).touch()\ntime.sleep(0.1)\n"
        "log('m', x)\n"
    )
    assert isinstance(result.error_in_exec, SweepInterrupted) and isinstance(result.error_in_exec, KeyboardInterrupt)
    run = ip.user_ns["ri"]  # bound before the interrupt surfaced
    assert run.status == "Canceled"
    import hyperwidget as hw

    stored = hw.load_sweep("intr", "intr.db")
    completed = [t for t in stored.trials if t.status is TrialStatus.COMPLETED]
    assert 1 <= len(completed) < 200 and len(stored.trials) == len(run.trials)
    kept = "trial is" if len(completed) == 1 else "trials are"
    assert f"its {len(completed)} completed {kept} kept (the run is in 'ri')" in str(result.error_in_exec)
    # a sweep canceled otherwise (here its time budget) is no interrupt: the cell ends normally
    result = ip.run_cell(
        f"%%sweep {QUIET} --max-duration-minutes 0.005 --max-total-runs 500 -o rs\n"
        "x = uniform(0, 1)\nimport time\ntime.sleep(0.05)\nx\n"
    )
    assert result.success and ip.user_ns["rs"].status == "Canceled"


@pytest.mark.slow
def test_interrupting_a_sweep_cell_in_a_kernel_stops_run_all(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from jupyter_client.manager import KernelManager

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("%load_ext hyperwidget"),
        nbformat.v4.new_code_cell(
            "%%sweep --storage k.db --name k --no-monitor --backend sequential --max-total-runs 500 --metric m -o r\n"
            "x = uniform(0, 1)\nimport pathlib, time\npathlib.Path('started').touch()\ntime.sleep(0.1)\nlog('m', x)\n"
        ),
        nbformat.v4.new_code_cell("import pathlib\npathlib.Path('next cell ran').touch()"),
    ]
    kernel = KernelManager(kernel_name="python3")
    client = nbclient.NotebookClient(notebook, km=kernel, timeout=120, resources={"metadata": {"path": str(tmp_path)}})

    def interrupt_once_a_trial_ran():
        deadline = time.monotonic() + 120
        while not (tmp_path / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
        kernel.interrupt_kernel()

    threading.Thread(target=interrupt_once_a_trial_ran, daemon=True).start()
    with pytest.raises(nbclient.exceptions.CellExecutionError) as info:
        client.execute()
    assert info.value.ename == "SweepInterrupted"
    assert not (tmp_path / "next cell ran").exists() and notebook.cells[2].execution_count is None
    import hyperwidget as hw

    stored = hw.load_sweep("k", tmp_path / "k.db")
    assert stored.status == "Canceled" and any(t.status is TrialStatus.COMPLETED for t in stored.trials)


def test_help_lists_the_options(ip, capsys):
    ip.run_cell("%%sweep?")
    shown = capsys.readouterr().out
    for option in (
        "--metric",
        "--goal",
        "--sampler",
        "--policy",
        "--max-total-runs",
        "--max-concurrent-runs",
        "--backend",
        "--trial-timeout",
        "--max-duration-minutes",
        "--name",
        "--storage",
        "--resume",
        "--space",
        "--constraint",
        "--out",
        "--no-monitor",
        "Declare the hyperparameters at the top",
    ):
        assert option in shown


def test_monitor_text_fallback_prints_progress_and_table(ip, capsys):
    ip.run_cell_magic(
        "sweep", "--storage none --backend sequential --max-total-runs 2 --name shown", "a = uniform(0, 1)\na\n"
    )
    out = capsys.readouterr().out
    assert "[shown] Completed: 2/2 finished" in out


def test_resume_continues_the_stored_sweep(ip, tmp_path):
    db = tmp_path / "sweeps.db"
    body = "a = uniform(0, 1)\na\n"
    ip.run_cell_magic(
        "sweep", f"--storage {db} --no-monitor --backend sequential --max-total-runs 2 --name s1 -o first", body
    )
    before = [t.params for t in ip.user_ns["first"].trials]
    ip.run_cell_magic(
        "sweep",
        f"--storage {db} --no-monitor --backend sequential --max-total-runs 4 --name s1 --resume -o again",
        body,
    )
    trials = ip.user_ns["again"].trials
    assert len(trials) == 4 and [t.params for t in trials[:2]] == before
    assert all(t.status is TrialStatus.COMPLETED for t in trials)


def test_a_cell_trial_saves_to_its_own_output_dir(ip):
    from test_outputs import _check_models

    ip.user_ns.pop("output_dir", None)  # the cell uses the name without importing it, as it uses log
    ip.run_cell_magic(
        "sweep",
        "--storage cells.db --no-monitor --backend threads --sampler grid -o cells",
        "x = choice(0.1, 0.2, 0.3, 0.4)\n(output_dir() / 'model.txt').write_text(repr(x))\nx\n",
    )
    _check_models(ip.user_ns["cells"])


def test_mlflow_option_mirrors_a_cell_that_logs_with_plain_mlflow(ip, tmp_path):
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    ip.run_cell_magic(
        "sweep",
        f"{QUIET} --metric acc --max-total-runs 2 --sampler grid --name mirrored --mlflow {uri} -o result",
        "lr = choice(0.1, 0.2)\nimport mlflow\n"
        "for epoch in range(3):\n    mlflow.log_metric('acc', lr * epoch, step=epoch)\n",
    )
    run = ip.user_ns["result"]
    assert [c.status for c in run.get_children()] == ["Completed"] * 2
    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("mirrored").experiment_id])
    trials = {r.data.params["lr"]: r for r in runs if "mlflow.parentRunId" in r.data.tags}
    assert set(trials) == {"0.1", "0.2"} and len(runs) == 3
    history = client.get_metric_history(trials["0.2"].info.run_id, "acc")
    assert sorted((m.step, m.value) for m in history) == [(0, 0.0), (1, 0.2), (2, 0.4)]
