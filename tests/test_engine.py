"""The sweep engine on every local backend: trials, series, results, control, observers, validation."""

from __future__ import annotations

import contextlib
import json
import threading
import time

import pytest
from objectives import blas_threads, curve, divide, faulty, quadratic, slow_logger, two_metrics

import hyperwidget as hw
from hyperwidget import SweepConfigError, TrialStatus
from hyperwidget.policies import EarlyTerminationPolicy


class StopBelow(EarlyTerminationPolicy):
    """Stops a trial whose latest value is below ``threshold`` from interval 2 on."""

    name = "stop_below"

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def on_report(self, trial, trials, metric, goal):  # type: ignore[no-untyped-def]
        interval, value = len(trial.series(metric)), trial.last(metric)
        if interval < 2 or value >= self.threshold:
            return None
        return f"stopped at interval {interval}: {value:.3f} < {self.threshold}"


@pytest.mark.parametrize("backend", ["sequential", "threads", "loky"])
def test_every_local_backend_runs_all_trials_and_records_their_series(backend: str) -> None:
    concurrency = 1 if backend == "sequential" else 2
    run = hw.run_sweep(
        curve,
        {"x": hw.uniform(0.5, 1.0), "epochs": 4},
        metric="acc",
        max_total_runs=6,
        max_concurrent_runs=concurrency,
        backend=backend,
        seed=0,
        storage=None,
    )
    assert run.status == "Completed"
    children = run.get_children()
    assert [c.status for c in children] == ["Completed"] * 6
    for child in children:
        x = child.get_hyperparameters()["x"]
        assert child.get_metrics()["acc"] == pytest.approx([x * (1 - 1 / (e + 2)) for e in range(4)])
        assert child.start_time <= child.end_time and child.duration >= 0
    best = run.get_best_run_by_primary_metric()
    assert best.get_hyperparameters()["x"] == max(c.get_hyperparameters()["x"] for c in children)


