"""BayesianParameterSampling: search quality, every expression type, determinism, concurrency, failures."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest
from scipy.stats import binomtest, skew

from hyperwidget.errors import SweepConfigError
from hyperwidget.samplers import BayesianParameterSampling, RandomParameterSampling, sampler_from_json
from hyperwidget.space import (
    SearchSpace,
    choice,
    intrange,
    log_randint,
    lognormal,
    loguniform,
    normal,
    qlognormal,
    qloguniform,
    qnormal,
    quniform,
    randint,
    uniform,
)
from hyperwidget.trial import Constraint, Goal, SearchTask, TrialRecord, TrialStatus

Loss = Callable[[Mapping[str, Any]], float]


def record(
    i: int, params: Mapping[str, Any], value: float | None, status: TrialStatus = TrialStatus.COMPLETED
) -> TrialRecord:
    metrics = {} if value is None else {"loss": (value,)}
    return TrialRecord(id=f"t{i}", index=i, params=dict(params), status=status, metrics=metrics)


def run(sampler: Any, loss: Loss, evals: int) -> list[TrialRecord]:
    """The engine's sequential loop, without the engine."""
    history: list[TrialRecord] = []
    for i in range(evals):
        params = sampler.suggest(history, "loss", Goal.MINIMIZE)
        history.append(record(i, params, loss(params)))
    return history


def best(history: list[TrialRecord]) -> float:
    return min(r.last("loss") for r in history)


# -- search quality ---------------------------------------------------------------------------------
def _sphere(p: Mapping[str, Any]) -> float:
    return (p["a"] - 1.3) ** 2 + (p["b"] + 2.1) ** 2 + (p["c"] - 0.4) ** 2


def _branin(p: Mapping[str, Any]) -> float:
    x1, x2 = p["x1"], p["x2"]
    return (
        (x2 - 5.1 / (4 * math.pi**2) * x1**2 + 5 / math.pi * x1 - 6) ** 2
        + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1)
        + 10
    )


def _log_int(p: Mapping[str, Any]) -> float:
    return (math.log10(p["lr"]) + 2.5) ** 2 + ((p["units"] - 37) / 20) ** 2


PROBLEMS = [
    ({"a": uniform(-5, 5), "b": uniform(-5, 5), "c": uniform(-5, 5)}, _sphere),
    ({"x1": uniform(-5, 10), "x2": uniform(0, 15)}, _branin),
    ({"lr": loguniform(math.log(1e-5), 0.0), "units": quniform(1, 100, 1)}, _log_int),
]


def test_beats_random_search_on_cheap_functions_over_seeds() -> None:
    wins = trials = 0
    for space, loss in PROBLEMS:
        for seed in range(4):
            bayes = best(run(BayesianParameterSampling(space, seed=seed), loss, 20))
            rand = best(run(RandomParameterSampling(space, seed=seed), loss, 20))
            wins += bayes < rand
            trials += 1
    # One-sided sign test over 12 paired runs: p < 0.02 needs at least 10 wins.
    assert binomtest(wins, trials, 0.5, alternative="greater").pvalue < 0.02, f"{wins}/{trials} wins"


# -- every expression type ------------------------------------------------------------------------
ALL_TYPES = {
    "choice": choice("relu", "tanh", "gelu"),
    "ordered": choice(16, 32, 64, 128),
    "randint": randint(5),
    "uniform": uniform(-1.0, 2.0),
    "quniform": quniform(0, 10, 2),
    "loguniform": loguniform(-4.6, 0.0),
    "qloguniform": qloguniform(0.0, 4.0, 5),
    "normal": normal(1.0, 2.0),
    "qnormal": qnormal(0.0, 3.0, 1),
    "lognormal": lognormal(0.0, 1.0),
    "qlognormal": qlognormal(1.0, 0.5, 1),
    "log_randint": log_randint(8, 512),  # natural-bound types take the tabulated snapping path
    "intrange": intrange(1, 6),
    "epochs": 3,
}


