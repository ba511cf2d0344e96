// Tests of the monitor's pure front-end helpers: `node --test js/test/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import monitor, {
  axisPos,
  brushFromPositions,
  curvePoints,
  curveSample,
  curvesChartSvg,
  evenSample,
  filterRows,
  looksLogScaled,
  parcoordsSvg,
  pcAxes,
  rowPasses,
  bestChartSvg,
  bestPanelHtml,
  chartSvg,
  formatClock,
  formatTick,
  niceTicks,
  cellHtml,
  columnsFor,
  defaultOrder,
  detailHtml,
  esc,
  formatDuration,
  formatNumber,
  formatParam,
  headerHtml,
  isActive,
  html,
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
} from "../monitor.js";

/** The kernel's column spec (hyperwidget/notebook/_snapshot.py COLUMNS). */
const SPEC = [
  ["index", "#", "index"],
  ["id", "run id", "id"],
  ["status", "status", "status"],
  ["params", "", "params"],
  ["latest", "latest {metric}", "number"],
  ["best", "best {metric}", "number"],
  ["step", "step", "count"],
  ["duration", "duration", "duration"],
  ["curve", "curve", "curve"],
];
/** @param {string[]} names @param {string} metric */
const cols = (names, metric = "acc") => columnsFor(SPEC, names, metric);
/** @param {string} key */
const col = (key) => /** @type {import("../monitor.js").Column} */ (cols(["p"]).find((c) => c.key === key));

const XSS = "<img src=x onerror=alert(1)>";

/** @returns {import("../monitor.js").Row} */
function row(overrides = {}) {
  return {
    id: "t-0",
    index: 0,
    status: "Completed",
    "param:lr": 0.1,
    "param:kernel": "rbf",
    latest: 0.5,
    best: 0.5,
    step: 3,
    duration: 2,
    curve: [0.1, 0.3, 0.5],
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
  const out = rowHtml(row({ id: XSS, "param:name": XSS, error: XSS }), cols(["name"]), ctx).text;
  assert.ok(!out.includes("<img"), out);
  assert.ok(out.includes("&lt;img src=x onerror=alert(1)&gt;"));
});

test("parameter names, metric names and panel values are escaped too", () => {
  const head = headerHtml(cols([XSS], XSS), { key: "index", dir: "asc" }).text;
  assert.ok(!head.includes("<img"), head);
  const panel = bestPanelHtml(row({ id: XSS, [`param:${XSS}`]: XSS }), XSS).text;
  assert.ok(!panel.includes("<img"), panel);
  const chart = bestChartSvg([[1, 1]], 1, XSS).text;
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
  assert.equal(rowDuration(row({ status: "Running", duration: undefined, started_at: 190 }), 200), 10);
  assert.equal(rowDuration(row(), 500), 2);
  assert.equal(rowDuration(row({ status: "Queued", duration: undefined }), 500), null);
});

test("statusInfo colours the six user-facing states differently", () => {
  const css = ["Queued", "Running", "Completed", "StoppedEarly", "Failed", "Canceled"].map((s) => statusInfo(s).css);
  assert.equal(new Set(css).size, 6);
  assert.equal(statusInfo("StoppedEarly").label, "stopped early");
  assert.equal(statusInfo("Weird").css, "unknown");
});

test("a Paused trial has its own colour, may still be stopped and is not counted finished", () => {
  assert.equal(statusInfo("Paused").label, "paused");
  assert.equal(statusInfo("Paused").css, "paused");
  assert.ok(isActive("Paused") && !isActive("StoppedEarly"));
  assert.ok(statusInfo("Running").order < statusInfo("Paused").order && statusInfo("Paused").order < statusInfo("Completed").order);
  const text = progressHtml({ counts: { Completed: 2, Paused: 3, Running: 1 }, max_total_runs: 9, n_trials: 6, status: "Running" }, 0).text;
  assert.match(text, /2 of 9 finished/);
  assert.match(text, /3 paused/);
});

