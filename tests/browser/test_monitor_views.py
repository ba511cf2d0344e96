"""The monitor's views in a real JupyterLab 4 (and Notebook 7), in headless Chromium:
the default order keeps running trials in view, row details, charts and brushing.

One Jupyter server and one Chromium for the whole module (fixtures in
``conftest.py``, scaffolding in ``_lab.py``); any JavaScript error on the page
fails a test. Screenshots go to ``test-artifacts/``.
Recipe and pitfalls: /work/shared/browser-testing.md.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from typing import Any

import pytest

pytest.importorskip("nbformat")
pytest.importorskip("playwright.sync_api")

from _lab import ARTIFACTS, HUGE_SWEEP, REPO, SETUP, TIME_ACTION, XSS, Page, Server, median

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.timeout(300)]  # frame-time bounds

#: 60 trials, 2 at a time; each logs 6 values with a step; the ones with lr > 0.85
#: fail with an error naming their (possibly hostile) name; each writes one output file.
SWEEP_60 = f"""\
import json
from hyperwidget import output_dir

def objective(lr, name):
    (output_dir() / "model.txt").write_text(name)
    for step in range(6):
        time.sleep(0.05)
        log("accuracy", lr * (step + 1) / 6, step=10 * (step + 1))
        log("loss", 1 - lr * (step + 1) / 6)
        if lr > 0.85 and step == 2:
            raise ValueError(f"diverged: {{name}}")

space = {{"lr": uniform(0, 1), "name": choice({XSS!r}, "plain")}}
run = run_with_monitor(lambda obs: start_sweep(
    objective, space, metric="accuracy", goal="maximize", max_total_runs=60,
    max_concurrent_runs=2, backend="threads", storage=None, seed=11, observers=obs))
