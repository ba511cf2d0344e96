// Front-end of hyperwidget's live sweep monitor: one anywidget ES module, no build step.
//
// Data flow (see hyperwidget/notebook/monitor.py):
// - the kernel sends custom messages {type: "update", full, rows, summary, sweep}
//   at most ~10 per second with the rows that changed (`full`: every row), as
//   plain objects of raw values (hyperwidget/notebook/_snapshot.py `row`); this
//   module formats them;
// - `sweep.columns` lists the table's columns as [key, label, kind]: a cell is
//   drawn by its kind, so a new column needs no change here;
// - the traits `summary` and `sweep` are synced when the sweep ends (the rows
//   are not: the final table stays in the notebook as static HTML instead);
// - each view asks for every row when it starts (`snapshot_request`), because
//   custom messages sent before the view existed are not replayed;
// - stop buttons send {type: "stop_sweep"} and {type: "stop_trial", id}.
// All markup is built with the escaping `html` template below. The helpers
// above `render` are pure and exported for `node --test js/test/`.

/**
 * A table row, as built by `row` in hyperwidget/notebook/_snapshot.py: each
 * hyperparameter under `param:<name>`, `duration` once the trial has ended,
 * `started_at` (kernel unix seconds) while it runs, `curve` when the metric has
 * two or more values, `error` when the trial has one.
 * @typedef {{id: string, index: number, status: string, latest: number|null, best: number|null,
 *   step: number, duration?: number, started_at?: number, curve?: Array<number|null>, error?: string,
 *   [param: string]: *}} Row
 * @typedef {{key: string, label: string, kind: string, sortable: boolean}} Column
 * @typedef {{status?: string, counts?: Object<string, number>, n_trials?: number, n_finished?: number,
 *   best_id?: string|null, best_value?: number|null, best_chart?: Array<[number, number]>,
 *   started_at?: number|null, elapsed?: number|null, max_total_runs?: number|null,
 *   max_duration?: number|null, now?: number, notice?: string|null}} Summary
 * @typedef {{name?: string, metric?: string, goal?: string, param_names?: string[],
 *   columns?: Array<[string, string, string]>}} Sweep
 * @typedef {{bestId: string|null, now: number, stopping: Set<string>, canStop: boolean, metric: string,
 *   sweepName?: string, selectedId?: string|null}} RowContext
 */

// ------------------------------------------------------------------ escaping
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

