"""Multi-objective benchmark: hypervolume of hyperwidget's Bayesian sampler and the tools users pick instead.

Run ``python3 benchmarks/multi_objective.py`` (``--quick`` for a small smoke run).
Every (problem, method, seed) run minimises every objective for ``--evals``
evaluations (default 100); its scores are the hypervolume of its first 50 and
of all 100 evaluations, with respect to the problem's fixed reference point
(exact: ``_hypervolume``). Per problem the report gives each method's median
hypervolume over seeds (10 by default, 0-9) and ranks the methods by it; it
reports the tuning half and the held-out half (see ``_mo_problems``)
separately, with mean ranks and hw-bayesian's record against each peer, and
times one hw-bayesian proposal after 200 finished trials.

Outputs, in ``benchmarks/results/``: ``multi_objective.jsonl`` (every run, with
its objective values in evaluation order, appended as runs finish),
``multi_objective.json`` (the summary) and ``multi_objective.md`` (the tables).
``--report-only`` rebuilds the last two from the journal; ``--methods
hw-bayesian`` re-runs one method and replaces its rows in the journal.
"""

from __future__ import annotations

import os

# One BLAS/OpenMP thread: the machine is shared (set before numpy loads).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import numpy as np
from _hypervolume import hypervolume
from _mo_problems import HELD_OUT, TUNING, all_problems
from _task_bench import (
    OURS,
    chosen_problems,
    common_arguments,
    half_lines,
    half_summary,
    hyperwidget_commit,
    median_table,
    medians,
    plan,
    proposal_times,
    ranks,
    read_journal,
    run_all,
    seeds_text,
    times_lines,
    without_finished,
    write_outputs,
)

