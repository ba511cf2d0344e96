"""Targets made Gaussian-looking for the GP: standardise, Yeo-Johnson transform, standardise again.

The transform tames heavy tails, such as a loss that diverges or a latency
that spans orders of magnitude. Its ``lambda`` maximises the Gaussian
likelihood over a grid of 81 values in [-2, 2], vectorised (in place of
``scipy.stats.yeojohnson``'s bounded search, which is much slower). Every
step is increasing, so the order of the values is kept, and a bound maps
through the same steps (:func:`warp_with_threshold`).
"""

from __future__ import annotations

import math

import numpy as np

_LAMBDAS = np.linspace(-2.0, 2.0, 81)[:, None]
_IDENTITY = 60  # lambda = 1
_MIN_GAIN = 2.0


def warp(loss: np.ndarray) -> np.ndarray:
    """``loss`` standardised, Yeo-Johnson transformed and standardised again (lower is still better)."""
    y = _standardise(loss)
    if np.ptp(y) == 0 or len(y) < 3:
        return y
    candidates, log_lik = _transforms(y)
    return _standardise(candidates[int(np.argmax(log_lik))])


def warp_with_threshold(values: np.ndarray, threshold: float) -> tuple[np.ndarray, float]:
    """:func:`warp` of ``values``, and ``threshold`` mapped through the same increasing steps.

    The transform is used only when it is clearly likelier than none (by a
    log-likelihood ratio of ``_MIN_GAIN``): a bound often lies where a metric is
    nearly linear (a latency, a size), and bending it for a small gain in fit
    blurs where the bound is crossed.
    """
    center, scale = _center_and_scale(values)
    y, t = (values - center) / scale, (threshold - center) / scale
    if np.ptp(y) == 0 or len(y) < 3:
        return y, t
    candidates, log_lik = _transforms(y)
    best = int(np.argmax(log_lik))
    if log_lik[best] - log_lik[_IDENTITY] < _MIN_GAIN:
        return y, t
    warped, warped_t = candidates[best], float(_yeo_johnson(np.array([[t]]), _LAMBDAS[best : best + 1])[0, 0])
    center, scale = _center_and_scale(warped)
    return (warped - center) / scale, (warped_t - center) / scale


def _transforms(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The transform of standardised ``y`` for every ``lambda``, and the log-likelihood of each."""
    candidates = _yeo_johnson(y[None, :], _LAMBDAS)
    variance = candidates.var(axis=1)
    with np.errstate(divide="ignore"):
        log_lik = -0.5 * len(y) * np.log(variance) + (_LAMBDAS[:, 0] - 1) * np.sum(np.sign(y) * np.log1p(np.abs(y)))
    log_lik[~np.isfinite(log_lik)] = -np.inf
    return candidates, log_lik


def _yeo_johnson(y: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """The Yeo-Johnson transform of ``y`` (1 x n) for every ``lam`` (k x 1)."""
    pos = y >= 0
    yp, yn = np.log1p(np.where(pos, y, 0.0)), np.log1p(np.where(pos, 0.0, -y))
    lam_p = np.where(np.abs(lam) < 1e-8, 1.0, lam)
    lam_n = np.where(np.abs(lam - 2) < 1e-8, 1.0, 2 - lam)
    out_p = np.where(np.abs(lam) < 1e-8, yp, np.expm1(lam_p * yp) / lam_p)
    out_n = np.where(np.abs(lam - 2) < 1e-8, -yn, -np.expm1(lam_n * yn) / lam_n)
    return np.where(pos, out_p, out_n)


def _center_and_scale(y: np.ndarray) -> tuple[float, float]:
    std = float(np.std(y))
    return float(np.mean(y)), (std if std > 0 and math.isfinite(std) else 1.0)


def _standardise(y: np.ndarray) -> np.ndarray:
    std = float(np.std(y))
    return (y - np.mean(y)) / (std if std > 0 and math.isfinite(std) else 1.0)
