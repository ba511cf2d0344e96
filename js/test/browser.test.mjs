// Tests of the sweep browser's pure front-end helpers: `node --test js/test/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import browser, {
  colorOf,
  formatDate,
  formatSeconds,
  importanceHtml,
  listHtml,
  overlaySvg,
  statusCss,
  stepPoints,
  sweepRowHtml,
  toggleSelection,
} from "../browser.js";

const HOSTILE = `<img src=x onerror=alert(1)>&"'`;

/** @param {Partial<import("../browser.js").Summary>} over */
function summary(over = {}) {
  return { name: "s1", status: "Completed", metric: "loss", goal: "minimize", n_trials: 10, n_finished: 8, best: 0.12345, best_trial: "s1_3", started_at: 1e9, ended_at: 1e9 + 60, error: null, ...over };
}

test("the module exports an anywidget render function", () => {
  assert.equal(typeof browser.render, "function");
});

test("a plain click selects one sweep; the box or a modifier adds or removes it, focused last", () => {
  assert.deepEqual(toggleSelection(["a", "b"], "c", false), ["c"]);
  assert.deepEqual(toggleSelection(["a"], "b", true), ["a", "b"]);
  assert.deepEqual(toggleSelection(["a", "b"], "a", true), ["b"]);
  assert.deepEqual(toggleSelection([], "a", true), ["a"]);
});

test("a row shows status, finished / total, best with metric and goal, and dates", () => {
  const row = sweepRowHtml(summary(), ["s1"]).text;
  assert.match(row, /data-sweep="s1"/);
  assert.match(row, /hb-status-completed">Completed</);
  assert.match(row, /8 \/ 10/);
  assert.match(row, /<b>0\.1235<\/b> <span class="hb-muted">loss \(min\)<\/span>/);
  assert.match(row, /hb-selected hb-focus/);
  assert.match(row, / checked/);
  assert.ok(row.includes(formatDate(1e9)) && row.includes(formatDate(1e9 + 60)));
  const open = sweepRowHtml(summary({ best: null, ended_at: null, status: "Running" }), []).text;
  assert.match(open, /hb-status-running/);
  assert.doesNotMatch(open, /checked|hb-selected/);
  assert.equal((open.match(/—/g) ?? []).length, 2);
});

test("hostile sweep names, statuses, metrics and errors are escaped everywhere", () => {
  const evil = summary({ name: HOSTILE, status: HOSTILE, metric: HOSTILE, error: HOSTILE });
  const markup = listHtml([evil], [HOSTILE]).text;
  assert.ok(!markup.includes("<img"), markup);
  assert.ok(markup.includes("&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;"));
  const curves = { [HOSTILE]: { metric: HOSTILE, goal: "maximize", trial: [[1, 1], [3, 2]], time: [[0.5, 1], [2, 2]] } };
  const svg = overlaySvg(curves, [HOSTILE], "trial").text;
  assert.ok(!svg.includes("<img"), svg);
  const imp = importanceHtml({ sweep: HOSTILE, metric: HOSTILE, values: [[HOSTILE, 1]], n_trials: 9 }).text;
  assert.ok(!imp.includes("<img"), imp);
  assert.ok(!importanceHtml({ sweep: HOSTILE, error: HOSTILE }).text.includes("<img"));
});

test("an empty file says so", () => {
  assert.match(listHtml([], []).text, /no sweep in this file yet/);
});

test("dates are local YYYY-MM-DD HH:MM; missing ones a dash", () => {
  const d = new Date(2026, 11, 7, 9, 5);
  assert.equal(formatDate(d.getTime() / 1000), "2026-12-07 09:05");
  assert.equal(formatDate(null), "—");
  assert.equal(formatSeconds(42), "42 s");
  assert.equal(formatSeconds(3725), "1h 02m");
  assert.equal(statusCss("Interrupted"), "interrupted");
  assert.equal(statusCss("whatever"), "unknown");
});

test("best-so-far points become a step line", () => {
  assert.deepEqual(stepPoints([[1, 5], [3, 4], [6, 4]]), [[1, 5], [3, 5], [3, 4], [6, 4], [6, 4]]);
  assert.deepEqual(stepPoints([]), []);
});

test("the overlay draws one coloured line per selected sweep with a curve, in selection order", () => {
  const curves = {
    a: { metric: "loss", goal: "minimize", trial: [[1, 3], [4, 1], [10, 1]], time: [[2, 3], [9, 1], [30, 1]] },
    b: { metric: "loss", goal: "minimize", trial: [[1, 2], [5, 2]], time: [[1, 2], [8, 2]] },
    empty: { metric: "loss", goal: "minimize", trial: [], time: [] },
  };
  const svg = overlaySvg(curves, ["b", "a", "empty"], "trial").text;
  const lines = [...svg.matchAll(/<polyline class="hb-curve" data-sweep="([^"]+)" stroke="([^"]+)"/g)].map((m) => [m[1], m[2]]);
  assert.deepEqual(lines, [["b", colorOf(0)], ["a", colorOf(1)]]);
  assert.match(svg, /finished trials \(0 to 10\)/);
  assert.doesNotMatch(svg, /different metrics/);
  const byTime = overlaySvg(curves, ["a"], "time").text;
  assert.match(byTime, /elapsed time \(0 to 30 s\)/);
  const mixed = overlaySvg({ ...curves, c: { metric: "acc", goal: "maximize", trial: [[1, 0.5]], time: [[1, 0.5]] } }, ["a", "c"], "trial").text;
  assert.match(mixed, /different metrics: loss, acc/);
  assert.match(overlaySvg({}, ["a"], "trial").text, /select sweeps with finished trials/);
});

test("the importance panel draws bars, says it is computing, or why it cannot", () => {
  const bars = importanceHtml({ sweep: "s", metric: "loss", values: [["x", 0.9], ["lr", 0.1]], n_trials: 20 }).text;
  assert.match(bars, /data-param="x".*width:90\.0%.*90%/);
  assert.match(bars, /data-param="lr".*width:10\.0%/);
  assert.match(bars, /20 finished trials/);
  assert.match(importanceHtml({ sweep: "s", values: [["x", 1]], n_trials: 3000, n_finished: 10000 }).text, /the latest 3000 of 10000 finished trials/);
  assert.match(importanceHtml({ sweep: "s", pending: true, n_trials: 12 }).text, /computing from 12 finished trials/);
  assert.match(importanceHtml({ sweep: "s", error: "needs at least 8" }).text, /needs at least 8/);
  assert.match(importanceHtml({}).text, /select a sweep/);
});
