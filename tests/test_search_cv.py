"""``SweepSearchCV``: a drop-in for RandomizedSearchCV (same results layout, clone, pipelines, scikit-learn's
estimator checks) whose folds are the evaluation intervals of an early-termination policy."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from hyperwidget import BanditPolicy, SearchSpaceError, SweepConfigError, SweepSearchCV, choice, log_uniform
from hyperwidget.results import SweepResults
from hyperwidget.search_cv import ScipyDistribution, to_search_space
from hyperwidget.space import IntRange, LogScaleUniform, Uniform

IRIS = load_iris(return_X_y=True)
#: The settings that keep a test's sweep small, in-process and deterministic.
QUICK: dict[str, Any] = {"backend": "sequential", "random_state": 0}


def _search(estimator: Any, space: dict[str, Any], **settings: Any) -> SweepSearchCV:
    return SweepSearchCV(estimator, space, **{"n_trials": 4, "cv": 3, "sampler": "random", **QUICK, **settings})


@pytest.mark.parametrize(
    ("load", "estimator", "space", "floor"),
    [
        (load_iris, LogisticRegression(max_iter=1000), {"C": log_uniform(1e-2, 1e2)}, 0.9),
        (
            load_breast_cancer,
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
            {"logisticregression__C": stats.loguniform(1e-3, 1e2)},
            0.9,
        ),
        (load_diabetes, Ridge(), {"alpha": stats.loguniform(1e-3, 1e2)}, 0.3),
    ],
    ids=["iris", "breast_cancer", "diabetes"],
)
def test_fit_predict_score_on_bundled_datasets(load: Any, estimator: Any, space: dict[str, Any], floor: float) -> None:
    X, y = load(return_X_y=True)
    search = SweepSearchCV(estimator, space, n_trials=5, cv=3, random_state=0).fit(X, y)  # bayesian, threads
    assert search.predict(X).shape == y.shape
    assert search.score(X, y) > floor
    assert search.best_score_ == pytest.approx(np.max(search.cv_results_["mean_test_score"]))
    assert search.best_params_ == search.cv_results_["params"][search.best_index_]
    assert search.n_splits_ == 3 and search.refit_time_ > 0
    assert len(search.sweep_run_.get_children(status="Completed")) == 5


def test_cv_results_have_randomized_search_keys_shapes_and_scores() -> None:
    X, y = IRIS
    space, cv = {"C": [0.01, 0.1, 1.0], "fit_intercept": [True, False]}, KFold(4, shuffle=True, random_state=1)
    ours = _search(LogisticRegression(max_iter=1000), space, n_trials=6, cv=cv, sampler="grid").fit(X, y)
    theirs = RandomizedSearchCV(LogisticRegression(max_iter=1000), space, n_iter=6, cv=cv, random_state=0).fit(X, y)
    assert set(ours.cv_results_) - set(theirs.cv_results_) == {"n_completed_folds", "stopped_early"}
    assert set(theirs.cv_results_) <= set(ours.cv_results_)
    for key, column in theirs.cv_results_.items():
        assert np.shape(ours.cv_results_[key]) == np.shape(column), key
        assert type(ours.cv_results_[key]) is type(column), key
    assert ours.cv_results_["param_C"].dtype == theirs.cv_results_["param_C"].dtype
    # the same 6 candidates (the whole grid), so the same fold scores candidate by candidate
    theirs_by_params = {tuple(sorted(p.items())): i for i, p in enumerate(theirs.cv_results_["params"])}
    for i, params in enumerate(ours.cv_results_["params"]):
        j = theirs_by_params[tuple(sorted(params.items()))]
        for k in range(4):
            assert ours.cv_results_[f"split{k}_test_score"][i] == pytest.approx(
                theirs.cv_results_[f"split{k}_test_score"][j]
            )
        assert ours.cv_results_["rank_test_score"][i] == theirs.cv_results_["rank_test_score"][j]
    assert ours.best_score_ == pytest.approx(theirs.best_score_)


def test_clone_and_get_set_params_round_trip() -> None:
    search = SweepSearchCV(SVC(), {"C": log_uniform(1e-2, 1e2)}, n_trials=7, policy="median", cv=4)
    twin = clone(search)
    assert twin.get_params(deep=False).keys() == search.get_params(deep=False).keys()
    assert twin.n_trials == 7 and twin.policy == "median" and twin.estimator is not search.estimator
    assert twin.set_params(estimator__C=3.0, n_trials=2) is twin
    assert twin.estimator.C == 3.0 and twin.n_trials == 2 and search.n_trials == 7
    assert search.get_params()["estimator__kernel"] == "rbf"


def test_pipeline_step_params_and_the_search_inside_a_pipeline() -> None:
    X, y = IRIS
    pipe = Pipeline([("scale", StandardScaler()), ("svc", SVC())])
    search = _search(pipe, {"svc__C": log_uniform(1e-2, 1e2), "svc__kernel": ["rbf", "linear"]}).fit(X, y)
    assert sorted(search.best_params_) == ["svc__C", "svc__kernel"]
    assert search.best_params_["svc__C"] == search.best_estimator_.named_steps["svc"].C
    outer = make_pipeline(StandardScaler(), _search(LogisticRegression(max_iter=1000), {"C": [0.1, 1.0]}))
    assert is_classifier(outer)  # the search takes the classifier's tags: cross-validation stratifies
    assert cross_val_score(outer, X, y, cv=3).mean() > 0.9


def test_lists_of_estimators_are_looked_up_by_index() -> None:
    X, y = IRIS
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    options = [LogisticRegression(max_iter=1000), DecisionTreeClassifier(max_depth=1, random_state=0)]
    search = _search(pipe, {"clf": options}, n_trials=4).fit(X, y)
    assert all(p["clf"] in options for p in search.cv_results_["params"])
    assert isinstance(search.best_params_["clf"], LogisticRegression)  # depth-1 trees score about 0.67
    assert search.cv_results_["param_clf"].dtype == object


def test_refit_false_keeps_the_best_but_no_estimator_and_refit_callable_picks() -> None:
    X, y = IRIS
    search = _search(LogisticRegression(max_iter=1000), {"C": [0.001, 1.0]}, refit=False).fit(X, y)
    assert search.best_params_ and not hasattr(search, "best_estimator_")
    with pytest.raises(AttributeError, match="has no attribute 'predict'") as error:
        search.predict(X)
    assert "refit=False" in str(error.value.__cause__)  # available_if keeps our reason as the cause
    chosen = _search(LogisticRegression(max_iter=1000), {"C": [0.001, 1.0]}, refit=lambda results: 0).fit(X, y)
    assert chosen.best_index_ == 0 and chosen.cv_results_["params"][0]["C"] == chosen.best_estimator_.C


def test_multi_metric_scoring_is_refused_with_the_fix() -> None:
    with pytest.raises(SweepConfigError, match=r"multi-metric scoring is not supported.*give one scorer"):
        _search(LogisticRegression(), {"C": [1.0]}, scoring=["accuracy", "f1_macro"]).fit(*IRIS)


_FITS = [0]


class CountingTree(DecisionTreeClassifier):
    """A tree that counts its fits (the tests run sweeps in this process)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None, check_input: bool = True) -> CountingTree:
        _FITS[0] += 1
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)  # type: ignore[no-any-return]


