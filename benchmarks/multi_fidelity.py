"""Multi-fidelity benchmark: model-based search with early termination, the sampler and the policy together.

Two tasks, each logging a validation accuracy after every one of 30 resource steps:

1. ``mlp``: the learning-curve task of ``benchmarks/early_termination.py`` (its code is imported):
   ``MLPClassifier(solver="sgd")`` trained epoch by epoch with ``partial_fit`` on digits;
2. ``gbm``: ``HistGradientBoostingClassifier(warm_start=True)`` grown by 5 boosting rounds per step
   (150 rounds in all) on a ``make_classification`` problem drawn per seed: another model family,
   another curve shape (fast rise, noisy plateau, overfitting for large learning rates).

Each method proposes its own configurations and stops them with its own policy, one trial after
another (one worker), as ``early_termination.py`` drives policies: our samplers through
``sampler.suggest(history, ...)`` and our policies through ``policy.on_report`` exactly as the engine
calls them; Optuna through ``study.ask`` / ``trial.report`` / ``trial.should_prune`` / ``study.tell``;
Syne Tune's BOHB through its scheduler's ``suggest`` / ``on_trial_result`` / ``on_trial_complete``.
A configuration's curve is trained once per seed, lazily (methods proposing the same configuration
share it). The reference of a seed is the best accuracy that full training reaches over the first
``--trials`` configurations of a random stream (for ``mlp`` the stream of ``early_termination.py``);
a method's score is the number of resource steps (epochs) it trained until it logged an accuracy
within 0.5 % (relative) of the reference, capped at ``--trials * 30`` steps ("not reached" = inf).

Halves, fixed before any tuning: the **tuning half** is task ``mlp`` on seeds ``0 .. S/2 - 1``;
the **held-out half** is ``mlp`` on seeds ``S/2 .. S - 1`` and every seed of ``gbm`` (never tuned on).

Run: ``nice -n 10 python3 benchmarks/multi_fidelity.py`` (``--quick`` for a smoke run). Syne Tune's
rows need ``syne-tune`` importable (see the results file for how it was installed); without it they
are left out and said so. Writes ``benchmarks/results/multi_fidelity.md`` (and ``.jsonl`` raw outcomes).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib.util
import json
import math
import multiprocessing
import os
import shlex
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from early_termination import (
    EPOCHS,
    METRIC,
    TOLERANCE,
    OptunaPruner,
    OurPolicy,
    load_split,
    make_model,
    sample_config,
)

from hyperwidget.config import fidelity_of
from hyperwidget.policies import ASHAPolicy, EarlyTerminationPolicy
from hyperwidget.samplers import BayesianParameterSampling, RandomParameterSampling, Sampler
from hyperwidget.space import choice, log_uniform, uniform
from hyperwidget.trial import Goal, SearchTask, TrialRecord, TrialStatus

RESULTS = Path(__file__).resolve().parent / "results"
STEPS = EPOCHS  # resource steps per full training, both tasks
GBM_ROUNDS_PER_STEP = 5

# -- the tasks ------------------------------------------------------------------------------------

#: (name, kind, arguments): kind "log" / "float" (bounds) or "choice" (options).
Param = tuple[str, str, tuple[Any, ...]]

MLP_PARAMS: list[Param] = [
    ("learning_rate_init", "log", (1e-4, 10**-0.5)),
    ("alpha", "log", (1e-6, 1e-1)),
    ("hidden", "choice", (16, 32, 64, 128)),
    ("batch_size", "choice", (32, 64, 128, 256)),
    ("momentum", "float", (0.5, 0.99)),
]
GBM_PARAMS: list[Param] = [
    ("learning_rate", "log", (0.01, 1.0)),
    ("max_leaf_nodes", "choice", (4, 8, 16, 32, 64)),
    ("min_samples_leaf", "choice", (2, 5, 10, 20, 50, 100)),
    ("l2_regularization", "log", (1e-4, 10.0)),
    ("max_features", "float", (0.2, 1.0)),
]


def mlp_curve(seed: int, config: dict[str, Any]) -> Iterator[float]:
    """Validation accuracy after each epoch (early_termination's model and split; one random_state per seed)."""
    xtr, xva, ytr, yva = load_split(seed)
    model = make_model(config, random_state=seed)
    classes = np.unique(ytr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(STEPS):
            model.partial_fit(xtr, ytr, classes=classes)
            yield float(model.score(xva, yva))


def gbm_split(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A 2000-sample, 20-feature classification problem of the seed, 70/30 stratified split."""
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    x, y = make_classification(
        n_samples=2000, n_features=20, n_informative=10, n_redundant=4, flip_y=0.03, class_sep=0.8,
        random_state=seed,
    )  # fmt: skip
    return train_test_split(x, y, test_size=0.3, random_state=seed, stratify=y)


def gbm_curve(seed: int, config: dict[str, Any]) -> Iterator[float]:
    """Validation accuracy after every ``GBM_ROUNDS_PER_STEP`` boosting rounds (warm start)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    xtr, xva, ytr, yva = gbm_split(seed)
    model = HistGradientBoostingClassifier(
        **config, max_iter=GBM_ROUNDS_PER_STEP, warm_start=True, early_stopping=False, random_state=seed
    )
    for step in range(1, STEPS + 1):
        model.max_iter = GBM_ROUNDS_PER_STEP * step
        model.fit(xtr, ytr)
        yield float(model.score(xva, yva))


def random_config(params: list[Param], seed: int, index: int) -> dict[str, Any]:
    """Configuration ``index`` of a seed's random stream over ``params``."""
    rng = np.random.default_rng([seed, index, 7])
    config: dict[str, Any] = {}
    for name, kind, args in params:
        if kind == "log":
            config[name] = float(math.exp(rng.uniform(math.log(args[0]), math.log(args[1]))))
        elif kind == "float":
            config[name] = float(rng.uniform(*args))
        else:
            config[name] = args[int(rng.integers(len(args)))]
    return config


@dataclasses.dataclass(frozen=True)
class Task:
    """A multi-fidelity task: its parameters, its curves and its reference stream."""

    name: str
    params: list[Param]
    curve: Callable[[int, dict[str, Any]], Iterator[float]]
    reference_config: Callable[[int, int], dict[str, Any]]


TASKS = {
    "mlp": Task("mlp", MLP_PARAMS, mlp_curve, sample_config),
    "gbm": Task("gbm", GBM_PARAMS, gbm_curve, lambda seed, i: random_config(GBM_PARAMS, seed, i)),
}


def hw_space(params: list[Param]) -> dict[str, Any]:
    make = {"log": lambda a: log_uniform(*a), "float": lambda a: uniform(*a), "choice": lambda a: choice(*a)}
    return {name: make[kind](args) for name, kind, args in params}


class CurveBank:
    """The curves of one (task, seed), trained lazily step by step and shared by every method."""

    def __init__(self, task: Task, seed: int) -> None:
        self.task, self.seed = task, seed
        self._runs: dict[tuple[Any, ...], Iterator[float]] = {}
        self.values: dict[tuple[Any, ...], list[float]] = {}
        self.cpu = 0.0

    def get(self, config: dict[str, Any], step: int) -> float:
        key = tuple(sorted(config.items()))
        values = self.values.setdefault(key, [])
        if len(values) < step and key not in self._runs:
            self._runs[key] = self.task.curve(self.seed, dict(config))
        start = time.process_time()
        while len(values) < step:
            values.append(next(self._runs[key]))
        self.cpu += time.process_time() - start
        if len(values) == STEPS:
            self._runs.pop(key, None)
        return values[step - 1]

    def full_curve(self, config: dict[str, Any]) -> list[float]:
        self.get(config, STEPS)
        return self.values[tuple(sorted(config.items()))]


# -- the methods ----------------------------------------------------------------------------------


class HwMethod(OurPolicy):
    """A hyperwidget sampler and policy, driven as the engine drives them (sequential backend); values and stops
    go through :class:`early_termination.OurPolicy`'s ``report`` and ``finish``."""

    def __init__(
        self, label: str, sampler: Callable[[dict[str, Any], int], Sampler], multi_fidelity: bool, mode: str = ""
    ) -> None:
        self.label, self.make_sampler, self.multi_fidelity, self.mode = label, sampler, multi_fidelity, mode

    def start(self, task: Task, seed: int) -> None:
        self.policy: EarlyTerminationPolicy = ASHAPolicy(max_resource=STEPS, min_resource=1, reduction_factor=3)
        self.sampler = self.make_sampler(hw_space(task.params), seed)
        fidelity = fidelity_of(self.policy) if self.multi_fidelity else None
        # The engine's call (SweepEngine.__init__): without fidelity this is main's single-fidelity model.
        self.sampler.set_task(SearchTask(objectives=((METRIC, Goal.MAXIMIZE),), fidelity=fidelity))
        if self.mode:
            self.sampler._fidelity_mode = self.mode  # type: ignore[attr-defined]
        self.records: list[TrialRecord] = []

    def propose(self, index: int) -> dict[str, Any]:
        params = self.sampler.suggest(self.records, METRIC, Goal.MAXIMIZE)
        assert params is not None
        self.records.append(TrialRecord(id=f"t{index}", index=index, params=params, status=TrialStatus.RUNNING))
        return params


class OptunaMethod(OptunaPruner):
    """Optuna's TPE with a pruner, through ask-and-tell; values and prunes go through
    :class:`early_termination.OptunaPruner`'s ``report`` and ``finish``."""

    def start(self, task: Task, seed: int) -> None:
        import optuna
        from optuna.distributions import CategoricalDistribution, FloatDistribution

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna = optuna
        self.study = optuna.create_study(
            direction="maximize", pruner=self.make(), sampler=optuna.samplers.TPESampler(seed=seed),
            study_name=f"multi-fidelity-{task.name}-{seed}",  # HyperbandPruner picks brackets by hashing it
        )  # fmt: skip
        self.distributions = {
            name: CategoricalDistribution(list(args)) if kind == "choice"
            else FloatDistribution(args[0], args[1], log=kind == "log")
            for name, kind, args in task.params
        }  # fmt: skip

    def propose(self, index: int) -> dict[str, Any]:
        self.trial = self.study.ask(self.distributions)
        self.last = math.nan
        return dict(self.trial.params)


class SyneTuneMethod:
    """A Syne Tune scheduler (BOHB) driven through suggest / on_trial_result / on_trial_complete."""

    def __init__(self, label: str, name: str) -> None:
        self.label, self.name = label, name

    def start(self, task: Task, seed: int) -> None:
        from syne_tune.config_space import choice as st_choice
        from syne_tune.config_space import loguniform as st_log
        from syne_tune.config_space import uniform as st_uniform
        from syne_tune.optimizer import baselines

        make = {"log": lambda a: st_log(*a), "float": lambda a: st_uniform(*a), "choice": lambda a: st_choice(list(a))}
        space = {name: make[kind](args) for name, kind, args in task.params}
        self.scheduler = getattr(baselines, self.name)(
            space, metric=METRIC, time_attr="epoch", max_t=STEPS, do_minimize=False, random_seed=seed,
            grace_period=1, reduction_factor=3,
        )  # fmt: skip

    def propose(self, index: int) -> dict[str, Any]:
        from syne_tune.backend.trial_status import Trial

        suggestion = self.scheduler.suggest()
        config = {k: v for k, v in suggestion.config.items() if k != "epoch"}
        self.trial = Trial(trial_id=index, config=dict(suggestion.config), creation_time=datetime.datetime.now())
        self.scheduler.on_trial_add(self.trial)
        self.result: dict[str, Any] = {}
        return config

    def report(self, step: int, value: float) -> bool:
        self.result = {METRIC: value, "epoch": step}
        decision = self.scheduler.on_trial_result(self.trial, self.result)
        return decision == "STOP" and step < STEPS

    def finish(self, stopped: bool) -> None:
        if not stopped:
            self.scheduler.on_trial_complete(self.trial, self.result)


def syne_tune_available() -> bool:
    return importlib.util.find_spec("syne_tune") is not None


def methods() -> list[Any]:
    import optuna.pruners as p

    mf = "hw bayesian multi-fidelity + ASHA"
    rows: list[Any] = [
        HwMethod("hw random + ASHA", lambda space, seed: RandomParameterSampling(space, seed=seed), False),
        HwMethod("hw bayesian + ASHA (main: single-fidelity)", _bayesian, False),
        HwMethod(f"{mf} (highest rung)", _bayesian, True, "highest"),
        HwMethod(f"{mf} (stacked rungs)", _bayesian, True, "stacked"),
        OptunaMethod("optuna TPE + SuccessiveHalving(1, eta=3)", lambda: p.SuccessiveHalvingPruner(1, 3)),
        OptunaMethod("optuna TPE + Hyperband(1..30, eta=3)", lambda: p.HyperbandPruner(1, STEPS, 3)),
    ]
    if syne_tune_available():
        rows.append(SyneTuneMethod(SYNE_TUNE_BOHB, "BOHB"))
    return rows


SYNE_TUNE_BOHB = "syne-tune BOHB (ASHA stopping, eta=3)"


def _bayesian(space: dict[str, Any], seed: int) -> Sampler:
    return BayesianParameterSampling(space, seed=seed)


MF_MODES = {
    "highest": "hw bayesian multi-fidelity + ASHA (highest rung)",
    "stacked": "hw bayesian multi-fidelity + ASHA (stacked rungs)",
}
MAIN_BO = "hw bayesian + ASHA (main: single-fidelity)"
TPE_SHA = "optuna TPE + SuccessiveHalving(1, eta=3)"


# -- one method on one seed -----------------------------------------------------------------------


@dataclasses.dataclass
class Outcome:
    """What one method did on one (task, seed)."""

    task: str
    method: str
    seed: int
    epochs_to_target: float  # inf when not reached within the cap
    configs: int
    decision_cpu: float  # CPU seconds of the method's own proposals and decisions


def run_method(method: Any, bank: CurveBank, target: float, cap_epochs: int, cap_configs: int) -> Outcome:
    """Propose, train step by step, stop as the method says; until the target is logged or a cap is hit."""
    method.start(bank.task, bank.seed)
    epochs, decisions, index = 0, 0.0, 0
    while epochs < cap_epochs and index < cap_configs:
        start = time.process_time()
        config = method.propose(index)
        decisions += time.process_time() - start
        stopped = False
        for step in range(1, STEPS + 1):
            value = bank.get(config, step)
            epochs += 1
            if value >= target * (1 - TOLERANCE):
                return Outcome(bank.task.name, method.label, bank.seed, epochs, index + 1, decisions)
            start = time.process_time()
            stopped = method.report(step, value)
            decisions += time.process_time() - start
            if stopped or epochs >= cap_epochs:
                break
        method.finish(stopped)
        index += 1
    return Outcome(bank.task.name, method.label, bank.seed, math.inf, index, decisions)


def promotion_methods() -> list[tuple[str, Callable[[dict[str, Any], int], Sampler], bool]]:
    """(label, sampler, multi-fidelity) of the rows run with ASHA's promotion variant."""
    random_label, bayesian_label = promotion_labels()
    return [
        (random_label, lambda space, seed: RandomParameterSampling(space, seed=seed), False),
        (bayesian_label, _bayesian, True),
    ]


def promotion_labels() -> list[str]:
    return ["hw random + ASHA promotion", f"hw bayesian multi-fidelity + ASHA promotion ({_MODE})"]


_MODE = BayesianParameterSampling._fidelity_mode


def run_promotion(
    label: str, make: Callable[[dict[str, Any], int], Sampler], multi_fidelity: bool, bank: CurveBank, target: float,
    cap_epochs: int, cap_configs: int,
) -> Outcome:  # fmt: skip
    """A sampler with ASHA's promotion variant, through ``_promotion.simulate_promotion`` (one worker).

    The sampler sees the sweep's history rebuilt from the curves trained so far: a trial trained fully is
    Completed, the others (stopped or paused) are read at their rungs (or by their last value without fidelity).
    """
    from _promotion import simulate_promotion  # type: ignore[import-not-found]

    policy = ASHAPolicy(max_resource=STEPS, min_resource=1, reduction_factor=3, type="promotion")  # type: ignore[call-arg]
    sampler = make(hw_space(bank.task.params), bank.seed)
    sampler.set_task(SearchTask(((METRIC, Goal.MAXIMIZE),), fidelity=fidelity_of(policy) if multi_fidelity else None))
    curves: list[tuple[dict[str, Any], list[float]]] = []
    cpu = [0.0]

    def stream() -> Iterator[int]:
        for index in range(cap_configs):
            history = [
                TrialRecord(f"t{i}", i, params, TrialStatus.COMPLETED if len(v) == STEPS else TrialStatus.STOPPED_EARLY,
                            metrics={METRIC: tuple(v)})
                for i, (params, v) in enumerate(curves)
            ]  # fmt: skip
            start = time.process_time()
            params = sampler.suggest(history, METRIC, Goal.MAXIMIZE)
            cpu[0] += time.process_time() - start
            assert params is not None
            curves.append((params, []))
            yield index

    def train(index: Any, epoch: int) -> float:
        value = bank.get(curves[index][0], epoch)
        curves[index][1].append(value)
        return value

    trace = simulate_promotion(policy, stream(), train, cap_epochs, max_epochs=STEPS)
    hit = next((n for n, v in trace if v >= target * (1 - TOLERANCE)), math.inf)
    return Outcome(bank.task.name, label, bank.seed, hit, len(curves), cpu[0])


def run_seed(task_name: str, seed: int, n_trials: int, labels: list[str] | None) -> list[Outcome]:
    started = time.perf_counter()
    task = TASKS[task_name]
    bank = CurveBank(task, seed)
    target = max(max(bank.full_curve(task.reference_config(seed, i))) for i in range(n_trials))
    chosen = [m for m in methods() if labels is None or m.label in labels]
    outcomes = [run_method(m, bank, target, n_trials * STEPS, 10 * n_trials) for m in chosen]
    outcomes += [
        run_promotion(label, make, mf, bank, target, n_trials * STEPS, 10 * n_trials)
        for label, make, mf in promotion_methods()
        if labels is None or label in labels
    ]
    text = " ".join(f"{o.epochs_to_target:.0f}" for o in outcomes)
    print(f"{task_name} seed {seed}: reference {target:.4f}; epochs {text}; "
          f"{time.perf_counter() - started:.0f} s wall", flush=True)  # fmt: skip
    return outcomes


# -- summary --------------------------------------------------------------------------------------


def summarise(outcomes: list[Outcome], labels: list[str]) -> list[dict[str, Any]]:
    rows = []
    for label in labels:
        mine = [o for o in outcomes if o.method == label]
        if not mine:
            continue
        reached = [o for o in mine if o.epochs_to_target < math.inf]
        rows.append({
            "method": label,
            "reached": f"{len(reached)}/{len(mine)}",
            "median epochs to target": statistics.median(o.epochs_to_target for o in mine),
            "mean epochs (reached)": statistics.fmean(o.epochs_to_target for o in reached) if reached else math.inf,
            "median configs": statistics.median(o.configs for o in mine),
            "decision CPU s/sweep": statistics.fmean(o.decision_cpu for o in mine),
        })  # fmt: skip
    return rows


def markdown_table(rows: list[dict[str, Any]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "inf" if math.isinf(v) else f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"
        return str(v)

    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(r[k]) for k in head) + " |" for r in rows]
    return "\n".join(lines)


def bootstrap_ratio(outcomes: list[Outcome], method: str, base: str, draws: int = 2000) -> tuple[float, float]:
    """95 % interval of median(method) / median(base) epochs to target, resampling seeds (paired)."""
    mine = {o.seed: o.epochs_to_target for o in outcomes if o.method == method}
    theirs = {o.seed: o.epochs_to_target for o in outcomes if o.method == base}
    seeds = sorted(mine.keys() & theirs.keys())
    rng = np.random.default_rng(0)
    ratios = []
    for _ in range(draws):
        sample = rng.choice(seeds, size=len(seeds))
        ratios.append(np.median([mine[s] for s in sample]) / np.median([theirs[s] for s in sample]))
    low, high = np.quantile(ratios, [0.025, 0.975], method="nearest")  # no interpolation: inf stays inf
    return float(low), float(high)


def target_lines(outcomes: list[Outcome], method: str) -> list[str]:
    """The issue's targets: median epochs to target <= 0.7 x TPE+SHA's and <= 0.7 x main's Bayesian+ASHA's."""
    rows = {r["method"]: r for r in summarise(outcomes, [method, TPE_SHA, MAIN_BO])}
    if method not in rows:
        return ["- (method not run)"]
    lines = []
    mine = rows[method]
    for base in (TPE_SHA, MAIN_BO):
        if base not in rows:
            lines.append(f"- vs {base}: not run")
            continue
        theirs = rows[base]
        ratio = mine["median epochs to target"] / theirs["median epochs to target"]
        low, high = bootstrap_ratio(outcomes, method, base)
        lines.append(
            f"- vs {base}: median {mine['median epochs to target']:.1f} vs {theirs['median epochs to target']:.1f} "
            f"epochs (reached {mine['reached']} vs {theirs['reached']}), ratio of medians {ratio:.2f} "
            f"(95 % bootstrap over seeds {low:.2f}..{high:.2f}), target <= 0.70: {'MET' if ratio <= 0.7 else 'NOT MET'}"
        )
    return lines


def choose_mode(tuning: list[Outcome]) -> tuple[str, str]:
    """The rung mode with the lower median epochs to target on the tuning half (ties: "highest"), and its label."""
    medians = {
        mode: statistics.median([o.epochs_to_target for o in tuning if o.method == label] or [math.inf])
        for mode, label in MF_MODES.items()
    }
    mode = "stacked" if medians["stacked"] < medians["highest"] else "highest"
    return mode, MF_MODES[mode]


def per_seed_table(outcomes: list[Outcome], labels: list[str]) -> str:
    """Epochs to target, a row per (task, seed) and a column per method (numbered as in the tables above)."""
    by = {(o.task, o.seed, o.method): o.epochs_to_target for o in outcomes}
    units = sorted({(o.task, o.seed) for o in outcomes}, key=lambda u: (u[0] != "mlp", u[1]))
    lines = ["| task | seed | " + " | ".join(f"({i + 1})" for i in range(len(labels))) + " |"]
    lines.append("|---|---|" + "---:|" * len(labels))
    for task, seed in units:
        cells = [f"{by[task, seed, label]:.0f}" if (task, seed, label) in by else "" for label in labels]
        lines.append(f"| {task} | {seed} | " + " | ".join(cells) + " |")
    legend = "; ".join(f"({i + 1}) {label}" for i, label in enumerate(labels))
    return "\n".join(lines) + f"\n\n{legend}."


def promotion_note(outcomes: list[Outcome]) -> str:
    if any(o.method in promotion_labels() for o in outcomes):
        return (
            'The rows `... + ASHA promotion` above run ASHA\'s promotion variant (`type="promotion"`, pause/resume) '
            "through `benchmarks/_promotion.simulate_promotion`, the sampler seeing the history rebuilt from the "
            "curves trained so far. `simulate_promotion` runs to the cap whatever the target, so in these rows "
            "'median configs' and 'decision CPU' cover the whole capped run, not the run up to the target."
        )
    return (
        "Not run here: pass `--methods` with the `... + ASHA promotion` labels to add the rows of ASHA's promotion "
        "variant (`benchmarks/_promotion.py`)."
    )


def write_report(args: Any, outcomes: list[Outcome], labels: list[str], runs: list[dict[str, Any]]) -> str:
    # The halves follow the seeds stored (the first run's --seeds): a later --append run cannot move them.
    n_mlp = 1 + max((o.seed for o in outcomes if o.task == "mlp"), default=-1)
    n_gbm = 1 + max((o.seed for o in outcomes if o.task == "gbm"), default=-1)
    half = n_mlp // 2
    tuning = [o for o in outcomes if o.task == "mlp" and o.seed < half]
    held_mlp = [o for o in outcomes if o.task == "mlp" and o.seed >= half]
    held_gbm = [o for o in outcomes if o.task == "gbm"]
    st = "installed" if any(o.method.startswith("syne-tune") for o in outcomes) else "NOT installed: rows left out"
    mode, chosen = choose_mode(tuning)
    commands = "\n".join(
        f"- `{r['command']}`: {r['wall']:.0f} s wall, {r['cpu']:.0f} s CPU (all processes)" for r in runs
    )
    sections = []
    for title, part in (
        (f"Tuning half: task mlp, seeds 0..{half - 1}", tuning),
        (f"Held-out half: task mlp, seeds {half}..{n_mlp - 1}", held_mlp),
        (f"Held-out half: task gbm, seeds 0..{n_gbm - 1} (never tuned on)", held_gbm),
    ):
        if not part:
            continue
        sections.append(
            f"### {title}\n\n{markdown_table(summarise(part, labels))}\n\n**Targets** ({chosen}):\n\n"
            + "\n".join(target_lines(part, chosen))
            + "".join(
                f"\n\n**Targets** ({label}):\n\n" + "\n".join(target_lines(part, label))
                for label in promotion_labels()[1:]
                if any(o.method == label for o in part)
            )
        )
    body = "\n\n".join(sections)
    text = f"""# Multi-fidelity benchmark: model-based search with early termination

{commands}

(on a shared, heavily loaded 2-core machine; syne-tune {st}).

**Tasks.** `mlp`: the learning-curve task of `early_termination.py` (MLP on digits, `partial_fit`, 30 epochs).
`gbm`: `HistGradientBoostingClassifier(warm_start=True)`, 5 boosting rounds per step, 30 steps, on a
`make_classification` problem (2000 samples, 20 features) drawn per seed; learning rate, leaves, min samples per
leaf, L2, feature fraction. Both log validation accuracy after every step.

**Protocol.** Sequential, one worker; every method proposes its own configurations and stops them with its
own policy, driven through its library's interfaces (ours as the engine calls them). Score: the resource steps
("epochs") trained until an accuracy within {TOLERANCE:.1%} (relative) of the reference is logged; the reference
is the best accuracy of full training over the first {args.trials} configurations of a random stream; capped at
{args.trials * STEPS} steps or {10 * args.trials} configurations (inf = not reached). Every hyperwidget method uses
`ASHAPolicy(max_resource=30, min_resource=1, reduction_factor=3)`; the single-fidelity Bayesian row is the sampler
without a fidelity in its task, i.e. main's code path. Decision CPU = CPU seconds of proposals and stop decisions.

**Halves** (fixed before tuning): tuning = `mlp` seeds 0..{half - 1}; held-out = `mlp` seeds {half}..{n_mlp - 1}
and all of `gbm`. The only choice made on the tuning half is the rung mode: the one with the lower median epochs to
target there (ties: "highest"), here **{mode}**, which is the sampler's default.

## Results

{body}

### Epochs to target per seed

{per_seed_table(outcomes, labels)}

### Syne Tune

syne-tune 0.16.0 requires xgboost (and with it nvidia-nccl-cu12, 350 MB), so it was kept out of the shared venv:
`python -m venv /work/venv-st`, a `.pth` file there adding `/work/venv`'s site-packages, then
`/work/venv-st/bin/pip install syne-tune==0.16.0 autograd` (`pip check`: only torch's pre-existing setuptools
complaint); the benchmark ran with `/work/venv-st/bin/python`. Syne Tune 0.16.0's baselines have BOHB but no
Hyper-Tune (its multi-fidelity model-based ones are BOHB, ASHABORE and ASHACQR), so only BOHB is compared.

### ASHA promotion variant

{promotion_note(outcomes)}
"""
    (args.out / "multi_fidelity.md").write_text(text)
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=16, help="seeds of task mlp (first half tunes)")
    parser.add_argument("--gbm-seeds", type=int, default=8, help="seeds of task gbm (all held out)")
    parser.add_argument("--trials", type=int, default=40, help="configs of the reference sweep (default 40)")
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--methods", nargs="*", help="only these method labels")
    parser.add_argument("--quick", action="store_true", help="2 + 1 seeds, 12 trials: a smoke run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--append", action="store_true", help="add these outcomes to the stored ones")
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from the stored outcomes")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.gbm_seeds, args.trials = 2, 1, 12
    args.out.mkdir(parents=True, exist_ok=True)
    outcomes_path, runs_path = args.out / "multi_fidelity.jsonl", args.out / "multi_fidelity_runs.json"
    stored = [Outcome(**json.loads(line)) for line in outcomes_path.read_text().splitlines()] if (
        args.append or args.report_only
    ) else []  # fmt: skip
    runs = json.loads(runs_path.read_text()) if (args.append or args.report_only) and runs_path.exists() else []
    if not args.report_only:
        units = [("mlp", s) for s in range(args.seeds)] + [("gbm", s) for s in range(args.gbm_seeds)]
        started, cpu0 = time.perf_counter(), _children_cpu()
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            per_unit = pool.starmap(run_seed, [(t, s, args.trials, args.methods) for t, s in units], chunksize=1)
        stored += [o for unit in per_unit for o in unit]
        command = "nice -n 10 python3 benchmarks/multi_fidelity.py " + shlex.join(
            sys.argv[1:] if argv is None else argv
        )
        runs.append({"command": command, "wall": time.perf_counter() - started,
                     "cpu": _children_cpu() - cpu0 + time.process_time()})  # fmt: skip
        outcomes_path.write_text("".join(json.dumps(dataclasses.asdict(o)) + "\n" for o in stored))
        runs_path.write_text(json.dumps(runs, indent=1) + "\n")
    everything = [m.label for m in methods() if m.label != SYNE_TUNE_BOHB] + [SYNE_TUNE_BOHB, *promotion_labels()]
    labels = [label for label in everything if any(o.method == label for o in stored)]
    print(write_report(args, stored, labels, runs))


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