test("sortRows sorts numbers, keeps missing values last in both directions", () => {
  const rows = [row({ id: "a", index: 0, best: 0.5 }), row({ id: "b", index: 1, best: null }), row({ id: "c", index: 2, best: 0.9 })];
  assert.deepEqual(sortRows(rows, col("best"), "asc", 0).map((r) => r.id), ["a", "c", "b"]);
  assert.deepEqual(sortRows(rows, col("best"), "desc", 0).map((r) => r.id), ["c", "a", "b"]);
});

test("sortRows sorts parameters naturally, numbers before strings, ties by index", () => {
  const rows = [
    row({ id: "a", index: 0, "param:p": "x10" }),
    row({ id: "b", index: 1, "param:p": "x9" }),
    row({ id: "c", index: 2, "param:p": 3 }),
    row({ id: "d", index: 3, "param:p": 3 }),
    row({ id: "e", index: 4 }),
  ];
  assert.deepEqual(sortRows(rows, col("param:p"), "asc", 0).map((r) => r.id), ["c", "d", "b", "a", "e"]);
  assert.deepEqual(sortRows(rows, col("param:p"), "desc", 0).map((r) => r.id), ["a", "b", "c", "d", "e"]);
});

test("sortRows by status follows the lifecycle and by duration uses live time", () => {
  const rows = [
    row({ id: "done", index: 0, status: "Completed", duration: 5 }),
    row({ id: "run", index: 1, status: "Running", duration: undefined, started_at: 0 }),
    row({ id: "q", index: 2, status: "Queued", duration: undefined }),
  ];
  assert.deepEqual(sortRows(rows, col("status"), "asc", 0).map((r) => r.id), ["q", "run", "done"]);
  assert.deepEqual(sortRows(rows, col("duration"), "desc", 100).map((r) => r.id), ["run", "done", "q"]);
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
  const columns = cols(["lr"]);
  const best = rowHtml(row({ id: "b" }), columns, { ...ctx, bestId: "b" }).text;
  assert.match(best, /class="hw-row hw-best"/);
  assert.match(best, /data-best="true"/);
  const running = rowHtml(row({ id: "r", status: "Running", duration: undefined, started_at: 190 }), columns, ctx).text;
  assert.match(running, /data-stop-trial="r"/);
  assert.doesNotMatch(rowHtml(row(), columns, ctx).text, /data-stop-trial/);
  const stopping = rowHtml(row({ id: "r", status: "Running" }), columns, { ...ctx, stopping: new Set(["r"]) }).text;
  assert.match(stopping, /disabled>stopping…/);
  assert.doesNotMatch(rowHtml(row({ status: "Running" }), columns, { ...ctx, canStop: false }).text, /data-stop-trial/);
});

test("the header marks the sorted column", () => {
  const out = headerHtml(cols(["lr"]), { key: "param:lr", dir: "desc" }).text;
  assert.match(out, /class="hw-sortable hw-sorted" data-sort="param:lr" aria-sort="descending"/);
  assert.match(out, /lr ▼/);
});

test("progress shows one count with the bar, elapsed time and the time left", () => {
  const summary = { status: "Running", counts: { Completed: 3, Running: 2, Failed: 1 }, n_trials: 6, max_total_runs: 20, max_duration: 600 };
  const out = progressHtml(summary, 65).text;
  assert.match(out, /<span class="hw-counts">4 of 20 finished · 2 running<\/span>/);
  assert.doesNotMatch(out, /left to start|finished of/);
  assert.match(out, /8m 55s left/);
  assert.match(out, /width:20\.0%/);
  assert.match(out, /running: 2/);
  assert.doesNotMatch(out, /not started/);
});

