"""Per-trial overhead of the sweep engine, side by side with Optuna, in the same run.

    python benchmarks/overhead.py            # full run (about 3 minutes on 2 cores)
    python benchmarks/overhead.py --quick    # a smoke run

Measures, with a no-op objective, trials per second and per-trial overhead:
sequential in memory, sequential with SQLite persistence on both sides (Optuna's
RDB storage on a SQLite file), and with 2 workers; then, with a CPU-bound
objective, the speed-up of 2 workers over 1. Configurations are interleaved
over several rounds and the median is reported, so machine noise hits every
method alike. Results go to ``benchmarks/results/overhead.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import optuna

import hyperwidget as hw

RESULTS = Path(__file__).parent / "results"
optuna.logging.set_verbosity(optuna.logging.WARNING)


def noop(x: float, y: int) -> float:
    """The no-op objective: returns its input."""
    return x


def burn(x: float, y: int, steps: int = 3_000_000) -> float:
    """A CPU-bound objective: a fixed amount of pure-Python arithmetic (about 0.25 s on one idle core)."""
    total = 0.0
    for i in range(steps):
        total += math.sqrt(i + x)
    return x


SPACE = {"x": hw.uniform(0, 1), "y": hw.choice(1, 2, 3)}


def ours(objective: Callable[..., float], trials: int, *, backend: str, workers: int, sqlite: bool) -> float:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        hw.run_sweep(
            objective,
            SPACE,
            metric="m",
            max_total_runs=trials,
            backend=backend,
            max_concurrent_runs=workers,
            storage=os.path.join(folder, "s.db") if sqlite else None,
            seed=0,
        )
        return time.perf_counter() - start


def theirs(objective: Callable[..., float], trials: int, *, workers: int, sqlite: bool) -> float:
    def optuna_objective(trial: optuna.Trial) -> float:
        return objective(trial.suggest_float("x", 0, 1), trial.suggest_categorical("y", [1, 2, 3]))

    with tempfile.TemporaryDirectory() as folder:
        storage = f"sqlite:///{os.path.join(folder, 'o.db')}" if sqlite else None
        start = time.perf_counter()
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0), storage=storage)
        study.optimize(optuna_objective, n_trials=trials, n_jobs=workers)
        return time.perf_counter() - start


def pool(trials: int, workers: int) -> float:
    """The hardware's own ceiling: the same CPU-bound function on a plain multiprocessing pool."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(workers) as workers_pool:
        workers_pool.starmap(burn, [(0.5, 1)] * workers)  # start the processes before timing
        start = time.perf_counter()
        workers_pool.starmap(burn, [(0.5, 1)] * trials, chunksize=1)
        return time.perf_counter() - start


