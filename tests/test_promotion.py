"""ASHA's promotion variant: pausing at rungs, promoting, checkpoints, on every backend; the checkpoint API."""

from __future__ import annotations

import pickle
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from promoted import checkpointed, from_scratch, value_at

import hyperwidget as hw
from hyperwidget import SweepConfigError, TrialStatus
from hyperwidget.context import Run
from hyperwidget.engine import NOT_PROMOTED
from hyperwidget.policies import ASHAPolicy, HyperbandPolicy, policy_from_json
from hyperwidget.trial import TrialRecord

SPACE = {"x": hw.uniform(0, 1), "epochs": 9}


def _promotion(**kwargs: Any) -> ASHAPolicy:
    return ASHAPolicy(max_resource=9, type="promotion", **kwargs)


def _record(index: int, values: list[float], status: TrialStatus = TrialStatus.PAUSED) -> TrialRecord:
    return TrialRecord(id=f"t{index}", index=index, params={}, status=status, metrics={"acc": tuple(values)})


# -- the policy -----------------------------------------------------------------------------------------------------


def test_the_variant_is_validated_and_stored_with_the_policy() -> None:
    with pytest.raises(SweepConfigError, match=r"type must be 'stopping' .* or 'promotion' .*got type='pause'"):
        ASHAPolicy(max_resource=9, type="pause")
    with pytest.raises(SweepConfigError, match="HyperbandPolicy: type must be"):
        HyperbandPolicy(max_resource=9, type="")
    policy = HyperbandPolicy(max_resource=27, type="promotion")
    assert policy.pauses and not ASHAPolicy(max_resource=9).pauses
    again = policy_from_json(policy.to_json())
    assert isinstance(again, HyperbandPolicy) and again.type == "promotion" and again.pauses


def test_the_promotion_variant_pauses_at_each_rung_first_reached_and_never_stops_a_finite_value() -> None:
    policy = _promotion()  # rungs 1 and 3
    low = _record(0, [0.1], TrialStatus.RUNNING)
    peers = [_record(i, [0.9], TrialStatus.COMPLETED) for i in range(1, 7)]
    assert policy.on_report(low, [low, *peers], "acc", "maximize") is None
    assert policy.pause_reason(low, [low, *peers], "acc", "maximize") == (
        "paused by asha policy at interval 1 (rung 1): resumes once it ranks in the top 1/3 of the trials at this rung"
    )
    two = _record(0, [0.1, 0.2], TrialStatus.RUNNING)
    assert policy.pause_reason(two, [two], "acc", "maximize") is None  # no rung first reached at interval 2
    nan = _record(0, [float("nan")], TrialStatus.RUNNING)
    assert "not a finite value" in (policy.on_report(nan, [nan], "acc", "maximize") or "")
    assert ASHAPolicy(max_resource=9).pause_reason(low, [low], "acc", "maximize") is None  # stopping: no pause


def test_promotable_takes_the_paused_trials_in_the_top_third_of_their_rung_highest_rung_first() -> None:
    policy = _promotion()
    trials = [
        _record(0, [0.5]),  # rung 1: 8 values, top 2 (0.9, 0.8) not paused there; the lowest two are (minimize)
        _record(1, [0.7]),
        _record(2, [0.2]),
        _record(3, [0.9, 0.9], TrialStatus.RUNNING),
        _record(4, [0.1]),
        _record(5, [0.3, 0.4, 0.6]),  # rung 3: 3 values -> top 1: t5 (paused there); minimize: t7 (completed)
        _record(6, [0.8, 0.5, 0.5], TrialStatus.STOPPED_EARLY),
        _record(7, [0.6, 0.4, 0.4], TrialStatus.COMPLETED),
    ]
    assert [t.id for t in policy.promotable(trials, "acc", "maximize")] == ["t5"]
    assert [t.id for t in policy.promotable(trials, "acc", "minimize")] == ["t4", "t2"]  # the better value first
    assert ASHAPolicy(max_resource=9).promotable(trials, "acc", "maximize") == []
    assert policy.promotable(trials[:2], "acc", "maximize") == []  # 2 values at rung 1: floor(2/3) = 0


def test_hyperband_promotes_within_each_bracket() -> None:
    policy = HyperbandPolicy(max_resource=9, type="promotion")  # brackets 0 (rungs 1, 3) and 1 (rung 3)
    brackets = [policy.bracket_of(_record(i, [])) for i in range(12)]
    zero = [i for i, b in enumerate(brackets) if b == 0][:3]
    trials = [_record(i, [0.1 * (k + 1)]) for k, i in enumerate(zero)]
    assert [t.id for t in policy.promotable(trials, "acc", "maximize")] == [f"t{zero[2]}"]


# -- the checkpoint API ---------------------------------------------------------------------------------------------


