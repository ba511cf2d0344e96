"""The live monitor in a real JupyterLab 4 and Notebook 7, in headless Chromium.

One Jupyter server (it serves both JupyterLab at /lab and Notebook 7 at
/notebooks) and one Chromium for the whole module; each test writes its
notebook, opens it, runs all cells and watches the page. Screenshots go to
``test-artifacts/``. Any JavaScript error on the page fails the test (a widget
whose ES module throws shows nothing and raises no cell error).
Recipe and pitfalls: /work/shared/browser-testing.md.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("playwright.sync_api")

from _lab import (  # noqa: E402 - after the skips
    ARTIFACTS,
    HUGE_SWEEP,
    SETUP,
    TIME_ACTION,
    XSS,
    Page,
    Server,
    median,
    sample_rows_while_running,
)

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.timeout(300)]  # frame-time bounds

API_SWEEP = f"""\
def objective(lr, name):
    for step in range(4):
        time.sleep(0.08)
        log("accuracy", lr * (step + 1) / 4)

space = {{"lr": uniform(0, 1), "name": choice({XSS!r}, "plain")}}
run = run_with_monitor(lambda obs: start_sweep(
    objective, space, metric="accuracy", goal="maximize", max_total_runs=12,
    max_concurrent_runs=1, backend="threads", storage=None, seed=3, observers=obs))
print("DONE", run.status, len(run.trials), run.get_best_run_by_primary_metric().id)
"""

LONG_SWEEP = """\
def slow(lr):
    for step in range(400):
        time.sleep(0.05)
        log("accuracy", lr)

run = run_with_monitor(lambda obs: start_sweep(
    slow, {"lr": uniform(0, 1)}, metric="accuracy", max_total_runs=50, max_concurrent_runs=2,
    backend="threads", storage=None, seed=1, observers=obs))
print("DONE", run.status, len(run.trials))
"""

BIG_SWEEP = """\
big = run_with_monitor(lambda obs: start_sweep(
    lambda lr: lr, {"lr": uniform(0, 1)}, metric="accuracy", max_total_runs=3000,
    backend="sequential", storage=None, seed=4, observers=obs))
