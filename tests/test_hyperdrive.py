"""The seed documents' HyperDrive code (SDK v1 and v2) runs with only its import lines changed."""

from __future__ import annotations

import re
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import hyperwidget as hw
from hyperwidget import HyperwidgetWarning, SweepConfigError

# The seed's training script (000_…), with its import line changed and its typos fixed
# ('import azureml.core import Run', 'deault', 'LogsiticRegression', 'np.float', no 'import os').
SEED_TRAIN = textwrap.dedent("""
    import argparse
    import os
    import joblib
    from hyperwidget import Run
    import pandas as pd
    import numpy as np
    from sklearn.model_selection import train_test_split
    from sklearn.linear_model import LogisticRegression

    # Get reqularization hyperparameter
    parser = argparse.ArgumentParser()
    parser.add_argument('--regularization', type=float, dest='reg_rate', default=0.01)
    args = parser.parse_args()
    reg = args.reg_rate

    # Get the experiment run contxt
    run = Run.get_context()

    # Load the training dataset
    data = run.input_datasets['training_data'].to_pandas_dataframe()

    # Seperate features and labels, and split for training/validation
    X = data[['feature1', 'feature2']].values
    y = data['label'].values
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

    # Train a logistic regression model with the reg hyperparameter
    model = LogisticRegression(C=1/reg, solver='liblinear').fit(X_train, y_train)

    # Calculate and log accuracy
    y_pred = model.predict(X_test)
    acc = np.average(y_pred==y_test)
    run.log('Accuracy', float(acc))

    # Save the trained model
    os.makedirs('outputs', exist_ok=True)
    joblib.dump(value=model, filename='outputs/model.pkl')

    run.complete()
""")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.8, size=300) > 0).astype(int)
    lines = ["feature1,feature2,label"] + [f"{a:.4f},{b:.4f},{c}" for (a, b), c in zip(x, y, strict=True)]
    (tmp_path / "data.csv").write_text("\n".join(lines))
    (tmp_path / "train.py").write_text(SEED_TRAIN)
    return tmp_path


@pytest.mark.slow
def test_sdk_v1_seed_code_runs_with_only_imports_changed(project: Path) -> None:
    from hyperwidget import (
        BanditPolicy,
        Dataset,
        Experiment,
        GridParameterSampling,
        HyperDriveConfig,
        PrimaryMetricGoal,
        ScriptRunConfig,
        Workspace,
        choice,
    )

    ws = Workspace.from_config()
    ds = Dataset.Tabular.from_delimited_files("data.csv")
    script_config = ScriptRunConfig(
        source_directory=".", script="train.py", inputs=[ds.as_named_input("training_data")]
    )
    param_space = {"--regularization": choice(0.001, 0.01, 0.1, 1.0, 10.0, 100.0)}
    param_sampling = GridParameterSampling(param_space)
    hyperdrive = HyperDriveConfig(
        run_config=script_config,
        hyperparameter_sampling=param_sampling,
        policy=None,
        primary_metric_name="Accuracy",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=6,
        max_concurrent_runs=4,
    )
    experiment = Experiment(workspace=ws, name="hyperdrive_training")
    hyperdrive_run = experiment.submit(config=hyperdrive)
    hyperdrive_run.wait_for_completion()

    children = list(hyperdrive_run.get_children())
    assert len(children) == 6 and all(c.get_status() == "Completed" for c in children)
    for child_run in children:
        assert 0.5 < child_run.get_metrics()["Accuracy"] <= 1.0
    rows = hyperdrive_run.get_children_sorted_by_primary_metric()
    assert [r["best_primary_metric"] for r in rows] == sorted((r["best_primary_metric"] for r in rows), reverse=True)
    best_run = hyperdrive_run.get_best_run_by_primary_metric()
    assert best_run.id == rows[0]["run_id"]
    assert "outputs/model.pkl" in best_run.get_file_names()
    best_run.download_file("outputs/model.pkl", "best.pkl")
    import joblib

    model = joblib.load("best.pkl")
    assert model.predict([[3.0, 3.0]])[0] == 1
    assert hyperdrive_run.get_hyperparameters()[best_run.id] == rows[0]["hyperparameters"]
    assert isinstance(BanditPolicy(slack_amount=0.2, evaluation_interval=1, delay_evaluation=5), hw.BanditPolicy)


