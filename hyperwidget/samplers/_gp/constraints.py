"""The probability that a point meets every constraint, from one GP per constrained metric.

Constrained Bayesian optimisation after Gardner et al. 2014 ("Bayesian
optimization with inequality constraints") and Gelbart et al. 2014: each
constraint is a *slack* ``g(x) = sign * (value(x) - bound)`` that is feasible
when ``g <= 0`` (``sign`` is ``+1`` for ``<=``/``<`` and ``-1`` for
``>=``/``>``). An independent GP models each slack, and the probability of
feasibility is the product of ``P(g_k(x) <= 0)`` under those posteriors; its
log is added to the objective's log expected improvement.
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_ndtr

from hyperwidget.samplers._gp.gp import GaussianProcess, fit_hyperparameters, subset
from hyperwidget.samplers._gp.warping import warp_with_threshold

#: Points the hyperparameter fit of a constraint's GP uses at most (its posterior may use more).
FIT_POINTS = 50


class _SlackModel:
    """A GP of one warped slack (:mod:`.warping`), with the feasibility threshold mapped alike."""

    def __init__(self, x: np.ndarray, slack: np.ndarray, is_cat: np.ndarray, maxiter: int, max_points: int) -> None:
        y, self.threshold = warp_with_threshold(slack, 0.0)
        x, y = self._near_threshold(x, y, max_points)
        fit_x, fit_y = self._near_threshold(x, y, FIT_POINTS)
        hyper = fit_hyperparameters(fit_x, fit_y, is_cat, maxiter=maxiter, max_points=FIT_POINTS)
        self.gp = GaussianProcess(x, y, is_cat, hyper)

    def _near_threshold(self, x: np.ndarray, y: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        """At most ``size`` points: the half nearest the threshold (they draw the boundary), and an
        even spread of the others."""
        if len(y) <= size:
            return x, y
        keep, _ = subset(np.arange(len(y)), np.abs(y - self.threshold), size)
        return x[keep], y[keep]

    def log_probability(self, xs: np.ndarray) -> np.ndarray:
        mean, var = self.gp.predict(xs)
        return log_ndtr((self.threshold - mean) / np.sqrt(var))


class FeasibilityModel:
    """``log P(every constraint holds at x)`` under independent GPs of the slacks.

    Parameters
    ----------
    x : ndarray
        Cube points of the finished trials, one row each.
    slack : ndarray
        Their slacks, one column per constraint (``<= 0`` is feasible). ``nan``
        (a failed trial, or one that never logged the metric) counts as
        infeasible: it becomes the worst slack observed for that constraint.
        Every column must have at least one finite value.
    is_cat : ndarray of bool
        The encoder's categorical columns.
    maxiter, max_points : int
        Cap on the hyperparameter fit's iterations, and on the points each
        posterior conditions on (past it, those whose slack is nearest the
        threshold).
    """

    def __init__(
        self, x: np.ndarray, slack: np.ndarray, is_cat: np.ndarray, maxiter: int = 60, max_points: int = 300
    ) -> None:
        self.models = [
            _SlackModel(x, worst_for_missing(column), is_cat, maxiter, max_points) for column in np.asarray(slack).T
        ]

    def log_probability(self, xs: np.ndarray) -> np.ndarray:
        """The log probability of feasibility at the rows of ``xs`` (sum over constraints)."""
        total = np.zeros(len(xs))
        for model in self.models:
            total += model.log_probability(xs)
        return total


def worst_for_missing(slack: np.ndarray) -> np.ndarray:
    """``slack`` with ``nan`` replaced by its largest finite value (the least feasible one seen)."""
    finite = np.isfinite(slack)
    return np.where(finite, slack, np.max(slack[finite]))
