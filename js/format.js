// Pure helpers of the sweep monitor: escaping, formatting, sorting, paging and
// the small SVG charts. No DOM access here, so `node --test js/test/` covers
// all of it. monitor.js imports these names; the Python side
// (hyperwidget/notebook/_assets.py) inlines this file in front of monitor.js
// because anywidget loads `_esm` as one module text.

/**
 * A row of the monitor table, as built by hyperwidget/notebook/_snapshot.py.
 * @typedef {Object} Row
 * @property {string} id
 * @property {number} index
 * @property {string} status  one of the keys of STATUS_INFO
 * @property {Object<string, *>} params
 * @property {number|null} latest  latest value of the primary metric
 * @property {number|null} best  best value of the primary metric
 * @property {number} step  number of values logged for the primary metric
 * @property {number|null} started_at  unix seconds
 * @property {number|null} ended_at  unix seconds
 * @property {Array<number|null>} [curve]  primary-metric series (downsampled);
 *   absent when it has one value (then it is `latest`) or none
 * @property {number|null} [duration]  seconds, only for rows without times
 * @property {string|null} [error]
 */

/**
 * @typedef {Object} Column
 * @property {string} key  sort key: "index", "id", "status", "param:<name>", ...
 * @property {string} label
 * @property {boolean} sortable
 */

/** HTML that is already safe; built only by `html` and `raw`. */
export class SafeHtml {
  /** @param {string} text */
  constructor(text) {
    this.text = text;
  }
  toString() {
    return this.text;
  }
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

/**
 * Escape any value for use as HTML text or a quoted attribute value.
 * @param {*} value
 * @returns {string}
 */
export function esc(value) {
  return String(value ?? "").replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

/**
 * Mark trusted markup (only string constants of this module) as safe.
 * @param {string} text
 * @returns {SafeHtml}
 */
export function raw(text) {
  return new SafeHtml(text);
}

/**
 * Tagged template that escapes every interpolated value unless it is SafeHtml;
 * arrays are joined, each item handled the same way. Safe by construction:
 * markup can only come from the template's literal parts.
 * @param {TemplateStringsArray} strings
 * @param {...*} values
 * @returns {SafeHtml}
 */
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((value, i) => {
    out += interpolate(value) + strings[i + 1];
  });
  return new SafeHtml(out);
}

/** @param {*} value @returns {string} */
function interpolate(value) {
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(interpolate).join("");
  if (value === null || value === undefined || value === false) return "";
  return esc(value);
}

/** Status name -> label, CSS modifier and sort order (lifecycle order). */
export const STATUS_INFO = Object.freeze({
  Queued: { label: "queued", css: "queued", order: 0 },
  Running: { label: "running", css: "running", order: 1 },
  Completed: { label: "completed", css: "completed", order: 2 },
  StoppedEarly: { label: "stopped early", css: "stopped", order: 3 },
  Canceled: { label: "canceled", css: "canceled", order: 4 },
  Failed: { label: "failed", css: "failed", order: 5 },
  TimedOut: { label: "timed out", css: "failed", order: 6 },
  Crashed: { label: "crashed", css: "failed", order: 7 },
});

/**
 * Label and CSS modifier of a status, with a neutral fallback for unknown names.
 * @param {string} status
 * @returns {{label: string, css: string, order: number}}
 */
export function statusInfo(status) {
  return STATUS_INFO[status] ?? { label: String(status ?? "unknown").toLowerCase(), css: "unknown", order: 99 };
}

/**
 * True while a trial may still be stopped (queued or running).
 * @param {string} status
 */
export function isActive(status) {
  return status === "Queued" || status === "Running";
}

/**
 * A metric value with 4 significant digits; "—" when missing.
 * @param {number|null|undefined} value
 * @returns {string}
 */
export function formatNumber(value) {
  if (value === null || value === undefined || typeof value !== "number" || Number.isNaN(value)) return "—";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(value.toPrecision(4)));
}

/**
 * A hyperparameter value: numbers with up to 6 significant digits, strings as
 * they are, other JSON values as JSON. Escaping is left to the caller (`html`).
 * @param {*} value
 * @returns {string}
 */