def _valid(name: str, value: Any) -> bool:
    expr = ALL_TYPES[name]
    if name in ("choice", "ordered", "randint", "quniform", "qloguniform", "qnormal", "qlognormal"):
        if name in ("qnormal", "qlognormal", "qloguniform", "randint", "ordered") and not isinstance(value, int):
            return False
        if name == "qnormal":
            return True
        if name == "qlognormal":
            return value >= 0
        if name == "qloguniform":
            return value % 5 == 0 and 0 <= value <= round(math.exp(4.0) / 5) * 5
        return value in expr.grid_values()
    if name == "uniform":
        return -1.0 <= value <= 2.0
    if name == "loguniform":
        return math.exp(-4.6) - 1e-12 <= value <= 1.0 + 1e-12
    if name == "normal":
        return math.isfinite(value)
    if name == "lognormal":
        return value > 0
    if name in ("log_randint", "intrange"):
        return isinstance(value, int) and value in expr.grid_values()
    return value == 3


def _mixed_loss(p: Mapping[str, Any]) -> float:
    return (
        (p["choice"] != "gelu")
        + abs(math.log2(p["ordered"]) - 5) / 2
        + (p["randint"] != 3)
        + (p["uniform"] - 0.5) ** 2
        + (p["quniform"] - 6) ** 2 / 20
        + (math.log(p["loguniform"]) + 2) ** 2 / 4
        + abs(p["qloguniform"] - 20) / 50
        + (p["normal"] - 1.5) ** 2 / 8
        + (p["qnormal"] + 1) ** 2 / 8
        + (math.log(p["lognormal"]) - 0.5) ** 2 / 4
        + abs(p["qlognormal"] - 3) / 10
        + abs(math.log(p["log_randint"] / 100)) / 4
        + abs(p["intrange"] - 4) / 5
    )


def test_handles_every_expression_type_and_returns_only_valid_values() -> None:
    history = run(BayesianParameterSampling(ALL_TYPES, seed=1, n_initial=6), _mixed_loss, 30)
    for r in history:
        assert set(r.params) == set(ALL_TYPES)
        for name, value in r.params.items():
            assert _valid(name, value), (name, value)
    # The model phase improves on the initial design in this 11-dimensional mixed space.
    assert best(history[6:]) < min(r.last("loss") for r in history[:6]) - 1.0


def test_learns_categorical_and_integer_dimensions() -> None:
    space = {"act": choice("relu", "tanh", "gelu"), "seed": randint(5), "x": uniform(0, 1), "n": quniform(0, 20, 1)}

    def loss(p: Mapping[str, Any]) -> float:
        return (p["act"] != "gelu") + 0.8 * (p["seed"] != 3) + (p["x"] - 0.3) ** 2 + ((p["n"] - 12) / 10) ** 2

    for seed in range(2):
        late = [r.params for r in run(BayesianParameterSampling(space, seed=seed), loss, 30)[-10:]]
        assert sum(p["act"] == "gelu" for p in late) >= 7, late
        assert sum(p["seed"] == 3 for p in late) >= 7, late


def test_quantized_proposals_are_not_repeated_needlessly() -> None:
    space = {"a": quniform(0, 20, 1), "b": quniform(0, 20, 1)}
    history = run(BayesianParameterSampling(space, seed=0), lambda p: (p["a"] - 7) ** 2 + (p["b"] - 13) ** 2, 30)
    points = [(r.params["a"], r.params["b"]) for r in history]
    assert len(set(points)) >= 25
    assert best(history) == 0


# -- determinism ----------------------------------------------------------------------------------
def test_is_deterministic_for_a_seed() -> None:
    space, loss = PROBLEMS[2]
    first = [r.params for r in run(BayesianParameterSampling(space, seed=7, n_initial=5), loss, 12)]
    second = [r.params for r in run(BayesianParameterSampling(space, seed=7, n_initial=5), loss, 12)]
    other = [r.params for r in run(BayesianParameterSampling(space, seed=8, n_initial=5), loss, 12)]
    assert first == second
    assert first != other


def test_a_proposal_depends_only_on_seed_index_and_history() -> None:
    space, loss = PROBLEMS[0]
    history = run(BayesianParameterSampling(space, seed=4, n_initial=5), loss, 10)
    again = BayesianParameterSampling(space, seed=4, n_initial=5).suggest(history[:8], "loss", Goal.MINIMIZE)
    assert again == history[8].params


