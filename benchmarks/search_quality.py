"""Search-quality benchmark: hyperwidget's samplers against Optuna, Hyperopt and scikit-optimize.

Run ``python3 benchmarks/search_quality.py`` (``--quick`` for a small smoke run).
Every (problem, method, seed) run minimises a loss for ``--evals`` evaluations;
the score of a run is its *regret*, best loss found minus the optimum (for the
two tuning tasks, minus the best loss any run found). Per problem the report
gives each method's median regret over seeds and ranks the methods by it
(ties share the mean rank); the mean of these ranks over problems summarises a
method. It also counts the problems where hyperwidget's Bayesian sampler has a
lower median regret than Optuna's default TPE, and times one Bayesian proposal
against history size.

Outputs, in ``benchmarks/results/``: ``search_quality.jsonl`` (every run, with
its losses in evaluation order, appended as runs finish), ``search_quality.json``
(the summary) and ``search_quality.md`` (the tables). ``--report-only`` rebuilds
the last two from the journal, keeping the seeds every method finished.
"""

from __future__ import annotations

import os

# One BLAS/OpenMP thread per worker: the workers are the parallelism (set before numpy loads).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import numpy as np
from _methods import METHODS
from _problems import all_problems, optimum_of

# Imported before the workers fork, so that every run uses the code as it was at launch.
import hyperwidget.samplers._bayesian
import hyperwidget.samplers._gp.acquisition  # noqa: F401

QUICK_PROBLEMS = ["bbob-f08-rosenbrock-d2", "bbob-f15-rastrigin-d5", "branin", "hartmann6", "svc-digits"]
HISTORY_SIZES = (25, 50, 100, 200)
REFERENCE = "optuna-tpe"
OURS = "hw-bayesian"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per (problem, method) (default 10)")
    parser.add_argument("--evals", type=int, default=50, help="evaluations per run (default 50)")
    parser.add_argument("--problems", nargs="*", help="problem names or prefixes (default: all)")
    parser.add_argument("--methods", nargs="*", choices=list(METHODS), help="methods (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--quick", action="store_true", help="3 seeds on 5 problems, for development")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="output folder")
    parser.add_argument("--note", default="", help="a paragraph printed under the report's title (e.g. provenance)")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rebuild the report from the runs already logged in <out>/<stem>.jsonl (e.g. of an interrupted run)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds = min(args.seeds, 3)
        args.problems = args.problems or QUICK_PROBLEMS
    return args


def select_problems(patterns: list[str] | None) -> list[str]:
    names = list(all_problems())
    if not patterns:
        return names
    chosen = [n for n in names if any(n == p or n.startswith(p) for p in patterns)]
    if not chosen:
        raise SystemExit(f"--problems {patterns} matches none of: {', '.join(names)}")
    return chosen


# -- one run (in a worker process) ------------------------------------------------------------
def run_one(problem_name: str, method: str, seed: int, evals: int) -> dict[str, Any]:
    """Run ``method`` on ``problem_name`` with ``seed``; never raises (errors are recorded)."""
    problem = all_problems()[problem_name]
    start = time.perf_counter()
    try:
        losses = METHODS[method](problem.space, problem.loss, evals, seed)
        error = None
    except Exception as exc:  # noqa: BLE001 - a broken method must not end the benchmark
        losses, error = [], f"{type(exc).__name__}: {exc}"
    return {
        "problem": problem_name,
        "method": method,
        "seed": seed,
        "losses": [float(v) for v in losses],
        "best": float(np.min(losses)) if losses else None,
        "seconds": time.perf_counter() - start,
        "error": error,
    }


