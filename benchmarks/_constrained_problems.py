"""Problems of the constrained benchmark: minimise ``loss`` subject to ``c0 <= 0``, ``c1 <= 0``, ...

Every problem is a function of a vector ``x`` (its parameters in ``names``
order) returning the loss and the constraint values, each feasible when <= 0.
Constraints with large natural units are written as ratios (``value / bound -
1``) so that their scale is near one; feasibility is unchanged.

The split into a tuning half and a held-out half was fixed when the benchmark
was written, before any sampler was tuned on it: the tuning half holds the
problems the issue names (Gardner et al. 2014's two, Gelbart et al. 2014's
constrained Branin, a constrained Hartmann6), the held-out half the rest. A
sampler's designer may look at the tuning half's results while working; the
held-out half tells whether that work generalises.

Optima: SLSQP started from the 40 best feasible of 200,000 random points and
from 40 random points (Gardner's two and the pressure vessel's then written in
closed form); they agree with the best values published (Gramacy 0.5998,
spring 0.0126652, pressure vessel 5885.33, welded beam 1.72485), and the tests
check that no random feasible point beats them.
``hgb-leaves`` is a grid of configurations evaluated once: its optimum is the
best feasible entry of the grid.
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

from hyperwidget.space import quniform, uniform

TUNING = "tuning"
HELD_OUT = "held-out"

Vector = Callable[[np.ndarray], tuple[float, tuple[float, ...]]]


@dataclasses.dataclass(frozen=True)
class ConstrainedProblem:
    """Minimise ``loss`` subject to every ``c<i> <= 0``; ``optimum`` is the best feasible loss."""

    name: str
    half: str
    space: Mapping[str, Any]
    function: Callable[[Mapping[str, Any]], tuple[float, tuple[float, ...]]]
    n_constraints: int
    optimum: float
    optimizer: Mapping[str, float]  # a feasible point whose loss is ``optimum`` (to 1e-6 relative)
    source: str

    @property
    def objectives(self) -> tuple[str, ...]:
        return ("loss",)

    @property
    def constraints(self) -> tuple[str, ...]:
        return tuple(f"c{i}" for i in range(self.n_constraints))

    def evaluate(self, params: Mapping[str, Any]) -> dict[str, float]:
        """``{"loss": ..., "c0": ..., ...}`` for one configuration."""
        loss, constraints = self.function(params)
        return {"loss": float(loss), **{f"c{i}": float(c) for i, c in enumerate(constraints)}}


def _vector_problem(
    name: str,
    half: str,
    bounds: list[tuple[float, float]],
    fn: Vector,
    n_constraints: int,
    optimum: float,
    optimizer: list[float],
    source: str,
) -> ConstrainedProblem:
    names = [f"x{i}" for i in range(len(bounds))]

    def function(params: Mapping[str, Any]) -> tuple[float, tuple[float, ...]]:
        return fn(np.array([params[n] for n in names], dtype=float))

    return ConstrainedProblem(
        name=name,
        half=half,
        space={n: uniform(lo, hi) for n, (lo, hi) in zip(names, bounds, strict=True)},
        function=function,
        n_constraints=n_constraints,
        optimum=optimum,
        optimizer=dict(zip(names, optimizer, strict=True)),
        source=source,
    )


# -- the tuning half -----------------------------------------------------------------------------
def gardner1(x: np.ndarray) -> tuple[float, tuple[float, ...]]:
    """Gardner et al. 2014, problem 1 on [0, 6]^2: a wavy loss, a wavy constraint."""
    x1, x2 = x[..., 0], x[..., 1]
    loss = np.cos(2 * x1) * np.cos(x2) + np.sin(x1)
    return loss, (np.cos(x1) * np.cos(x2) - np.sin(x1) * np.sin(x2) - 0.5,)


def gardner2(x: np.ndarray) -> tuple[float, tuple[float, ...]]:
    """Gardner et al. 2014, problem 2 on [0, 6]^2: feasible only in small islands (about 4 % of the box)."""
    x1, x2 = x[..., 0], x[..., 1]
    return np.sin(x1) + x2, (np.sin(x1) * np.sin(x2) + 0.95,)


def branin_disk(x: np.ndarray) -> tuple[float, tuple[float, ...]]:
    """Branin on [-5, 10] x [0, 15] inside a disk (Gelbart, Snoek and Adams 2014)."""
    x1, x2 = x[..., 0], x[..., 1]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    loss = (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * np.cos(x1) + 10
    return loss, ((x1 - 2.5) ** 2 + (x2 - 7.5) ** 2 - 50,)


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
HARTMANN6_L1_BOUND = 2.0


def hartmann6_l1(x: np.ndarray) -> tuple[float, tuple[float, ...]]:
    """Hartmann6 on [0, 1]^6 with ``sum(x) <= 2``: about 8 % of the box, and the bound cuts off the
    unconstrained optimum (whose coordinates sum to 2.07)."""
    inner = np.sum(_H6_A * (x[..., None, :] - _H6_P) ** 2, axis=-1)
    loss = -np.sum(_H6_ALPHA * np.exp(-inner), axis=-1)
    return loss, (np.sum(x, axis=-1) - HARTMANN6_L1_BOUND,)


# -- the held-out half ---------------------------------------------------------------------------
def gramacy(x: np.ndarray) -> tuple[float, tuple[float, ...]]:
    """Gramacy et al. 2016's toy problem on [0, 1]^2: a linear loss, two nonlinear constraints."""
    x1, x2 = x[..., 0], x[..., 1]
    c1 = 1.5 - x1 - 2 * x2 - 0.5 * np.sin(2 * math.pi * (x1**2 - 2 * x2))
    c2 = x1**2 + x2**2 - 1.5
    return x1 + x2, (c1, c2)