# -- acquisition portfolio ------------------------------------------------------------------------
def test_every_third_model_proposal_maximises_the_confidence_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    import hyperwidget.samplers._gp.acquisition as acquisition

    calls: list[float | None] = []
    original = acquisition.optimize_acquisition

    def spy(*args: Any, **kwargs: Any) -> np.ndarray:
        calls.append(kwargs.get("ucb"))
        return original(*args, **kwargs)

    monkeypatch.setattr(acquisition, "optimize_acquisition", spy)
    space, loss = PROBLEMS[1]
    run(BayesianParameterSampling(space, seed=0, n_initial=5), loss, 12)
    # Proposals 5..11 use the model; those with index % 3 == 2 (8 and 11) maximise the bound.
    assert [beta is not None for beta in calls] == [i % 3 == 2 for i in range(5, 12)]
    assert calls[3] is not None and calls[6] is not None and 0 < calls[3] < calls[6]


def test_confidence_bound_trades_mean_for_spread() -> None:
    from hyperwidget.samplers._gp.acquisition import negative_lower_bound, ucb_beta
    from hyperwidget.samplers._gp.gp import GaussianProcess, Hyperparameters

    assert ucb_beta(30, 2) < ucb_beta(60, 2) < ucb_beta(60, 5)
    assert 2.0 < math.sqrt(ucb_beta(30, 2)) < 2.6
    x = np.array([[0.1], [0.2], [0.3]])
    gp = GaussianProcess(x, np.array([0.0, -1.0, 0.0]), np.array([False]), Hyperparameters(np.array([0.2]), 1.0, 1e-6))
    xs = np.array([[0.2], [0.9]])
    mean, var = gp.predict(xs)
    np.testing.assert_allclose(negative_lower_bound(gp, xs, 4.0), 2.0 * np.sqrt(var) - mean)
    # A small beta exploits the known minimum, a large one prefers the unexplored end.
    assert np.argmax(negative_lower_bound(gp, xs, 0.01)) == 0
    assert np.argmax(negative_lower_bound(gp, xs, 9.0)) == 1


def _search_settings(monkeypatch: pytest.MonkeyPatch, dims: int, evals: int) -> list[dict[str, Any]]:
    """The keyword arguments of every acquisition search of a run in ``dims`` dimensions."""
    import hyperwidget.samplers._gp.acquisition as acquisition

    calls: list[dict[str, Any]] = []
    original = acquisition.optimize_acquisition

    def spy(*args: Any, **kwargs: Any) -> np.ndarray:
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(acquisition, "optimize_acquisition", spy)
    space = {f"x{i}": uniform(-1.0, 1.0) for i in range(dims)}
    run(BayesianParameterSampling(space, seed=0, n_initial=5), lambda p: sum(v * v for v in p.values()), evals)
    return calls


def test_from_16_hyperparameters_every_proposal_maximises_log_ei(monkeypatch: pytest.MonkeyPatch) -> None:
    # Proposals 5..8 use the model; in 15 dimensions 5 and 8 maximise the bound, in 16 none does.
    fifteen = _search_settings(monkeypatch, 15, 9)
    assert [c.get("ucb") is not None for c in fifteen] == [True, False, False, True]
    sixteen = _search_settings(monkeypatch, 16, 9)
    assert len(sixteen) == 4 and all(c.get("ucb") is None for c in sixteen)


def test_high_dimensional_proposals_depend_only_on_seed_index_and_history() -> None:
    space = {f"x{i}": uniform(-1.0, 1.0) for i in range(20)}

    def loss(p: Mapping[str, Any]) -> float:
        return sum((v - 0.3) ** 2 for v in p.values())

    history = run(BayesianParameterSampling(space, seed=3, n_initial=5), loss, 9)
    again = BayesianParameterSampling(space, seed=3, n_initial=5).suggest(history[:7], "loss", Goal.MINIMIZE)
    assert again == history[7].params


# -- concurrency ----------------------------------------------------------------------------------
def _unit(space: Mapping[str, Any], params: Mapping[str, Any]) -> np.ndarray:
    return SearchSpace(space).to_unit(params)


