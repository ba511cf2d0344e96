"""A zero-mean GP on standardised targets, fitted by maximum a posteriori marginal likelihood.

Hyperparameters are ``log`` lengthscales (one per column), ``log`` signal
variance and ``log`` noise variance. Weak log-normal priors keep the fit sane
with few points: lengthscales centred on ``0.3 * sqrt(d)`` of the unit cube
(longer in more dimensions, after Hvarfner et al. 2024, "Vanilla Bayesian
optimization performs great in high dimensions"), and on half that from
``d = 10`` on, where a tuning budget leaves few trials per dimension and a
more local model found better points on the benchmark's tuning half
(``benchmarks/results/design_notes.md``); signal variance on 1, noise
variance on ``exp(-7)`` (most tuning objectives are nearly deterministic, but
the fit can raise it for noisy ones). The negative log posterior and its
analytic gradient go to L-BFGS-B from one deterministic start, with a capped
number of iterations so a proposal stays fast.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy.linalg import LinAlgError, cho_solve, cholesky, solve_triangular
from scipy.optimize import minimize

from hyperwidget.samplers._gp.kernel import column_distances, matern52, matern52_and_grad, scaled_sq_dist

_JITTER = 1e-8
_LOG_NOISE_BOUNDS = (math.log(1e-6), math.log(0.5))
_LOG_VAR_BOUNDS = (math.log(0.05), math.log(20.0))
_LOG_LS_BOUNDS = (math.log(0.01), math.log(50.0))


@dataclasses.dataclass(frozen=True)
class Hyperparameters:
    """Kernel hyperparameters (natural scale)."""

    lengthscales: np.ndarray
    variance: float
    noise: float

    @property
    def inv_ls2(self) -> np.ndarray:
        return 1.0 / self.lengthscales**2


#: From this many columns on, the lengthscale prior is centred on ``0.15 * sqrt(d)`` instead of ``0.3 * sqrt(d)``.
SHORT_PRIOR_DIMS = 10


def _prior(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Means and standard deviations of the Gaussian priors on the log-hyperparameters."""
    scale = 0.3 if d < SHORT_PRIOR_DIMS else 0.15
    mean = np.r_[np.full(d, math.log(scale) + 0.5 * math.log(d)), 0.0, -7.0]
    std = np.r_[np.full(d, 1.5), 1.0, 2.5]
    return mean, std


def _neg_log_posterior(
    theta: np.ndarray, dist: np.ndarray, y: np.ndarray, prior: tuple[np.ndarray, np.ndarray]
) -> tuple[float, np.ndarray]:
    d, n = dist.shape[0], len(y)
    inv_ls2 = np.exp(-2.0 * theta[:d])
    variance, noise = math.exp(theta[d]), math.exp(theta[d + 1])
    r2 = np.tensordot(inv_ls2, dist, axes=1)
    k, dk_dr2 = matern52_and_grad(r2, variance)
    kn = k.copy()
    kn.flat[:: n + 1] += noise + _JITTER
    try:
        chol = cholesky(kn, lower=True, check_finite=False)
    except LinAlgError:
        return 1e10, np.zeros_like(theta)
    alpha = cho_solve((chol, True), y, check_finite=False)
    k_inv = cho_solve((chol, True), np.eye(n), check_finite=False)
    value = 0.5 * y @ alpha + np.log(np.diag(chol)).sum() + 0.5 * n * math.log(2 * math.pi)
    w = np.outer(alpha, alpha) - k_inv
    grad = np.empty_like(theta)
    # dK/dlog(l_j) = dk/dr2 * (-2 inv_ls2_j dist_j); dNLL = -1/2 tr(W dK).
    grad[:d] = inv_ls2 * np.tensordot(dist, w * dk_dr2, axes=([1, 2], [0, 1]))
    grad[d] = -0.5 * np.sum(w * k)
    grad[d + 1] = -0.5 * noise * np.trace(w)
    mean, std = prior
    z = (theta - mean) / std
    return float(value + 0.5 * z @ z), grad + z / std


def fit_hyperparameters(
    x: np.ndarray, y: np.ndarray, is_cat: np.ndarray, maxiter: int = 60, max_points: int = 100
) -> Hyperparameters:
    """MAP hyperparameters for standardised targets ``y`` at cube points ``x``.

    Past ``max_points`` observations the fit uses a deterministic subset (the
    best half, and the others at an even stride): each likelihood evaluation
    costs O(n^3), and the hyperparameters barely move with more points, while
    the posterior itself still conditions on every observation.
    """
    if len(y) > max_points:
        x, y = subset(x, y, max_points)
    d = x.shape[1]
    prior = _prior(d)
    dist = column_distances(x, x, is_cat)
    bounds = [_LOG_LS_BOUNDS] * d + [_LOG_VAR_BOUNDS, _LOG_NOISE_BOUNDS]
    start = np.clip(prior[0], [b[0] for b in bounds], [b[1] for b in bounds])
    result = minimize(
        _neg_log_posterior,
        start,
        args=(dist, y, prior),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": maxiter, "ftol": 1e-6},
    )
    theta = result.x if np.all(np.isfinite(result.x)) else start
    return Hyperparameters(np.exp(theta[:d]), math.exp(theta[d]), math.exp(theta[d + 1]))


def subset(x: np.ndarray, y: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A deterministic subset of ``size`` points: the best half, then the others at an even stride."""
    order = np.argsort(y, kind="stable")
    best, rest = order[: size // 2], np.sort(order[size // 2 :])
    keep = np.r_[best, rest[np.linspace(0, len(rest) - 1, size - len(best)).astype(int)]]
    return x[keep], y[keep]


class GaussianProcess:
    """The posterior of a zero-mean GP given points ``x``, targets ``y`` and fixed hyperparameters."""

    def __init__(self, x: np.ndarray, y: np.ndarray, is_cat: np.ndarray, hyper: Hyperparameters) -> None:
        self.x, self.y, self.is_cat, self.hyper = x, y, is_cat, hyper
        k = matern52(scaled_sq_dist(x, x, hyper.inv_ls2, is_cat), hyper.variance)
        k.flat[:: len(x) + 1] += hyper.noise + _JITTER
        jitter = _JITTER
        while True:
            try:
                chol = cholesky(k, lower=True, check_finite=False)
                break
            except LinAlgError:
                jitter *= 10
                k.flat[:: len(x) + 1] += jitter
        self.alpha = cho_solve((chol, True), y, check_finite=False)
        self._chol_inv = solve_triangular(chol, np.eye(len(x)), lower=True, check_finite=False)

    def predict(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance (of the latent function) at the rows of ``xs``."""
        ks = matern52(scaled_sq_dist(xs, self.x, self.hyper.inv_ls2, self.is_cat), self.hyper.variance)
        mean = ks @ self.alpha
        v = ks @ self._chol_inv.T
        var = np.maximum(self.hyper.variance - (v * v).sum(1), 1e-12)
        return mean, var

    def condition(self, xp: np.ndarray, yp: np.ndarray) -> GaussianProcess:
        """The posterior with extra (fantasised) observations, same hyperparameters."""
        return GaussianProcess(np.vstack([self.x, xp]), np.r_[self.y, yp], self.is_cat, self.hyper)