def spring(x: np.ndarray) -> tuple[float, tuple[float, ...]]:
    """Tension/compression spring design: wire diameter d, coil diameter D, active coils N; weight
    subject to deflection, shear stress, surge frequency and outer-diameter limits."""
    d, coil, n = x[..., 0], x[..., 1], x[..., 2]
    loss = (n + 2) * coil * d**2
    g1 = 1 - coil**3 * n / (71785 * d**4)
    g2 = (4 * coil**2 - d * coil) / (12566 * (coil * d**3 - d**4)) + 1 / (5108 * d**2) - 1
    g3 = 1 - 140.45 * d / (coil**2 * n)
    g4 = (d + coil) / 1.5 - 1
    return loss, (g1, g2, g3, g4)


def pressure_vessel(x: np.ndarray) -> tuple[float, tuple[float, ...]]:
    """Pressure vessel design (continuous thicknesses): material and welding cost subject to
    minimum shell and head thickness and a minimum volume of 1,296,000 in^3 (as a ratio)."""
    ts, th, r, length = x[..., 0], x[..., 1], x[..., 2], x[..., 3]
    loss = 0.6224 * ts * r * length + 1.7781 * th * r**2 + 3.1661 * ts**2 * length + 19.84 * ts**2 * r
    g1 = -ts + 0.0193 * r
    g2 = -th + 0.00954 * r
    g3 = 1 - (math.pi * r**2 * length + 4 / 3 * math.pi * r**3) / 1_296_000
    return loss, (g1, g2, g3)


def welded_beam(x: np.ndarray) -> tuple[float, tuple[float, ...]]:
    """Welded beam design (Deb's version): fabrication cost subject to shear stress, bending stress,
    geometry, cost-of-weld, deflection and buckling limits (stresses and loads as ratios)."""
    h, length, t, b = x[..., 0], x[..., 1], x[..., 2], x[..., 3]
    load, beam, e_mod, g_mod = 6000.0, 14.0, 30e6, 12e6
    loss = 1.10471 * h**2 * length + 0.04811 * t * b * (14.0 + length)
    tau_1 = load / (math.sqrt(2) * h * length)
    moment = load * (beam + length / 2)
    radius = np.sqrt(length**2 / 4 + ((h + t) / 2) ** 2)
    polar = 2 * (math.sqrt(2) * h * length * (length**2 / 12 + ((h + t) / 2) ** 2))
    tau_2 = moment * radius / polar
    tau = np.sqrt(tau_1**2 + 2 * tau_1 * tau_2 * length / (2 * radius) + tau_2**2)
    sigma = 6 * load * beam / (b * t**2)
    delta = 4 * load * beam**3 / (e_mod * t**3 * b)
    p_c = 4.013 * e_mod * np.sqrt(t**2 * b**6 / 36) / beam**2 * (1 - t / (2 * beam) * math.sqrt(e_mod / (4 * g_mod)))
    return loss, (
        tau / 13600 - 1,
        sigma / 30000 - 1,
        h - b,
        (0.10471 * h**2 + 0.04811 * t * b * (14.0 + length)) / 5 - 1,
        delta / 0.25 - 1,
        1 - p_c / load,
    )