def test_concurrent_threads_share_the_cores_between_their_blas_pools() -> None:
    import os

    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=os.cpu_count(), user_api="blas"):  # as wide as the machine, as by default
        before = blas_threads(0.0)
        run = hw.run_sweep(
            blas_threads,
            {"x": hw.uniform(0, 1)},
            metric="threads",
            max_total_runs=4,
            max_concurrent_runs=2,
            backend="threads",
            storage=None,
        )
        assert [c.get_metrics()["threads"] for c in run.get_children()] == [max(1, os.cpu_count() // 2)] * 4
        assert blas_threads(0.0) == before  # lifted when the sweep ends


def test_same_seed_gives_same_configurations_on_the_sequential_backend() -> None:
    def params(seed: int) -> list[dict]:
        run = hw.run_sweep(
            quadratic,
            {"x": hw.uniform(0, 1), "y": hw.normal(0, 1)},
            metric="metric",
            max_total_runs=5,
            backend="sequential",
            seed=seed,
            storage=None,
        )
        return [c.get_hyperparameters() for c in run.get_children()]

    assert params(3) == params(3)
    assert params(3) != params(4)


def test_returned_number_is_the_primary_metric_and_a_dict_names_several_metrics() -> None:
    run = hw.run_sweep(
        quadratic, {"x": hw.uniform(0, 1)}, metric="score", max_total_runs=3, backend="sequential", storage=None, seed=1
    )
    for child in run.get_children():
        assert child.get_metrics()["score"] == pytest.approx(quadratic(child.get_hyperparameters()["x"]))
    run = hw.run_sweep(
        two_metrics,
        {"size": hw.choice(1, 2), "quality": hw.uniform(0, 1)},
        metric="error",
        goal="minimize",
        max_total_runs=3,
        backend="sequential",
        storage=None,
        seed=1,
    )
    assert set(run.get_children()[0].get_metrics()) == {"error", "latency"}


def test_sorted_children_follow_hyperdrive_semantics() -> None:
    """T15: bests [0.7, 0.9, None, 0.8] -> [0.9, 0.8, 0.7, None]; reverse, discard and top."""
    values = iter([0.7, 0.9, None, 0.8])

    def objective(x: float):  # type: ignore[no-untyped-def]
        value = next(values)
        if value is not None:
            hw.log("acc", value)

    run = hw.run_sweep(
        objective, {"x": hw.uniform(0, 1)}, metric="acc", max_total_runs=4, backend="sequential", storage=None
    )  # no warning: other trials logged "acc"
    rows = run.get_children_sorted_by_primary_metric()
    assert [r["best_primary_metric"] for r in rows] == [0.9, 0.8, 0.7, None]
    assert set(rows[0]) == {"run_id", "hyperparameters", "best_primary_metric", "status"}
    assert json.loads(rows[0]["hyperparameters"]).keys() == {"x"}
    assert [r["best_primary_metric"] for r in run.get_children_sorted_by_primary_metric(reverse=True)] == [
        0.7,
        0.8,
        0.9,
        None,
    ]
    assert [r["best_primary_metric"] for r in run.get_children_sorted_by_primary_metric(discard_no_metric=True)] == [
        0.9,
        0.8,
        0.7,
    ]
    assert len(run.get_children_sorted_by_primary_metric(top=2)) == 2
    assert rows[3]["status"] == "Failed"  # it never logged the primary metric
    with pytest.raises(SweepConfigError, match="top"):
        run.get_children_sorted_by_primary_metric(top=-1)


def test_minimize_goal_picks_the_smallest_value() -> None:
    run = hw.run_sweep(
        quadratic,
        {"x": hw.uniform(0, 1)},
        metric="m",
        goal="minimize",
        max_total_runs=8,
        backend="sequential",
        storage=None,
        seed=2,
    )
    best = run.get_best_run_by_primary_metric()
    assert best.best_primary_metric == min(c.best_primary_metric for c in run.get_children())


def test_dataframe_has_one_row_per_child_with_parameters_and_final_metrics() -> None:
    run = hw.run_sweep(
        curve,
        {"x": hw.uniform(0, 1), "epochs": 3},
        metric="acc",
        max_total_runs=4,
        backend="threads",
        max_concurrent_runs=2,
        storage=None,
        seed=0,
    )
    frame = run.to_dataframe()
    assert len(frame) == 4
    assert {"run_id", "status", "x", "epochs", "acc", "best_acc", "steps", "duration_s"} <= set(frame.columns)
    assert (frame["steps"] == 3).all()


def test_policy_stops_trials_at_their_next_log_and_they_keep_their_values() -> None:
    run = hw.run_sweep(
        curve,
        {"x": hw.choice(0.2, 1.0), "epochs": 8},
        metric="acc",
        max_total_runs=6,
        policy=StopBelow(0.3),
        backend="loky",
        max_concurrent_runs=2,
        storage=None,
        seed=5,
    )
    for child in run.get_children():
        if child.get_hyperparameters()["x"] == 0.2:
            assert child.status == "StoppedEarly"
            assert len(child.get_metrics()["acc"]) == 2
            assert "stopped at interval 2" in child.error
        else:
            assert child.status == "Completed" and len(child.get_metrics()["acc"]) == 8


def test_constraint_keeps_violating_children_out_of_best_and_pareto_front() -> None:
    space = {"size": hw.choice(1, 5, 20), "quality": hw.choice(0.5, 1.0)}
    run = hw.run_sweep(
        two_metrics,
        space,
        metric="error",
        goal="minimize",
        sampler=hw_grid(space),
        constraints=["latency <= 1"],
        backend="sequential",
        storage=None,
    )
    best = run.get_best_run_by_primary_metric()
    assert best.get_hyperparameters() == {"size": 5, "quality": 1.0}  # size 20 has the least error but latency 2
    front = run.pareto_front({"error": "minimize", "latency": "minimize"})
    front_params = sorted((c.get_hyperparameters()["size"], c.get_hyperparameters()["quality"]) for c in front)
    assert front_params == [(1, 1.0), (5, 1.0)]


def hw_grid(space):  # type: ignore[no-untyped-def]
    from hyperwidget.samplers import GridParameterSampling

    return GridParameterSampling(space)


def test_start_sweep_returns_at_once_and_cancel_keeps_finished_trials() -> None:
    run = hw.start_sweep(
        slow_logger,
        {"x": hw.uniform(0, 1)},
        metric="acc",
        max_total_runs=50,
        max_concurrent_runs=2,
        backend="threads",
        storage=None,
    )
    assert run.is_running
    deadline = time.time() + 10
    while not any(len(t.series("acc")) >= 3 for t in run.trials) and time.time() < deadline:
        time.sleep(0.05)
    assert run.cancel() is True
    run.wait(timeout=20)
    assert run.status == "Canceled"
    assert len(run.trials) < 50
    assert {t.status for t in run.trials} <= {TrialStatus.CANCELED, TrialStatus.COMPLETED}
    assert all(len(t.series("acc")) >= 1 for t in run.trials if t.started_at)


def test_stop_trial_stops_only_that_trial() -> None:
    run = hw.start_sweep(
        slow_logger,
        {"x": hw.uniform(0, 1)},
        metric="acc",
        max_total_runs=2,
        max_concurrent_runs=2,
        backend="threads",
        storage=None,
    )
    while len([t for t in run.trials if t.series("acc")]) < 2:
        time.sleep(0.02)
    first = run.trials[0].id
    run.stop_trial(first)
    run.wait(timeout=30)
    statuses = {c.id: c.status for c in run.get_children()}
    assert statuses[first] == "StoppedEarly"
    assert [s for i, s in statuses.items() if i != first] == ["Completed"]
    assert run.get_children()[0].error == "stopped by the user"


def test_time_budget_cancels_the_sweep_and_keeps_what_finished() -> None:
    run = hw.run_sweep(
        curve,
        {"x": hw.uniform(0, 1), "epochs": 3, "delay": 0.1},
        metric="acc",
        max_total_runs=1000,
        max_duration_minutes=1.5 / 60,
        backend="threads",
        max_concurrent_runs=2,
        storage=None,
    )
    assert run.status == "Canceled"
    assert "max_duration_minutes" in run.cancel_reason
    assert 2 <= len([c for c in run.get_children() if c.status == "Completed"]) < 1000


class Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.lock = threading.Lock()

    def on_sweep_start(self, run) -> None:  # type: ignore[no-untyped-def]
        self.events.append("start")

    def on_trial_update(self, record) -> None:  # type: ignore[no-untyped-def]
        with self.lock:
            self.events.append(record.status.value)

    def on_sweep_end(self, run) -> None:  # type: ignore[no-untyped-def]
        self.events.append("end")


class Broken:
    def on_trial_update(self, record) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("observer bug")


def test_observers_hear_every_change_and_a_broken_observer_does_not_stop_the_sweep() -> None:
    recorder = Recorder()
    run = hw.run_sweep(
        curve,
        {"x": hw.uniform(0, 1), "epochs": 2},
        metric="acc",
        max_total_runs=3,
        backend="sequential",
        storage=None,
        observers=[Broken(), recorder],
    )
    assert run.status == "Completed"
    assert recorder.events[0] == "start" and recorder.events[-1] == "end"
    assert recorder.events.count("Completed") == 3 and recorder.events.count("Queued") == 3


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_concurrent_runs": 0}, "max_concurrent_runs must be an int >= 1"),
        ({"max_total_runs": 0}, "max_total_runs must be an int >= 1"),
        ({"goal": "biggest"}, "unknown goal 'biggest'"),
        ({"backend": "spark"}, "unknown backend 'spark'; choose one of"),
        ({"backend": "sequential", "max_concurrent_runs": 3}, "use backend='loky'"),
        ({"trial_timeout": -1}, "trial_timeout must be a number > 0"),
        ({"constraints": ["latency is small"]}, "cannot read 'latency is small'"),
        ({"metric": ""}, "metric must be the non-empty name"),
    ],
)
def test_bad_settings_are_rejected_before_any_trial_with_the_setting_named(settings: dict, message: str) -> None:
    calls = []
    arguments = {"metric": "acc", "max_total_runs": 2, "storage": None, **settings}
    with pytest.raises(SweepConfigError, match=message):
        hw.run_sweep(lambda x: calls.append(x), {"x": hw.uniform(0, 1)}, **arguments)
    assert calls == []


