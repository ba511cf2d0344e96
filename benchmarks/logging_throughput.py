"""How long one trial takes to log many values: the cost of ``log`` as a series grows.

One trial logs ``n`` values of its primary metric in a tight loop (nothing else),
with the sweep stored in a SQLite file, on the sequential backend (the trial
calls the engine directly) and on loky (the trial is in a worker process and
its values travel over the loopback channel). The time is the whole
``run_sweep`` call, and every value is counted back from the SQLite file.
If ``log`` costs the same whatever the series' length, the time grows linearly
with ``n``; before this benchmark existed, each value copied the whole series
and rewrote the trial's row, so 100,000 values took 31-79 s.

Each backend first runs one small sweep (imports, loky's worker processes), not
counted; each size is then run ``--repeats`` times and the median reported.

Usage::

    python benchmarks/logging_throughput.py [--sizes 10000 20000 40000 100000] [--backends sequential loky]

Prints a Markdown table and writes it, with the times measured before the fix,
to ``benchmarks/results/logging_throughput.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import hyperwidget as hw

RESULTS = Path(__file__).parent / "results" / "logging_throughput.md"
#: Seconds measured with this script (one run each, no warm-up) at commit 8422f57, before logging was O(1).
BEFORE = {
    ("sequential", 10_000): 2.77,
    ("sequential", 20_000): 5.49,
    ("sequential", 40_000): 17.12,
    ("sequential", 100_000): 66.52,
    ("loky", 10_000): 4.54,
    ("loky", 20_000): 8.12,
    ("loky", 40_000): 15.52,
    ("loky", 100_000): 65.90,
}


def log_many(x: float, n: int) -> None:
    """The objective: ``n`` values of ``acc``, nothing else."""
    for i in range(n):
        hw.log("acc", x + i)


def one_sweep(backend: str, n: int) -> tuple[float, int]:
    """Seconds to run a one-trial sweep logging ``n`` values, and the values found in its file."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "log.db")
        start = time.perf_counter()
        run = hw.run_sweep(
            log_many,
            {"x": hw.choice(0.0), "n": n},
            metric="acc",
            max_total_runs=1,
            max_concurrent_runs=1,
            backend=backend,
            storage=path,
            name="log",
            monitor=False,
        )
        seconds = time.perf_counter() - start
        assert run.status == "Completed", run.status
        with sqlite3.connect(path) as db:
            (stored,) = db.execute("SELECT COUNT(*) FROM metrics WHERE sweep = 'log'").fetchone()
    return seconds, stored


def measure(backend: str, n: int, repeats: int) -> tuple[float, int]:
    """The median seconds of ``repeats`` sweeps of ``n`` values, and the values stored by the last one."""
    times, stored = [], 0
    for _ in range(repeats):
        seconds, stored = one_sweep(backend, n)
        times.append(seconds)
        if stored != n:
            raise RuntimeError(f"{backend}: {n:,} values logged, {stored:,} stored")
    return statistics.median(times), stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 40_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["sequential", "loky"])
    parser.add_argument("--repeats", type=int, default=3, help="sweeps per size (the median is reported)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the Markdown table")
    args = parser.parse_args()
    lines = [
        "| backend | values | seconds | µs per value | stored | before: seconds |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for backend in args.backends:
        one_sweep(backend, 100)  # warm-up: imports, worker processes
        for n in args.sizes:
            seconds, stored = measure(backend, n, args.repeats)
            before = BEFORE.get((backend, n))
            lines.append(
                f"| {backend} | {n:,} | {seconds:.2f} | {1e6 * seconds / n:.1f} | {stored:,} | "
                f"{'' if before is None else f'{before:.2f}'} |"
            )
            print(lines[-1], flush=True)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = (
        f"# Logging throughput\n\n`python benchmarks/logging_throughput.py` ({when}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}).\n\n"
        "One trial logs n values of its primary metric in a loop; the sweep is stored in a SQLite file. "
        f"Seconds are the whole `run_sweep` call, the median of {args.repeats}; `stored` counts the values read "
        "back from the file. `before` is the same sweep at commit 8422f57 (one run), when each value copied the "
        "whole series and rewrote the trial's row, and each value was its own SQLite commit.\n\n"
    )
    args.out.write_text(header + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