test("progress of a 60-run sweep mid-way counts finished trials of the budget, once", () => {
  const out = progressHtml({ status: "Running", counts: { Completed: 40, StoppedEarly: 3, Running: 2, Queued: 3 }, n_trials: 48, max_total_runs: 60 }, 1).text;
  assert.match(out, />43 of 60 finished · 2 running · 3 queued</);
  assert.equal(out.match(/\b60\b/g)?.length, 2); // the count and the bar's title: one number of runs
});

test("after a cancel, progress says what was canceled and what never started", () => {
  const summary = { status: "Canceled", counts: { Completed: 50, Canceled: 2 }, n_trials: 52, max_total_runs: 60, max_duration: 600 };
  const out = progressHtml(summary, 30).text;
  assert.match(out, />52 of 60 finished</);
  assert.match(out, /<span class="hw-ended">canceled · 8 runs not started · 2 trials canceled<\/span>/);
  assert.doesNotMatch(out, /left/); // no time left once the sweep ended
  const done = progressHtml({ status: "Completed", counts: { Completed: 60 }, n_trials: 60, max_total_runs: 60 }, 3).text;
  assert.doesNotMatch(done, /hw-ended/);
  assert.match(done, />60 of 60 finished</);
  const unbounded = progressHtml({ status: "Running", counts: { Completed: 5, Running: 1 }, n_trials: 6 }, 3).text;
  assert.match(unbounded, />5 finished · 1 running</);
  assert.doesNotMatch(unbounded, /hw-bar/);
});

test("the kernel's notice is shown in the progress area while present, escaped", () => {
  const base = { status: "Running", counts: {}, n_trials: 0, max_total_runs: 4 };
  assert.match(progressHtml({ ...base, notice: "starting 4 worker processes…" }, 0).text, /<div class="hw-notice">starting 4 worker processes…<\/div>/);
  assert.doesNotMatch(progressHtml(base, 0).text, /hw-notice/);
  assert.doesNotMatch(progressHtml({ ...base, notice: null }, 0).text, /hw-notice/);
  const hostile = progressHtml({ ...base, notice: XSS }, 0).text;
  assert.ok(!hostile.includes("<img") && hostile.includes("&lt;img"), hostile);
});

test("the default order puts running trials first, then the best (goal-aware), then the rest", () => {
  const rows = [
    row({ id: "old-good", index: 0, best: 0.9 }),
    row({ id: "queued", index: 1, status: "Queued", best: null }),
    row({ id: "run-a", index: 2, status: "Running", best: 0.1 }),
    row({ id: "failed", index: 3, status: "Failed", best: 0.99 }),
    row({ id: "bad", index: 4, best: 0.2 }),
    row({ id: "run-b", index: 5, status: "Running", best: null }),
    row({ id: "stopped", index: 6, status: "StoppedEarly", best: 0.5 }),
    row({ id: "no-value", index: 7, best: null }),
  ];
  assert.deepEqual(defaultOrder(rows, "maximize").map((r) => r.id), ["run-a", "run-b", "old-good", "stopped", "bad", "queued", "failed", "no-value"]);
  assert.deepEqual(defaultOrder(rows, "minimize").map((r) => r.id), ["run-a", "run-b", "bad", "stopped", "old-good", "queued", "failed", "no-value"]);
  // the default order is no column: the header marks none
  assert.doesNotMatch(headerHtml(cols(["lr"]), { key: "default", dir: "asc" }).text, /hw-sorted/);
});

test("shortId drops the sweep-name prefix only when it is there", () => {
  assert.equal(shortId("sweep_1_12", "sweep_1"), "…_12");
  assert.equal(shortId("other_12", "sweep_1"), "other_12");
  assert.equal(shortId("sweep_1", "sweep_1"), "sweep_1");
  assert.equal(shortId("x", undefined), "x");
});

test("the id cell keeps the full id in its title", () => {
  const out = rowHtml(row({ id: "s_3" }), cols([]), { ...ctx, sweepName: "s" }).text;
  assert.match(out, /<td class="hw-id" title="s_3">…_3<\/td>/);
});


