"""Known starting points: ``points_to_evaluate`` runs given configurations first; ``run.enqueue`` adds one live.

Also ``SearchSpace.check_config`` (the check both go through), the points' storage
and resume, the samplers' view of them, ``%%sweep --points`` and ``HyperDriveConfig``.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from IPython.core.error import UsageError

import hyperwidget as hw
from hyperwidget.errors import SearchSpaceError, SweepConfigError, SweepFileError
from hyperwidget.samplers import BayesianParameterSampling
from hyperwidget.space import SearchSpace
from hyperwidget.storage import SqliteStorage
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

SPACE = {"x": hw.uniform(0, 1), "bs": hw.choice(16, 32, 64), "epochs": 2}
FAST = {"backend": "threads", "max_concurrent_runs": 1, "monitor": False}


class Calls:
    """An objective that records the configurations it ran, in order."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def __call__(self, x: float, bs: int, epochs: int) -> dict[str, float]:
        with self.lock:
            self.seen.append({"x": x, "bs": bs})
        return {"acc": x}


# ------------------------------------------------------------------ the space's check


def test_check_config_fills_left_out_hyperparameters_as_syne_tune_does() -> None:
    space = SearchSpace(
        {
            "x": hw.uniform(0, 2),
            "lr": hw.log_uniform(1e-4, 1e-2),
            "bs": hw.choice(16, 32),
            "n": hw.intrange(1, 5),
            "k": 7,
        }
    )
    config = space.check_config({"bs": 32.0})
    assert list(config) == ["x", "lr", "bs", "n", "k"]  # space order, constants included
    assert config["x"] == 1.0 and config["lr"] == pytest.approx(1e-3) and config["n"] == 3 and config["k"] == 7
    assert config["bs"] == 32 and isinstance(config["bs"], int)  # the option itself, not the float given
    assert space.check_config({"n": 4.0})["n"] == 4 and isinstance(space.check_config({"n": 4.0})["n"], int)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"x": 1.5}, r"'x': 1\.5 is outside uniform\(.*\), which takes values in \[0, 1\]"),
        ({"bs": 48}, r"'bs': 48 is not one of the options of choice\(16, 32, 64\); give one of 16, 32, 64"),
        ({"bs": True}, r"'bs': True is not one of the options"),
        ({"x": "0.5"}, r"'x': '0\.5' is not a finite number, but uniform"),
        ({"x": math.nan}, r"'x': nan is not a finite number"),
        ({"n": 2.5}, r"'n': 2\.5 is not a value of intrange\(lower=1, upper=4\), which takes one of 1, 2, 3, 4"),
        ({"q": 3}, r"'q': 3 is not a value of quniform\(.*\), which takes one of 0\.0, 2\.5, 5\.0, 7\.5, 10\.0"),
        ({"g": 0.5}, r"'g': 0\.5 is not a multiple of q=1"),
        ({"epochs": 3}, r"'epochs' is the constant 2 in the space, got 3"),
        ({"xx": 0.1}, r"'xx' is not a hyperparameter of the space \(did you mean 'x'\?\)"),
    ],
)
def test_check_config_names_the_hyperparameter_the_value_and_what_is_allowed(
    params: dict[str, Any], message: str
) -> None:
    space = SearchSpace({**SPACE, "n": hw.intrange(1, 4), "q": hw.quniform(0, 10, 2.5), "g": hw.qnormal(0, 1, 1)})
    with pytest.raises(SearchSpaceError, match=message):
        space.check_config(params)


def test_check_config_accepts_every_value_the_space_can_propose() -> None:
    space = SearchSpace(
        {
            "a": hw.loguniform(-9, -2),
            "b": hw.randint(10**9),
            "c": hw.finrange(0.1, 0.5, 5),
            "d": hw.lognormal(0, 1),
            "e": hw.qloguniform(0, 3, 5),
            "--batch-size": hw.choice("a", "b"),
        }
    )
    config = space.check_config({"a": math.exp(-9), "b": 123456789, "c": 0.3, "d": 1e-6, "e": 0, "batch_size": "b"})
    assert config == {"a": math.exp(-9), "b": 123456789, "c": 0.3, "d": 1e-6, "e": 0, "--batch-size": "b"}


