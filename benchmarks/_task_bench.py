"""What the constrained and multi-objective benchmarks share: running, the journal, ranks and tables.

A run is one (problem, method, seed): the method's ask/tell loop for a given
number of evaluations, whose every evaluation's metrics go to the journal
(``<stem>.jsonl``, one JSON line per run, appended as runs finish). The report
reads the journal and keeps each (problem, method, seed)'s latest run, so that
re-running one method (``--methods hw-bayesian``) replaces its rows and keeps
the others'. Scores are computed from the stored metrics, never during the run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _task_methods import METHODS

OURS = "hw-bayesian"


# -- provenance -----------------------------------------------------------------------------------
def hyperwidget_commit() -> str:
    """The commit of the hyperwidget checkout being measured (``+dirty`` when it has uncommitted changes)."""
    import hyperwidget

    root = Path(hyperwidget.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "hyperwidget"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()}


# -- runs -----------------------------------------------------------------------------------------
def run_one(
    problem: Any, method: str, seed: int, evals: int, objectives: Sequence[str], constraints: Sequence[str]
) -> dict[str, Any]:
    """Run ``method`` on ``problem`` with ``seed``; never raises (the error is recorded)."""
    start, start_cpu = time.perf_counter(), time.process_time()
    try:
        metrics = METHODS[method](problem.space, problem.evaluate, objectives, constraints, evals, seed)
        error = None
    except Exception as exc:  # noqa: BLE001 - a broken method must not end the benchmark
        metrics, error = [], f"{type(exc).__name__}: {exc}"
    names = [*objectives, *constraints]
    return {
        "problem": problem.name,
        "method": method,
        "seed": seed,
        "names": names,
        "values": [[float(m[n]) for n in names] for m in metrics],
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - start_cpu,
        "error": error,
        "commit": hyperwidget_commit() if method.startswith("hw-") else None,
    }


def plan(
    problems: Sequence[str], methods: Sequence[str], seeds: int, seeds_of: Mapping[str, int]
) -> list[tuple[str, str, int]]:
    """(problem, method, seed) in running order: seeds outermost, so an interrupted run is a complete
    k-seed benchmark; within a seed, problems in catalogue order (cheap first), slow methods last.
    ``seeds_of`` gives some methods fewer seeds (the first ones)."""
    slow = {"optuna-gp": 2, OURS: 1}
    tasks = [(p, m, s) for s in range(seeds) for p in problems for m in methods if s < seeds_of.get(m, seeds)]
    return sorted(tasks, key=lambda t: (t[2], slow.get(t[1], 0), problems.index(t[0])))


def run_all(
    tasks: Sequence[tuple[str, str, int]],
    problem_of: Callable[[str], Any],
    evals: int,
    journal: Path,
) -> None:
    """Run every task in order, appending each run to ``journal`` as it finishes."""
    with journal.open("a") as log:
        for done, (name, method, seed) in enumerate(tasks, 1):
            problem = problem_of(name)
            constraints = getattr(problem, "constraints", ())
            result = run_one(problem, method, seed, evals, problem.objectives, constraints)
            log.write(json.dumps(result) + "\n")
            log.flush()
            status = result["error"] or "ok"
            print(
                f"[{done}/{len(tasks)}] {name} {method} seed={seed} {result['seconds']:.1f}s {status}",
                flush=True,
            )


def read_journal(journal: Path) -> list[dict[str, Any]]:
    """Each (problem, method, seed)'s latest run in the journal (failed runs included, with their error)."""
    latest: dict[tuple[str, str, int], dict[str, Any]] = {}
    if journal.exists():
        for line in journal.read_text().splitlines():
            if line.strip():
                run = json.loads(line)
                latest[(run["problem"], run["method"], run["seed"])] = run
    return list(latest.values())


# -- analysis -------------------------------------------------------------------------------------
def medians(scores: Mapping[str, Mapping[str, list[float]]]) -> dict[str, dict[str, float]]:
    return {p: {m: float(np.median(v)) for m, v in by.items() if v} for p, by in scores.items()}


def ranks(table: Mapping[str, Mapping[str, float]], higher_is_better: bool) -> dict[str, dict[str, float]]:
    """problem -> method -> rank of its median (1 = best; ties share the mean rank)."""
    from scipy.stats import rankdata

    out = {}
    for problem, by_method in table.items():
        methods = list(by_method)
        values = np.array([by_method[m] for m in methods])
        out[problem] = dict(
            zip(methods, (float(r) for r in rankdata(-values if higher_is_better else values)), strict=True)
        )
    return out


