"""Problems of the search-quality benchmark: every one is a loss to minimise over a hyperwidget space.

The benchmark has two halves, fixed before any tuning of the samplers (issue #16):
the *tuning* half, on which samplers may be tuned, and the *held-out* half, which
is only ever run. Every problem belongs to a half and to a group: ``d2``, ``d5``,
``d10``, ``d20`` (BBOB functions of that dimension) or ``tasks``.

- BBOB functions from ``coco-experiment`` on their domain ``[-5, 5]^d``, in
  dimensions 2, 5, 10 and 20; the optimum is the value at the instance's
  ``x_opt`` (as written by ``cocoex``).

  * tuning: f8 Rosenbrock, f10 ellipsoid, f15 Rastrigin, f17 Schaffer F7,
    f21 Gallagher 101 peaks, instance 1;
  * held-out: f2 separable ellipsoid, f9 rotated Rosenbrock, f12 bent cigar,
    f16 Weierstrass, f22 Gallagher 21 peaks, instances 2 to 5 in rotation
    (``2 + k mod 4`` over the 20 (dimension, function) pairs, dimensions
    outermost), so that every function and every dimension meets every instance.

- Branin (2-D) and Hartmann6 (6-D), with their known optima (tuning half).
- Tuning tasks on scikit-learn's bundled or generated data, kept cheap (well
  under 0.2 s an evaluation) so that the cost is the methods', not the task's:

  * ``svc-digits`` (tuning): an RBF SVC on a stratified 400-sample subset of
    ``digits``, 3-fold CV multiclass hinge loss, over ``C`` and ``gamma`` (log);
  * ``hgb-cancer`` (tuning): a HistGradientBoostingClassifier (10 iterations,
    32 bins) on ``breast_cancer``, 2-fold CV log loss, over two log reals, a
    real, two log integers, an integer and a categorical;
  * ``et-wine`` (tuning): an ExtraTreesClassifier on ``wine``, 3-fold CV log
    loss, over the number of trees, the depth and the leaf size (log
    integers), ``max_features`` and ``criterion`` (categoricals);
  * ``knn-cancer`` (held-out): a k-nearest-neighbours classifier on
    ``breast_cancer``, 3-fold CV log loss, over ``k`` (log integer), the
    weighting, the metric and the feature scaling (categoricals);
  * ``gb-synthetic`` (held-out): a GradientBoostingClassifier on 300 samples of
    ``make_classification``, 2-fold CV log loss, over the number of trees (log
    integer), the depth (integer), the learning rate (log real), the subsample
    (real), ``max_features`` and the loss (categoricals).

  Their optimum is unknown: regret is measured against the best loss any
  method found (over every run in the journal).
"""

from __future__ import annotations

import dataclasses
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import numpy as np

from hyperwidget.space import choice, loguniform, qloguniform, quniform, uniform

TUNING, HELD_OUT = "tuning", "held-out"
HALVES = (TUNING, HELD_OUT)
DIMENSIONS = (2, 5, 10, 20)
GROUPS = (*(f"d{d}" for d in DIMENSIONS), "tasks")

#: BBOB functions of each half.
TUNING_FUNCTIONS = {8: "rosenbrock", 10: "ellipsoid", 15: "rastrigin", 17: "schaffer-f7", 21: "gallagher-101"}
HELD_OUT_FUNCTIONS = {
    2: "ellipsoid-separable",
    9: "rosenbrock-rotated",
    12: "bent-cigar",
    16: "weierstrass",
    22: "gallagher-21",
}


@dataclasses.dataclass(frozen=True)
class Problem:
    """A named loss over a search space; ``optimum`` is ``None`` when it is unknown."""

    name: str
    space: Mapping[str, Any]
    loss: Callable[[Mapping[str, Any]], float]
    optimum: float | None
    half: str  # TUNING or HELD_OUT
    group: str  # "d2", "d5", "d10", "d20" or "tasks"
    bbob: tuple[int, int, int] | None = None  # (function, dimension, instance) for BBOB problems


# -- BBOB ---------------------------------------------------------------------------------------
@cache
def _bbob(function: int, dim: int, instance: int) -> tuple[Any, float]:
    """The cocoex problem and its optimal value (computed at the instance's x_opt)."""
    import cocoex

    suite = cocoex.Suite("bbob", "", f"function_indices:{function} dimensions:{dim} instance_indices:{instance}")
    problem = suite[0]
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            problem._best_parameter("print")
            with open("._bbob_problem_best_parameter.txt") as f:
                x_opt = np.array([float(v) for v in f.read().split()])
        finally:
            os.chdir(cwd)
    return problem, float(problem(x_opt))