print("BIG", big.status, len(big.trials))
"""

MAGIC_SWEEP = """\
%%sweep --metric accuracy --goal maximize --max-total-runs 10 --max-concurrent-runs 1 --backend threads --storage none --seed 2 -o result
x = uniform(0, 1)
label = choice("<b>bold?</b>", "ok")
time.sleep(0.25)
log("accuracy", x)
"""  # noqa: E501 - the %%sweep line takes no continuation


# --------------------------------------------------------------------- tests
def test_table_grows_while_the_cell_runs_best_is_marked_and_values_escaped(browser: Any, server: Server) -> None:
    page = Page(browser, server, "api.ipynb", [SETUP, API_SWEEP])
    try:
        page.run_all()
        page.page.wait_for_selector(".hw-monitor .hw-table tbody tr", timeout=30_000)
        samples = sample_rows_while_running(page, 30, shot="lab-api-running")
        page.wait_done()
        live_counts = sorted({n for n, running in samples if running})
        assert len(live_counts) >= 3, f"the table did not grow while the cell ran: {samples}"
        page.page.wait_for_selector('.hw-monitor[data-sweep-status="Completed"]', timeout=10_000)
        assert page.rows() == 12
        out = page.outputs_text()
        done = next(line for line in out.splitlines() if line.startswith("DONE"))
        _, status, count, best_id = done.split()
        assert (status, count) == ("Completed", "12")
        best = page.page.locator('.hw-monitor tr[data-best="true"]')
        assert best.count() == 1 and best.get_attribute("data-trial-id") == best_id
        assert best_id in page.page.locator(".hw-monitor .hw-best-panel").inner_text()
        # the hyperparameter value is shown as text, never as an element
        texts = page.page.locator(".hw-monitor td.hw-param").all_inner_texts()
        assert XSS in texts
        assert page.page.locator(".hw-monitor img").count() == 0
        # sorting by a column works and marks it
        page.page.locator('.hw-monitor th[data-sort="best"]').click()
        page.page.wait_for_selector('.hw-monitor th[data-sort="best"][aria-sort="descending"]')
        assert page.page.locator(".hw-monitor .hw-table tbody tr").first.get_attribute("data-best") == "true"
        # the static final table is in the output but hidden next to the live monitor
        assert page.page.locator(".hw-final-table").count() == 1
        assert not page.page.locator(".hw-final-table").is_visible()
        page.screenshot("lab-api-final")
        page.check_clean()
        page.page.evaluate("async () => { await window.jupyterapp.commands.execute('docmanager:save'); return true; }")
    finally:
        page.close()
    _check_reopened(browser, server, best_id)


def _check_reopened(browser: Any, server: Server, best_id: str) -> None:
    """The saved notebook, reopened with a new kernel, still shows the final table."""
    saved = nbformat.read(server.root / "api.ipynb", as_version=4)
    assert any("hw-final-table" in o.get("data", {}).get("text/html", "") for o in saved.cells[1].outputs)
    page = Page(browser, server, "api.ipynb", None, wait_kernel=False)
    try:
        table = page.page.wait_for_selector(".hw-final-table", state="visible", timeout=30_000)
        assert XSS in table.inner_text() and table.query_selector("img") is None
        best = page.page.locator(".hw-final-table tbody tr", has_text="★").inner_text()
        assert best_id in best
        page.screenshot("lab-reopened")
        assert not page.dialogs, page.dialogs
    finally:
        page.context.close()


def test_stop_buttons_and_interrupt_end_sweeps_while_the_cell_runs(browser: Any, server: Server) -> None:
    """Cell 2: stop one trial, then the whole sweep. Cell 3: interrupt the kernel."""
    page = Page(browser, server, "stop.ipynb", [SETUP, LONG_SWEEP, LONG_SWEEP.replace("DONE", "DONE2")])
    try:
        page.run_all()
        button = page.page.wait_for_selector(
            '.hw-monitor tr[data-status="Running"] button[data-stop-trial]', timeout=30_000
        )
        trial_id = button.get_attribute("data-stop-trial")
        page.page.locator(f'.hw-monitor button[data-stop-trial="{trial_id}"]').click()
        page.page.wait_for_selector(
            f'.hw-monitor tr[data-trial-id="{trial_id}"][data-status="StoppedEarly"]', timeout=15_000
        )
        assert page.running(), "stopping one trial must not end the sweep"
        page.page.wait_for_function(
            "() => document.querySelectorAll('.hw-monitor tr[data-status=\"Running\"]').length >= 1", timeout=15_000
        )
        page.screenshot("lab-trial-stopped")
        page.page.locator(".hw-monitor .hw-stop-sweep").first.click()
        page.page.wait_for_selector('.hw-monitor[data-sweep-status="Canceled"]', timeout=15_000)
        done = page.page.wait_for_selector(".jp-OutputArea-output:has-text('DONE Canceled')", timeout=15_000)
        assert int(done.inner_text().split()[2]) < 50
        first = page.page.locator(".hw-monitor").first
        statuses = first.locator(".hw-table tbody tr").evaluate_all("rs => rs.map(r => r.dataset.status)")
        assert "Running" not in statuses and "StoppedEarly" in statuses
        page.screenshot("lab-sweep-stopped")
        # cell 3 starts once cell 2 has finished; interrupting the kernel cancels its sweep
        page.page.wait_for_function(
            "() => [...document.querySelectorAll('.hw-monitor')].length === 2 && document.querySelectorAll("
            "'.hw-monitor')[1].querySelectorAll('tr[data-status=\"Running\"]').length > 0",
            timeout=30_000,
        )
        page.page.evaluate("() => { window.jupyterapp.commands.execute('notebook:interrupt-kernel'); }")
        page.wait_done(timeout=30)
        page.page.wait_for_selector(".jp-OutputArea-output:has-text('DONE2 Canceled')", timeout=10_000)
        assert "Interrupted: canceling the sweep" in page.outputs_text()
        page.page.wait_for_function(
            "() => document.querySelectorAll('.hw-monitor')[1].dataset.sweepStatus === 'Canceled'", timeout=10_000
        )
        page.check_clean()
    finally:
        page.close()


def test_sweep_magic_cell_shows_the_monitor(browser: Any, server: Server) -> None:
    page = Page(
        browser,
        server,
        "magic.ipynb",
        [
            "%load_ext hyperwidget\nimport time",
            MAGIC_SWEEP,
            "print('BEST', result.get_best_run_by_primary_metric().id)",
            "from hyperwidget.notebook import RunDetails\nRunDetails(result).show()",
        ],
    )
    try:
        page.run_all()
        page.page.wait_for_selector(".hw-monitor .hw-table tbody tr", timeout=30_000)
        samples = sample_rows_while_running(page, 30, shot="lab-magic-running")
        page.wait_done()
        assert len({n for n, running in samples if running}) >= 2, samples
        page.page.wait_for_selector('.hw-monitor[data-sweep-status="Completed"]', timeout=10_000)
        assert page.rows() == 10
        best_id = next(line for line in page.outputs_text().splitlines() if line.startswith("BEST")).split()[1]
        first = page.page.locator(".hw-monitor").first
        assert first.locator('tr[data-best="true"]').get_attribute("data-trial-id") == best_id
        assert "<b>bold?</b>" in first.locator("td.hw-param").all_inner_texts()
        assert page.page.locator(".hw-monitor td.hw-param b").count() == 0
        # RunDetails(run).show() of the finished run: one more monitor, filled by its snapshot request
        assert page.page.locator(".hw-monitor").count() == 2
        page.page.wait_for_function(
            "() => { const m = document.querySelectorAll('.hw-monitor')[1]; return m && m.dataset.rowCount === '10'"
            " && m.querySelector('tr[data-best=\"true\"]'); }",
            timeout=15_000,
        )
        assert (
            page.page.locator(".hw-monitor").nth(1).locator('tr[data-best="true"]').get_attribute("data-trial-id")
            == best_id
        )
        page.screenshot("lab-magic")
        page.screenshot("lab-rundetails", monitor_index=1)
        _check_dark_theme(page)
        page.check_clean()
    finally:
        page.close()


def _check_dark_theme(page: Page) -> None:
    """In JupyterLab's dark theme the monitor follows the theme: light text on dark backgrounds."""
    page.page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    page.page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=15_000)
    page.page.wait_for_timeout(500)  # the theme's stylesheet applies
    monitor = page.page.locator(".hw-monitor").first
    text = monitor.evaluate(
        "el => { const c = getComputedStyle(el).color.match(/[\\d.]+/g).map(Number);"
        " return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255; }"
    )
    header = monitor.locator(".hw-table thead th").first.evaluate(
        "el => { const c = getComputedStyle(el).backgroundColor.match(/[\\d.]+/g).map(Number);"
        " return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255; }"
    )
    assert text > 0.6 and header < 0.3, (text, header)
    page.screenshot("lab-dark")
    page.page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")