def test_check_config_takes_back_every_configuration_the_space_proposes() -> None:
    space = SearchSpace(
        {
            "a": hw.choice(1, 2.5, "x"),
            "b": hw.randint(7),
            "c": hw.uniform(-1, 1),
            "d": hw.quniform(0.5, 3.5, 1),
            "e": hw.loguniform(-3, 1),
            "f": hw.qloguniform(0, 3, 5),
            "g": hw.normal(0, 1),
            "h": hw.qnormal(10, 3, 2),
            "i": hw.lognormal(0, 2),
            "j": hw.qlognormal(0, 1, 0.5),
            "k": hw.log_uniform(1e-5, 1e-1),
            "l": hw.log_randint(8, 512),
            "m": hw.intrange(-3, 3),
            "n": hw.finrange(0, 1, 7),
            "o": hw.logfinrange(8, 256, 6, cast_int=True),
        }
    )
    samples = [space.sample(np.random.default_rng(seed)) for seed in range(300)]
    corners = [space.from_unit([u] * space.dims) for u in np.linspace(0, 1, 21)]  # the bounds included
    for config in samples + corners:
        assert space.check_config(config) == config


# ------------------------------------------------------------------ declaring a sweep


def test_points_run_first_in_order_then_the_sampler_proposes() -> None:
    calls = Calls()
    run = hw.run_sweep(
        calls,
        SPACE,
        metric="acc",
        points_to_evaluate=[{"x": 0.25, "bs": 64}, {"x": 0.75}],
        max_total_runs=4,
        storage=None,
        seed=3,
        **FAST,
    )
    assert calls.seen[:2] == [{"x": 0.25, "bs": 64}, {"x": 0.75, "bs": 16}]
    assert [t.params for t in run.trials[:2]] == [
        {"x": 0.25, "bs": 64, "epochs": 2},
        {"x": 0.75, "bs": 16, "epochs": 2},
    ]
    assert len(run.trials) == 4 and all(t.status is TrialStatus.COMPLETED for t in run.trials)


def test_a_bad_point_is_refused_when_declared_naming_its_position() -> None:
    calls = Calls()
    with pytest.raises(SearchSpaceError, match=r"points_to_evaluate\[1\]: hyperparameter 'x': 2 is outside"):
        hw.run_sweep(calls, SPACE, metric="acc", points_to_evaluate=[{"x": 0.5}, {"x": 2}], storage=None, **FAST)
    with pytest.raises(
        SweepConfigError, match=r"must be a list of configurations .* points_to_evaluate=\[\{\.\.\.\}\]"
    ):
        hw.run_sweep(calls, SPACE, metric="acc", points_to_evaluate={"x": 0.5}, storage=None, **FAST)
    assert calls.seen == []


def test_more_points_than_max_total_runs_is_an_error_unless_the_budget_is_left_to_the_default() -> None:
    points = [{"x": i / 30} for i in range(25)]
    with pytest.raises(SweepConfigError, match=r"has 25 points but max_total_runs=3.*pass max_total_runs=25"):
        hw.run_sweep(Calls(), SPACE, metric="acc", points_to_evaluate=points, max_total_runs=3, storage=None, **FAST)
    run = hw.run_sweep(Calls(), SPACE, metric="acc", points_to_evaluate=points, storage=None, **FAST)
    assert run.config.max_total_runs == 25 and len(run.trials) == 25  # the default 20 grows to the points


def test_the_grid_runs_each_point_once_whether_given_or_proposed() -> None:
    calls = Calls()
    space = {"x": hw.choice(0.1, 0.2), "bs": hw.choice(16, 32), "epochs": 2}
    run = hw.run_sweep(
        calls, space, metric="acc", sampler="grid", points_to_evaluate=[{"x": 0.2, "bs": 32}], storage=None, **FAST
    )
    assert calls.seen[0] == {"x": 0.2, "bs": 32}
    configs = sorted((c["x"], c["bs"]) for c in calls.seen)
    assert configs == [(0.1, 16), (0.1, 32), (0.2, 16), (0.2, 32)] and len(run.trials) == 4


