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
 *   step: number, duration?: number, started_at?: number, curve?: Array<number|null>, error?: string, front?: boolean,
 *   [param: string]: *}} Row
 * @typedef {{key: string, label: string, kind: string, sortable: boolean}} Column
 * @typedef {{status?: string, counts?: Object<string, number>, n_trials?: number, n_finished?: number,
 *   best_id?: string|null, best_value?: number|null, best_chart?: Array<[number, number, (number|null)?]>,
 *   started_at?: number|null, elapsed?: number|null, max_total_runs?: number|null,
 *   max_duration?: number|null, now?: number, notice?: string|null, front?: Front}} Summary
 * @typedef {{objectives: Array<[string, string]>, size: number, eligible: number,
 *   points: Array<[number, number, boolean, string]>}} Front  the Pareto front of a multi-objective sweep
 *   (_snapshot.Table.front_summary): points are [first objective, second objective, on the front, trial id]
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
  Paused: { label: "paused", css: "paused", order: 2 },
  Completed: { label: "completed", css: "completed", order: 3 },
  StoppedEarly: { label: "stopped early", css: "stopped", order: 4 },
  Canceled: { label: "canceled", css: "canceled", order: 5 },
  Failed: { label: "failed", css: "failed", order: 6 },
  TimedOut: { label: "timed out", css: "failed", order: 7 },
  Crashed: { label: "crashed", css: "failed", order: 8 },
});

/** @param {string} status @returns {{label: string, css: string, order: number}} */
export function statusInfo(status) {
  return STATUS_INFO[/** @type {keyof STATUS_INFO} */ (status)] ?? { label: String(status ?? "unknown").toLowerCase(), css: "unknown", order: 99 };
}

