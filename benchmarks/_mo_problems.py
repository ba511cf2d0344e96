"""Problems of the multi-objective benchmark: minimise every objective ``f1``, ``f2`` (, ``f3``).

- ZDT1, ZDT2, ZDT3 (Zitzler, Deb and Thiele 2000) on ``[0, 1]^d``, reference
  point (11, 11) as in BoTorch; the hypervolume of their true fronts is known
  (ZDT1 121 - 1/3, ZDT2 121 - 2/3, ZDT3 from a dense sampling of its front).
- DTLZ2 (Deb et al. 2002) with 2 or 3 objectives on ``[0, 1]^d``, reference
  point 1.1 in every objective; its front is the unit sphere's positive part,
  whose hypervolume is ``1.1^m`` minus the ball's share (pi/4 for two
  objectives, pi/6 for three).
- ``mlp-digits``: an MLPClassifier on digits, objectives the validation error
  and log10 of the number of weights, reference point (1, 5). Its space is a
  grid of 360 configurations, each trained once and kept in
  ``results/tables/mlp_digits.json``; the best hypervolume is that of the
  grid's own front.

The split into a tuning half and a held-out half was fixed when the benchmark
was written, before any sampler was tuned on it: the tuning half is the
two-objective problems in 4 dimensions; the held-out half asks whether what
works there carries over to 8 dimensions, three objectives and a real task.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from _hypervolume import hypervolume, nondominated

from hyperwidget.space import quniform, uniform

TUNING = "tuning"
HELD_OUT = "held-out"


@dataclasses.dataclass(frozen=True)
class MOProblem:
    """Minimise ``objectives`` over ``space``; ``reference`` bounds the hypervolume, ``best_hv`` is the front's."""

    name: str
    half: str
    space: Mapping[str, Any]
    function: Callable[[Mapping[str, Any]], tuple[float, ...]]
    reference: tuple[float, ...]
    best_hv: float
    source: str

    @property
    def objectives(self) -> tuple[str, ...]:
        return tuple(f"f{i + 1}" for i in range(len(self.reference)))

    def evaluate(self, params: Mapping[str, Any]) -> dict[str, float]:
        """``{"f1": ..., "f2": ...}`` for one configuration."""
        return {f"f{i + 1}": float(v) for i, v in enumerate(self.function(params))}


# -- ZDT and DTLZ2 --------------------------------------------------------------------------------
def zdt(x: np.ndarray, kind: int) -> tuple[float, float]:
    """ZDT1, ZDT2 or ZDT3 of ``x`` in ``[0, 1]^d`` (``d >= 2``)."""
    f1 = float(x[0])
    g = 1.0 + 9.0 * float(np.mean(x[1:]))
    ratio = f1 / g
    if kind == 1:
        h = 1.0 - math.sqrt(ratio)
    elif kind == 2:
        h = 1.0 - ratio**2
    else:
        h = 1.0 - math.sqrt(ratio) - ratio * math.sin(10 * math.pi * f1)
    return f1, g * h


def dtlz2(x: np.ndarray, n_objectives: int) -> tuple[float, ...]:
    """DTLZ2 of ``x`` in ``[0, 1]^d`` with ``n_objectives`` objectives (``d >= n_objectives``)."""
    g = float(np.sum((x[n_objectives - 1 :] - 0.5) ** 2))
    angles = x[: n_objectives - 1] * math.pi / 2
    out = []
    for i in range(n_objectives):
        value = 1.0 + g
        value *= float(np.prod(np.cos(angles[: n_objectives - 1 - i])))
        if i > 0:
            value *= math.sin(angles[n_objectives - 1 - i])
        out.append(value)
    return tuple(out)


ZDT_REFERENCE = (11.0, 11.0)


@cache
def zdt3_best_hv(points: int = 200_001) -> float:
    """Hypervolume of ZDT3's front (g = 1), sampled at ``points`` values of f1."""
    f1 = np.linspace(0.0, 1.0, points)
    f2 = 1.0 - np.sqrt(f1) - f1 * np.sin(10 * math.pi * f1)
    return hypervolume(np.column_stack([f1, f2]), ZDT_REFERENCE)


def _vector_problem(
    name: str, half: str, dim: int, fn: Callable[[np.ndarray], tuple[float, ...]], ref: tuple[float, ...], best: float
) -> MOProblem:
    names = [f"x{i}" for i in range(dim)]

    def function(params: Mapping[str, Any]) -> tuple[float, ...]:
        return fn(np.array([params[n] for n in names], dtype=float))

    return MOProblem(name, half, {n: uniform(0.0, 1.0) for n in names}, function, ref, best, name.split("-")[0])