export function formatParam(value) {
  if (value === null || value === undefined) return "None";
  if (typeof value === "number") {
    if (Number.isInteger(value)) return String(value);
    const abs = Math.abs(value);
    if (abs !== 0 && (abs < 1e-4 || abs >= 1e7)) return value.toExponential(4).replace(/\.?0+e/, "e");
    return String(Number(value.toPrecision(6)));
  }
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/**
 * A duration in seconds as "850 ms", "12.3 s", "4m 05s" or "1h 02m".
 * @param {number|null|undefined} seconds
 * @returns {string}
 */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  return `${m}m ${String(s).padStart(2, "0")}s`;
}

/**
 * Seconds a row has run: live for running trials (`now` in kernel seconds).
 * @param {Row} row
 * @param {number} now
 * @returns {number|null}
 */
export function rowDuration(row, now) {
  if (row.started_at === null || row.started_at === undefined) return row.duration ?? null;
  if (row.ended_at !== null && row.ended_at !== undefined) return Math.max(0, row.ended_at - row.started_at);
  if (row.status === "Running") return Math.max(0, now - row.started_at);
  return row.duration ?? null;
}

/**
 * The table's columns: fixed ones around one column per hyperparameter.
 * @param {string[]} paramNames
 * @param {string} metric
 * @returns {Column[]}
 */
export function columnsFor(paramNames, metric) {
  return [
    { key: "index", label: "#", sortable: true },
    { key: "id", label: "run id", sortable: true },
    { key: "status", label: "status", sortable: true },
    ...paramNames.map((name) => ({ key: `param:${name}`, label: name, sortable: true })),
    { key: "latest", label: `latest ${metric}`, sortable: true },
    { key: "best", label: `best ${metric}`, sortable: true },
    { key: "step", label: "step", sortable: true },
    { key: "duration", label: "duration", sortable: true },
    { key: "curve", label: "curve", sortable: false },
    { key: "actions", label: "", sortable: false },
  ];
}

/**
 * The value a column sorts on; null means missing (always sorted last).
 * @param {Row} row
 * @param {string} key
 * @param {number} now  kernel time, for running durations
 * @returns {number|string|null}
 */