def test_running_trials_make_concurrent_proposals_spread_out() -> None:
    space, loss = PROBLEMS[0]
    history = run(BayesianParameterSampling(space, seed=2), loss, 14)
    sampler = BayesianParameterSampling(space, seed=2)
    pending: list[TrialRecord] = []
    for _ in range(4):
        params = sampler.suggest(history + pending, "loss", Goal.MINIMIZE)
        pending.append(record(len(history) + len(pending), params, None, TrialStatus.RUNNING))
    points = np.array([_unit(space, r.params) for r in pending])
    gaps = [np.linalg.norm(points[i] - points[j]) for i in range(4) for j in range(i)]
    assert min(gaps) > 0.05, gaps


@pytest.mark.parametrize("seed", range(6))
def test_a_running_trial_moves_the_proposal_away_from_it(seed: int) -> None:
    """Also once the model is sure of the basin (the believer alone then leaves the peak in place)."""
    space, loss = PROBLEMS[1]
    full = run(BayesianParameterSampling(space, seed=seed), loss, 16)
    for n in (14, 15, 16):  # proposals 15 and 16 maximise log EI, 17 the confidence bound
        history = full[:n]
        sampler = BayesianParameterSampling(space, seed=seed)
        # Same index (same generator) and same finished trials; only the running trial differs.
        placeholder = record(n, {"unrelated": 1}, None, TrialStatus.RUNNING)  # not in the space: ignored
        alone = sampler.suggest([*history, placeholder], "loss", Goal.MINIMIZE)
        running = record(n, alone, None, TrialStatus.RUNNING)
        beside = sampler.suggest([*history, running], "loss", Goal.MINIMIZE)
        assert np.linalg.norm(_unit(space, beside) - _unit(space, alone)) >= 0.1


# -- failures -------------------------------------------------------------------------------------
def test_failed_and_nan_trials_are_tolerated_and_avoided() -> None:
    space = {"x": uniform(0, 1), "y": uniform(0, 1)}
    sampler = BayesianParameterSampling(space, seed=3)
    history: list[TrialRecord] = []
    for i in range(30):
        p = sampler.suggest(history, "loss", Goal.MINIMIZE)
        if p["x"] > 0.6:
            history.append(record(i, p, None, TrialStatus.FAILED))
        elif p["y"] > 0.8:
            history.append(record(i, p, math.nan))
        else:
            history.append(record(i, p, (p["x"] - 0.3) ** 2 + (p["y"] - 0.4) ** 2))
    late = [r for r in history[15:]]
    bad = sum(r.status is TrialStatus.FAILED or math.isnan(r.last("loss")) for r in late)
    assert bad <= 3, bad  # uniform sampling would fail about half of them
    assert (
        min(r.last("loss") for r in history if r.status is TrialStatus.COMPLETED and not math.isnan(r.last("loss")))
        < 0.01
    )


def test_a_history_of_failures_only_still_gives_valid_proposals() -> None:
    space = {"x": uniform(0, 1), "k": choice("a", "b")}
    sampler = BayesianParameterSampling(space, seed=0, n_initial=2)
    history = [
        record(i, SearchSpace(space).sample(np.random.default_rng(i)), None, TrialStatus.CRASHED) for i in range(6)
    ]
    params = sampler.suggest(history, "loss", Goal.MINIMIZE)
    assert 0 <= params["x"] <= 1 and params["k"] in ("a", "b")


def test_training_data_follows_the_documented_rules() -> None:
    space = {"x": uniform(0, 1)}
    sampler = BayesianParameterSampling(space, seed=0)
    history = [
        record(0, {"x": 0.1}, 1.0),
        record(1, {"x": 0.2}, 2.0, TrialStatus.STOPPED_EARLY),
        TrialRecord("t2", 2, {"x": 0.3}, TrialStatus.STOPPED_EARLY, {"loss": (0.5, 3.0)}),
        record(3, {"x": 0.4}, None, TrialStatus.FAILED),
        record(4, {"x": 0.5}, math.nan),
        record(5, {"x": 0.6}, None, TrialStatus.CANCELED),
        record(6, {"x": 0.7}, None, TrialStatus.RUNNING),
        record(7, {"x": 0.8}, None, TrialStatus.QUEUED),
        record(8, {"y": 0.9}, 0.0),  # not in the space: skipped
    ]
    data = sampler._training_data(history, [("loss", Goal.MAXIMIZE)])
    np.testing.assert_allclose(data.x[:, 0], [0.1, 0.2, 0.3])
    np.testing.assert_allclose(data.losses[:, 0], [-1.0, -2.0, -3.0])  # last value, as a loss to minimise
    np.testing.assert_allclose(data.failed[:, 0], [0.4, 0.5])
    np.testing.assert_allclose(data.pending[:, 0], [0.7, 0.8])