def run_all(problems: list[str], methods: list[str], seeds: int, evals: int, jobs: int, journal: Path) -> list[dict]:
    """Run every (problem, method, seed), appending each result to ``journal`` as it finishes.

    Seeds are the outer loop: after ``k`` seeds the journal holds a complete
    ``k``-seed benchmark, so an interrupted run still gives a fair comparison.
    """
    slow = {"optuna-gp": 0, "skopt-gp": 0, "hw-bayesian": 1}
    tasks = sorted(
        ((p, m, s) for p in problems for m in methods for s in range(seeds)),
        key=lambda t: (t[2], not t[0].startswith(("svc", "hgb")), slow.get(t[1], 2)),
    )
    results = []
    journal.write_text("")
    with ProcessPoolExecutor(max_workers=jobs) as pool, journal.open("a") as log:
        futures = [pool.submit(run_one, p, m, s, evals) for p, m, s in tasks]
        for done, future in enumerate(as_completed(futures), 1):
            result = future.result()
            results.append(result)
            log.write(json.dumps(result) + "\n")
            log.flush()
            status = result["error"] or f"best={result['best']:.6g}"
            print(
                f"[{done}/{len(tasks)}] {result['problem']} {result['method']} seed={result['seed']} "
                f"{result['seconds']:.1f}s {status}",
                flush=True,
            )
    return results


def read_journal(journal: Path) -> list[dict]:
    """The runs logged so far, keeping only seeds that every (problem, method) pair completed."""
    runs = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
    pairs = {(r["problem"], r["method"]) for r in runs}
    seeds = sorted({r["seed"] for r in runs})
    complete = [s for s in seeds if sum(r["seed"] == s for r in runs) == len(pairs)]
    return [r for r in runs if r["seed"] in complete]


# -- analysis ------------------------------------------------------------------------------------
def regrets(results: list[dict], problems: list[str]) -> dict[str, dict[str, list[float]]]:
    """problem -> method -> regrets over seeds (failed runs are left out)."""
    table: dict[str, dict[str, list[float]]] = {p: {} for p in problems}
    catalogue = all_problems()
    for problem in problems:
        runs = [r for r in results if r["problem"] == problem and r["best"] is not None]
        optimum = optimum_of(catalogue[problem])
        if optimum is None:
            optimum = min(r["best"] for r in runs)
        for r in sorted(runs, key=lambda r: (r["method"], r["seed"])):
            table[problem].setdefault(r["method"], []).append(max(0.0, r["best"] - optimum))
    return table


def ranks(medians: dict[str, dict[str, float]], methods: list[str]) -> dict[str, dict[str, float]]:
    """problem -> method -> rank of its median regret (1 = best; ties share the mean rank)."""
    from scipy.stats import rankdata

    out = {}
    for problem, by_method in medians.items():
        present = [m for m in methods if m in by_method]
        values = [by_method[m] for m in present]
        out[problem] = dict(zip(present, (float(r) for r in rankdata(values)), strict=True))
    return out


def decision_times(sizes: tuple[int, ...] = HISTORY_SIZES, repeats: int = 7) -> dict[str, dict[str, float]]:
    """Median wall and CPU seconds of one Bayesian proposal after ``n`` finished trials, on two spaces.

    Keys are ``"<space> wall"`` and ``"<space> cpu"``, then ``n`` (as a string). CPU time is
    what the proposal costs on a core of its own; wall time also counts waiting for a core,
    which on a shared machine can be several times longer.
    """
    from hyperwidget.samplers._bayesian import BayesianParameterSampling
    from hyperwidget.space import SearchSpace
    from hyperwidget.trial import Goal, TrialRecord, TrialStatus

    catalogue = all_problems()
    out: dict[str, dict[str, float]] = {}
    for name in ("hartmann6", "hgb-cancer"):
        problem = catalogue[name]
        loss = problem.loss if name == "hartmann6" else _cheap_mixed_loss
        space = SearchSpace(problem.space)
        rng = np.random.default_rng(0)
        out[f"{name} wall"], out[f"{name} cpu"] = {}, {}
        for n in sizes:
            history = []
            for i in range(n):
                params = space.sample(rng)
                metrics = {"loss": (float(loss(params)),)}
                history.append(TrialRecord(f"t{i}", i, params, TrialStatus.COMPLETED, metrics))
            sampler = BayesianParameterSampling(problem.space, seed=0)
            sampler.suggest(history, "loss", Goal.MINIMIZE)  # imports and per-record encoding, once
            wall, cpu = [], []
            for _ in range(repeats):
                start, start_cpu = time.perf_counter(), time.process_time()
                sampler.suggest(history, "loss", Goal.MINIMIZE)
                wall.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            out[f"{name} wall"][str(n)] = float(np.median(wall))
            out[f"{name} cpu"][str(n)] = float(np.median(cpu))
    return out