def _zdt(kind: int, dim: int, half: str) -> MOProblem:
    best = {1: 121 - 1 / 3, 2: 121 - 2 / 3}.get(kind) or zdt3_best_hv()
    return _vector_problem(f"zdt{kind}-d{dim}", half, dim, lambda x: zdt(x, kind), ZDT_REFERENCE, best)


def _dtlz2(n_objectives: int, dim: int, half: str) -> MOProblem:
    ball = {2: math.pi / 4, 3: math.pi / 6}[n_objectives]
    ref = (1.1,) * n_objectives
    return _vector_problem(
        f"dtlz2-m{n_objectives}-d{dim}", half, dim, lambda x: dtlz2(x, n_objectives), ref, 1.1**n_objectives - ball
    )


# -- the real task: error against size ------------------------------------------------------------
TABLES = Path(__file__).resolve().parent / "results" / "tables"
MLP_REFERENCE = (1.0, 5.0)
#: Four integers: the width is 2^k units per hidden layer, the L2 penalty and the initial learning rate 10^k.
MLP_SPACE = {
    "log2_width": quniform(2, 7, 1),  # 4 .. 128 units
    "depth": quniform(1, 3, 1),  # hidden layers
    "log10_alpha": quniform(-5, -1, 1),
    "log10_learning_rate": quniform(-4, -1, 1),
}


def mlp_weights(width: int, depth: int, inputs: int = 64, classes: int = 10) -> int:
    """Number of weights and biases of an MLP with ``depth`` hidden layers of ``width`` units."""
    sizes = [inputs, *([width] * depth), classes]
    return sum(a * b + b for a, b in itertools.pairwise(sizes))


def _mlp_key(params: Mapping[str, Any]) -> str:
    return json.dumps({k: int(params[k]) for k in sorted(MLP_SPACE)})


@cache
def _digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    return train_test_split(x / 16.0, y, train_size=600, test_size=600, stratify=y, random_state=0)


def mlp_fit(params: Mapping[str, Any]) -> dict[str, float]:
    """Train once (30 epochs of Adam, fixed seed) on 600 digits; error on 600 others, and the weight count."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    x_train, x_val, y_train, y_val = _digits_split()
    width, depth = 2 ** int(params["log2_width"]), int(params["depth"])
    model = MLPClassifier(
        hidden_layer_sizes=(width,) * depth,
        alpha=10.0 ** int(params["log10_alpha"]),
        learning_rate_init=10.0 ** int(params["log10_learning_rate"]),
        max_iter=30,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x_train, y_train)
    return {"error": 1.0 - float(model.score(x_val, y_val)), "weights": float(mlp_weights(width, depth))}


def mlp_grid() -> list[dict[str, int]]:
    """Every configuration of the MLP task's space."""
    axes = [range(int(e.min_value), int(e.max_value) + 1) for e in MLP_SPACE.values()]
    return [dict(zip(MLP_SPACE, values, strict=True)) for values in itertools.product(*axes)]


@cache
def mlp_table() -> dict[str, dict[str, float]]:
    """The whole grid, trained once and kept in ``results/tables/mlp_digits.json``."""
    path = TABLES / "mlp_digits.json"
    if path.exists():
        return json.loads(path.read_text())
    table = {_mlp_key(p): mlp_fit(p) for p in mlp_grid()}
    TABLES.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(table, indent=0, sort_keys=True))
    return table


def mlp_digits(params: Mapping[str, Any]) -> tuple[float, float]:
    """Validation error and log10(number of weights), read from the table."""
    row = mlp_table()[_mlp_key(params)]
    return row["error"], math.log10(row["weights"])


def _mlp_problem() -> MOProblem:
    points = np.array([(r["error"], math.log10(r["weights"])) for r in mlp_table().values()])
    return MOProblem(
        "mlp-digits",
        HELD_OUT,
        MLP_SPACE,
        mlp_digits,
        MLP_REFERENCE,
        hypervolume(nondominated(points), MLP_REFERENCE),
        "MLPClassifier on digits: validation error, log10(weights); a grid of 360 configurations trained once",
    )


# -- catalogue -----------------------------------------------------------------------------------
def all_problems(include_tasks: bool = True) -> dict[str, MOProblem]:
    """Every problem, by name: the tuning half first, then the held-out half."""
    problems = [
        _zdt(1, 4, TUNING),
        _zdt(2, 4, TUNING),
        _zdt(3, 4, TUNING),
        _dtlz2(2, 4, TUNING),
        _zdt(1, 8, HELD_OUT),
        _zdt(3, 8, HELD_OUT),
        _dtlz2(2, 8, HELD_OUT),
        _dtlz2(3, 6, HELD_OUT),
    ]
    if include_tasks:
        problems.append(_mlp_problem())
    return {p.name: p for p in problems}
