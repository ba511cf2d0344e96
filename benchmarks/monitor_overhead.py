"""Overhead of the live monitor on a sweep of no-op trials.

Runs a 1,000-trial sweep of a no-op objective with and without a
``SweepMonitor`` attached as an observer, alternating the two, several times,
and compares medians. There is no front end: every message the widget would
send (custom updates and trait syncs alike go through ``Widget._send``) is
serialized to JSON as ipykernel would, counted and timed. The time "with the
monitor" runs until the monitor has published its final table, which is when
the notebook cell ends.

Usage::

    python benchmarks/monitor_overhead.py [--trials 1000] [--repeats 7] [--backend sequential]

Writes ``benchmarks/results/monitor_overhead.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hyperwidget import run_sweep, uniform  # noqa: E402
from hyperwidget.notebook.monitor import SweepMonitor  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "monitor_overhead.md"


def noop(x: float) -> float:
    """The objective: returns its parameter."""
    return x


class CountingMonitor(SweepMonitor):
    """A monitor whose outgoing messages are JSON-encoded and counted."""

    def __init__(self, **kwargs: Any) -> None:
        self.sent: list[tuple[float, int]] = []
        super().__init__(**kwargs)
        self.sent.clear()  # creation messages (comm open) are not part of the sweep

    def _send(self, msg: Any, buffers: Any = None) -> None:
        size = len(json.dumps(msg, allow_nan=False))
        self.sent.append((time.monotonic(), size))


def sweep(trials: int, backend: str, monitor: CountingMonitor | None) -> float:
    """Seconds from start until the sweep (and the monitor's final table) is done."""
    observers = [monitor] if monitor is not None else []
    start = time.perf_counter()
    run_sweep(noop, {"x": uniform(0, 1)}, metric="accuracy", max_total_runs=trials, backend=backend,
              storage=None, seed=0, observers=observers)
    if monitor is not None and not monitor.wait_ended(30):
        raise RuntimeError("the monitor did not publish its final table within 30 s")
    return time.perf_counter() - start


def max_per_second(times: list[float]) -> int:
    """Most messages in any one-second window."""
    best = 0
    for i, t in enumerate(times):
        best = max(best, sum(1 for u in times[i:] if u - t < 1.0))
    return best


def measure(trials: int, repeats: int, backend: str) -> dict[str, Any]:
    sweep(50, backend, None)  # warm-up: imports, thread pools
    sweep(50, backend, CountingMonitor())
    base: list[float] = []
    with_monitor: list[float] = []
    monitors: list[CountingMonitor] = []
    for _ in range(repeats):
        base.append(sweep(trials, backend, None))
        monitor = CountingMonitor()
        with_monitor.append(sweep(trials, backend, monitor))
        monitors.append(monitor)
    counts = [len(m.sent) for m in monitors]
    rates = [len(m.sent) / t for m, t in zip(monitors, with_monitor)]
    peaks = [max_per_second([t for t, _ in m.sent]) for m in monitors]
    sizes = [sum(s for _, s in m.sent) for m in monitors]
    b, w = statistics.median(base), statistics.median(with_monitor)
    return {
        "trials": trials, "repeats": repeats, "backend": backend,
        "base": b, "with": w, "slowdown": 100.0 * (w - b) / b,
        "base_all": base, "with_all": with_monitor,
        "messages": statistics.median(counts), "rate": max(rates), "peak": max(peaks),
        "bytes": statistics.median(sizes),
    }


def report(r: dict[str, Any]) -> str:
    verdict_time = "PASS" if r["slowdown"] <= 10.0 else "FAIL"
    verdict_rate = "PASS" if r["peak"] <= 11 else "FAIL"
    fmt = ", ".join(f"{t:.3f}" for t in r["base_all"])
    fmt_w = ", ".join(f"{t:.3f}" for t in r["with_all"])
    return f"""# Live monitor overhead

`python benchmarks/monitor_overhead.py --trials {r['trials']} --repeats {r['repeats']} --backend {r['backend']}`
({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python {platform.python_version()}, {platform.machine()},
a shared 2-core machine: other jobs ran at the same time, hence medians of alternating runs).

A {r['trials']}-trial sweep of a no-op objective (in-memory storage), without and with a `SweepMonitor`
observer. No front end is attached; each message the widget sends is JSON-encoded and counted. "With" runs
until the monitor has published its final table (when the notebook cell would end).

| | median seconds | all runs |
|---|---|---|
| without monitor | {r['base']:.3f} | {fmt} |
| with monitor | {r['with']:.3f} | {fmt_w} |

- **Slowdown: {r['slowdown']:+.1f} %** (target at most 10 %): {verdict_time}
- **Messages to the front end**: {r['messages']:.0f} per sweep (median), at most {r['peak']} in any one-second
  window, {r['rate']:.1f} per second on average over the fastest run (target about 10 per second): {verdict_rate}
- Bytes of JSON per sweep (median): {r['bytes'] / 1024:.0f} KiB (changed rows only while running, then the
  final table once).
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
