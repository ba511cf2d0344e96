// Front-end of hyperwidget's live sweep monitor (anywidget ESM, no build step).
//
// Data flow (see hyperwidget/notebook/monitor.py):
// - the kernel sends custom messages {type: "update", full, rows, id_prefix,
//   statuses, summary, sweep} at most ~10 per second, with only the rows that
//   changed (`full` = all rows), as positional lists of raw values that
//   format.js decodes (decodeRows) and formats;
// - the traits `summary` and `sweep` are synced when the sweep ends (the rows
//   are not: the final table is kept in the notebook as static HTML instead);
// - each view asks for a full snapshot when it starts (`snapshot_request`),
//   because custom messages sent before the view existed are not replayed;
// - stop buttons send {type: "stop_sweep"} and {type: "stop_trial", id}.
// All markup is built with the escaping `html` template of format.js.
import {
  bestChartSvg,
  bestPanelHtml,
  bestSoFar,
  columnsFor,
  decodeRows,
  headerHtml,
  html,
  mergeRows,
  nextSort,
  pageOf,
  progressHtml,
  rowHtml,
  rowParts,
  sortRows,
} from "./format.js";

const PAGE_SIZES = [25, 50, 100, 500];

/**
 * @typedef {import("./format.js").Row} Row
 * @typedef {import("./format.js").Summary} Summary
 * @typedef {{name?: string, metric?: string, goal?: string, param_names?: string[]}} Sweep
 * @typedef {{get(name: string): any, on(event: string, cb: Function): void, off(event?: string|null, cb?: Function|null): void, send(content: object): void}} Model
 */

/** Per-view state; kept in one object so `render` stays short. */
class MonitorView {
  /** @param {Model} model @param {HTMLElement} el */
  constructor(model, el) {
    this.model = model;
    this.el = el;
    /** @type {Map<string, Row>} */
    this.rows = new Map();
    /** @type {Summary} */
    this.summary = model.get("summary") ?? {};
    /** @type {Sweep} */
    this.sweep = model.get("sweep") ?? {};
    this.sort = { key: "index", dir: /** @type {"asc"|"desc"} */ ("asc") };
    this.page = 0;
    this.pageSize = model.get("page_size") || 50;
    /** @type {Set<string>} trial ids whose stop was requested */
    this.stopping = new Set();
    this.stopSweepRequested = false;
    this.clockOffset = 0; // kernel time - browser time, in seconds
    this.frame = 0;
    this.syncClock(this.summary);
    this.build();
  }

  /** Create the static skeleton once; later renders fill its parts. */
  build() {
    this.el.classList.add("hw-monitor");
    this.el.innerHTML = html`<div class="hw-header"><div class="hw-title"></div><button type="button" class="hw-btn hw-stop-sweep">stop sweep</button></div>
<div class="hw-top"><div class="hw-progress"></div><div class="hw-best-panel"></div><div class="hw-chart"></div></div>
<div class="hw-table-wrap"><table class="hw-table"><thead></thead><tbody></tbody></table></div>
<div class="hw-pager"><button type="button" class="hw-btn" data-page="prev">‹ prev</button><span class="hw-page-info"></span><button type="button" class="hw-btn" data-page="next">next ›</button><label>rows per page <select class="hw-page-size">${PAGE_SIZES.map(
      (n) => html`<option value="${n}">${n}</option>`,
    )}</select></label></div>`.text;
    /** @param {string} sel */
    const q = (sel) => /** @type {HTMLElement} */ (this.el.querySelector(sel));
    this.parts = {
      title: q(".hw-title"),
      stopSweep: /** @type {HTMLButtonElement} */ (q(".hw-stop-sweep")),
      progress: q(".hw-progress"),
      best: q(".hw-best-panel"),
      chart: q(".hw-chart"),
      thead: q("thead"),
      tbody: q("tbody"),
      pageInfo: q(".hw-page-info"),
      pageSize: /** @type {HTMLSelectElement} */ (q(".hw-page-size")),
    };
    this.parts.pageSize.value = String(this.pageSize);
    this.onClick = this.onClick.bind(this);
    this.onPageSize = this.onPageSize.bind(this);
    this.el.addEventListener("click", this.onClick);
    this.parts.pageSize.addEventListener("change", this.onPageSize);
  }

  /** @param {Summary} summary */
  syncClock(summary) {
    if (summary && typeof summary.now === "number") this.clockOffset = summary.now - Date.now() / 1000;
  }

  /** Kernel time now, in unix seconds. */
  now() {
    return Date.now() / 1000 + this.clockOffset;
  }

  /** @param {{type?: string, full?: boolean, rows?: Array<Array<*>>, id_prefix?: string, summary?: Summary, sweep?: Sweep}} msg */
  onMessage(msg) {
    if (!msg || msg.type !== "update") return;
    if (msg.sweep) this.sweep = msg.sweep;
    if (msg.full) this.rows.clear();
    const rows = decodeRows(msg.rows ?? [], this.sweep.param_names ?? [], msg.id_prefix ?? "", msg.statuses ?? undefined);
    mergeRows(this.rows, rows);
    if (msg.summary) {
      this.summary = msg.summary;
      this.syncClock(msg.summary);
    }
    this.schedule();
  }

  /** Final summary arrived through the traits (sweep end, or restored state). */
  onTraits() {
    this.summary = this.model.get("summary") ?? this.summary;
    this.sweep = this.model.get("sweep") ?? this.sweep;
    this.syncClock(this.summary);
    this.schedule();
  }

  /** Coalesce renders to one per animation frame (or 100 ms when hidden). */
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