/** Escape any value for HTML text or a quoted attribute. @param {*} value */
export function esc(value) {
  return String(value ?? "").replace(/[&<>"'`]/g, (c) => ESCAPES[/** @type {keyof ESCAPES} */ (c)]);
}

/** Mark trusted markup (string constants of this module only) as safe. @param {string} text */
export function raw(text) {
  return new SafeHtml(text);
}

/**
 * Tagged template that escapes every interpolated value unless it is SafeHtml;
 * arrays are joined; null, undefined and false vanish. Markup can only come
 * from the template's literal parts.
 * @param {TemplateStringsArray} strings
 * @param {...*} values
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

// ---------------------------------------------------------------- formatting
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

/** @param {string} status @returns {{label: string, css: string, order: number}} */
export function statusInfo(status) {
  return STATUS_INFO[/** @type {keyof STATUS_INFO} */ (status)] ?? { label: String(status ?? "unknown").toLowerCase(), css: "unknown", order: 99 };
}

/** True while a trial may still be stopped. @param {string} status */
export function isActive(status) {
  return status === "Queued" || status === "Running";
}

/** A metric value with 4 significant digits; "—" when missing. @param {*} value */
export function formatNumber(value) {
  if (typeof value !== "number" || Number.isNaN(value)) return "—";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(value.toPrecision(4)));
}

/** A hyperparameter value, Python-like (6 significant digits). @param {*} value */
export function formatParam(value) {
  if (value === null || value === undefined) return "None";
  if (typeof value === "number") {
    if (Number.isInteger(value)) return String(value);
    const abs = Math.abs(value);
    if (abs !== 0 && (abs < 1e-4 || abs >= 1e7)) return value.toExponential(4).replace(/\.?0+e/, "e");
    return String(Number(value.toPrecision(6)));
  }
  if (typeof value === "boolean") return value ? "True" : "False";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Seconds as "850 ms", "12.3 s", "4m 05s" or "1h 02m". @param {number|null|undefined} seconds */
export function formatDuration(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const total = Math.floor(seconds);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  return h > 0 ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}m ${String(s).padStart(2, "0")}s`;
}

/** Seconds a trial has run, live while running (`now`: kernel seconds). @param {Row} row @param {number} now */
export function rowDuration(row, now) {
  if (typeof row.duration === "number") return row.duration;
  return typeof row.started_at === "number" ? Math.max(0, now - row.started_at) : null;
}

/** A trial id without its sweep-name prefix. @param {string} id @param {string} [sweepName] */
export function shortId(id, sweepName) {
  const text = String(id);
  if (sweepName && text.startsWith(`${sweepName}_`) && text.length > sweepName.length + 1) return `…${text.slice(sweepName.length)}`;
  return text;
}

// ------------------------------------------------------ columns, sort, pages
/**
 * The table's columns from the kernel's spec ([key, label, kind]; kind
 * "params" becomes one column per hyperparameter), then the stop buttons.
 * @param {Array<[string, string, string]>} spec
 * @param {string[]} paramNames
 * @param {string} metric
 * @returns {Column[]}
 */
export function columnsFor(spec, paramNames, metric) {
  /** @type {Column[]} */
  const out = [];
  for (const [key, label, kind] of spec) {
    if (kind === "params") paramNames.forEach((name) => out.push({ key: `param:${name}`, label: name, kind: "param", sortable: true }));
    else out.push({ key, label: label.replaceAll("{metric}", metric), kind, sortable: kind !== "curve" });
  }
  out.push({ key: "actions", label: "", kind: "actions", sortable: false });
  return out;
}

/**
 * The value a column sorts on; null means missing (always sorted last).
 * @param {Row} row @param {Column} col @param {number} now
 * @returns {number|string|null}
 */
export function sortValue(row, col, now) {
  /** @type {*} */
  let value;
  if (col.kind === "status") value = statusInfo(row.status).order;
  else if (col.kind === "duration") value = rowDuration(row, now);
  else value = /** @type {*} */ (row)[col.key];
  if (value === null || value === undefined || Number.isNaN(value)) return null;
  return typeof value === "number" || typeof value === "string" ? value : formatParam(value);
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/** Numbers before strings, strings in natural order. @param {number|string} a @param {number|string} b */
export function compareValues(a, b) {
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "number" || typeof b === "number") return typeof a === "number" ? -1 : 1;
  return collator.compare(a, b);
}

/**
 * A sorted copy of `rows`: missing values last in both directions, ties in trial order.
 * @param {Row[]} rows @param {Column} col @param {"asc"|"desc"} dir @param {number} now
 */
export function sortRows(rows, col, dir, now) {
  const sign = dir === "desc" ? -1 : 1;
  const keyed = rows.map((row) => ({ row, value: sortValue(row, col, now) }));
  keyed.sort((a, b) => {
    if (a.value === null || b.value === null) {
      return a.value === b.value ? a.row.index - b.row.index : a.value === null ? 1 : -1;
    }
    return sign * compareValues(a.value, b.value) || a.row.index - b.row.index;
  });
  return keyed.map((k) => k.row);
}

/** The sort key of the default order (no column): see `defaultOrder`. */
export const DEFAULT_SORT_KEY = "default";

/** True for the statuses of trials that failed (they never lead). @param {string} status */
export function isFailed(status) {
  return statusInfo(status).css === "failed";
}

/**
 * The default order of the table, so that what matters is in view at the top
 * of the box: running trials first (in trial order), then the trials with a
 * value of the primary metric, best first (by their best value, goal-aware;
 * failed trials never lead), then the rest in trial order (queued, no value yet,
 * failed).
 * @param {Row[]} rows @param {string} goal "maximize" or "minimize"
 */
export function defaultOrder(rows, goal) {
  const sign = goal === "minimize" ? 1 : -1;
  /** @param {Row} r */
  const group = (r) => (r.status === "Running" ? 0 : typeof r.best === "number" && Number.isFinite(r.best) && !isFailed(r.status) ? 1 : 2);
  const keyed = rows.map((row) => ({ row, group: group(row) }));
  keyed.sort((a, b) => a.group - b.group || (a.group === 1 ? sign * (/** @type {number} */ (a.row.best) - /** @type {number} */ (b.row.best)) : 0) || a.row.index - b.row.index);
  return keyed.map((k) => k.row);
}

/**
 * The sort after a click on column `key`: the same column flips, a new one
 * sorts ascending (a metric: best first).
 * @param {{key: string, dir: "asc"|"desc"}} current @param {string} key @param {string} goal
 * @returns {{key: string, dir: "asc"|"desc"}}
 */
export function nextSort(current, key, goal) {
  if (current.key === key) return { key, dir: current.dir === "asc" ? "desc" : "asc" };
  return { key, dir: (key === "latest" || key === "best") && goal === "maximize" ? "desc" : "asc" };
}

/**
 * One page of rows, the page number clamped to the valid range.
 * @template T @param {T[]} rows @param {number} page zero-based @param {number} pageSize
 */
export function pageOf(rows, page, pageSize) {
  const size = Math.max(1, Math.floor(pageSize) || 1);
  const pageCount = Math.max(1, Math.ceil(rows.length / size));
  const p = Math.min(Math.max(0, Math.floor(page) || 0), pageCount - 1);
  const start = p * size;
  const end = Math.min(rows.length, start + size);
  return { rows: rows.slice(start, end), page: p, pageCount, start, end };
}

// ------------------------------------------------------------------- charts
/**
 * SVG polyline points of `values` in a width x height box (1 px margin);
 * missing values skipped; "" when nothing to draw.
 * @param {Array<number|null>} values @param {number} width @param {number} height
 * @param {number[]} [xs]  x of each value (default: its position)
 */
export function polylinePoints(values, width, height, xs = values.map((_, i) => i)) {
  const finite = values.filter((v) => typeof v === "number" && Number.isFinite(v));
  if (finite.length === 0) return "";
  const [lo, hi] = [Math.min(...finite), Math.max(...finite)];
  const [xLo, xHi] = [Math.min(...xs), Math.max(...xs)];
  /** @param {number} x */
  const sx = (x) => (xHi === xLo ? width / 2 : 1 + ((x - xLo) / (xHi - xLo)) * (width - 2));
  /** @param {number} y */
  const sy = (y) => (hi === lo ? height / 2 : height - 1 - ((y - lo) / (hi - lo)) * (height - 2));
  const pts = [];
  values.forEach((v, i) => {
    if (typeof v === "number" && Number.isFinite(v)) pts.push(`${sx(xs[i]).toFixed(1)},${sy(v).toFixed(1)}`);
  });
  return pts.join(" ");
}

/** A trial's learning curve as a small SVG (a dot for one value, a dash for none). @param {Array<number|null>} curve @param {string} label */
export function sparklineSvg(curve, label) {
  const points = polylinePoints(curve ?? [], 80, 20);
  if (!points) return html`<span class="hw-muted">—</span>`;
  const [x, y] = points.split(" ")[0].split(",");
  const mark = points.includes(" ") ? html`<polyline points="${points}"></polyline>` : html`<circle cx="${x}" cy="${y}" r="2"></circle>`;
  return html`<svg class="hw-spark" width="80" height="20" viewBox="0 0 80 20" role="img"><title>${label}</title>${mark}</svg>`;
}

/** A "nice" tick step (1, 2 or 5 times a power of ten) near `raw`. @param {number} raw */
function niceStep(raw) {
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f >= 7.5 ? 10 : f >= 3.5 ? 5 : f >= 1.5 ? 2 : 1) * mag;
}

/**
 * Axis domain and ticks covering [lo, hi]: about `count` ticks at a nice step,
 * the domain widened to the outer ticks. A single value gets a domain around
 * it, so a flat line still has ticks (and its value among them).
 * @param {number} lo @param {number} hi @param {number} [count] @param {boolean} [integer] whole-number ticks only
 * @returns {{lo: number, hi: number, step: number, ticks: number[]}}
 */
export function niceTicks(lo, hi, count = 5, integer = false) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { lo: 0, hi: 1, step: 1, ticks: [0, 1] };
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = integer ? 1 : Math.abs(lo) * 0.05 || 1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  let step = niceStep((hi - lo) / Math.max(1, count));
  if (integer) step = Math.max(1, Math.round(step));
  const [first, last] = [Math.floor(lo / step + 1e-9), Math.ceil(hi / step - 1e-9)];
  const ticks = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return { lo: ticks[0], hi: ticks[ticks.length - 1], step, ticks };
}

/** A tick label: as many decimals as the step needs ("1.00" at step 0.02). @param {number} value @param {number} step */
export function formatTick(value, step) {
  const abs = Math.abs(value);
  if (abs >= 1e6 || (step < 1e-4 && value !== 0)) return formatNumber(value);
  return value.toFixed(Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9))));
}

/**
 * @typedef {{points: Array<[number, number|null]>, cls?: string, id?: string}} ChartLine
 * @typedef {{x: number, y: number, cls?: string, title?: string}} ChartMark
 * @typedef {{width?: number, height?: number, title: string, xLabel: string, yLabel: string, lines: ChartLine[],
 *   marks?: ChartMark[], integerX?: boolean, xFormat?: (v: number, step: number) => string, cls?: string,
 *   empty?: string}} ChartSpec
 */

/**
 * A line chart with axes as SVG: the y axis named and ticked (values), the x
 * axis named and ticked; lines skip missing values; marks are small circles.
 * Every text is escaped.
 * @param {ChartSpec} spec
 */
export function chartSvg(spec) {
  const { width = 300, height = 150, lines, marks = [], integerX = false } = spec;
  const m = { l: 50, r: 10, t: 8, b: 30 };
  let [xlo, xhi, ylo, yhi] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const line of lines) {
    for (const [x, y] of line.points) {
      if (typeof y !== "number" || !Number.isFinite(y) || !Number.isFinite(x)) continue;
      [xlo, xhi, ylo, yhi] = [Math.min(xlo, x), Math.max(xhi, x), Math.min(ylo, y), Math.max(yhi, y)];
    }
  }
  if (xlo > xhi) return html`<div class="hw-chart-empty hw-muted">${spec.empty ?? `${spec.title}: no values yet`}</div>`;
  const [pw, ph] = [width - m.l - m.r, height - m.t - m.b];
  const xt = niceTicks(xlo, xhi, Math.max(2, Math.floor(pw / 55)), integerX);
  const yt = niceTicks(ylo, yhi, Math.max(2, Math.floor(ph / 28)));
  /** @param {number} x */
  const sx = (x) => m.l + ((x - xt.lo) / (xt.hi - xt.lo)) * pw;
  /** @param {number} y */
  const sy = (y) => m.t + ph - ((y - yt.lo) / (yt.hi - yt.lo)) * ph;
  const xFormat = spec.xFormat ?? formatTick;
  const bottom = m.t + ph;
  const axes = html`<g class="hw-axis"><line x1="${m.l}" y1="${bottom}" x2="${m.l + pw}" y2="${bottom}"></line><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${bottom}"></line>${xt.ticks.map(
    (t) => html`<line x1="${sx(t).toFixed(1)}" y1="${bottom}" x2="${sx(t).toFixed(1)}" y2="${bottom + 3}"></line><text class="hw-tick hw-xtick" x="${sx(t).toFixed(1)}" y="${bottom + 13}" text-anchor="middle">${xFormat(t, xt.step)}</text>`,
  )}${yt.ticks.map(
    (t) => html`<line class="hw-grid" x1="${m.l}" y1="${sy(t).toFixed(1)}" x2="${m.l + pw}" y2="${sy(t).toFixed(1)}"></line><text class="hw-tick hw-ytick" x="${m.l - 4}" y="${(sy(t) + 3).toFixed(1)}" text-anchor="end">${formatTick(t, yt.step)}</text>`,
  )}<text class="hw-axis-label hw-xlabel" x="${m.l + pw / 2}" y="${height - 2}" text-anchor="middle">${spec.xLabel}</text><text class="hw-axis-label hw-ylabel" transform="rotate(-90)" x="${-(m.t + ph / 2)}" y="10" text-anchor="middle">${spec.yLabel}</text></g>`;
  const body = lines.map((line) => {
    const pts = line.points.filter(([x, y]) => typeof y === "number" && Number.isFinite(y) && Number.isFinite(x)).map(([x, y]) => `${sx(x).toFixed(1)},${sy(/** @type {number} */ (y)).toFixed(1)}`);
    if (pts.length === 1) {
      const [cx, cy] = pts[0].split(",");
      return html`<circle class="${line.cls ?? ""}" cx="${cx}" cy="${cy}" r="2"${line.id ? html` data-trial-id="${line.id}"` : ""}></circle>`;
    }
    return html`<polyline class="${line.cls ?? ""}" points="${pts.join(" ")}"${line.id ? html` data-trial-id="${line.id}"` : ""}></polyline>`;
  });
  const dots = marks
    .filter((mk) => Number.isFinite(mk.x) && Number.isFinite(mk.y))
    .map((mk) => html`<circle class="hw-mark ${mk.cls ?? ""}" cx="${sx(mk.x).toFixed(1)}" cy="${sy(mk.y).toFixed(1)}" r="3">${mk.title ? html`<title>${mk.title}</title>` : ""}</circle>`);
  return html`<svg class="hw-axes-chart ${spec.cls ?? ""}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img"><title>${spec.title}</title>${axes}<g class="hw-lines">${body}</g><g class="hw-marks">${dots}</g></svg>`;
}

/**
 * The best-so-far chart: a step line through the kernel's points
 * ([finished trials, best] at each new best), drawn on to `finished` trials,
 * with axes: the metric's name and values on y, finished trials on x.
 * @param {Array<[number, number]>} points @param {number} finished @param {string} metric
 */
export function bestChartSvg(points, finished, metric) {
  if (!points || points.length === 0) return html`<div class="hw-chart-empty hw-muted">best-so-far chart: no finished trial yet</div>`;
  /** @type {Array<[number, number]>} */
  const line = [];
  points.forEach(([x, y], i) => {
    if (i > 0) line.push([x, points[i - 1][1]]);
    line.push([x, y]);
  });
  const last = points[points.length - 1];
  const end = Math.max(finished, last[0]);
  line.push([end, last[1]]);
  const chart = chartSvg({ width: 300, height: 140, title: `best ${metric} so far`, xLabel: "finished trials", yLabel: `best ${metric}`, lines: [{ points: line, cls: "hw-best-line" }], marks: [{ x: last[0], y: last[1], cls: "hw-best-mark", title: `best ${metric}: ${formatNumber(last[1])}` }], integerX: true, cls: "hw-best-chart" });
  return html`<div class="hw-best-caption hw-muted">best ${metric} after ${end} finished: <b>${formatNumber(last[1])}</b></div>${chart}`;
}

// --------------------------------------------------------------------- markup
/** Counts by status as coloured chips, in lifecycle order. @param {Object<string, number>} counts */
export function statusChips(counts) {
  const names = Object.keys(counts ?? {})
    .filter((k) => counts[k] > 0)
    .sort((a, b) => statusInfo(a).order - statusInfo(b).order);
  return html`${names.map((name) => html`<span class="hw-chip hw-status-${statusInfo(name).css}" data-status="${name}">${statusInfo(name).label}: ${counts[name]}</span>`)}`;
}

/**
 * One `<td>` of a row, drawn by its column's kind (unknown kinds as text).
 * @param {Row} row @param {Column} col @param {RowContext} ctx
 */
export function cellHtml(row, col, ctx) {
  const value = /** @type {*} */ (row)[col.key];
  switch (col.kind) {
    case "index":
      return html`<td class="hw-num">${row.id === ctx.bestId ? raw('<span class="hw-star" title="best">★</span> ') : ""}${value}</td>`;
    case "id":
      return html`<td class="hw-id" title="${value}">${shortId(value, ctx.sweepName)}</td>`;
    case "status":
      return html`<td><span class="hw-status hw-status-${statusInfo(value).css}">${statusInfo(value).label}</span></td>`;
    case "param":
      return html`<td class="hw-param">${formatParam(value)}</td>`;
    case "number":
      return html`<td class="hw-num">${formatNumber(value)}</td>`;
    case "count":
      return html`<td class="hw-num">${value ?? 0}</td>`;
    case "duration":
      return html`<td class="hw-num">${formatDuration(rowDuration(row, ctx.now))}</td>`;
    case "curve":
      return html`<td>${sparklineSvg(row.curve ?? [row.latest], `${ctx.metric} of ${row.id}`)}</td>`;
    case "actions": {
      if (!isActive(row.status) || !ctx.canStop) return html`<td></td>`;
      const pending = ctx.stopping.has(row.id);
      return html`<td><button type="button" class="hw-btn hw-stop-trial" data-stop-trial="${row.id}"${pending ? raw(" disabled") : ""}>${pending ? "stopping…" : "stop"}</button></td>`;
    }
    default:
      return html`<td>${value === null || value === undefined ? "—" : formatParam(value)}</td>`;
  }
}

/**
 * The attributes and cell markup of one trial's `<tr>`, so the view can
 * replace only the cells that changed (a row rebuilt under the pointer would
 * swallow a click on its stop button).
 * @param {Row} row @param {Column[]} columns @param {RowContext} ctx
 * @returns {{attrs: Object<string, string>, cells: string[]}}
 */
export function rowParts(row, columns, ctx) {
  const isBest = ctx.bestId !== null && row.id === ctx.bestId;
  return {
    attrs: {
      class: `hw-row${isBest ? " hw-best" : ""}${ctx.selectedId != null && row.id === ctx.selectedId ? " hw-selected" : ""}`,
      "data-trial-id": String(row.id),
      "data-status": String(row.status),
      "data-best": isBest ? "true" : "false",
      title: row.error ? String(row.error) : "",
    },
    cells: columns.map((col) => cellHtml(row, col, ctx).text),
  };
}

/** The `<tr>` of one trial. @param {Row} row @param {Column[]} columns @param {RowContext} ctx */
export function rowHtml(row, columns, ctx) {
  return trHtml(rowParts(row, columns, ctx));
}

/** A `<tr>` from its parts (see `rowParts`). @param {{attrs: Object<string, string>, cells: string[]}} parts */
function trHtml({ attrs, cells }) {
  const attrText = Object.entries(attrs)
    .filter(([, v]) => v !== "")
    .map(([k, v]) => html` ${raw(k)}="${v}"`);
  return html`<tr${attrText}>${cells.map(raw)}</tr>`;
}

/** The table header with sort indicators. @param {Column[]} columns @param {{key: string, dir: "asc"|"desc"}} sort */
export function headerHtml(columns, sort) {
  return html`<tr>${columns.map((col) => {
    if (!col.sortable) return html`<th>${col.label}</th>`;
    const active = sort.key === col.key;
    const aria = active ? (sort.dir === "asc" ? "ascending" : "descending") : "none";
    return html`<th class="hw-sortable${active ? raw(" hw-sorted") : ""}" data-sort="${col.key}" aria-sort="${aria}" title="sort by ${col.label}">${col.label}${active ? (sort.dir === "asc" ? " ▲" : " ▼") : ""}</th>`;
  })}</tr>`;
}

/** The best-configuration panel. @param {Row|undefined} best @param {string} metric */
export function bestPanelHtml(best, metric) {
  if (!best) return html`<div class="hw-best-title">best configuration</div><div class="hw-muted">no ${metric} value yet</div>`;
  const info = statusInfo(best.status);
  return html`<div class="hw-best-title">best configuration: <span class="hw-id">${best.id}</span></div><div class="hw-best-value">${metric} = <b>${formatNumber(best.best)}</b> <span class="hw-status hw-status-${info.css}">${info.label}</span></div><table class="hw-kv">${Object.entries(best)
    .filter(([key]) => key.startsWith("param:"))
    .map(([key, value]) => html`<tr><th>${key.slice(6)}</th><td>${formatParam(value)}</td></tr>`)}</table>`;
}

/**
 * The progress area: status, elapsed time, one count ("43 of 60 finished · 2
 * running", the bar showing the same fraction), what did not run once the
 * sweep ended early ("canceled · 8 runs not started"), the time left, the
 * kernel's notice (`summary.notice`, optional) and the counts by status.
 * @param {Summary} summary @param {number} elapsed
 */
export function progressHtml(summary, elapsed) {
  const counts = summary.counts ?? {};
  const finished = Object.entries(counts).reduce((s, [k, n]) => (isActive(k) ? s : s + n), 0);
  const total = summary.max_total_runs ?? null;
  const status = summary.status ?? "";
  const parts = [total !== null ? `${finished} of ${total} finished` : `${finished} finished`];
  if (counts.Running) parts.push(`${counts.Running} running`);
  if (counts.Queued) parts.push(`${counts.Queued} queued`);
  const notStarted = total !== null ? Math.max(0, total - (summary.n_trials ?? 0)) : 0;
  /** @type {string[]} */
  const ended = [];
  if (status && status !== "Running") {
    if (status === "Canceled") ended.push("canceled");
    if (notStarted > 0) ended.push(`${notStarted} ${notStarted === 1 ? "run" : "runs"} not started`);
    if (status === "Canceled" && counts.Canceled) ended.push(`${counts.Canceled} ${counts.Canceled === 1 ? "trial" : "trials"} canceled`);
  }
  const left = typeof summary.max_duration === "number" && status === "Running" ? `${formatDuration(Math.max(0, summary.max_duration - elapsed))} left` : "";
  const bar = total ? html`<div class="hw-bar" title="${finished} of ${total} finished"><div class="hw-bar-fill" style="width:${Math.min(100, (100 * finished) / total).toFixed(1)}%"></div></div>` : "";
  const notice = typeof summary.notice === "string" && summary.notice ? html`<div class="hw-notice">${summary.notice}</div>` : "";
  return html`<div class="hw-progress-line"><span class="hw-sweep-status hw-sweep-${status.toLowerCase()}">${status}</span> <span class="hw-elapsed">elapsed ${formatDuration(elapsed)}</span> <span class="hw-counts">${parts.join(" · ")}</span>${
    ended.length ? html` <span class="hw-ended">${ended.join(" · ")}</span>` : ""
  }${left ? html` <span class="hw-budget">${left}</span>` : ""}</div>${bar}${notice}<div class="hw-chips">${statusChips(counts)}</div>`;
}

// ---------------------------------------------------------------- row details
/**
 * A trial in full, the kernel's answer to `trial_request`
 * (hyperwidget/notebook/_snapshot.py `trial_detail`).
 * @typedef {{type: "trial", id: string, missing?: boolean, index?: number, status?: string,
 *   params?: Object<string, *>, metrics?: Object<string, {steps: number[], values: Array<number|null>}>,
 *   lengths?: Object<string, number>, error?: string|null, started_at?: number|null, ended_at?: number|null,
 *   worker?: string|null, files?: string[]|null, n_files?: number|null}} TrialDetail
 */

/**
 * The details panel of one trial: every metric it logged as a chart over its
 * steps, its hyperparameters, the whole error text and its output files.
 * `detail` null: the answer has not arrived yet.
 * @param {string} id @param {TrialDetail|null} detail @param {string} metric primary metric (drawn first)
 */
export function detailHtml(id, detail, metric) {
  const close = html`<button type="button" class="hw-btn hw-detail-close" data-detail-close="1" title="close">× close</button>`;
  if (!detail) return html`<div class="hw-detail-head"><b>trial <span class="hw-id">${id}</span></b> <span class="hw-muted">loading…</span> ${close}</div>`;
  if (detail.missing) return html`<div class="hw-detail-head"><b>trial <span class="hw-id">${id}</span></b> <span class="hw-muted">the kernel has no such trial</span> ${close}</div>`;
  const info = statusInfo(detail.status ?? "");
  const duration = typeof detail.started_at === "number" && typeof detail.ended_at === "number" ? formatDuration(detail.ended_at - detail.started_at) : "";
  const charts = Object.entries(detail.metrics ?? {}).map(([name, series]) => {
    /** @type {Array<[number, number|null]>} */
    const points = series.values.map((v, i) => [series.steps[i], v]);
    const total = detail.lengths?.[name] ?? points.length;
    const note = total > points.length ? html`<div class="hw-muted hw-small">${points.length} of ${total} values shown</div>` : "";
    return html`<div class="hw-detail-chart" data-metric="${name}">${chartSvg({ width: 280, height: 130, title: `${name} of ${detail.id}`, xLabel: "step", yLabel: name, lines: [{ points, cls: name === metric ? "hw-primary-line" : "" }], empty: `${name}: no finite value` })}<div class="hw-small">${name}: ${total} ${total === 1 ? "value" : "values"}, last ${formatNumber(series.values[series.values.length - 1])}</div>${note}</div>`;
  });
  const params = Object.entries(detail.params ?? {}).map(([k, v]) => html`<tr><th>${k}</th><td>${formatParam(v)}</td></tr>`);
  const files =
    detail.files == null
      ? html`<div class="hw-muted">the run does not list output files</div>`
      : detail.files.length === 0
        ? html`<div class="hw-muted">no output files</div>`
        : html`<ul class="hw-files">${detail.files.map((f) => html`<li class="hw-id">${f}</li>`)}</ul>${(detail.n_files ?? 0) > detail.files.length ? html`<div class="hw-muted">${detail.files.length} of ${detail.n_files} files listed</div>` : ""}`;
  return html`<div class="hw-detail-head"><b>trial <span class="hw-id">${detail.id}</span></b> <span class="hw-muted">#${detail.index ?? ""}</span> <span class="hw-status hw-status-${info.css}">${info.label}</span>${duration ? html` <span class="hw-muted">${duration}</span>` : ""}${detail.worker ? html` <span class="hw-muted">on ${detail.worker}</span>` : ""} ${close}</div><div class="hw-detail-body"><div class="hw-detail-side"><div class="hw-detail-title">hyperparameters</div><table class="hw-kv">${params}</table><div class="hw-detail-title">output files</div>${files}</div><div class="hw-detail-charts">${charts.length ? charts : html`<div class="hw-muted">no metric logged</div>`}</div></div>${
    detail.error ? html`<div class="hw-detail-title">error</div><pre class="hw-error">${detail.error}</pre>` : ""
  }`;
}

// ----------------------------------------------------------------------- view
const PAGE_SIZES = [25, 50, 100];

/**
 * @typedef {{get(name: string): any, on(event: string, cb: Function): void,
 *   off(event?: string|null, cb?: Function|null): void, send(content: object): void}} Model
 */

/** Per-view state and DOM updates. */
class MonitorView {
  /** @param {Model} model @param {HTMLElement} el */
  constructor(model, el) {
    this.model = model;
    this.el = el;
    /** @type {Map<string, Row>} */
    this.rows = new Map();
    /** @type {Row[]|null} sorted rows, until the rows or the sort change */
    this.sorted = null;
    /** @type {Summary} */
    this.summary = model.get("summary") ?? {};
    /** @type {Sweep} */
    this.sweep = model.get("sweep") ?? {};
    /** the table's order: DEFAULT_SORT_KEY (running, then best) until a header is clicked; kept across updates */
    this.sort = { key: DEFAULT_SORT_KEY, dir: /** @type {"asc"|"desc"} */ ("asc") };
    this.page = 0;
    this.pageSize = model.get("page_size") || 50;
    /** @type {Set<string>} trial ids whose stop was requested */
    this.stopping = new Set();
    this.stopSweepRequested = false;
    this.clockOffset = 0; // kernel time - browser time, in seconds
    this.frame = 0;
    /** @type {string|null} the trial whose details are open */
    this.detailId = null;
    /** @type {TrialDetail|null} */
    this.detail = null;
    this.detailAsked = 0; // when its details were last asked for (ms)
    this.syncClock();
    this.el.classList.add("hw-monitor");
    this.el.innerHTML = html`<div class="hw-header"><div class="hw-title"></div><button type="button" class="hw-btn hw-stop-sweep">stop sweep</button></div>