def test_policy_stops_hopeless_candidates_after_two_of_five_folds() -> None:
    X, y = IRIS
    _FITS[0] = 0
    policy = BanditPolicy(slack_amount=0.1, delay_evaluation=2)
    search = _search(CountingTree(random_state=0), {"max_depth": [1, 4]}, n_trials=8, cv=5, policy=policy).fit(X, y)
    results = search.cv_results_
    stopped = results["stopped_early"]
    assert stopped.any() and not stopped.all()
    assert set(results["param_max_depth"][stopped]) == {1}  # only the hopeless stumps (accuracy ~0.67 vs ~0.95)
    assert set(results["n_completed_folds"][stopped]) == {2}
    assert np.isnan(results["split2_test_score"][stopped]).all() and not np.isnan(results["split1_test_score"]).any()
    assert _FITS[0] == results["n_completed_folds"].sum() + 1 < 8 * 5 + 1  # the folds fit, plus the refit
    assert results["rank_test_score"][stopped].min() > results["rank_test_score"][~stopped].max()
    assert results["mean_test_score"][stopped] == pytest.approx(
        np.nanmean(np.column_stack([results[f"split{k}_test_score"][stopped] for k in range(5)]), axis=1)
    )
    statuses = [child.status for child in search.sweep_run_.get_children()]
    assert statuses.count("StoppedEarly") == stopped.sum()


@pytest.mark.parametrize("sampler", ["random", "bayesian(n_initial=3)"])
def test_random_state_reproduces_the_candidates(sampler: str) -> None:
    X, y = IRIS
    space = {"C": log_uniform(1e-3, 1e2), "fit_intercept": [True, False]}

    def candidates(seed: int) -> list[dict[str, Any]]:
        search = _search(LogisticRegression(max_iter=1000), space, n_trials=5, sampler=sampler, random_state=seed)
        return search.fit(X, y).cv_results_["params"]  # type: ignore[no-any-return]

    assert candidates(0) == candidates(0)
    assert candidates(0) != candidates(1)