class _Quiet:
    def report(self, name: str, value: float, step: int | None = None) -> str | None:
        return None

    def poll(self) -> str | None:
        return None


def test_checkpoints_of_objects_files_and_folders_and_none_at_a_first_start(tmp_path: Path) -> None:
    first = Run(_Quiet(), "t0", output_dir=tmp_path / "t0" / "outputs")
    assert first.load_checkpoint() is None and not first.resumed
    first.save_checkpoint({"epoch": 3})
    assert first.load_checkpoint() is None  # a first start finds no checkpoint, whatever the folder holds
    resumed = Run(_Quiet(), "t0", output_dir=tmp_path / "t0" / "outputs", resumed={"acc": 3})
    assert resumed.resumed and resumed.load_checkpoint() == {"epoch": 3}
    model = tmp_path / "model.txt"
    model.write_text("weights")
    resumed.save_checkpoint(model)
    loaded = resumed.load_checkpoint()
    assert (
        isinstance(loaded, Path)
        and loaded.read_text() == "weights"
        and loaded.parent == tmp_path / "t0" / "checkpoints"
    )
    folder = tmp_path / "ckpt"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.bin").write_bytes(b"\x00\x01")
    resumed.save_checkpoint(str(folder))
    assert (resumed.load_checkpoint() / "sub" / "a.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in (tmp_path / "t0").iterdir()) == ["checkpoints"]  # only the latest is kept


def test_a_restarted_trial_drops_the_values_it_had_recorded(tmp_path: Path) -> None:
    logged: list[tuple[str, float]] = []

    class Recorder(_Quiet):
        def report(self, name: str, value: float, step: int | None = None) -> str | None:
            logged.append((name, value))
            return None

    run = Run(Recorder(), "t0", output_dir=tmp_path / "outputs", resumed={"acc": 2})
    for value in (1.0, 2.0, 3.0):
        run.log("acc", value)
    run.log("loss", 0.5)
    assert logged == [("acc", 3.0), ("loss", 0.5)]


# -- sweeps on every local backend ----------------------------------------------------------------------------------


def _sweep(objective: Any, backend: str, **settings: Any) -> Any:
    settings.setdefault("policy", _promotion())
    return hw.run_sweep(
        objective,
        SPACE,
        metric="acc",
        max_total_runs=9,
        max_concurrent_runs=1 if backend == "sequential" else 2,
        backend=backend,
        seed=1,
        storage="s.db",
        name=f"promote-{backend}",
        monitor=False,
        **settings,
    )


def _check_promotion_sweep(run: Any) -> None:
    """Every trial ran once per rung it was promoted from, from its checkpoint, with its series whole."""
    trials = run.trials
    assert len(trials) == 9  # a promotion is no new run
    assert {t.status for t in trials} <= {TrialStatus.COMPLETED, TrialStatus.STOPPED_EARLY}
    for trial in trials:
        n = len(trial.series("acc"))
        assert list(trial.series("acc")) == pytest.approx([value_at(trial.params["x"], e) for e in range(1, n + 1)])
        assert list(trial.steps_of("acc")) == list(range(1, n + 1))
        if trial.status is TrialStatus.STOPPED_EARLY:
            assert n in (1, 3) and (trial.error or "").startswith(
                NOT_PROMOTED + f"paused by asha policy at interval {n}"
            )
        else:
            assert n == 9
    assert any(t.status is TrialStatus.COMPLETED for t in trials)


@pytest.mark.parametrize("backend", ["sequential", "threads", "loky"])
def test_paused_trials_resume_from_their_checkpoint_on_every_local_backend(backend: str) -> None:
    run = _sweep(checkpointed, backend)
    assert run.status == "Completed"
    _check_promotion_sweep(run)
    if backend == "sequential":  # one worker: the order of events is fixed
        # trial 1 ranks first of 3 at rung 1 (promoted), 5 and then 7 and 6 as the rung fills; at rung 3, only 5
        assert [len(t.series("acc")) for t in run.trials] == [1, 3, 1, 1, 1, 9, 3, 3, 1]
    best = run.get_best_run_by_primary_metric()
    assert best.get_metrics()["acc"][-1] == pytest.approx(value_at(best.get_hyperparameters()["x"], 9))
    # the trial that completed started three times: at epoch 0, then from its checkpoints at epochs 1 and 3
    done = next(t for t in run.trials if t.status is TrialStatus.COMPLETED)
    folder = Path("s.db").resolve().parent
    checkpoints = list(folder.rglob(f"{done.id}/checkpoints/object.pkl"))
    assert len(checkpoints) == 1
    assert pickle.loads(checkpoints[0].read_bytes()) == {"epoch": 9, "starts": [0, 1, 3]}


def test_a_trial_without_checkpoint_restarts_and_is_not_recorded_twice() -> None:
    with pytest.warns(hw.HyperwidgetWarning, match=r"saved no checkpoint, so it restarts from the beginning"):
        run = _sweep(from_scratch, "threads")
    _check_promotion_sweep(run)


def test_the_stopping_variant_and_promotion_count_trials_the_same_way() -> None:
    run = _sweep(checkpointed, "sequential", policy=ASHAPolicy(max_resource=9))
    assert len(run.trials) == 9 and all(t.status is not TrialStatus.PAUSED for t in run.trials)
    assert not any((t.error or "").startswith(NOT_PROMOTED) for t in run.trials)


class _CancelAfterPauses:
    """Cancels the sweep once ``n`` trials are paused: a driver that stops mid-sweep."""

    def __init__(self, n: int) -> None:
        self.n, self.view, self.paused = n, None, set()

    def on_sweep_start(self, view: Any) -> None:
        self.view = view

    def on_trial_update(self, record: TrialRecord) -> None:
        if record.status is TrialStatus.PAUSED:
            self.paused.add(record.id)
            if len(self.paused) == self.n and self.view is not None:
                self.view.cancel()


def test_paused_trials_are_stored_and_a_resumed_sweep_promotes_them_from_their_checkpoints() -> None:
    first = hw.run_sweep(
        checkpointed, SPACE, metric="acc", max_total_runs=9, backend="sequential", seed=1, storage="s.db",
        name="again", monitor=False, policy=_promotion(), observers=[_CancelAfterPauses(3)],
    )  # fmt: skip
    assert first.status == "Canceled"
    stored = hw.load_sweep("again", "s.db")
    assert [t.status.value for t in stored.trials][:3] == ["Paused"] * 3
    assert list(stored.to_dataframe()["status"])[:3] == ["Paused"] * 3
    run = hw.resume_sweep("again", checkpointed, "s.db", monitor=False)
    assert run.status == "Completed"
    _check_promotion_sweep(run)
    # a sweep that ended with trials never promoted gives them another chance when resumed with more trials
    never = {t.id for t in run.trials if (t.error or "").startswith(NOT_PROMOTED)}
    more = hw.resume_sweep("again", checkpointed, "s.db", monitor=False, max_total_runs=18)
    assert len(more.trials) == 18
    resumed_again = {t.id for t in more.trials if t.id in never and len(t.series("acc")) > 1}
    assert resumed_again, "a trial paused before the first end was promoted after the resume"


def test_a_paused_trial_stopped_by_hand_is_never_promoted() -> None:
    class StopFirstPaused(_CancelAfterPauses):
        def on_trial_update(self, record: TrialRecord) -> None:
            if record.status is TrialStatus.PAUSED and not self.paused and self.view is not None:
                self.paused.add(record.id)
                self.view.stop_trial(record.id, "stopped by hand")

    watcher = StopFirstPaused(0)
    run = _sweep(checkpointed, "sequential", observers=[watcher])
    (stopped,) = watcher.paused
    record = next(t for t in run.trials if t.id == stopped)
    assert record.status is TrialStatus.STOPPED_EARLY and record.error == "stopped by hand"
    assert len(record.series("acc")) == 1


# -- script trials --------------------------------------------------------------------------------------------------

TRAIN = textwrap.dedent("""
    import argparse
    from hyperwidget import Run

    parser = argparse.ArgumentParser()
    parser.add_argument('--x', type=float)
    parser.add_argument('--checkpoint', type=int, default=1)
    args = parser.parse_args()
    run = Run.get_context()
    state = (run.load_checkpoint() if args.checkpoint else None) or {'epoch': 0, 'starts': []}
    starts = state['starts'] + [state['epoch']]
    for epoch in range(state['epoch'] + 1, 10):
        if args.checkpoint:
            run.save_checkpoint({'epoch': epoch, 'starts': starts})
        run.log('acc', args.x * (1 - 1 / (epoch + 1)), step=epoch)
""")


def _no_warning() -> Any:
    import contextlib
    import warnings

    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("error", hw.HyperwidgetWarning)
    return stack


@pytest.mark.parametrize("checkpoint", [1, 0])
def test_script_trials_pause_and_resume_in_their_own_process(tmp_path: Path, checkpoint: int) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(TRAIN)
    script = hw.Script("train.py", arguments=["--checkpoint", checkpoint], source_directory=str(tmp_path / "src"))
    with pytest.warns(hw.HyperwidgetWarning, match="saved no checkpoint") if not checkpoint else _no_warning():
        run = hw.run_sweep(
            script, {"--x": hw.uniform(0, 1)}, metric="acc", max_total_runs=6, max_concurrent_runs=2,
            backend="threads", seed=1, storage="s.db", name="scripted", monitor=False, policy=_promotion(),
        )  # fmt: skip
    assert run.status == "Completed"
    for trial in run.trials:
        x, n = trial.params["--x"], len(trial.series("acc"))
        assert list(trial.series("acc")) == pytest.approx([value_at(x, e) for e in range(1, n + 1)])
    assert any(len(t.series("acc")) > 1 for t in run.trials)  # promoted, resumed in a new process


# -- the benchmark's simulation -------------------------------------------------------------------------------------


def test_the_simulation_promotes_with_the_policy_s_own_decisions_and_spends_at_most_its_budget() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from _promotion import simulate_promotion

    calls: list[tuple[int, int]] = []

    def curve(config: Any, epoch: int) -> float:
        calls.append((config, epoch))
        return value_at(config / 10, epoch)

    trace = simulate_promotion(_promotion(), range(1, 10), curve, budget=40)
    assert [n for n, _ in trace] == list(range(1, len(trace) + 1)) and len(trace) <= 40
    by_config: dict[int, list[int]] = {}
    for config, epoch in calls:
        by_config.setdefault(config, []).append(epoch)
    assert all(epochs == list(range(1, len(epochs) + 1)) for epochs in by_config.values())  # resumed, never redone
    # with no epoch budget, it is the sweep the sequential engine runs over the same stream of configurations
    calls.clear()
    simulate_promotion(_promotion(), range(1, 10), curve, budget=10_000)
    simulated = [max(e for c, e in calls if c == config) for config in range(1, 10)]
    run = hw.run_sweep(
        checkpointed, SPACE, metric="acc", max_total_runs=9, backend="sequential", storage=None, monitor=False,
        points_to_evaluate=[{"x": config / 10, "epochs": 9} for config in range(1, 10)], policy=_promotion(),
    )  # fmt: skip
    assert [len(t.series("acc")) for t in run.trials] == simulated == [1, 1, 3, 3, 9, 9, 9, 9, 9]
    stopping = simulate_promotion(ASHAPolicy(max_resource=9), range(1, 10), curve, budget=40)
    assert len(stopping) <= 40 and stopping != trace
    assert simulate_promotion(_promotion(), range(1, 10), curve, budget=5) == trace[:5]


def test_the_monitor_shows_a_paused_trial_as_not_finished_and_not_yet_in_the_best_so_far() -> None:
    from hyperwidget.notebook import _snapshot

    table = _snapshot.Table("acc", hw.Goal.MAXIMIZE)
    paused = _record(0, [0.9])
    done = _record(1, [0.5, 0.6], TrialStatus.COMPLETED)
    rows = {row["id"]: row for row in table.update([paused, done])}
    assert rows["t0"]["status"] == "Paused" and rows["t1"]["status"] == "Completed"
    summary = table.summary("Running", None, None, (9, None))
    assert summary["counts"] == {"Paused": 1, "Completed": 1} and summary["n_finished"] == 1
    assert summary["best_id"] == "t1"  # a paused trial competes once it ends


_DRIVER = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {tests!r})
    import hyperwidget as hw
    from hyperwidget.policies import ASHAPolicy
    from promoted import checkpointed

    class DieAtThirdPause:
        paused = set()
        def on_trial_update(self, record):
            if record.status.value == "Paused":
                self.paused.add(record.id)
                if len(self.paused) == 3:
                    os._exit(0)  # the kernel dies mid-sweep

    hw.run_sweep(checkpointed, {{"x": hw.uniform(0, 1), "epochs": 9}}, metric="acc", max_total_runs=9,
                 backend="sequential", seed=1, storage="k.db", name="killed", monitor=False,
                 policy=ASHAPolicy(max_resource=9, type="promotion"), observers=[DieAtThirdPause()])
""")


@pytest.mark.slow
def test_after_the_driver_died_resume_sweep_promotes_the_paused_trials_from_their_checkpoints(tmp_path: Path) -> None:
    import subprocess

    driver = tmp_path / "driver.py"
    driver.write_text(_DRIVER.format(tests=str(Path(__file__).resolve().parent)))
    subprocess.run([sys.executable, str(driver)], check=True, cwd=tmp_path, timeout=120)
    before = hw.load_sweep("killed", tmp_path / "k.db")
    assert before.status == "Interrupted"
    assert [t.status.value for t in before.trials] == ["Paused"] * 3
    run = hw.resume_sweep("killed", checkpointed, tmp_path / "k.db", monitor=False)
    assert run.status == "Completed"
    _check_promotion_sweep(run)
    first = next(t for t in run.trials if t.id == "killed_1")  # paused before the driver died, then promoted
    assert len(first.series("acc")) == 3
    (checkpoint,) = tmp_path.rglob("killed_1/checkpoints/object.pkl")
    assert pickle.loads(checkpoint.read_bytes()) == {"epoch": 3, "starts": [0, 1]}
