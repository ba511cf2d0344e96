"""Policy advice benchmark: does a policy suggested from one sweep's replay pay off on the next sweep?

Task: the MLP learning-curve task of ``benchmarks/early_termination.py``
(``MLPClassifier`` trained epoch by epoch on digits, validation accuracy after
each of 30 epochs; random search, a different configuration stream and data
split per seed). For every seed a full sweep of ``--trials`` configurations is
trained without early termination (one trial after another).

Method: for each pair of consecutive seeds ``(s, s + 1)``, ``suggest_policy``
picks a policy from the recorded curves of seed ``s`` (the tuning sweep); that
policy is then replayed over seed ``s + 1``'s curves (the held-out sweep, never
used to choose), next to the usual HyperDrive settings and no stopping. Both
halves are reported: in-sample (the choice replayed on the sweep it was chosen
from) and held-out. Measured per sweep by :func:`hyperwidget.policies.replay`:
the share of epochs saved, and whether the sweep's best accuracy is still
reached (``loss`` = recorded best - best kept).

Run: ``python3 benchmarks/policy_advice.py`` (21 seeds, 20 pairs; about 10 minutes on 2 cores);
``--quick`` for a smoke run. Writes ``benchmarks/results/policy_advice.md``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from early_termination import EPOCHS, METRIC, CurveBank

from hyperwidget.policies import (
    BanditPolicy,
    EarlyTerminationPolicy,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    TruncationSelectionPolicy,
    replay,
    suggest_policy,
)
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

RESULTS = Path(__file__).resolve().parent / "results"

#: The usual HyperDrive settings (Azure's documentation examples).
USUAL: dict[str, Callable[[], EarlyTerminationPolicy]] = {
    "no stopping": NoTerminationPolicy,
    "Bandit(slack_factor=0.1, delay=5)": lambda: BanditPolicy(slack_factor=0.1, delay_evaluation=5),
    "Bandit(slack_factor=0.2, delay=3)": lambda: BanditPolicy(slack_factor=0.2, delay_evaluation=3),
    "MedianStopping(delay=5)": lambda: MedianStoppingPolicy(delay_evaluation=5),
    "TruncationSelection(20%, delay=5)": lambda: TruncationSelectionPolicy(20, delay_evaluation=5),
}
#: The suggestion variants: keyword arguments of ``suggest_policy``.
ADVICE: dict[str, dict[str, Any]] = {
    "suggest_policy(resamples=0, keep_top=1)": {"resamples": 0, "keep_top": 1},
    "suggest_policy(resamples=10, keep_top=1)": {"resamples": 10, "keep_top": 1},
    "suggest_policy(resamples=10, keep_top=3)": {"resamples": 10, "keep_top": 3},
}


def sweep_curves(task: tuple[int, int]) -> tuple[int, list[list[float]]]:
    """``(seed, curves)``: the full learning curves of the first ``n_trials`` configurations of ``seed``."""
    seed, n_trials = task
    started = time.process_time()
    bank = CurveBank(seed)
    curves = [list(bank.full_curve(i)) for i in range(n_trials)]
    print(f"seed {seed}: {n_trials} x {EPOCHS} epochs trained, {time.process_time() - started:.0f} s CPU", flush=True)
    return seed, curves


def records(curves: list[list[float]]) -> list[TrialRecord]:
    """A finished sequential sweep without early termination."""
    return [TrialRecord(f"t{i}", i, {}, TrialStatus.COMPLETED, {METRIC: tuple(c)}) for i, c in enumerate(curves)]


def measure(trials: list[TrialRecord], policy: EarlyTerminationPolicy) -> dict[str, Any]:
    s = replay(trials, policy, METRIC, Goal.MAXIMIZE).summary
    loss = max(0.0, s["best_value_recorded"] - s["best_value_kept"])
    return {"saved": s["compute_saved_fraction"], "loss": loss, "kept": loss == 0.0, "policy": repr(policy)}


def evaluate(sweeps: dict[int, list[TrialRecord]]) -> list[dict[str, Any]]:
    """One row per (pair, method, half)."""
    rows = []
    seeds = sorted(sweeps)
    for tune, held in itertools.pairwise(seeds):
        for label, make in USUAL.items():
            rows.append({"pair": tune, "method": label, "half": "held-out"} | measure(sweeps[held], make()))
            rows.append({"pair": tune, "method": label, "half": "tuning"} | measure(sweeps[tune], make()))
        for label, kwargs in ADVICE.items():
            started = time.process_time()
            chosen = suggest_policy(sweeps[tune], metric=METRIC, goal=Goal.MAXIMIZE, **kwargs)
            cpu = time.process_time() - started
            rows.append({"pair": tune, "method": label, "half": "held-out", "cpu": cpu} | measure(sweeps[held], chosen))
            rows.append({"pair": tune, "method": label, "half": "tuning", "cpu": cpu} | measure(sweeps[tune], chosen))
    return rows


def summary_table(rows: list[dict[str, Any]], half: str) -> str:
    methods = list(dict.fromkeys(r["method"] for r in rows))
    lines = [
        "| method | mean epochs saved | median epochs saved | best kept (pairs) | mean loss | worst loss "
        "| CPU s per choice |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for method in methods:
        mine = [r for r in rows if r["method"] == method and r["half"] == half]
        saved = [r["saved"] for r in mine]
        losses = [r["loss"] for r in mine]
        lines.append(
            f"| {method} | {statistics.fmean(saved):.1%} | {statistics.median(saved):.1%} | "
            f"{sum(r['kept'] for r in mine)}/{len(mine)} | {statistics.fmean(losses):.4f} | {max(losses):.4f} | "
            + (f"{statistics.fmean(r['cpu'] for r in mine):.1f} |" if "cpu" in mine[0] else "- |")
        )
    return "\n".join(lines)


def per_pair_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| tuned on seed | suggest_policy(resamples=10, keep_top=3) | held-out saved | held-out loss |"]
    lines.append("|---|---|---:|---:|")
    for r in rows:
        if r["method"] == "suggest_policy(resamples=10, keep_top=3)" and r["half"] == "held-out":
            lines.append(f"| {r['pair']} | `{r['policy']}` | {r['saved']:.1%} | {r['loss']:.4f} |")
    return "\n".join(lines)


def write_report(args: Any, rows: list[dict[str, Any]], wall: float, cpu: float) -> None:
    first, last = args.first_seed, args.first_seed + args.seeds - 1
    command = f"--seeds {args.seeds} --first-seed {first} --trials {args.trials} --jobs {args.jobs}"
    text = f"""# Policy advice benchmark