def test_scipy_distributions_map_to_hyperwidget_expressions() -> None:
    space, lookup = to_search_space(
        {
            "a": stats.uniform(2, 3),
            "b": stats.loguniform(1e-3, 10),
            "c": stats.reciprocal(0.1, 1),
            "d": stats.randint(1, 6),
            "e": stats.norm(0, 1),
        },
        "random",
    )
    assert isinstance(space["a"], Uniform) and space["a"].bounds == (2.0, 5.0)
    assert isinstance(space["b"], LogScaleUniform) and space["c"].bounds == pytest.approx((0.1, 1.0))
    assert isinstance(space["d"], IntRange) and list(space["d"].grid_values()) == [1, 2, 3, 4, 5]
    assert isinstance(space["e"], ScipyDistribution) and not lookup
    draws = [space["e"].sample(np.random.default_rng(i)) for i in range(200)]
    assert abs(np.mean(draws)) < 0.3 and np.std(draws) == pytest.approx(1, abs=0.2)


@pytest.mark.parametrize(
    ("space", "sampler", "message"),
    [
        ({"C": 1.0}, "random", r"param_distributions\['C'\] must be a list.*wrap a single value in a list: \[1.0\]"),
        ({"C": []}, "random", r"param_distributions\['C'\] is an empty list"),
        ([{"C": [1.0]}, {"C": [2.0]}], "random", "a list of dicts.*is not supported"),
        ({"C": stats.norm(1, 0.1)}, "bayesian", r"param_distributions\['C'\] is scipy.stats.norm.*sampler='random'"),
        ({"C": stats.expon()}, "sobol", r"\['C'\].*cannot use.*log_uniform\(a, b\)"),
        ({"C": stats.loguniform(1e-3, 1e2, loc=1)}, "bayesian", r"\['C'\] is scipy.stats.loguniform"),
    ],
    ids=["scalar", "empty", "list-of-dicts", "norm-bayesian", "expon-sobol", "shifted-loguniform"],
)
def test_bad_distributions_are_refused_naming_the_parameter(space: Any, sampler: str, message: str) -> None:
    with pytest.raises(SearchSpaceError, match=message):
        _search(LogisticRegression(), space, sampler=sampler).fit(*IRIS)


def test_unbounded_scipy_distribution_with_the_random_sampler() -> None:
    search = _search(Ridge(), {"alpha": stats.expon(scale=2.0)}, n_trials=3).fit(*load_diabetes(return_X_y=True))
    assert all(p["alpha"] > 0 for p in search.cv_results_["params"])


def test_a_failing_fit_raises_the_estimators_error() -> None:
    X, y = IRIS
    with pytest.raises(ValueError, match="Input X contains NaN"):
        _search(LogisticRegression(), {"C": [1.0]}, n_trials=2).fit(np.where(X > 7, np.nan, X), y)


def test_a_pickled_search_predicts_and_keeps_its_sweep_as_results() -> None:
    X, y = IRIS
    search = _search(LogisticRegression(max_iter=1000), {"C": [0.1, 1.0]}).fit(X, y)
    copy = pickle.loads(pickle.dumps(search))
    assert (copy.predict(X) == search.predict(X)).all()
    assert isinstance(copy.sweep_run_, SweepResults) and len(copy.sweep_run_.trials) == 4


# scikit-learn's own estimator checks (the ones `check_estimator` runs for this estimator: its tags select the
# classifier or regressor checks), on a classifier and a regressor. None is excluded: with the input errors of the
# estimator re-raised under their own type (ValueError, TypeError), every applicable check passes. Only the array API
# check skips itself (it needs SCIPY_ARRAY_API=1). The searches are tiny and sequential to keep this near 10 s.
@parametrize_with_checks(
    [
        SweepSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, n_trials=2, cv=2, sampler="random", **QUICK),
        SweepSearchCV(Ridge(), {"alpha": choice(0.1, 1.0)}, n_trials=2, cv=2, sampler="random", **QUICK),
    ]
)
def test_scikit_learn_estimator_checks(estimator: Any, check: Any) -> None:
    check(estimator)


@pytest.mark.slow
def test_fit_in_a_notebook_shows_the_live_monitor_and_its_final_table(tmp_path: Any) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    source = (
        "from sklearn.datasets import load_iris\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from hyperwidget import SweepSearchCV, log_uniform\n"
        "X, y = load_iris(return_X_y=True)\n"
        "search = SweepSearchCV(LogisticRegression(max_iter=500), {'C': log_uniform(1e-3, 1e2)}, n_trials=4, cv=3,\n"
        "                       random_state=0).fit(X, y)\n"
        "print(search.best_params_['C'] > 0, len(search.cv_results_['params']))\n"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = nb.cells[0].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    final = [o["data"]["text/html"] for o in outputs if "hw-final-table" in o.get("data", {}).get("text/html", "")]
    assert len(final) == 1 and final[0].count("<tr") == 5  # a header and the 4 candidates
    assert "True 4" in "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