def _bbob_problem(function: int, name: str, dim: int, instance: int, half: str) -> Problem:
    names = [f"x{i}" for i in range(dim)]

    def loss(params: Mapping[str, Any]) -> float:
        problem, _ = _bbob(function, dim, instance)
        return float(problem(np.array([params[n] for n in names], dtype=float)))

    suffix = "" if instance == 1 else f"-i{instance}"
    return Problem(
        name=f"bbob-f{function:02d}-{name}-d{dim}{suffix}",
        space={n: uniform(-5.0, 5.0) for n in names},
        loss=loss,
        optimum=None,  # see optimum_of(): computed by cocoex, in the process that needs it
        half=half,
        group=f"d{dim}",
        bbob=(function, dim, instance),
    )


def bbob_problems() -> list[Problem]:
    """The 40 BBOB problems: per dimension, the tuning half's five functions then the held-out half's."""
    out = []
    k = 0
    for dim in DIMENSIONS:
        out += [_bbob_problem(f, name, dim, 1, TUNING) for f, name in TUNING_FUNCTIONS.items()]
        for f, name in HELD_OUT_FUNCTIONS.items():
            out.append(_bbob_problem(f, name, dim, 2 + k % 4, HELD_OUT))
            k += 1
    return out


# -- classic test functions -----------------------------------------------------------------------
def _branin(params: Mapping[str, Any]) -> float:
    x1, x2 = params["x1"], params["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H6_A = np.array(
    [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def _hartmann6(params: Mapping[str, Any]) -> float:
    x = np.array([params[f"x{i}"] for i in range(6)])
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


# -- tuning tasks ---------------------------------------------------------------------------------
@cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x, _, y, _ = train_test_split(x / 16.0, y, train_size=400, stratify=y, random_state=0)
    return x, y


def _svc_digits(params: Mapping[str, Any]) -> float:
    from sklearn.metrics import hinge_loss, make_scorer
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.svm import SVC

    x, y = _digits()
    model = SVC(C=params["C"], gamma=params["gamma"])
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    scorer = make_scorer(hinge_loss, greater_is_better=False, response_method="decision_function", labels=np.arange(10))
    return -float(cross_val_score(model, x, y, cv=cv, scoring=scorer).mean())


def _hgb_cancer(params: Mapping[str, Any]) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        max_iter=10,
        max_bins=32,
        early_stopping=False,
        random_state=0,
        learning_rate=params["learning_rate"],
        max_leaf_nodes=int(params["max_leaf_nodes"]),
        max_depth=int(params["max_depth"]),
        min_samples_leaf=int(params["min_samples_leaf"]),
        l2_regularization=params["l2_regularization"],
        max_features=params["max_features"],
        class_weight=None if params["class_weight"] == "none" else params["class_weight"],
    )
    return _cv_log_loss(model, "breast_cancer", 2)


@cache
def _dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A bundled or generated classification dataset, loaded once per process."""
    from sklearn.datasets import load_breast_cancer, load_wine, make_classification

    if name == "wine":
        return load_wine(return_X_y=True)
    if name == "breast_cancer":
        return load_breast_cancer(return_X_y=True)
    if name == "synthetic":
        x, y = make_classification(
            n_samples=300, n_features=12, n_informative=5, n_redundant=2, flip_y=0.05, random_state=0
        )
        return x, y
    raise KeyError(name)


def _cv_log_loss(model: Any, dataset: str, folds: int) -> float:
    """Mean log loss of ``model`` over stratified ``folds``-fold CV (shuffled with a fixed seed)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    x, y = _dataset(dataset)
    cv = StratifiedKFold(folds, shuffle=True, random_state=0)
    return -float(cross_val_score(model, x, y, cv=cv, scoring="neg_log_loss").mean())


def _features(value: str) -> str | None:
    return None if value == "all" else value


def _et_wine(params: Mapping[str, Any]) -> float:
    from sklearn.ensemble import ExtraTreesClassifier

    model = ExtraTreesClassifier(
        n_estimators=int(params["n_estimators"]),
        max_depth=int(params["max_depth"]),
        min_samples_leaf=int(params["min_samples_leaf"]),
        max_features=_features(params["max_features"]),
        criterion=params["criterion"],
        random_state=0,
    )
    return _cv_log_loss(model, "wine", 3)


def _knn_cancer(params: Mapping[str, Any]) -> float:
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

    scalers = {"none": FunctionTransformer, "standard": StandardScaler, "minmax": MinMaxScaler}
    model = make_pipeline(
        scalers[params["scaling"]](),
        KNeighborsClassifier(
            n_neighbors=int(params["n_neighbors"]), weights=params["weights"], metric=params["metric"]
        ),
    )
    return _cv_log_loss(model, "breast_cancer", 3)


def _gb_synthetic(params: Mapping[str, Any]) -> float:
    from sklearn.ensemble import GradientBoostingClassifier

    model = GradientBoostingClassifier(
        n_estimators=int(params["n_estimators"]),
        max_depth=int(params["max_depth"]),
        learning_rate=params["learning_rate"],
        subsample=params["subsample"],
        max_features=_features(params["max_features"]),
        loss=params["loss"],
        random_state=0,
    )
    return _cv_log_loss(model, "synthetic", 2)


def _log(low: float, high: float) -> Any:
    return loguniform(math.log(low), math.log(high))


def _log_int(low: int, high: int) -> Any:
    return qloguniform(math.log(low), math.log(high), 1)


def task_problems() -> list[Problem]:
    """Branin, Hartmann6 and the scikit-learn tasks (tuning half first)."""
    return [
        Problem(
            "branin",
            {"x1": uniform(-5.0, 10.0), "x2": uniform(0.0, 15.0)},
            _branin,
            0.397887357729739,
            TUNING,
            "tasks",
        ),
        Problem(
            "hartmann6", {f"x{i}": uniform(0.0, 1.0) for i in range(6)}, _hartmann6, -3.32236801141551, TUNING, "tasks"
        ),
        Problem("svc-digits", {"C": _log(1e-2, 1e3), "gamma": _log(1e-4, 10.0)}, _svc_digits, None, TUNING, "tasks"),
        Problem(
            "hgb-cancer",
            {
                "learning_rate": _log(0.01, 1.0),
                "max_leaf_nodes": _log_int(4, 64),
                "max_depth": quniform(2, 10, 1),
                "min_samples_leaf": _log_int(2, 64),
                "l2_regularization": _log(1e-4, 10.0),
                "max_features": uniform(0.3, 1.0),
                "class_weight": choice("none", "balanced"),
            },
            _hgb_cancer,
            None,
            TUNING,
            "tasks",
        ),
        Problem(
            "et-wine",
            {
                "n_estimators": _log_int(4, 64),
                "max_depth": _log_int(1, 32),
                "min_samples_leaf": _log_int(1, 32),
                "max_features": choice("sqrt", "log2", "all"),
                "criterion": choice("gini", "entropy", "log_loss"),
            },
            _et_wine,
            None,
            TUNING,
            "tasks",
        ),
        Problem(
            "knn-cancer",
            {
                "n_neighbors": _log_int(1, 128),
                "weights": choice("uniform", "distance"),
                "metric": choice("euclidean", "manhattan", "chebyshev"),
                "scaling": choice("none", "standard", "minmax"),
            },
            _knn_cancer,
            None,
            HELD_OUT,
            "tasks",
        ),
        Problem(
            "gb-synthetic",
            {
                "n_estimators": _log_int(5, 60),
                "max_depth": quniform(1, 5, 1),
                "learning_rate": _log(0.01, 1.0),
                "subsample": uniform(0.5, 1.0),
                "max_features": choice("sqrt", "log2", "all"),
                "loss": choice("log_loss", "exponential"),
            },
            _gb_synthetic,
            None,
            HELD_OUT,
            "tasks",
        ),
    ]


def all_problems() -> dict[str, Problem]:
    """Every problem of the benchmark, by name, in report order (BBOB by dimension, then the tasks)."""
    return {p.name: p for p in [*bbob_problems(), *task_problems()]}


def optimum_of(problem: Problem) -> float | None:
    """The known optimal loss (BBOB: computed by cocoex), or ``None`` for the tuning tasks."""
    if problem.bbob is not None:
        return _bbob(*problem.bbob)[1]
    return problem.optimum
