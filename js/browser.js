// Front-end of hyperwidget's sweep browser: one anywidget ES module, no build step.
//
// Data flow (see hyperwidget/notebook/browser.py):
// - the kernel re-reads the sweep file every second and sets the synced trait
//   `sweeps` (one summary per sweep: name, status, metric, goal, n_trials,
//   n_finished, best, best_trial, started_at, ended_at, error) and `error`
//   (why the file could not be read just now);
// - this module writes the trait `selected` (names, the focused sweep last):
//   a click on a row selects that sweep alone, its box or a Ctrl/Shift-click
//   adds it to (or removes it from) the selection;
// - the kernel answers with `curves` (best-so-far steps of the selected sweeps:
//   {trial: [[finished, best]...], time: [[seconds, best]...], metric, goal})
//   and `importance` ({sweep, values: [[name, share]...], pending?, error?}),
//   and shows the focused sweep's monitor in an Output below this widget;
// - `x_axis` ("trial" or "time") is the overlay's x axis, set here.
// As in monitor.js (whose helpers are repeated here: an anywidget module is one
// file), all markup is built with the escaping `html` template. The helpers
// above `render` are pure and exported for `node --test js/test/`.

/**
 * @typedef {{name: string, status: string, metric: string|null, goal: string|null, n_trials: number,
 *   n_finished: number, best: number|null, best_trial: string|null, started_at: number|null,
 *   ended_at: number|null, error: string|null}} Summary
 * @typedef {{metric: string, goal: string, trial: Array<[number, number]>, time: Array<[number, number]>}} Curve
 * @typedef {{sweep?: string, metric?: string, values?: Array<[string, number]>, pending?: boolean,
 *   error?: string, n_trials?: number, n_finished?: number}} Importance
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
 * arrays are joined; null, undefined and false vanish.
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
/** A metric value with 4 significant digits; "—" when missing. @param {*} value */
export function formatNumber(value) {
  if (typeof value !== "number" || Number.isNaN(value)) return "—";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(value.toPrecision(4)));
}

