// Tests of the monitor's pure front-end logic: `node --test js/test/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  bestChartSvg,
  bestPanelHtml,
  bestSoFar,
  columnsFor,
  curveOf,
  decodeRows,
  downsample,
  esc,
  formatDuration,
  formatNumber,
  formatParam,
  headerHtml,
  html,
  mergeRows,
  nextSort,
  pageOf,
  polylinePoints,
  progressHtml,
  raw,
  rowDuration,
  rowHtml,
  rowParts,
  shortId,
  sortRows,
  sparklineSvg,
  statusChips,
  statusInfo,
} from "../format.js";

const XSS = "<img src=x onerror=alert(1)>";

/** @returns {import("../format.js").Row} */
function row(overrides = {}) {
  return {
    id: "t-0",
    index: 0,
    status: "Completed",
    params: { lr: 0.1, kernel: "rbf" },
    latest: 0.5,
    best: 0.5,
    step: 3,
    duration: 2,
    started_at: 100,
    ended_at: 102,
    curve: [0.1, 0.3, 0.5],
    error: null,
    ...overrides,
  };
}

const ctx = { bestId: null, now: 200, stopping: new Set(), canStop: true, metric: "accuracy" };

test("esc escapes every HTML-significant character", () => {
  assert.equal(esc(`<a href="x" onclick='y'>&\`</a>`), "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;");
  assert.equal(esc(null), "");
  assert.equal(esc(12), "12");
});

test("html escapes interpolations but keeps SafeHtml and joins arrays", () => {
  const out = html`<b>${XSS}</b>${raw("<i>ok</i>")}${["<", html`<u>${"&"}</u>`]}${null}${false}`;
  assert.equal(out.text, "<b>&lt;img src=x onerror=alert(1)&gt;</b><i>ok</i>&lt;<u>&amp;</u>");
});

test("a hyperparameter value that looks like HTML is rendered as text in the row", () => {
  const out = rowHtml(row({ id: XSS, params: { name: XSS }, error: XSS }), columnsFor(["name"], "acc"), ctx).text;
  assert.ok(!out.includes("<img"), out);
  assert.ok(out.includes("&lt;img src=x onerror=alert(1)&gt;"));
});

test("parameter names, metric names and panel values are escaped too", () => {
  const head = headerHtml(columnsFor([XSS], XSS), { key: "index", dir: "asc" }).text;
  assert.ok(!head.includes("<img"), head);
  const panel = bestPanelHtml(row({ id: XSS, params: { [XSS]: XSS } }), XSS).text;
  assert.ok(!panel.includes("<img"), panel);
  const chart = bestChartSvg([{ x: 1, y: 1 }], XSS).text;
  assert.ok(!chart.includes("<img"), chart);
  const chips = statusChips({ [XSS]: 2 }).text;
  assert.ok(!chips.includes("<img"), chips);
  const progress = progressHtml({ status: XSS, counts: {}, n_trials: 0 }, 1).text;
  assert.ok(!progress.includes("<img"), progress);
});

test("formatNumber uses 4 significant digits and a dash for missing values", () => {
  assert.equal(formatNumber(0.123456), "0.1235");
  assert.equal(formatNumber(12), "12");
  assert.equal(formatNumber(123456.7), "123500");
  assert.equal(formatNumber(15000000.5), "1.5e+7");
  assert.equal(formatNumber(0.00001234), "1.234e-5");
  assert.equal(formatNumber(null), "—");
  assert.equal(formatNumber(Number.NaN), "—");
  assert.equal(formatNumber(Number.POSITIVE_INFINITY), "∞");
});

test("formatParam shows Python-like values", () => {
  assert.equal(formatParam(0.1), "0.1");
  assert.equal(formatParam(3), "3");
  assert.equal(formatParam(1e-6), "1e-6");
  assert.equal(formatParam(true), "True");
  assert.equal(formatParam(null), "None");
  assert.equal(formatParam("rbf"), "rbf");
  assert.equal(formatParam([1, 2]), "[1,2]");
});

test("formatDuration picks a unit by size", () => {
  assert.equal(formatDuration(0.25), "250 ms");
  assert.equal(formatDuration(12.34), "12.3 s");
  assert.equal(formatDuration(245), "4m 05s");
  assert.equal(formatDuration(3720), "1h 02m");
  assert.equal(formatDuration(null), "—");
  assert.equal(formatDuration(-1), "—");
});

test("rowDuration is live for running trials and fixed for finished ones", () => {
  assert.equal(rowDuration(row({ status: "Running", ended_at: null, started_at: 190 }), 200), 10);
  assert.equal(rowDuration(row(), 500), 2);
  assert.equal(rowDuration(row({ status: "Queued", started_at: null, duration: null }), 500), null);
});

test("statusInfo colours the six user-facing states differently", () => {
  const css = ["Queued", "Running", "Completed", "StoppedEarly", "Failed", "Canceled"].map((s) => statusInfo(s).css);
  assert.equal(new Set(css).size, 6);
  assert.equal(statusInfo("StoppedEarly").label, "stopped early");
  assert.equal(statusInfo("Weird").css, "unknown");
});

