"""Parameter importance (hyperwidget.importance) and its plot."""

from __future__ import annotations

import math
import subprocess
import sys
import time

import numpy as np
import pytest

import hyperwidget as hw
from hyperwidget.importance import MIN_TRIALS, ImportanceError, importance_data, param_importance
from hyperwidget.results import SweepResults
from hyperwidget.trial import TrialRecord, TrialStatus


def synthetic(n: int, matters: str = "x", seed: int = 0, metric: str = "score") -> SweepResults:
    """``n`` trials of three hyperparameters; the metric depends on ``matters`` only (plus a little noise)."""
    rng = np.random.default_rng(seed)
    trials = []
    for i in range(n):
        params = {
            "x": float(rng.uniform(0, 1)),
            "lr": float(10 ** rng.uniform(-5, 0)),
            "kind": str(rng.choice(["a", "b", "c"])),
        }
        value = -((params["x"] - 0.3) ** 2) if matters == "x" else {"a": 0.0, "b": 1.0, "c": 0.5}[params["kind"]]
        value += float(rng.normal(0, 0.002))
        trials.append(
            TrialRecord(f"t{i}", i, params, TrialStatus.COMPLETED, {metric: (value - 1.0, value)}, ended_at=float(i))
        )
    return SweepResults("synthetic", metric, hw.Goal.MAXIMIZE, trials)


def test_the_one_hyperparameter_that_matters_ranks_first_by_a_wide_margin() -> None:
    importance = param_importance(synthetic(80))
    assert next(iter(importance.index)) == "x"
    assert importance["x"] > 0.85
    assert importance["x"] > 10 * max(importance["lr"], importance["kind"])
    assert math.isclose(importance.sum(), 1.0)
    assert importance.name == "score" and importance.attrs["n_trials"] == 80


def test_a_categorical_hyperparameter_that_matters_ranks_first() -> None:
    importance = param_importance(synthetic(80, matters="kind", seed=1))
    assert next(iter(importance.index)) == "kind"
    assert importance["kind"] > 0.85


def test_a_real_sweep_with_a_declared_log_space() -> None:
    def objective(x: float, lr: float, kind: str) -> float:
        return -((x - 0.3) ** 2) + 1e-6 * lr

    run = hw.run_sweep(
        objective,
        {"x": hw.uniform(0, 1), "lr": hw.loguniform(-5, 0), "kind": hw.choice("b", "a")},
        metric="score",
        max_total_runs=40,
        backend="sequential",
        storage=":memory:",
        monitor=False,
        seed=3,
    )
    data = importance_data(run)
    assert data.log == ["lr"] and data.categorical == ["kind"]
    # category positions follow the declared choice order: "b" is 0, "a" is 1
    kinds = {t.params["kind"] for t in run.trials}
    assert kinds == {"a", "b"} and set(data.X[:, data.names.index("kind")]) == {0.0, 1.0}
    first_b = next(i for i, t in enumerate(run.trials) if t.params["kind"] == "b")
    assert data.X[first_b, data.names.index("kind")] == 0.0
    importance = param_importance(run)
    assert importance.index[0] == "x"


def test_failed_and_unfinished_trials_are_left_out_and_a_constant_hyperparameter_gets_zero() -> None:
    base = synthetic(30)
    trials = [t.replace(params={**t.params, "fixed": 1}) for t in base.trials]
    trials.append(
        TrialRecord("bad", 30, {"x": 0.3, "lr": 0.1, "kind": "a", "fixed": 1}, TrialStatus.FAILED, {"score": (99.0,)})
    )
    trials.append(
        TrialRecord("open", 31, {"x": 0.3, "lr": 0.1, "kind": "a", "fixed": 1}, TrialStatus.RUNNING, {"score": (99.0,)})
    )
    importance = param_importance(SweepResults("s", "score", hw.Goal.MAXIMIZE, trials))
    assert importance.attrs["n_trials"] == 30
    assert importance["fixed"] == 0.0 and "fixed" in importance.index


def test_too_few_trials_say_how_many_are_needed() -> None:
    with pytest.raises(ImportanceError, match=rf"at least {MIN_TRIALS} finished trials.*has {MIN_TRIALS - 1}"):
        param_importance(synthetic(MIN_TRIALS - 1))


def test_a_constant_metric_is_a_clear_error() -> None:
    trials = [TrialRecord(f"t{i}", i, {"x": i}, TrialStatus.COMPLETED, {"score": (1.0,)}) for i in range(12)]
    with pytest.raises(ImportanceError, match="same value in every trial"):
        param_importance(SweepResults("flat", "score", hw.Goal.MAXIMIZE, trials))


def test_ten_thousand_trials_take_a_few_seconds_at_most() -> None:
    run = synthetic(10_000)
    start = time.perf_counter()
    importance = param_importance(run)
    elapsed = time.perf_counter() - start
    assert importance.index[0] == "x" and importance.attrs["n_trials"] == 3000
    assert elapsed < 15, elapsed


def test_plot_param_importance_draws_one_bar_per_hyperparameter() -> None:
    fig = hw.plot_param_importance(synthetic(40))
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "x" and sorted(labels) == ["kind", "lr", "x"]  # largest on top
    widths = [p.get_width() for p in ax.patches]
    assert math.isclose(sum(widths), 1.0) and max(widths) == widths[-1]


def test_plot_param_importance_says_why_when_it_cannot() -> None:
    fig = hw.plot_param_importance(synthetic(3))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("at least" in t for t in texts)


def test_importance_imports_neither_jupyter_nor_the_notebook_layer() -> None:
    code = (
        "import sys\nfrom hyperwidget.importance import param_importance\n"
        "bad = [m for m in ('IPython', 'ipywidgets', 'anywidget', 'hyperwidget.notebook') if m in sys.modules]\n"
        "print(bad)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