/** Unix seconds as local "YYYY-MM-DD HH:MM"; "—" when missing. @param {*} seconds */
export function formatDate(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "—";
  const d = new Date(seconds * 1000);
  /** @param {number} n */
  const two = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** Seconds as "12 s", "4m 05s" or "1h 02m". @param {number} seconds */
export function formatSeconds(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "—";
  if (seconds < 60) return `${Number(seconds.toPrecision(3))} s`;
  const total = Math.floor(seconds);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  return h > 0 ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}m ${String(s).padStart(2, "0")}s`;
}

/** Sweep status -> CSS modifier. @param {string} status */
export function statusCss(status) {
  const known = { Running: "running", Completed: "completed", Canceled: "canceled", Failed: "failed", Interrupted: "interrupted", NotStarted: "queued" };
  return known[/** @type {keyof known} */ (status)] ?? "unknown";
}

// ------------------------------------------------------------------ selection
/**
 * The selection after a click on sweep `name`: alone (a plain click on its
 * row), or added to / removed from the others (its box, Ctrl or Shift). The
 * focused sweep (its monitor and importance) is the last one.
 * @param {string[]} selected @param {string} name @param {boolean} additive
 * @returns {string[]}
 */
export function toggleSelection(selected, name, additive) {
  if (!additive) return [name];
  if (selected.includes(name)) return selected.filter((n) => n !== name);
  return [...selected, name];
}

// ----------------------------------------------------------------------- list
/** One sweep's `<tr>`. @param {Summary} s @param {string[]} selected */
export function sweepRowHtml(s, selected) {
  const isSelected = selected.includes(s.name);
  const focus = selected.length > 0 && selected[selected.length - 1] === s.name;
  const cls = `hb-row${isSelected ? " hb-selected" : ""}${focus ? " hb-focus" : ""}`;
  const best = s.best === null || s.best === undefined ? html`<span class="hb-muted">—</span>` : html`<b>${formatNumber(s.best)}</b>`;
  const metric = s.metric ? html` <span class="hb-muted">${s.metric} (${s.goal === "minimize" ? "min" : "max"})</span>` : "";
  return html`<tr class="${cls}" data-sweep="${s.name}" data-status="${s.status}" title="${s.error ?? ""}"><td><input type="checkbox" class="hb-check" data-toggle="${s.name}"${isSelected ? raw(" checked") : ""} aria-label="select ${s.name}"></td><td class="hb-name">${s.name}</td><td><span class="hb-status hb-status-${statusCss(s.status)}">${s.status}</span></td><td class="hb-num hb-trials">${s.n_finished} / ${s.n_trials}</td><td class="hb-num hb-best">${best}${metric}</td><td class="hb-date">${formatDate(s.started_at)}</td><td class="hb-date">${formatDate(s.ended_at)}</td></tr>`;
}

/** The whole table. @param {Summary[]} sweeps @param {string[]} selected */
export function listHtml(sweeps, selected) {
  if (!sweeps.length) return html`<div class="hb-empty hb-muted">no sweep in this file yet</div>`;
  return html`<table class="hb-table"><thead><tr><th></th><th>sweep</th><th>status</th><th title="finished / all trials">trials</th><th>best</th><th>started</th><th>ended</th></tr></thead><tbody>${sweeps.map((s) => sweepRowHtml(s, selected))}</tbody></table>`;
}

// -------------------------------------------------------------------- overlay
const COLORS = ["#1976d2", "#e65100", "#2e7d32", "#8e24aa", "#c62828", "#00838f", "#6d4c41", "#f9a825"];

/** The colour of the i-th selected sweep. @param {number} i */
export function colorOf(i) {
  return COLORS[i % COLORS.length];
}

/**
 * A step line through best-so-far points: horizontal to each new x at the
 * previous best, then up or down to the new best.
 * @param {Array<[number, number]>} points
 * @returns {Array<[number, number]>}
 */
export function stepPoints(points) {
  /** @type {Array<[number, number]>} */
  const out = [];
  points.forEach(([x, y], i) => {
    if (i > 0) out.push([x, points[i - 1][1]]);
    out.push([x, y]);
  });
  return out;
}

/**
 * The overlay of best-so-far curves as SVG: one step line per selected sweep
 * (in selection order, coloured by `colorOf`), with its legend.
 * @param {Object<string, Curve>} curves @param {string[]} names @param {"trial"|"time"} xAxis
 */
export function overlaySvg(curves, names, xAxis) {
  const shown = names.filter((n) => curves[n] && (curves[n][xAxis] ?? []).length > 0);
  if (!shown.length) return html`<div class="hb-muted hb-chart-empty">select sweeps with finished trials to compare their best-so-far curves</div>`;
  const [w, h, left, bottom, top, right] = [520, 220, 56, 28, 8, 10];
  const all = shown.flatMap((n) => curves[n][xAxis]);
  const xHi = Math.max(1e-9, ...all.map((p) => p[0]));
  const ys = all.map((p) => p[1]);
  let [yLo, yHi] = [Math.min(...ys), Math.max(...ys)];
  if (yLo === yHi) [yLo, yHi] = [yLo - 0.5, yHi + 0.5];
  /** @param {number} x */
  const sx = (x) => left + (x / xHi) * (w - left - right);
  /** @param {number} y */
  const sy = (y) => top + (1 - (y - yLo) / (yHi - yLo)) * (h - top - bottom);
  const lines = shown.map((n) => {
    const pts = stepPoints(curves[n][xAxis]).map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
    return html`<polyline class="hb-curve" data-sweep="${n}" stroke="${colorOf(names.indexOf(n))}" points="${pts.join(" ")}"><title>${n}</title></polyline>`;
  });
  const metrics = [...new Set(shown.map((n) => curves[n].metric))];
  const xLabel = xAxis === "time" ? `elapsed time (0 to ${formatSeconds(xHi)})` : `finished trials (0 to ${xHi})`;
  const legend = shown.map((n) => html`<span class="hb-legend-item"><span class="hb-swatch" style="background:${colorOf(names.indexOf(n))}"></span>${n}</span>`);
  return html`<svg class="hb-overlay" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img"><title>best ${metrics.join(", ")} so far</title><line class="hb-axis" x1="${left}" y1="${h - bottom}" x2="${w - right}" y2="${h - bottom}"></line><line class="hb-axis" x1="${left}" y1="${top}" x2="${left}" y2="${h - bottom}"></line><text x="${left - 4}" y="${top + 8}" text-anchor="end">${formatNumber(yHi)}</text><text x="${left - 4}" y="${h - bottom}" text-anchor="end">${formatNumber(yLo)}</text><text x="${(left + w - right) / 2}" y="${h - 8}" text-anchor="middle">${xLabel}</text>${lines}</svg><div class="hb-legend">${legend}${
    metrics.length > 1 ? html`<span class="hb-warn">different metrics: ${metrics.join(", ")}</span>` : ""
  }</div>`;
}

// ----------------------------------------------------------------- importance
/** The importance bars of the focused sweep. @param {Importance} imp */
export function importanceHtml(imp) {
  if (!imp || !imp.sweep) return html`<div class="hb-muted">select a sweep to see which hyperparameters mattered</div>`;
  const title = html`<div class="hb-imp-title">parameter importance: <b>${imp.sweep}</b>${imp.metric ? html` <span class="hb-muted">for ${imp.metric}</span>` : ""}</div>`;
  if (imp.pending) return html`${title}<div class="hb-muted hb-imp-pending">computing from ${imp.n_trials ?? 0} finished trials…</div>`;
  if (imp.error) return html`${title}<div class="hb-muted hb-imp-error">${imp.error}</div>`;
  const rows = (imp.values ?? []).map(
    ([name, share]) =>
      html`<tr class="hb-imp-row" data-param="${name}"><th>${name}</th><td><div class="hb-imp-bar" style="width:${(Math.max(0, Math.min(1, share)) * 100).toFixed(1)}%"></div></td><td class="hb-num">${(share * 100).toFixed(0)}%</td></tr>`,
  );
  const used = imp.n_trials ?? 0;
  const fitted = imp.n_finished && imp.n_finished > used ? `the latest ${used} of ${imp.n_finished}` : `${used}`;
  return html`${title}<table class="hb-imp">${rows}</table><div class="hb-muted">${fitted} finished trials; random forest, permutation importance</div>`;
}

// ----------------------------------------------------------------------- view
/**
 * @typedef {{get(name: string): any, set(name: string, value: any): void, save_changes(): void,
 *   on(event: string, cb: Function): void, off(event?: string|null, cb?: Function|null): void}} Model
 */

/** Set `el.innerHTML` only when the markup changed (keeps hover and focus). @param {HTMLElement & {hbHtml?: string}} el @param {SafeHtml} markup */
function setHtml(el, markup) {
  if (el.hbHtml === markup.text) return;
  el.hbHtml = markup.text;
  el.innerHTML = markup.text;
}

/**
 * anywidget entry point.
 * @param {{model: Model, el: HTMLElement}} ctx
 * @returns {() => void} cleanup
 */
function render({ model, el }) {
  el.classList.add("hb-browser");
  el.innerHTML = html`<div class="hb-header"><b>sweeps</b> in <span class="hb-file"></span> <span class="hb-count hb-muted"></span></div><div class="hb-error"></div><div class="hb-list"></div>
