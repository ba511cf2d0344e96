"""What the live monitor adds to a sweep: time per trial and messages per second.

Three sweeps, each run with and without a ``SweepMonitor`` attached as an
observer, alternating the two and comparing paired runs:

- 1,000 and 10,000 trials of a no-op objective (sequential backend), where the
  engine's own cost per trial is smallest, so the monitor's share is largest;
- 200 realistic trials of 10 to 100 ms each (threads backend, 2 at a time),
  each logging its metric 5 times while it runs, so the table changes live.

There is no front end: every message the widget would send (custom updates
and trait syncs alike go through ``Widget._send``) is encoded with the packer
of a kernel's session (``jupyter_client``), counted and timed. "With the
monitor" runs until the monitor has sent the last rows and the final summary;
the static copy of the table that the notebook keeps is built after that, once
per sweep, and timed apart. The targets: at most 10 µs per trial added to the
engine, at most about 10 messages per second.

Usage::

    python benchmarks/monitor_overhead.py [--repeats 7] [--realistic-repeats 3]

Writes ``benchmarks/results/monitor_overhead.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jupyter_client.session import Session

from hyperwidget import log, run_sweep, uniform
from hyperwidget.notebook.monitor import SweepMonitor

RESULTS = ROOT / "benchmarks" / "results" / "monitor_overhead.md"
#: Frame and interaction times of a 10,000-trial monitor in JupyterLab, written by
#: tests/browser/test_monitor_lab.py::test_a_10000_trial_table_scrolls_sorts_and_pages_smoothly.
BROWSER = ROOT / "test-artifacts" / "monitor-10k.json"
#: The packer a kernel's session uses for messages (orjson when installed, else json).
_SESSION = Session()
PACK = _SESSION.pack


def noop(x: float) -> float:
    """The no-op objective: returns its parameter."""
    return x


def realistic(x: float, seconds: float) -> None:
    """A trial of ``seconds`` (10 to 100 ms) that logs its metric 5 times while it runs."""
    for step in range(1, 6):
        time.sleep(seconds / 5)
        log("accuracy", x * step / 5)


SCENARIOS: dict[str, dict[str, Any]] = {
    "no-op, 1,000 trials": dict(
        objective=noop, space={"x": uniform(0, 1)}, max_total_runs=1000, backend="sequential", max_concurrent_runs=1
    ),
    "no-op, 10,000 trials": dict(
        objective=noop, space={"x": uniform(0, 1)}, max_total_runs=10000, backend="sequential", max_concurrent_runs=1
    ),
    "realistic, 200 trials of 10-100 ms": dict(
        objective=realistic,
        space={"x": uniform(0, 1), "seconds": uniform(0.01, 0.1)},
        max_total_runs=200,
        backend="threads",
        max_concurrent_runs=2,
    ),
}


class CountingMonitor(SweepMonitor):
    """A monitor whose outgoing messages are encoded as the kernel would and counted."""

    def __init__(self, **kwargs: Any) -> None:
        self.sent: list[tuple[float, int]] = []
        self.loop_ended = threading.Event()  # the sender thread has added its CPU time
        super().__init__(**kwargs)
        self.sent.clear()  # creation messages (comm open) are not part of the sweep

    def _send(self, msg: Any, buffers: Any = None) -> None:
        self.sent.append((time.monotonic(), len(PACK(msg))))

    # The monitor's own CPU time: its sender thread, plus its two hooks, which run on the engine's thread.
    own_cpu = 0.0

    def _loop(self, stop: threading.Event) -> None:
        started = time.thread_time()
        try:
            super()._loop(stop)
        finally:
            self.own_cpu += time.thread_time() - started
            self.loop_ended.set()

    def on_sweep_start(self, run: Any) -> None:
        started = time.thread_time()
        super().on_sweep_start(run)
        self.own_cpu += time.thread_time() - started

    def on_sweep_end(self, run: Any) -> None:
        started = time.thread_time()
        super().on_sweep_end(run)
        self.own_cpu += time.thread_time() - started


def sweep(scenario: dict[str, Any], monitor: CountingMonitor | None) -> tuple[float, float]:
    """(wall, CPU) seconds from the start until the sweep has ended, its last
    rows and final summary sent by the monitor. CPU time counts all threads of
    this process. The seconds the static table then takes (built once the engine
    is done, before the cell ends) are kept in ``monitor.static_seconds``."""
    settings = dict(scenario)
    objective, space = settings.pop("objective"), settings.pop("space")
    start, cpu = time.perf_counter(), time.process_time()
    run_sweep(
        objective,
        space,
        metric="accuracy",
        storage=None,
        seed=0,
        observers=[monitor] if monitor is not None else [],
        **settings,
    )
    if monitor is not None and not (monitor.wait_ended(30) and monitor.loop_ended.wait(30)):
        raise RuntimeError("the monitor did not publish its final summary within 30 s")
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    if monitor is not None:
        started = time.perf_counter()
        monitor.static_bundle()  # what live.display_final_table hands to IPython's display
        monitor.static_seconds = time.perf_counter() - started
    return wall, cpu


def max_per_second(times: list[float]) -> int:
    """Most messages in any one-second window."""
    return max((sum(1 for u in times[i:] if u - t < 1.0) for i, t in enumerate(times)), default=0)


def measure(scenario: dict[str, Any], repeats: int) -> dict[str, Any]:
    warm = {**scenario, "max_total_runs": 20}
    sweep(warm, None)  # imports, thread pools
    sweep(warm, CountingMonitor())
    pairs: list[tuple[tuple[float, float], tuple[float, float]]] = []
    counts, peaks, sizes, statics, owns = [], [], [], [], []
    for _ in range(repeats):
        base = sweep(scenario, None)
        monitor = CountingMonitor()
        pairs.append((base, sweep(scenario, monitor)))
        counts.append(len(monitor.sent))
        peaks.append(max_per_second([t for t, _ in monitor.sent]))
        sizes.append(sum(s for _, s in monitor.sent))
        statics.append(monitor.static_seconds)
        owns.append(monitor.own_cpu)
    trials = scenario["max_total_runs"]
    out: dict[str, Any] = {
        "trials": trials,
        "repeats": repeats,
        "messages": statistics.median(counts),
        "peak": max(peaks),
        "bytes": statistics.median(sizes),
        "static": statistics.median(statics),
        "own_cpu_per_trial": statistics.median(owns) / scenario["max_total_runs"],
    }
    for key, pick in (("wall", 0), ("cpu", 1)):
        base = [b[pick] for b, _ in pairs]
        with_ = [w[pick] for _, w in pairs]
        out[key] = {
            "base": statistics.median(base),
            "with": statistics.median(with_),
            # each run with the monitor is compared with the run just before it, which
            # cancels slow drifts of the machine's load
            "added_per_trial": statistics.median(w - b for b, w in zip(base, with_, strict=True)) / trials,
            "added_per_trial_min": (min(with_) - min(base)) / trials,
        }
    return out


def components(trials: int = 10000, repeats: int = 15) -> dict[str, float]:
    """The monitor's work per trial, piece by piece, best of ``repeats`` (the
    least disturbed by other jobs): the table's rows and best so far from the
    finished records, and the kernel's JSON packer on those rows."""
    from hyperwidget.notebook import _snapshot

    run = run_sweep(
        noop,
        {"x": uniform(0, 1)},
        metric="accuracy",
        max_total_runs=trials,
        backend="sequential",
        storage=None,
        seed=0,
        monitor=False,
    )
    records = run.trials
    best = {"rows and best so far (Table.update)": math.inf, "JSON of the rows (kernel packer)": math.inf}
    for _ in range(repeats):
        table = _snapshot.Table("accuracy", run.goal)
        started = time.perf_counter()
        rows = table.update(records)
        packing = time.perf_counter()
        PACK({"rows": rows})
        done = time.perf_counter()
        best["rows and best so far (Table.update)"] = min(
            best["rows and best so far (Table.update)"], packing - started
        )
        best["JSON of the rows (kernel packer)"] = min(best["JSON of the rows (kernel packer)"], done - packing)
    return {name: 1e6 * seconds / trials for name, seconds in best.items()}