  /** @returns {boolean} true while the sweep can still be stopped */
  running() {
    return this.summary.status === "Running";
  }

  render() {
    const metric = this.sweep.metric ?? "metric";
    const goal = this.sweep.goal ?? "maximize";
    const all = [...this.rows.values()];
    const now = this.now();
    const columns = columnsFor(this.sweep.param_names ?? [], metric);
    const bestId = this.summary.best_id ?? null;
    setHtml(this.parts.title, html`<b>${this.sweep.name ?? "sweep"}</b> <span class="hw-muted">${goal} ${metric}</span>`.text);
    this.renderStopButton();
    const elapsed =
      this.running() && typeof this.summary.started_at === "number"
        ? now - this.summary.started_at
        : this.summary.elapsed ?? 0;
    setHtml(this.parts.progress, progressHtml(this.summary, elapsed).text);
    setHtml(this.parts.best, bestPanelHtml(bestId === null ? undefined : this.rows.get(bestId), metric).text);
    setHtml(this.parts.chart, bestChartSvg(bestSoFar(all, goal), metric).text);
    setHtml(this.parts.thead, headerHtml(columns, this.sort).text);
    const page = pageOf(sortRows(all, this.sort.key, this.sort.dir, now), this.page, this.pageSize);
    this.page = page.page;
    const ctx = { bestId, now, stopping: this.stopping, canStop: this.running(), metric, sweepName: this.sweep.name };
    this.renderBody(page.rows, columns, ctx);
    this.parts.pageInfo.textContent = all.length
      ? `rows ${page.start + 1}–${page.end} of ${all.length} (page ${page.page + 1}/${page.pageCount})`
      : "no trials yet";
    this.el.dataset.sweepStatus = this.summary.status ?? "";
    this.el.dataset.rowCount = String(all.length);
  }

  /**
   * Update the table body in place: rows are keyed by trial id and only
   * changed cells are replaced, so a button under the pointer survives
   * updates (a click whose mousedown and mouseup land on different elements
   * is lost).
   * @param {Row[]} rows
   * @param {import("./format.js").Column[]} columns
   * @param {import("./format.js").RowContext} ctx
   */
  renderBody(rows, columns, ctx) {
    const tbody = this.parts.tbody;
    rows.forEach((row, i) => {
      const parts = rowParts(row, columns, ctx);
      let tr = /** @type {HTMLTableRowElement & {hwCells?: string[]} | undefined} */ (tbody.children[i]);
      if (!tr || tr.dataset.trialId !== String(row.id) || !tr.hwCells || tr.hwCells.length !== parts.cells.length) {
        const fresh = /** @type {HTMLTableRowElement & {hwCells?: string[]}} */ (parseRow(rowHtml(row, columns, ctx).text));
        fresh.hwCells = parts.cells;
        if (tr) tbody.replaceChild(fresh, tr);
        else tbody.appendChild(fresh);
        return;
      }
      for (const [name, value] of Object.entries(parts.attrs)) {
        if (value === "") tr.removeAttribute(name);
        else if (tr.getAttribute(name) !== value) tr.setAttribute(name, value);
      }
      const cells = tr.hwCells;
      parts.cells.forEach((cell, j) => {
        if (cells[j] !== cell) {
          /** @type {HTMLElement} */ (tr.children[j]).outerHTML = cell;
          cells[j] = cell;
        }
      });
    });
    while (tbody.children.length > rows.length) tbody.lastElementChild?.remove();
  }

  renderStopButton() {
    const btn = this.parts.stopSweep;
    const running = this.running();
    btn.disabled = !running || this.stopSweepRequested;
    btn.textContent = running ? (this.stopSweepRequested ? "stopping…" : "stop sweep") : "sweep ended";
  }

  /** Delegated clicks: sort headers, stop buttons, pager. @param {MouseEvent} event */
  onClick(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const th = target.closest("th[data-sort]");
    if (th) {
      this.sort = nextSort(this.sort, th.getAttribute("data-sort") ?? "index", this.sweep.goal ?? "maximize");
      this.page = 0;
      return this.schedule();
    }
    const stopTrial = target.closest("button[data-stop-trial]");
    if (stopTrial) {
      const id = stopTrial.getAttribute("data-stop-trial") ?? "";
      this.stopping.add(id);
      this.model.send({ type: "stop_trial", id });
      return this.schedule();
    }
    if (target.closest(".hw-stop-sweep")) {
      this.stopSweepRequested = true;
      this.model.send({ type: "stop_sweep" });
      return this.schedule();
    }
    const pager = target.closest("button[data-page]");
    if (pager) {
      this.page += pager.getAttribute("data-page") === "next" ? 1 : -1;
      this.schedule();
    }
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

/**
 * Set `el.innerHTML` only when the markup changed (keeps hover and focus).
 * @param {HTMLElement & {hwHtml?: string}} el
 * @param {string} markup  escaped HTML from format.js
 */
function setHtml(el, markup) {
  if (el.hwHtml === markup) return;
  el.hwHtml = markup;
  el.innerHTML = markup;
}

/**
 * Parse one `<tr>` of escaped HTML (from format.js) into an element.
 * @param {string} markup
 * @returns {HTMLTableRowElement}
 */
function parseRow(markup) {
  const template = document.createElement("template");
  template.innerHTML = markup;
  return /** @type {HTMLTableRowElement} */ (template.content.firstElementChild);
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
  // A one-second tick keeps elapsed time and running durations moving
  // between kernel messages.
  const tick = setInterval(() => {
    if (view.running()) view.schedule();
  }, 1000);
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