<div class="hb-panels"><div class="hb-overlay-panel"><div class="hb-panel-title">best so far <span class="hb-xaxis"><button type="button" class="hb-btn" data-x="trial">by finished trials</button><button type="button" class="hb-btn" data-x="time">by elapsed time</button></span></div><div class="hb-overlay-box"></div></div><div class="hb-imp-panel"></div></div>`.text;
  /** @param {string} sel */
  const q = (sel) => /** @type {HTMLElement} */ (el.querySelector(sel));
  const parts = { file: q(".hb-file"), count: q(".hb-count"), error: q(".hb-error"), list: q(".hb-list"), overlay: q(".hb-overlay-box"), imp: q(".hb-imp-panel") };
  let frame = 0;
  const draw = () => {
    frame = 0;
    /** @type {Summary[]} */
    const sweeps = model.get("sweeps") ?? [];
    /** @type {string[]} */
    const selected = model.get("selected") ?? [];
    const xAxis = model.get("x_axis") === "time" ? "time" : "trial";
    parts.file.textContent = model.get("file") ?? "";
    parts.count.textContent = `${sweeps.length} sweep${sweeps.length === 1 ? "" : "s"}`;
    setHtml(parts.error, model.get("error") ? html`<div class="hb-warn">${model.get("error")}</div>` : html``);
    setHtml(parts.list, listHtml(sweeps, selected));
    setHtml(parts.overlay, overlaySvg(model.get("curves") ?? {}, selected, xAxis));
    setHtml(parts.imp, importanceHtml(model.get("importance") ?? {}));
    el.querySelectorAll("button[data-x]").forEach((b) => b.classList.toggle("hb-active", b.getAttribute("data-x") === xAxis));
    el.dataset.sweepCount = String(sweeps.length);
  };
  // one draw per animation frame, or after 100 ms when the tab is hidden (no frames then)
  const schedule = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => frame && draw());
    setTimeout(() => frame && draw(), 100);
  };
  /** @param {MouseEvent} event */
  const onClick = (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    const xButton = target.closest("button[data-x]");
    if (xButton) {
      model.set("x_axis", xButton.getAttribute("data-x") ?? "trial");
      model.save_changes();
      schedule();
      return;
    }
    const box = target.closest("input[data-toggle]");
    const row = target.closest("tr[data-sweep]");
    if (!box && !row) return;
    const name = (box ?? row)?.getAttribute(box ? "data-toggle" : "data-sweep") ?? "";
    const additive = Boolean(box) || event.ctrlKey || event.metaKey || event.shiftKey;
    model.set("selected", toggleSelection(model.get("selected") ?? [], name, additive));
    model.save_changes();
    schedule();
  };
  el.addEventListener("click", onClick);
  const names = ["sweeps", "selected", "curves", "importance", "error", "x_axis", "file"];
  names.forEach((n) => model.on(`change:${n}`, schedule));
  draw();
  return () => {
    el.removeEventListener("click", onClick);
    names.forEach((n) => model.off(`change:${n}`, schedule));
    if (frame) cancelAnimationFrame(frame);
  };
}

export default { render };