`python3 benchmarks/policy_advice.py {command}`
({wall:.0f} s wall and {cpu:.0f} s CPU in the main process, training excluded, on a shared 2-core machine; training
a sweep takes about 15 s CPU per seed; curves already in `--cache` are not trained again).

**Task.** The MLP learning-curve task of `benchmarks/early_termination.py`: `MLPClassifier(solver="sgd")` trained
epoch by epoch on digits, validation accuracy after each of {EPOCHS} epochs, random search. Seeds {first}..{last}:
for each, a full sweep of {args.trials} configurations, run without early termination, one trial after another.

**Method.** For each pair of consecutive seeds (s, s+1) -- {args.seeds - 1} pairs -- `suggest_policy` chooses a
policy from the recorded curves of seed s (the default candidate grid of `compare_policies`, about 60 settings of
bandit, median, truncation and ASHA); that policy is replayed over seed s+1's curves, which played no part in the
choice (held-out), next to the usual HyperDrive settings. "Tuning" replays the same policies over seed s (for the
suggestion: the sweep it was chosen on). `resamples=10` also requires a candidate to keep the best result on 10
bootstrap resamples of the tuning sweep (trials drawn with replacement, in a random order); `resamples=0` ranks on
the recorded sweep alone; `keep_top=3` requires the three best trial results to be kept, not only the best. Per
sweep: the share of epochs saved and the loss of the best accuracy (recorded best minus the best still logged; 0 =
the best result is kept).

## Held-out: the choice from seed s replayed on seed s+1

{summary_table(rows, "held-out")}

## Tuning half: replayed on the sweep the choice was made from

{summary_table(rows, "tuning")}

## Suggestions per pair

{per_pair_table(rows)}

Caveats: the savings are measured on curves that ran to the end (each sweep here ran without stopping); a replay
keeps the recorded order of the trials and does not reinvest the saved epochs in new configurations
(`benchmarks/early_termination.py` measures that). The evidence is about this task.
"""
    (args.out / "policy_advice.md").write_text(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=21, help="number of seeds (default 21: 20 pairs)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--trials", type=int, default=40, help="configurations per sweep (default 40)")
    parser.add_argument("--jobs", type=int, default=2, help="training processes (default 2)")
    parser.add_argument("--cache", type=Path, default=None, help="JSON file caching the trained curves")
    parser.add_argument("--quick", action="store_true", help="4 seeds of 12 trials: a smoke run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.trials = 4, 12
    started, cpu = time.perf_counter(), time.process_time()
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    cached: dict[str, list[list[float]]] = {}
    if args.cache is not None and args.cache.exists():
        cached = json.loads(args.cache.read_text())
    missing = [s for s in seeds if f"{s}:{args.trials}" not in cached]
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        for seed, curves in pool.imap_unordered(sweep_curves, [(s, args.trials) for s in missing]):
            cached[f"{seed}:{args.trials}"] = curves
            if args.cache is not None:  # after every seed: an interrupted run resumes from here
                args.cache.write_text(json.dumps(cached))
    sweeps = {s: records(cached[f"{s}:{args.trials}"]) for s in seeds}
    rows = evaluate(sweeps)
    args.out.mkdir(parents=True, exist_ok=True)
    write_report(args, rows, time.perf_counter() - started, time.process_time() - cpu)
    print(summary_table(rows, "held-out"))
    print(summary_table(rows, "tuning"))


if __name__ == "__main__":
    main()