def test_objective_without_a_parameter_for_a_hyperparameter_is_rejected() -> None:
    def train(lr):  # type: ignore[no-untyped-def]
        return lr

    with pytest.raises(SweepConfigError, match=r"no parameter for hyperparameter\(s\) \['batch_size'\]"):
        hw.run_sweep(train, {"lr": hw.uniform(0, 1), "--batch_size": hw.choice(16, 32)}, metric="acc", storage=None)


def test_dashed_names_reach_functions_as_keywords_and_single_argument_functions_get_a_dict() -> None:
    seen = []
    hw.run_sweep(
        lambda batch_size: seen.append(batch_size) or 1.0,
        {"--batch_size": hw.choice(16)},
        metric="m",
        max_total_runs=1,
        backend="sequential",
        storage=None,
    )
    hw.run_sweep(
        lambda config: seen.append(config) or 1.0,
        {"lr": hw.choice(0.1)},
        metric="m",
        max_total_runs=1,
        backend="sequential",
        storage=None,
    )
    assert seen == [16, {"lr": 0.1}]


def test_a_metric_never_logged_fails_the_trial_with_a_message_naming_it() -> None:
    with (
        pytest.warns(hw.HyperwidgetWarning, match="check the metric name"),
        pytest.raises(hw.SweepFailedError, match="its first trial failed"),
    ):
        hw.run_sweep(
            lambda x: {"loss": x},
            {"x": hw.uniform(0, 1)},
            metric="accuracy",
            max_total_runs=1,
            backend="sequential",
            storage="m.db",
            name="m",
        )
    run = hw.load_sweep("m", "m.db")
    child = run.get_children()[0]
    assert child.status == "Failed"
    assert "primary metric 'accuracy' was never logged (logged: ['loss'])" in child.error
    assert run.get_best_run_by_primary_metric() is None