def _cheap_mixed_loss(params: dict[str, Any]) -> float:
    """A stand-in loss on the HGB space for timing (the sampler's cost does not depend on it)."""
    return float(
        (np.log(params["learning_rate"]) + 2.3) ** 2
        + (params["max_depth"] - 5) ** 2 / 10
        + np.log(params["max_leaf_nodes"]) / 3
        + params["max_features"]
        + (params["class_weight"] == "balanced")
    )


def summarise(results: list[dict], problems: list[str], methods: list[str], args: argparse.Namespace) -> dict:
    table = regrets(results, problems)
    medians = {p: {m: float(np.median(v)) for m, v in by.items()} for p, by in table.items()}
    rank_table = ranks(medians, methods)
    mean_rank = {m: float(np.mean([rank_table[p][m] for p in problems if m in rank_table[p]])) for m in methods}
    comparable = [p for p in problems if OURS in medians[p] and REFERENCE in medians[p]]
    wins = [p for p in comparable if medians[p][OURS] < medians[p][REFERENCE]]
    ties = [p for p in comparable if medians[p][OURS] == medians[p][REFERENCE]]
    seconds = {m: float(np.mean([r["seconds"] for r in results if r["method"] == m])) for m in methods}
    return {
        "settings": {"seeds": args.seeds, "evals": args.evals, "problems": problems, "methods": methods},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "median_regret": medians,
        "ranks": rank_table,
        "mean_rank": mean_rank,
        "wins_vs_reference": {"reference": REFERENCE, "wins": wins, "ties": ties, "of": len(comparable)},
        "mean_seconds_per_run": seconds,
        "run_seconds": float(sum(r["seconds"] for r in results)),
        "errors": [r for r in results if r["error"]],
    }


# -- report --------------------------------------------------------------------------------------
PROTOCOL = (
    "Protocol. Every method minimises the same loss over the same space, translated to its own way of "
    "declaring it (log-scaled reals, integers, categoricals), through its own ask/tell loop; hyperwidget's "
    "samplers get `TrialRecord`s built in the loop, as the engine would. Regret = best loss found - optimum "
    "(BBOB: cocoex's f(x_opt); Branin, Hartmann6: known; the two scikit-learn tasks: the best loss any run "
    "found). A problem's ranks compare the methods' median regrets over seeds (ties share the mean rank).\n\n"
    "Methods. `hw-*`: this project (random, Sobol, Bayesian = GP with Matern-5/2 ARD; log EI, and GP-UCB on "
    "every third proposal). "
    "`optuna-tpe`: `TPESampler(seed=s)`, which in Optuna 5 *is* the multivariate TPE for one objective; "
    "`optuna-tpe-indep`: `TPESampler(multivariate=False)`, the classic independent TPE; `optuna-gp`: "
    "`GPSampler(seed=s)` (torch 2.13 CPU, one thread); `hyperopt-tpe`: `fmin(algo=tpe.suggest)`; "
    '`skopt-gp`: `gp_minimize` with `acq_optimizer="sampling", n_points=2000` (its default L-BFGS '
    "acquisition search took 60-80 s per run on this shared machine, too slow for the budget).\n\n"
    "Tasks. `svc-digits`: RBF SVC on 400 stratified digits, 3-fold CV multiclass hinge loss, over C and "
    "gamma (log). `hgb-cancer`: HistGradientBoostingClassifier (10 iterations, 32 bins) on breast cancer, "
    "2-fold CV log loss, over learning rate, l2 (log reals), max_features (real), max_leaf_nodes, "
    "min_samples_leaf (log ints), max_depth (int) and class_weight (categorical). Cheap settings keep the "
    "benchmark's cost down; it is the same for every method."
)


