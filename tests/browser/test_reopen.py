"""A saved notebook, reopened, shows one coherent final view of a sweep (JupyterLab 4 and Notebook 7).

Two Jupyter servers: one with the default settings (widget state is not saved:
the monitor's output comes back as "Error displaying widget: model not found"),
one that saves widget state (the monitor comes back from that state, without
its rows and without a kernel behind it). Either way the reopened cell must show
the static final table and nothing that contradicts it: no error line, no empty
monitor beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("playwright.sync_api")

from _lab import ARTIFACTS, CHROMIUM, SETUP, XSS, Page, Server  # noqa: E402 - after the skips

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.timeout(300)]  # frame-time bounds

SAVE_WIDGET_STATE = {"@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings": {"saveState": True}}
ERROR_LINE = "Error displaying widget"

SWEEP = f"""\
def objective(lr, name):
    for step in range(3):
        time.sleep(0.05)
        log("accuracy", lr * (step + 1) / 3)

run = run_with_monitor(lambda obs: start_sweep(
    objective, {{"lr": uniform(0, 1), "name": choice({XSS!r}, "plain")}}, metric="accuracy",
    max_total_runs=8, max_concurrent_runs=1, backend="threads", storage=None, seed=5, observers=obs))
print("DONE", run.status, run.get_best_run_by_primary_metric().id)
"""


@pytest.fixture(scope="module")
def saving_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A Jupyter server whose notebooks save their widget state (JupyterLab's setting, off by default)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    srv = Server(tmp_path_factory.mktemp("jupyter-saving"), settings=SAVE_WIDGET_STATE)
    try:
        yield srv
    finally:
        srv.stop()


def _run_and_save(browser: Any, server: Server, name: str, kind: str) -> str:
    """Run the sweep notebook to its end, save it, shut its kernel down; the best trial's id."""
    page = Page(browser, server, name, [SETUP, SWEEP], kind=kind)
    try:
        page.run_all()
        page.wait_done()
        page.page.wait_for_selector('.hw-monitor[data-sweep-status="Completed"]', timeout=10_000)
        assert page.page.locator(".hw-monitor").is_visible()  # live: the monitor, not the table
        assert not page.page.locator(".hw-final-table").is_visible()
        page.check_clean()
        page.page.evaluate("async () => { await window.jupyterapp.commands.execute('docmanager:save'); }")
        page.page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=10_000)
        done = next(line for line in page.outputs_text().splitlines() if line.startswith("DONE"))
        return done.split()[2]
    finally:
        page.close()


def _check_one_view(browser: Any, server: Server, name: str, kind: str, best_id: str, *, state_saved: bool) -> None:
    """Reopen ``name``: the final table is the one visible view of the sweep."""
    saved = nbformat.read(server.root / name, as_version=4)
    assert ("widgets" in saved.metadata) is state_saved
    page = Page(browser, server, name, None, kind=kind, wait_kernel=False)
    try:
        table = page.page.wait_for_selector(".hw-final-table", state="visible", timeout=30_000)
        if state_saved:  # the monitor came back from the saved state, found no kernel, and stepped aside
            page.page.wait_for_selector(".hw-monitor.hw-saved-view", state="attached", timeout=15_000)
        else:  # the widget manager gave up on the model: its error line is there, hidden
            page.page.wait_for_selector(f"text={ERROR_LINE}", state="attached", timeout=15_000)
        best = page.page.locator(".hw-final-table tbody tr", has_text="★").inner_text()
        assert table.is_visible() and best_id in best
        assert XSS in table.inner_text() and table.query_selector("img") is None
        visible = page.page.evaluate(
            "() => [...document.querySelectorAll('.jp-OutputArea-child')]"
            ".filter(c => c.offsetParent !== null).map(c => c.innerText.trim()).filter(t => t)"
        )
        assert not any(ERROR_LINE in text for text in visible), visible
        assert page.page.locator(".hw-monitor").filter(visible=True).count() == 0
        # the cell's visible outputs: the table (with its progress line) and the printed DONE line
        assert len(visible) == 2 and visible[1].startswith("DONE"), visible
        table.scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        shot = f"reopened-{kind.split('/')[0]}-{'state' if state_saved else 'default'}.png"
        page.page.screenshot(path=str(ARTIFACTS / shot))
        assert not page.dialogs, page.dialogs
    finally:
        page.context.close()


@pytest.mark.parametrize("kind", ["lab/tree", "notebooks"])
def test_a_reopened_notebook_saved_with_default_settings_shows_only_the_final_table(
    browser: Any, server: Server, kind: str
) -> None:
    name = f"default-{kind.split('/')[0]}.ipynb"
    best_id = _run_and_save(browser, server, name, kind)
    _check_one_view(browser, server, name, kind, best_id, state_saved=False)


@pytest.mark.parametrize("kind", ["lab/tree", "notebooks"])
def test_a_reopened_notebook_saved_with_widget_state_shows_only_the_final_table(
    browser: Any, saving_server: Server, kind: str
) -> None:
    name = f"state-{kind.split('/')[0]}.ipynb"
    best_id = _run_and_save(browser, saving_server, name, kind)
    _check_one_view(browser, saving_server, name, kind, best_id, state_saved=True)