@pytest.mark.parametrize("sampler", ["random", "sobol"])
def test_seeded_proposals_stay_those_of_their_trial_index(sampler: str) -> None:
    def params(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
        run = hw.run_sweep(
            Calls(), SPACE, metric="acc", sampler=sampler, seed=7, points_to_evaluate=points,
            max_total_runs=5, storage=None, **FAST,
        )  # fmt: skip
        return [dict(t.params) for t in run.trials]

    plain, with_points = params([]), params([{"x": 0.5}, {"x": 0.6}])
    assert with_points[2:] == plain[2:]  # proposal i is trial i's draw, points or not
    assert params([{"x": 0.5}, {"x": 0.6}]) == with_points


def test_the_bayesian_sampler_learns_from_points_as_from_any_trial() -> None:
    sampler = BayesianParameterSampling({"x": hw.uniform(0, 1)}, n_initial=3, seed=0)
    history = [
        TrialRecord(
            id=f"s_{i}", index=i, params={"x": x}, status=TrialStatus.COMPLETED, metrics={"acc": (-((x - 0.3) ** 2),)}
        )
        for i, x in enumerate([0.0, 0.3, 1.0, 0.6])
    ]
    proposal = sampler.suggest(history, "acc", Goal.MAXIMIZE)  # past n_initial: a model proposal
    assert proposal is not None and 0.0 <= proposal["x"] <= 1.0
    assert abs(proposal["x"] - 0.3) < 0.25  # near the best point given, far from the worst (1.0)


# ------------------------------------------------------------------ storage and resume


def stop_after_first(run_box: list[Any]) -> Any:
    """An observer that cancels the sweep as soon as its first trial ends."""

    class Stop:
        def on_trial_update(self, record: TrialRecord) -> None:
            if record.index == 0 and record.status.is_finished:
                run_box[0].cancel()

    return Stop()


def test_points_are_stored_and_a_resumed_sweep_runs_only_those_not_run(tmp_path: Path) -> None:
    path, calls, box = str(tmp_path / "p.db"), Calls(), [None]
    points = [{"x": 0.1}, {"x": 0.2}, {"x": 0.3}]
    run = hw.start_sweep(
        calls, SPACE, metric="acc", points_to_evaluate=points, max_total_runs=4, name="p", storage=path, seed=1,
        observers=[stop_after_first(box)], backend="threads", max_concurrent_runs=1,
    )  # fmt: skip
    box[0] = run
    run.wait()
    assert [c["x"] for c in calls.seen] == [0.1]
    stored = hw.load_sweep("p", path)
    assert [t.status for t in stored.trials] == [TrialStatus.COMPLETED, TrialStatus.CANCELED, TrialStatus.CANCELED]
    config = SqliteStorage(path, read_only=True).load_sweep("p")[0]
    assert [p["x"] for p in config["points_to_evaluate"]] == [0.1, 0.2, 0.3]

    again = Calls()
    resumed = hw.resume_sweep("p", again, path, backend="threads", monitor=False)
    assert [c["x"] for c in again.seen[:2]] == [0.2, 0.3] and len(again.seen) == 3  # point 0 is not run again
    assert [t.params["x"] for t in resumed.trials[:3]] == [0.1, 0.2, 0.3]
    assert all(t.status is TrialStatus.COMPLETED for t in resumed.trials) and len(resumed.trials) == 4


def test_resuming_with_other_points_is_refused_and_more_points_go_through_resume_sweep(tmp_path: Path) -> None:
    path = str(tmp_path / "p.db")
    settings: dict[str, Any] = {"metric": "acc", "name": "p", "storage": path, "max_total_runs": 2, **FAST}
    hw.run_sweep(Calls(), SPACE, points_to_evaluate=[{"x": 0.1}], **settings)
    with pytest.raises(SweepConfigError, match=r"differs from this call in points_to_evaluate .*resume_sweep\('p'"):
        hw.run_sweep(Calls(), SPACE, points_to_evaluate=[{"x": 0.9}], if_exists="resume", **settings)
    same = Calls()
    run = hw.run_sweep(
        same, SPACE, points_to_evaluate=[{"x": 0.1}], if_exists="resume", **{**settings, "max_total_runs": 3}
    )
    assert len(same.seen) == 1 and same.seen[0]["x"] != 0.1 and len(run.trials) == 3

    with pytest.raises(SweepConfigError, match=r"it has 3 trials and points_to_evaluate adds 2, but max_total_runs=3; "
                       r"pass max_total_runs=5"):  # fmt: skip
        hw.resume_sweep("p", Calls(), path, points_to_evaluate=[{"x": 0.4}, {"x": 0.6}], monitor=False)
    more = Calls()
    run = hw.resume_sweep(
        "p", more, path, points_to_evaluate=[{"x": 0.4}, {"x": 0.6}], max_total_runs=5, backend="threads", monitor=False
    )
    assert [c["x"] for c in more.seen] == [0.4, 0.6] and [t.params["x"] for t in run.trials[3:]] == [0.4, 0.6]


# ------------------------------------------------------------------ run.enqueue


class Gated(Calls):
    """Its first trial waits until ``gate`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.gate, self.waiting = threading.Event(), threading.Event()

    def __call__(self, x: float, bs: int, epochs: int) -> dict[str, float]:
        result = super().__call__(x, bs, epochs)
        if len(self.seen) == 1:
            self.waiting.set()
            assert self.gate.wait(10)
        return result


def test_enqueue_runs_a_configuration_next_on_a_running_sweep(tmp_path: Path) -> None:
    objective = Gated()
    run = hw.start_sweep(
        objective, SPACE, metric="acc", max_total_runs=4, name="e", storage=str(tmp_path / "e.db"), seed=2,
        backend="threads", max_concurrent_runs=1,
    )  # fmt: skip
    assert objective.waiting.wait(10)
    with pytest.raises(SearchSpaceError, match=r"'bs': 17 is not one of the options"):
        run.enqueue({"bs": 17})
    trial_id = run.enqueue({"x": 0.77, "bs": 64})
    objective.gate.set()
    run.wait()
    assert trial_id == "e_1" and objective.seen[1] == {"x": 0.77, "bs": 64}
    assert run.get_child("e_1").get_hyperparameters()["x"] == 0.77 and len(run.trials) == 4  # counted in the budget
    stored = hw.load_sweep("e", tmp_path / "e.db")
    assert stored.trials[1].params["x"] == 0.77 and stored.trials[1].status is TrialStatus.COMPLETED


def test_enqueue_is_refused_when_the_budget_is_handed_out_or_the_sweep_has_ended(tmp_path: Path) -> None:
    objective, path = Gated(), str(tmp_path / "e.db")
    run = hw.start_sweep(objective, SPACE, metric="acc", max_total_runs=1, name="e", storage=path, backend="threads")
    assert objective.waiting.wait(10)
    with pytest.raises(SweepConfigError, match=r"handed out all of its max_total_runs=1 trials \(1 not finished\); "
                       r"once it has ended, resume it with the point: resume_sweep\('e', objective, .*"
                       r"max_total_runs=2\)"):  # fmt: skip
        run.enqueue({"x": 0.5})
    objective.gate.set()
    run.wait()
    with pytest.raises(SweepConfigError, match=r"sweep 'e' has ended \(Completed\) and runs no more trials; resume it"):
        run.enqueue({"x": 0.5})
    memory = hw.run_sweep(Calls(), SPACE, metric="acc", max_total_runs=1, storage=None, **FAST)
    with pytest.raises(SweepConfigError, match=r"has no sweep file: run a new sweep with points_to_evaluate="):
        memory.enqueue({"x": 0.5})


# ------------------------------------------------------------------ front ends


def test_magic_points_option(ip: Any) -> None:
    ip.user_ns["starts"] = [{"lr": 0.9}, {"lr": 0.1, "k": 2}]
    ip.run_cell_magic(
        "sweep",
        "--storage none --no-monitor --backend sequential --points starts --max-total-runs 3 --seed 1 -o pr",
        "lr = uniform(0, 1)\nk = choice(1, 2)\nlr * k\n",
    )
    run = ip.user_ns["pr"]
    assert [dict(t.params) for t in run.trials[:2]] == [{"lr": 0.9, "k": 1}, {"lr": 0.1, "k": 2}]
    assert len(run.trials) == 3
    ip.user_ns["one"] = {"lr": 0.5}
    for name, message in (
        ("nowhere", "--points nowhere: no variable 'nowhere' in the notebook"),
        ("one", "--points one: expected a list of dicts"),
    ):
        with pytest.raises(UsageError, match=message):
            ip.run_cell_magic("sweep", f"--storage none --no-monitor --points {name}", "lr = uniform(0, 1)\nlr\n")
    ip.user_ns["bad"] = [{"lr": 3.0}]
    with pytest.raises(UsageError, match=r"points_to_evaluate\[0\]: hyperparameter 'lr': 3\.0 is outside"):
        ip.run_cell_magic("sweep", "--storage none --no-monitor --points bad", "lr = uniform(0, 1)\nlr\n")


def test_hyperdrive_config_takes_points_to_evaluate() -> None:
    from hyperwidget.hyperdrive import Experiment, HyperDriveConfig, PrimaryMetricGoal

    def train(x: float) -> float:
        return x

    sampling = hw.RandomParameterSampling({"x": hw.uniform(0, 1)}, seed=1)
    common: dict[str, Any] = {
        "run_config": train,
        "hyperparameter_sampling": sampling,
        "primary_metric_name": "score",
        "primary_metric_goal": PrimaryMetricGoal.MAXIMIZE,
        "backend": "threads",
    }
    with pytest.raises(SweepConfigError, match=r"has 2 points but max_total_runs=1"):
        HyperDriveConfig(max_total_runs=1, points_to_evaluate=[{"x": 0.1}, {"x": 0.2}], **common)
    with pytest.raises(SearchSpaceError, match=r"points_to_evaluate\[0\]: hyperparameter 'x': -1 is outside"):
        HyperDriveConfig(max_total_runs=3, points_to_evaluate=[{"x": -1}], **common)
    config = HyperDriveConfig(max_total_runs=3, points_to_evaluate=[{"x": 0.42}], **common)
    run = Experiment(name="hd").submit(config)
    run.wait_for_completion()
    assert run.trials[0].params == {"x": 0.42} and len(run.get_children()) == 3


def test_the_v2_sweep_job_takes_points_to_evaluate(tmp_path: Path) -> None:
    from hyperwidget import Uniform, command

    (tmp_path / "train.py").write_text("print(1)")
    job = command(code=str(tmp_path), command="python train.py --lr ${{inputs.lr}}", inputs={"lr": 0.1})
    swept = job(lr=Uniform(min_value=0.01, max_value=0.1))
    with pytest.raises(SearchSpaceError, match=r"points_to_evaluate\[0\]: hyperparameter 'lr': 0\.5 is outside"):
        swept.sweep(primary_metric="acc", goal="maximize", points_to_evaluate=[{"lr": 0.5}])
    sweep_job = swept.sweep(primary_metric="acc", goal="maximize", points_to_evaluate=[{"lr": 0.05}])
    sweep_job.set_limits(max_total_trials=2)
    run = sweep_job.prepare("v2", storage=None)  # prepared, not started: the point is its queued first trial
    assert [(t.params, t.status) for t in run.trials] == [({"lr": 0.05}, TrialStatus.QUEUED)]


def test_a_damaged_stored_point_is_named_when_resuming(tmp_path: Path) -> None:
    path = str(tmp_path / "p.db")
    hw.run_sweep(Calls(), SPACE, metric="acc", points_to_evaluate=[{"x": 0.1}], max_total_runs=1, name="p",
                 storage=path, **FAST)  # fmt: skip
    with sqlite3.connect(path) as db:
        (text,) = db.execute("SELECT config FROM sweeps WHERE name = 'p'").fetchone()
        config = json.loads(text)
        config["points_to_evaluate"] = [{"x": 7}]
        db.execute("UPDATE sweeps SET config = ? WHERE name = 'p'", (json.dumps(config),))
    db.close()
    with pytest.raises(SweepFileError, match=r"field 'config.points_to_evaluate': points_to_evaluate\[0\]: "
                       r"hyperparameter 'x': 7 is outside"):  # fmt: skip
        hw.resume_sweep("p", Calls(), path, monitor=False)


# -- nested and conditional spaces --------------------------------------------------------------------------------
NESTED = {
    "model": hw.choice(
        {"kernel": "rbf", "gamma": hw.uniform(0, 1), "C": hw.uniform(1, 3)},
        {"kernel": "linear", "C": hw.uniform(1, 3)},
    ),
    "optimizer": {"lr": hw.choice(0.1, 0.01), "momentum": hw.uniform(0, 1)},
    "epochs": 3,
}


def test_check_config_of_a_nested_space_picks_the_branch_by_its_constants_and_fills_the_rest() -> None:
    space = SearchSpace(NESTED)
    assert space.check_config({"model": {"kernel": "linear", "C": 2}, "optimizer": {"lr": 0.01}}) == {
        "model": {"kernel": "linear", "C": 2.0},
        "optimizer": {"lr": 0.01, "momentum": 0.5},
        "epochs": 3,
    }
    assert space.check_config({}) == {  # the first branch, every default
        "model": {"kernel": "rbf", "gamma": 0.5, "C": 2.0},
        "optimizer": {"lr": 0.1, "momentum": 0.5},
        "epochs": 3,
    }
    assert space.check_config({"model": {"gamma": 0.2}})["model"] == {"kernel": "rbf", "gamma": 0.2, "C": 2.0}
    for _ in range(20):  # whatever the space proposes comes back unchanged
        proposed = space.sample(np.random.default_rng(_))
        assert space.check_config(proposed) == proposed


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ({"model": {"kernel": "linear", "gamma": 0.5}}, "'model'.*matches none of its branches"),
        ({"model": {"kernel": "poly"}}, "matches none of its branches"),
        ({"model": "rbf"}, "'model' is a choice of branches in the space: give a dict"),
        ({"optimizer": {"lr": 0.5}}, "'optimizer.lr'"),
        ({"optimizer": {"moment": 0.5}}, "'optimizer' has no parameter 'moment' \\(did you mean 'momentum'\\?\\)"),
        ({"optimizer": 0.1}, "'optimizer' is a group in the space"),
        ({"model": {"kernel": "rbf", "gamma": 2.0}}, "'model.gamma'"),
    ],
)
def test_check_config_of_a_nested_space_names_the_place_of_a_bad_value(point: dict[str, Any], message: str) -> None:
    with pytest.raises(SearchSpaceError, match=message):
        SearchSpace(NESTED).check_config(point)


def test_points_of_a_nested_space_run_first_as_nested_dicts() -> None:
    received: list[dict[str, Any]] = []

    def train(model: dict[str, Any], optimizer: dict[str, Any], epochs: int) -> float:
        received.append({"model": model, "optimizer": optimizer})
        return model["C"] + optimizer["momentum"]

    point = {"model": {"kernel": "linear", "C": 1.5}, "optimizer": {"lr": 0.01, "momentum": 0.25}}
    run = hw.run_sweep(
        train,
        NESTED,
        metric="score",
        sampler="bayesian",
        seed=0,
        max_total_runs=4,
        backend="threads",
        max_concurrent_runs=1,
        storage=None,
        points_to_evaluate=[point],
    )
    assert received[0] == point and run.trials[0].params == {**point, "epochs": 3}
    assert len(run.trials) == 4 and all(t.status is TrialStatus.COMPLETED for t in run.trials)