/** True while a trial may still be stopped (a Paused trial waits for a promotion). @param {string} status */
export function isActive(status) {
  return status === "Queued" || status === "Running" || status === "Paused";
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
 * The staircase joining the Pareto front's points in the plane of two objectives:
 * the points sorted by x, and between two neighbours the corner that is worse
 * than both in each coordinate, which bounds the region the front dominates.
 * @param {Array<[number, number]>} points front members @param {[string, string]} goals "minimize"|"maximize" of x, y
 * @returns {Array<[number, number]>}
 */
export function frontStepLine(points, goals) {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  /** @param {number} a @param {number} b @param {string} goal */
  const worse = (a, b, goal) => (goal === "maximize" ? Math.min(a, b) : Math.max(a, b));
  /** @type {Array<[number, number]>} */
  const line = [];
  sorted.forEach((p, i) => {
    if (i > 0) line.push([worse(sorted[i - 1][0], p[0], goals[0]), worse(sorted[i - 1][1], p[1], goals[1])]);
    line.push(p);
  });
  return line;
}

/**
 * The Pareto front chart of a multi-objective sweep: every trial with all
 * objectives as a grey dot in the plane of the first two, the front's members
 * highlighted and joined by their staircase. With three or more objectives the
 * front is that of all of them, drawn in the first two.
 * @param {Front|undefined} front
 */
export function frontChartSvg(front) {
  if (!front) return html``;
  const [[xName, xGoal], [yName, yGoal]] = front.objectives;
  const arrow = /** @param {string} goal */ (goal) => (goal === "maximize" ? "↑" : "↓");
  const members = front.points.filter((p) => p[2]);
  /** @type {ChartLine[]} */
  const lines = [{ points: frontStepLine(members.map((p) => [p[0], p[1]]), [xGoal, yGoal]), cls: "hw-front-line" }];
  for (const [x, y, on, id] of front.points) if (!on) lines.push({ points: [[x, y]], cls: "hw-dominated", id });
  /** @type {ChartMark[]} */
  const marks = members.map(([x, y, , id]) => ({ x, y, cls: "hw-front-mark", title: `${id}: ${xName} ${formatNumber(x)}, ${yName} ${formatNumber(y)}` }));
  const more = front.objectives.length > 2 ? ` (first 2 of ${front.objectives.length} objectives shown)` : "";
  const caption = html`<div class="hw-front-caption hw-muted">Pareto front: <b>${front.size}</b> of ${front.eligible} ${front.eligible === 1 ? "trial" : "trials"}${more}</div>`;
  const chart = chartSvg({
    width: 300,
    height: 140,
    title: `Pareto front of ${xName} (${xGoal}) and ${yName} (${yGoal})`,
    xLabel: `${xName} ${arrow(xGoal)}`,
    yLabel: `${yName} ${arrow(yGoal)}`,
    lines,
    marks,
    cls: "hw-front-chart-svg",
    empty: "Pareto front: no trial has every objective yet",
  });
  return html`${caption}${chart}`;
}

/** A time tick: "0", "45s", "2m", "2m30s", "1h05m". @param {number} seconds */
export function formatClock(seconds) {
  const t = Math.round(seconds);
  if (t === 0) return "0";
  const [h, m, sec] = [Math.floor(t / 3600), Math.floor((t % 3600) / 60), t % 60];
  if (h) return `${h}h${m ? String(m).padStart(2, "0") + "m" : ""}`;
  if (m) return `${m}m${sec ? String(sec).padStart(2, "0") + "s" : ""}`;
  return `${sec}s`;
}

/**
 * The best-so-far chart: a step line through the kernel's points
 * ([finished trials, best, end time] at each new best), drawn on to
 * `finished` trials, with axes: the metric's name and values on y, finished
 * trials on x, or (`x: "time"`) the time since the sweep started, drawn on to
 * `elapsed` (points without an end time keep the chart on finished trials).
 * @param {Array<[number, number, (number|null)?]>} points @param {number} finished @param {string} metric
 * @param {{x?: "trials"|"time", startedAt?: number|null, elapsed?: number}} [opts]
 */
export function bestChartSvg(points, finished, metric, opts = {}) {
  if (!points || points.length === 0) return html`<div class="hw-chart-empty hw-muted">best-so-far chart: no finished trial yet</div>`;
  const startedAt = opts.startedAt;
  const byTime = opts.x === "time" && typeof startedAt === "number" && points.every((p) => typeof p[2] === "number");
  /** @param {[number, number, (number|null)?]} p */
  const xOf = (p) => (byTime ? Math.max(0, /** @type {number} */ (p[2]) - /** @type {number} */ (startedAt)) : p[0]);
  /** @type {Array<[number, number]>} */
  const line = [];
  points.forEach((p, i) => {
    if (i > 0) line.push([xOf(p), points[i - 1][1]]);
    line.push([xOf(p), p[1]]);
  });
  const last = points[points.length - 1];
  const end = byTime ? Math.max(opts.elapsed ?? 0, xOf(last)) : Math.max(finished, last[0]);
  line.push([end, last[1]]);
  const chart = chartSvg({
    width: 300,
    height: 140,
    title: `best ${metric} so far`,
    xLabel: byTime ? "time since the sweep started" : "finished trials",
    yLabel: `best ${metric}`,
    lines: [{ points: line, cls: "hw-best-line" }],
    marks: [{ x: xOf(last), y: last[1], cls: "hw-best-mark", title: `best ${metric}: ${formatNumber(last[1])}` }],
    integerX: !byTime,
    xFormat: byTime ? (v) => formatClock(v) : undefined,
    cls: "hw-best-chart",
  });
  const canTime = typeof startedAt === "number" && points.every((p) => typeof p[2] === "number");
  const toggle = canTime
    ? html` <span class="hw-best-x"><button type="button" class="hw-link${byTime ? "" : raw(" hw-active")}" data-best-x="trials">trials</button> | <button type="button" class="hw-link${byTime ? raw(" hw-active") : ""}" data-best-x="time">time</button></span>`
    : "";
  const after = byTime ? `after ${formatDuration(end)}` : `after ${end} finished`;
  return html`<div class="hw-best-caption hw-muted">best ${metric} ${after}: <b>${formatNumber(last[1])}</b>${toggle}</div>${chart}`;
}

// ------------------------------------------------------------ learning curves
/**
 * Evenly spaced items of `items`, at most `n`, both ends kept.
 * @template T @param {T[]} items @param {number} n
 */
export function evenSample(items, n) {
  if (items.length <= n) return items.slice();
  if (n <= 1) return items.slice(0, Math.max(0, n));
  const out = [];
  for (let i = 0; i < n; i++) out.push(items[Math.round((i * (items.length - 1)) / (n - 1))]);
  return out;
}

/** A row's curve as [step, value] points: the (downsampled) curve spread over its steps. @param {Row} row @returns {Array<[number, number|null]>} */
export function curvePoints(row) {
  const curve = row.curve ?? (typeof row.latest === "number" ? [row.latest] : []);
  const n = Math.max(row.step ?? curve.length, curve.length);
  if (curve.length === 1) return [[n, curve[0]]];
  return curve.map((v, i) => [1 + (i * (n - 1)) / (curve.length - 1), v]);
}

/**
 * The trials drawn in the learning-curves chart, at most `max`: the best, the
 * running ones, the 60 best others, then an even sample of the rest, so a
 * 10,000-trial sweep draws a few hundred lines.
 * @param {Row[]} rows @param {string} goal @param {string|null} bestId @param {number} max
 */
export function curveSample(rows, goal, bestId, max = 200) {
  const withValues = rows.filter((r) => typeof r.latest === "number" || (r.curve && r.curve.length));
  if (withValues.length <= max) return withValues;
  const picked = new Set(withValues.filter((r) => r.id === bestId || r.status === "Running").slice(0, Math.floor(max / 4)));
  const sign = goal === "minimize" ? 1 : -1;
  const ranked = withValues.filter((r) => !picked.has(r) && typeof r.best === "number").sort((a, b) => sign * (/** @type {number} */ (a.best) - /** @type {number} */ (b.best)));
  ranked.slice(0, 60).forEach((r) => picked.size < max && picked.add(r));
  const rest = withValues.filter((r) => !picked.has(r));
  evenSample(rest, max - picked.size).forEach((r) => picked.add(r));
  return withValues.filter((r) => picked.has(r));
}

/**
 * The primary metric of every trial over its steps in one chart: stopped-early
 * trials end in an orange mark where they stopped, failed ones are red and
 * dashed with a red mark, the best is drawn last and thick.
 * @param {Row[]} rows @param {{metric: string, goal: string, bestId: string|null, max?: number}} opts
 */
export function curvesChartSvg(rows, { metric, goal, bestId, max = 200 }) {
  const drawn = curveSample(rows, goal, bestId, max);
  drawn.sort((a, b) => (a.id === bestId ? 1 : 0) - (b.id === bestId ? 1 : 0) || (a.status === "Running" ? 1 : 0) - (b.status === "Running" ? 1 : 0));
  /** @type {ChartLine[]} */
  const lines = [];
  /** @type {ChartMark[]} */
  const marks = [];
  for (const row of drawn) {
    const points = curvePoints(row);
    const cls = row.id === bestId ? "hw-cl-best" : isFailed(row.status) ? "hw-cl-failed" : `hw-cl-${statusInfo(row.status).css}`;
    lines.push({ points, cls, id: row.id });
    const end = [...points].reverse().find(([, y]) => typeof y === "number" && Number.isFinite(y));
    if (end && row.status === "StoppedEarly") marks.push({ x: end[0], y: /** @type {number} */ (end[1]), cls: "hw-mark-stopped", title: `${row.id} stopped early at step ${row.step}` });
    if (end && isFailed(row.status)) marks.push({ x: end[0], y: /** @type {number} */ (end[1]), cls: "hw-mark-failed", title: `${row.id} ${statusInfo(row.status).label} at step ${row.step}` });
    if (end && row.id === bestId) marks.push({ x: end[0], y: /** @type {number} */ (end[1]), cls: "hw-best-mark", title: `best: ${row.id}` });
  }
  const total = rows.filter((r) => typeof r.latest === "number" || (r.curve && r.curve.length)).length;
  const note = total > drawn.length ? `${drawn.length} of ${total} trials drawn (the best, the running ones, the 60 best others and an even sample)` : `${total} ${total === 1 ? "trial" : "trials"}`;
  const legend = html`<div class="hw-legend hw-small"><span class="hw-key hw-key-best">best</span> <span class="hw-key hw-key-running">running</span> <span class="hw-key hw-key-completed">completed</span> <span class="hw-key hw-key-stopped">stopped early ●</span> <span class="hw-key hw-key-failed">failed ●</span> <span class="hw-muted">${note}</span></div>`;
  return html`${chartSvg({ width: 760, height: 240, title: `${metric} of every trial over its steps`, xLabel: "step (values logged)", yLabel: metric, lines, marks, cls: "hw-curves-chart", empty: `learning curves: no ${metric} value yet` })}${legend}`;
}

// ------------------------------------------------------ parallel coordinates
/**
 * @typedef {{key: string, label: string, kind: "num"|"cat", lo: number, hi: number, log: boolean,
 *   cats: string[], metric: boolean}} PcAxis
 * @typedef {{lo: number, hi: number} | {cats: string[]}} Brush
 */

/** The value a row has on an axis (undefined: none). @param {Row} row @param {string} key */
function axisValue(row, key) {
  const v = /** @type {*} */ (row)[key];
  return key === "best" && (v === null || (typeof v === "number" && !Number.isFinite(v))) ? undefined : v;
}

/**
 * One axis per hyperparameter, then the primary metric (the trials' best
 * values): numeric axes span the values (log-scaled when positive and over
 * more than two decades), categorical ones list their values.
 * @param {Row[]} rows @param {string[]} paramNames @param {string} metric
 * @returns {PcAxis[]}
 */
export function pcAxes(rows, paramNames, metric) {
  const specs = [...paramNames.map((name) => ({ key: `param:${name}`, label: name, metric: false })), { key: "best", label: `best ${metric}`, metric: true }];
  return specs.map(({ key, label, metric: isMetric }) => {
    let [lo, hi, numeric] = [Infinity, -Infinity, true];
    /** @type {Map<string, *>} */
    const seen = new Map();
    /** @type {number[]} */
    const values = [];
    for (const row of rows) {
      const v = axisValue(row, key);
      if (v === undefined) continue;
      if (typeof v === "number" && Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        values.push(v);
      } else numeric = false;
      if (seen.size <= 1000) seen.set(formatParam(v), v);
    }
    if (numeric) {
      if (lo > hi) [lo, hi] = [0, 1];
      return { key, label, kind: /** @type {"num"} */ ("num"), lo, hi, log: looksLogScaled(values, lo, hi), cats: [], metric: isMetric };
    }
    const cats = [...seen.entries()].sort((a, b) => compareValues(typeof a[1] === "number" ? a[1] : a[0], typeof b[1] === "number" ? b[1] : b[0])).map(([text]) => text);
    return { key, label, kind: /** @type {"cat"} */ ("cat"), lo: 0, hi: 1, log: false, cats, metric: isMetric };
  });
}

/**
 * True when positive values spanning more than two decades were sampled on a
 * log scale (loguniform): their median is nearer their geometric mean than the
 * middle of their range, in log terms.
 * @param {number[]} values @param {number} lo @param {number} hi
 */
export function looksLogScaled(values, lo, hi) {
  if (!(lo > 0) || hi / lo <= 100 || values.length < 3) return false;
  const median = [...values].sort((a, b) => a - b)[values.length >> 1];
  const [lm, geo, mid] = [Math.log(median), (Math.log(lo) + Math.log(hi)) / 2, Math.log((lo + hi) / 2)];
  return Math.abs(lm - geo) < Math.abs(lm - mid);
}

/** Where a value sits on an axis, 0 (bottom) to 1 (top); null when it has none. @param {PcAxis} axis @param {*} value */
export function axisPos(axis, value) {
  if (value === undefined) return null;
  if (axis.kind === "cat") {
    const i = axis.cats.indexOf(formatParam(value));
    if (i < 0) return null;
    return axis.cats.length === 1 ? 0.5 : i / (axis.cats.length - 1);
  }
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  if (axis.hi === axis.lo) return 0.5;
  if (axis.log) return value <= 0 ? 0 : (Math.log(value) - Math.log(axis.lo)) / (Math.log(axis.hi) - Math.log(axis.lo));
  return (value - axis.lo) / (axis.hi - axis.lo);
}

/** The value at a position of a numeric axis. @param {PcAxis} axis @param {number} pos */
function axisValueAt(axis, pos) {
  if (axis.hi === axis.lo) return axis.lo;
  if (axis.log) return Math.exp(Math.log(axis.lo) + pos * (Math.log(axis.hi) - Math.log(axis.lo)));
  return axis.lo + pos * (axis.hi - axis.lo);
}

/**
 * The brush of a drag from position `a` to `b` (0 bottom, 1 top) along an axis:
 * a value range on a numeric axis, the values covered on a categorical one.
 * @param {PcAxis} axis @param {number} a @param {number} b @returns {Brush}
 */
export function brushFromPositions(axis, a, b) {
  const [p0, p1] = [Math.max(0, Math.min(a, b)), Math.min(1, Math.max(a, b))];
  if (axis.kind === "cat") {
    // a category is in the brush when the brush reaches within a quarter of a gap of it
    const tol = axis.cats.length > 1 ? 0.25 / (axis.cats.length - 1) : 0.5;
    return { cats: axis.cats.filter((c) => { const p = /** @type {number} */ (axisPos(axis, c)); return p >= p0 - tol && p <= p1 + tol; }) };
  }
  return { lo: axisValueAt(axis, p0), hi: axisValueAt(axis, p1) };
}

/** True when `row` is inside every brush. @param {Row} row @param {Object<string, Brush>} brushes */
export function rowPasses(row, brushes) {
  for (const [key, brush] of Object.entries(brushes)) {
    const v = axisValue(row, key);
    if (v === undefined) return false;
    if ("cats" in brush) {
      if (!brush.cats.includes(formatParam(v))) return false;
    } else if (typeof v !== "number" || v < brush.lo || v > brush.hi) return false;
  }
  return true;
}

/** The rows inside every brush (all rows when there is none). @param {Row[]} rows @param {Object<string, Brush>} brushes */
export function filterRows(rows, brushes) {
  return Object.keys(brushes).length === 0 ? rows : rows.filter((r) => rowPasses(r, brushes));
}

/** A brush as text, e.g. "lr 0.1–0.5" or "kernel ∈ {rbf, poly}". @param {PcAxis|undefined} axis @param {string} key @param {Brush} brush */
export function brushText(axis, key, brush) {
  const label = axis?.label ?? key.replace(/^param:/, "");
  if ("cats" in brush) return `${label} ∈ {${brush.cats.join(", ")}}`;
  return `${label} ${formatNumber(brush.lo)}–${formatNumber(brush.hi)}`;
}

const PC = { h: 280, top: 34, bottom: 22, side: 64 };

/**
 * The parallel-coordinates view as SVG: an axis per hyperparameter and one for
 * the primary metric, a line per trial (rows inside the brushes in colour, the
 * others grey, the best thick; at most `max` of each drawn), the brushes, and
 * a wide transparent strip on each axis to drag a brush along.
 * @param {Row[]} rows @param {PcAxis[]} axes @param {Object<string, Brush>} brushes
 * @param {{bestId: string|null, max?: number}} opts
 */
export function parcoordsSvg(rows, axes, brushes, { bestId, max = 1500 }) {
  if (rows.length === 0) return html`<div class="hw-chart-empty hw-muted">parallel coordinates: no trials yet</div>`;
  const width = Math.max(520, 140 * axes.length);
  const ph = PC.h - PC.top - PC.bottom;
  const ax = axes.map((_, i) => (axes.length === 1 ? width / 2 : PC.side + (i * (width - 2 * PC.side)) / (axes.length - 1)));
  /** @param {number} pos */
  const y = (pos) => PC.top + (1 - pos) * ph;
  /** @param {Row} row */
  const pathOf = (row) => {
    let d = "";
    let pen = false;
    axes.forEach((axis, i) => {
      const pos = axisPos(axis, axisValue(row, axis.key));
      if (pos === null) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${ax[i].toFixed(1)} ${y(pos).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  const inside = [];
  const outside = [];
  for (const row of rows) (rowPasses(row, brushes) ? inside : outside).push(row);
  const best = rows.find((r) => r.id === bestId);
  const bg = evenSample(outside, Math.floor(max / 2)).map(pathOf).join("");
  const fg = evenSample(inside, max).map(pathOf).join("");
  const axesMarkup = axes.map((axis, i) => {
    const x = ax[i];
    /** @type {Array<[number, string]>} */
    let ticks;
    if (axis.kind === "cat") {
      const every = Math.max(1, Math.ceil(axis.cats.length / 16));
      ticks = axis.cats.filter((_, j) => j % every === 0 || j === axis.cats.length - 1).map((c) => [/** @type {number} */ (axisPos(axis, c)), c]);
    } else if (axis.log) {
      ticks = [];
      for (let e = Math.ceil(Math.log10(axis.lo) - 1e-9); e <= Math.floor(Math.log10(axis.hi) + 1e-9); e++) ticks.push([/** @type {number} */ (axisPos(axis, 10 ** e)), formatNumber(10 ** e)]);
      ticks.push([0, formatNumber(axis.lo)], [1, formatNumber(axis.hi)]);
    } else if (axis.lo === axis.hi) {
      ticks = [[0.5, formatNumber(axis.lo)]];
    } else {
      const t = niceTicks(axis.lo, axis.hi, 4);
      ticks = t.ticks.filter((v) => v >= axis.lo - 1e-12 && v <= axis.hi + 1e-12).map((v) => [/** @type {number} */ (axisPos(axis, v)), formatTick(v, t.step)]);
    }
    const brush = brushes[axis.key];
    let brushMarkup = html``;
    if (brush) {
      let [p0, p1] = [0, 0];
      if ("cats" in brush) {
        const ps = brush.cats.map((c) => axisPos(axis, c)).filter((p) => p !== null);
        const half = axis.cats.length > 1 ? 0.5 / (axis.cats.length - 1) : 0.5;
        [p0, p1] = ps.length ? [Math.max(0, Math.min(...ps) - half / 2), Math.min(1, Math.max(...ps) + half / 2)] : [0, 0];
      } else {
        [p0, p1] = [Math.max(0, /** @type {number} */ (axisPos(axis, Math.max(brush.lo, axis.lo)) ?? 0)), Math.min(1, /** @type {number} */ (axisPos(axis, Math.min(brush.hi, axis.hi)) ?? 1))];
      }
      const attrs = "cats" in brush ? html` data-cats="${JSON.stringify(brush.cats)}"` : html` data-lo="${brush.lo}" data-hi="${brush.hi}"`;
      brushMarkup = html`<rect class="hw-pc-brush" data-axis="${axis.key}"${attrs} x="${x - 8}" y="${y(p1).toFixed(1)}" width="16" height="${Math.max(2, y(p0) - y(p1)).toFixed(1)}"><title>${brushText(axis, axis.key, brush)} (click the axis to clear)</title></rect>`;
    }
    const label = axis.label.length > 22 ? `${axis.label.slice(0, 21)}…` : axis.label;
    return html`<g class="hw-pc-axis${axis.metric ? raw(" hw-pc-metric") : ""}" data-axis="${axis.key}"><line x1="${x}" y1="${PC.top}" x2="${x}" y2="${PC.top + ph}"></line>${ticks.map(
      ([pos, text]) => html`<line x1="${x - 3}" y1="${y(pos).toFixed(1)}" x2="${x}" y2="${y(pos).toFixed(1)}"></line><text class="hw-tick" x="${x - 5}" y="${(y(pos) + 3).toFixed(1)}" text-anchor="end">${text.length > 14 ? html`${text.slice(0, 13)}…<title>${text}</title>` : text}</text>`,
    )}<text class="hw-axis-label" x="${x}" y="${PC.top - 18}" text-anchor="middle">${label}<title>${axis.label}${axis.log ? " (log scale)" : ""}</title></text>${axis.log ? html`<text class="hw-tick" x="${x}" y="${PC.top - 6}" text-anchor="middle">log</text>` : ""}${brushMarkup}<rect class="hw-pc-hit" data-axis="${axis.key}" x="${x - 14}" y="${PC.top}" width="28" height="${ph}"><title>drag along ${axis.label} to filter the table; click to clear</title></rect></g>`;
  });
  const drawnNote = inside.length > max || outside.length > Math.floor(max / 2) ? ` (a sample of at most ${max} lines drawn)` : "";
  return html`<svg class="hw-parcoords" width="${width}" height="${PC.h}" viewBox="0 0 ${width} ${PC.h}" role="img" data-top="${PC.top}" data-bottom="${PC.top + ph}"><title>parallel coordinates of ${rows.length} trials</title><path class="hw-pc-bg" d="${bg}"></path><path class="hw-pc-fg${Object.keys(brushes).length ? raw(" hw-pc-brushed") : ""}" d="${fg}"></path>${best ? html`<path class="hw-pc-best" d="${pathOf(best)}"></path>` : ""}${axesMarkup}</svg><div class="hw-small hw-muted">${Object.keys(brushes).length ? `${inside.length} of ${rows.length} trials inside the brushes` : `${rows.length} trials`}${drawnNote} · drag along an axis to filter the table, click an axis to clear its brush</div>`;
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
      return html`<td class="hw-num">${row.id === ctx.bestId ? raw('<span class="hw-star" title="best">★</span> ') : ""}${row.front ? raw('<span class="hw-front-badge" title="on the Pareto front">◆</span> ') : ""}${value}</td>`;
    case "id":
      return html`<td class="hw-id" title="${value}">${shortId(value, ctx.sweepName)}</td>`;
    case "status":
      return html`<td><span class="hw-status hw-status-${statusInfo(value).css}">${statusInfo(value).label}</span></td>`;
    case "param":
      // absent: a parameter of a branch this trial did not take (a conditional space) is blank
      return html`<td class="hw-param">${value === undefined ? "" : formatParam(value)}</td>`;
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
      "data-front": row.front ? "true" : "",
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
  if (counts.Paused) parts.push(`${counts.Paused} paused`);
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
    /** @type {"curves"|"parallel"|"none"} the chart shown above the table */
    this.view = "curves";
    /** @type {"trials"|"time"} the x axis of the best-so-far chart */
    this.bestX = "trials";
    /** @type {Object<string, Brush>} parallel-coordinates brushes by axis key; they filter the table */
    this.brushes = {};
    /** @type {PcAxis[]} */
    this.axes = [];
    /** @type {Row[]|null} the sorted rows inside the brushes, until rows, sort or brushes change */
    this.filtered = null;
    this.chartAt = 0; // when the chart was last drawn (ms)
    this.chartForce = true; // draw the chart at the next render whatever its age
    this.version = 0; // counts the updates of the rows
    this.chartVersion = -1; // the rows' version the chart shows
    /** @type {any} */
    this.chartTimer = 0;
    /** @type {{key: string, y0: number, rect: SVGRectElement, svg: SVGSVGElement}|null} a brush being dragged */
    this.drag = null;
    this.syncClock();
    this.el.classList.add("hw-monitor");
    this.el.innerHTML = html`<div class="hw-header"><div class="hw-title"></div><button type="button" class="hw-btn hw-stop-sweep">stop sweep</button></div>
<div class="hw-top"><div class="hw-progress"></div><div class="hw-best-panel"></div><div class="hw-chart"></div><div class="hw-front-chart" hidden></div></div>
<div class="hw-views"><span class="hw-muted">charts:</span> <button type="button" class="hw-btn" data-view="curves">learning curves</button><button type="button" class="hw-btn" data-view="parallel">parallel coordinates</button><button type="button" class="hw-btn" data-view="none">hide</button></div>
<div class="hw-view"></div>
<div class="hw-table-bar"><span class="hw-order"></span> <button type="button" class="hw-btn hw-sort-reset" data-sort-reset="1">running &amp; best first</button> <span class="hw-filter-info"></span> <button type="button" class="hw-btn hw-clear-brushes" data-clear-brushes="1" hidden>clear filters</button></div>
<div class="hw-table-wrap"><table class="hw-table"><thead></thead><tbody></tbody></table></div>
<div class="hw-pager"><button type="button" class="hw-btn" data-page="prev">‹ prev</button><span class="hw-page-info"></span><button type="button" class="hw-btn" data-page="next">next ›</button><label>rows per page <select class="hw-page-size">${PAGE_SIZES.map(
      (n) => html`<option value="${n}">${n}</option>`,
    )}</select></label></div>
<div class="hw-detail" hidden></div>`.text;
    /** @param {string} sel */
    const q = (sel) => /** @type {HTMLElement} */ (el.querySelector(sel));
    this.parts = { title: q(".hw-title"), stopSweep: /** @type {HTMLButtonElement} */ (q(".hw-stop-sweep")), progress: q(".hw-progress"), best: q(".hw-best-panel"), chart: q(".hw-chart"), thead: q("thead"), tbody: q("tbody"), pageInfo: q(".hw-page-info"), order: q(".hw-order"), view: q(".hw-view"), filterInfo: q(".hw-filter-info"), clearBrushes: /** @type {HTMLButtonElement} */ (q(".hw-clear-brushes")), detail: q(".hw-detail"), front: q(".hw-front-chart"), sortReset: /** @type {HTMLButtonElement} */ (q(".hw-sort-reset")), pageSize: /** @type {HTMLSelectElement} */ (q(".hw-page-size")) };
    this.parts.pageSize.value = String(this.pageSize);
    this.onClick = this.onClick.bind(this);
    this.onPageSize = this.onPageSize.bind(this);
    el.addEventListener("click", this.onClick);
    this.onPointerDown = this.onPointerDown.bind(this);
    this.onPointerMove = this.onPointerMove.bind(this);
    this.onPointerUp = this.onPointerUp.bind(this);
    el.addEventListener("pointerdown", this.onPointerDown);
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
    this.version += 1;
    this.sorted = null;
    this.filtered = null;
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
    setHtml(this.parts.chart, bestChartSvg(this.summary.best_chart ?? [], this.summary.n_finished ?? 0, metric, { x: this.bestX, startedAt: this.summary.started_at, elapsed: Math.floor(elapsed) }).text);
    this.parts.front.hidden = !this.summary.front;
    if (this.summary.front) setHtml(this.parts.front, frontChartSvg(this.summary.front).text);
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
    if (!this.filtered || col?.kind === "duration") this.filtered = filterRows(this.sorted, this.brushes);
    this.renderChart(metric, goal, bestId);
    const brushed = Object.keys(this.brushes);
    this.parts.filterInfo.textContent = brushed.length ? `filter: ${brushed.map((k) => brushText(this.axes.find((a) => a.key === k), k, this.brushes[k])).join(", ")} · ${this.filtered.length} of ${this.rows.size} trials` : "";
    this.parts.clearBrushes.hidden = brushed.length === 0;
    this.el.dataset.filtered = brushed.length ? String(this.filtered.length) : "";
    this.el.dataset.sort = col ? `${col.key}:${this.sort.dir}` : DEFAULT_SORT_KEY;
    const page = pageOf(this.filtered, this.page, this.pageSize);
    this.page = page.page;
    this.renderBody(page.rows, columns, { bestId, now, stopping: this.stopping, canStop: running, metric, sweepName: this.sweep.name, selectedId: this.detailId });
    this.parts.detail.hidden = this.detailId === null;
    if (this.detailId !== null) setHtml(this.parts.detail, detailHtml(this.detailId, this.detail, metric).text);
    const n = this.rows.size;
    const shown = this.filtered.length;
    const of = shown < n ? ` (filtered from ${n})` : "";
    this.parts.pageInfo.textContent = !n ? "no trials yet" : shown ? `rows ${page.start + 1}–${page.end} of ${shown}${of} (page ${page.page + 1}/${page.pageCount})` : `no trial inside the filters${of}`;
    this.el.dataset.sweepStatus = this.summary.status ?? "";
    this.el.dataset.rowCount = String(n);
  }

  /**
   * Update the table body, keyed by trial id: a trial's `<tr>` is kept (moved
   * when the order changed) and only its cells that changed are replaced, so a
   * button under the pointer survives (a click whose mousedown and mouseup land
   * on different elements is lost) and a live update in the default order
   * (a new running trial on top, a new best moving up) touches a few rows, not
   * the page; new trials' rows are parsed in one go.
   * @param {Row[]} rows @param {Column[]} columns @param {RowContext} ctx
   */
  renderBody(rows, columns, ctx) {
    const tbody = this.parts.tbody;
    /** @typedef {HTMLTableRowElement & {hwCells?: string[]}} Tr */
    /** @type {Map<string, Tr>} */
    const old = new Map();
    for (const tr of /** @type {Tr[]} */ ([...tbody.children])) old.set(tr.dataset.trialId ?? "", tr);
    const parts = rows.map((row) => rowParts(row, columns, ctx));
    /** @type {Array<Tr|null>} */
    const kept = rows.map((row, i) => {
      const tr = old.get(row.id);
      if (!tr || tr.hwCells?.length !== parts[i].cells.length) return null;
      old.delete(row.id);
      return tr;
    });
    const fresh = parts.filter((_, i) => kept[i] === null);
    // most rows new (a new page, sort or filter): one replacement; else remove and move the few that changed
    const many = fresh.length > rows.length / 2;
    if (!many) for (const tr of old.values()) tr.remove();
    const made = /** @type {Tr[]} */ ([]);
    if (fresh.length) {
      const box = tbody.ownerDocument.createElement("tbody");
      box.innerHTML = fresh.map((p) => trHtml(p).text).join("");
      made.push(.../** @type {Tr[]} */ ([...box.children]));
    }
    let next = 0;
    /** @type {Tr[]} */
    const order = [];
    rows.forEach((_, i) => {
      let tr = kept[i];
      if (tr) {
        for (const [name, value] of Object.entries(parts[i].attrs)) {
          if (value === "") tr.removeAttribute(name);
          else if (tr.getAttribute(name) !== value) tr.setAttribute(name, value);
        }
        const cells = /** @type {string[]} */ (tr.hwCells);
        parts[i].cells.forEach((cell, j) => {
          if (cells[j] !== cell) {
            /** @type {HTMLElement} */ (/** @type {Tr} */ (tr).children[j]).outerHTML = cell;
            cells[j] = cell;
          }
        });
      } else {
        tr = made[next++];
        tr.hwCells = parts[i].cells;
      }
      order.push(tr);
      if (!many && tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] ?? null);
    });
    if (many) tbody.replaceChildren(...order);
  }

  /** Delegated clicks: sort headers, stop buttons, pager. @param {MouseEvent} event */
  onClick(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const th = target.closest("th[data-sort]");
    const stopTrial = target.closest("button[data-stop-trial]");
    const pager = target.closest("button[data-page]");
    const tr = target.closest("tr[data-trial-id]");
    const viewButton = target.closest("button[data-view]");
    const bestX = target.closest("button[data-best-x]");
    if (bestX) {
      this.bestX = bestX.getAttribute("data-best-x") === "time" ? "time" : "trials";
    } else if (viewButton) {
      this.view = /** @type {"curves"|"parallel"|"none"} */ (viewButton.getAttribute("data-view"));
      this.chartForce = true;
    } else if (target.closest("button[data-clear-brushes]")) {
      this.setBrushes({});
    } else if (target.closest("button[data-detail-close]")) {
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
      this.filtered = null;
    } else if (th) {
      this.sort = nextSort(this.sort, th.getAttribute("data-sort") ?? "index", this.sweep.goal ?? "maximize");
      this.page = 0;
      this.sorted = null;
      this.filtered = null;
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

  /**
   * Draw the chart above the table: at most twice a second while rows pour in
   * (a timer catches up), at once after a click or a brush. Not while a brush
   * is dragged (the drag's rectangle lives in the current SVG).
   * @param {string} metric @param {string} goal @param {string|null} bestId
   */
  renderChart(metric, goal, bestId) {
    this.el.dataset.view = this.view;
    for (const b of this.el.querySelectorAll("button[data-view]")) b.classList.toggle("hw-active", b.getAttribute("data-view") === this.view);
    if (this.drag || (!this.chartForce && this.chartVersion === this.version)) return;
    const age = Date.now() - this.chartAt;
    if (!this.chartForce && age < 500) {
      if (!this.chartTimer) {
        this.chartTimer = setTimeout(() => {
          this.chartTimer = 0;
          this.chartForce = true;
          this.schedule();
        }, 500 - age);
      }
      return;
    }
    this.chartForce = false;
    this.chartAt = Date.now();
    this.chartVersion = this.version;
    const rows = /** @type {Row[]} */ (this.sorted);
    if (this.view === "parallel" || Object.keys(this.brushes).length) this.axes = pcAxes(rows, this.sweep.param_names ?? [], metric);
    let markup = html``;
    if (this.view === "curves") markup = curvesChartSvg(/** @type {Row[]} */ (this.filtered), { metric, goal, bestId });
    else if (this.view === "parallel") markup = parcoordsSvg(rows, this.axes, this.brushes, { bestId });
    setHtml(this.parts.view, markup.text);
  }

  /** Replace the brushes: the table shows its first page of the rows inside them. @param {Object<string, Brush>} brushes */
  setBrushes(brushes) {
    this.brushes = brushes;
    this.filtered = null;
    this.page = 0;
    this.chartForce = true;
    this.schedule();
  }

  /** The y of a pointer event in the SVG's own units. @param {SVGSVGElement} svg @param {PointerEvent} event */
  svgY(svg, event) {
    const ctm = svg.getScreenCTM();
    if (!ctm) return event.clientY - svg.getBoundingClientRect().top;
    return new DOMPoint(event.clientX, event.clientY).matrixTransform(ctm.inverse()).y;
  }

  /** A drag starts on an axis of the parallel coordinates. @param {PointerEvent} event */
  onPointerDown(event) {
    const hit = /** @type {Element} */ (event.target).closest?.(".hw-pc-hit");
    const svg = /** @type {SVGSVGElement|null} */ (hit?.closest("svg.hw-parcoords") ?? null);
    if (!hit || !svg || event.button !== 0) return;
    event.preventDefault();
    const key = hit.getAttribute("data-axis") ?? "";
    const y0 = this.svgY(svg, event);
    const rect = /** @type {SVGRectElement} */ (document.createElementNS("http://www.w3.org/2000/svg", "rect"));
    const x = Number(hit.getAttribute("x")) + 6;
    rect.setAttribute("class", "hw-pc-brush hw-pc-dragging");
    Object.entries({ x, y: y0, width: 16, height: 0 }).forEach(([k, v]) => rect.setAttribute(k, String(v)));
    hit.parentNode?.insertBefore(rect, hit);
    this.drag = { key, y0, rect, svg };
    window.addEventListener("pointermove", this.onPointerMove);
    window.addEventListener("pointerup", this.onPointerUp);
  }

  /** @param {PointerEvent} event */
  onPointerMove(event) {
    if (!this.drag) return;
    const { svg, y0, rect } = this.drag;
    const [top, bottom] = [Number(svg.dataset.top), Number(svg.dataset.bottom)];
    const y1 = Math.min(bottom, Math.max(top, this.svgY(svg, event)));
    rect.setAttribute("y", String(Math.min(y0, y1)));
    rect.setAttribute("height", String(Math.abs(y1 - y0)));
  }

  /** A drag ends: a brush from its extent, or a click, which clears the axis's brush. @param {PointerEvent} event */
  onPointerUp(event) {
    window.removeEventListener("pointermove", this.onPointerMove);
    window.removeEventListener("pointerup", this.onPointerUp);
    if (!this.drag) return;
    const { key, svg, y0 } = this.drag;
    this.drag = null;
    const [top, bottom] = [Number(svg.dataset.top), Number(svg.dataset.bottom)];
    const y1 = Math.min(bottom, Math.max(top, this.svgY(svg, event)));
    const brushes = { ...this.brushes };
    const axis = this.axes.find((a) => a.key === key);
    if (Math.abs(y1 - y0) < 3 || !axis) delete brushes[key];
    else {
      /** @param {number} yy */
      const pos = (yy) => (bottom - yy) / (bottom - top);
      brushes[key] = brushFromPositions(axis, pos(y0), pos(y1));
    }
    this.setBrushes(brushes);
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
    clearTimeout(this.chartTimer);
    this.el.removeEventListener("click", this.onClick);
    this.el.removeEventListener("pointerdown", this.onPointerDown);
    window.removeEventListener("pointermove", this.onPointerMove);
    window.removeEventListener("pointerup", this.onPointerUp);
  }
}

/** Set `el.innerHTML` only when the markup changed (keeps hover and focus). @param {HTMLElement & {hwHtml?: string}} el @param {string} markup */
function setHtml(el, markup) {
  if (el.hwHtml === markup) return;
  el.hwHtml = markup;
  el.innerHTML = markup;
}

/** Milliseconds a view waits for the kernel's rows before it calls itself a saved view. */
export const SAVED_VIEW_WAIT_MS = 3000;

/**
 * A view restored from saved widget state has no kernel behind it: its rows
 * never come. Until the first message, a view of an ended sweep stays hidden
 * (`hw-awaiting-rows`; a live kernel answers within milliseconds); with no
 * message after SAVED_VIEW_WAIT_MS, it is a saved view (`hw-saved-view`), and
 * monitor.css hides it where the cell holds the static final table, so the
 * reopened notebook shows that one table, not an empty monitor beside it.
 * @param {HTMLElement} el @param {Summary} summary
 * @returns {{arrived(): void, cancel(): void}}
 */
export function awaitRows(el, summary) {
  if (summary.status && summary.status !== "Running") el.classList.add("hw-awaiting-rows");
  const timer = setTimeout(() => {
    el.classList.remove("hw-awaiting-rows");
    el.classList.add("hw-saved-view");
  }, SAVED_VIEW_WAIT_MS);
  return {
    arrived() {
      clearTimeout(timer);
      el.classList.remove("hw-awaiting-rows", "hw-saved-view");
    },
    cancel() {
      clearTimeout(timer);
    },
  };
}

/**
 * anywidget entry point: draws the monitor into `el` and keeps it live.
 * @param {{model: Model, el: HTMLElement}} ctx
 * @returns {() => void} cleanup
 */
function render({ model, el }) {
  const view = new MonitorView(model, el);
  const saved = awaitRows(el, model.get("summary") ?? {});
  /** @param {any} msg */
  const onMsg = (msg) => {
    saved.arrived();
    view.onMessage(msg);
  };
  const onTraits = () => view.onTraits();
  model.on("msg:custom", onMsg);
  model.on("change:summary", onTraits);
  // a one-second tick keeps the elapsed time and running durations moving between messages
  const tick = setInterval(() => view.running() && view.schedule(), 1000);
  view.render();
  model.send({ type: "snapshot_request" });
  return () => {
    saved.cancel();
    clearInterval(tick);
    model.off("msg:custom", onMsg);
    model.off("change:summary", onTraits);
    view.destroy();
  };
}

export default { render };