# -- warm start -----------------------------------------------------------------------------------
@pytest.mark.parametrize("goal", [Goal.MINIMIZE, Goal.MAXIMIZE])
def test_warm_starts_from_a_resumed_history(goal: Goal) -> None:
    space = {"x": uniform(0, 1), "y": uniform(0, 1), "unused": choice("a", "b")}
    rng = np.random.default_rng(5)
    sign = goal.sign()
    history = []
    for i in range(25):
        p = {"x": float(rng.random()), "y": float(rng.random()), "unused": "a"}
        history.append(record(i, p, sign * ((p["x"] - 0.3) ** 2 + (p["y"] - 0.7) ** 2)))
    history.append(record(25, {"x": 0.3, "y": 0.7, "unused": "c"}, sign * -5.0))  # another space: ignored
    params = BayesianParameterSampling(space, seed=0).suggest(history, "loss", goal)
    assert math.hypot(params["x"] - 0.3, params["y"] - 0.7) < 0.12


# -- construction ---------------------------------------------------------------------------------
def test_properties_json_and_errors() -> None:
    space = {"x": uniform(0, 1), "n": quniform(1, 9, 1)}
    sampler = BayesianParameterSampling(space, {"seed": 11, "n_initial": 4})
    assert (sampler.seed, sampler.n_initial, sampler.name) == (11, 4, "bayesian")
    rebuilt = sampler_from_json(sampler.to_json())
    assert isinstance(rebuilt, BayesianParameterSampling) and rebuilt.to_json() == sampler.to_json()

    def loss(p: dict) -> float:
        return (p["x"] - 0.2) ** 2 + (p["n"] - 3) ** 2

    assert [r.params for r in run(sampler, loss, 8)] == [r.params for r in run(rebuilt, loss, 8)]
    with pytest.raises(SweepConfigError, match="n_initial must be a positive int, got 0"):
        BayesianParameterSampling(space, n_initial=0)
    assert BayesianParameterSampling({"epochs": 3}).suggest([], "loss", Goal.MINIMIZE) == {"epochs": 3}


# -- constraints ----------------------------------------------------------------------------------
SQUARE = {"x": uniform(0, 1), "y": uniform(0, 1)}
#: The loss is best at (0.8, 0.8), where the latency is 1.6: the feasible optimum is 0.18, at (0.5, 0.5).
LATENCY_TASK = SearchTask((("loss", Goal.MINIMIZE),), (Constraint.parse("latency <= 1"),))


def _loss_and_latency(p: Mapping[str, Any]) -> dict[str, float]:
    return {"loss": (p["x"] - 0.8) ** 2 + (p["y"] - 0.8) ** 2, "latency": p["x"] + p["y"]}


def run_metrics(
    sampler: Any, metrics: Callable[[Mapping[str, Any]], Mapping[str, float]], evals: int
) -> list[TrialRecord]:
    """The engine's loop for a trial that logs several metrics (the sampler's task names them)."""
    history: list[TrialRecord] = []
    for i in range(evals):
        params = sampler.suggest(history, "loss", Goal.MINIMIZE)
        values = {name: (value,) for name, value in metrics(params).items()}
        history.append(TrialRecord(f"t{i}", i, dict(params), TrialStatus.COMPLETED, values))
    return history


def with_task(sampler: BayesianParameterSampling, task: SearchTask) -> BayesianParameterSampling:
    sampler.set_task(task)
    return sampler


def best_feasible(history: list[TrialRecord], task: SearchTask) -> float:
    return min((r.last("loss") for r in history if all(c.satisfied_by(r) for c in task.constraints)), default=math.inf)


