"""Log expected improvement, an upper confidence bound, and their optimiser over the mixed unit cube.

``log EI`` is computed stably even far from the incumbent (Ament et al. 2023,
"Unexpected improvements to expected improvement"), so the optimiser still
sees a slope where plain EI underflows to zero. The confidence bound
(Srinivas et al. 2010, GP-UCB) is the sampler's exploratory member of its
portfolio: EI is greedy once the model is confident about a basin, while the
bound keeps weighing unexplored regions by their posterior spread.

The optimiser is derivative-free and fully vectorised, because rounded and
categorical columns make the acquisition piecewise constant: a seeded batch of
random points plus perturbations of the best observed points, then a few
rounds of shrinking-step local search from the best few candidates. Every
candidate is snapped to a runnable configuration before it is scored. The
budget is fixed (about 5 000 acquisition values: 2 048 random points, 256
perturbations, 8 rounds of 32 steps from each of 10 starts), which bounds the
time of a proposal.

The measurements behind these numbers are in ``benchmarks/results/design_notes.md``
(also the alternatives tried for higher dimensions: TuRBO-style local
candidates, a trust region, a gradient polish).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.special import erfcx, log_ndtr

from hyperwidget.samplers._gp.encoding import Encoder
from hyperwidget.samplers._gp.gp import GaussianProcess

#: Candidates closer than this (Euclidean, in the unit cube) to a running trial are not proposed.
AVOID_RADIUS = 0.1
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


def ucb_beta(n: int, d: int) -> float:
    """The GP-UCB exploration weight for ``n`` observations in ``d`` dimensions.

    Srinivas et al.'s schedule ``2 log(n^(d/2 + 2) pi^2 / (3 delta))`` with
    ``delta = 0.2``, divided by 5 as is customary (their constant is known to
    over-explore; Kandasamy et al. 2015 scale it down the same way): about
    ``sqrt(beta) = 2.3`` after 30 trials in 2-D and 2.7 in 5-D, growing slowly.
    """
    return 0.4 * math.log(max(n, 2) ** (0.5 * d + 2) * math.pi**2 / 0.6)


def negative_lower_bound(gp: GaussianProcess, xs: np.ndarray, beta: float) -> np.ndarray:
    """``-(mean - sqrt(beta) * std)``: the confidence bound for *minimising*, larger is better."""
    mean, var = gp.predict(xs)
    return math.sqrt(beta) * np.sqrt(var) - mean


def optimize_acquisition(
    gp: GaussianProcess,
    encoder: Encoder,
    best: float | None,
    anchors: np.ndarray,
    rng: np.random.Generator,
    taken: np.ndarray | None = None,
    n_random: int = 2048,
    n_starts: int = 10,
    n_rounds: int = 8,
    n_steps: int = 32,
    ucb: float | None = None,
    avoid: np.ndarray | None = None,
    log_feasibility: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """The cube point with the largest acquisition value found within a fixed budget.

    Parameters
    ----------
    gp, encoder, best
        The model, the space's encoder and the incumbent target value
        (``None`` when no trial is feasible: only ``log_feasibility`` counts).
    anchors : ndarray
        Good observed points (best first); the search also perturbs them.
    rng : numpy.random.Generator
        The proposal's generator: the result depends only on it and the inputs.
    taken : ndarray, optional
        Points already tried or running. In discrete spaces the best candidate
        can be one of them (once the optimum is found, nothing else looks
        better); the best candidate that is not taken is returned instead,
        unless every candidate is taken.
    ucb : float, optional
        Maximise the confidence bound :func:`negative_lower_bound` with this
        ``beta`` instead of ``log EI``.
    avoid : ndarray, optional
        Points of running trials: candidates closer than ``AVOID_RADIUS`` to
        one of them score ``-inf`` (unless no candidate is farther), so that
        concurrent proposals spread out even when the believer's fantasy
        leaves the acquisition's peak where it was (it does once the model is
        sure of a basin).
    log_feasibility : callable, optional
        The log probability that a point meets the constraints (log PoF),
        added to the acquisition: log EI + log PoF is the log of EI x PoF
        (Gardner et al. 2014); the bound plus log PoF is the log of
        ``exp(bound) x PoF``. With ``best=None`` log PoF alone is maximised.
    """

    def objective_term(xs: np.ndarray) -> np.ndarray:
        if ucb is not None:
            return negative_lower_bound(gp, xs, ucb)
        if best is None:
            return np.zeros(len(xs))
        return log_expected_improvement(gp, xs, best)

    def raw(xs: np.ndarray) -> np.ndarray:
        if log_feasibility is None:
            return objective_term(xs)
        return objective_term(xs) + log_feasibility(xs)

    def acquisition(xs: np.ndarray) -> np.ndarray:
        score = raw(xs)
        if avoid is not None and len(avoid):
            gap = np.sqrt(((xs[:, None, :] - avoid[None, :, :]) ** 2).sum(-1)).min(1)
            score = np.where(gap < AVOID_RADIUS, -np.inf, score)
        return score

    pool = [encoder.random(n_random, rng)]
    for scale in (0.02, 0.1):
        centers = np.repeat(anchors, max(1, 128 // max(len(anchors), 1)), axis=0)
        pool.append(encoder.perturb(centers, scale, rng))
    cand = np.vstack(pool)
    score = acquisition(cand)
    order = np.argsort(-score, kind="stable")[:n_starts]
    starts, start_scores = cand[order], score[order]
    scale = 0.1
    for _ in range(n_rounds):
        centers = np.repeat(starts, n_steps, axis=0)
        moved = encoder.perturb(centers, scale, rng)
        moved_score = acquisition(moved).reshape(len(starts), n_steps)
        pick = moved_score.argmax(1)
        improved = moved_score[np.arange(len(starts)), pick] > start_scores
        starts[improved] = moved.reshape(len(starts), n_steps, -1)[improved, pick[improved]]
        start_scores[improved] = moved_score[improved, pick[improved]]
        scale *= 0.55
    finalists = np.vstack([starts, cand[np.argsort(-score, kind="stable")[:64]]])
    finalist_scores = np.r_[start_scores, np.sort(score)[::-1][:64]]
    if not np.isfinite(finalist_scores).any():  # every candidate is beside a running trial
        finalist_scores = raw(finalists)
    return _best_untaken(finalists, finalist_scores, taken)


def _best_untaken(points: np.ndarray, scores: np.ndarray, taken: np.ndarray | None) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    if taken is None or not len(taken):
        return points[order[0]]
    for i in order:
        if not np.any(np.all(np.abs(taken - points[i]) < 1e-9, axis=1)):
            return points[i]
    return points[order[0]]