def _regret_table(summary: dict, methods: list[str]) -> list[str]:
    lines = ["| problem | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    for problem, by_method in summary["median_regret"].items():
        ranks_here = summary["ranks"][problem]
        cells = []
        for m in methods:
            if m not in by_method:
                cells.append("n/a")
                continue
            cell = f"{by_method[m]:.3g} ({ranks_here[m]:g})"
            cells.append(f"**{cell}**" if ranks_here[m] == min(ranks_here.values()) else cell)
        lines.append(f"| {problem} | " + " | ".join(cells) + " |")
    return lines


def _rank_table(summary: dict, methods: list[str]) -> list[str]:
    lines = ["| method | mean rank | mean seconds per run |", "|---|---|---|"]
    for m in sorted(methods, key=lambda m: summary["mean_rank"][m]):
        lines.append(f"| {m} | {summary['mean_rank'][m]:.2f} | {summary['mean_seconds_per_run'][m]:.1f} |")
    return lines


def _wins_text(summary: dict) -> list[str]:
    w = summary["wins_vs_reference"]
    medians = summary["median_regret"]
    lost = [p for p in medians if p not in w["wins"] and p not in w["ties"] and OURS in medians[p]]
    return [
        (
            f"Lower median regret on **{len(w['wins'])} of {w['of']}** problems "
            f"({100 * len(w['wins']) / max(w['of'], 1):.0f} %); ties: {len(w['ties'])}."
        ),
        "",
        f"Not won: {', '.join(lost + w['ties']) or 'none'}.",
    ]


def _times_table(summary: dict, times: dict[str, dict[str, float]]) -> list[str]:
    load = ", ".join(f"{x:.2f}" for x in summary["machine"]["load"])
    lines = [
        (
            "Median of 7 proposals after n finished trials (random configurations), in one process; `cpu` is "
            "the process's CPU time (the cost on a core of its own), `wall` also counts waiting for a core on "
            f"this shared machine (load average when measured: {load}; {summary['machine']['cpus']} CPUs)."
        ),
        "",
        "| space | " + " | ".join(f"n={n}" for n in HISTORY_SIZES) + " |",
        "|---|" + "---|" * len(HISTORY_SIZES),
    ]
    for name, curve in times.items():
        lines.append(f"| {name} | " + " | ".join(f"{1000 * curve[str(n)]:.0f} ms" for n in HISTORY_SIZES) + " |")
    return lines


def markdown(summary: dict, times: dict[str, dict[str, float]]) -> str:
    """The report: protocol, per-problem median regrets, mean ranks, wins, decision times."""
    methods = summary["settings"]["methods"]
    s = summary["settings"]
    lines = [
        "# Search-quality benchmark",
        "",
        (
            f"{s['evals']} evaluations per run, {s['seeds']} seeds, {len(s['problems'])} problems; "
            f"{summary['run_seconds'] / 60:.0f} minutes of runs in all (summed over the worker processes); "
            "generated by `python3 benchmarks/search_quality.py`."
        ),
        "",
        *([summary["note"], ""] if summary.get("note") else []),
        PROTOCOL,
        "",
        "## Median regret per problem (lower is better; rank in parentheses)",
        "",
        *_regret_table(summary, methods),
        "",
        "## Mean rank over problems (1 = best)",
        "",
        *_rank_table(summary, methods),
        "",
        f"## {OURS} against {summary['wins_vs_reference']['reference']}",
        "",
        *_wins_text(summary),
        "",
        "## Decision time of one Bayesian proposal vs history size",
        "",
        *_times_table(summary, times),
    ]
    if summary["errors"]:
        lines += ["", "## Errors", ""]
        lines += [f"- {e['problem']} {e['method']} seed {e['seed']}: {e['error']}" for e in summary["errors"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "search_quality_quick" if args.quick else "search_quality"
    journal = args.out / f"{stem}.jsonl"
    started = time.time()
    if args.report_only:
        results = read_journal(journal)
        problems = [p for p in all_problems() if any(r["problem"] == p for r in results)]
        methods = [m for m in METHODS if any(r["method"] == m for r in results)]
        args.seeds = len({r["seed"] for r in results})
        args.evals = len(results[0]["losses"]) if results else args.evals
    else:
        problems = select_problems(args.problems)
        methods = args.methods or list(METHODS)
        results = run_all(problems, methods, args.seeds, args.evals, args.jobs, journal)
    summary = summarise(results, problems, methods, args)
    times = decision_times()
    summary["machine"]["load"] = os.getloadavg()
    summary["decision_seconds"] = times
    summary["note"] = args.note
    summary["wall_seconds"] = time.time() - started
    # Every run (with its losses in evaluation order) is in the journal, <stem>.jsonl.
    (args.out / f"{stem}.json").write_text(json.dumps(summary, indent=1))
    report = markdown(summary, times)
    (args.out / f"{stem}.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