def test_sdk_v1_seed_declarations_all_construct() -> None:
    from hyperwidget import (
        BanditPolicy,
        BayesianParameterSampling,
        GridParameterSampling,
        MedianStoppingPolicy,
        RandomParameterSampling,
        TruncationSelectionPolicy,
        choice,
        normal,
        uniform,
    )

    param_space = {"--batch_size": choice(16, 32, 64), "--learning_rate": normal(10, 3)}
    RandomParameterSampling(param_space)
    param_space = {"--batch_size": choice(16, 32, 64), "--learning_rate": choice(0.01, 0.1, 1.0)}
    assert GridParameterSampling(param_space).max_trials() == 9
    param_space = {"--batch_size": choice(16, 32, 64), "--learning_rate": uniform(0.05, 0.1)}
    BayesianParameterSampling(param_space)
    BanditPolicy(slack_amount=0.2, evaluation_interval=1, delay_evaluation=5)
    MedianStoppingPolicy(evaluation_interval=1, delay_evaluation=5)
    TruncationSelectionPolicy(truncation_percentage=10, evaluation_interval=1, delay_evaluation=5)


def test_sdk_v1_function_run_config_and_limits() -> None:
    from hyperwidget import Experiment, HyperDriveConfig, PrimaryMetricGoal, RandomParameterSampling, uniform

    def train(x: float) -> float:
        return -((x - 0.5) ** 2)

    with pytest.warns(HyperwidgetWarning, match="above the limit of 10080; using 10080"):
        config = HyperDriveConfig(
            run_config=train,
            hyperparameter_sampling=RandomParameterSampling({"x": uniform(0, 1)}, seed=1),
            primary_metric_name="score",
            primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
            max_total_runs=5,
            max_duration_minutes=20000,
        )
    assert config.max_duration_minutes == 10080
    assert config.max_concurrent_runs == 5  # None means max_total_runs (T16)
    run = Experiment(name="fn").submit(config)
    run.wait_for_completion()
    assert run.get_status() == "Completed" and len(run.get_children()) == 5
    with pytest.raises(SweepConfigError, match="exactly one of run_config"):
        HyperDriveConfig(
            hyperparameter_sampling=config.hyperparameter_sampling,
            primary_metric_name="score",
            primary_metric_goal="MAXIMIZE",
            max_total_runs=1,
        )


def test_bayesian_sampling_warns_below_twenty_runs_per_hyperparameter() -> None:
    from hyperwidget import BayesianParameterSampling, HyperDriveConfig, choice, quniform, uniform

    sampling = BayesianParameterSampling({"a": uniform(0, 1), "b": choice(1, 2), "c": quniform(1, 10, 1)})
    with pytest.warns(HyperwidgetWarning, match="at least 60 runs"):
        HyperDriveConfig(
            run_config=lambda a, b, c: a,
            hyperparameter_sampling=sampling,
            primary_metric_name="m",
            primary_metric_goal="MAXIMIZE",
            max_total_runs=50,
            max_concurrent_runs=2,
        )


# The seed's v2 training script logs with plain MLflow, unchanged: MLflow reports to the trial through the
# tracking store of the `hyperwidget:` scheme (hyperwidget/tracking.py).
V2_TRAIN = textwrap.dedent("""
    import argparse
    import mlflow

    parser = argparse.ArgumentParser()
    parser.add_argument('--batch_size', type=int)
    parser.add_argument('--learning_rate', type=float)
    parser.add_argument('--epochs', type=int)
    args = parser.parse_args()
    for epoch in range(args.epochs):
        mlflow.log_metric('accuracy', 1 - abs(args.learning_rate - 0.07) - 0.001 * args.batch_size / (epoch + 1))
""")


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["grid", "random", "bayesian", "sobol"])
def test_sdk_v2_seed_code_runs_with_only_imports_changed(tmp_path: Path, algorithm: str) -> None:
    from hyperwidget import BanditPolicy, Choice, MLClient, RandomSamplingAlgorithm, Uniform, command

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(V2_TRAIN)
    job = command(
        code="./src",
        command="python train.py --batch_size ${{inputs.batch_size}} "
        "--learning_rate ${{inputs.learning_rate}} --epochs ${{inputs.epochs}}",
        inputs={"batch_size": 32, "learning_rate": 0.01, "epochs": 4},
        environment="AzureML-sklearn",
        compute="local",
    )
    if algorithm == "grid":
        command_job_for_sweep = job(
            batch_size=Choice(values=[16, 32, 64]), learning_rate=Choice(values=[0.01, 0.1, 1.0])
        )
    else:
        command_job_for_sweep = job(
            batch_size=Choice(values=[16, 32, 64]), learning_rate=Uniform(min_value=0.05, max_value=0.1)
        )
    sampling = RandomSamplingAlgorithm(seed=123, rule="sobol") if algorithm == "sobol" else algorithm
    sweep_job = command_job_for_sweep.sweep(sampling_algorithm=sampling, primary_metric="accuracy", goal="Maximize")
    sweep_job.early_termination = BanditPolicy(slack_amount=0.2, delay_evaluation=5, evaluation_interval=1)
    sweep_job.set_limits(max_total_trials=6, max_concurrent_trials=2, timeout=600, trial_timeout=120)
    ml_client = MLClient(credential=None, subscription_id="sub", resource_group_name="rg", workspace_name="ws")
    returned_job = ml_client.jobs.create_or_update(sweep_job)
    ml_client.jobs.stream(returned_job.name)
    run = ml_client.jobs.get(returned_job.name)
    assert run.status == "Completed"
    children = run.get_children()
    assert len(children) == 6 and all(c.status == "Completed" for c in children)
    assert all(len(c.get_metrics()["accuracy"]) == 4 for c in children)
    assert set(children[0].get_hyperparameters()) == {"batch_size", "learning_rate"}