# -- the real task: a model-size bound -----------------------------------------------------------
TABLES = Path(__file__).resolve().parent / "results" / "tables"
HGB_LEAF_BUDGET = 50
#: The task's space: four integers, each the base-2 logarithm of a setting (a grid of 600 configurations).
HGB_SPACE = {
    "log2_learning_rate": quniform(-6, -1, 1),  # 1/64 .. 1/2
    "log2_max_iter": quniform(2, 5, 1),  # 4 .. 32 boosting iterations (one tree each: the task is binary)
    "log2_max_leaf_nodes": quniform(1, 5, 1),  # 2 .. 32
    "log2_min_samples_leaf": quniform(1, 5, 1),  # 2 .. 32
}


def _hgb_key(params: Mapping[str, Any]) -> str:
    return json.dumps({k: int(params[k]) for k in sorted(HGB_SPACE)})


def hgb_fit(params: Mapping[str, Any]) -> dict[str, float]:
    """Fit once: 3-fold CV log loss of a HistGradientBoostingClassifier on breast cancer, and its size.

    The size is the mean over the three folds' models of their total number of leaves:
    deterministic (fixed seeds, no early stopping), unlike a measured latency.
    """
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_validate

    x, y = load_breast_cancer(return_X_y=True)
    model = HistGradientBoostingClassifier(
        learning_rate=2.0 ** int(params["log2_learning_rate"]),
        max_iter=2 ** int(params["log2_max_iter"]),
        max_leaf_nodes=2 ** int(params["log2_max_leaf_nodes"]),
        min_samples_leaf=2 ** int(params["log2_min_samples_leaf"]),
        max_bins=64,
        early_stopping=False,
        random_state=0,
    )
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    out = cross_validate(model, x, y, cv=cv, scoring="neg_log_loss", return_estimator=True)
    sizes = [sum(tree.get_n_leaf_nodes() for trees in est._predictors for tree in trees) for est in out["estimator"]]
    return {"log_loss": -float(np.mean(out["test_score"])), "leaves": float(np.mean(sizes))}


def hgb_grid() -> list[dict[str, int]]:
    """Every configuration of the HGB task's space."""
    axes = [range(int(e.min_value), int(e.max_value) + 1) for e in HGB_SPACE.values()]
    return [dict(zip(HGB_SPACE, values, strict=True)) for values in itertools.product(*axes)]


@cache
def hgb_table() -> dict[str, dict[str, float]]:
    """The whole grid, evaluated once and kept in ``results/tables/hgb_leaves.json``."""
    path = TABLES / "hgb_leaves.json"
    if path.exists():
        return json.loads(path.read_text())
    table = {_hgb_key(p): hgb_fit(p) for p in hgb_grid()}
    TABLES.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(table, indent=0, sort_keys=True))
    return table


def hgb_leaves(params: Mapping[str, Any]) -> tuple[float, tuple[float, ...]]:
    """Log loss subject to at most ``HGB_LEAF_BUDGET`` leaves in all (a model-size bound), read from the table."""
    row = hgb_table()[_hgb_key(params)]
    return row["log_loss"], (row["leaves"] / HGB_LEAF_BUDGET - 1,)


def _hgb_problem() -> ConstrainedProblem:
    table = hgb_table()
    feasible = {k: v for k, v in table.items() if v["leaves"] <= HGB_LEAF_BUDGET}
    best = min(feasible, key=lambda k: feasible[k]["log_loss"])
    return ConstrainedProblem(
        name="hgb-leaves",
        half=HELD_OUT,
        space=HGB_SPACE,
        function=hgb_leaves,
        n_constraints=1,
        optimum=feasible[best]["log_loss"],
        optimizer=json.loads(best),
        source=(
            f"HistGradientBoostingClassifier on breast cancer, 3-fold CV log loss, at most {HGB_LEAF_BUDGET} "
            "leaves in all; a grid of configurations evaluated once"
        ),
    )


