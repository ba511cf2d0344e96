"""Training scripts as child runs: ``python train.py --name value``, logging through ``Run.get_context()``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import hyperwidget as hw
from hyperwidget import Script, SweepConfigError
from hyperwidget.context import Run

TRAIN = textwrap.dedent("""
    import argparse, os, time
    from hyperwidget import Run

    parser = argparse.ArgumentParser()
    parser.add_argument('--regularization', type=float, dest='reg_rate', default=0.01)
    parser.add_argument('--epochs', type=int, default=5)
    parser.add_argument('--mode', default='ok')
    parser.add_argument('--steps', type=int, default=0)  # 1: log each value with its step
    args = parser.parse_args()
    run = Run.get_context()
    if args.mode == 'fail':
        raise RuntimeError('bad data')
    if args.mode == 'sleep':
        time.sleep(60)
    time.sleep(5 * args.reg_rate)  # a poorly regularized run starts later: the better one sets the bar first
    for epoch in range(args.epochs):
        run.log('Accuracy', 1 - args.reg_rate * (1 + 1 / (epoch + 1)), step=epoch + 1 if args.steps else None)
    os.makedirs('outputs', exist_ok=True)
    with open('outputs/model.txt', 'w') as f:
        f.write(str(args.reg_rate))
    run.complete()
""")


@pytest.fixture
def train_dir(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(TRAIN)
    (tmp_path / "src" / "data.csv").write_text("a,b\n1,2\n")
    return tmp_path / "src"


def test_a_script_child_run_gets_its_arguments_logs_a_series_and_keeps_its_outputs(train_dir: Path) -> None:
    script = Script("train.py", arguments=["--epochs", 4, "--steps", 1], source_directory=str(train_dir))
    run = hw.run_sweep(
        script,
        {"--regularization": hw.choice(0.01, 0.1, 0.5)},
        metric="Accuracy",
        sampler=_grid({"--regularization": hw.choice(0.01, 0.1, 0.5)}),
        backend="loky",
        max_concurrent_runs=2,
        storage="s.db",
        name="scr",
    )
    assert [c.status for c in run.get_children()] == ["Completed"] * 3
    best = run.get_best_run_by_primary_metric()
    assert best.get_hyperparameters() == {"--regularization": 0.01}
    assert len(best.get_metrics()["Accuracy"]) == 4
    assert hw.load_sweep("scr", "s.db").get_children()[0].get_metric_steps() == {"Accuracy": [1, 2, 3, 4]}
    assert best.get_file_names() == ["outputs/model.txt", "std_log.txt"]
    best.download_file("outputs/model.txt", "model.txt")
    assert Path("model.txt").read_text() == "0.01"
    assert not (train_dir / "outputs").exists()  # each child run wrote in its own folder


def _grid(space):  # type: ignore[no-untyped-def]
    from hyperwidget.samplers import GridParameterSampling

    return GridParameterSampling(space)


def test_script_failures_timeouts_and_early_stops_are_recorded(train_dir: Path) -> None:
    from hyperwidget.policies import BanditPolicy

    script = Script("train.py", arguments=["--epochs", 30], source_directory=str(train_dir))
    space = {"mode": hw.choice("ok", "fail", "sleep"), "regularization": hw.choice(0.01, 0.3)}
    run = hw.run_sweep(
        script,
        space,
        metric="Accuracy",
        sampler=_grid(space),
        trial_timeout=10,
        policy=BanditPolicy(slack_amount=0.05, delay_evaluation=2),
        backend="threads",
        max_concurrent_runs=3,
        storage=None,
    )
    by = {(c.get_hyperparameters()["mode"], c.get_hyperparameters()["regularization"]): c for c in run.get_children()}
    assert by[("fail", 0.01)].status == "Failed" and "RuntimeError: bad data" in by[("fail", 0.01)].error
    assert by[("sleep", 0.01)].status == "TimedOut"
    assert by[("ok", 0.01)].status == "Completed"
    stopped = by[("ok", 0.3)]
    assert stopped.status == "StoppedEarly" and len(stopped.get_metrics()["Accuracy"]) < 30


def test_the_same_script_run_by_hand_prints_its_metrics(train_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "train.py", "--epochs", "2"], cwd=train_dir, capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == ["Accuracy: 0.98", "Accuracy: 0.985"]


def test_a_missing_script_is_rejected_when_declared(tmp_path: Path) -> None:
    with pytest.raises(SweepConfigError, match=r"'trian\.py' does not exist in source_directory"):
        Script("trian.py", source_directory=str(tmp_path))


class _StopAtSecondValue:
    """A sweep stand-in: records the values a child reports and asks it to stop at the second one."""

    def __init__(self) -> None:
        self.values: list[tuple[str, float]] = []

    def report(self, name: str, value: float, step: int | None = None) -> str | None:
        self.values.append((name, value))
        return "stopped by the test" if len(self.values) >= 2 else None

    def poll(self) -> str | None:
        return None


def test_a_script_supervises_its_own_child_process(train_dir: Path, tmp_path: Path) -> None:
    """No executor and no engine: the Script relays its child's values and ends it on a stop."""
    sweep = _StopAtSecondValue()
    run = Run(sweep, "t_0", {"epochs": 5})
    status, error = Script("train.py", source_directory=str(train_dir)).run_child(
        {"--regularization": 0.0, "--epochs": 5}, run, workdir=tmp_path / "t_0", timeout=None
    )
    assert (status, error) == ("StoppedEarly", "stopped by the test")
    assert [name for name, _ in sweep.values] == ["Accuracy", "Accuracy"]  # the child stopped at its next log
    assert run.stop_reason == "stopped by the test"


def test_a_script_past_its_timeout_is_ended(train_dir: Path, tmp_path: Path) -> None:
    run = Run(_StopAtSecondValue(), "t_1", {})
    status, error = Script("train.py", source_directory=str(train_dir)).run_child(
        {"--mode": "sleep"}, run, workdir=tmp_path / "t_1", timeout=0.5
    )
    assert status == "TimedOut" and error == "stopped after trial_timeout=0.5 s"
