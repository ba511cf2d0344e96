"""Nested and conditional search spaces: declaration, names, storage, grids and the GP encoding.

A dict holding expressions is a group; a ``choice`` among such dicts is a choice of branches. The trial
receives nested dicts as written, without the parameters of the branches not taken; samplers see one
dimension per expression (named by its dotted path) and one per choice of branches.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from hyperwidget.config import distinct_configurations, warn_repeats
from hyperwidget.errors import HyperwidgetWarning, SearchSpaceError
from hyperwidget.samplers import GridParameterSampling, RandomParameterSampling
from hyperwidget.samplers._gp.encoding import INACTIVE, INACTIVE_OPTION, Encoder
from hyperwidget.space import SearchSpace, choice, finrange, intrange, loguniform, randint, uniform
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

SVM = {
    "model": choice(
        {"kernel": "rbf", "gamma": loguniform(-9, 0), "C": uniform(0.1, 10)},
        {"kernel": "linear", "C": uniform(0.1, 10)},
    ),
    "optimizer": {"lr": loguniform(-9, -2), "momentum": uniform(0, 0.99)},
    "epochs": 10,
}


def test_a_configuration_is_nested_as_written_without_the_branch_not_taken() -> None:
    space = SearchSpace(SVM)
    assert space.names == ("model", "model.gamma", "model.C", "optimizer.lr", "optimizer.momentum")
    rng = np.random.default_rng(0)
    kernels = set()
    for _ in range(30):
        params = space.sample(rng)
        assert list(params) == ["model", "optimizer", "epochs"] and params["epochs"] == 10
        assert set(params["optimizer"]) == {"lr", "momentum"}
        kernel = params["model"]["kernel"]
        kernels.add(kernel)
        expected = {"kernel", "gamma", "C"} if kernel == "rbf" else {"kernel", "C"}
        assert set(params["model"]) == expected
        assert space.from_unit(space.to_unit(params)) == params
    assert kernels == {"rbf", "linear"}


def test_to_unit_leaves_the_inactive_dimensions_nan_and_from_unit_ignores_them() -> None:
    space = SearchSpace(SVM)
    params = {"model": {"kernel": "linear", "C": 5.05}, "optimizer": {"lr": 0.001, "momentum": 0.5}, "epochs": 10}
    unit = space.to_unit(params)
    assert np.isnan(unit[1]) and np.isfinite(np.delete(unit, 1)).all()
    unit[1] = 0.123  # whatever an inactive coordinate holds, the configuration is the same
    assert space.from_unit(unit) == space.from_unit(space.to_unit(params))
    assert space.flat_values(params) == {"model": 1, "model.C": 5.05, "optimizer.lr": 0.001, "optimizer.momentum": 0.5}


@pytest.mark.parametrize(
    "model",
    [
        {"kernel": "linear"},  # C missing
        {"kernel": "linear", "C": 1.0, "gamma": 0.1},  # gamma belongs to the other branch
        {"kernel": "poly", "C": 1.0},  # no such branch
        "linear",
    ],
)
def test_a_configuration_of_no_branch_is_refused(model: object) -> None:
    optimizer = {"lr": 0.01, "momentum": 0.5}
    with pytest.raises(SearchSpaceError):
        SearchSpace(SVM).flat_values({"model": model, "optimizer": optimizer, "epochs": 10})
    with pytest.raises(SearchSpaceError, match="expected a dict of"):
        SearchSpace(SVM).flat_values({"model": {"kernel": "linear", "C": 1.0}, "optimizer": {**optimizer, "x": 1}})


def test_a_name_shared_by_branches_is_one_parameter() -> None:
    space = SearchSpace(SVM)
    (c,) = [d for d in space.dimensions if d.name == "model.C"]
    assert len(c.paths) == 2, "active in both branches"
    optimizer = {"lr": 0.01, "momentum": 0.5}
    for model in ({"kernel": "rbf", "gamma": 0.1, "C": 1.0}, {"kernel": "linear", "C": 1.0}):
        assert space.flat_values({"model": model, "optimizer": optimizer, "epochs": 10})["model.C"] == 1.0


def test_a_choice_of_plain_values_or_plain_dicts_is_unchanged() -> None:
    space = SearchSpace({"opt": choice({"name": "sgd"}, {"name": "adam"}), "cfg": {"depth": 3}})
    assert not space["opt"].is_branching
    assert space.names == ("opt",) and space.is_flat and space.constants == {"cfg": {"depth": 3}}
    assert space.to_json()["opt"] == ["choice", [[{"name": "sgd"}, {"name": "adam"}]]]
    assert space.sample(np.random.default_rng(1))["opt"] in ({"name": "sgd"}, {"name": "adam"})


def test_to_json_round_trips_nested_spaces_as_plain_data() -> None:
    nested = {
        **SVM,
        "net": choice(
            {"kind": "mlp", "layers": intrange(1, 4), "act": choice({"f": "relu"}, {"f": "elu", "a": uniform(0, 1)})},
            {"kind": "cnn", "block": {"width": choice(16, 32), "kernel": 3}},
        ),
    }
    space = SearchSpace(nested)
    data = json.loads(json.dumps(space.to_json()))
    rebuilt = SearchSpace.from_json(data)
    assert rebuilt == space and rebuilt.names == space.names
    assert [rebuilt.sample(np.random.default_rng(s)) for s in range(5)] == [
        space.sample(np.random.default_rng(s)) for s in range(5)
    ]


@pytest.mark.parametrize(
    "data",
    [
        {"m": ["branches", "not a list"]},
        {"m": ["branches", [["not a dict"]]]},
        {"m": ["branches", [[{"k": {"group": 5}}]]]},
        {"m": {"group": {"x": ["__import__", ["os"]]}}},
        {"m": {"constant": 1, "extra": 2}},
        {"m": {"group": {"": ["uniform", [0, 1]]}}},
        {"m": ["branches", [[{"k": ["uniform", [0, 1]]}, {}]]]},
        {"m": ["branches", [[{"k": ["uniform", [1, 0]]}]]]},
        "not a dict",
    ],
)
def test_hostile_stored_spaces_raise_search_space_errors(data: object) -> None:
    with pytest.raises(SearchSpaceError):
        SearchSpace.from_json(data)  # type: ignore[arg-type]


def test_deeply_nested_stored_data_is_refused_not_recursed() -> None:
    node: object = ["uniform", [0, 1]]
    for _ in range(200):
        node = {"group": {"a": node}}
    with pytest.raises(SearchSpaceError, match="nest more than"):
        SearchSpace.from_json({"x": node})


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: choice({"a": uniform(0, 1)}, {}), r"choice option 1: an empty dict declares no parameter"),
        (lambda: choice({"a": uniform(0, 1)}, "none"), r"option 1 \('none'\) is not a dict.*\{'kind': 'none'\}"),
        (lambda: choice({"a": uniform(0, 1), 3: 1}), r"key 3 is a int; hyperparameter names are strings"),
        (lambda: choice({"a": uniform(0, 1), "b": object()}), r"choice option 0, key 'b': .* is not plain data"),
        (lambda: choice({"a b": uniform(0, 1)}), r"no '=', whitespace"),
        (
            lambda: SearchSpace({"model.gamma": uniform(0, 1), "model": {"gamma": uniform(0, 2)}}),
            r"\['model.gamma'\] and \['model'\]\['gamma'\] have the same flat name 'model.gamma'.*rename one",
        ),
        (
            lambda: SearchSpace({"m": choice({"k": "a", "x": uniform(0, 1)}, {"k": "b", "x": uniform(0, 2)})}),
            r"\['m'\]\[branch 1\]\['x'\] is declared differently from \['m'\]\[branch 0\]\['x'\]",
        ),
        (
            lambda: SearchSpace({"m": choice({"k": "a", "x": uniform(0, 1)}, {"k": "b", "x": 3})}),
            r"declared differently.*constants may differ",
        ),
        (
            lambda: SearchSpace({"m": choice({"x": uniform(0, 1)}), "m.x": 3}),
            r"same flat name 'm.x'",
        ),
    ],
)
def test_declaration_errors_name_the_place_and_the_fix(build, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SearchSpaceError, match=message):
        build()


def test_grid_lists_each_branch_own_grid_once() -> None:
    space = {
        "model": choice(
            {"kernel": "rbf", "gamma": finrange(0.1, 1.0, 3), "C": choice(1, 10)},
            {"kernel": "linear", "C": choice(1, 10)},
            {"kernel": "linear", "C": choice(1, 10)},  # identical: one branch
            {
                "kernel": "poly",
                "degree": intrange(2, 4),
                "opt": choice({"n": "sgd", "m": choice(0, 0.9)}, {"n": "adam"}),
            },
        ),
        "lr": choice(0.01, 0.1),
    }
    grid = GridParameterSampling(space)
    assert grid.max_trials() == (6 + 2 + 3 * 3) * 2 == distinct_configurations(grid.space)
    points = [grid.point(i) for i in range(grid.max_trials())]
    assert len({json.dumps(p, sort_keys=True) for p in points}) == len(points)
    history: list[TrialRecord] = []
    while (params := grid.suggest(history, "acc", Goal.MAXIMIZE)) is not None:
        history.append(
            TrialRecord(id=f"t{len(history)}", index=len(history), params=params, status=TrialStatus.COMPLETED)
        )
    assert [r.params for r in history] == points


def test_the_repeat_warning_counts_branches() -> None:
    space = {"m": choice({"k": "a", "x": choice(1, 2, 3)}, {"k": "b"})}  # 4 configurations, not 3 * 2
    assert distinct_configurations(SearchSpace(space)) == 4
    with pytest.warns(HyperwidgetWarning, match="only 4 distinct configurations"):
        warn_repeats(RandomParameterSampling(space, seed=0), 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_repeats(RandomParameterSampling(space, seed=0), 4)


def test_sobol_picks_the_branch_then_only_its_parameters() -> None:
    space = {"m": choice({"k": "a", "x": uniform(0, 1)}, {"k": "b", "y": uniform(0, 1)}), "z": randint(3)}
    sampler = RandomParameterSampling(space, rule="sobol", seed=2)
    history: list[TrialRecord] = []
    for i in range(16):  # Sobol point i is proposal i
        params = sampler.suggest(history, "acc", Goal.MAXIMIZE)
        history.append(TrialRecord(id=f"t{i}", index=i, params=params or {}, status=TrialStatus.RUNNING))
    proposals = [r.params for r in history]
    branches = [p["m"]["k"] for p in proposals]
    assert branches.count("a") == branches.count("b") == 8, "Sobol balances the branch dimension"
    assert all(set(p["m"]) == ({"k", "x"} if p["m"]["k"] == "a" else {"k", "y"}) for p in proposals)


def test_the_gp_encoding_gives_inactive_parameters_one_fixed_value_outside_the_range() -> None:
    space = SearchSpace(
        {
            "m": choice(
                {"k": "a", "x": uniform(0, 1), "c": choice("u", "v")},
                {"k": "b", "y": uniform(0, 1), "n": choice({"t": "p", "z": uniform(0, 1)}, {"t": "q"})},
            )
        }
    )
    encoder = Encoder(space)
    j = {n: i for i, n in enumerate(space.names)}
    first, second = (encoder.encode({"m": {"k": "b", "y": y, "n": {"t": "q"}}}) for y in (0.2, 0.7))
    for name in ("m.x", "m.c", "m.n.z"):  # lacking them, the two configurations agree on them
        assert first[j[name]] == second[j[name]]
    assert first[j["m.x"]] == INACTIVE and first[j["m.c"]] == INACTIVE_OPTION and first[j["m.n.z"]] == INACTIVE
    rng = np.random.default_rng(0)
    candidates = np.vstack([encoder.random(200, rng), encoder.perturb(np.vstack([first] * 200), 0.3, rng)])
    for row in candidates:  # every candidate the acquisition scores is a valid configuration's encoding
        assert np.array_equal(encoder.snap(row[None, :])[0], row), "candidates are already snapped"
        assert np.allclose(encoder.encode(encoder.decode(row)), row), "and decode to their own configuration"
    taken = {tuple(encoder.decode(row)["m"]) for row in candidates}
    assert taken == {("k", "x", "c"), ("k", "y", "n")}


def test_syne_tune_spellings_take_the_same_nested_forms() -> None:
    from hyperwidget import syne_tune as st

    space = SearchSpace(
        {
            "optimizer": st.choice([{"name": "sgd", "momentum": st.uniform(0, 0.99)}, {"name": "adam"}]),
            "schedule": {"learning_rate": st.loguniform(1e-5, 1e-1), "warmup": st.randint(0, 5)},
        }
    )
    assert space.names == ("optimizer", "optimizer.momentum", "schedule.learning_rate", "schedule.warmup")
    params = space.sample(np.random.default_rng(3))
    assert 1e-5 <= params["schedule"]["learning_rate"] <= 1e-1 and params["schedule"]["warmup"] in range(6)
    assert (
        GridParameterSampling({"o": st.choice([{"n": "sgd", "m": st.randint(1, 2)}, {"n": "adam"}])}).max_trials() == 3
    )
