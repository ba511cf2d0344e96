"""Early-termination benchmark: hyperwidget's policies against Optuna's pruners on a real multi-fidelity task.

Task: a one-hidden-layer ``MLPClassifier`` trained epoch by epoch (``partial_fit``,
SGD with momentum) on scikit-learn's bundled digits data, validation accuracy
logged after each of 30 epochs; random search over learning rate, L2 alpha,
width, batch size and momentum.

Method (fair and fast): for each seed, configuration ``i`` of the stream is the
same for every method, and its learning curve is trained once, lazily, epoch by
epoch (a method asking for epoch 3 of config 17 trains it that far; the next
method asking reuses it). Every method then drives its decisions epoch by epoch
over those curves, in sequence (one worker): our policies through
``policy.on_report`` exactly as the engine calls it, Optuna's pruners through
``study.ask`` / ``trial.report`` / ``trial.should_prune`` / ``study.tell``.
Wall time = the measured training+scoring time of the epochs a method used plus
the measured time of its own decisions. ``--engine-check`` also runs our
policies through the real engine (``run_sweep(..., backend="sequential")``)
on the first ``--trials`` configurations, training for real, and checks the
trials are stopped at the same epochs as in the simulation.

Reported per method, over ``--seeds`` seeds:

* the reference: the best validation accuracy of full training (no termination)
  of the first ``--trials`` configurations; methods that stop trials early go on
  sampling new configurations of the same stream until they come within 0.5 %
  of it (relative) or spend the compute of the full sweep;
* epochs and wall time until a logged accuracy is within 0.5 % of the reference;
* the best accuracy reached within a fixed budget of ``--budget`` epochs.

Run: ``python3 benchmarks/early_termination.py`` (200 seeds, about 30 minutes on
2 cores; ``--quick`` for a smoke run).
Writes ``benchmarks/results/early_termination.md`` and figures next to it.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import math
import multiprocessing
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

# One BLAS thread: the models are tiny and multithreaded BLAS only burns the shared CPUs.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hyperwidget.plots import plot_replay
from hyperwidget.policies import (
    ASHAPolicy,
    BanditPolicy,
    EarlyTerminationPolicy,
    HyperbandPolicy,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    TruncationSelectionPolicy,
    replay,
)
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

EPOCHS = 30
METRIC = "accuracy"
TOLERANCE = 0.005  # "within 0.5 %" of the reference, relative
RESULTS = Path(__file__).resolve().parent / "results"


# -- the task -------------------------------------------------------------------------------------


def sample_config(seed: int, index: int) -> dict[str, Any]:
    """Configuration ``index`` of seed ``seed``'s random-search stream."""
    rng = np.random.default_rng([seed, index])
    return {
        "learning_rate_init": float(10 ** rng.uniform(-4, -0.5)),
        "alpha": float(10 ** rng.uniform(-6, -1)),
        "hidden": int(rng.choice([16, 32, 64, 128])),
        "batch_size": int(rng.choice([32, 64, 128, 256])),
        "momentum": float(rng.uniform(0.5, 0.99)),
    }