test("columns come from the kernel's spec: one per hyperparameter, the metric in labels, stop buttons last", () => {
  const columns = cols(["lr", "kernel"], "loss");
  assert.deepEqual(columns.map((c) => c.key), ["index", "id", "status", "param:lr", "param:kernel", "latest", "best", "step", "duration", "curve", "actions"]);
  assert.equal(columns.find((c) => c.key === "best")?.label, "best loss");
  assert.deepEqual(columns.filter((c) => !c.sortable).map((c) => c.key), ["curve", "actions"]);
});

test("a column of a new kind is drawn as text, so a new column needs no front-end change", () => {
  const [extra] = columnsFor([["worker", "worker", "text"]], [], "acc");
  const out = cellHtml({ ...row(), worker: XSS }, extra, ctx).text;
  assert.equal(out, "<td>&lt;img src=x onerror=alert(1)&gt;</td>");
  assert.deepEqual(sortRows([row({ id: "b", index: 1, worker: "b" }), row({ id: "a", worker: "a" })], extra, "asc", 0).map((r) => r.id), ["a", "b"]);
});

test("raw values from the kernel are formatted in the front end", () => {
  const r = row({ latest: 0.123456789, best: 0.98765432, duration: 2.476, "param:lr": 0.000012345678 });
  const cells = rowParts(r, cols(["lr"]), { ...ctx, canStop: false }).cells.join("");
  for (const text of [">0.1235<", ">0.9877<", ">1.2346e-5<", ">2.5 s<"]) assert.ok(cells.includes(text), cells);
});

test("a parameter of a branch the trial did not take is blank, sorts last and leaves a gap in the plot", () => {
  const columns = cols(["model.kernel", "model.gamma"]);
  const rbf = row({ id: "a", "param:model.kernel": "rbf", "param:model.gamma": 0.01 });
  const { "param:model.gamma": _, ...linear } = row({ id: "b", index: 1, "param:model.kernel": "linear" });
  const gamma = /** @type {import("../monitor.js").Column} */ (columns.find((c) => c.key === "param:model.gamma"));
  assert.equal(cellHtml(linear, gamma, ctx).text, '<td class="hw-param"></td>');
  assert.equal(cellHtml(rbf, gamma, ctx).text, '<td class="hw-param">0.01</td>');
  assert.equal(cellHtml(row({ "param:model.gamma": null }), gamma, ctx).text, '<td class="hw-param">None</td>');
  assert.deepEqual(sortRows([linear, rbf], gamma, "desc", 0).map((r) => r.id), ["a", "b"]);
  const [axis] = pcAxes([rbf, linear], ["model.gamma"], "acc");
  assert.equal(axisPos(axis, /** @type {*} */ (linear)["param:model.gamma"]), null);
});

test("a row without a curve draws its one latest value", () => {
  const { curve, ...single } = row({ latest: 0.3 });
  assert.match(cellHtml(single, col("curve"), ctx).text, /<circle /);
  assert.match(cellHtml({ ...single, latest: null }, col("curve"), ctx).text, /—/);
});