# -- catalogue -----------------------------------------------------------------------------------
def all_problems(include_tasks: bool = True) -> dict[str, ConstrainedProblem]:
    """Every problem, by name: the tuning half first, then the held-out half."""
    problems = [
        _vector_problem(
            "gardner1", TUNING, [(0, 6), (0, 6)], gardner1, 1, *GARDNER1_OPT, source="Gardner et al. 2014, problem 1"
        ),
        _vector_problem(
            "gardner2", TUNING, [(0, 6), (0, 6)], gardner2, 1, *GARDNER2_OPT, source="Gardner et al. 2014, problem 2"
        ),
        _vector_problem(
            "branin-disk",
            TUNING,
            [(-5, 10), (0, 15)],
            branin_disk,
            1,
            *BRANIN_DISK_OPT,
            source="Gelbart et al. 2014: Branin, (x1-2.5)^2 + (x2-7.5)^2 <= 50",
        ),
        _vector_problem(
            "hartmann6-l1",
            TUNING,
            [(0, 1)] * 6,
            hartmann6_l1,
            1,
            *HARTMANN6_L1_OPT,
            source=f"Hartmann6, sum(x) <= {HARTMANN6_L1_BOUND:g}",
        ),
        _vector_problem(
            "gramacy", HELD_OUT, [(0, 1), (0, 1)], gramacy, 2, *GRAMACY_OPT, source="Gramacy et al. 2016's toy problem"
        ),
        _vector_problem(
            "spring",
            HELD_OUT,
            [(0.05, 2.0), (0.25, 1.3), (2.0, 15.0)],
            spring,
            4,
            *SPRING_OPT,
            source="tension/compression spring design (Arora 1989; Coello 2000)",
        ),
        _vector_problem(
            "pressure-vessel",
            HELD_OUT,
            [(0.0, 10.0), (0.0, 10.0), (10.0, 200.0), (10.0, 200.0)],
            pressure_vessel,
            3,
            *PRESSURE_VESSEL_OPT,
            source="pressure vessel design, continuous thicknesses (Kannan and Kramer 1994)",
        ),
        _vector_problem(
            "welded-beam",
            HELD_OUT,
            [(0.1, 2.0), (0.1, 10.0), (0.1, 10.0), (0.1, 2.0)],
            welded_beam,
            6,
            *WELDED_BEAM_OPT,
            source="welded beam design (Deb 1991; Coello 2000)",
        ),
    ]
    if include_tasks:
        problems.append(_hgb_problem())
    return {p.name: p for p in problems}


# Optimal value and a point attaining it, per problem (see the module docstring).
GARDNER1_OPT = (-2.0, [1.5 * math.pi, 0.0])
GARDNER2_OPT = (math.asin(0.95) - 1.0, [1.5 * math.pi, math.asin(0.95)])
BRANIN_DISK_OPT = (0.397887357729739, [math.pi, 2.275])
HARTMANN6_L1_OPT = (
    -3.307536305619519,
    [
        0.18648040358459764,
        0.13138757967606446,
        0.4562245017466016,
        0.26910530669186256,
        0.3074592727255667,
        0.6493429355753241,
    ],
)
GRAMACY_OPT = (0.5997880520030006, [0.19512268857249773, 0.40466536343050286])
SPRING_OPT = (0.01266523278823414, [0.051688995085566444, 0.3567161520836099, 11.289058834905646])
_PV_RADIUS = 40.31961872409872  # pi r^2 200 + 4/3 pi r^3 = 1,296,000, the three constraints active at length 200
PRESSURE_VESSEL_OPT = (5885.332773616459, [0.0193 * _PV_RADIUS, 0.00954 * _PV_RADIUS, _PV_RADIUS, 200.0])
WELDED_BEAM_OPT = (1.724852308416939, [0.2057296397860805, 3.470488664302553, 9.036623910357285, 0.20572963978609993])