print("DONE", run.status, len(run.trials))
print("TRIALS", json.dumps({{t.id: [t.params["lr"], t.status.value, t.params["name"]] for t in run.trials}}))
"""

#: Per sample: whether every running row lies inside the visible part of the table box.
RUNNING_IN_VIEW = """() => {
  const m = document.querySelector('.hw-monitor');
  const wrap = m.querySelector('.hw-table-wrap').getBoundingClientRect();
  const head = m.querySelector('.hw-table thead').getBoundingClientRect();
  const running = [...m.querySelectorAll('.hw-table tbody tr[data-status="Running"]')];
  const finished = [...m.querySelectorAll('.hw-table tbody tr')]
    .filter(tr => !['Running', 'Queued'].includes(tr.dataset.status)).length;
  const inView = running.map(tr => { const r = tr.getBoundingClientRect();
    return r.top >= head.bottom - 1 && r.bottom <= wrap.bottom + 1; });
  return {running: running.length, finished, inView, scrollTop: m.querySelector('.hw-table-wrap').scrollTop,
          rows: m.querySelectorAll('.hw-table tbody tr').length};
}"""


def _trials(page: Page) -> dict[str, Any]:
    line = next(line for line in page.outputs_text().splitlines() if line.startswith("TRIALS "))
    return dict(json.loads(line[len("TRIALS ") :]))


def test_running_trials_stay_in_view_and_a_row_opens_its_details(browser: Any, server: Server) -> None:
    page = Page(browser, server, "views60.ipynb", [SETUP, SWEEP_60])
    try:
        page.run_all()
        page.page.wait_for_selector(".hw-monitor .hw-table tbody tr", timeout=30_000)
        # mid-sweep: once 25+ trials have finished (more rows than fit the 480 px box),
        # every running row is inside the visible part of the box, without scrolling
        samples = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and page.running():
            sample = page.page.evaluate(RUNNING_IN_VIEW)
            if sample["finished"] >= 25 and sample["running"] >= 1:
                samples.append(sample)
                if len(samples) >= 10:
                    break
            time.sleep(0.1)
        assert len(samples) >= 5, f"too few samples with 25+ finished trials: {samples}"
        assert all(all(s["inView"]) and s["scrollTop"] == 0 for s in samples), samples
        box_height = page.page.locator(".hw-monitor .hw-table-wrap").evaluate("el => el.clientHeight")
        assert box_height <= 480 and page.page.locator(".hw-monitor .hw-table-wrap").evaluate(
            "el => el.scrollHeight > el.clientHeight"
        ), "the table must overflow its box for this test to mean something"
        page.screenshot("views-running-in-view")
        # a user's own sort stays put across updates
        page.page.locator('.hw-monitor th[data-sort="index"]').click()
        page.page.wait_for_selector('.hw-monitor[data-sort="index:asc"]')
        for _ in range(5):
            page.page.wait_for_timeout(200)
            if not page.running():
                break
            first = page.page.locator(".hw-monitor .hw-table tbody tr").first.get_attribute("data-trial-id")
            assert page.page.locator(".hw-monitor").get_attribute("data-sort") == "index:asc"
            assert first and first.endswith("_0"), first
        page.page.locator(".hw-monitor [data-sort-reset]").click()
        page.page.wait_for_selector('.hw-monitor[data-sort="default"]')
        page.wait_done()
        page.page.wait_for_selector('.hw-monitor[data-sweep-status="Completed"]', timeout=10_000)
        trials = _trials(page)
        assert len(trials) == 60
        # the finished table in the default order: best first
        shown = page.page.locator(".hw-monitor .hw-table tbody tr").first
        assert shown.get_attribute("data-best") == "true"
        # the best-so-far chart: finished trials on x, or the time since the start
        xlabel = page.page.locator(".hw-monitor .hw-best-chart .hw-xlabel")
        assert xlabel.text_content() == "finished trials"
        page.page.locator('.hw-monitor button[data-best-x="time"]').click()
        page.page.wait_for_function(
            "() => document.querySelector('.hw-monitor .hw-best-chart .hw-xlabel').textContent"
            " === 'time since the sweep started'"
        )
        assert "0" in page.page.locator(".hw-monitor .hw-best-chart .hw-xtick").all_text_contents()
        page.page.locator('.hw-monitor button[data-best-x="trials"]').click()

        # row details: a failed trial shows its curves and its whole error text, escaped
        failed_id = next(t for t, (lr, status, _) in trials.items() if status == "Failed" and lr > 0.85)
        page.page.select_option(".hw-monitor .hw-page-size", "100")
        page.page.locator(f'.hw-monitor tr[data-trial-id="{failed_id}"] td.hw-id').click()
        detail = page.page.locator(".hw-monitor .hw-detail")
        page.page.wait_for_selector(".hw-monitor .hw-detail .hw-error", timeout=15_000)
        error = detail.locator(".hw-error").inner_text()
        assert "Traceback" in error and "ValueError: diverged:" in error, error
        assert detail.locator("img").count() == 0
        charts = detail.locator(".hw-detail-chart")
        assert charts.evaluate_all("cs => cs.map(c => c.dataset.metric)") == ["accuracy", "loss"]
        # accuracy was logged at steps 10, 20, 30 before the failure: 3 points on a step axis up to 30
        acc = detail.locator('.hw-detail-chart[data-metric="accuracy"]')
        points = acc.locator("polyline").get_attribute("points") or ""
        assert len(points.split()) == 3, points
        assert "30" in acc.locator(".hw-xtick").all_text_contents()
        assert acc.locator(".hw-xlabel").text_content() == "step"
        assert "outputs/model.txt" in detail.locator(".hw-files").inner_text()
        assert page.page.locator(".hw-monitor tr.hw-selected").get_attribute("data-trial-id") == failed_id
        page.screenshot("views-details-failed")
        # another row replaces the details; a hostile name in its error is text
        hostile = next(t for t, (_, status, name) in trials.items() if status == "Failed" and name == XSS)
        page.page.locator(f'.hw-monitor tr[data-trial-id="{hostile}"] td.hw-id').click()
        page.page.wait_for_function(
            "id => { const h = document.querySelector('.hw-monitor .hw-detail-head .hw-id');"
            " return h && h.textContent === id && document.querySelector('.hw-monitor .hw-detail .hw-error'); }",
            arg=hostile,
            timeout=15_000,
        )
        assert f"ValueError: diverged: {XSS}" in detail.locator(".hw-error").inner_text()
        assert page.page.locator(".hw-monitor img").count() == 0
        page.page.locator(".hw-monitor [data-detail-close]").click()
        assert not page.page.locator(".hw-monitor .hw-detail").is_visible()
        page.check_clean()
    finally:
        page.close()


SWEEP_40 = f"""\
import json
run = run_with_monitor(lambda obs: start_sweep(
    lambda lr, kernel: lr * (0.5 if kernel == "poly" else 1.0),
    {{"lr": uniform(0, 1), "kernel": choice("rbf", "poly", {XSS!r})}}, metric="accuracy",
    max_total_runs=40, backend="sequential", storage=None, seed=21, observers=obs))