def half_summary(
    table: Mapping[str, Mapping[str, float]],
    rank_table: Mapping[str, Mapping[str, float]],
    problems: Sequence[str],
    methods: Sequence[str],
    higher_is_better: bool,
) -> dict[str, Any]:
    """Mean ranks, our best-median count and our wins/ties/losses against each peer over ``problems``."""
    mean_rank = {
        m: float(np.mean([rank_table[p][m] for p in problems if m in rank_table[p]]))
        for m in methods
        if any(m in rank_table[p] for p in problems)
    }
    best = [p for p in problems if OURS in rank_table[p] and rank_table[p][OURS] == min(rank_table[p].values())]
    alone = [p for p in best if sum(r == rank_table[p][OURS] for r in rank_table[p].values()) == 1]
    versus = {}
    for peer in methods:
        if peer == OURS:
            continue
        shared = [p for p in problems if OURS in table[p] and peer in table[p]]
        ours_better = [p for p in shared if _better(table[p][OURS], table[p][peer], higher_is_better)]
        tied = [p for p in shared if table[p][OURS] == table[p][peer]]
        versus[peer] = {
            "wins": len(ours_better),
            "ties": len(tied),
            "losses": len(shared) - len(ours_better) - len(tied),
        }
    return {
        "problems": list(problems),
        "mean_rank": mean_rank,
        "best": best,
        "best_alone": alone,
        "versus": versus,
    }


def _better(a: float, b: float, higher_is_better: bool) -> bool:
    return a > b if higher_is_better else a < b


# -- markdown -------------------------------------------------------------------------------------
def median_table(
    table: Mapping[str, Mapping[str, float]],
    rank_table: Mapping[str, Mapping[str, float]],
    problems: Sequence[str],
    methods: Sequence[str],
    fmt: Callable[[str, float], str],
    extra: Mapping[str, str] | None = None,
    extra_title: str = "",
) -> list[str]:
    """Median per problem and method (rank in parentheses), the best in bold."""
    head = ["problem", *([extra_title] if extra else []), *methods]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for p in problems:
        cells = [p, *([extra[p]] if extra else [])]
        best = min(rank_table[p].values()) if rank_table[p] else None
        for m in methods:
            if m not in table[p]:
                cells.append("n/a")
                continue
            cell = f"{fmt(p, table[p][m])} ({rank_table[p][m]:g})"
            cells.append(f"**{cell}**" if rank_table[p][m] == best else cell)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def half_lines(summary: Mapping[str, Any], methods: Sequence[str], label: str) -> list[str]:
    """Mean ranks and our record against each peer for one half."""
    n = len(summary["problems"])
    ranked = sorted(summary["mean_rank"], key=lambda m: summary["mean_rank"][m])
    lines = [
        f"Mean rank over {label} ({n} problems): "
        + ", ".join(f"{m} {summary['mean_rank'][m]:.2f}" for m in ranked)
        + ".",
        "",
        (
            f"{OURS} has the best median on **{len(summary['best'])} of {n}** "
            f"({len(summary['best_alone'])} alone, {len(summary['best']) - len(summary['best_alone'])} tied)."
        ),
        "",
        f"{OURS} against each peer (problems where its median is better / equal / worse): "
        + "; ".join(
            f"{peer} {v['wins']}/{v['ties']}/{v['losses']}"
            for peer, v in summary["versus"].items()
            if v["wins"] + v["ties"] + v["losses"]
        )
        + ".",
    ]
    return lines


def seeds_text(counts: Mapping[str, Mapping[str, int]]) -> str:
    """How many seeds each method's medians are over, e.g. ``hw-bayesian 10, optuna-gp 5-10``."""
    per_method: dict[str, list[int]] = {}
    for by in counts.values():
        for method, n in by.items():
            per_method.setdefault(method, []).append(n)
    return ", ".join(
        f"{m} {min(ns)}" if min(ns) == max(ns) else f"{m} {min(ns)}-{max(ns)} (by problem)"
        for m, ns in per_method.items()
    )