def test_log_outside_a_sweep_prints(capsys: pytest.CaptureFixture[str]) -> None:
    run = hw.Run.get_context()
    run.log("Accuracy", 0.93)
    hw.log("loss", 1)
    assert capsys.readouterr().out == "Accuracy: 0.93\nloss: 1.0\n"
    assert run.is_offline


def test_an_objective_that_cannot_reach_worker_processes_fails_the_sweep_without_hanging() -> None:
    import threading as _threading

    lock = _threading.Lock()

    def holds_a_lock(x: float) -> float:
        with lock:
            return x

    run = hw.start_sweep(
        holds_a_lock,
        {"x": hw.uniform(0, 1)},
        metric="m",
        max_total_runs=2,
        backend="loky",
        max_concurrent_runs=2,
        storage=None,
    )
    with pytest.raises(SweepConfigError, match="cannot be sent to loky worker processes"):
        run.wait(timeout=30)
    assert run.status == "Failed"


class Exploding(hw.RandomParameterSampling):
    def suggest(self, history, metric, goal):  # type: ignore[no-untyped-def]
        if len(history) == 2:
            raise RuntimeError("sampler bug")
        return super().suggest(history, metric, goal)


def test_a_failing_sampler_ends_the_sweep_with_its_error_and_keeps_the_trials() -> None:
    with pytest.raises(RuntimeError, match="sampler bug"):
        hw.run_sweep(
            quadratic,
            metric="m",
            sampler=Exploding({"x": hw.uniform(0, 1)}),
            max_total_runs=5,
            backend="sequential",
            storage="e.db",
            name="e",
        )
    stored = hw.load_sweep("e", "e.db")
    assert stored.status == "Failed" and [t.status for t in stored.trials] == [TrialStatus.COMPLETED] * 2