JANK_PROBE = """() => { window.__maxGap = 0; let last = performance.now();
  const tick = (t) => { window.__maxGap = Math.max(window.__maxGap, t - last); last = t; requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""


def test_notebook7_renders_the_live_monitor_and_pages_thousands_of_trials(browser: Any, server: Server) -> None:
    page = Page(browser, server, "nb7.ipynb", [SETUP, API_SWEEP, BIG_SWEEP], kind="notebooks")
    try:
        page.page.evaluate(JANK_PROBE)
        page.run_all()
        page.page.wait_for_selector(".hw-monitor .hw-table tbody tr", timeout=30_000)
        samples = sample_rows_while_running(page, 30)
        page.wait_done()
        assert len({n for n, running in samples if running}) >= 2, samples
        page.page.wait_for_selector('.hw-monitor[data-sweep-status="Completed"]', timeout=10_000)
        big = page.page.locator(".hw-monitor").nth(1)
        page.page.wait_for_function(
            "() => { const m = document.querySelectorAll('.hw-monitor')[1];"
            " return m && m.dataset.sweepStatus === 'Completed' && m.dataset.rowCount === '3000'; }",
            timeout=30_000,
        )
        # the page stayed responsive: no frame took more than half a second
        assert page.page.evaluate("() => window.__maxGap") < 500
        first = page.page.locator(".hw-monitor").first
        assert first.locator(".hw-table tbody tr").count() == 12
        assert first.locator('tr[data-best="true"]').count() == 1
        assert big.locator(".hw-table tbody tr").count() == 50
        assert "rows 1–50 of 3000 (page 1/60)" in big.locator(".hw-page-info").inner_text()
        big.locator('button[data-page="next"]').click()
        page.page.wait_for_function(
            "() => document.querySelectorAll('.hw-monitor')[1].querySelector('.hw-page-info').textContent"
            ".startsWith('rows 51–100')",
            timeout=5_000,
        )
        started = time.monotonic()
        big.locator('th[data-sort="best"]').click()
        page.page.wait_for_function(
            "() => document.querySelectorAll('.hw-monitor')[1]"
            ".querySelector('.hw-table tbody tr').dataset.best === 'true'",
            timeout=5_000,
        )
        assert time.monotonic() - started < 2.0
        page.screenshot("notebook7")
        page.screenshot("notebook7-3000-trials", monitor_index=1)
        page.check_clean()
    finally:
        page.close()


#: Scroll the table from top to bottom over `frames` animation frames; the
#: frame times (requestAnimationFrame deltas, ms) while doing so.
SCROLL_FRAMES = """async (frames) => {
  const wrap = document.querySelector('.hw-monitor .hw-table-wrap');
  const deltas = [];
  let last = await new Promise(requestAnimationFrame);
  for (let i = 1; i <= frames; i++) {
    wrap.scrollTop = (wrap.scrollHeight - wrap.clientHeight) * i / frames;
    const t = await new Promise(requestAnimationFrame);
    deltas.push(t - last);
    last = t;
  }
  return deltas;
}"""


#: Record every frame time (requestAnimationFrame deltas, ms) in window.__frames.
FRAME_PROBE = """() => { window.__frames = []; let last = performance.now();
  const tick = (t) => { window.__frames.push(t - last); last = t; requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""


def test_a_10000_trial_table_scrolls_sorts_and_pages_smoothly(browser: Any, server: Server) -> None:
    """Frame times of a finished 10,000-trial monitor in JupyterLab (numbers in
    test-artifacts/monitor-10k.json; benchmarks/results/monitor_overhead.md quotes them)."""
    page = Page(browser, server, "huge.ipynb", [SETUP, HUGE_SWEEP])
    try:
        page.page.evaluate(FRAME_PROBE)
        page.run_all()
        page.wait_done(timeout=180)
        page.page.wait_for_function(
            "() => { const m = document.querySelector('.hw-monitor');"
            " return m && m.dataset.sweepStatus === 'Completed' && m.dataset.rowCount === '10000'; }",
            timeout=60_000,
        )
        live_frames = page.page.evaluate("() => window.__frames.splice(0)")
        page.page.locator(".hw-monitor").scroll_into_view_if_needed()
        # each interaction three times: the median (the machine is shared), and every time in the result
        sorted_by = "m.querySelector('th[data-sort=\"{0}\"]').getAttribute('aria-sort') === '{1}'"
        steps = {
            "sort by best": [
                ("m.querySelector('th[data-sort=\"best\"]').click()", sorted_by.format("best", d))
                for d in ("descending", "ascending", "descending")
            ],
            "sort by run id (strings)": [
                ("m.querySelector('th[data-sort=\"id\"]').click()", sorted_by.format("id", d))
                for d in ("ascending", "descending", "ascending")
            ],
            "sort by kernel (strings)": [
                ("m.querySelector('th[data-sort=\"param:kernel\"]').click()", sorted_by.format("param:kernel", d))
                for d in ("ascending", "descending", "ascending")
            ],
            "next page (50 rows)": [
                (
                    "m.querySelector('button[data-page=\"next\"]').click()",
                    f"m.querySelector('.hw-page-info').textContent.startsWith('rows {n}–')",
                )
                for n in (51, 101, 151)
            ],
            "next page (100 rows)": [
                (
                    "const s = m.querySelector('.hw-page-size'); s.value = '100'; s.dispatchEvent(new Event('change'))",
                    "m.querySelectorAll('.hw-table tbody tr').length === 100",
                ),
                *[
                    (
                        "m.querySelector('button[data-page=\"next\"]').click()",
                        f"m.querySelector('.hw-page-info').textContent.startsWith('rows {n}–')",
                    )
                    for n in (101, 201, 301)
                ],
            ],
        }
        runs = {name: [page.page.evaluate(TIME_ACTION, list(step)) for step in todo] for name, todo in steps.items()}
        runs["next page (100 rows)"] = runs["next page (100 rows)"][1:]  # after the page-size change
        timings = {name: median(ms) for name, ms in runs.items()}
        frames = page.page.evaluate(SCROLL_FRAMES, 120)
        result = {
            "interaction_ms": {k: round(v, 1) for k, v in timings.items()},
            "interaction_ms_all": {k: [round(v, 1) for v in vs] for k, vs in runs.items()},
            "scroll_frames": len(frames),
            "scroll_frame_ms_median": round(median(frames), 1),
            "scroll_frame_ms_max": round(max(frames), 1),
            "live_frames": len(live_frames),
            "live_frame_ms_median": round(median(live_frames), 1),
            "live_frame_ms_max": round(max(live_frames), 1),
        }
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "monitor-10k.json").write_text(json.dumps(result, indent=2))
        print("10,000-row monitor:", result)
        assert "HUGE Completed 10000" in page.outputs_text()
        assert all(ms < 500 for ms in timings.values()), result
        assert median(frames) < 50 and max(frames) < 500, result
        assert median(live_frames) < 50 and max(live_frames) < 1000, result  # while the sweep ran
        page.screenshot("lab-10000-trials")
        page.check_clean()
    finally:
        page.close()
