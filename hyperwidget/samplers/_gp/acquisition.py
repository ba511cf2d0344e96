"""Log expected improvement and its optimiser over the mixed unit cube.

``log EI`` is computed stably even far from the incumbent (Ament et al. 2023,
"Unexpected improvements to expected improvement"), so the optimiser still
sees a slope where plain EI underflows to zero.

The optimiser is derivative-free and fully vectorised, because rounded and
categorical columns make the acquisition piecewise constant: a seeded batch of
random points plus perturbations of the best observed points, then a few
rounds of shrinking-step local search from the best few candidates. Every
candidate is snapped to a runnable configuration before it is scored. The
budget is fixed (about 3 000 acquisition values), which bounds the time of a
proposal. (A polish of the best candidates by L-BFGS-B with the analytic
gradient of log EI was tried and did not help on the benchmark: 16 better, 20
worse over 36 paired runs; the local search is precise enough at these budgets.)
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfcx, log_ndtr

from hyperwidget.samplers._gp.encoding import Encoder
from hyperwidget.samplers._gp.gp import GaussianProcess

_C1 = 0.5 * math.log(2 * math.pi)
_C2 = 0.5 * math.log(math.pi / 2)


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """``log(1 - exp(x))`` for ``x < 0``, accurate on both sides of ``-log 2``."""
    return np.where(x > -math.log(2), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def log_h(z: np.ndarray) -> np.ndarray:
    """``log(phi(z) + z Phi(z))``, the log of expected improvement for unit variance."""
    out = np.empty_like(z)
    big = z > -1.0
    zb = z[big]
    out[big] = np.log(np.exp(-0.5 * zb * zb - _C1) + zb * np.exp(log_ndtr(zb)))
    zs = z[~big]
    tail = np.log(erfcx(-zs / math.sqrt(2)) * np.abs(zs)) + _C2
    out[~big] = -0.5 * zs * zs - _C1 + _log1mexp(np.minimum(tail, -1e-12))
    return out


def log_expected_improvement(gp: GaussianProcess, xs: np.ndarray, best: float) -> np.ndarray:
    """``log EI`` for *minimising* the GP's target, with incumbent ``best``."""
    mean, var = gp.predict(xs)
    std = np.sqrt(var)
    return np.log(std) + log_h((best - mean) / std)


def optimize_acquisition(
    gp: GaussianProcess,
    encoder: Encoder,
    best: float,
    anchors: np.ndarray,
    rng: np.random.Generator,
    taken: np.ndarray | None = None,
    n_random: int = 1024,
    n_starts: int = 5,
    n_rounds: int = 8,
    n_steps: int = 32,
) -> np.ndarray:
    """The cube point with the largest ``log EI`` found within a fixed budget.

    Parameters
    ----------
    gp, encoder, best
        The model, the space's encoder and the incumbent target value.
    anchors : ndarray
        Good observed points (best first); the search also perturbs them.
    rng : numpy.random.Generator
        The proposal's generator: the result depends only on it and the inputs.
    taken : ndarray, optional
        Points already tried or running. In discrete spaces the best candidate
        can be one of them (once the optimum is found, nothing else looks
        better); the best candidate that is not taken is returned instead,
        unless every candidate is taken.
    """
    pool = [encoder.random(n_random, rng)]
    for scale in (0.02, 0.1):
        centers = np.repeat(anchors, max(1, 128 // max(len(anchors), 1)), axis=0)
        pool.append(encoder.perturb(centers, scale, rng))
    cand = np.vstack(pool)
    score = log_expected_improvement(gp, cand, best)
    order = np.argsort(-score, kind="stable")[:n_starts]
    starts, start_scores = cand[order], score[order]
    scale = 0.1
    for _ in range(n_rounds):
        centers = np.repeat(starts, n_steps, axis=0)
        moved = encoder.perturb(centers, scale, rng)
        moved_score = log_expected_improvement(gp, moved, best).reshape(len(starts), n_steps)
        pick = moved_score.argmax(1)
        improved = moved_score[np.arange(len(starts)), pick] > start_scores
        starts[improved] = moved.reshape(len(starts), n_steps, -1)[improved, pick[improved]]
        start_scores[improved] = moved_score[improved, pick[improved]]
        scale *= 0.55
    finalists = np.vstack([starts, cand[np.argsort(-score, kind="stable")[:64]]])
    finalist_scores = np.r_[start_scores, np.sort(score)[::-1][:64]]
    return _best_untaken(finalists, finalist_scores, taken)


def _best_untaken(points: np.ndarray, scores: np.ndarray, taken: np.ndarray | None) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    if taken is None or not len(taken):
        return points[order[0]]
    for i in order:
        if not np.any(np.all(np.abs(taken - points[i]) < 1e-9, axis=1)):
            return points[i]
    return points[order[0]]
