"""Matern-5/2 kernel with automatic relevance determination over a mixed cube.

The squared distance between two points adds, per column ``j``,
``((x_j - y_j) / l_j)**2`` for continuous and rounded columns and
``[x_j != y_j] / l_j**2`` for categorical ones (a Hamming distance, as optuna's
GP sampler does), so one lengthscale per column covers both kinds.
"""

from __future__ import annotations

import numpy as np

SQRT5 = float(np.sqrt(5.0))


def column_distances(a: np.ndarray, b: np.ndarray, is_cat: np.ndarray) -> np.ndarray:
    """Per-column squared distances, shape ``(d, len(a), len(b))`` (used for the hyperparameter fit)."""
    diff = a.T[:, :, None] - b.T[:, None, :]
    dist = diff * diff
    if is_cat.any():
        dist[is_cat] = (diff[is_cat] != 0).astype(float)
    return dist


def scaled_sq_dist(a: np.ndarray, b: np.ndarray, inv_ls2: np.ndarray, is_cat: np.ndarray) -> np.ndarray:
    """Squared distance ``r**2`` between every row of ``a`` and of ``b`` (``len(a) x len(b)``)."""
    cont = ~is_cat
    scale = np.sqrt(inv_ls2[cont])
    ac, bc = a[:, cont] * scale, b[:, cont] * scale
    r2 = (ac * ac).sum(1)[:, None] + (bc * bc).sum(1)[None, :] - 2.0 * ac @ bc.T
    np.maximum(r2, 0.0, out=r2)
    for j in np.flatnonzero(is_cat):
        r2 += inv_ls2[j] * (a[:, j][:, None] != b[:, j][None, :])
    return r2


def matern52(r2: np.ndarray, variance: float) -> np.ndarray:
    """``variance * (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r)``."""
    r = np.sqrt(r2)
    return variance * (1.0 + SQRT5 * r + (5.0 / 3.0) * r2) * np.exp(-SQRT5 * r)


def matern52_and_grad(r2: np.ndarray, variance: float) -> tuple[np.ndarray, np.ndarray]:
    """The kernel and its derivative with respect to ``r**2`` (finite at ``r = 0``)."""
    r = np.sqrt(r2)
    e = np.exp(-SQRT5 * r)
    k = variance * (1.0 + SQRT5 * r + (5.0 / 3.0) * r2) * e
    dk_dr2 = -(5.0 / 6.0) * variance * (1.0 + SQRT5 * r) * e
    return k, dk_dr2