#: A method's median at a budget needs this many runs that long (``--gp-evals`` makes optuna-gp's shorter).
MIN_SEEDS = 3
METHODS = ["hw-bayesian", "hw-random", "optuna-tpe", "optuna-gp", "optuna-nsga2", "optuna-random"]
QUICK_PROBLEMS = ["zdt1-d4", "dtlz2-m3-d6"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common_arguments(parser, METHODS, evals=100, quick="2 seeds, 30 evaluations, 2 problems")
    parser.add_argument("--gp-evals", type=int, help="fewer evaluations for optuna-gp's runs")
    parser.add_argument(
        "--checkpoints", type=int, nargs="*", default=[50, 100], help="evaluation counts scored (default 50 100)"
    )
    parser.add_argument("--timing", action="store_true", help="only time the proposals (no runs, no report)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.evals, args.checkpoints = min(args.seeds, 2), min(args.evals, 30), [15, 30]
        args.problems = args.problems or QUICK_PROBLEMS
    return args


# -- scores ---------------------------------------------------------------------------------------
def hypervolumes(runs: list[dict[str, Any]], problems: dict[str, Any], evals: int) -> dict[str, dict[str, list[float]]]:
    """problem -> method -> hypervolume of the first ``evals`` evaluations per seed, in seed order."""
    table: dict[str, dict[str, list[float]]] = {name: {} for name in problems}
    for run in sorted(runs, key=lambda r: (r["method"], r["seed"])):
        if run["problem"] in problems and not run["error"] and len(run["values"]) >= evals:
            problem = problems[run["problem"]]
            points = np.array(run["values"][:evals])[:, : len(problem.reference)]
            table[run["problem"]].setdefault(run["method"], []).append(hypervolume(points, problem.reference))
    return {p: {m: v for m, v in by.items() if len(v) >= MIN_SEEDS} for p, by in table.items()}


def summarise(runs: list[dict[str, Any]], problems: dict[str, Any], methods: list[str], checkpoints: list[int]) -> dict:
    by_budget = {}
    for evals in checkpoints:
        scores = hypervolumes(runs, problems, evals)
        table = medians(scores)
        rank_table = ranks(table, higher_is_better=True)
        halves = {
            half: half_summary(table, rank_table, [p for p in problems if problems[p].half == half], methods, True)
            for half in (TUNING, HELD_OUT)
        }
        by_budget[str(evals)] = {
            "hypervolumes": scores,
            "median_hypervolume": table,
            "ranks": rank_table,
            "halves": halves,
            "all": half_summary(table, rank_table, list(problems), methods, True),
        }
    return {
        "checkpoints": checkpoints,
        "problems": {
            name: {"half": p.half, "reference": p.reference, "best_hv": p.best_hv, "source": p.source}
            for name, p in problems.items()
        },
        "methods": methods,
        "seeds": {m: sorted({r["seed"] for r in runs if r["method"] == m}) for m in methods},
        "seed_counts": {
            f"{p} at {evals}": {m: len(v) for m, v in by.items()}
            for evals in checkpoints
            for p, by in by_budget[str(evals)]["hypervolumes"].items()
        },
        "by_budget": by_budget,
        "mean_seconds_per_run": {
            m: float(np.mean([r["seconds"] for r in runs if r["method"] == m]))
            for m in methods
            if any(r["method"] == m for r in runs)
        },
        "mean_cpu_seconds_per_run": {
            m: float(np.mean([r["cpu_seconds"] for r in runs if r["method"] == m]))
            for m in methods
            if any(r["method"] == m for r in runs)
        },
        "commits": sorted({r["commit"] for r in runs if r["method"] == OURS and r.get("commit")}),
        "errors": [f"{r['problem']} {r['method']} seed {r['seed']}: {r['error']}" for r in runs if r["error"]],
    }


# -- report ---------------------------------------------------------------------------------------
PROTOCOL = (
    "Protocol. Every method minimises the same objectives over the same space through its own ask/tell "
    "loop. hyperwidget's samplers get "
    '`set_task(SearchTask(objectives=(("f1", Goal.MINIMIZE), ("f2", Goal.MINIMIZE), ...)))` and `TrialRecord`s '
    "whose `metrics` hold every objective, as the engine would give them; Optuna's samplers a study with one "
    "`minimize` direction per objective. Every sampler has its defaults except the seed (NSGA-II: population "
    "50, so 100 evaluations are its first two generations). A run's hypervolume at n evaluations is that of "
    "its first n points (exact, against the problem's fixed reference point); a problem's ranks compare the "
    "methods' median hypervolumes over seeds (ties share the mean rank). 'front' is the hypervolume of the "
    "problem's true Pareto front (for mlp-digits, of the grid's own front): the most any run can reach. "
    f"A method is shown at a budget when at least {MIN_SEEDS} of its runs were that long."
)


def _fmt(problem: str, value: float) -> str:
    return f"{value:.4f}" if problem.startswith("zdt") else f"{value:.4g}"


def _problem_lines(summary: dict) -> list[str]:
    lines = ["| problem | half | objectives | reference point | front's hypervolume |", "|---|---|---|---|---|"]
    for name, p in summary["problems"].items():
        ref = ", ".join(f"{v:g}" for v in p["reference"])
        lines.append(f"| {name} | {p['half']} | {len(p['reference'])} | ({ref}) | {p['best_hv']:.6g} |")
    return lines


def markdown(summary: dict, times: dict | None, note: str) -> str:
    methods = summary["methods"]
    seed_text = seeds_text(summary["seed_counts"])
    n_all = len(summary["problems"])
    lines = [
        "# Multi-objective benchmark",
        "",
        (
            f"Hypervolume at {' and '.join(map(str, summary['checkpoints']))} evaluations; seeds per method: "
            f"{seed_text}; {n_all} problems. hw-bayesian measured at hyperwidget commit "
            f"{', '.join(summary['commits']) or 'unknown'}. Generated by `python3 benchmarks/multi_objective.py`."
        ),
        "",
        *([note, ""] if note else []),
        PROTOCOL,
        "",
        "## Problems",
        "",
        *_problem_lines(summary),
        "",
    ]
    front = {p: _fmt(p, v["best_hv"]) for p, v in summary["problems"].items()}
    for evals in summary["checkpoints"]:
        budget = summary["by_budget"][str(evals)]
        for half, label in ((TUNING, "the tuning half"), (HELD_OUT, "the held-out half")):
            problems = budget["halves"][half]["problems"]
            lines += [
                f"## Median hypervolume at {evals} evaluations on {label} (higher is better; rank in parentheses)",
                "",
                *median_table(budget["median_hypervolume"], budget["ranks"], problems, methods, _fmt, front, "front"),
                "",
                *half_lines(budget["halves"][half], methods, label),
                "",
            ]
        n_best = len(budget["all"]["best"])
        lines += [
            f"## All problems at {evals} evaluations",
            "",
            *half_lines(budget["all"], methods, "all problems"),
            "",
            (
                f"Target of the issue: the best median hypervolume on at least three quarters of the problems "
                f"({math.ceil(0.75 * n_all)} of {n_all}): **{'met' if n_best >= 0.75 * n_all else 'not met'}** "
                f"({n_best} of {n_all})."
            ),
            "",
        ]
    lines += [
        "## Mean seconds per run",
        "",
        "CPU seconds of the run's process, then wall seconds in parentheses (which depend on the machine's load "
        "when the run was made, 1.5-15 here).",
        "",
        ", ".join(
            f"{m} {summary['mean_cpu_seconds_per_run'][m]:.1f} s ({s:.1f} s)"
            for m, s in summary["mean_seconds_per_run"].items()
        )
        + ".",
    ]
    if times:
        lines += ["", "## Proposal time at 200 finished trials", "", *times_lines(times)]
    if summary["errors"]:
        lines += ["", "## Errors", "", *(f"- {e}" for e in summary["errors"])]
    return "\n".join(lines) + "\n"


def timing_cases() -> dict[str, tuple[Any, tuple[str, ...], tuple[str, ...]]]:
    problems = all_problems(include_tasks=False)
    return {
        f"{name} ({len(problems[name].objectives)} objectives, {len(problems[name].space)} parameters)": (
            problems[name],
            problems[name].objectives,
            (),
        )
        for name in ("zdt1-d8", "dtlz2-m3-d6")
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.timing:
        print("\n".join(times_lines(proposal_times(timing_cases()))))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "multi_objective_quick" if args.quick else "multi_objective"
    journal = args.out / f"{stem}.jsonl"
    catalogue = all_problems(include_tasks=not args.problems or "mlp-digits" in args.problems)
    names = chosen_problems(catalogue, args.problems)
    started = time.time()
    if not args.report_only:
        seeds_of = {"optuna-gp": args.gp_seeds} if args.gp_seeds else {}
        print(f"hyperwidget commit {hyperwidget_commit()}", flush=True)
        tasks = plan(names, args.methods or METHODS, args.seeds, seeds_of)
        if args.resume:
            tasks = without_finished(
                tasks, journal, lambda method: args.gp_evals or args.evals if method == "optuna-gp" else args.evals
            )
        short = [t for t in tasks if args.gp_evals and t[1] == "optuna-gp"]
        run_all([t for t in tasks if t not in short], catalogue.__getitem__, args.evals, journal)
        run_all(short, catalogue.__getitem__, args.gp_evals or args.evals, journal)
    runs = read_journal(journal)
    problems = {n: catalogue[n] for n in catalogue if any(r["problem"] == n for r in runs)}
    methods = [m for m in METHODS if any(r["method"] == m for r in runs)]
    checkpoints = [c for c in args.checkpoints if c <= args.evals]
    summary = summarise(runs, problems, methods, checkpoints)
    times = None if args.no_timing else proposal_times(timing_cases())
    write_outputs(args.out, stem, summary, times, args.note, started, markdown)


if __name__ == "__main__":
    main()