print("DONE", run.status, len(run.trials))
print("TRIALS", json.dumps({{t.id: [t.params["lr"], t.params["kernel"]] for t in run.trials}}))
"""


def _drag(page: Page, axis: str, start: float, end: float) -> None:
    """Drag with the mouse along an axis of the parallel coordinates, from `start` to
    `end` (fractions of the axis height from its top)."""
    page.page.locator(".hw-monitor .hw-view").first.scroll_into_view_if_needed()  # redrawn inside, never replaced
    box = page.page.evaluate(
        'axis => { const r = document.querySelector(`.hw-monitor .hw-pc-hit[data-axis="${axis}"]`)'
        ".getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width, height: r.height}; }",
        axis,
    )
    x = box["x"] + box["width"] / 2
    page.page.mouse.move(x, box["y"] + box["height"] * start)
    page.page.mouse.down()
    for i in range(1, 6):
        page.page.mouse.move(x, box["y"] + box["height"] * (start + (end - start) * i / 5))
    page.page.mouse.up()


def _table_ids(page: Page) -> list[str]:
    return list(
        page.page.locator(".hw-monitor .hw-table tbody tr").evaluate_all("rs => rs.map(r => r.dataset.trialId)")
    )


def test_brushing_parallel_coordinates_filters_the_table_to_the_matching_rows(browser: Any, server: Server) -> None:
    page = Page(browser, server, "brush.ipynb", [SETUP, SWEEP_40])
    try:
        page.run_all()
        page.wait_done()
        page.page.wait_for_selector('.hw-monitor[data-sweep-status="Completed"][data-row-count="40"]', timeout=15_000)
        trials = _trials(page)
        page.page.select_option(".hw-monitor .hw-page-size", "100")
        page.page.locator('.hw-monitor button[data-view="parallel"]').click()
        page.page.wait_for_selector(".hw-monitor svg.hw-parcoords .hw-pc-hit", timeout=5_000)
        axes = page.page.locator(".hw-monitor .hw-parcoords g.hw-pc-axis").evaluate_all(
            "gs => gs.map(g => [g.dataset.axis, g.querySelector('.hw-axis-label').firstChild.textContent])"
        )
        assert axes == [["param:lr", "lr"], ["param:kernel", "kernel"], ["best", "best accuracy"]], axes
        assert XSS in page.page.locator(".hw-monitor .hw-parcoords").text_content()  # a category, as text
        assert page.page.locator(".hw-monitor img").count() == 0

        # brush lr over the middle of its axis: the table holds exactly the trials inside
        _drag(page, "param:lr", 0.25, 0.7)
        brush = page.page.wait_for_selector('.hw-monitor .hw-pc-brush[data-axis="param:lr"]', timeout=5_000)
        lo, hi = float(brush.get_attribute("data-lo") or "nan"), float(brush.get_attribute("data-hi") or "nan")
        assert 0 < lo < hi < 1, (lo, hi)
        expected = {t for t, (lr, _) in trials.items() if lo <= lr <= hi}
        assert 3 <= len(expected) < 40, (lo, hi, expected)
        page.page.wait_for_function(
            "n => document.querySelector('.hw-monitor').dataset.filtered === String(n)", arg=len(expected)
        )
        ids = _table_ids(page)
        assert set(ids) == expected and len(ids) == len(expected)
        shown_lr = [float(v) for v in page.page.locator(".hw-monitor td.hw-param").all_inner_texts()[::2]]
        assert all(lo <= v <= hi for v in shown_lr), (lo, hi, shown_lr)
        info = page.page.locator(".hw-monitor .hw-page-info").inner_text()
        assert f"of {len(expected)} (filtered from 40)" in info, info
        page.screenshot("views-brushed-lr")

        # a second brush on the categorical axis narrows it down to one kernel
        _drag(page, "param:kernel", 0.01, 0.12)  # the top category
        cats_attr = page.page.wait_for_selector(
            '.hw-monitor .hw-pc-brush[data-axis="param:kernel"]', timeout=5_000
        ).get_attribute("data-cats")
        cats = json.loads(cats_attr or "[]")
        assert len(cats) == 1, cats
        both = {t for t in expected if trials[t][1] == cats[0]}
        page.page.wait_for_function(
            "n => document.querySelector('.hw-monitor').dataset.filtered === String(n)", arg=len(both)
        )
        assert set(_table_ids(page)) == both

        # a click on an axis clears its brush; "clear filters" clears them all
        hit = page.page.locator('.hw-monitor .hw-pc-hit[data-axis="param:kernel"]')
        hit.click(position={"x": 14, "y": 50})
        page.page.wait_for_function(
            "n => document.querySelector('.hw-monitor').dataset.filtered === String(n)", arg=len(expected)
        )
        assert page.page.locator(".hw-monitor .hw-pc-brush").count() == 1
        page.page.locator(".hw-monitor [data-clear-brushes]").click()
        page.page.wait_for_function("() => document.querySelector('.hw-monitor').dataset.filtered === ''")
        assert len(_table_ids(page)) == 40
        page.check_clean()
    finally:
        page.close()


#: A brush dragged with pointer events along axis `AXIS` from 30 % to 60 % of its height.
BRUSH = """const hit = m.querySelector('.hw-pc-hit[data-axis="AXIS"]');
const r = hit.getBoundingClientRect(); const x = r.left + r.width / 2;
const ev = (type, y, target) => target.dispatchEvent(new PointerEvent(type,
  {bubbles: true, clientX: x, clientY: r.top + r.height * y, button: 0, pointerId: 1, isPrimary: true}));
