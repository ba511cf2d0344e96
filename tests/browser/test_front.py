"""A two-objective sweep in a real JupyterLab 4, in headless Chromium: the monitor's Pareto front chart and
the front badges appear, and agree with ``run.pareto_front()``.

One Jupyter server and one Chromium for the module (fixtures in ``conftest.py``,
scaffolding in ``_lab.py``); any JavaScript error on the page fails the test.
Recipe and pitfalls: /work/shared/browser-testing.md.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("nbformat")
pytest.importorskip("playwright.sync_api")

from _lab import SETUP, XSS, Page, Server

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

#: The 12 widths of a trade-off (wider: less error, more size), where every third width pays extra error,
#: so some trials are dominated; a hostile text rides along as a constant of the space.
SWEEP = f"""\
import json

def objective(width, name):
    time.sleep(0.05)
    return {{"error": 1 / width + (0.3 if width % 3 == 0 else 0.0), "size": float(width)}}

run = run_with_monitor(lambda obs: start_sweep(
    objective, {{"width": choice(*range(1, 13)), "name": {XSS!r}}}, metric=["error", "size"],
    goal=["minimize", "minimize"], sampler="grid", max_concurrent_runs=2, backend="threads", storage=None,
    observers=obs))
print("FRONT", json.dumps(sorted(c.id for c in run.pareto_front())))
print("FINISHED", json.dumps(sorted(t.id for t in run.trials if t.status.value == "Completed")))
"""

#: What the monitor shows of the front: the chart's marks, its dominated dots, and the badged rows.
SHOWN = """() => {
  const m = document.querySelector('.hw-monitor');
  const box = m.querySelector('.hw-front-chart');
  return {
    hidden: box.hidden,
    caption: box.querySelector('.hw-front-caption')?.textContent ?? '',
    marks: box.querySelectorAll('circle.hw-front-mark').length,
    dominated: [...box.querySelectorAll('circle.hw-dominated')].map(c => c.dataset.trialId),
    staircase: box.querySelectorAll('polyline.hw-front-line, circle.hw-front-line').length,
    badged: [...m.querySelectorAll('.hw-table tbody tr[data-front="true"]')].map(tr => tr.dataset.trialId),
    badges: m.querySelectorAll('.hw-table tbody tr .hw-front-badge').length,
    headers: [...m.querySelectorAll('.hw-table thead th')].map(th => th.textContent.replace(/ [▲▼]$/, '')),
  };
}"""


def _printed(page: Page, tag: str) -> list[str]:
    line = next(line for line in page.outputs_text().splitlines() if line.startswith(f"{tag} "))
    return list(json.loads(line[len(tag) + 1 :]))


def test_a_two_objective_sweep_shows_its_front_chart_and_badges(browser: Any, server: Server) -> None:
    page = Page(browser, server, "front.ipynb", [SETUP, SWEEP])
    try:
        page.run_all()
        page.wait_done()
        page.page.wait_for_selector('.hw-monitor[data-sweep-status="Completed"]', timeout=20_000)
        page.page.set_default_timeout(10_000)
        page.page.wait_for_function("() => document.querySelectorAll('.hw-monitor .hw-table tbody tr').length >= 12")
        front, finished = _printed(page, "FRONT"), _printed(page, "FINISHED")
        shown = page.page.evaluate(SHOWN)
        page.screenshot("front")
        assert not shown["hidden"] and f"Pareto front: {len(front)} of {len(finished)} trials" in shown["caption"]
        assert shown["marks"] == len(front) and sorted(shown["dominated"]) == sorted(set(finished) - set(front))
        assert shown["staircase"] == 1
        assert sorted(shown["badged"]) == front and shown["badges"] == len(front)
        assert "size" in shown["headers"] and "best error" in shown["headers"]
        assert 0 < len(front) < len(finished)  # the trade-off has dominated trials, so both kinds are drawn
        page.check_clean()
    finally:
        page.close()
