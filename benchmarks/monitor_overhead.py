"""Overhead of the live monitor on a sweep of no-op trials.

Runs a 1,000-trial sweep of a no-op objective with and without a
``SweepMonitor`` attached as an observer, alternating the two, several times,
and compares medians. There is no front end: every message the widget would
send (custom updates and trait syncs alike go through ``Widget._send``) is
encoded with the packer of a kernel's session (``jupyter_client``: orjson
when installed, as here, else json), counted and timed. The time "with the
monitor" runs until the monitor has published its final table, which is when
the notebook cell ends.

Usage::

    python benchmarks/monitor_overhead.py [--trials 1000] [--repeats 7] [--backend sequential]

Writes ``benchmarks/results/monitor_overhead.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jupyter_client.session import Session

from hyperwidget import run_sweep, uniform
from hyperwidget.notebook.monitor import SweepMonitor

RESULTS = ROOT / "benchmarks" / "results" / "monitor_overhead.md"


def noop(x: float) -> float:
    """The objective: returns its parameter."""
    return x


#: The packer a kernel's session uses for messages (orjson when installed, else json).
_SESSION = Session()
PACK = _SESSION.pack
PACKER = _SESSION.packer


class CountingMonitor(SweepMonitor):
    """A monitor whose outgoing messages are encoded as the kernel would and counted."""

    def __init__(self, **kwargs: Any) -> None:
        self.sent: list[tuple[float, int]] = []
        super().__init__(**kwargs)
        self.sent.clear()  # creation messages (comm open) are not part of the sweep

    def _send(self, msg: Any, buffers: Any = None) -> None:
        size = len(PACK(msg))
        self.sent.append((time.monotonic(), size))


def sweep(trials: int, backend: str, monitor: CountingMonitor | None) -> tuple[float, float]:
    """(wall, CPU) seconds from start until the sweep and the monitor's final
    table are done. CPU time (all threads of this process) is the fairer
    measure on a machine shared with other jobs."""
    observers = [monitor] if monitor is not None else []
    start, cpu = time.perf_counter(), time.process_time()
    run_sweep(noop, {"x": uniform(0, 1)}, metric="accuracy", max_total_runs=trials, backend=backend,
              storage=None, seed=0, observers=observers)
    if monitor is not None:
        if not monitor.wait_ended(30):
            raise RuntimeError("the monitor did not publish its final table within 30 s")
        # what live.display_final_table hands to IPython's display at the end of the cell
        monitor.static_table = monitor.static_bundle()
    return time.perf_counter() - start, time.process_time() - cpu


def max_per_second(times: list[float]) -> int:
    """Most messages in any one-second window."""
    best = 0
    for i, t in enumerate(times):
        best = max(best, sum(1 for u in times[i:] if u - t < 1.0))
    return best


def measure(trials: int, repeats: int, backend: str) -> dict[str, Any]:
    load_start = os.getloadavg()[0]
    sweep(50, backend, None)  # warm-up: imports, thread pools
    sweep(50, backend, CountingMonitor())
    base: list[tuple[float, float]] = []
    with_monitor: list[tuple[float, float]] = []
    counts: list[int] = []
    peaks: list[int] = []
    sizes: list[int] = []
    for _ in range(repeats):
        base.append(sweep(trials, backend, None))
        monitor = CountingMonitor()
        with_monitor.append(sweep(trials, backend, monitor))
        # keep the numbers, not the monitor: a growing heap would slow later garbage collections
        counts.append(len(monitor.sent))
        peaks.append(max_per_second([t for t, _ in monitor.sent]))
        sizes.append(sum(s for _, s in monitor.sent))
        del monitor
    out: dict[str, Any] = {
        "trials": trials, "repeats": repeats, "backend": backend, "load_start": load_start,
        "base_all": [w for w, _ in base], "with_all": [w for w, _ in with_monitor],
        "messages": statistics.median(counts), "peak": max(peaks), "bytes": statistics.median(sizes),
    }
    for key, pick in (("wall", 0), ("cpu", 1)):
        b = [x[pick] for x in base]
        w = [x[pick] for x in with_monitor]
        out[key] = {
            "base": statistics.median(b), "with": statistics.median(w),
            # each run with the monitor is compared with the run just before it, which
            # cancels slow drifts of the machine's load
            "slowdown": 100.0 * (statistics.median(wi / bi for wi, bi in zip(w, b)) - 1.0),
            "slowdown_min": 100.0 * (min(w) - min(b)) / min(b),
            "added_per_trial": statistics.median(wi - bi for wi, bi in zip(w, b)) / trials,
        }
    return out


def report(r: dict[str, Any]) -> str:
    wall, cpu = r["wall"], r["cpu"]
    verdict = "PASS" if wall["slowdown"] <= 10.0 else "FAIL"  # the paired median decides
    verdict_rate = "PASS" if r["peak"] <= 11 else "FAIL"
    fmt = ", ".join(f"{t:.3f}" for t in r["base_all"])
    fmt_w = ", ".join(f"{t:.3f}" for t in r["with_all"])
    return f"""# Live monitor overhead

`python benchmarks/monitor_overhead.py --trials {r['trials']} --repeats {r['repeats']} --backend {r['backend']}`
({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python {platform.python_version()}, {platform.machine()},
{os.cpu_count()} CPUs, load average {r['load_start']:.1f} at the start and {os.getloadavg()[0]:.1f} at the end: the machine was shared with other jobs,
hence alternating runs, medians and minima).

A {r['trials']}-trial sweep of a no-op objective (in-memory storage), without and with a `SweepMonitor`
observer. No front end is attached; each message the widget sends is encoded with the kernel session's packer
(`{PACKER}` here) and counted. "With" runs until the monitor has published its final table and the static
HTML and text copy of it that the notebook keeps is built (when the notebook cell would end).

| | without monitor (median) | with monitor (median) | slowdown (median of paired runs) | slowdown (minima) |
|---|---|---|---|---|
| wall seconds | {wall['base']:.3f} | {wall['with']:.3f} | {wall['slowdown']:+.1f} % | {wall['slowdown_min']:+.1f} % |
| CPU seconds (all threads) | {cpu['base']:.3f} | {cpu['with']:.3f} | {cpu['slowdown']:+.1f} % | {cpu['slowdown_min']:+.1f} % |

Wall seconds of every run: without {fmt}; with {fmt_w}.

- **Wall-clock slowdown, median of paired runs** (target at most 10 %): {wall['slowdown']:+.1f} %, {verdict}.
  Per trial the monitor adds about {1e6 * wall['added_per_trial']:.0f} µs of wall time and
  {1e6 * cpu['added_per_trial']:.0f} µs of CPU (medians of paired differences), against
  {1e6 * wall['base'] / r['trials']:.0f} µs of wall time per trial for the engine alone.
- **Messages to the front end**: {r['messages']:.0f} per sweep (median), at most {r['peak']} in any one-second
  window (target about 10 per second): {verdict_rate}.
- JSON sent per sweep (median): {r['bytes'] / 1024:.0f} KiB: each trial's row about once (changed rows only,
  positional tuples of raw values, formatted by the front end), then the final summary.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--backend", default="sequential", choices=("sequential", "threads", "loky"))
    args = parser.parse_args()
    result = measure(args.trials, args.repeats, args.backend)
    text = report(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
