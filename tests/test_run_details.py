"""Azure's pattern in a real kernel: submit, ``RunDetails(run).show()``, wait; the final table is then in the output."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

CELLS = [
    "import time\nimport hyperwidget as hw\n"
    "def train(x):\n    for i in range(3):\n        hw.log('acc', x + i)\n        time.sleep(0.2)\n",
    "run = hw.start_sweep(train, {'x': hw.uniform(0, 1)}, metric='acc', max_total_runs=4, backend='threads',\n"
    "                     max_concurrent_runs=2, storage=None, name='details')\n"
    "hw.RunDetails(run).show()",
    "run.wait(); print(run.status)",
    # The final table is written by a thread that watches the run: wait for it, however loaded the machine.
    "import threading\n[t.join(30) for t in threading.enumerate() if t.name == 'hyperwidget-final-table']",
]


@pytest.mark.slow
def test_run_details_of_a_running_sweep_leaves_the_final_table(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": tmp_path}})
    client.execute(env=env)
    outputs = notebook.cells[1].outputs
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert html, outputs
    assert "details_3" in html[-1] and "Completed" in html[-1]
    assert "Completed" in "".join(o.get("text", "") for o in notebook.cells[2].outputs)


def _execute(cells: list[str], path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": path}}).execute(
        env=env
    )
    return notebook


@pytest.mark.slow
def test_run_sweep_in_a_notebook_shows_the_live_monitor_unless_told_not_to(tmp_path: Path) -> None:
    notebook = _execute(
        [
            "import hyperwidget as hw\ndef train(x):\n    hw.log('acc', x)\n",
            "run = hw.run_sweep(train, {'x': hw.uniform(0, 1)}, metric='acc', max_total_runs=3, backend='sequential',"
            " storage=None, name='shown')",
            "quiet = hw.run_sweep(train, {'x': hw.uniform(0, 1)}, metric='acc', max_total_runs=3,"
            " backend='sequential', storage=None, monitor=False)",
        ],
        tmp_path,
    )
    shown = notebook.cells[1].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in shown), shown
    assert any("shown_2" in o.get("data", {}).get("text/html", "") for o in shown)
    assert notebook.cells[2].outputs == []


def test_monitor_true_outside_jupyter_prints_progress_and_the_final_table(capsys: pytest.CaptureFixture[str]) -> None:
    import hyperwidget as hw

    run = hw.run_sweep(
        lambda x: x,
        {"x": hw.uniform(0, 1)},
        metric="m",
        max_total_runs=3,
        backend="sequential",
        storage=None,
        name="printed",
        monitor=True,
    )
    out = capsys.readouterr().out
    table = out[out.index("[printed] Completed") :]  # the final table: trial ids without the shared sweep name
    assert run.status == "Completed" and "printed_0" in out and "…_2 Completed" in table
