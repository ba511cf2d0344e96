// Tests of the monitor's Pareto front helpers (multi-objective sweeps): `node --test js/test/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { columnsFor, frontChartSvg, frontStepLine, rowHtml } from "../monitor.js";

/** The kernel's columns of a sweep with objectives error and size (_snapshot.columns_for). */
const SPEC = [
  ["index", "#", "index"],
  ["id", "run id", "id"],
  ["status", "status", "status"],
  ["params", "", "params"],
  ["latest", "latest {metric}", "number"],
  ["best", "best {metric}", "number"],
  ["obj:size", "size", "number"],
  ["step", "step", "count"],
];
const ctx = { bestId: "a", now: 200, stopping: new Set(), canStop: true, metric: "error" };

/** @type {import("../monitor.js").Front} */
const FRONT = {
  objectives: [["error", "minimize"], ["size", "minimize"]],
  size: 3,
  eligible: 5,
  points: [
    [0.1, 8, true, "a"],
    [0.3, 2, true, "c"],
    [0.2, 4, true, "b"],
    [0.3, 6, false, "d"],
    [0.4, 9, false, "e<x>"],
  ],
};

test("the staircase joins front points through the corner worse than both", () => {
  const pts = /** @type {Array<[number, number]>} */ ([[0.3, 2], [0.1, 8], [0.2, 4]]);
  assert.deepEqual(frontStepLine(pts, ["minimize", "minimize"]), [[0.1, 8], [0.2, 8], [0.2, 4], [0.3, 4], [0.3, 2]]);
  // maximize x, minimize y: better x costs a larger y; the corner takes the smaller x and the larger y
  const maxi = /** @type {Array<[number, number]>} */ ([[0.9, 5], [0.5, 1]]);
  assert.deepEqual(frontStepLine(maxi, ["maximize", "minimize"]), [[0.5, 1], [0.5, 5], [0.9, 5]]);
  assert.deepEqual(frontStepLine([], ["minimize", "minimize"]), []);
});

test("the front chart draws the dominated trials, the front's marks and its staircase, escaped", () => {
  const out = frontChartSvg(FRONT).text;
  assert.match(out, /Pareto front: <b>3<\/b> of 5 trials/);
  assert.equal((out.match(/class="hw-mark hw-front-mark"/g) ?? []).length, 3);
  assert.equal((out.match(/class="hw-dominated"/g) ?? []).length, 2);
  assert.match(out, /<polyline class="hw-front-line" points="[^"]+ [^"]+ [^"]+ [^"]+ [^"]+"/); // 3 points, 2 corners
  assert.match(out, /data-trial-id="e&lt;x&gt;"/);
  assert.doesNotMatch(out, /<x>/);
  assert.match(out, /error ↓/);
  assert.match(out, /<title>a: error 0\.1, size 8<\/title>/);
});

test("three objectives are drawn in the first two and say so; no front draws nothing", () => {
  const three = { ...FRONT, objectives: [...FRONT.objectives, ["latency", "minimize"]] };
  assert.match(frontChartSvg(/** @type {*} */ (three)).text, /first 2 of 3 objectives shown/);
  assert.equal(frontChartSvg(undefined).text, "");
  assert.match(frontChartSvg({ ...FRONT, size: 0, eligible: 0, points: [] }).text, /no trial has every objective yet/);
});

test("a front member's row carries the badge and data-front; the objective has its own column", () => {
  const columns = columnsFor(/** @type {*} */ (SPEC), ["w"], "error");
  assert.deepEqual(columns.map((c) => c.label).slice(4, 7), ["latest error", "best error", "size"]);
  const base = { id: "b", index: 1, status: "Completed", "param:w": 2, latest: 0.2, best: 0.2, step: 1, "obj:size": 4 };
  const member = rowHtml({ ...base, front: true }, columns, ctx).text;
  assert.match(member, /data-front="true"/);
  assert.match(member, /<span class="hw-front-badge" title="on the Pareto front">◆<\/span> 1/);
  assert.match(member, /<td class="hw-num">4<\/td>/);
  const other = rowHtml(base, columns, ctx).text;
  assert.doesNotMatch(other, /hw-front-badge|data-front/);
});