def test_dataframe_keeps_metrics_named_like_bookkeeping_columns() -> None:
    run = hw.run_sweep(
        lambda x: {"error": x, "status": 1.0},
        {"x": hw.uniform(0, 1)},
        metric="error",
        goal="minimize",
        max_total_runs=2,
        backend="sequential",
        storage=None,
        seed=0,
    )
    frame = run.to_dataframe()
    assert list(frame["error"]) == [c.get_hyperparameters()["x"] for c in run.get_children()]
    assert list(frame["status"]) == ["Completed", "Completed"] and list(frame["metric:status"]) == [1.0, 1.0]
    assert frame["error_message"].isna().all()


# -- a sweep in which nothing works says so -------------------------------------------------------------


class Scripted(hw.RandomParameterSampling):
    """Proposes the given kinds of :func:`objectives.faulty` in order."""

    def __init__(self, kinds: list[str]) -> None:
        super().__init__({"kind": hw.choice(*sorted(set(kinds))), "x": hw.uniform(0, 1)})
        self.kinds = kinds

    def suggest(self, history, metric, goal):  # type: ignore[no-untyped-def]
        i = len(history)
        return None if i >= len(self.kinds) else {"kind": self.kinds[i], "x": 0.5 + i / 100}


@pytest.mark.parametrize("backend", ["sequential", "loky"])
def test_a_sweep_whose_first_trials_all_fail_alike_stops_and_raises_with_the_first_traceback(backend: str) -> None:
    with pytest.raises(hw.SweepFailedError) as info:
        hw.run_sweep(
            faulty,
            {"kind": hw.choice("raise"), "x": hw.uniform(0, 1)},
            metric="acc",
            max_total_runs=12,
            max_concurrent_runs=1 if backend == "sequential" else 2,
            backend=backend,
            storage="f.db",
            name="f",
        )
    error = info.value
    message = str(error)
    assert "sweep 'f' failed: the first 3 trials all failed the same way (ValueError)" in message
    assert "Traceback" in message and "ValueError: boom from the trial" in message  # the first trial's traceback
    assert "Fix the objective (function faulty)" in message and "hyperwidget.resume_sweep('f'" in message
    assert error.first.status is TrialStatus.FAILED and error.failures == 3 and error.sweep_name == "f"
    stored = hw.load_sweep("f", "f.db")
    statuses = [t.status for t in stored.trials]
    assert stored.status == "Failed" and statuses.count(TrialStatus.FAILED) >= 3
    # no trial started after the third failure: only one already running (loky, 2 at once) may end too
    assert len(statuses) <= 4 and set(statuses) <= {TrialStatus.FAILED, TrialStatus.CANCELED}


def test_start_sweep_raises_from_wait_and_wait_for_completion_follows_raise_on_error() -> None:
    run = hw.start_sweep(
        divide,
        {"x": hw.choice(0)},
        metric="m",
        max_total_runs=8,
        backend="threads",
        max_concurrent_runs=2,
        storage=None,
        name="d",
    )
    details = run.wait_for_completion(raise_on_error=False)
    assert details["status"] == "Failed" == run.status
    assert details["error"].startswith(
        "SweepFailedError: sweep 'd' failed: the first 3 trials all failed the same way (ZeroDivisionError)"
    )
    assert "then run the sweep again." in details["error"]  # an in-memory sweep cannot be resumed
    with pytest.raises(hw.SweepFailedError, match="ZeroDivisionError"):
        run.wait_for_completion()
    with pytest.raises(hw.SweepFailedError, match="ZeroDivisionError"):
        run.wait()


def test_fewer_runs_than_three_fail_fast_after_that_many() -> None:
    with pytest.raises(hw.SweepFailedError, match="the first 2 trials all failed the same way"):
        hw.run_sweep(divide, {"x": hw.choice(0)}, metric="m", max_total_runs=2, backend="sequential", storage=None)


@pytest.mark.filterwarnings("ignore:trial failed:hyperwidget.errors.HyperwidgetWarning")
def test_failures_of_different_kinds_run_on_and_fail_the_sweep_when_none_completed() -> None:
    kinds = ["raise", "nan", "missing", "raise", "nan"]
    with pytest.raises(hw.SweepFailedError) as info:
        hw.run_sweep(
            faulty,
            metric="acc",
            sampler=Scripted(kinds),
            max_total_runs=5,
            backend="sequential",
            storage="k.db",
            name="k",
        )
    assert "sweep 'k' failed: none of its 5 trials completed (5 Failed)" in str(info.value)
    assert "ValueError: boom from the trial" in str(info.value)  # the first failure's traceback
    stored = hw.load_sweep("k", "k.db")
    assert stored.status == "Failed" and len(stored.trials) == 5  # different kinds: no early stop