ev('pointerdown', 0.3, hit); ev('pointermove', 0.45, window); ev('pointerup', 0.6, window);"""


def test_brushing_and_sorting_10000_trials_stay_fast(browser: Any, server: Server) -> None:
    """Timings of a finished 10,000-trial monitor in JupyterLab: parallel coordinates,
    brushing (which filters the table), sorting (test-artifacts/monitor-views-10k.json)."""
    page = Page(browser, server, "huge-views.ipynb", [SETUP, HUGE_SWEEP])
    try:
        page.run_all()
        page.wait_done(timeout=180)
        page.page.wait_for_selector(
            '.hw-monitor[data-sweep-status="Completed"][data-row-count="10000"]', timeout=60_000
        )
        page.page.locator(".hw-monitor").scroll_into_view_if_needed()
        filtered = "m.dataset.filtered !== '' && m.querySelectorAll('.hw-pc-brush').length === 1"
        unfiltered = "m.dataset.filtered === '' && m.querySelectorAll('.hw-pc-brush').length === 0"
        sorted_by = "m.dataset.sort === '{0}'"
        steps: dict[str, list[tuple[str, str]]] = {
            "show parallel coordinates": [
                (
                    "m.querySelector('button[data-view=\"parallel\"]').click()",
                    "m.querySelectorAll('.hw-pc-hit').length === 3",
                ),
                ("m.querySelector('button[data-view=\"curves\"]').click()", "!!m.querySelector('.hw-curves-chart')"),
                (
                    "m.querySelector('button[data-view=\"parallel\"]').click()",
                    "m.querySelectorAll('.hw-pc-hit').length === 3",
                ),
            ],
            "brush lr (filter the table)": [],
            "sort by best": [
                ("m.querySelector('th[data-sort=\"best\"]').click()", sorted_by.format(f"best:{d}"))
                for d in ("desc", "asc", "desc")
            ],
            "sort by kernel (strings)": [
                ("m.querySelector('th[data-sort=\"param:kernel\"]').click()", sorted_by.format(f"param:kernel:{d}"))
                for d in ("asc", "desc", "asc")
            ],
            "back to running & best first": [
                ("m.querySelector('[data-sort-reset]').click()", "m.dataset.sort === 'default'"),
            ],
        }
        runs: dict[str, list[float]] = {}
        for name, todo in steps.items():
            if name.startswith("brush"):
                runs[name] = []
                for _ in range(3):
                    runs[name].append(page.page.evaluate(TIME_ACTION, [BRUSH.replace("AXIS", "param:lr"), filtered]))
                    # every row shown is inside the brush
                    lo, hi, lrs = page.page.evaluate(
                        "() => { const m = document.querySelector('.hw-monitor');"
                        " const b = m.querySelector('.hw-pc-brush'); return [+b.dataset.lo, +b.dataset.hi,"
                        " [...m.querySelectorAll('tbody tr td.hw-param')].filter((_, i) => i % 2 === 0)"
                        ".map(td => +td.textContent)]; }"
                    )
                    assert lrs and all(lo - 1e-6 <= v <= hi + 1e-6 for v in lrs), (lo, hi, lrs)
                    count = int(page.page.locator(".hw-monitor").get_attribute("data-filtered") or 0)
                    assert 2000 < count < 4000, count  # about 30 % of uniform(0, 1) values
                    runs.setdefault("clear the brush", []).append(
                        page.page.evaluate(TIME_ACTION, ["m.querySelector('[data-clear-brushes]').click()", unfiltered])
                    )
                continue
            runs[name] = [page.page.evaluate(TIME_ACTION, list(step)) for step in todo]
        timings = {name: round(median(ms), 1) for name, ms in runs.items()}
        every = {k: [round(v, 1) for v in vs] for k, vs in runs.items()}
        result = {"interaction_ms": timings, "interaction_ms_all": every}
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "monitor-views-10k.json").write_text(json.dumps(result, indent=2))
        print("10,000-trial views:", result)
        assert all(ms < 500 for ms in timings.values()), result
        page.check_clean()
    finally:
        page.close()


#: A sweep that looks like real tuning, for the README's pictures: a learning
#: rate on a log scale, layers, dropout and an optimizer; a bandit policy stops
#: laggards; SGD with a high learning rate diverges.
DOCS_SWEEP = """\
import math, random
import hyperwidget as hw