def test_a_constraint_keeps_late_proposals_feasible_and_beats_random_search() -> None:
    late_feasible = wins = 0
    seeds = range(5)
    for seed in seeds:
        bayes = run_metrics(
            with_task(BayesianParameterSampling(SQUARE, seed=seed), LATENCY_TASK), _loss_and_latency, 20
        )
        rand = run_metrics(RandomParameterSampling(SQUARE, seed=seed), _loss_and_latency, 20)
        late_feasible += sum(LATENCY_TASK.constraints[0].satisfied_by(r) for r in bayes[-10:])
        wins += best_feasible(bayes, LATENCY_TASK) < best_feasible(rand, LATENCY_TASK)
    # Random search is feasible half the time; the unconstrained optimum is deep in the infeasible half.
    assert binomtest(late_feasible, 10 * len(seeds), 0.5, alternative="greater").pvalue < 0.01, late_feasible
    assert binomtest(wins, len(seeds), 0.5, alternative="greater").pvalue < 0.05, f"{wins}/{len(seeds)} wins"


def test_without_a_feasible_trial_it_heads_for_likely_feasibility() -> None:
    """Gelbart's rule: while nothing is feasible, the probability of feasibility alone is maximised."""
    task = SearchTask((("loss", Goal.MINIMIZE),), (Constraint.parse("latency <= 0.3"),))
    rng = np.random.default_rng(0)
    points = [p for p in ({"x": float(a), "y": float(b)} for a, b in rng.random((40, 2))) if p["x"] + p["y"] > 0.6]
    history = [
        TrialRecord(f"t{i}", i, p, TrialStatus.COMPLETED, {k: (v,) for k, v in _loss_and_latency(p).items()})
        for i, p in enumerate(points[:12])
    ]
    for seed in range(3):
        params = with_task(BayesianParameterSampling(SQUARE, seed=seed), task).suggest(history, "loss", "min")
        assert params["x"] + params["y"] < min(r.last("latency") for r in history), params


def test_a_constraint_no_trial_logs_leaves_the_proposals_unchanged() -> None:
    """Nothing to learn from yet: the sampler proposes what it would without the constraint."""
    task = SearchTask((("loss", Goal.MINIMIZE),), (Constraint.parse("memory <= 2"),))
    space, loss = PROBLEMS[1]
    plain = [r.params for r in run(BayesianParameterSampling(space, seed=3, n_initial=5), loss, 12)]
    constrained = [
        r.params for r in run(with_task(BayesianParameterSampling(space, seed=3, n_initial=5), task), loss, 12)
    ]
    assert constrained == plain


def test_a_one_objective_task_without_constraints_changes_nothing() -> None:
    """The published single-objective figures stay valid: the engine always sets a task now."""
    task = SearchTask((("loss", Goal.MINIMIZE),))
    for space, loss in PROBLEMS[:2]:
        plain = run(BayesianParameterSampling(space, seed=1, n_initial=5), loss, 12)
        tasked = run(with_task(BayesianParameterSampling(space, seed=1, n_initial=5), task), loss, 12)
        assert [r.params for r in tasked] == [r.params for r in plain]


def test_constraint_data_follows_the_documented_rules() -> None:
    task = SearchTask((("loss", Goal.MINIMIZE),), (Constraint.parse("latency <= 5"), Constraint.parse("acc > 0.9")))
    sampler = BayesianParameterSampling({"x": uniform(0, 1)}, seed=0)
    history = [
        TrialRecord("a", 0, {"x": 0.1}, TrialStatus.COMPLETED, {"loss": (1.0,), "latency": (9.0, 4.0), "acc": (0.95,)}),
        TrialRecord("b", 1, {"x": 0.2}, TrialStatus.COMPLETED, {"loss": (2.0,), "latency": (7.0,), "acc": (0.99,)}),
        TrialRecord("c", 2, {"x": 0.3}, TrialStatus.COMPLETED, {"loss": (3.0,), "latency": (math.nan,), "acc": (0.5,)}),
        TrialRecord("d", 3, {"x": 0.4}, TrialStatus.FAILED, {"latency": (1.0,)}),
        TrialRecord("e", 4, {"x": 0.5}, TrialStatus.CRASHED),
    ]
    data = sampler._training_data(history, task.objectives, task.constraints)
    np.testing.assert_array_equal(data.feasible, [True, False, False])  # final values; NaN is infeasible
    # One row per scored then failed trial: sign * (value - bound), NaN where no final value was logged.
    np.testing.assert_allclose(
        data.slack, [[-1.0, -0.05], [2.0, -0.09], [math.nan, 0.4], [-4.0, math.nan], [math.nan, math.nan]]
    )
    from hyperwidget.samplers._gp.constraints import worst_for_missing

    np.testing.assert_allclose(worst_for_missing(data.slack[:, 0]), [-1.0, 2.0, 2.0, -4.0, 2.0])


