"""Syne Tune's spellings (hyperwidget.syne_tune): the d2l chapter's search space with only its import changed."""

from __future__ import annotations

import math
import warnings

import pytest

import hyperwidget as hw
from hyperwidget import SearchSpaceError
from hyperwidget.syne_tune import choice, finrange, logfinrange, lograndint, loguniform, randint, uniform

# The search space of the d2l chapter (seed 004), `from syne_tune.config_space import ...` changed to ours.
CHAPTER_SPACE = {
    "learning_rate": loguniform(1e-5, 1e-1),
    "weight_decay": loguniform(1e-9, 1e-2),
    "batch_size": randint(8, 128),
}


def _objective(learning_rate: float, weight_decay: float, batch_size: int) -> float:
    return -abs(math.log10(learning_rate) + 3) - batch_size / 1000 - weight_decay


@pytest.mark.parametrize("sampler", ["random", "sobol", "bayesian"])
def test_the_chapter_search_space_runs_with_syne_tune_meanings(sampler: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", hw.HyperwidgetWarning)  # natural bounds: no "exponents?" warning
        run = hw.run_sweep(
            _objective, CHAPTER_SPACE, metric="score", sampler=sampler, max_total_runs=12, seed=0, storage=None
        )
    params = [c.get_hyperparameters() for c in run.get_children()]
    assert [c.status for c in run.get_children()] == ["Completed"] * 12
    assert all(1e-5 <= p["learning_rate"] <= 1e-1 and 1e-9 <= p["weight_decay"] <= 1e-2 for p in params)
    assert all(isinstance(p["batch_size"], int) and 8 <= p["batch_size"] <= 128 for p in params)
    # log scale: about as many learning rates below 1e-3 (the middle exponent) as above
    below = sum(p["learning_rate"] < 1e-3 for p in params)
    assert 2 <= below <= 10


def test_integer_bounds_are_both_included_and_the_other_spellings_mean_what_syne_tune_means() -> None:
    assert list(randint(8, 10).grid_values()) == [8, 9, 10]
    assert lograndint(8, 512).bounds == (8, 512)
    assert uniform(0.1, 0.2).bounds == (0.1, 0.2)
    assert list(choice(["relu", "tanh"]).grid_values()) == ["relu", "tanh"]
    assert list(finrange(0.0, 1.0, 5).grid_values()) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert list(logfinrange(1, 1000, 4, cast_int=True).grid_values()) == [1, 10, 100, 1000]
    run = hw.run_sweep(
        lambda n, act: float(n), {"n": randint(1, 3), "act": choice(["relu", "tanh"])}, metric="m",
        sampler="grid", storage=None,
    )  # fmt: skip
    assert sorted((c.get_hyperparameters()["n"], c.get_hyperparameters()["act"]) for c in run.get_children()) == [
        (n, a) for n in (1, 2, 3) for a in ("relu", "tanh")
    ]


def test_choice_takes_one_list_as_in_syne_tune() -> None:
    with pytest.raises(SearchSpaceError, match=r"takes one list of categories, e.g. choice\(\["):
        choice("relu")  # type: ignore[arg-type]


def test_hyperdrive_randint_with_two_bounds_names_the_spellings_that_take_them() -> None:
    with pytest.raises(SearchSpaceError, match=r"randint\(8, 128\).*intrange\(8, 128\).*hyperwidget.syne_tune"):
        hw.randint(8, 128)
    assert list(hw.randint(3).grid_values()) == [0, 1, 2]  # HyperDrive's meaning at the top level