test("sortRows sorts numbers, keeps missing values last in both directions", () => {
  const rows = [row({ id: "a", index: 0, best: 0.5 }), row({ id: "b", index: 1, best: null }), row({ id: "c", index: 2, best: 0.9 })];
  assert.deepEqual(sortRows(rows, "best", "asc").map((r) => r.id), ["a", "c", "b"]);
  assert.deepEqual(sortRows(rows, "best", "desc").map((r) => r.id), ["c", "a", "b"]);
});

test("sortRows sorts parameters naturally, numbers before strings, ties by index", () => {
  const rows = [
    row({ id: "a", index: 0, params: { p: "x10" } }),
    row({ id: "b", index: 1, params: { p: "x9" } }),
    row({ id: "c", index: 2, params: { p: 3 } }),
    row({ id: "d", index: 3, params: { p: 3 } }),
    row({ id: "e", index: 4, params: {} }),
  ];
  assert.deepEqual(sortRows(rows, "param:p", "asc").map((r) => r.id), ["c", "d", "b", "a", "e"]);
  assert.deepEqual(sortRows(rows, "param:p", "desc").map((r) => r.id), ["a", "b", "c", "d", "e"]);
});

test("sortRows by status follows the lifecycle and by duration uses live time", () => {
  const rows = [
    row({ id: "done", index: 0, status: "Completed", started_at: 0, ended_at: 5 }),
    row({ id: "run", index: 1, status: "Running", started_at: 0, ended_at: null }),
    row({ id: "q", index: 2, status: "Queued", started_at: null, ended_at: null, duration: null }),
  ];
  assert.deepEqual(sortRows(rows, "status", "asc").map((r) => r.id), ["q", "run", "done"]);
  assert.deepEqual(sortRows(rows, "duration", "desc", 100).map((r) => r.id), ["run", "done", "q"]);
});

test("nextSort flips on the same column and starts metrics best-first", () => {
  assert.deepEqual(nextSort({ key: "index", dir: "asc" }, "index", "maximize"), { key: "index", dir: "desc" });
  assert.deepEqual(nextSort({ key: "index", dir: "asc" }, "best", "maximize"), { key: "best", dir: "desc" });
  assert.deepEqual(nextSort({ key: "index", dir: "asc" }, "best", "minimize"), { key: "best", dir: "asc" });
});

test("pageOf clamps the page and reports the range", () => {
  const items = Array.from({ length: 1234 }, (_, i) => i);
  const last = pageOf(items, 99, 50);
  assert.equal(last.page, 24);
  assert.equal(last.pageCount, 25);
  assert.deepEqual([last.start, last.end, last.rows.length], [1200, 1234, 34]);
  assert.equal(pageOf([], 3, 50).pageCount, 1);
  assert.equal(pageOf(items, -2, 50).page, 0);
});

test("mergeRows replaces rows by id with the incoming version", () => {
  const store = new Map();
  assert.equal(mergeRows(store, [row({ best: 1 }), row({ id: "t-1", index: 1 })]), 2);
  mergeRows(store, [row({ best: 2 })]);
  assert.equal(store.size, 2);
  assert.equal(store.get("t-0").best, 2);
});

test("decodeRows reads the kernel's positional rows of raw values", () => {
  const statuses = ["Queued", "Running", "Completed", "StoppedEarly", "Failed"];
  const wire = [
    [3, 1, 0.5, 0.7, 2, 1001.2512345, null, [0.01, XSS], null, [0.7, 0.5]],
    [4, 4, null, null, 0, 1002, 1003.5, [0.02], "custom-id", null, "ValueError: x"],
    [5, "Paused", 0.25, 0.25, 1, 1004, 1005, [0.5, "plain"]],
  ];
  const [a, b, c] = decodeRows(wire, ["lr", "name"], "sw_", statuses);
  assert.deepEqual(a, {
    id: "sw_3", index: 3, status: "Running", latest: 0.5, best: 0.7, step: 2,
    started_at: 1001.2512345, ended_at: null, params: { lr: 0.01, name: XSS }, curve: [0.7, 0.5],
  });
  assert.equal(b.id, "custom-id");
  assert.equal(b.status, "Failed");
  assert.deepEqual(b.params, { lr: 0.02 });
  assert.equal(b.ended_at, 1003.5);
  assert.equal(b.error, "ValueError: x");
  assert.equal(b.curve, undefined);
  // an unknown status passes as its name; no optional fields at all
  assert.deepEqual(c, {
    id: "sw_5", index: 5, status: "Paused", latest: 0.25, best: 0.25, step: 1,
    started_at: 1004, ended_at: 1005, params: { lr: 0.5, name: "plain" },
  });
  // without a status table from the kernel the built-in one is used
  assert.equal(decodeRows([[0, 5, null, null, 0, null, null, []]], [], "x_")[0].status, "TimedOut");
});

