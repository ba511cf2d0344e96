"""Map a search space to the mixed unit cube the GP works in, and back.

Every expression becomes one column:

- **continuous** (``uniform``, ``loguniform``, ``normal``, ``lognormal``): the
  expression's own quantile ``to_unit(value)``, so log scales and the normal
  priors are handled by the expression's inverse CDF;
- **rounded** (``quniform``, ``qloguniform``, ``qnormal``, ``qlognormal``, and
  ``choice`` of monotonic numbers, treated as ordered): a unit coordinate that is
  *snapped* to the coordinate of the value it rounds to, so the acquisition is
  evaluated at points that can really be run (and sees their observed twins);
- **categorical** (other ``choice``, and ``randint`` whose values HyperDrive
  declares unrelated): the index of the option, compared by the kernel with a
  Hamming distance.

Snapping is vectorised for the ten HyperDrive expressions; any other type
(the natural-bound ones, user-registered ones) gets a table of
``to_unit(from_unit(u))`` built once per sampler.

A conditional space (a choice of branches) adds one categorical column per
choice, holding the branch index. A parameter of a branch not taken is
**inactive**: its column holds a fixed value outside the active range
(:data:`INACTIVE` for a unit column, :data:`INACTIVE_OPTION` for a categorical
one), so two configurations lacking it agree on it and differ from every
configuration that has it, rather than being imputed with random values. Every
candidate the acquisition optimiser scores passes through :meth:`Encoder.snap`,
which sets the inactive columns of the branches it takes, so only valid
configurations are scored and proposed (and ``decode`` reads the branch first).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from hyperwidget import space as sp

_EPS = 1e-12
#: The value of an inactive unit column (a parameter of a branch not taken): outside [0, 1].
INACTIVE = -0.5
#: The value of an inactive categorical column: no option's index.
INACTIVE_OPTION = -1.0


def _is_ordinal_choice(expr: sp.Expression) -> bool:
    """A choice of at least three plain numbers in monotonic order is treated as ordered."""
    if not isinstance(expr, sp.Choice) or len(expr.options) < 3:
        return False
    opts = expr.options
    if not all(isinstance(o, (int, float)) and not isinstance(o, bool) for o in opts):
        return False
    diffs = np.diff(np.asarray(opts, dtype=float))
    return bool(np.all(diffs > 0) or np.all(diffs < 0))


def _steps(low: float, high: float, q: float) -> tuple[int, int]:
    """The rounding multipliers a bounded quantized expression can return (mirrors ``space._base._step_range``)."""
    return math.floor(low / q - 0.5) + 1, math.ceil(high / q + 0.5) - 1


def _snap_quniform(expr: sp.QUniform, u: np.ndarray) -> np.ndarray:
    lo, hi, q = float(expr.min_value), float(expr.max_value), float(expr.q)
    k_lo, k_hi = _steps(lo, hi, q)
    value = np.clip(np.round((lo + u * (hi - lo)) / q), k_lo, k_hi) * q
    return np.clip((value - lo) / (hi - lo), 0.0, 1.0)


def _snap_qloguniform(expr: sp.QLogUniform, u: np.ndarray) -> np.ndarray:
    lo, hi, q = float(expr.min_value), float(expr.max_value), float(expr.q)
    span = hi - lo
    k_lo, k_hi = _steps(math.exp(lo), math.exp(hi), q)
    value = np.clip(np.round(np.exp(lo + u * span) / q), k_lo, k_hi) * q
    value = np.maximum(value, min(q / 4, math.exp(lo)))
    return np.clip((np.log(value) - lo) / span, 0.0, 1.0)


def _normal_of(expr: sp.Normal, u: np.ndarray) -> np.ndarray:
    return expr.mu + expr.sigma * ndtri(np.clip(u, _EPS, 1 - _EPS))


def _snap_qnormal(expr: sp.QNormal, u: np.ndarray) -> np.ndarray:
    q = float(expr.q)
    value = np.round(_normal_of(expr, u) / q) * q
    return ndtr((value - expr.mu) / expr.sigma)


def _snap_qlognormal(expr: sp.QLogNormal, u: np.ndarray) -> np.ndarray:
    q = float(expr.q)
    value = np.round(np.exp(np.minimum(_normal_of(expr, u), 700.0)) / q) * q
    value = np.maximum(value, q / 4)
    return ndtr((np.log(value) - expr.mu) / expr.sigma)


def _snap_ordinal(n: int, u: np.ndarray) -> np.ndarray:
    index = np.minimum(np.floor(u * n), n - 1)
    return (index + 0.5) / n


class _TabulatedSnap:
    """Snapping for any other expression: ``to_unit(from_unit(u))`` tabulated on a fine grid.

    Built once per expression (a few thousand calls), then a table look-up:
    exact away from the cell edges of finite supports, within ``1/size`` at them.
    """

    def __init__(self, expr: sp.Expression) -> None:
        values = expr.grid_values()
        size = min(max(32 * len(values), 2048), 65536) if values is not None else 4096
        grid = (np.arange(size) + 0.5) / size
        self.size = size
        self.table = np.array([expr.to_unit(expr.from_unit(float(u))) for u in grid])

    def __call__(self, expr: sp.Expression, u: np.ndarray) -> np.ndarray:
        return self.table[np.clip((u * self.size).astype(int), 0, self.size - 1)]


# Exact types: a user subclass may change the law, so it takes the tabulated path.
_CONTINUOUS = (sp.Uniform, sp.LogUniform, sp.Normal, sp.LogNormal)
_SNAPPERS: dict[type, Any] = {
    sp.QUniform: _snap_quniform,
    sp.QLogUniform: _snap_qloguniform,
    sp.QNormal: _snap_qnormal,
    sp.QLogNormal: _snap_qlognormal,
}


class Encoder:
    """The search space as columns of a mixed unit cube.

    Parameters
    ----------
    space : SearchSpace
        The validated space; only its expressions become columns.

    Attributes
    ----------
    is_cat : ndarray of bool
        Which columns are categorical (hold an option index).
    n_options : ndarray of int
        Number of options of each categorical column (0 for the others).
    """

    def __init__(self, space: sp.SearchSpace) -> None:
        self.space = space
        self.expressions = space.expressions
        self.dims = len(self.expressions)
        self.is_cat = np.array([e.is_categorical and not _is_ordinal_choice(e) for e in self.expressions])
        self.n_options = np.array(
            [len(e.grid_values() or ()) if cat else 0 for e, cat in zip(self.expressions, self.is_cat, strict=True)],
            dtype=int,
        )
        self._snappers = [self._snapper(e, cat) for e, cat in zip(self.expressions, self.is_cat, strict=True)]
        self.inactive = np.where(self.is_cat, INACTIVE_OPTION, INACTIVE)
        # Per conditional column, the branch decisions (column, branch) of each place it is declared.
        self._conditions = [(j, d.paths) for j, d in enumerate(space.dimensions) if d.paths != ((),)]

    @staticmethod
    def _snapper(expr: sp.Expression, categorical: bool) -> Any:
        if categorical or type(expr) in _CONTINUOUS:
            return None
        if type(expr) in _SNAPPERS:
            return _SNAPPERS[type(expr)]
        if _is_ordinal_choice(expr):
            return lambda e, u: _snap_ordinal(len(e.options), u)
        return _TabulatedSnap(expr)

    # -- observations ---------------------------------------------------------------------------
    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """The cube point of a configuration; raises ``ValueError``/``KeyError`` if it is not in the space."""
        row = self.inactive.copy()
        values = params if self.space.is_flat else self.space.flat_values(params)
        for j, (name, expr) in enumerate(zip(self.space.names, self.expressions, strict=True)):
            if not self.space.is_flat and name not in values:
                continue  # a parameter of a branch not taken
            value = values[name]
            if self.is_cat[j]:
                row[j] = self._option_index(expr, value)
            else:
                row[j] = float(expr.to_unit(value))
        if not np.all(np.isfinite(row)):
            raise ValueError(f"configuration {dict(params)!r} has no finite cube point")
        return row

    @staticmethod
    def _option_index(expr: sp.Expression, value: Any) -> int:
        options = expr.grid_values() or []
        if isinstance(expr, sp.Randint):
            index = int(value)
            if not 0 <= index < len(options) or index != value:
                raise ValueError(f"{value!r} is not a value of {expr!r}")
            return index
        # The choice's own matching (its to_unit gives (index + 0.5) / n, or raises for a foreign value).
        return round(expr.to_unit(value) * len(options) - 0.5)

    def decode(self, row: np.ndarray) -> dict[str, Any]:
        """The configuration at a cube point (categorical columns hold option indices)."""
        unit = np.where(self.is_cat, (row + 0.5) / np.maximum(self.n_options, 1), row)
        return self.space.from_unit(unit)

    # -- candidates -----------------------------------------------------------------------------
    def random(self, m: int, rng: np.random.Generator) -> np.ndarray:
        """``m`` uniformly random, snapped cube points."""
        points = rng.random((m, self.dims))
        for j in np.flatnonzero(self.is_cat):
            points[:, j] = rng.integers(self.n_options[j], size=m)
        return self.snap(points)

    def perturb(self, centers: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
        """Gaussian steps of ``scale`` from ``centers`` (m x d), reflected into the cube, then snapped.

        Each categorical column is redrawn with probability ``min(0.5, 1/d)``, so
        the local search also moves across options.
        """
        points = centers + rng.normal(0.0, scale, size=centers.shape)
        points = np.abs(points)
        points = 1.0 - np.abs(1.0 - points)
        points = np.clip(points, 0.0, 1.0)
        flip_p = min(0.5, 1.0 / max(self.dims, 1))
        for j in np.flatnonzero(self.is_cat):
            # An inactive column is redrawn too: it holds an option again if its branch is taken now.
            flip = (rng.random(len(points)) < flip_p) | (centers[:, j] < 0)
            points[:, j] = np.where(flip, rng.integers(self.n_options[j], size=len(points)), centers[:, j])
        return self.snap(points)

    def snap(self, points: np.ndarray) -> np.ndarray:
        """Move every rounded column to the coordinate of the value it rounds to, and every column of a
        branch not taken to its inactive value."""
        out = points.copy()
        for j, (expr, snapper) in enumerate(zip(self.expressions, self._snappers, strict=True)):
            if snapper is not None:
                out[:, j] = snapper(expr, points[:, j])
        for j, paths in self._conditions:  # in column order: a choice's column before its branches'
            active = np.zeros(len(out), dtype=bool)
            for path in paths:
                taken = np.ones(len(out), dtype=bool)
                for column, branch in path:
                    taken &= out[:, column] == branch
                active |= taken
            out[~active, j] = self.inactive[j]
        return out