<div class="hw-top"><div class="hw-progress"></div><div class="hw-best-panel"></div><div class="hw-chart"></div></div>
<div class="hw-table-bar"><span class="hw-order"></span> <button type="button" class="hw-btn hw-sort-reset" data-sort-reset="1">running &amp; best first</button></div>
<div class="hw-table-wrap"><table class="hw-table"><thead></thead><tbody></tbody></table></div>
<div class="hw-pager"><button type="button" class="hw-btn" data-page="prev">‹ prev</button><span class="hw-page-info"></span><button type="button" class="hw-btn" data-page="next">next ›</button><label>rows per page <select class="hw-page-size">${PAGE_SIZES.map(
      (n) => html`<option value="${n}">${n}</option>`,
    )}</select></label></div>
<div class="hw-detail" hidden></div>`.text;
    /** @param {string} sel */
    const q = (sel) => /** @type {HTMLElement} */ (el.querySelector(sel));
    this.parts = { title: q(".hw-title"), stopSweep: /** @type {HTMLButtonElement} */ (q(".hw-stop-sweep")), progress: q(".hw-progress"), best: q(".hw-best-panel"), chart: q(".hw-chart"), thead: q("thead"), tbody: q("tbody"), pageInfo: q(".hw-page-info"), order: q(".hw-order"), detail: q(".hw-detail"), sortReset: /** @type {HTMLButtonElement} */ (q(".hw-sort-reset")), pageSize: /** @type {HTMLSelectElement} */ (q(".hw-page-size")) };
    this.parts.pageSize.value = String(this.pageSize);
    this.onClick = this.onClick.bind(this);
    this.onPageSize = this.onPageSize.bind(this);
    el.addEventListener("click", this.onClick);
    this.parts.pageSize.addEventListener("change", this.onPageSize);
  }

  syncClock() {
    if (typeof this.summary.now === "number") this.clockOffset = this.summary.now - Date.now() / 1000;
  }

  /** @param {{type?: string, full?: boolean, rows?: Row[], summary?: Summary, sweep?: Sweep} & Partial<TrialDetail>} msg */
  onMessage(msg) {
    if (msg && msg.type === "trial") {
      if (msg.id === this.detailId) {
        this.detail = /** @type {TrialDetail} */ (msg);
        this.schedule();
      }
      return;
    }
    if (!msg || msg.type !== "update") return;
    // the open trial changed: ask again for its details (at most once a second)
    if (this.detailId !== null && (msg.rows ?? []).some((r) => r.id === this.detailId) && Date.now() - this.detailAsked > 1000) this.askDetail();
    if (msg.sweep) this.sweep = msg.sweep;
    if (msg.full) this.rows.clear();
    for (const row of msg.rows ?? []) this.rows.set(row.id, row);
    this.sorted = null;
    if (msg.summary) this.summary = msg.summary;
    this.syncClock();
    this.schedule();
  }

  /** The final summary arrived through the traits (sweep end, or restored state). */
  onTraits() {
    this.summary = this.model.get("summary") ?? this.summary;
    this.sweep = this.model.get("sweep") ?? this.sweep;
    this.syncClock();
    this.schedule();
  }

  /** Coalesce renders to one per animation frame (or 100 ms when the tab is hidden). */
  schedule() {
    if (this.frame) return;
    const run = () => {
      if (!this.frame) return;
      this.frame = 0;
      this.render();
    };
    this.frame = requestAnimationFrame(run);
    setTimeout(run, 100);
  }

  running() {
    return this.summary.status === "Running";
  }

  render() {
    const [metric, goal] = [this.sweep.metric ?? "metric", this.sweep.goal ?? "maximize"];
    const now = Date.now() / 1000 + this.clockOffset;
    const columns = columnsFor(this.sweep.columns ?? [], this.sweep.param_names ?? [], metric);
    const bestId = this.summary.best_id ?? null;
    const running = this.running();
    setHtml(this.parts.title, html`<b>${this.sweep.name ?? "sweep"}</b> <span class="hw-muted">${goal} ${metric}</span>`.text);
    this.parts.stopSweep.disabled = !running || this.stopSweepRequested;
    this.parts.stopSweep.textContent = running ? (this.stopSweepRequested ? "stopping…" : "stop sweep") : "sweep ended";
    const elapsed = running && typeof this.summary.started_at === "number" ? now - this.summary.started_at : this.summary.elapsed ?? 0;
    setHtml(this.parts.progress, progressHtml(this.summary, elapsed).text);
    setHtml(this.parts.best, bestPanelHtml(bestId === null ? undefined : this.rows.get(bestId), metric).text);
    setHtml(this.parts.chart, bestChartSvg(this.summary.best_chart ?? [], this.summary.n_finished ?? 0, metric).text);
    setHtml(this.parts.thead, headerHtml(columns, this.sort).text);
    const col = columns.find((c) => c.key === this.sort.key);
    if (!col) {
      if (!this.sorted) this.sorted = defaultOrder([...this.rows.values()], goal);
      this.parts.order.textContent = `order: running, then best ${metric}, then the rest`;
    } else {
      if (!this.sorted || col.kind === "duration") this.sorted = sortRows([...this.rows.values()], col, this.sort.dir, now);
      this.parts.order.textContent = `order: ${col.label} ${this.sort.dir === "asc" ? "ascending" : "descending"}`;
    }
    this.parts.sortReset.hidden = !col;
    this.el.dataset.sort = col ? `${col.key}:${this.sort.dir}` : DEFAULT_SORT_KEY;
    const page = pageOf(this.sorted, this.page, this.pageSize);
    this.page = page.page;
    this.renderBody(page.rows, columns, { bestId, now, stopping: this.stopping, canStop: running, metric, sweepName: this.sweep.name, selectedId: this.detailId });
    this.parts.detail.hidden = this.detailId === null;
    if (this.detailId !== null) setHtml(this.parts.detail, detailHtml(this.detailId, this.detail, metric).text);
    const n = this.rows.size;
    this.parts.pageInfo.textContent = n ? `rows ${page.start + 1}–${page.end} of ${n} (page ${page.page + 1}/${page.pageCount})` : "no trials yet";
    this.el.dataset.sweepStatus = this.summary.status ?? "";
    this.el.dataset.rowCount = String(n);
  }

  /**
   * Update the table body. The leading rows that show the same trials as
   * before (a live update) are updated in place, only the cells that changed,
   * so a button under the pointer survives (a click whose mousedown and mouseup
   * land on different elements is lost); the rest (a new page, a new sort, new
   * trials) is replaced with one parse.
   * @param {Row[]} rows @param {Column[]} columns @param {RowContext} ctx
   */
  renderBody(rows, columns, ctx) {
    const tbody = this.parts.tbody;
    const trs = /** @type {Array<HTMLTableRowElement & {hwCells?: string[]}>} */ ([...tbody.children]);
    const parts = rows.map((row) => rowParts(row, columns, ctx));
    let same = 0;
    while (same < Math.min(trs.length, rows.length) && trs[same].dataset.trialId === rows[same].id && trs[same].hwCells?.length === parts[same].cells.length) same += 1;
    trs.slice(0, same).forEach((tr, i) => {
      for (const [name, value] of Object.entries(parts[i].attrs)) {
        if (value === "") tr.removeAttribute(name);
        else if (tr.getAttribute(name) !== value) tr.setAttribute(name, value);
      }
      const cells = /** @type {string[]} */ (tr.hwCells);
      parts[i].cells.forEach((cell, j) => {
        if (cells[j] !== cell) {
          /** @type {HTMLElement} */ (tr.children[j]).outerHTML = cell;
          cells[j] = cell;
        }
      });
    });
    trs.slice(same).forEach((tr) => tr.remove());
    tbody.insertAdjacentHTML("beforeend", parts.slice(same).map((p) => trHtml(p).text).join(""));
    [...tbody.children].slice(same).forEach((tr, i) => Object.assign(tr, { hwCells: parts[same + i].cells }));
  }

  /** Delegated clicks: sort headers, stop buttons, pager. @param {MouseEvent} event */
  onClick(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const th = target.closest("th[data-sort]");
    const stopTrial = target.closest("button[data-stop-trial]");
    const pager = target.closest("button[data-page]");
    const tr = target.closest("tr[data-trial-id]");
    if (target.closest("button[data-detail-close]")) {
      this.detailId = null;
      this.detail = null;
    } else if (tr && !stopTrial && tr.closest("tbody")) {
      const id = tr.getAttribute("data-trial-id") ?? "";
      if (id === this.detailId) {
        this.detailId = null;
        this.detail = null;
      } else {
        this.detailId = id;
        this.detail = null;
        this.askDetail();
      }
    } else if (target.closest("button[data-sort-reset]")) {
      this.sort = { key: DEFAULT_SORT_KEY, dir: "asc" };
      this.page = 0;
      this.sorted = null;
    } else if (th) {
      this.sort = nextSort(this.sort, th.getAttribute("data-sort") ?? "index", this.sweep.goal ?? "maximize");
      this.page = 0;
      this.sorted = null;
    } else if (stopTrial) {
      const id = stopTrial.getAttribute("data-stop-trial") ?? "";
      this.stopping.add(id);
      this.model.send({ type: "stop_trial", id });
    } else if (target.closest(".hw-stop-sweep")) {
      this.stopSweepRequested = true;
      this.model.send({ type: "stop_sweep" });
    } else if (pager) {
      this.page += pager.getAttribute("data-page") === "next" ? 1 : -1;
    } else return;
    this.schedule();
  }

  /** Ask the kernel for the open trial's details (answered by one `trial` message). */
  askDetail() {
    this.detailAsked = Date.now();
    this.model.send({ type: "trial_request", id: this.detailId });
  }

  onPageSize() {
    this.pageSize = Number(this.parts.pageSize.value) || 50;
    this.page = 0;
    this.schedule();
  }

  destroy() {
    this.frame = 0;
    this.el.removeEventListener("click", this.onClick);
  }
}

/** Set `el.innerHTML` only when the markup changed (keeps hover and focus). @param {HTMLElement & {hwHtml?: string}} el @param {string} markup */
function setHtml(el, markup) {
  if (el.hwHtml === markup) return;
  el.hwHtml = markup;
  el.innerHTML = markup;
}

/**
 * anywidget entry point: draws the monitor into `el` and keeps it live.
 * @param {{model: Model, el: HTMLElement}} ctx
 * @returns {() => void} cleanup
 */
function render({ model, el }) {
  const view = new MonitorView(model, el);
  /** @param {any} msg */
  const onMsg = (msg) => view.onMessage(msg);
  const onTraits = () => view.onTraits();
  model.on("msg:custom", onMsg);
  model.on("change:summary", onTraits);
  // a one-second tick keeps the elapsed time and running durations moving between messages
  const tick = setInterval(() => view.running() && view.schedule(), 1000);
  view.render();
  model.send({ type: "snapshot_request" });
  return () => {
    clearInterval(tick);
    model.off("msg:custom", onMsg);
    model.off("change:summary", onTraits);
    view.destroy();
  };
}

export default { render };