@functools.lru_cache(maxsize=2)
def load_split(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits (bundled with scikit-learn), scaled to [0, 1], 70/30 stratified split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    return train_test_split(x / 16.0, y, test_size=0.3, random_state=seed, stratify=y)


def make_model(config: dict[str, Any], random_state: int) -> Any:
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(
        hidden_layer_sizes=(config["hidden"],), solver="sgd", learning_rate_init=config["learning_rate_init"],
        alpha=config["alpha"], batch_size=config["batch_size"], momentum=config["momentum"],
        random_state=random_state,
    )  # fmt: skip


def train_epochs(seed: int, config_index: int, epochs: int = EPOCHS) -> Any:
    """Generator of validation accuracies, one per epoch (the real training loop)."""
    xtr, xva, ytr, yva = load_split(seed)
    model = make_model(sample_config(seed, config_index), random_state=1000 * seed + config_index)
    classes = np.unique(ytr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(epochs):
            model.partial_fit(xtr, ytr, classes=classes)
            yield float(model.score(xva, yva))


class CurveBank:
    """Learning curves of one seed, trained lazily and shared by every method."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._runs: dict[int, Any] = {}
        self.values: dict[int, list[float]] = {}
        self.seconds: dict[int, list[float]] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Picklable (for ``--jobs``): the curves so far, without the training generators."""
        return self.__dict__ | {"_runs": {}}

    def get(self, index: int, epoch: int) -> tuple[float, float]:
        """(validation accuracy, seconds) of config ``index`` at ``epoch`` (1-based)."""
        if index not in self.values:
            self.values[index], self.seconds[index] = [], []
        if len(self.values[index]) < epoch and index not in self._runs:
            self._runs[index] = train_epochs(self.seed, index)  # deterministic: skip the epochs we have
            for _ in self.values[index]:
                next(self._runs[index])
        while len(self.values[index]) < epoch:
            start = time.perf_counter()
            value = next(self._runs[index])
            self.seconds[index].append(time.perf_counter() - start)
            self.values[index].append(value)
        return self.values[index][epoch - 1], self.seconds[index][epoch - 1]

    def full_curve(self, index: int) -> list[float]:
        self.get(index, EPOCHS)
        return self.values[index]


# -- the methods: one adapter per library ---------------------------------------------------------


class OurPolicy:
    """Drives a hyperwidget policy exactly as the engine does: on_report after every value."""

    def __init__(self, label: str, make: Callable[[], EarlyTerminationPolicy]) -> None:
        self.label, self.make = label, make

    def start(self, seed: int) -> None:
        self.policy = self.make()
        self.records: list[TrialRecord] = []

    def new_trial(self, index: int) -> None:
        self.records.append(TrialRecord(id=f"t{index}", index=index, params={}, status=TrialStatus.RUNNING))

    def report(self, epoch: int, value: float) -> bool:
        record = self.records[-1].with_value(METRIC, value)
        self.records[-1] = record
        reason = self.policy.on_report(record, self.records, METRIC, Goal.MAXIMIZE)
        if reason is not None:
            self.records[-1] = record.replace(status=TrialStatus.STOPPED_EARLY)
        return reason is not None

    def finish(self, stopped: bool) -> None:
        if not stopped:
            self.records[-1] = self.records[-1].replace(status=TrialStatus.COMPLETED)


class OptunaPruner:
    """Drives an Optuna pruner through the ask-and-tell interface."""

    def __init__(self, label: str, make: Callable[[], Any]) -> None:
        self.label, self.make = label, make

    def start(self, seed: int) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna = optuna
        self.study = optuna.create_study(
            direction="maximize", pruner=self.make(), sampler=optuna.samplers.RandomSampler(seed=seed),
            study_name=f"early-termination-{seed}",
        )  # fmt: skip

    def new_trial(self, index: int) -> None:
        self.trial = self.study.ask()
        self.last = math.nan

    def report(self, epoch: int, value: float) -> bool:
        self.trial.report(value, step=epoch)
        self.last = value
        if self.trial.should_prune():
            self.study.tell(self.trial, state=self.optuna.trial.TrialState.PRUNED)
            return True
        return False

    def finish(self, stopped: bool) -> None:
        if not stopped:
            self.study.tell(self.trial, self.last)


def methods() -> list[Any]:
    import optuna.pruners as p

    return [
        OurPolicy("no termination", NoTerminationPolicy),
        OurPolicy("Bandit(slack_factor=0.1, delay=5)", lambda: BanditPolicy(slack_factor=0.1, delay_evaluation=5)),
        OurPolicy("MedianStopping(delay=5)", lambda: MedianStoppingPolicy(delay_evaluation=5)),
        OurPolicy("TruncationSelection(20%, delay=5)", lambda: TruncationSelectionPolicy(20, delay_evaluation=5)),
        OurPolicy("ASHA(1..30, eta=3)", lambda: ASHAPolicy(max_resource=EPOCHS, min_resource=1, reduction_factor=3)),
        OurPolicy("ASHA(1..30, eta=4)", lambda: ASHAPolicy(max_resource=EPOCHS, min_resource=1, reduction_factor=4)),
        OurPolicy("ASHA(3..30, eta=3)", lambda: ASHAPolicy(max_resource=EPOCHS, min_resource=3, reduction_factor=3)),
        OurPolicy("Hyperband(1..30, eta=3)", lambda: HyperbandPolicy(max_resource=EPOCHS, reduction_factor=3)),
        OptunaPruner("optuna MedianPruner()", p.MedianPruner),
        OptunaPruner("optuna SuccessiveHalving(1, eta=3)", lambda: p.SuccessiveHalvingPruner(1, 3)),
        OptunaPruner("optuna SuccessiveHalvingPruner() (auto=1, eta=4)", p.SuccessiveHalvingPruner),
        OptunaPruner("optuna Hyperband(1..30, eta=3)", lambda: p.HyperbandPruner(1, EPOCHS, 3)),
    ]


# -- one method on one seed -----------------------------------------------------------------------


@dataclasses.dataclass
class Outcome:
    """What one method did on one seed."""

    method: str
    seed: int
    epochs_to_target: float  # inf when not reached within the cap
    seconds_to_target: float
    best_at_budget: float
    configs_at_budget: int
    decision_seconds: float
    stops: dict[int, int]  # config index -> epoch it was stopped at (first --trials configs)


def run_method(method: Any, bank: CurveBank, target: float, n_trials: int, budget: int) -> Outcome:
    """Sequential sweep over the config stream until target reached (and budget spent) or the cap."""
    cap_epochs, cap_configs = n_trials * EPOCHS, 10 * n_trials
    method.start(bank.seed)
    epochs, seconds, decisions = 0, 0.0, 0.0
    hit_epochs, hit_seconds, best_budget, configs_budget = math.inf, math.inf, -math.inf, 0
    stops: dict[int, int] = {}
    index = 0
    while epochs < cap_epochs and index < cap_configs and not (hit_epochs < math.inf and epochs >= budget):
        method.new_trial(index)
        configs_budget += epochs < budget
        stopped = False
        for epoch in range(1, EPOCHS + 1):
            value, spent = bank.get(index, epoch)
            epochs, seconds = epochs + 1, seconds + spent
            start = time.perf_counter()
            stopped = method.report(epoch, value)
            decisions += time.perf_counter() - start
            if epochs <= budget:
                best_budget = max(best_budget, value)
            if hit_epochs == math.inf and value >= target * (1 - TOLERANCE):
                hit_epochs, hit_seconds = epochs, seconds + decisions
            if stopped:
                stops[index] = epoch
                break
        method.finish(stopped)
        index += 1
    return Outcome(method.label, bank.seed, hit_epochs, hit_seconds, best_budget, configs_budget, decisions, stops)


# -- aggregate and report -------------------------------------------------------------------------


def summarise(outcomes: list[Outcome], labels: list[str]) -> list[dict[str, Any]]:
    """One row per method: medians/means over seeds, and ratios to no termination."""
    base = {o.seed: o for o in outcomes if o.method == labels[0]}
    rows = []
    for label in labels:
        mine = [o for o in outcomes if o.method == label]
        reached = [o for o in mine if o.epochs_to_target < math.inf]
        ratios = [o.epochs_to_target / base[o.seed].epochs_to_target for o in mine]
        rows.append({
            "method": label,
            "reached": f"{len(reached)}/{len(mine)}",
            "median epochs to target": statistics.median(o.epochs_to_target for o in mine),
            "mean epochs to target (reached)": _mean([o.epochs_to_target for o in reached]),
            "median epochs ratio to none": statistics.median(ratios),
            "median seconds to target": statistics.median(o.seconds_to_target for o in mine),
            "mean best acc at budget": statistics.fmean(o.best_at_budget for o in mine),
            "median best acc at budget": statistics.median(o.best_at_budget for o in mine),
            "mean configs in budget": statistics.fmean(o.configs_at_budget for o in mine),
            "decision ms/sweep": 1000 * statistics.fmean(o.decision_seconds for o in mine),
        })  # fmt: skip
    return rows


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else math.inf


def markdown_table(rows: list[dict[str, Any]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "inf" if math.isinf(v) else f"{v:.4f}" if abs(v) < 1 else f"{v:.1f}"
        return str(v)

    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(r[k]) for k in head) + " |" for r in rows]
    return "\n".join(lines)


def plot_outcomes(outcomes: list[Outcome], labels: list[str], budget: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5))
    cap = max(o.epochs_to_target for o in outcomes if o.epochs_to_target < math.inf)
    data = [[min(o.epochs_to_target, cap * 1.05) for o in outcomes if o.method == lab] for lab in labels]
    left.boxplot(data, orientation="horizontal", tick_labels=labels)
    left.set_xscale("log")
    left.set_xlabel("epochs until within 0.5% of the full-training best (log; not reached drawn at the right)")
    left.invert_yaxis()
    data = [[o.best_at_budget for o in outcomes if o.method == lab] for lab in labels]
    right.boxplot(data, orientation="horizontal", tick_labels=[""] * len(labels))
    right.set_xlabel(f"best validation accuracy within {budget} epochs")
    right.invert_yaxis()
    fig.suptitle(
        "Early termination on digits / MLP partial_fit, 30 epochs (curves trained once per seed, replayed per method)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_example_replay(bank: CurveBank, n_trials: int, path: Path) -> dict[str, Any]:
    """The what-if replay of ASHA over the no-termination sweep of one seed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    trials = [
        TrialRecord(f"t{i}", i, {}, TrialStatus.COMPLETED, metrics={METRIC: tuple(bank.full_curve(i))})
        for i in range(n_trials)
    ]  # fmt: skip
    report = replay(trials, ASHAPolicy(max_resource=EPOCHS), METRIC, Goal.MAXIMIZE)
    fig = plot_replay(report)
    fig.axes[0].set_ylim(0.5, 1.0)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return report.summary


# -- the real engine, for a check -----------------------------------------------------------------


def engine_objective(seed: int, config: int) -> None:
    from hyperwidget import log

    for value in train_epochs(seed, config):
        log(METRIC, value)


def simulate_stops(method: Any, bank: CurveBank, n_trials: int) -> dict[int, int]:
    """config index -> stop epoch when ``method`` runs exactly the first ``n_trials`` configs."""
    method.start(bank.seed)
    stops = {}
    for index in range(n_trials):
        method.new_trial(index)
        stopped = False
        for epoch in range(1, EPOCHS + 1):
            stopped = method.report(epoch, bank.get(index, epoch)[0])
            if stopped:
                stops[index] = epoch
                break
        method.finish(stopped)
    return stops


def engine_check(seed: int, n_trials: int) -> list[str]:
    """Run ASHA and Bandit through ``run_sweep`` (sequential) and compare the stops with the simulation."""
    from hyperwidget import run_sweep
    from hyperwidget.samplers import GridParameterSampling
    from hyperwidget.space import choice

    lines = []
    for method in methods()[1:]:
        if not method.label.startswith(("Bandit", "ASHA(1..")):
            continue
        space = {"seed": seed, "config": choice(list(range(n_trials)))}
        start = time.perf_counter()
        run = run_sweep(
            engine_objective, space, metric=METRIC, goal="maximize", sampler=GridParameterSampling(space),
            policy=method.make(), max_total_runs=n_trials, backend="sequential", storage=None,
        )  # fmt: skip
        wall = time.perf_counter() - start
        engine_stops = {
            int(t.params["config"]): len(t.series(METRIC)) for t in run.trials if t.status is TrialStatus.STOPPED_EARLY
        }
        sim_stops = simulate_stops(method, CurveBank(seed), n_trials)
        same = "identical" if engine_stops == sim_stops else f"DIFFERENT: {engine_stops} vs {sim_stops}"
        epochs = sum(len(t.series(METRIC)) for t in run.trials)
        lines.append(
            f"- {method.label}: engine stopped {len(engine_stops)}/{n_trials} trials, {epochs} epochs, "
            f"{wall:.1f} s wall; stops vs simulation: {same}"
        )
    return lines


# -- main -----------------------------------------------------------------------------------------


def run_seed(seed: int, args: Any) -> tuple[list[Outcome], CurveBank]:
    """Every method on one seed's curves; the bank comes back for the replay figure."""
    started = time.perf_counter()
    bank = CurveBank(seed)
    target = max(max(bank.full_curve(i)) for i in range(args.trials))
    outcomes = [run_method(method, bank, target, args.trials, args.budget) for method in methods()]
    trained = sum(len(v) for v in bank.values.values())
    print(f"seed {seed}: reference {target:.4f}, {len(bank.values)} configs / {trained} epochs trained, "
          f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    return outcomes, bank


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=200, help="number of seeds (default 200)")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds are first-seed, first-seed + 1, ...")
    parser.add_argument("--trials", type=int, default=40, help="configs of the full-training sweep (default 40)")
    parser.add_argument("--budget", type=int, default=300, help="fixed epoch budget (default 300 = 10 full trainings)")
    parser.add_argument("--quick", action="store_true", help="3 seeds, 12 trials, budget 120: a smoke run")
    parser.add_argument("--no-engine-check", action="store_true", help="skip the run through the real engine")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="seeds run in parallel processes (default: one per CPU)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.trials, args.budget = 3, 12, 120
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    labels = [m.label for m in methods()]
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:  # fork: this script's functions as they are
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        per_seed = pool.starmap(run_seed, [(seed, args) for seed in seeds], chunksize=1)
    outcomes = [o for seed_outcomes, _ in per_seed for o in seed_outcomes]
    rows = summarise(outcomes, labels)
    plot_outcomes(outcomes, labels, args.budget, args.out / "early_termination.png")
    replay_summary = plot_example_replay(per_seed[0][1], args.trials, args.out / "early_termination_replay.png")
    checks = [] if args.no_engine_check else engine_check(args.first_seed, args.trials)
    write_report(args, rows, outcomes, labels, replay_summary, checks, time.perf_counter() - started)
    raw = [dataclasses.asdict(o) | {"stops": {str(k): v for k, v in o.stops.items()}} for o in outcomes]
    (args.out / "early_termination_outcomes.json").write_text("[\n" + ",\n".join(map(json.dumps, raw)) + "\n]\n")
    print(markdown_table(rows))
    print("\n".join(checks))


def bootstrap_ratio(outcomes: list[Outcome], method: str, base: str, draws: int = 2000) -> tuple[float, float]:
    """95 % interval of median(method) / median(base) epochs to target, resampling seeds (paired)."""
    seeds = sorted({o.seed for o in outcomes})
    mine = {o.seed: o.epochs_to_target for o in outcomes if o.method == method}
    theirs = {o.seed: o.epochs_to_target for o in outcomes if o.method == base}
    rng = np.random.default_rng(0)
    ratios = []
    for _ in range(draws):
        sample = rng.choice(seeds, size=len(seeds))
        ratios.append(np.median([mine[s] for s in sample]) / np.median([theirs[s] for s in sample]))
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(low), float(high)


def targets(rows: list[dict[str, Any]], outcomes: list[Outcome]) -> list[str]:
    by = {r["method"]: r for r in rows}
    none, asha = by["no termination"], by["ASHA(1..30, eta=3)"]
    optuna = min((r for r in rows if r["method"].startswith("optuna")), key=lambda r: r["median epochs to target"])
    mean_ratio = asha["mean epochs to target (reached)"] / none["mean epochs to target (reached)"]
    third = asha["median epochs to target"] <= none["median epochs to target"] / 3
    vs_optuna = asha["median epochs to target"] <= optuna["median epochs to target"]
    low, high = bootstrap_ratio(outcomes, asha["method"], none["method"])
    return [
        f"- ASHA median epochs to target {asha['median epochs to target']:.0f} vs no termination "
        f"{none['median epochs to target']:.0f} (a third: {none['median epochs to target'] / 3:.0f}): "
        f"{'MET' if third else 'NOT MET'}; reached in {asha['reached']} seeds; ratio of the medians "
        f"{asha['median epochs to target'] / none['median epochs to target']:.2f}, of the means {mean_ratio:.2f}, "
        f"median of the per-seed ratios {asha['median epochs ratio to none']:.2f}; ratio of the medians, 95 % "
        f"bootstrap interval over seeds: {low:.2f}..{high:.2f}.",
        f"- vs Optuna's best pruner here ({optuna['method']}, median {optuna['median epochs to target']:.0f}): "
        f"{'MET' if vs_optuna else 'NOT MET'}.",
    ]


def see_also(out: Path) -> str:
    """Links to other runs of this benchmark stored in sub-directories of ``out``."""
    others = sorted(p.parent.name for p in out.glob("*/early_termination.md"))
    if not others:
        return ""
    links = "\n".join(f"- [{name}]({name}/early_termination.md)" for name in others)
    return f"\n## Other runs of this benchmark\n\n{links}\n"


def per_seed_table(outcomes: list[Outcome], labels: list[str]) -> str:
    """Epochs to target, a row per seed and a column per method."""
    by = {(o.seed, o.method): o.epochs_to_target for o in outcomes}
    seeds = sorted({o.seed for o in outcomes})
    lines = ["| seed | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    lines += [f"| {s} | " + " | ".join(f"{by[s, label]:.0f}" for label in labels) + " |" for s in seeds]
    return "\n".join(lines)


def write_report(
    args: Any,
    rows: list[dict[str, Any]],
    outcomes: list[Outcome],
    labels: list[str],
    replay_summary: dict[str, Any],
    checks: list[str],
    wall: float,
) -> None:
    text = f"""# Early-termination benchmark

`python3 benchmarks/early_termination.py --seeds {args.seeds} --first-seed {args.first_seed} --trials {args.trials} --budget {args.budget} --jobs {args.jobs}`
({wall:.0f} s wall on a shared 2-core machine, {args.jobs} seed(s) at a time).

**Task.** `MLPClassifier(solver="sgd")` trained epoch by epoch with `partial_fit` on scikit-learn's bundled
digits (70/30 stratified split per seed), validation accuracy logged after each of {EPOCHS} epochs. Random search
over learning_rate_init (log 1e-4..0.32), alpha (log 1e-6..0.1), hidden units (16..128), batch size (32..256),
momentum (0.5..0.99); the configuration stream is the same for every method of a seed.

**How it runs.** Each configuration's learning curve is trained once per seed (lazily, only as far as some method
asked) and every method is driven over the same curves epoch by epoch, one trial after another: our policies
through `policy.on_report` as the engine calls it, Optuna's pruners through `study.ask` / `trial.report` /
`trial.should_prune` / `study.tell`. Wall time is the measured training+scoring time of the epochs a method used
plus its own decision time. The **reference** is the best accuracy full training reaches over the first
{args.trials} configurations; a method that stops trials goes on sampling new configurations until it logs an
accuracy within 0.5 % (relative) of the reference, or has spent the {args.trials * EPOCHS} epochs of the full sweep
(then "not reached", counted as inf). "Budget" = best accuracy logged within the first {args.budget} epochs.

## Results over {args.seeds} seeds ({args.first_seed}..{args.first_seed + args.seeds - 1})

{markdown_table(rows)}

![epochs to target and best accuracy at budget](early_termination.png)

### Targets

{chr(10).join(targets(rows, outcomes))}

### Epochs to target per seed

{per_seed_table(outcomes, labels)}

## What-if replay (seed {args.first_seed})

ASHA replayed over the no-termination sweep of seed {args.first_seed} (`hyperwidget.policies.replay` + `plot_replay`):
stops {replay_summary["stopped"]}/{replay_summary["trials"]} trials, saves
{replay_summary["compute_saved_fraction"]:.1%} of the epochs;
best trial survives: {replay_summary["best_trial_survived"]}
(best kept {replay_summary["best_value_kept"]:.4f} vs recorded {replay_summary["best_value_recorded"]:.4f}).

![replay](early_termination_replay.png)

## Check through the real engine (seed {args.first_seed}, first {args.trials} configurations, `backend="sequential"`)

{chr(10).join(checks) if checks else "(skipped)"}
{see_also(args.out)}"""  # noqa: E501 - the command line is one line of markdown
    (args.out / "early_termination.md").write_text(text)


if __name__ == "__main__":
    main()
