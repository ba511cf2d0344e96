"""Multi-fidelity Bayesian optimisation: the sampler reads partial curves at the policy's rungs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import hyperwidget as hw
from hyperwidget.config import fidelity_of
from hyperwidget.policies import ASHAPolicy, BanditPolicy, HyperbandPolicy, MedianStoppingPolicy
from hyperwidget.samplers import BayesianParameterSampling
from hyperwidget.samplers._gp.fidelity import level_values, rung_losses
from hyperwidget.space import uniform
from hyperwidget.trial import Fidelity, Goal, SearchTask, TrialRecord, TrialStatus

ACC = "acc"
FIDELITY = Fidelity(resource_attr=None, levels=(1.0, 3.0), max_resource=9.0)


def _record(index: int, x: float, values: list[float], status: TrialStatus) -> TrialRecord:
    return TrialRecord(f"t{index}", index, {"x": x}, status, metrics={ACC: tuple(values)})


def _history() -> list[TrialRecord]:
    """Six trials stopped at rung 1, three at rung 3, two trained fully (9 intervals)."""
    rng = np.random.default_rng(0)
    records = []
    for i in range(11):
        x = float(rng.uniform())
        curve = [1 - (x - 0.7) ** 2 - 0.5 / step for step in range(1, 10)]
        length = 1 if i < 6 else 3 if i < 9 else 9
        status = TrialStatus.STOPPED_EARLY if length < 9 else TrialStatus.COMPLETED
        records.append(_record(i, x, curve[:length], status))
    return records


def test_fidelity_comes_from_asha_and_hyperband_policies_only() -> None:
    assert fidelity_of(ASHAPolicy(max_resource=30)) == Fidelity(None, (1.0, 3.0, 9.0, 27.0), 30.0)
    assert fidelity_of(HyperbandPolicy(max_resource=27, resource_attr="epoch")) == Fidelity(
        "epoch", (1.0, 3.0, 9.0), 27.0
    )
    assert fidelity_of(BanditPolicy(slack_factor=0.1)) is None
    assert fidelity_of(MedianStoppingPolicy()) is None


def test_level_values_are_the_values_at_the_first_interval_at_or_past_each_rung() -> None:
    record = _record(0, 0.5, [0.1, 0.2, 0.3, 0.4], TrialStatus.STOPPED_EARLY)
    assert level_values(record, ACC, FIDELITY) == [0.1, 0.3]
    by_epoch = record.replace(metrics={ACC: (0.1, 0.2, 0.3, 0.4), "epoch": (2, 4, 6, 8)})
    assert level_values(by_epoch, ACC, Fidelity("epoch", (3.0, 5.0), 8.0)) == [0.2, 0.3, 0.4]
    assert level_values(by_epoch, ACC, Fidelity("epoch", (1.0, 2.0), 10.0)) == [0.1, 0.1]


def test_the_model_is_fitted_on_rung_values_of_stopped_trials_at_the_highest_rung_with_enough_points() -> None:
    history = _history()
    sampler = BayesianParameterSampling({"x": uniform(0, 1)}, seed=0, n_initial=3)
    sampler.set_task(SearchTask(((ACC, Goal.MAXIMIZE),), fidelity=FIDELITY))
    data = sampler._training_data(history, ((ACC, Goal.MAXIMIZE),))
    # Only two trials were trained fully, five reached rung 3: the model is on the values at interval 3.
    reached = history[6:]
    assert np.allclose(data.x[:, 0], [r.params["x"] for r in reached])
    assert np.allclose(data.losses[:, 0], [-r.series(ACC)[2] for r in reached])
    # Without the fidelity every trial counts with its last value (main's rule).
    plain = BayesianParameterSampling({"x": uniform(0, 1)}, seed=0, n_initial=3)
    plain_data = plain._training_data(history, ((ACC, Goal.MAXIMIZE),))
    assert np.allclose(plain_data.losses[:, 0], [-r.last(ACC) for r in history])


def test_stacked_rungs_rank_trials_by_the_level_reached_then_by_value() -> None:
    history = _history()
    keep, losses = rung_losses(history, ACC, Goal.MAXIMIZE, FIDELITY, min_points=3, mode="stacked")
    assert keep == list(range(11))
    assert losses[9:].max() < losses[6:9].min() and losses[6:9].max() < losses[:6].min()
    first_rung = [-history[i].series(ACC)[0] for i in range(6)]
    assert list(np.argsort(losses[:6])) == list(np.argsort(first_rung))


def test_proposals_are_unchanged_without_a_multi_fidelity_policy() -> None:
    history = [
        _record(i, x, [math.sin(5 * x) - 0.1 * i], TrialStatus.COMPLETED)
        for i, x in enumerate(np.linspace(0.05, 0.95, 7))
    ]
    history.append(_record(7, 0.33, [0.2, 0.25], TrialStatus.STOPPED_EARLY))
    space = {"x": uniform(0, 1), "y": uniform(-1, 1)}
    history = [r.replace(params={"x": r.params["x"], "y": 0.1 * r.index}) for r in history]

    def proposals(task: SearchTask | None) -> list[dict[str, float]]:
        sampler = BayesianParameterSampling(space, seed=4, n_initial=5)
        if task is not None:
            sampler.set_task(task)
        return [sampler.suggest(history[:n], ACC, Goal.MAXIMIZE) for n in (6, 7, 8)]  # type: ignore[misc]

    bandit = SearchTask(((ACC, Goal.MAXIMIZE),), fidelity=fidelity_of(BanditPolicy(slack_factor=0.1)))
    expected = proposals(None)
    assert proposals(bandit) == expected
    assert proposals(SearchTask(((ACC, Goal.MAXIMIZE),))) == expected
    assert proposals(SearchTask(((ACC, Goal.MAXIMIZE),), fidelity=FIDELITY)) != expected  # the hook is live


def _curve(x: float, width: float) -> None:
    for step in range(1, 10):
        hw.log(ACC, 1 - (x - 0.6) ** 2 - 0.05 * width - 0.5 / step)


def test_bayesian_with_asha_end_to_end_and_resumed(tmp_path: Path) -> None:
    space = {"x": uniform(0, 1), "width": uniform(0, 1)}
    policy = ASHAPolicy(max_resource=9, min_resource=1, reduction_factor=3)
    db = tmp_path / "mf.db"
    run = hw.run_sweep(
        _curve, space, metric=ACC, goal="maximize", sampler="bayesian", policy=policy, max_total_runs=10,
        backend="sequential", storage=db, name="mf", seed=1, monitor=False,
    )  # fmt: skip
    assert run.config.sampler.task.fidelity == Fidelity(None, (1.0, 3.0), 9.0)
    stopped = [t for t in run.trials if t.status is TrialStatus.STOPPED_EARLY]
    assert stopped and len(run.trials) == 10
    resumed = hw.resume_sweep("mf", _curve, db, max_total_runs=13, monitor=False)
    assert resumed.config.sampler.task.fidelity == Fidelity(None, (1.0, 3.0), 9.0)
    assert len(resumed.trials) == 13 and all(t.status.is_finished for t in resumed.trials)


def test_a_paused_trial_counts_at_its_rungs_under_a_multi_fidelity_policy() -> None:
    paused = getattr(TrialStatus, "PAUSED", None)
    if paused is None:
        pytest.skip("no Paused status (ASHA's promotion variant, branch promote, is not merged)")
    history = [r.replace(status=paused) if r.status is TrialStatus.STOPPED_EARLY else r for r in _history()]
    sampler = BayesianParameterSampling({"x": uniform(0, 1)}, seed=0, n_initial=3)
    sampler.set_task(SearchTask(((ACC, Goal.MAXIMIZE),), fidelity=FIDELITY))
    data = sampler._training_data(history, ((ACC, Goal.MAXIMIZE),))
    assert len(data.x) == 5 and len(data.pending) == 0