def train(lr, layers, dropout, optimizer):
    rng = random.Random(f"{lr}-{layers}-{dropout}-{optimizer}")
    ceiling = 0.985 - 0.07 * abs(math.log10(lr) + 2.7) - 0.25 * (dropout - 0.15) ** 2 - 0.01 * abs(layers - 3)
    ceiling += 0.01 if optimizer == "adam" else 0.0
    acc = 0.35
    for epoch in range(24):
        time.sleep(0.06)
        if optimizer == "sgd" and lr > 0.03 and epoch == 6:
            raise FloatingPointError("loss is NaN at epoch 6: the learning rate is too high for SGD")
        acc += (ceiling - acc) * 0.22 + rng.gauss(0, 0.004)
        log("accuracy", acc)

space = {"lr": hw.log_uniform(1e-4, 1e-1), "layers": choice(1, 2, 3, 4, 5), "dropout": uniform(0.0, 0.5),
         "optimizer": choice("adam", "sgd", "rmsprop")}
run = run_with_monitor(lambda obs: start_sweep(
    train, space, metric="accuracy", goal="maximize", max_total_runs=60, max_concurrent_runs=3,
    policy=hw.BanditPolicy(slack_factor=0.08, delay_evaluation=8), backend="threads", storage=None,
    seed=7, name="tune-mlp", observers=obs))