def scenarios(quick: bool) -> list[tuple[str, str, int, Callable[[], float]]]:
    """(group, method, trials, measure) for every configuration."""
    n, n_sql, n_opt_sql, n_cpu = (200, 100, 20, 4) if quick else (3000, 1000, 100, 16)
    return [
        (
            "no-op, sequential, in memory",
            "hyperwidget (sequential)",
            n,
            lambda: ours(noop, n, backend="sequential", workers=1, sqlite=False),
        ),
        (
            "no-op, sequential, in memory",
            "Optuna RandomSampler (in-memory)",
            n,
            lambda: theirs(noop, n, workers=1, sqlite=False),
        ),
        (
            "no-op, sequential, SQLite file",
            "hyperwidget (SQLite)",
            n_sql,
            lambda: ours(noop, n_sql, backend="sequential", workers=1, sqlite=True),
        ),
        (
            "no-op, sequential, SQLite file",
            "Optuna RandomSampler (RDB SQLite)",
            n_opt_sql,
            lambda: theirs(noop, n_opt_sql, workers=1, sqlite=True),
        ),
        (
            "no-op, 2 workers, in memory",
            "hyperwidget (threads, 2)",
            n,
            lambda: ours(noop, n, backend="threads", workers=2, sqlite=False),
        ),
        (
            "no-op, 2 workers, in memory",
            "hyperwidget (loky processes, 2)",
            n // 2,
            lambda: ours(noop, n // 2, backend="loky", workers=2, sqlite=False),
        ),
        (
            "no-op, 2 workers, in memory",
            "Optuna RandomSampler (n_jobs=2)",
            n,
            lambda: theirs(noop, n, workers=2, sqlite=False),
        ),
        (
            "CPU-bound ~0.25 s, 1 worker",
            "hyperwidget (loky, 1)",
            n_cpu,
            lambda: ours(burn, n_cpu, backend="loky", workers=1, sqlite=False),
        ),
        (
            "CPU-bound ~0.25 s, 2 workers",
            "hyperwidget (loky, 2)",
            n_cpu,
            lambda: ours(burn, n_cpu, backend="loky", workers=2, sqlite=False),
        ),
        (
            "CPU-bound ~0.25 s, 1 worker",
            "Optuna (n_jobs=1)",
            n_cpu,
            lambda: theirs(burn, n_cpu, workers=1, sqlite=False),
        ),
        (
            "CPU-bound ~0.25 s, 2 workers",
            "Optuna (n_jobs=2, threads)",
            n_cpu,
            lambda: theirs(burn, n_cpu, workers=2, sqlite=False),
        ),
        ("CPU-bound ~0.25 s, 1 worker", "multiprocessing.Pool(1) (hardware reference)", n_cpu, lambda: pool(n_cpu, 1)),
        ("CPU-bound ~0.25 s, 2 workers", "multiprocessing.Pool(2) (hardware reference)", n_cpu, lambda: pool(n_cpu, 2)),
    ]


#: (1 worker, 2 workers) method pairs whose speed-up is reported, computed per round.
SPEEDUPS = {
    "hyperwidget (loky)": ("hyperwidget (loky, 1)", "hyperwidget (loky, 2)"),
    "Optuna (threads)": ("Optuna (n_jobs=1)", "Optuna (n_jobs=2, threads)"),
    "multiprocessing.Pool (hardware reference)": (
        "multiprocessing.Pool(1) (hardware reference)",
        "multiprocessing.Pool(2) (hardware reference)",
    ),
}


def run(rounds: int, quick: bool) -> tuple[list[dict[str, object]], dict[str, float]]:
    table = scenarios(quick)
    times: dict[str, list[float]] = {method: [] for _, method, _, _ in table}
    for *_, measure in table:  # warm-up: imports, worker pools
        measure()
    for round_ in range(rounds):
        for _, method, _, measure in table:
            times[method].append(measure())
        print(f"round {round_ + 1}/{rounds} done", flush=True)
    rows = []
    for group, method, trials, _ in table:
        median = statistics.median(times[method])
        rows.append(
            {
                "group": group,
                "method": method,
                "trials": trials,
                "seconds": median,
                "trials_per_second": trials / median,
                "us_per_trial": 1e6 * median / trials,
            }
        )
    # Paired per round: the machine's speed drifts between rounds, the two runs of a round see the same speed.
    speedups = {
        name: statistics.median(a / b for a, b in zip(times[one], times[two], strict=True))
        for name, (one, two) in SPEEDUPS.items()
    }
    return rows, speedups


def report(rows: list[dict[str, object]], speedups: dict[str, float], rounds: int) -> str:
    lines = [
        f"Median of {rounds} interleaved rounds; {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"Optuna {optuna.__version__}.",
        "",
        "| scenario | method | trials | trials/s | overhead per trial |",
        "|---|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['group']} | {r['method']} | {r['trials']} | {r['trials_per_second']:.0f} | "
            f"{r['us_per_trial']:.0f} µs |"
        )
    lines += [
        "",
        "CPU-bound speed-up of 2 workers over 1 (median over rounds of the paired ratio): "
        + ", ".join(f"{name} **{value:.2f}x**" for name, value in speedups.items())
        + ".",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small sizes, 1 round: a smoke run")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    rows, speedups = run(rounds, args.quick)
    text = report(rows, speedups, rounds)
    print(text)
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "overhead.md").write_text(text + "\n")
        (RESULTS / "overhead.json").write_text(json.dumps({"rows": rows, "speedups": speedups}, indent=2))


if __name__ == "__main__":
    main()