def test_a_constraint_bound_is_warped_with_its_values() -> None:
    """A heavy-tailed metric is warped (its bound with it, so feasibility is unchanged); an even one is not."""
    from hyperwidget.samplers._gp.warping import warp_with_threshold

    rng = np.random.default_rng(0)
    heavy = np.exp(6 * rng.random(40))  # a latency over orders of magnitude, bound 50
    warped, bound = warp_with_threshold(heavy, 50.0)
    np.testing.assert_array_equal(warped <= bound, heavy <= 50.0)
    assert abs(skew(warped)) < 0.5 * skew(heavy), (skew(warped), skew(heavy))  # the tail is pulled in
    even = rng.random(40)
    plain, plain_bound = warp_with_threshold(even, 0.5)
    np.testing.assert_allclose(plain, (even - even.mean()) / even.std())
    assert math.isclose(plain_bound, (0.5 - even.mean()) / even.std())


def test_nan_failed_and_running_trials_with_a_constraint_give_valid_spread_proposals() -> None:
    history = run_metrics(with_task(BayesianParameterSampling(SQUARE, seed=2), LATENCY_TASK), _loss_and_latency, 12)
    history[3] = history[3].replace(status=TrialStatus.FAILED, metrics={})
    history[5] = history[5].replace(metrics={"loss": (math.nan,), "latency": (0.5,)})
    history[7] = history[7].replace(metrics={"loss": (0.3,), "latency": (math.inf,)})
    history[8] = history[8].replace(metrics={"loss": (0.3,)})  # never logged the constrained metric
    sampler = with_task(BayesianParameterSampling(SQUARE, seed=2), LATENCY_TASK)
    pending: list[TrialRecord] = []
    for _ in range(3):
        params = sampler.suggest(history + pending, "loss", Goal.MINIMIZE)
        assert 0 <= params["x"] <= 1 and 0 <= params["y"] <= 1
        pending.append(TrialRecord(f"p{len(pending)}", len(history) + len(pending), params, TrialStatus.RUNNING))
    points = np.array([_unit(SQUARE, r.params) for r in pending])
    assert min(np.linalg.norm(points[i] - points[j]) for i in range(3) for j in range(i)) > 0.05


# -- several objectives ---------------------------------------------------------------------------
#: ZDT1 in two dimensions: ``loss`` and ``cost`` conflict; the Pareto front is y = 0, any x.
TWO_OBJECTIVES = SearchTask((("loss", Goal.MINIMIZE), ("cost", Goal.MINIMIZE)))


def _loss_and_cost(p: Mapping[str, Any]) -> dict[str, float]:
    g = 1 + 4 * p["y"]
    return {"loss": p["x"], "cost": g * (1 - math.sqrt(p["x"] / g))}


def front_size(history: list[TrialRecord], names: tuple[str, str] = ("loss", "cost")) -> int:
    """The number of distinct non-dominated points (both metrics minimised)."""
    points = {(r.last(names[0]), r.last(names[1])) for r in history}
    return sum(not any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in points) for p in points)


def test_two_objectives_spread_proposals_along_the_front() -> None:
    """ParEGO against single-objective BO on the first metric, which chases one end of the front."""
    multi, single = [], []
    for seed in range(3):
        sampler = with_task(BayesianParameterSampling(SQUARE, seed=seed), TWO_OBJECTIVES)
        multi.append(front_size(run_metrics(sampler, _loss_and_cost, 20)))
        single.append(front_size(run_metrics(BayesianParameterSampling(SQUARE, seed=seed), _loss_and_cost, 20)))
    assert all(m > s for m, s in zip(multi, single, strict=True)), (multi, single)
    assert sum(multi) >= 2 * sum(single), (multi, single)