def test_sdk_v2_errors_name_the_fix(tmp_path: Path) -> None:
    from hyperwidget import command

    (tmp_path / "train.py").write_text("print(1)")
    job = command(code=str(tmp_path), command="python train.py --lr ${{inputs.lr}}", inputs={"lr": 0.1})
    with pytest.raises(SweepConfigError, match="no input is a search-space expression"):
        job.sweep(primary_metric="acc", goal="Maximize")
    with pytest.raises(SweepConfigError, match="unknown 'bayes'"):
        job(lr=hw.Uniform(min_value=0.0, max_value=1.0)).sweep(
            primary_metric="acc", goal="Maximize", sampling_algorithm="bayes"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sweep = job(momentum=hw.Uniform(min_value=0.0, max_value=1.0)).sweep(primary_metric="acc", goal="Maximize")
    with pytest.raises(SweepConfigError, match=r"\['momentum'\] do not appear"):
        sweep.prepare("x", None)


@pytest.mark.slow
def test_sdk_v1_sweep_whose_runs_all_fail_ends_failed_and_wait_for_completion_raises(project: Path) -> None:
    from hyperwidget import (
        Experiment,
        GridParameterSampling,
        HyperDriveConfig,
        PrimaryMetricGoal,
        ScriptRunConfig,
        Workspace,
        choice,
    )

    script_config = ScriptRunConfig(source_directory=".", script="train.py")  # inputs=[training_data] forgotten
    param_sampling = GridParameterSampling({"--regularization": choice(0.001, 0.01, 0.1, 1.0, 10.0, 100.0)})
    hyperdrive = HyperDriveConfig(
        run_config=script_config,
        hyperparameter_sampling=param_sampling,
        policy=None,
        primary_metric_name="Accuracy",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=6,
        max_concurrent_runs=2,
    )
    hyperdrive_run = Experiment(workspace=Workspace.from_config(), name="hd").submit(config=hyperdrive)
    with pytest.raises(hw.SweepFailedError, match=r"the first 3 trials all failed the same way \(KeyError\)") as info:
        hyperdrive_run.wait_for_completion()
    assert "run.input_datasets['training_data']" in str(info.value)  # the first child run's traceback
    assert "Fix the objective (script " in str(info.value)
    details = hyperdrive_run.wait_for_completion(raise_on_error=False)
    assert details["status"] == "Failed" == hyperdrive_run.get_status()
    statuses = [c.get_status() for c in hyperdrive_run.get_children()]
    assert statuses.count("Failed") >= 3 and len(statuses) <= 4  # no child run started after the third failure


# A v2 training script whose values never reach the sweep: a local ``mlflow.py`` next to it shadows MLflow (as
# would its own MLFLOW_TRACKING_URI in the command's environment, which sends them to the user's server only).
PLAIN_MLFLOW_TRAIN = textwrap.dedent("""
    import argparse
    import mlflow

    parser = argparse.ArgumentParser()
    parser.add_argument('--learning_rate', type=float)
    args = parser.parse_args()
    for epoch in range(3):
        mlflow.log_metric('accuracy', 1 - abs(args.learning_rate - 0.07))
""")


@pytest.mark.filterwarnings("ignore:trial failed:hyperwidget.errors.HyperwidgetWarning")
def test_sdk_v2_sweep_whose_script_never_logs_the_metric_fails_fast(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hyperwidget import MLClient, Uniform, command

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(PLAIN_MLFLOW_TRAIN)
    (tmp_path / "src" / "mlflow.py").write_text("def log_metric(key, value, step=None):\n    pass\n")
    job = command(
        code="./src",
        command="python train.py --learning_rate ${{inputs.learning_rate}}",
        inputs={"learning_rate": 0.01},
        compute="local",
    )
    sweep_job = job(learning_rate=Uniform(min_value=0.05, max_value=0.1)).sweep(
        sampling_algorithm="random", primary_metric="accuracy", goal="Maximize"
    )
    sweep_job.set_limits(max_total_trials=6, max_concurrent_trials=2)
    ml_client = MLClient()
    returned_job = ml_client.jobs.create_or_update(sweep_job)
    with pytest.raises(hw.SweepFailedError) as info:
        ml_client.jobs.stream(returned_job.name)
    message = str(info.value)
    assert "the first 3 trials all failed the same way (the primary metric 'accuracy' was never logged)" in message
    assert "log it with log('accuracy', value)" in message and "Fix the objective (script " in message
    assert "Failed" in capsys.readouterr().out  # stream printed the summary before raising
    run = ml_client.jobs.get(returned_job.name)
    statuses = [c.status for c in run.get_children()]
    assert run.status == "Failed" and statuses.count("Failed") >= 3 and len(statuses) <= 4
    assert hw.load_sweep(returned_job.name).status == "Failed"


# A v2 training script as MS Learn writes them: reads a uri_file input, logs with Run, saves its model in ./outputs.
V2_DATA_TRAIN = textwrap.dedent("""
    import argparse
    import os
    import time
    from hyperwidget import Run

    parser = argparse.ArgumentParser()
    parser.add_argument('--data', type=str)
    parser.add_argument('--learning_rate', type=float)
    args = parser.parse_args()
    rows = open(args.data).read().split()
    time.sleep(0.3)
    accuracy = 1 - abs(args.learning_rate - 0.07) + 0.0 * len(rows)
    Run.get_context().log('accuracy', accuracy)
    os.makedirs('outputs', exist_ok=True)
    with open('outputs/model.txt', 'w') as f:
        f.write(repr(args.learning_rate))
""")


@pytest.fixture
def fresh_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-time notes start over (another test may have given them in this process)."""
    from hyperwidget import sweep_job
    from hyperwidget.executor import _backends

    monkeypatch.setattr(_backends, "_NOTED_TARGETS", set())
    monkeypatch.setattr(sweep_job, "_NOTES", set())


def _v2_job(tmp_path: Path, compute: str) -> object:
    from hyperwidget import Choice, Environment, Input, command

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(V2_DATA_TRAIN)
    (tmp_path / "data.csv").write_text("a\n1\n2\n")
    job = command(
        code="./src",
        command="python train.py --data ${{inputs.data}} --learning_rate ${{inputs.learning_rate}}",
        inputs={"data": Input(type="uri_file", path="data.csv"), "learning_rate": 0.01},
        environment=Environment(image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04", conda_file="conda.yml"),
        compute=compute,
    )
    sweep_job = job(learning_rate=Choice(values=[0.01, 0.07, 0.2])).sweep(
        sampling_algorithm="grid", primary_metric="accuracy", goal="Maximize"
    )
    sweep_job.set_limits(max_total_trials=3, max_concurrent_trials=2)
    return sweep_job


@pytest.mark.slow
@pytest.mark.usefixtures("fresh_notes")
def test_sdk_v2_ms_learn_code_with_a_named_compute_inputs_and_environment_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hyperwidget import Environment, MLClient, command

    with pytest.warns(HyperwidgetWarning) as notes:
        sweep_job = _v2_job(tmp_path, compute="aml-cluster")
        ml_client = MLClient(credential=None, subscription_id="sub", resource_group_name="rg", workspace_name="ws")
        returned_job = ml_client.create_or_update(sweep_job)
    texts = [str(n.message) for n in notes]
    assert any("trials run in this Python environment" in t for t in texts)
    assert any("compute target 'aml-cluster': runs on this machine with the 'loky' backend" in t for t in texts)
    assert any("compute='dask'" in t for t in texts)
    assert returned_job.studio_url == f"{(tmp_path / 'hyperwidget.db').as_uri()}#{returned_job.name}"
    ml_client.jobs.stream(returned_job.name)
    out = capsys.readouterr().out
    assert f"RunId: {returned_job.name}\nWeb View: file://" in out
    for index in range(3):
        assert f'{returned_job.name}_{index} Running {{"learning_rate": ' in out
        assert re.search(rf"{returned_job.name}_{index} Completed accuracy=(1|0\.\d+)\n", out)
    run = ml_client.jobs.get(returned_job.name)
    assert run.status == "Completed"
    best = run.get_best_run_by_primary_metric()
    assert best.get_hyperparameters() == {"learning_rate": 0.07}
    assert Path(best.download_file("outputs/model.txt")).read_text() == "0.07"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once per process
        job = command(
            code="./src", command="python train.py --lr ${{inputs.lr}}", environment=Environment(name="AzureML-sklearn")
        )
        job(lr=hw.Uniform(min_value=0.0, max_value=1.0)).sweep(
            primary_metric="accuracy", goal="Maximize", compute="aml-cluster"
        ).prepare("again", None)


def test_jobs_stream_prints_trial_lines_while_the_sweep_runs() -> None:
    from objectives import curve

    from hyperwidget.sweep import stream_trials

    run = hw.start_sweep(
        curve,
        {"x": hw.choice(0.1, 0.2, 0.3), "epochs": 3, "delay": 0.1},
        metric="acc",
        sampler="grid",
        backend="threads",
        max_concurrent_runs=1,
        storage=None,
    )
    lines: list[tuple[str, bool]] = []
    stream_trials(run, write=lambda line: lines.append((line, run.is_running)))
    assert [line.split()[1] for line, _ in lines] == ["Running", "Completed"] * 3
    assert sum(running for _, running in lines) >= 2, "lines came while the sweep ran, not all at its end"
    assert lines[-1][0].startswith(f"{run.name}_2 Completed acc=")


@pytest.mark.usefixtures("fresh_notes")
def test_any_named_compute_target_runs_here_and_says_so_once() -> None:
    from hyperwidget import ScriptRunConfig
    from hyperwidget.executor import backend_for_compute_target

    with pytest.warns(HyperwidgetWarning, match=r"compute target 'gpu-cluster': runs on this machine .*'dask'"):
        assert backend_for_compute_target("gpu-cluster") == "loky"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert backend_for_compute_target("gpu-cluster") == "loky"  # once per name
        assert backend_for_compute_target("Dask") == "dask"
        assert backend_for_compute_target("threads") == "threads"
        assert backend_for_compute_target(None) == backend_for_compute_target("local") == "loky"

    class ComputeTarget:  # a v1 ComputeTarget object: its name counts
        name = "cpu-cluster-v1"

    with pytest.warns(HyperwidgetWarning, match="'cpu-cluster-v1'"):
        assert backend_for_compute_target(ComputeTarget()) == "loky"
    with pytest.warns(HyperwidgetWarning, match="'aml-cluster'"):
        config = ScriptRunConfig(source_directory=".", script="train.py", compute_target="aml-cluster")
        assert config.backend == "loky"


def test_input_resolves_local_paths_and_names_the_fix(tmp_path: Path) -> None:
    from hyperwidget import Input, command

    (tmp_path / "data.csv").write_text("x\n")
    (tmp_path / "folder").mkdir()
    assert Input(type="uri_file", path="data.csv").value == str(tmp_path / "data.csv")
    assert str(Input(type="uri_folder", path="./folder")) == str(tmp_path / "folder")
    assert Input(type="number", default=0.5).value == 0.5
    with pytest.raises(SweepConfigError, match=r"a remote location; .* download it first"):
        Input(type="uri_folder", path="azureml://datastores/workspaceblobstore/paths/data/")
    with pytest.raises(SweepConfigError, match=r"no such file"):
        Input(type="uri_file", path="missing.csv")
    with pytest.raises(SweepConfigError, match=r"no such folder"):
        Input(type="uri_folder", path="data.csv")
    with pytest.raises(SweepConfigError, match=r"Input\(type='mltable'\): not supported here; use type='uri_file'"):
        Input(type="mltable", path="folder")
    (tmp_path / "train.py").write_text("print(1)")
    job = command(
        code=str(tmp_path),
        command="python train.py --data ${{inputs.data}} --lr ${{inputs.lr}}",
        inputs={"data": Input(type="uri_file", path="data.csv")},
    )
    assert job.script().command({"lr": 0.1})[-4:] == ["--data", str(tmp_path / "data.csv"), "--lr", "0.1"]