# -- decision time --------------------------------------------------------------------------------
def proposal_times(
    cases: Mapping[str, tuple[Any, Sequence[str], Sequence[str]]], n_finished: int = 200, repeats: int = 7
) -> dict[str, dict[str, float]]:
    """Median wall and CPU seconds of one hw-bayesian proposal after ``n_finished`` random trials.

    ``cases`` maps a label to (problem, objectives, constraints). The sampler is
    given the task first, as in the benchmark's runs.
    """
    from _task_methods import search_task

    from hyperwidget.samplers._bayesian import BayesianParameterSampling
    from hyperwidget.space import SearchSpace
    from hyperwidget.trial import Goal, TrialRecord, TrialStatus

    out = {}
    for label, (problem, objectives, constraints) in cases.items():
        space = SearchSpace(problem.space)
        rng = np.random.default_rng(0)
        history = []
        for i in range(n_finished):
            params = space.sample(rng)
            metrics = {k: (v,) for k, v in problem.evaluate(params).items()}
            history.append(TrialRecord(f"t{i}", i, params, TrialStatus.COMPLETED, metrics))
        sampler = BayesianParameterSampling(problem.space, seed=0)
        sampler.set_task(search_task(objectives, constraints))
        sampler.suggest(history, objectives[0], Goal.MINIMIZE)  # imports and per-record encoding, once
        wall, cpu = [], []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            sampler.suggest(history, objectives[0], Goal.MINIMIZE)
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        out[label] = {"wall": float(np.median(wall)), "cpu": float(np.median(cpu))}
    return out


def times_lines(times: Mapping[str, Mapping[str, float]], n_finished: int = 200) -> list[str]:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        (
            f"Median of 7 proposals of hw-bayesian after {n_finished} finished trials (random configurations), "
            "in one process; `cpu` is the process's CPU time (the cost on a core of its own), `wall` also counts "
            f"waiting for a core on this shared machine (load average when measured: {load}; "
            f"{os.cpu_count()} CPUs). Target: under 100 ms."
        ),
        "",
        "| case | wall | cpu |",
        "|---|---|---|",
    ]
    for label, t in times.items():
        lines.append(f"| {label} | {1000 * t['wall']:.0f} ms | {1000 * t['cpu']:.0f} ms |")
    return lines


# -- output ---------------------------------------------------------------------------------------
DRAFT_HEADING = "## README section (draft)"


def write_report(path: Path, report: str) -> None:
    """Write ``report`` to ``path``, keeping the hand-written README draft at the end of the old file."""
    old = path.read_text() if path.exists() else ""
    draft = old[old.index(DRAFT_HEADING) :] if DRAFT_HEADING in old else ""
    path.write_text(report + ("\n" + draft if draft else ""))


# -- command line ---------------------------------------------------------------------------------
def common_arguments(parser: argparse.ArgumentParser, methods: Sequence[str], evals: int, quick: str) -> None:
    """The options both benchmarks take (``quick`` describes what ``--quick`` runs)."""
    add = parser.add_argument
    add("--seeds", type=int, default=10, help="seeds 0..n-1 per (problem, method) (default 10)")
    add("--gp-seeds", type=int, help="fewer seeds for optuna-gp, the slowest method")
    add("--evals", type=int, default=evals, help=f"evaluations per run (default {evals})")
    add("--problems", nargs="*", help="problem names (default: all)")
    add("--methods", nargs="*", choices=methods, help="methods to run (default: all)")
    add("--quick", action="store_true", help=f"{quick}, for development")
    add("--out", type=Path, default=Path(__file__).resolve().parent / "results", help="output folder")
    add("--note", default="", help="a paragraph printed under the report's title (e.g. provenance)")
    add("--report-only", action="store_true", help="rebuild the report from the journal")
    add("--resume", action="store_true", help="skip the (problem, method, seed) runs the journal has, as long")
    add("--no-timing", action="store_true", help="skip timing the proposals")


def chosen_problems(catalogue: Mapping[str, Any], names: Sequence[str] | None) -> list[str]:
    """``names`` (all of ``catalogue`` when empty), refusing unknown ones."""
    names = list(names or catalogue)
    unknown = set(names) - set(catalogue)
    if unknown:
        raise SystemExit(f"unknown problems {sorted(unknown)}; choose from {', '.join(catalogue)}")
    return names


def without_finished(
    tasks: Sequence[tuple[str, str, int]], journal: Path, evals_of: Callable[[str], int]
) -> list[tuple[str, str, int]]:
    """``tasks`` less those the journal holds a complete run of (``evals_of(method)`` evaluations, no error)."""
    done = {
        (r["problem"], r["method"], r["seed"])
        for r in read_journal(journal)
        if not r["error"] and len(r["values"]) >= evals_of(r["method"])
    }
    return [t for t in tasks if t not in done]


def write_outputs(
    out: Path, stem: str, summary: dict[str, Any], times: Any, note: str, started: float, markdown: Callable
) -> None:
    """Complete ``summary`` with the machine and timings, write ``<stem>.json`` and ``<stem>.md``, print the report."""
    summary.update(machine=machine(), proposal_seconds=times, note=note, wall_seconds=time.time() - started)
    (out / f"{stem}.json").write_text(json.dumps(summary, indent=1))
    report = markdown(summary, times, note)
    write_report(out / f"{stem}.md", report)
    print(report)