def test_several_objectives_and_a_constraint_are_reproducible_for_a_seed() -> None:
    task = SearchTask(TWO_OBJECTIVES.objectives, (Constraint.parse("latency <= 1.2"),))

    def metrics(p: Mapping[str, Any]) -> dict[str, float]:
        return {**_loss_and_cost(p), "latency": p["x"] + p["y"]}

    def proposals(seed: int) -> list[dict[str, Any]]:
        sampler = with_task(BayesianParameterSampling(SQUARE, seed=seed, n_initial=4), task)
        return [r.params for r in run_metrics(sampler, metrics, 10)]

    first = proposals(5)
    assert first == proposals(5)
    assert first != proposals(6)
    # A proposal (its weight vector included) depends only on the seed, its index and the history.
    history = run_metrics(with_task(BayesianParameterSampling(SQUARE, seed=5, n_initial=4), task), metrics, 10)
    again = with_task(BayesianParameterSampling(SQUARE, seed=5, n_initial=4), task)
    assert again.suggest(history[:7], "loss", Goal.MINIMIZE) == history[7].params


def test_several_objectives_tolerate_missing_values_failures_and_running_trials() -> None:
    history = run_metrics(with_task(BayesianParameterSampling(SQUARE, seed=1), TWO_OBJECTIVES), _loss_and_cost, 12)
    history[2] = history[2].replace(metrics={"loss": (0.1,)})  # the second objective never logged
    history[4] = history[4].replace(metrics={"loss": (0.1,), "cost": (math.nan,)})
    history[6] = history[6].replace(status=TrialStatus.CRASHED, metrics={})
    sampler = with_task(BayesianParameterSampling(SQUARE, seed=1), TWO_OBJECTIVES)
    data = sampler._training_data(history, TWO_OBJECTIVES.objectives)
    assert (len(data.x), len(data.failed)) == (9, 3)  # a trial missing one objective counts as failed
    pending: list[TrialRecord] = []
    for _ in range(3):
        params = sampler.suggest(history + pending, "loss", Goal.MINIMIZE)
        assert 0 <= params["x"] <= 1 and 0 <= params["y"] <= 1
        pending.append(TrialRecord(f"p{len(pending)}", len(history) + len(pending), params, TrialStatus.RUNNING))
    points = np.array([_unit(SQUARE, r.params) for r in pending])
    assert min(np.linalg.norm(points[i] - points[j]) for i in range(3) for j in range(i)) > 0.05


def test_the_chebyshev_scalarisation_reaches_every_front_point_and_no_dominated_one() -> None:
    from hyperwidget.samplers._gp.multi import chebyshev, simplex_weights

    # Three front points (the middle one on a non-convex part, which a weighted sum never picks)
    # and one dominated point; the second objective is on a 100 times larger scale.
    losses = np.array([[0.0, 100.0], [0.8, 80.0], [1.0, 0.0], [0.9, 90.0]])
    rng = np.random.default_rng(0)
    winners = {int(np.argmin(chebyshev(losses, simplex_weights(2, rng)))) for _ in range(200)}
    assert winners == {0, 1, 2}
    weights = simplex_weights(3, np.random.default_rng(1))
    assert weights.shape == (3,) and np.all(weights >= 0) and math.isclose(weights.sum(), 1.0)


def test_a_sweep_passes_its_constraints_to_the_bayesian_sampler() -> None:
    from hyperwidget import log, run_sweep

    def objective(x: float, y: float) -> dict[str, float]:
        metrics = _loss_and_latency({"x": x, "y": y})
        log("latency", 5 * metrics["latency"])  # "latency <= 5" is x + y <= 1
        return {"loss": metrics["loss"]}

    run = run_sweep(
        objective, SQUARE, metric="loss", goal="minimize", sampler="bayesian(n_initial=5)", seed=0,
        constraints=["latency <= 5"], backend="threads", max_total_runs=16, max_concurrent_runs=1,
        storage=None, monitor=False,
    )  # fmt: skip
    late = sorted(run.trials, key=lambda r: r.index)[-6:]
    # The unconstrained optimum has latency 8: the late proposals stay at or within the bound.
    assert sum(r.last("latency") <= 5.25 for r in late) >= 5, [r.last("latency") for r in late]
