"""ASHA's promotion variant against its stopping variant, simulated over lazily trained learning curves.

:func:`simulate_promotion` runs a sweep with one worker as the engine would:
each time the worker is free it asks the policy's own code which paused trial
to promote (``policy.promotable``), else starts the next configuration of the
stream; after each epoch it asks ``policy.on_report`` (a stop) and
``policy.pause_reason`` (a pause). A resumed trial continues from the epoch it
paused at (as a checkpointed trial does). For a stopping policy it is the
sequential sweep of ``benchmarks/early_termination.py``.

The comparison reuses that benchmark's task (an MLP on the digits data, 30
epochs, a random-search stream of configurations, curves trained once per seed
and shared by every method) and its targets: epochs until an accuracy within
0.5 % of the best full training of the first ``--trials`` configurations, and
the best accuracy within ``--budget`` epochs.

Run: ``nice -n 10 python benchmarks/_promotion.py --seeds 30 --jobs 2``;
writes ``benchmarks/results/promotion.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hyperwidget.policies import ASHAPolicy, EarlyTerminationPolicy, HyperbandPolicy, NoTerminationPolicy
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

_METRIC = "value"


def simulate_promotion(
    policy: EarlyTerminationPolicy,
    stream_of_configs: Iterable[Hashable],
    train_curve: Callable[[Hashable, int], float],
    budget: int,
    *,
    goal: Goal | str = "maximize",
    max_epochs: int | None = None,
    stop_when: Callable[[Sequence[tuple[int, float]]], bool] | None = None,
) -> list[tuple[int, float]]:
    """Run a one-worker sweep driven by ``policy`` over learning curves; the trace of every epoch trained.

    Parameters
    ----------
    policy : EarlyTerminationPolicy
        E.g. ``ASHAPolicy(max_resource=30, type="promotion")``; any policy works
        (a stopping one never pauses, so nothing is ever promoted).
    stream_of_configs : iterable
        The configurations, in the order a sampler would propose them (any
        hashable ids, e.g. indices); read lazily, one per new trial.
    train_curve : callable
        ``train_curve(config, epoch)``: the validation value of ``config`` after
        ``epoch`` epochs (1-based). Called once per epoch trained, in order for
        each configuration (cache the curves to share them between policies).
    budget : int
        Epochs to spend in all; the sweep also ends when the stream is exhausted
        and no paused trial can be promoted.
    goal : Goal or str
        Whether larger values are better (``"maximize"``, the default).
    max_epochs : int, optional
        A full training's epochs; default ``policy.max_resource``.
    stop_when : callable, optional
        Called with the trace after each epoch: ``True`` ends the sweep there
        (e.g. once a target is reached and the epochs one reports on are spent).

    Returns
    -------
    list of (int, float)
        ``(epochs spent so far, value)`` for each epoch trained, in training
        order: ``trace[-1][0] <= budget``; the best value within ``b`` epochs is
        the best of the entries with ``epochs <= b``.
    """
    full = max_epochs if max_epochs is not None else getattr(policy, "max_resource", None)
    if not isinstance(full, int) or full < 1:
        raise ValueError(f"simulate_promotion: give max_epochs (the policy {policy!r} has no max_resource).")
    goal = Goal.parse(goal)
    configs = iter(stream_of_configs)
    records: list[TrialRecord] = []
    ids: dict[str, Hashable] = {}
    trace: list[tuple[int, float]] = []
    ended = stop_when or (lambda trace: False)
    while len(trace) < budget and not (trace and ended(trace)):
        ranked = policy.promotable(records, _METRIC, goal)
        if ranked:
            record = ranked[0].replace(status=TrialStatus.RUNNING)
        else:
            config = next(configs, None)
            if config is None:
                break
            record = TrialRecord(id=f"t{len(records)}", index=len(records), params={}, status=TrialStatus.RUNNING)
            ids[record.id] = config
            records.append(record)
        records[record.index] = _train(
            policy, record, records, ids[record.id], train_curve, full, budget, trace, goal, ended
        )
    return trace


def _train(
    policy: EarlyTerminationPolicy,
    record: TrialRecord,
    records: list[TrialRecord],
    config: Hashable,
    train_curve: Callable[[Hashable, int], float],
    full: int,
    budget: int,
    trace: list[tuple[int, float]],
    goal: Goal,
    ended: Callable[[Sequence[tuple[int, float]]], bool],
) -> TrialRecord:
    """Train ``record`` epoch by epoch from where it is until it completes, is stopped, pauses or the budget ends."""
    while len(trace) < budget:
        epoch = len(record.series(_METRIC)) + 1
        value = train_curve(config, epoch)
        trace.append((len(trace) + 1, value))
        record = record.with_value(_METRIC, value)
        records[record.index] = record
        if ended(trace):
            break
        if epoch >= full:
            return record.replace(status=TrialStatus.COMPLETED)
        if policy.on_report(record, records, _METRIC, goal):
            return record.replace(status=TrialStatus.STOPPED_EARLY)
        if policy.pause_reason(record, records, _METRIC, goal):
            return record.replace(status=TrialStatus.PAUSED)
    return record.replace(status=TrialStatus.CANCELED)


# -- the comparison on early_termination's task --------------------------------------------------------------------


def methods(epochs: int) -> list[tuple[str, Callable[[], EarlyTerminationPolicy]]]:
    """The policies compared: both variants of ASHA and of Hyperband, and no termination."""
    return [
        ("no termination", NoTerminationPolicy),
        ("ASHA(1..30, eta=3) stopping", lambda: ASHAPolicy(max_resource=epochs)),
        ("ASHA(1..30, eta=3) promotion", lambda: ASHAPolicy(max_resource=epochs, type="promotion")),
        ("Hyperband(1..30, eta=3) stopping", lambda: HyperbandPolicy(max_resource=epochs)),
        ("Hyperband(1..30, eta=3) promotion", lambda: HyperbandPolicy(max_resource=epochs, type="promotion")),
    ]


def run_seed(seed: int, n_trials: int, budget: int) -> list[dict[str, Any]]:
    """Every method on one seed's curves: epochs to the target, best value within the budget."""
    import early_termination as et

    started = time.perf_counter()
    bank = et.CurveBank(seed)
    target = max(max(bank.full_curve(i)) for i in range(n_trials))
    cap_epochs, cap_configs = n_trials * et.EPOCHS, 10 * n_trials
    good = target * (1 - et.TOLERANCE)

    def done(trace: Sequence[tuple[int, float]]) -> bool:  # as early_termination: target reached, budget spent
        return trace[-1][0] >= budget and any(v >= good for _, v in trace)

    rows = []
    for label, make in methods(et.EPOCHS):
        trace = simulate_promotion(
            make(),
            range(cap_configs),
            lambda i, e: bank.get(int(i), e)[0],
            cap_epochs,
            max_epochs=et.EPOCHS,
            stop_when=done,
        )
        hit = next((n for n, v in trace if v >= good), math.inf)
        best = max((v for n, v in trace if n <= budget), default=math.nan)
        rows.append({"method": label, "seed": seed, "epochs_to_target": hit, "best_at_budget": best})
    print(json.dumps(rows), flush=True)
    print(f"seed {seed}: {time.perf_counter() - started:.0f} s", flush=True)
    return rows