def test_a_sweep_whose_trials_all_timed_out_is_failed() -> None:
    with pytest.raises(hw.SweepFailedError, match=r"none of its 2 trials completed \(2 TimedOut\)"):
        hw.run_sweep(
            slow_logger,
            {"x": hw.uniform(0, 1)},
            metric="acc",
            max_total_runs=2,
            trial_timeout=0.3,
            backend="threads",
            max_concurrent_runs=2,
            storage=None,
        )


def test_a_time_budget_that_ends_before_any_trial_completed_fails_the_sweep() -> None:
    with pytest.raises(hw.SweepFailedError, match=r"none of its 2 trials completed \(2 Canceled\)") as info:
        hw.run_sweep(
            slow_logger,
            {"x": hw.uniform(0, 1)},
            metric="acc",
            max_total_runs=2,
            max_duration_minutes=0.5 / 60,
            backend="threads",
            max_concurrent_runs=2,
            storage=None,
        )
    assert "canceled: max_duration_minutes=0.00833333 reached" in str(info.value)


def test_some_completed_trials_among_failures_end_completed() -> None:
    kinds = ["raise", "raise", "ok", "raise", "raise", "raise"]
    run = hw.run_sweep(
        faulty, metric="acc", sampler=Scripted(kinds), max_total_runs=6, backend="sequential", storage=None
    )
    assert run.status == "Completed"
    assert [c.status for c in run.get_children()] == ["Failed", "Failed", "Completed", "Failed", "Failed", "Failed"]
    assert run.get_best_run_by_primary_metric().get_hyperparameters()["kind"] == "ok"


def test_resuming_a_failed_sweep_with_the_objective_fixed_completes() -> None:
    with pytest.raises(hw.SweepFailedError, match=r"hyperwidget.resume_sweep\('r', objective, storage="):
        hw.run_sweep(
            lambda x: 1 / 0,
            {"x": hw.uniform(0, 1)},
            metric="m",
            max_total_runs=5,
            backend="sequential",
            storage="r.db",
            name="r",
        )
    run = hw.resume_sweep("r", quadratic, "r.db", max_total_runs=6)
    assert run.status == "Completed"
    assert [c.status for c in run.get_children()] == ["Failed"] * 3 + ["Completed"] * 3


# -- status honesty: a trial that ran to its end by itself is Completed -----------------------------------

SWALLOWS_STOPS = """
import argparse
from hyperwidget import Run, TrialStopped

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
x = parser.parse_args().x
run = Run.get_context()
for epoch in range(3):
    try:
        run.log("acc", x)
    except TrialStopped:
        pass  # e.g. logging through a callback that swallows errors: the training goes on to its end
"""


def _swallows_stops(x: float) -> None:
    for _ in range(3):
        with contextlib.suppress(hw.TrialStopped):
            hw.log("acc", x)


@pytest.mark.parametrize("kind", ["function", "script"])
def test_a_trial_that_ran_to_its_end_despite_a_stop_is_completed_not_stopped_early(kind: str, tmp_path) -> None:
    (tmp_path / "train.py").write_text(SWALLOWS_STOPS)
    objective = _swallows_stops if kind == "function" else hw.Script("train.py", source_directory=str(tmp_path))
    run = hw.run_sweep(
        objective,
        {"x": hw.choice(0.1)},
        metric="acc",
        max_total_runs=1,
        policy=StopBelow(0.5),
        backend="threads",
        storage=None,
    )
    (child,) = run.get_children()
    # stopped at interval 2 (later values are not recorded), yet it ran to its end: the stop saved nothing
    assert len(child.get_metrics()["acc"]) == 2 and child.status == "Completed"
    assert run.status == "Completed"