test("the best-so-far chart steps through the kernel's points to the last finished trial, with axes", () => {
  const out = bestChartSvg([[1, 0.5], [4, 0.9]], 10, "acc").text;
  assert.match(out, /best acc after 10 finished: <b>0\.9<\/b>/);
  assert.equal(out.match(/<polyline class="hw-best-line" points="([^"]+)"/)?.[1].split(" ").length, 4);
  assert.match(out, /class="hw-axis-label hw-xlabel"[^>]*>finished trials</);
  assert.match(out, /class="hw-axis-label hw-ylabel"[^>]*>best acc</);
  const yticks = [...out.matchAll(/hw-ytick"[^>]*>([^<]+)</g)].map((m) => m[1]);
  const xticks = [...out.matchAll(/hw-xtick"[^>]*>([^<]+)</g)].map((m) => m[1]);
  assert.ok(yticks.length >= 2 && yticks.includes("0.5") && yticks.includes("0.9"), String(yticks));
  assert.ok(xticks.length >= 2 && xticks.includes("10") && xticks.every((t) => /^\d+$/.test(t)), String(xticks));
  assert.match(bestChartSvg([], 0, "acc").text, /no finished trial yet/);
});

test("a flat best-so-far line at 1.0 still shows 1.0 on its y axis", () => {
  const out = bestChartSvg([[1, 1.0]], 7, "accuracy").text;
  const yticks = [...out.matchAll(/hw-ytick"[^>]*>([^<]+)</g)].map((m) => m[1]);
  assert.ok(yticks.includes("1.00"), String(yticks));
  assert.ok(yticks.length >= 3);
  // the line is drawn at the height of the 1.00 tick
  const tickY = Number(out.match(/y1="([\d.]+)"[^>]*><\/line><text class="hw-tick hw-ytick"[^>]*>1\.00</)?.[1]);
  const lineY = Number(out.match(/hw-best-line" points="[\d.]+,([\d.]+)/)?.[1]);
  assert.ok(Math.abs(tickY - lineY) < 0.2, `${tickY} vs ${lineY}`);
});

test("niceTicks covers the range with a nice step, and whole numbers when asked", () => {
  assert.deepEqual(niceTicks(0, 1, 5).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.13, 0.87, 4), { lo: 0, hi: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
  assert.deepEqual(niceTicks(1, 1, 4, true).ticks, [0, 1, 2]);
  assert.ok(niceTicks(1, 3, 10, true).ticks.every(Number.isInteger));
  assert.equal(formatTick(1, 0.02), "1.00");
  assert.equal(formatTick(2000, 500), "2000");
});

test("charts escape their names and skip missing values", () => {
  const out = chartSvg({ title: XSS, xLabel: XSS, yLabel: XSS, lines: [{ points: [[1, 0.5], [2, null], [3, 0.7]], id: XSS }] }).text;
  assert.ok(!out.includes("<img"), out);
  assert.equal(out.match(/<polyline [^>]*points="([^"]+)"/)?.[1].split(" ").length, 2);
  assert.match(chartSvg({ title: "t", xLabel: "x", yLabel: "y", lines: [{ points: [[1, null]] }] }).text, /no values yet/);
});

test("the module loads without a DOM and exports the anywidget entry point", () => {
  assert.equal(typeof monitor.render, "function");
});

test("the best panel lists the best trial's hyperparameters", () => {
  const out = bestPanelHtml(row({ id: "t-7", best: 0.9 }), "acc").text;
  assert.match(out, /<tr><th>lr<\/th><td>0\.1<\/td><\/tr><tr><th>kernel<\/th><td>rbf<\/td><\/tr><\/table>$/);
  assert.match(out, /acc = <b>0\.9<\/b>/);
});

test("a trial's details show every metric over its steps, its hyperparameters, the whole error and files, escaped", () => {
  const detail = {
    type: /** @type {"trial"} */ ("trial"),
    id: "s_3",
    index: 3,
    status: "Failed",
    params: { lr: 0.01, name: XSS },
    metrics: { acc: { steps: [10, 20, 30], values: [0.1, null, 0.3] }, [XSS]: { steps: [1, 2], values: [2, 1] } },
    lengths: { acc: 3000, [XSS]: 2 },
    error: `Traceback (most recent call last):\n  File "x", line 1\nValueError: ${XSS}`,
    started_at: 100,
    ended_at: 112.5,
    files: ["outputs/model.joblib", XSS],
    n_files: 2,
  };
  const out = detailHtml("s_3", detail, "acc").text;
  assert.ok(!out.includes("<img"), out);
  assert.equal((out.match(/class="hw-detail-chart"/g) ?? []).length, 2);
  assert.match(out, /data-metric="acc"[\s\S]*class="hw-axis-label hw-xlabel"[^>]*>step</);
  const xticks = [...out.split('data-metric="&lt;img')[0].matchAll(/hw-xtick"[^>]*>([^<]+)</g)].map((m) => m[1]);
  assert.ok(xticks.includes("10") && xticks.includes("30"), String(xticks)); // the logged steps, not positions
  assert.match(out, /3 of 3000 values shown/);
  assert.match(out, /<pre class="hw-error">Traceback \(most recent call last\):\n  File &quot;x&quot;, line 1\nValueError: &lt;img/);
  assert.match(out, /<li class="hw-id">outputs\/model\.joblib<\/li>/);
  assert.match(out, /<tr><th>lr<\/th><td>0\.01<\/td><\/tr>/);
  assert.match(out, /12\.5 s/);
  assert.match(out, /data-detail-close/);
});

test("the details panel says when it waits, when the trial is gone and when files cannot be listed", () => {
  assert.match(detailHtml("t1", null, "acc").text, /loading…/);
  assert.match(detailHtml("t1", { type: "trial", id: "t1", missing: true }, "acc").text, /no such trial/);
  const noFiles = detailHtml("t1", { type: "trial", id: "t1", status: "Running", metrics: {}, files: null }, "acc").text;
  assert.match(noFiles, /does not list output files/);
  assert.match(noFiles, /no metric logged/);
  assert.doesNotMatch(noFiles, /hw-error/);
  assert.match(detailHtml("t1", { type: "trial", id: "t1", metrics: {}, files: [] }, "acc").text, /no output files/);
});

test("the row whose details are open is marked", () => {
  const out = rowHtml(row({ id: "x" }), cols(["lr"]), { ...ctx, selectedId: "x" }).text;
  assert.match(out, /class="hw-row hw-selected"/);
  assert.match(rowHtml(row({ id: "y" }), cols(["lr"]), { ...ctx, selectedId: "x" }).text, /class="hw-row"/);
});

test("learning curves: one line per trial over its steps, stopped and failed trials marked, the best on top", () => {
  const rows = [
    row({ id: "best", index: 0, best: 0.9, step: 10, curve: [0.1, 0.5, 0.9] }),
    row({ id: "stop", index: 1, status: "StoppedEarly", best: 0.3, step: 4, curve: [0.1, 0.3] }),
    row({ id: "fail", index: 2, status: "Failed", best: 0.2, step: 2, curve: [0.1, 0.2] }),
    row({ id: "run", index: 3, status: "Running", best: 0.4, latest: 0.4, step: 1, curve: undefined }),
    row({ id: XSS, index: 4, best: 0.5, step: 3, curve: [0.2, 0.4, 0.5] }),
  ];
  assert.deepEqual(curvePoints(rows[0]), [[1, 0.1], [5.5, 0.5], [10, 0.9]]);
  assert.deepEqual(curvePoints(rows[3]), [[1, 0.4]]);
  const out = curvesChartSvg(rows, { metric: "acc", goal: "maximize", bestId: "best" }).text;
  assert.ok(!out.includes("<img"), out);
  assert.match(out, /hw-ylabel"[^>]*>acc</);
  assert.match(out, /<polyline class="hw-cl-failed"[^>]*data-trial-id="fail"/);
  assert.match(out, /<circle class="hw-mark hw-mark-stopped"[^>]*><title>stop stopped early at step 4/);
  assert.match(out, /<circle class="hw-mark hw-mark-failed"/);
  // the best is drawn last (on top), thick
  const ids = [...out.matchAll(/data-trial-id="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(ids[ids.length - 1], "best");
  assert.match(out, /<polyline class="hw-cl-best"/);
});

test("learning curves of 10,000 trials draw a sample: the best, the running ones, the 60 best, an even spread", () => {
  const rows = Array.from({ length: 10000 }, (_, i) => row({ id: `t${i}`, index: i, best: (i * 7919) % 10000 / 10000, status: i % 1000 === 5 ? "Running" : "Completed" }));
  const t0 = performance.now();
  const picked = curveSample(rows, "maximize", "t42", 200);
  const out = curvesChartSvg(rows, { metric: "acc", goal: "maximize", bestId: "t42" }).text;
  const ms = performance.now() - t0;
  assert.equal(picked.length, 200);
  const ids = new Set(picked.map((r) => r.id));
  assert.ok(ids.has("t42") && rows.filter((r) => r.status === "Running").every((r) => ids.has(r.id)));
  const top = [...rows].sort((a, b) => /** @type {number} */ (b.best) - /** @type {number} */ (a.best)).slice(0, 60);
  assert.ok(top.every((r) => ids.has(r.id)));
  assert.equal((out.match(/<polyline /g) ?? []).length, 200);
  assert.match(out, /200 of 10000 trials drawn/);
  assert.ok(ms < 2000, `${ms} ms`); // a guard against quadratic work, on a shared machine
  assert.deepEqual(evenSample([1, 2, 3, 4, 5], 3), [1, 3, 5]);
});

/** Rows for the parallel coordinates: a numeric, a log-scaled and a categorical hyperparameter. */
const pcRows = [
  row({ id: "a", index: 0, "param:lr": 0.1, "param:c": 0.001, "param:kernel": "rbf", best: 0.9 }),
  row({ id: "b", index: 1, "param:lr": 0.5, "param:c": 0.1, "param:kernel": "poly", best: 0.4 }),
  row({ id: "c", index: 2, "param:lr": 0.3, "param:c": 10, "param:kernel": XSS, best: null, status: "Running" }),
  row({ id: "d", index: 3, "param:lr": 0.9, "param:c": 0.01, "param:kernel": "rbf", best: 0.6 }),
];

test("an axis is log-scaled only for values sampled on a log scale", () => {
  const uniform = Array.from({ length: 1000 }, (_, i) => (i + 0.1) / 1000); // 1e-4 .. 1, evenly
  const logu = Array.from({ length: 1000 }, (_, i) => 10 ** (-5 + (5 * i) / 999)); // 1e-5 .. 1, log-evenly
  assert.equal(looksLogScaled(uniform, uniform[0], uniform[999]), false);
  assert.equal(looksLogScaled(logu, logu[0], logu[999]), true);
  assert.equal(looksLogScaled([0, 1, 100], 0, 100), false);
});

test("parallel coordinates: an axis per hyperparameter and the metric, numeric, log or categorical", () => {
  const axes = pcAxes(pcRows, ["lr", "c", "kernel"], "acc");
  assert.deepEqual(axes.map((a) => [a.key, a.kind, a.log]), [["param:lr", "num", false], ["param:c", "num", true], ["param:kernel", "cat", false], ["best", "num", false]]);
  assert.deepEqual([axes[0].lo, axes[0].hi], [0.1, 0.9]);
  assert.deepEqual(axes[2].cats, [XSS, "poly", "rbf"]);
  assert.equal(axes[3].label, "best acc");
  assert.equal(axisPos(axes[0], 0.5), 0.5);
  assert.equal(axisPos(axes[1], 0.1), 0.5); // log: 0.001 .. 10, 0.1 is half-way
  assert.equal(axisPos(axes[2], "poly"), 0.5);
  assert.equal(axisPos(axes[3], undefined), null);
  const svg = parcoordsSvg(pcRows, axes, {}, { bestId: "a" }).text;
  assert.ok(!svg.includes("<img"), svg);
  assert.equal((svg.match(/class="hw-pc-hit"/g) ?? []).length, 4);
  assert.match(svg, /<path class="hw-pc-best" d="M/);
  assert.match(svg, />rbf</);
});

test("brushing an axis selects a value range or the categories it covers, and filters the rows", () => {
  const axes = pcAxes(pcRows, ["lr", "c", "kernel"], "acc");
  const lr = brushFromPositions(axes[0], 0.5, 0.0); // from the middle down to the bottom
  assert.deepEqual(lr, { lo: 0.1, hi: 0.5 });
  assert.deepEqual(filterRows(pcRows, { "param:lr": lr }).map((r) => r.id), ["a", "b", "c"]);
  const kernel = brushFromPositions(axes[2], 0.9, 1.0);
  assert.deepEqual(kernel, { cats: ["rbf"] });
  assert.deepEqual(brushFromPositions(axes[2], 0.3, 0.45), { cats: ["poly"] }); // near a category is enough
  assert.deepEqual(brushFromPositions(axes[2], 0.2, 0.3), { cats: [] });
  assert.deepEqual(filterRows(pcRows, { "param:lr": lr, "param:kernel": kernel }).map((r) => r.id), ["a"]);
  // a trial without a metric value is outside any brush on the metric axis
  assert.equal(rowPasses(pcRows[2], { best: { lo: 0, hi: 1 } }), false);
  assert.deepEqual(filterRows(pcRows, {}), pcRows);
  const svg = parcoordsSvg(pcRows, axes, { "param:lr": lr }, { bestId: "a" }).text;
  assert.match(svg, /<rect class="hw-pc-brush" data-axis="param:lr" data-lo="0.1" data-hi="0.5"/);
  assert.match(svg, /3 of 4 trials inside the brushes/);
});

test("brushing 10,000 rows takes a few milliseconds", () => {
  const rows = Array.from({ length: 10000 }, (_, i) => row({ id: `t${i}`, index: i, "param:lr": (i % 997) / 997, "param:kernel": ["rbf", "poly", "linear"][i % 3], best: (i % 101) / 101 }));
  const t0 = performance.now();
  const axes = pcAxes(rows, ["lr", "kernel"], "acc");
  const brush = { "param:lr": brushFromPositions(axes[0], 0.2, 0.4) };
  const inside = filterRows(rows, brush);
  const svg = parcoordsSvg(rows, axes, brush, { bestId: "t1" }).text;
  const ms = performance.now() - t0;
  assert.ok(inside.length > 1000 && inside.every((r) => r["param:lr"] >= 0.2 - 1e-12 && r["param:lr"] <= 0.4 + 1e-12));
  assert.ok(svg.length < 400_000, String(svg.length));
  assert.ok(ms < 2000, `${ms} ms`); // a guard against quadratic work, on a shared machine
});

test("the best-so-far chart can show the time since the sweep started on x", () => {
  const points = /** @type {Array<[number, number, number]>} */ ([[1, 0.5, 1010], [4, 0.9, 1130]]);
  const byTrials = bestChartSvg(points, 10, "acc", { startedAt: 1000, elapsed: 200 }).text;
  assert.match(byTrials, /hw-xlabel"[^>]*>finished trials</);
  assert.match(byTrials, /class="hw-link hw-active" data-best-x="trials"/);
  const byTime = bestChartSvg(points, 10, "acc", { x: "time", startedAt: 1000, elapsed: 200 }).text;
  assert.match(byTime, /hw-xlabel"[^>]*>time since the sweep started</);
  assert.match(byTime, /best acc after 3m 20s: <b>0\.9<\/b>/);
  const xticks = [...byTime.matchAll(/hw-xtick"[^>]*>([^<]+)</g)].map((m) => m[1]);
  assert.ok(xticks.includes("0") && xticks.some((t) => /m/.test(t)), String(xticks));
  // points without end times (an older kernel) stay on finished trials, without the toggle
  const old = bestChartSvg([[1, 0.5], [4, 0.9]], 10, "acc", { x: "time", startedAt: 1000, elapsed: 200 }).text;
  assert.match(old, /finished trials</);
  assert.doesNotMatch(old, /data-best-x/);
  assert.deepEqual([0, 45, 120, 150, 3900].map(formatClock), ["0", "45s", "2m", "2m30s", "1h05m"]);
});