test("raw values from the kernel are formatted in the front end", () => {
  const [r] = decodeRows([[7, 2, 0.123456789, 0.98765432, 1, 100.123456, 102.6, [0.000012345678]]], ["lr"], "s_");
  const cells = rowParts(r, columnsFor(["lr"], "acc"), { ...ctx, canStop: false }).cells.join("");
  assert.ok(cells.includes(">0.1235<"), cells);
  assert.ok(cells.includes(">0.9877<"), cells);
  assert.ok(cells.includes(">1.2346e-5<"), cells);
  assert.ok(cells.includes(">2.5 s<"), cells);
});

test("bestSoFar follows finish order and the goal", () => {
  const rows = [
    row({ id: "a", index: 0, best: 0.5, ended_at: 3 }),
    row({ id: "b", index: 1, best: 0.9, ended_at: 1 }),
    row({ id: "c", index: 2, best: 0.1, ended_at: 2 }),
    row({ id: "r", index: 3, best: 5, status: "Running", ended_at: null }),
  ];
  assert.deepEqual(bestSoFar(rows, "maximize").map((p) => [p.x, p.y, p.id]), [[1, 0.9, "b"], [2, 0.9, "b"], [3, 0.9, "b"]]);
  assert.deepEqual(bestSoFar(rows, "minimize").map((p) => p.y), [0.9, 0.1, 0.1]);
});

test("downsample keeps the ends and at most max points", () => {
  const values = Array.from({ length: 1000 }, (_, i) => i);
  const out = downsample(values, 50);
  assert.equal(out.length, 50);
  assert.equal(out[0], 0);
  assert.equal(out[49], 999);
});

test("polylinePoints scales into the box and skips missing values", () => {
  assert.equal(polylinePoints([0, null, 1], 12, 12), "1.0,11.0 11.0,1.0");
  assert.equal(polylinePoints([null], 10, 10), "");
  assert.equal(polylinePoints([3, 3], 10, 10), "1.0,5.0 9.0,5.0");
});

test("sparkline draws a polyline, a dot for one value, a dash for none", () => {
  assert.match(sparklineSvg([1, 2, 3], "x").text, /<polyline points="[^"]+">/);
  assert.match(sparklineSvg([1], "x").text, /<circle /);
  assert.doesNotMatch(sparklineSvg([], "x").text, /<svg/);
});

test("the best row is marked and only active trials get a stop button", () => {
  const cols = columnsFor(["lr"], "acc");
  const best = rowHtml(row({ id: "b" }), cols, { ...ctx, bestId: "b" }).text;
  assert.match(best, /class="hw-row hw-best"/);
  assert.match(best, /data-best="true"/);
  const running = rowHtml(row({ id: "r", status: "Running", ended_at: null }), cols, ctx).text;
  assert.match(running, /data-stop-trial="r"/);
  assert.doesNotMatch(rowHtml(row(), cols, ctx).text, /data-stop-trial/);
  const stopping = rowHtml(row({ id: "r", status: "Running" }), cols, { ...ctx, stopping: new Set(["r"]) }).text;
  assert.match(stopping, /disabled>stopping…/);
  assert.doesNotMatch(rowHtml(row({ status: "Running" }), cols, { ...ctx, canStop: false }).text, /data-stop-trial/);
});

test("the header marks the sorted column", () => {
  const out = headerHtml(columnsFor(["lr"], "acc"), { key: "param:lr", dir: "desc" }).text;
  assert.match(out, /class="hw-sortable hw-sorted" data-sort="param:lr" aria-sort="descending"/);
  assert.match(out, /lr ▼/);
});

test("progress shows counts, elapsed time and the remaining budget", () => {
  const summary = { status: "Running", counts: { Completed: 3, Running: 2, Failed: 1 }, n_trials: 6, max_total_runs: 20, max_duration: 600 };
  const out = progressHtml(summary, 65).text;
  assert.match(out, /4 finished of 6 trials/);
  assert.match(out, /14 of 20 runs left to start/);
  assert.match(out, /8m 55s left/);
  assert.match(out, /width:20\.0%/);
  assert.match(out, /running: 2/);
});

test("shortId drops the sweep-name prefix only when it is there", () => {
  assert.equal(shortId("sweep_1_12", "sweep_1"), "…_12");
  assert.equal(shortId("other_12", "sweep_1"), "other_12");
  assert.equal(shortId("sweep_1", "sweep_1"), "sweep_1");
  assert.equal(shortId("x", undefined), "x");
});

test("the id cell keeps the full id in its title", () => {
  const out = rowHtml(row({ id: "s_3" }), columnsFor([], "acc"), { ...ctx, sweepName: "s" }).text;
  assert.match(out, /<td class="hw-id" title="s_3">…_3<\/td>/);
});

test("curveOf falls back to the one latest value", () => {
  assert.deepEqual(curveOf(row({ curve: [1, 2] })), [1, 2]);
  assert.deepEqual(curveOf({ ...row(), curve: undefined, latest: 0.3 }), [0.3]);
  assert.deepEqual(curveOf({ ...row(), curve: undefined, latest: null }), []);
});