print("DONE", run.status, len(run.trials))
"""


def _docs_screenshot(page: Page, name: str) -> None:
    """The first monitor as test-artifacts/monitor-<name>.png; also docs/<name>.png when
    HYPERWIDGET_UPDATE_DOCS=1 (the README's pictures)."""
    monitor = page.page.locator(".hw-monitor").first
    monitor.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    monitor.screenshot(path=str(ARTIFACTS / f"monitor-{name}.png"))
    if os.environ.get("HYPERWIDGET_UPDATE_DOCS") == "1":
        shutil.copyfile(ARTIFACTS / f"monitor-{name}.png", REPO / "docs" / f"{name}.png")


#: 24 trials have finished, one stopped early and one failed, and the sweep goes on.
MID_SWEEP = """() => { const m = document.querySelector('.hw-monitor'); if (!m) return false;
  const rows = [...m.querySelectorAll('tbody tr')].map(tr => tr.dataset.status);
  return rows.filter(s => s !== 'Running' && s !== 'Queued').length >= 24
    && rows.includes('StoppedEarly') && rows.includes('Failed'); }"""


def test_readme_pictures_mid_sweep_in_jupyterlab(browser: Any, server: Server) -> None:
    """docs/monitor.png (mid-sweep) and docs/monitor-parallel.png (brushed), from a live sweep."""
    page = Page(browser, server, "docs.ipynb", [SETUP, DOCS_SWEEP])
    try:
        page.page.set_viewport_size({"width": 1500, "height": 1800})
        page.page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # the file browser takes width
        page.run_all()
        page.page.wait_for_function(MID_SWEEP, timeout=90_000)
        assert page.running()
        # the default view mid-sweep: running trials on top of the table, the learning curves above it
        assert page.page.locator(".hw-monitor .hw-table tbody tr").first.get_attribute("data-status") == "Running"
        page.page.wait_for_selector(".hw-monitor .hw-curves-chart .hw-mark-stopped", timeout=10_000)
        page.page.wait_for_selector(".hw-monitor .hw-curves-chart .hw-cl-failed", timeout=10_000)
        _docs_screenshot(page, "monitor")
        # parallel coordinates, brushed on the metric (the top third) and on lr
        page.page.locator('.hw-monitor button[data-view="parallel"]').click()
        page.page.wait_for_selector(".hw-monitor .hw-pc-hit", timeout=5_000)
        _drag(page, "best", 0.005, 0.35)
        _drag(page, "param:lr", 0.1, 0.75)
        page.page.wait_for_function(
            "() => document.querySelectorAll('.hw-monitor .hw-pc-brush:not(.hw-pc-dragging)').length === 2"
        )
        lo = float(page.page.locator('.hw-monitor .hw-pc-brush[data-axis="best"]').get_attribute("data-lo") or "nan")
        bests = [float(t) for t in page.page.locator(".hw-monitor tbody tr td:nth-child(9)").all_inner_texts()]
        assert bests and all(b >= lo - 1e-3 for b in bests), (lo, bests)
        _docs_screenshot(page, "monitor-parallel")
        page.wait_done(timeout=120)
        page.check_clean()
    finally:
        page.close()


def test_notebook7_shows_the_charts_brushing_and_row_details(browser: Any, server: Server) -> None:
    """The same views in Notebook 7: learning curves, brushed parallel coordinates, a row's details."""
    page = Page(
        browser,
        server,
        "views-nb7.ipynb",
        [SETUP, DOCS_SWEEP.replace("max_total_runs=60", "max_total_runs=24")],
        kind="notebooks",
    )
    try:
        page.page.set_viewport_size({"width": 1400, "height": 1600})
        page.run_all()
        page.page.wait_for_selector(".hw-monitor .hw-curves-chart polyline", timeout=60_000)
        page.wait_done(timeout=120)
        page.page.wait_for_selector('.hw-monitor[data-sweep-status="Completed"][data-row-count="24"]', timeout=15_000)
        page.page.wait_for_selector(".hw-monitor .hw-curves-chart polyline.hw-cl-best")
        assert page.page.locator(".hw-monitor .hw-curves-chart polyline").count() >= 20
        assert page.page.locator(".hw-monitor .hw-best-chart .hw-ytick").count() >= 2
        page.screenshot("views-notebook7-curves")
        page.page.locator('.hw-monitor button[data-view="parallel"]').click()
        page.page.wait_for_selector(".hw-monitor .hw-pc-hit", timeout=5_000)
        _drag(page, "param:dropout", 0.2, 0.6)
        brush = page.page.wait_for_selector('.hw-monitor .hw-pc-brush[data-axis="param:dropout"]', timeout=5_000)
        lo, hi = float(brush.get_attribute("data-lo") or "nan"), float(brush.get_attribute("data-hi") or "nan")
        dropouts = [float(t) for t in page.page.locator(".hw-monitor tbody tr td:nth-child(6)").all_inner_texts()]
        count = int(page.page.locator(".hw-monitor").get_attribute("data-filtered") or -1)
        assert dropouts and len(dropouts) == count < 24 and all(lo <= d <= hi for d in dropouts), (lo, hi, dropouts)
        page.screenshot("views-notebook7-parallel")
        page.page.locator(".hw-monitor tbody tr td.hw-id").first.click()
        page.page.wait_for_selector('.hw-monitor .hw-detail .hw-detail-chart[data-metric="accuracy"] polyline')
        page.screenshot("views-notebook7-details")
        page.check_clean()
    finally:
        page.close()