export function sortValue(row, key, now) {
  if (key.startsWith("param:")) {
    const value = row.params?.[key.slice(6)];
    if (value === null || value === undefined) return null;
    return typeof value === "number" || typeof value === "string" ? value : formatParam(value);
  }
  switch (key) {
    case "status":
      return statusInfo(row.status).order;
    case "duration":
      return rowDuration(row, now);
    case "latest":
    case "best":
    case "step":
    case "index":
    case "id": {
      const value = row[key];
      return value === undefined || (typeof value === "number" && Number.isNaN(value)) ? null : value;
    }
    default:
      return null;
  }
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/**
 * Compare two sort values: numbers before strings, strings in natural order.
 * @param {number|string} a
 * @param {number|string} b
 * @returns {number}
 */
export function compareValues(a, b) {
  const na = typeof a === "number";
  const nb = typeof b === "number";
  if (na && nb) return a < b ? -1 : a > b ? 1 : 0;
  if (na !== nb) return na ? -1 : 1;
  return collator.compare(String(a), String(b));
}

/**
 * A sorted copy of `rows`. Missing values go last in both directions; ties
 * keep trial order, so the sort is stable and deterministic.
 * @param {Row[]} rows
 * @param {string} key
 * @param {"asc"|"desc"} dir
 * @param {number} [now]
 * @returns {Row[]}
 */
export function sortRows(rows, key, dir, now = Date.now() / 1000) {
  const sign = dir === "desc" ? -1 : 1;
  const keyed = rows.map((row) => ({ row, value: sortValue(row, key, now) }));
  keyed.sort((a, b) => {
    if (a.value === null || b.value === null) {
      if (a.value === null && b.value === null) return a.row.index - b.row.index;
      return a.value === null ? 1 : -1;
    }
    return sign * compareValues(a.value, b.value) || a.row.index - b.row.index;
  });
  return keyed.map((k) => k.row);
}

/**
 * The next sort state after a click on column `key`: a new column sorts
 * ascending (metrics: best first), the same column flips direction.
 * @param {{key: string, dir: "asc"|"desc"}} current
 * @param {string} key
 * @param {string} goal  "maximize" or "minimize"
 * @returns {{key: string, dir: "asc"|"desc"}}
 */
export function nextSort(current, key, goal) {
  if (current.key === key) return { key, dir: current.dir === "asc" ? "desc" : "asc" };
  const metricFirst = (key === "latest" || key === "best") && goal === "maximize";
  return { key, dir: metricFirst ? "desc" : "asc" };
}

/**
 * One page of rows, with the page number clamped to the valid range.
 * @template T
 * @param {T[]} rows
 * @param {number} page  zero-based
 * @param {number} pageSize
 * @returns {{rows: T[], page: number, pageCount: number, start: number, end: number}}
 */
export function pageOf(rows, page, pageSize) {
  const size = Math.max(1, Math.floor(pageSize) || 1);
  const pageCount = Math.max(1, Math.ceil(rows.length / size));
  const p = Math.min(Math.max(0, Math.floor(page) || 0), pageCount - 1);
  const start = p * size;
  const end = Math.min(rows.length, start + size);
  return { rows: rows.slice(start, end), page: p, pageCount, start, end };
}

/**
 * Merge incoming rows into `store` (id -> row). Messages arrive in the order
 * the kernel sent them, so an incoming row is always the newer one.
 * @param {Map<string, Row>} store
 * @param {Row[]} incoming
 * @returns {number} how many rows were merged
 */
export function mergeRows(store, incoming) {
  for (const row of incoming) store.set(row.id, row);
  return incoming.length;
}

/** Status names by code, for rows from a kernel that sent no `statuses`. */
export const STATUSES = Object.freeze(["Queued", "Running", "Completed", "StoppedEarly", "Failed", "TimedOut", "Crashed", "Canceled"]);

/**
 * Rows from the kernel's positional wire format (`wire_row` in
 * hyperwidget/notebook/_snapshot.py: index, status, latest, best, step,
 * started_at, ended_at, params, then the optional id, curve and error). Values
 * are raw (times in unix seconds, unrounded): formatting happens here, in the
 * front end. A status is a code into `statuses` (or a name); a missing or
 * null id is `idPrefix + index`.
 * @param {Array<Array<*>>} wire
 * @param {string[]} paramNames
 * @param {string} idPrefix
 * @param {ReadonlyArray<string>} [statuses]  status names by code (message field `statuses`)
 * @returns {Row[]}
 */
export function decodeRows(wire, paramNames, idPrefix, statuses = STATUSES) {
  return wire.map((r) => {
    /** @type {Object<string, *>} */
    const params = {};
    const values = Array.isArray(r[7]) ? r[7] : [];
    paramNames.forEach((name, i) => {
      if (i < values.length) params[name] = values[i];
    });
    /** @type {Row} */
    const row = {
      id: r[8] ?? `${idPrefix}${r[0]}`,
      index: r[0],
      status: typeof r[1] === "number" ? statuses[r[1]] ?? String(r[1]) : String(r[1]),
      latest: typeof r[2] === "number" ? r[2] : null,
      best: typeof r[3] === "number" ? r[3] : null,
      step: typeof r[4] === "number" ? r[4] : 0,
      started_at: typeof r[5] === "number" ? r[5] : null,
      ended_at: typeof r[6] === "number" ? r[6] : null,
      params,
    };
    if (Array.isArray(r[9])) row.curve = r[9];
    if (r[10]) row.error = r[10];
    return row;
  });
}

/**
 * Best-so-far series over finished trials in the order they ended.
 * @param {Row[]} rows
 * @param {string} goal  "maximize" or "minimize"
 * @returns {{x: number, y: number, id: string}[]}  x = 1-based finish order
 */
export function bestSoFar(rows, goal) {
  const finished = rows
    .filter((r) => !isActive(r.status) && typeof r.best === "number" && Number.isFinite(r.best))
    .sort((a, b) => (a.ended_at ?? Infinity) - (b.ended_at ?? Infinity) || a.index - b.index);
  const out = [];
  let best = null;
  let bestId = "";
  finished.forEach((row, i) => {
    if (best === null || (goal === "minimize" ? row.best < best : row.best > best)) {
      best = row.best;
      bestId = row.id;
    }
    out.push({ x: i + 1, y: best, id: bestId });
  });
  return out;
}

/**
 * Evenly keep at most `max` points of a series (first and last kept).
 * @param {Array<number|null>} values
 * @param {number} max
 * @returns {Array<number|null>}
 */
export function downsample(values, max) {
  if (values.length <= max || max < 2) return values.slice();
  const out = [];
  for (let i = 0; i < max; i += 1) out.push(values[Math.round((i * (values.length - 1)) / (max - 1))]);
  return out;
}

/**
 * SVG polyline points for `values` scaled into a width x height box, with a
 * 1 px margin. Missing values are skipped. Returns "" when nothing to draw.
 * @param {Array<number|null>} values
 * @param {number} width
 * @param {number} height
 * @param {{min?: number, max?: number, xs?: number[]}} [range]
 * @returns {string}
 */
export function polylinePoints(values, width, height, range = {}) {
  const finite = values.filter((v) => typeof v === "number" && Number.isFinite(v));
  if (finite.length === 0) return "";
  const lo = range.min ?? Math.min(...finite);
  const hi = range.max ?? Math.max(...finite);
  const xs = range.xs ?? values.map((_, i) => i);
  const xLo = Math.min(...xs);
  const xHi = Math.max(...xs);
  const sx = (x) => (xHi === xLo ? width / 2 : 1 + ((x - xLo) / (xHi - xLo)) * (width - 2));
  const sy = (y) => (hi === lo ? height / 2 : height - 1 - ((y - lo) / (hi - lo)) * (height - 2));
  const pts = [];
  values.forEach((v, i) => {
    if (typeof v === "number" && Number.isFinite(v)) pts.push(`${sx(xs[i]).toFixed(1)},${sy(v).toFixed(1)}`);
  });
  return pts.join(" ");
}

/**
 * The learning curve of a row: `curve`, or its one value `latest`.
 * @param {Row} row
 * @returns {Array<number|null>}
 */
export function curveOf(row) {
  if (Array.isArray(row.curve)) return row.curve;
  return typeof row.latest === "number" ? [row.latest] : [];
}

/**
 * A small learning-curve SVG for one trial.
 * @param {Array<number|null>} curve
 * @param {string} label  accessible title (escaped)
 * @returns {SafeHtml}
 */
export function sparklineSvg(curve, label) {
  const w = 80;
  const h = 20;
  const points = polylinePoints(curve ?? [], w, h);
  if (!points) return html`<span class="hw-muted">—</span>`;
  const single = !points.includes(" ");
  return html`<svg class="hw-spark" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img"><title>${label}</title>${
    single ? html`<circle cx="${points.split(",")[0]}" cy="${points.split(",")[1]}" r="2"></circle>` : html`<polyline points="${points}"></polyline>`
  }</svg>`;
}

/**
 * The best-so-far chart: a step line of the running best over finished trials.
 * @param {{x: number, y: number}[]} series
 * @param {string} metric
 * @returns {SafeHtml}
 */
export function bestChartSvg(series, metric) {
  const w = 260;
  const h = 90;
  if (series.length === 0) return html`<div class="hw-chart-empty hw-muted">best-so-far chart: no finished trial yet</div>`;
  const step = [];
  const xs = [];
  series.forEach((p, i) => {
    if (i > 0) {
      step.push(series[i - 1].y);
      xs.push(p.x);
    }
    step.push(p.y);
    xs.push(p.x);
  });
  const points = polylinePoints(step, w, h - 14, { xs });
  const last = series[series.length - 1];
  return html`<svg class="hw-best-chart" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img"><title>best ${metric} so far</title><polyline points="${points}"></polyline><text x="2" y="${h - 2}">best ${metric} after ${last.x} finished: ${formatNumber(last.y)}</text></svg>`;
}

/**
 * Counts by status as small coloured chips, in lifecycle order.
 * @param {Object<string, number>} counts
 * @returns {SafeHtml}
 */
export function statusChips(counts) {
  const names = Object.keys(counts ?? {})
    .filter((k) => counts[k] > 0)
    .sort((a, b) => statusInfo(a).order - statusInfo(b).order);
  return html`${names.map((name) => html`<span class="hw-chip hw-status-${statusInfo(name).css}" data-status="${name}">${statusInfo(name).label}: ${counts[name]}</span>`)}`;
}

/**
 * What rendering a row needs besides the row.
 * @typedef {Object} RowContext
 * @property {string|null} bestId
 * @property {number} now  kernel time (unix seconds)
 * @property {Set<string>} stopping  trial ids whose stop was requested
 * @property {boolean} canStop  the sweep is running
 * @property {string} metric
 * @property {string} [sweepName]
 */

/**
 * A trial id without its sweep-name prefix ("…_12"), which every id repeats.
 * @param {string} id
 * @param {string} [sweepName]
 * @returns {string}
 */
export function shortId(id, sweepName) {
  const text = String(id);
  if (sweepName && text.startsWith(`${sweepName}_`) && text.length > sweepName.length + 1) {
    return `…${text.slice(sweepName.length)}`;
  }
  return text;
}

/**
 * The parts of one trial's `<tr>`: its attributes and one HTML string per
 * cell, so the view can update only the cells that changed (a row rebuilt
 * under the pointer would swallow clicks on its stop button).
 * @param {Row} row
 * @param {Column[]} columns
 * @param {RowContext} ctx
 * @returns {{attrs: Object<string, string>, cells: string[]}}
 */
export function rowParts(row, columns, ctx) {
  const isBest = ctx.bestId !== null && row.id === ctx.bestId;
  const info = statusInfo(row.status);
  return {
    attrs: {
      class: isBest ? "hw-row hw-best" : "hw-row",
      "data-trial-id": String(row.id),
      "data-status": String(row.status),
      "data-best": isBest ? "true" : "false",
      title: row.error ? String(row.error) : "",
    },
    cells: columns.map((col) => cellHtml(row, col, ctx, info).text),
  };
}

/**
 * The `<tr>` of one trial. Every value is escaped by `html`.
 * @param {Row} row
 * @param {Column[]} columns
 * @param {RowContext} ctx
 * @returns {SafeHtml}
 */
export function rowHtml(row, columns, ctx) {
  const { attrs, cells } = rowParts(row, columns, ctx);
  const attrText = Object.entries(attrs)
    .filter(([, v]) => v !== "")
    .map(([k, v]) => html` ${raw(k)}="${v}"`);
  return html`<tr${attrText}>${cells.map(raw)}</tr>`;
}

/**
 * One `<td>`.
 * @param {Row} row
 * @param {Column} col
 * @param {RowContext} ctx
 * @param {{label: string, css: string}} info
 * @returns {SafeHtml}
 */
function cellHtml(row, col, ctx, info) {
  if (col.key.startsWith("param:")) {
    return html`<td class="hw-param">${formatParam(row.params?.[col.key.slice(6)])}</td>`;
  }
  switch (col.key) {
    case "index":
      return html`<td class="hw-num">${row.id === ctx.bestId ? raw('<span class="hw-star" title="best">★</span> ') : ""}${row.index}</td>`;
    case "id":
      return html`<td class="hw-id" title="${row.id}">${shortId(row.id, ctx.sweepName)}</td>`;
    case "status":
      return html`<td><span class="hw-status hw-status-${info.css}">${info.label}</span></td>`;
    case "latest":
    case "best":
      return html`<td class="hw-num">${formatNumber(row[col.key])}</td>`;
    case "step":
      return html`<td class="hw-num">${row.step ?? 0}</td>`;
    case "duration":
      return html`<td class="hw-num">${formatDuration(rowDuration(row, ctx.now))}</td>`;
    case "curve":
      return html`<td>${sparklineSvg(curveOf(row), `${ctx.metric} of ${row.id}`)}</td>`;
    case "actions":
      return html`<td>${actionHtml(row, ctx)}</td>`;
    default:
      return html`<td></td>`;
  }
}

/**
 * The per-trial stop button (only for queued or running trials).
 * @param {Row} row
 * @param {{stopping: Set<string>, canStop: boolean}} ctx
 * @returns {SafeHtml|string}
 */
function actionHtml(row, ctx) {
  if (!isActive(row.status) || !ctx.canStop) return "";
  const pending = ctx.stopping.has(row.id);
  return html`<button type="button" class="hw-btn hw-stop-trial" data-stop-trial="${row.id}"${pending ? raw(" disabled") : ""}>${pending ? "stopping…" : "stop"}</button>`;
}

/**
 * The table header with sort indicators.
 * @param {Column[]} columns
 * @param {{key: string, dir: "asc"|"desc"}} sort
 * @returns {SafeHtml}
 */
export function headerHtml(columns, sort) {
  return html`<tr>${columns.map((col) => {
    if (!col.sortable) return html`<th>${col.label}</th>`;
    const active = sort.key === col.key;
    const arrow = active ? (sort.dir === "asc" ? " ▲" : " ▼") : "";
    const aria = active ? (sort.dir === "asc" ? "ascending" : "descending") : "none";
    return html`<th class="hw-sortable${active ? raw(" hw-sorted") : ""}" data-sort="${col.key}" aria-sort="${aria}" title="sort by ${col.label}">${col.label}${arrow}</th>`;
  })}</tr>`;
}

/**
 * The best-configuration panel.
 * @param {Row|undefined} best
 * @param {string} metric
 * @returns {SafeHtml}
 */
export function bestPanelHtml(best, metric) {
  if (!best) return html`<div class="hw-best-title">best configuration</div><div class="hw-muted">no ${metric} value yet</div>`;
  const params = Object.entries(best.params ?? {});
  return html`<div class="hw-best-title">best configuration: <span class="hw-id">${best.id}</span></div><div class="hw-best-value">${metric} = <b>${formatNumber(best.best)}</b> <span class="hw-status hw-status-${statusInfo(best.status).css}">${statusInfo(best.status).label}</span></div><table class="hw-kv">${params.map(
    ([name, value]) => html`<tr><th>${name}</th><td>${formatParam(value)}</td></tr>`,
  )}</table>`;
}

/**
 * The progress line: counts, elapsed time and remaining budget.
 * @param {Summary} summary
 * @param {number} elapsed  seconds
 * @returns {SafeHtml}
 *
 * @typedef {Object} Summary
 * @property {string} status  sweep status ("Running", "Completed", "Canceled", "Failed")
 * @property {Object<string, number>} counts
 * @property {number} n_trials
 * @property {string|null} best_id
 * @property {number|null} best_value
 * @property {number|null} elapsed
 * @property {number|null} max_total_runs
 * @property {number|null} max_duration  seconds
 * @property {number|null} now  kernel unix seconds when the summary was built
 */
export function progressHtml(summary, elapsed) {
  const counts = summary.counts ?? {};
  const finished = Object.entries(counts)
    .filter(([k]) => !isActive(k))
    .reduce((s, [, n]) => s + n, 0);
  const total = summary.max_total_runs ?? null;
  const pct = total ? Math.min(100, (100 * finished) / total) : null;
  const budget = [];
  if (total !== null) budget.push(`${Math.max(0, total - (summary.n_trials ?? 0))} of ${total} runs left to start`);
  if (summary.max_duration !== null && summary.max_duration !== undefined && summary.status === "Running") {
    budget.push(`${formatDuration(Math.max(0, summary.max_duration - elapsed))} left`);
  }
  return html`<div class="hw-progress-line"><span class="hw-sweep-status hw-sweep-${String(summary.status ?? "").toLowerCase()}">${summary.status ?? ""}</span> <span class="hw-elapsed">elapsed ${formatDuration(elapsed)}</span> <span class="hw-counts">${finished} finished of ${summary.n_trials ?? 0} trials</span>${
    budget.length ? html` <span class="hw-budget">${budget.join(", ")}</span>` : ""
  }</div>${pct === null ? "" : html`<div class="hw-bar"><div class="hw-bar-fill" style="width:${pct.toFixed(1)}%"></div></div>`}<div class="hw-chips">${statusChips(counts)}</div>`;
}
