"""Problems of the search-quality benchmark: every one is a loss to minimise over a hyperwidget space.

- 8 BBOB functions from ``coco-experiment`` (instance 1) in dimensions 2 and 5,
  on their domain ``[-5, 5]^d``; the optimum is the value at the instance's
  ``x_opt`` (as written by ``cocoex``).
- Branin (2-D) and Hartmann6 (6-D), with their known optima.
- Two tuning tasks on scikit-learn's bundled data, kept cheap so that the whole
  benchmark fits the machine (the cost is the same for every method):

  * ``svc-digits``: an RBF SVC on a stratified 400-sample subset of ``digits``,
    3-fold CV multiclass hinge loss (the SVM's own loss: continuous, where the
    error rate ties many configurations at the same few counts), over ``C`` and
    ``gamma`` (both log-scaled);
  * ``hgb-cancer``: a HistGradientBoostingClassifier (10 iterations, 32 bins) on
    ``breast_cancer``, 2-fold CV log loss, over a mixed 7-D space: two
    log-scaled reals, a real, two log-scaled integers, an integer and a
    categorical.

  Their optimum is unknown: regret is measured against the best loss any
  method found in the same benchmark run.
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

#: BBOB functions used: separable, ill-conditioned, multi-modal and weakly structured ones.
BBOB_FUNCTIONS = {
    1: "sphere",
    6: "attractive-sector",
    8: "rosenbrock",
    10: "ellipsoid",
    15: "rastrigin",
    17: "schaffer-f7",
    20: "schwefel",
    21: "gallagher-101",
}
BBOB_DIMENSIONS = (2, 5)


@dataclasses.dataclass(frozen=True)
class Problem:
    """A named loss over a search space; ``optimum`` is ``None`` when it is unknown."""

    name: str
    space: Mapping[str, Any]
    loss: Callable[[Mapping[str, Any]], float]
    optimum: float | None
    family: str
    bbob: tuple[int, int] | None = None  # (function, dimension) for BBOB problems


# -- BBOB ---------------------------------------------------------------------------------------
@cache
def _bbob(function: int, dim: int) -> tuple[Any, float]:
    """The cocoex problem and its optimal value (computed at the instance's x_opt)."""
    import cocoex

    suite = cocoex.Suite("bbob", "", f"function_indices:{function} dimensions:{dim} instance_indices:1")
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


def _bbob_problem(function: int, dim: int) -> Problem:
    names = [f"x{i}" for i in range(dim)]

    def loss(params: Mapping[str, Any]) -> float:
        problem, _ = _bbob(function, dim)
        return float(problem(np.array([params[n] for n in names], dtype=float)))

    return Problem(
        name=f"bbob-f{function:02d}-{BBOB_FUNCTIONS[function]}-d{dim}",
        space={n: uniform(-5.0, 5.0) for n in names},
        loss=loss,
        optimum=None,  # see optimum_of(): computed by cocoex, in the process that needs it
        family="bbob",
        bbob=(function, dim),
    )


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
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    x, y = load_breast_cancer(return_X_y=True)
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
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    return -float(cross_val_score(model, x, y, cv=cv, scoring="neg_log_loss").mean())


def all_problems() -> dict[str, Problem]:
    """Every problem of the benchmark, by name, in report order."""
    problems = [_bbob_problem(f, d) for d in BBOB_DIMENSIONS for f in BBOB_FUNCTIONS]
    problems += [
        Problem("branin", {"x1": uniform(-5.0, 10.0), "x2": uniform(0.0, 15.0)}, _branin, 0.397887357729739, "classic"),
        Problem("hartmann6", {f"x{i}": uniform(0.0, 1.0) for i in range(6)}, _hartmann6, -3.32236801141551, "classic"),
        Problem(
            "svc-digits",
            {"C": loguniform(math.log(1e-2), math.log(1e3)), "gamma": loguniform(math.log(1e-4), math.log(10.0))},
            _svc_digits,
            None,
            "ml",
        ),
        Problem(
            "hgb-cancer",
            {
                "learning_rate": loguniform(math.log(0.01), math.log(1.0)),
                "max_leaf_nodes": qloguniform(math.log(4), math.log(64), 1),
                "max_depth": quniform(2, 10, 1),
                "min_samples_leaf": qloguniform(math.log(2), math.log(64), 1),
                "l2_regularization": loguniform(math.log(1e-4), math.log(10.0)),
                "max_features": uniform(0.3, 1.0),
                "class_weight": choice("none", "balanced"),
            },
            _hgb_cancer,
            None,
            "ml",
        ),
    ]
    return {p.name: p for p in problems}


def optimum_of(problem: Problem) -> float | None:
    """The known optimal loss (BBOB: computed by cocoex), or ``None`` for the tuning tasks."""
    if problem.bbob is not None:
        return _bbob(*problem.bbob)[1]
    return problem.optimum