def browser_section() -> str:
    """The last browser test's numbers, if there are any."""
    if not BROWSER.is_file():
        return "(Run `python -m pytest tests/browser -k 10000` first to add the browser's numbers here.)"
    data = json.loads(BROWSER.read_text())
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(BROWSER.stat().st_mtime))
    lines = "\n".join(f"| {name} | {ms:.0f} |" for name, ms in data["interaction_ms"].items())
    return f"""A finished 10,000-trial sweep (`tests/browser/test_monitor_lab.py`, {when}; JupyterLab 4 in headless
Chromium on the same machine): milliseconds from the click until the frame that shows the result, median of three
(bound: 500).

| interaction | ms |
|---|---:|
{lines}

Frame times (`requestAnimationFrame` deltas): while the 10,000 trials ran and the table updated, median
{data["live_frame_ms_median"]:.1f} ms, longest {data["live_frame_ms_max"]:.0f} ms ({data["live_frames"]} frames);
scrolling a 100-row page from top to bottom over {data["scroll_frames"]} frames, median
{data["scroll_frame_ms_median"]:.1f} ms, longest {data["scroll_frame_ms_max"]:.0f} ms (bounds: median 50 ms)."""


def report(results: dict[str, dict[str, Any]], load: tuple[float, float], repeats: str, parts: dict[str, float]) -> str:
    small, large = results["no-op, 1,000 trials"], results["no-op, 10,000 trials"]

    def per_trial(key: str) -> float:
        added = [r[key]["added_per_trial"] * r["trials"] for r in (small, large)]
        return 1e6 * (added[1] - added[0]) / (large["trials"] - small["trials"])

    slope = f"{per_trial('wall'):+.1f} µs of wall time, {per_trial('cpu'):+.1f} µs of CPU"
    rows = []
    notes = []
    for name, r in results.items():
        wall, cpu = r["wall"], r["cpu"]
        rows.append(
            f"| {name} | {1e6 * wall['base'] / r['trials']:.0f} / {1e6 * cpu['base'] / r['trials']:.0f} | "
            f"{1e6 * wall['added_per_trial']:+.1f} "
            f"({1e6 * wall['added_per_trial_min']:+.1f}) | {1e6 * cpu['added_per_trial']:+.1f} "
            f"({1e6 * cpu['added_per_trial_min']:+.1f}) | {1e6 * r['own_cpu_per_trial']:.1f} | "
            f"{r['messages']:.0f} | {r['peak']} | "
            f"{r['bytes'] / 1024:.0f} | {1e3 * r['static']:.1f} |"
        )
        notes.append(
            f"- {name} ({r['repeats']} pairs): {1e6 * wall['added_per_trial']:+.1f} µs of wall time and "
            f"{1e6 * cpu['added_per_trial']:+.1f} µs of CPU per trial, of which the monitor's own work (its thread "
            f"and hooks, `time.thread_time`) {1e6 * r['own_cpu_per_trial']:.1f} µs (target: at most 10 µs), at most "
            f"{r['peak']} messages in one second (target: about 10)."
        )
    return f"""# Live monitor overhead

`python benchmarks/monitor_overhead.py {repeats}`
({time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}, Python {platform.python_version()}, {platform.machine()},
{os.cpu_count()} CPUs, load average {load[0]:.1f} at the start and {load[1]:.1f} at the end; the machine is shared,
hence alternating runs and medians of paired differences; minima in parentheses). The paired difference of the
process's CPU time carries the noise of the engine's own cost; the monitor's own CPU time (its sender thread and
its two hooks, measured with `time.thread_time`) is the direct measure of what it does.

Each sweep runs without and with a `SweepMonitor` observer (in-memory storage). No front end is attached; each
message the widget sends is encoded with the kernel session's packer (`{_SESSION.packer}` here) and counted.
"With" runs until the monitor has sent the last rows and the final summary. The static copy of the final table
that the notebook keeps (pandas' HTML and text of at most 60 rows) is built once the engine is done, once per
sweep; its time is the last column, not in the per-trial numbers.

| sweep | engine alone, µs per trial (wall / CPU) | added wall µs per trial | added CPU µs per trial | monitor's own CPU µs per trial | messages per sweep | most in one second | KiB sent | static table, ms |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

{chr(10).join(notes)}
- Per trial, net of the fixed cost at the end (the slope between the two no-op sweeps): {slope}.
- The same work piece by piece, best of 15 passes over 10,000 finished records (the least disturbed by other
  jobs): {"; ".join(f"{name} {us:.1f} µs" for name, us in parts.items())}; {sum(parts.values()):.1f} µs in all.

Each trial's row is built (one dict, `_snapshot.row`) and sent about once; the front end formats the raw values.
The final message and the traits are a small fixed cost per sweep, which a short sweep spreads over few trials.
The messages are at most one per 0.1 s while the sweep runs, plus the last rows and the final summary at its end.

## In the browser

{browser_section()}
"""  # noqa: E501 - the table header is one line of markdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="pairs of no-op sweeps")
    parser.add_argument("--realistic-repeats", type=int, default=3, help="pairs of realistic sweeps")
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    results = {
        name: measure(s, args.realistic_repeats if name.startswith("realistic") else args.repeats)
        for name, s in SCENARIOS.items()
    }
    parts = components()
    text = report(
        results,
        (load_start, os.getloadavg()[0]),
        f"--repeats {args.repeats} --realistic-repeats {args.realistic_repeats}",
        parts,
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