def summary(rows: list[dict[str, Any]], labels: list[str]) -> str:
    """The markdown table: per method, over seeds."""
    lines = [
        "| method | reached target | median epochs to target | mean best acc. at budget | median best acc. at budget |",
        "|---|---|---|---|---|",
    ]
    for label in labels:
        mine = [r for r in rows if r["method"] == label]
        hits = [r["epochs_to_target"] for r in mine]
        reached = [h for h in hits if h < math.inf]
        best = [r["best_at_budget"] for r in mine]
        lines.append(
            f"| {label} | {len(reached)}/{len(mine)} | {statistics.median(hits):g} | "
            f"{statistics.fmean(best):.4f} | {statistics.median(best):.4f} |"
        )
    lines.append("")
    for family in ("ASHA", "Hyperband"):
        stop = {r["seed"]: r for r in rows if r["method"].startswith(family) and r["method"].endswith("stopping")}
        prom = {r["seed"]: r for r in rows if r["method"].startswith(family) and r["method"].endswith("promotion")}
        pairs = [(prom[s]["epochs_to_target"], stop[s]["epochs_to_target"]) for s in sorted(stop)]
        fewer, same = sum(p < q for p, q in pairs), sum(p == q for p, q in pairs)
        better = sum(prom[s]["best_at_budget"] > stop[s]["best_at_budget"] for s in stop)
        worse = sum(prom[s]["best_at_budget"] < stop[s]["best_at_budget"] for s in stop)
        lines.append(
            f"- {family}, promotion vs stopping, paired by seed: fewer epochs to target on {fewer}, as many on "
            f"{same}, more on {len(pairs) - fewer - same} of {len(pairs)} seeds; best accuracy at budget higher on "
            f"{better}, lower on {worse}."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--trials", type=int, default=40, help="configs of the reference full-training sweep")
    parser.add_argument("--budget", type=int, default=300, help="epochs for 'best at budget' (10 full trainings)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "promotion.md")
    args = parser.parse_args(argv)
    started, cpu = time.perf_counter(), time.process_time()
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        per_seed = pool.starmap(run_seed, [(s, args.trials, args.budget) for s in range(args.seeds)], chunksize=1)
    rows = [r for seed_rows in per_seed for r in seed_rows]
    labels = [label for label, _ in methods(30)]
    table = summary(rows, labels)
    wall = time.perf_counter() - started
    children = sum(getattr(__import__("resource").getrusage(-1), f) for f in ("ru_utime", "ru_stime"))
    text = (
        "# ASHA promotion vs stopping (simulated, one worker)\n\n"
        f"Command: `nice -n 10 python benchmarks/_promotion.py --seeds {args.seeds} --trials {args.trials} "
        f"--budget {args.budget} --jobs {args.jobs}`\n\n"
        "Task and targets of `benchmarks/early_termination.py` (MLP on digits, 30 epochs, random-search stream, "
        f"seeds 0..{args.seeds - 1}); the target is within 0.5 % of the best full training of the first "
        f"{args.trials} configurations; a method may spend {args.trials * 30} epochs. Every method is run by "
        "`simulate_promotion` (the policies' own `on_report`, `pause_reason` and `promotable`); a promoted trial "
        "resumes where it paused (checkpointed).\n\n"
        f"{table}\n\nWall {wall:.0f} s; CPU {time.process_time() - cpu + children:.0f} s (with the seed processes).\n"
    )
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
